"""File helpers: atomic writes with the umask's mode, and errors that name file and line."""

import gzip
import os
import subprocess
import sys

import pytest

from evoaugflow.chip import read_peaks
from evoaugflow.io import atomic_path, load_yaml, open_fasta, text_lines, write_json
from evoaugflow.variants import read_vcf


def test_atomic_writes_honour_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        write_json(tmp_path / "a.json", {"x": 1})
        with atomic_path(tmp_path / "b.bin") as tmp:
            tmp.write_bytes(b"1")
        os.umask(0o027)
        write_json(tmp_path / "c.json", {"x": 1})
    finally:
        os.umask(old)
    modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
    assert modes == {"a.json": 0o644, "b.bin": 0o644, "c.json": 0o640}


def test_a_failed_atomic_write_leaves_nothing(tmp_path):
    (tmp_path / "keep.txt").write_text("old")
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "keep.txt") as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
    assert (tmp_path / "keep.txt").read_text() == "old"


def _truncated_gzip(path, text, keep=0.6):
    data = gzip.compress(text.encode())
    path.write_bytes(data[: int(len(data) * keep)])


def test_truncated_gzip_peaks_name_the_file_and_line(tmp_path):
    lines = "".join(
        f"chr1\t{i * 300}\t{i * 300 + 200}\tp{i}\t0\t.\t1\t1\t1\t100\n" for i in range(3000)
    )
    path = tmp_path / "peaks.narrowPeak.gz"
    _truncated_gzip(path, lines)
    with pytest.raises(
        ValueError, match=r"peaks\.narrowPeak\.gz, line \d+: the gzip file is truncated"
    ):
        read_peaks(path, {"chr1": 10_000_000})


def test_truncated_gzip_vcf_names_the_file_and_line(tmp_path):
    body = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\n"
    body += "".join(f"chr1\t{i + 1}\trs{i}\tA\tG\n" for i in range(20000))
    path = tmp_path / "calls.vcf.gz"
    _truncated_gzip(path, body)
    with pytest.raises(ValueError, match=r"calls\.vcf\.gz, line (\d+): the gzip file is truncated"):
        read_vcf(path)


def test_vcf_rows_carry_their_one_based_file_line(tmp_path):
    path = tmp_path / "calls.vcf"
    path.write_text(
        "##x\n#CHROM\tPOS\tID\tREF\tALT\nchr1\t5\ta\tA\tG\nchr1\t9\tb\tAT\tA\nchr1\t12\tc\tC\tT\n"
    )
    variants, counts = read_vcf(path)
    assert variants["line"].tolist() == [3, 5] and counts["indel"] == 1
    path.write_text("#CHROM\tPOS\tID\tREF\tALT\nchr1\t5\ta\tA\tG\nchr1\tfive\tb\tA\tG\n")
    with pytest.raises(ValueError, match=r"calls\.vcf, line 3: POS is invalid"):
        read_vcf(path)


def test_text_lines_numbers_from_one(tmp_path):
    path = tmp_path / "x.txt.gz"
    path.write_bytes(gzip.compress(b"a\nb\n"))
    assert list(text_lines(path)) == [(1, "a\n"), (2, "b\n")]


def test_duplicate_fasta_header_names_the_file_and_both_lines(tmp_path):
    path = tmp_path / "genome.fa"
    path.write_text(">chr1\nACGT\n>chr2 second\nAAAA\n>chr1 again\nCCCC\n")
    with pytest.raises(
        ValueError, match=r"genome\.fa, line 5: record name 'chr1' was already used at line 1"
    ):
        open_fasta(path)


def test_yaml_syntax_error_names_the_file_line_and_column(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("seeds: [0, 1]\ndatasets:\n  a: {source: h5\n  b: 1\n")
    with pytest.raises(ValueError, match=r"config\.yaml, line \d+, column \d+: YAML syntax error"):
        load_yaml(path)


def test_config_checker_names_the_line_of_a_yaml_error(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("seeds: [0, 1\n")
    result = subprocess.run(
        [sys.executable, "-m", "evoaugflow.config", str(path)], capture_output=True, text=True
    )
    assert (
        result.returncode == 1
        and "config.yaml, line 2, column 1: YAML syntax error" in result.stdout
    )


def test_write_tsv_round_trips_missing_values_and_full_precision(tmp_path):
    import pandas as pd

    from evoaugflow.io import write_tsv

    frame = pd.DataFrame({"name": ["a", "b"], "value": [0.1 + 0.2, float("nan")], "n": [1, 2]})
    write_tsv(frame, tmp_path / "t.tsv")
    text = (tmp_path / "t.tsv").read_text()
    assert text.splitlines()[0] == "name\tvalue\tn" and "\tNaN\t" in text
    back = pd.read_csv(tmp_path / "t.tsv", sep="\t")
    pd.testing.assert_frame_equal(back, frame)
    assert list(tmp_path.iterdir()) == [tmp_path / "t.tsv"]  # no temporary file left
    with pytest.raises(ValueError, match="expected a pandas DataFrame"):
        write_tsv([1, 2], tmp_path / "u.tsv")

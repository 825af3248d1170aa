"""Tests for evoaugflow.chip on a tiny genome and peak files written here."""

import gzip

import h5py
import numpy as np
import pandas as pd
import pytest

from evoaugflow.chip import build_chip_dataset, map_truth_to_windows, summit_windows

WINDOW = 20


@pytest.fixture
def genome(tmp_path):
    """chr1: 2,000 random nt; chr2: 300 nt with an N run at 150-159."""
    rng = np.random.default_rng(0)
    chr1 = "".join(rng.choice(list("ACGT"), 2000))
    chr2 = list("".join(rng.choice(list("acgt"), 300)))  # lower case: read as upper case
    chr2[150:160] = "N" * 10
    path = tmp_path / "genome.fa"
    path.write_text(f">chr1\n{chr1}\n>chr2\n{''.join(chr2)}\n")
    return path, {"chr1": chr1, "chr2": "".join(chr2).upper()}


def _narrowpeak(rows):
    return "".join(
        f"{c}\t{s}\t{e}\tp{i}\t500\t.\t5.0\t10.0\t8.0\t{summit}\n"
        for i, (c, s, e, summit) in enumerate(rows)
    )


def _files(tmp_path, chip_rows, accessible_rows, gz=False):
    chip = tmp_path / ("chip.bed.gz" if gz else "chip.narrowPeak")
    text = _narrowpeak(chip_rows)
    if gz:
        chip.write_bytes(gzip.compress(text.encode()))
    else:
        chip.write_text(text)
    accessible = tmp_path / "dnase.bed"
    accessible.write_text("".join(f"{c}\t{s}\t{e}\n" for c, s, e in accessible_rows))
    return chip, accessible


def _build(tmp_path, chip, accessible, genome_path, seed=0, split=(0.5, 0.25, 0.25)):
    return build_chip_dataset(
        chip,
        accessible,
        genome_path,
        tmp_path / "out.h5",
        tmp_path / "regions.tsv",
        window=WINDOW,
        split=split,
        seed=seed,
        log=None,
    )


# 8 ChIP peaks with summits; one near chr1 start (off-chromosome), one on chr2's N run.
CHIP = [("chr1", 100 * i, 100 * i + 50, 30) for i in range(1, 7)] + [
    ("chr1", 0, 40, 5),
    ("chr2", 150, 156, 3),
]
# 10 BED3 accessible peaks (midpoint windows): 2 overlap ChIP peaks, 8 are free; one free
# peak is duplicated (identical window) and one sits on chr2's N run.
ACCESSIBLE = (
    [("chr1", 110, 130), ("chr1", 640, 700)]
    + [("chr1", 1000 + 100 * i, 1051 + 100 * i) for i in range(6)]
    + [("chr1", 1000, 1051), ("chr2", 157, 170)]
)


def test_exact_windows_drops_and_layout(tmp_path, genome):
    genome_path, sequences = genome
    chip, accessible = _files(tmp_path, CHIP, ACCESSIBLE, gz=True)
    counts = _build(tmp_path, chip, accessible, genome_path)
    assert counts["chip_peaks"] == 8 and counts["accessible_peaks"] == 10
    assert counts["negatives_overlapping_chip"] == 2
    assert counts["dropped_off_chromosome_positive"] == 1
    assert counts["dropped_contains_n_positive"] == 1
    assert counts["dropped_duplicate_negative"] == 1
    assert counts["dropped_contains_n_negative"] == 1
    assert counts["positives_kept"] == counts["negatives_kept"] == 6
    assert (counts["n_train"], counts["n_valid"], counts["n_test"]) == (6, 3, 3)

    regions = pd.read_csv(tmp_path / "regions.tsv", sep="\t")
    assert list(regions.columns) == ["split", "index", "chrom", "start", "end", "label", "name"]
    positives = regions[regions["label"] == 1].sort_values("start")
    # summit case: centre = start + 30, window [centre - 10, centre + 10)
    assert positives["start"].tolist() == [100 * i + 30 - 10 for i in range(1, 7)]
    negatives = regions[regions["label"] == 0].sort_values("start")
    # midpoint case: (1000 + 100 i + 1051 + 100 i) // 2 = 1025 + 100 i
    assert negatives["start"].tolist() == [1025 + 100 * i - 10 for i in range(6)]
    assert (regions["end"] - regions["start"] == WINDOW).all()

    with h5py.File(tmp_path / "out.h5", "r") as handle:
        assert sorted(handle) == sorted(
            f"{p}_{s}" for p in "xy" for s in ("train", "valid", "test")
        )
        for split, group in regions.groupby("split"):
            x, y = handle[f"x_{split}"][()], handle[f"y_{split}"][()]
            assert x.shape == (len(group), 4, WINDOW) and x.dtype == np.float32
            assert y.shape == (len(group), 1) and y.dtype == np.float32
            for row in group.itertuples():
                text = sequences[row.chrom][row.start : row.end]
                assert "".join("ACGT"[i] for i in x[row.index].argmax(0)) == text
                assert y[row.index, 0] == row.label
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["genome.fa", "genome.fa.fai", "chip.bed.gz", "dnase.bed", "out.h5", "regions.tsv"]
    )


def test_seed_determines_output(tmp_path, genome):
    genome_path, _ = genome
    chip, accessible = _files(tmp_path, CHIP, ACCESSIBLE)
    _build(tmp_path, chip, accessible, genome_path, seed=1)
    first = (tmp_path / "out.h5").read_bytes(), (tmp_path / "regions.tsv").read_text()
    _build(tmp_path, chip, accessible, genome_path, seed=1)
    assert (tmp_path / "regions.tsv").read_text() == first[1]
    with h5py.File(tmp_path / "out.h5") as handle:
        same = handle["x_train"][()]
    _build(tmp_path, chip, accessible, genome_path, seed=2)
    assert (tmp_path / "regions.tsv").read_text() != first[1]
    with h5py.File(tmp_path / "out.h5") as handle:
        assert handle["x_train"].shape == same.shape


def test_fewer_negatives_downsamples_positives(tmp_path, genome):
    genome_path, _ = genome
    chip, accessible = _files(tmp_path, CHIP, ACCESSIBLE[:5])
    with pytest.warns(UserWarning, match="downsampling the positives"):
        counts = _build(tmp_path, chip, accessible, genome_path)
    assert counts["positives_kept"] == counts["negatives_kept"] == 3


@pytest.mark.parametrize(
    "chip_text, fragment",
    [
        ("chr1\t10\n", "line 2: 2 tab-separated columns"),
        ("chr1\tx\t20\n", "line 2: start/end"),
        ("chrX\t10\t20\n", "line 2: chromosome 'chrX' is not in the genome"),
        ("chr2\t10\t400\n", "line 2: peak end 400 is beyond the end of chr2"),
        ("chr1\t30\t20\n", "line 2: start 30 and end 20"),
        ("", "no peaks found"),
    ],
)
def test_bad_inputs_raise_and_leave_nothing(tmp_path, genome, chip_text, fragment):
    genome_path, _ = genome
    chip = tmp_path / "bad.bed"
    chip.write_text(("track name=x\n" + chip_text) if chip_text else "")
    accessible = tmp_path / "dnase.bed"
    accessible.write_text("chr1\t500\t600\n")
    with pytest.raises(ValueError, match=f"bad.bed.*{fragment}" if chip_text else fragment):
        _build(tmp_path, chip, accessible, genome_path)
    assert not (tmp_path / "out.h5").exists() and not (tmp_path / "regions.tsv").exists()


def test_bad_window_and_split(tmp_path, genome):
    genome_path, _ = genome
    chip, accessible = _files(tmp_path, CHIP, ACCESSIBLE)
    with pytest.raises(ValueError, match="window"):
        build_chip_dataset(
            chip, accessible, genome_path, tmp_path / "o.h5", tmp_path / "r.tsv", window=0
        )
    with pytest.raises(ValueError, match="split"):
        build_chip_dataset(
            chip,
            accessible,
            genome_path,
            tmp_path / "o.h5",
            tmp_path / "r.tsv",
            split=(0.5, 0.5, 0.5),
        )
    assert not (tmp_path / "o.h5").exists()


def test_summit_windows_even_and_odd():
    peaks = pd.DataFrame({"start": [100, 100, 7], "end": [200, 201, 8], "summit": [0, -1, -1]})
    starts, ends = summit_windows(peaks, 5)
    assert starts.tolist() == [98, 148, 5] and (ends - starts == 5).all()


def test_map_truth_to_windows(tmp_path):
    (tmp_path / "truth.tsv").write_text(
        "chrom\tstart\tend\tstrand\tmotif\n"
        "chr1\t105\t115\t+\tA\n"  # inside window 0
        "chr1\t95\t105\t-\tB\n"  # straddles the start: excluded
        "chr1\t115\t125\t-\tC\n"  # straddles the end: excluded
        "chr2\t100\t110\t+\tD\n"  # other chromosome, inside window 1
    )
    (tmp_path / "regions.tsv").write_text(
        "split\tindex\tchrom\tstart\tend\tlabel\tname\n"
        "train\t0\tchr1\t100\t120\t1\tp0\n"
        "test\t3\tchr2\t90\t110\t0\tn0\n"
    )
    mapped = map_truth_to_windows(tmp_path / "truth.tsv", tmp_path / "regions.tsv")
    assert mapped.to_dict("records") == [
        {"split": "test", "index": 3, "motif": "D", "start": 10, "end": 20, "strand": "+"},
        {"split": "train", "index": 0, "motif": "A", "start": 5, "end": 15, "strand": "+"},
    ]

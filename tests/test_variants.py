"""Tests for evoaugflow.variants: readers, windows, scoring and CAGI correlations."""

import gzip
import math

import h5py
import numpy as np
import pandas as pd
import pytest
import torch

from evoaugflow import variants
from evoaugflow.augment import Augmenter
from evoaugflow.io import atomic_path, write_text_atomic
from evoaugflow.models import get_model
from evoaugflow.train import predict

BASES = "ACGT"


def one_hot(text):
    """(4, L) float32 one-hot of a DNA string, N as a zero column."""
    codes = np.array([BASES.find(base) for base in text])
    return (codes[None, :] == np.arange(4)[:, None]).astype(np.float32)


@pytest.fixture
def genome(tmp_path):
    """A FASTA with chr1 (400 nt, seeded random, soft-masked stretch) and chr2 (50 nt)."""
    rng = np.random.default_rng(7)
    chr1 = "".join(rng.choice(list(BASES), size=400))
    chr1 = chr1[:100] + chr1[100:120].lower() + chr1[120:]
    chr2 = "".join(rng.choice(list(BASES), size=50))
    path = tmp_path / "genome.fa"
    write_text_atomic(path, f">chr1\n{chr1}\n>chr2 second record\n{chr2}\n")
    return path, {"chr1": chr1.upper(), "chr2": chr2}


class BaseCounts(torch.nn.Module):
    """Output t = sum over positions of weight[t, base] + bias[t] (linear in base counts)."""

    def __init__(self, weight, bias):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.tensor(weight, dtype=torch.float32))
        self.bias = torch.nn.Parameter(torch.tensor(bias, dtype=torch.float32))

    def forward(self, x):
        return torch.einsum("nbl,tb->nt", x, self.weight) + self.bias


class KmerAndC(torch.nn.Module):
    """Task 0: 1 if the 3-mer GAT occurs anywhere, else 0; task 1: 2 x the number of C."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv1d(4, 1, 3)
        with torch.no_grad():
            self.conv.weight.zero_()
            for offset, base in enumerate("GAT"):
                self.conv.weight[0, BASES.index(base), offset] = 1.0
            self.conv.bias.fill_(-2.0)

    def forward(self, x):
        kmer = torch.relu(self.conv(x)).amax(dim=-1)
        return torch.cat([kmer, 2.0 * x[:, 1].sum(dim=-1, keepdim=True)], dim=1)


class SeededPad:
    """The documented evaluation padding: insert_max random bases at the 3' end, drawn
    from a fresh generator seeded with pad_seed at every call (deterministic)."""

    def __init__(self, insert_max, pad_seed=0, fresh=True):
        self.insert_max, self.pad_seed, self.fresh = insert_max, pad_seed, fresh
        self.generator = torch.Generator().manual_seed(pad_seed)

    def pad(self, x):
        generator = torch.Generator().manual_seed(self.pad_seed) if self.fresh else self.generator
        codes = torch.randint(0, 4, (x.shape[0], self.insert_max), generator=generator)
        flank = torch.nn.functional.one_hot(codes, 4).permute(0, 2, 1).to(x.dtype)
        return torch.cat([x, flank], dim=2)


# ------------------------------------------------------------------------------ windows


def test_variant_index_matches_published_file():
    assert variants.variant_index(3072) == 1535
    assert variants.variant_index(600) == 299
    assert variants.variant_index(201) == 100
    # the published central 600 columns start at 1236
    assert variants.variant_index(3072) - variants.variant_index(600) == 1236
    with pytest.raises(ValueError, match="length"):
        variants.variant_index(0)


@pytest.mark.parametrize("length", [20, 21])
def test_windows_are_centred_on_the_variant(genome, length):
    path, seqs = genome
    positions = np.array([60, 111, 250])  # 111 lies in the soft-masked stretch
    refs = [seqs["chr1"][p - 1] for p in positions]
    alts = [BASES[(BASES.index(r) + 1) % 4] for r in refs]
    ref_x, alt_x, status = variants.variant_windows(
        path, ["chr1"] * 3, positions, refs, alts, length=length
    )
    center = (length - 1) // 2
    assert ref_x.shape == alt_x.shape == (3, 4, length) and ref_x.dtype == np.float32
    assert list(status) == ["ok"] * 3
    for i, p in enumerate(positions):
        start = p - 1 - center
        np.testing.assert_array_equal(ref_x[i], one_hot(seqs["chr1"][start : start + length]))
        changed = np.flatnonzero((ref_x[i] != alt_x[i]).any(axis=0))
        assert list(changed) == [center]
        np.testing.assert_array_equal(alt_x[i][:, center], one_hot(alts[i])[:, 0])


def test_windows_off_chromosome_ends_are_padded_with_n(genome):
    path, seqs = genome
    chr2 = seqs["chr2"]
    pos = np.array([1, 50, 51])
    refs = [chr2[0], chr2[49], "A"]
    alts = ["C" if r != "C" else "G" for r in refs]
    ref_x, alt_x, status = variants.variant_windows(path, ["chr2"] * 3, pos, refs, alts, length=20)
    assert list(status) == ["edge_padded", "edge_padded", "out_of_range"]
    # pos 1: window starts 9 before the chromosome -> 9 zero columns, then chr2[0:11]
    assert ref_x[0][:, :9].sum() == 0
    np.testing.assert_array_equal(ref_x[0][:, 9:], one_hot(chr2[:11]))
    # pos 50: window covers chr2[40:60] -> chr2[40:50], then 10 zero columns
    np.testing.assert_array_equal(ref_x[1][:, :10], one_hot(chr2[40:]))
    assert ref_x[1][:, 10:].sum() == 0
    assert ref_x[2].sum() == 0 and alt_x[2].sum() == 0


def test_chromosome_names_with_and_without_chr_prefix(genome, tmp_path):
    path, seqs = genome
    ref = seqs["chr1"][199]
    alt = "A" if ref != "A" else "T"
    with_prefix = variants.variant_windows(path, ["chr1"], [200], [ref], [alt], length=11)
    bare = variants.variant_windows(path, ["1"], [200], [ref], [alt], length=11)
    np.testing.assert_array_equal(with_prefix[0], bare[0])
    bare_fasta = tmp_path / "bare.fa"
    write_text_atomic(bare_fasta, f">1\n{seqs['chr1']}\n")
    from_bare = variants.variant_windows(bare_fasta, ["chr1"], [200], [ref], [alt], length=11)
    np.testing.assert_array_equal(with_prefix[0], from_bare[0])
    _, _, status = variants.variant_windows(
        path, ["chr1", "chr9"], [200, 5], [ref, "A"], [alt, "C"], length=11
    )
    assert list(status) == ["ok", "chrom_missing"]
    with pytest.raises(ValueError, match="none of the chromosomes"):
        variants.variant_windows(path, ["chr9"], [5], ["A"], ["C"], length=11)


def test_reference_mismatch_is_flagged_and_wrong_build_raises(genome):
    path, seqs = genome
    pos = np.arange(100, 140, 10)
    refs = [seqs["chr1"][p - 1] for p in pos]
    wrong = [BASES[(BASES.index(r) + 1) % 4] for r in refs]
    alts = [BASES[(BASES.index(r) + 2) % 4] for r in refs]
    with pytest.warns(UserWarning, match="1 of 4 reference alleles"):
        _, _, status = variants.variant_windows(
            path, ["chr1"] * 4, pos, [wrong[0]] + refs[1:], alts, length=15
        )
    assert list(status) == ["ref_mismatch", "ok", "ok", "ok"]
    with pytest.raises(ValueError, match="genome build is probably wrong"):
        variants.variant_windows(path, ["chr1"] * 4, pos, wrong[:3] + refs[3:], alts, length=15)


@pytest.mark.parametrize(
    ("ref", "alt", "message"),
    [("N", "A", r"ref\[0\]"), ("A", "AT", r"alt\[0\]"), ("A", "a", "ref == alt")],
)
def test_windows_reject_bad_alleles(genome, ref, alt, message):
    with pytest.raises(ValueError, match=message):
        variants.variant_windows(genome[0], ["chr1"], [10], [ref], [alt], length=11)


# ------------------------------------------------------------------------------ scoring


def test_binary_effect_is_log_ratio_of_task_means(device):
    model = BaseCounts([[0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.5, 0.0]], [-1.0, -2.0])
    ref = one_hot("AAAAAAAAAA")[None]
    alt = one_hot("AAAAGAAAAA")[None]
    table = variants.score_variant_effects(
        model, ref, alt, "binary", batch_size=1, device=device, per_output=True
    )

    def sigmoid(z):
        return 1.0 / (1.0 + math.exp(-z))

    p_ref = [sigmoid(-1.0), sigmoid(-2.0)]  # G count 0
    p_alt = [sigmoid(0.0), sigmoid(-1.5)]  # G count 1
    assert table["pred_ref"][0] == pytest.approx(np.mean(p_ref), rel=1e-6)
    assert table["pred_alt"][0] == pytest.approx(np.mean(p_alt), rel=1e-6)
    assert table["effect"][0] == pytest.approx(math.log(np.mean(p_alt) / np.mean(p_ref)), rel=1e-5)
    assert table["effect_0"][0] == pytest.approx(math.log(p_alt[0] / p_ref[0]), rel=1e-5)
    assert table["effect_1"][0] == pytest.approx(math.log(p_alt[1] / p_ref[1]), rel=1e-5)


def test_binary_effect_guards_zero_probabilities():
    # logit -200 + 200 * (number of G): p_ref underflows to 0 in float32, p_alt is 0.5
    model = BaseCounts([[0.0, 0.0, 200.0, 0.0]], [-200.0])
    ref = np.stack([one_hot("AAAAA"), one_hot("AAAAA")])
    alt = np.stack([one_hot("AAGAA"), one_hot("AACAA")])
    effect = variants.score_variant_effects(model, ref, alt, "binary", epsilon=1e-7)["effect"]
    assert np.isfinite(effect).all()
    assert effect[0] == pytest.approx(math.log(0.5 / 1e-7))
    assert effect[1] == 0.0  # both probabilities floored to epsilon


def test_regression_effect_is_alt_minus_ref_with_kmer_model(device):
    ref = np.stack([one_hot("AAAGCTAAA"), one_hot("AAAGATAAA"), one_hot("TTTTATTTT")])
    alt = np.stack([one_hot("AAAGATAAA"), one_hot("AAAGCTAAA"), one_hot("TTTTGTTTT")])
    table = variants.score_variant_effects(
        KmerAndC(), ref, alt, "regression", batch_size=2, device=device, per_output=True
    )
    # creating GAT (+1) while losing a C (-2); destroying GAT (-1) while gaining a C (+2);
    # a neutral change
    np.testing.assert_array_equal(table["effect_0"], [1.0, -1.0, 0.0])
    np.testing.assert_array_equal(table["effect_1"], [-2.0, 2.0, 0.0])
    np.testing.assert_array_equal(table["effect"], [-0.5, 0.5, 0.0])
    np.testing.assert_array_equal(table["pred_ref"], [1.0, 0.5, 0.0])


def test_insertion_padding_is_identical_for_ref_and_alt():
    rng = np.random.default_rng(3)
    codes = rng.integers(0, 4, size=(6, 30))
    ref = np.eye(4, dtype=np.float32)[codes].transpose(0, 2, 1)
    alt = ref.copy()
    alt[:, :, 14] = np.roll(ref[:, :, 14], 1, axis=1)
    model = BaseCounts([[0.3, -1.0, 2.0, 0.7]], [0.1])
    plain = variants.score_variant_effects(model, ref, alt, "regression")
    padded = variants.score_variant_effects(
        model, ref, alt, "regression", augmenter=SeededPad(20), batch_size=4
    )
    # identical flanks cancel in alt - ref; the predictions themselves do change
    np.testing.assert_allclose(padded["effect"], plain["effect"], atol=1e-5)
    assert not np.allclose(padded["pred_ref"], plain["pred_ref"])
    with pytest.raises(ValueError, match="different padding"):
        variants.score_variant_effects(
            model, ref, alt, "regression", augmenter=SeededPad(20, fresh=False)
        )


def test_real_augmenter_padding_is_identical_for_ref_and_alt():
    augmenter = Augmenter.from_config(
        {
            "augmentations": {"insertion": {"insert_min": 0, "insert_max": 12}},
            "max_augs_per_seq": 1,
            "pad_seed": 5,
        }
    )
    rng = np.random.default_rng(4)
    ref = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(5, 25))].transpose(0, 2, 1)
    alt = ref.copy()
    alt[:, :, 12] = np.roll(ref[:, :, 12], 2, axis=1)
    model = BaseCounts([[0.3, -1.0, 2.0, 0.7]], [0.1])
    plain = variants.score_variant_effects(model, ref, alt, "regression")
    padded = variants.score_variant_effects(model, ref, alt, "regression", augmenter=augmenter)
    np.testing.assert_allclose(padded["effect"], plain["effect"], atol=1e-5)


def test_scoring_rejects_bad_arguments():
    model = BaseCounts([[1.0, 0.0, 0.0, 0.0]], [0.0])
    x = one_hot("ACGTA")[None]
    with pytest.raises(ValueError, match="task="):
        variants.score_variant_effects(model, x, x, "multiclass")
    with pytest.raises(ValueError, match="same shape"):
        variants.score_variant_effects(model, x, x[:, :, :4], "binary")
    with pytest.raises(ValueError, match="batch_size"):
        variants.score_variant_effects(model, x, x, "binary", batch_size=0)


def test_cagi_correlations_per_element_and_mean():
    measured = np.array([1.0, 2.0, 3.0, 4.0])
    df = pd.DataFrame(
        {
            "element": ["up"] * 4 + ["down"] * 4 + ["tiny"] * 2 + ["up"],
            "value": np.concatenate([measured, measured, [1.0, 2.0], [9.0]]),
            "effect": np.concatenate([2 * measured, -(measured**3), [1.0, 2.0], [np.nan]]),
            "status": ["ok"] * 10 + ["ref_mismatch"],
        }
    )
    table = variants.cagi_correlations(df).set_index("element")
    assert list(table.index) == ["up", "down", "tiny", "mean"]
    assert table.loc["up", "pearson"] == pytest.approx(1.0)
    assert table.loc["up", ["n_variants", "n_scored", "n_ref_mismatch"]].tolist() == [5, 4, 1]
    assert table.loc["down", "spearman"] == pytest.approx(-1.0)
    assert -1.0 < table.loc["down", "pearson"] < -0.9
    assert np.isnan(table.loc["tiny", "pearson"])  # 2 variants: undefined
    expected_mean = (1.0 + table.loc["down", "pearson"]) / 2
    assert table.loc["mean", "pearson"] == pytest.approx(expected_mean)
    assert table.loc["mean", "n_variants"] == 11


def test_cagi_correlations_agree_with_scipy_with_ties():
    import scipy.stats

    rng = np.random.default_rng(5)
    measured = np.round(rng.normal(size=300), 1)  # many ties, as measured effects have
    predicted = np.round(measured + rng.normal(size=300), 2)
    df = pd.DataFrame({"element": "E", "value": measured, "effect": predicted})
    table = variants.cagi_correlations(df).set_index("element")
    assert table.loc["E", "pearson"] == pytest.approx(
        scipy.stats.pearsonr(predicted, measured)[0], abs=1e-12
    )
    assert table.loc["E", "spearman"] == pytest.approx(
        scipy.stats.spearmanr(predicted, measured)[0], abs=1e-12
    )


# ------------------------------------------------------------------------------ readers

CAGI_HEADER = (
    "## CAGI5 regulation saturation mutagenesis, element F9\n"
    "## genome build hg19 / GRCh37\n"
    "## Value: log2 variant effect on expression\n"
    "## Confidence: between 0 and 1\n"
    "##\n"
    "##\n"
    "#Chrom\tPos\tRef\tAlt\tValue\tConfidence\n"
)


def test_read_cagi_tsv_challenge_layout(tmp_path):
    path = tmp_path / "release_F9.tsv"
    write_text_atomic(
        path, CAGI_HEADER + "X\t138612622\tA\tT\t0.12\t0.03\nchrX\t138612623\tc\tg\t-1.5\t0.9\n"
    )
    table = variants.read_cagi_tsv(path)
    assert list(table.columns) == list(variants.CAGI_COLUMNS)
    assert table["element"].tolist() == ["F9", "F9"]
    assert table["chrom"].tolist() == ["X", "chrX"]
    assert table["pos"].tolist() == [138612622, 138612623] and table["pos"].dtype == np.int64
    assert table["ref"].tolist() == ["A", "C"] and table["alt"].tolist() == ["T", "G"]
    np.testing.assert_allclose(table["value"], [0.12, -1.5])
    np.testing.assert_allclose(table["confidence"], [0.03, 0.9])
    assert variants.read_cagi_tsv(path, element="custom")["element"].iloc[0] == "custom"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("X\t100\tA\tT\t0.5", "line 9: 5 tab-separated fields"),
        ("X\tabc\tA\tT\t0.5\t0.1", "line 9: column 'pos'"),
        ("X\t100\tA\tTT\t0.5\t0.1", "line 9: column 'alt'"),
        ("X\t100\tA\tT\tstrong\t0.1", "line 9: column 'value'"),
    ],
)
def test_read_cagi_tsv_malformed_row_names_the_line(tmp_path, row, message):
    path = tmp_path / "F9.tsv"
    write_text_atomic(path, CAGI_HEADER + "X\t99\tA\tC\t0.1\t0.2\n" + row + "\n")
    with pytest.raises(ValueError, match=message) as error:
        variants.read_cagi_tsv(path)
    assert str(path) in str(error.value)


def test_read_cagi_tsv_missing_column(tmp_path):
    path = tmp_path / "F9.tsv"
    write_text_atomic(path, "#Chrom\tPos\tRef\tAlt\n1\t5\tA\tC\n")
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['value'\]"):
        variants.read_cagi_tsv(path)


def test_read_cagi_elements_resolves_files(tmp_path):
    write_text_atomic(tmp_path / "tables" / "E1.tsv", CAGI_HEADER)
    index = tmp_path / "elements.tsv"
    write_text_atomic(index, "element\tchrom\tstart\tend\tfile\nE1\tchr1\t10\t90\ttables/E1.tsv\n")
    elements = variants.read_cagi_elements(index)
    assert elements.loc[0, "file"] == str((tmp_path / "tables" / "E1.tsv").resolve())
    assert elements.loc[0, ["start", "end"]].tolist() == [10, 90]
    write_text_atomic(index, "element\tchrom\tstart\tend\tfile\nE1\tchr1\t10\t90\tnone.tsv\n")
    with pytest.raises(ValueError, match="does not exist"):
        variants.read_cagi_elements(index)


VCF_TEXT = (
    "##fileformat=VCFv4.2\n"
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
    "chr1\t50\trs1\tA\tG\t.\tPASS\t.\n"
    "chr1\t60\trs2\tC\tT,G\t.\tPASS\t.\n"
    "chr1\t70\trs3\tG\tGTT,A\t.\tPASS\t.\n"
    "chr1\t80\trs4\tAC\tGT\t.\tPASS\t.\n"
    "chr1\t90\trs5\tT\t<DEL>\t.\tPASS\t.\n"
    "chr1\t95\trs6\tt\t*,c\t.\tPASS\t.\n"
    "chr2\t10\trs7\tG\tA\t.\tPASS\t.\n"
)


@pytest.mark.parametrize("compressed", [False, True])
def test_read_vcf_splits_and_counts(tmp_path, compressed):
    path = tmp_path / ("calls.vcf.gz" if compressed else "calls.vcf")
    with atomic_path(path) as tmp:
        if compressed:
            with gzip.open(tmp, "wt") as handle:
                handle.write(VCF_TEXT)
        else:
            tmp.write_text(VCF_TEXT)
    table, counts = variants.read_vcf(path)
    assert table["id"].tolist() == ["rs1", "rs2", "rs2", "rs3", "rs6", "rs7"]
    assert table["alt"].tolist() == ["G", "T", "G", "A", "C", "A"]
    assert table["ref"].tolist()[4] == "T"
    assert counts == {"snv": 6, "mnv": 1, "indel": 1, "symbolic": 1, "other": 1}


def test_read_vcf_malformed_position(tmp_path):
    path = tmp_path / "bad.vcf"
    write_text_atomic(path, "#CHROM\tPOS\tID\tREF\tALT\nchr1\t0\t.\tA\tC\n")
    with pytest.raises(ValueError, match="line 2: POS"):
        variants.read_vcf(path)


# ------------------------------------------------------------------------------ CAGI_onehot


def test_load_cagi_onehot_central_window(tmp_path):
    rng = np.random.default_rng(11)
    n_rows, file_length = 4, 3072
    codes = rng.integers(0, 4, size=(n_rows, file_length))
    ref = np.eye(4, dtype=np.float16)[codes]  # (N, 3072, 4) as published
    alt = ref.copy()
    alt[:3, 1535] = np.roll(ref[:3, 1535], 1, axis=1)
    alt[2, 10] = np.roll(ref[2, 10], 1)  # an extra difference outside the window
    path = tmp_path / "CAGI_onehot.h5"
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as handle:
        handle["ref"], handle["alt"] = ref, alt
    metadata = tmp_path / "meta.tsv"
    write_text_atomic(
        metadata, "element\tvalue\tpos\n" + "".join(f"E\t{i}\t{i}\n" for i in range(4))
    )
    with pytest.warns(UserWarning, match="2 of 4"):
        ref_x, alt_x, meta = variants.load_cagi_onehot(path, metadata, length=600)
    assert ref_x.shape == alt_x.shape == (4, 4, 600) and ref_x.dtype == np.float32
    np.testing.assert_array_equal(ref_x, ref[:, 1236:1836].transpose(0, 2, 1))
    np.testing.assert_array_equal(alt_x, alt[:, 1236:1836].transpose(0, 2, 1))
    diff = (ref_x != alt_x).any(axis=1)
    assert diff[:3, 299].all() and diff.sum() == 3
    assert meta["status"].tolist() == ["ok", "ok", "differs_elsewhere", "no_difference"]
    assert meta["pos"].tolist() == [0, 1, 2, 3]
    write_text_atomic(metadata, "element\tvalue\nE\t1\n")
    with pytest.raises(ValueError, match="1 rows"):
        variants.load_cagi_onehot(path, metadata)


# ------------------------------------------------------------------------------ end to end


def test_score_cagi_end_to_end(genome, tmp_path):
    path, seqs = genome
    weight = np.array([0.5, -1.0, 2.0, 0.25])
    model = BaseCounts([weight.tolist()], [0.0])
    for element, start in (("E1", 150), ("E2", 300)):
        lines = []
        for offset, pos in enumerate(range(start, start + 8)):
            ref = seqs["chr1"][pos - 1]
            alt = BASES[(BASES.index(ref) + 1 + offset % 3) % 4]
            value = 3.0 * (weight[BASES.index(alt)] - weight[BASES.index(ref)]) + 1.0
            if element == "E2" and offset == 0:  # a reference allele the genome lacks
                ref, alt = alt, BASES[(BASES.index(ref) + 2) % 4]
            lines.append(f"1\t{pos}\t{ref}\t{alt}\t{value}\t0.5\n")
        write_text_atomic(tmp_path / f"{element}.tsv", CAGI_HEADER + "".join(lines))
    index = tmp_path / "elements.tsv"
    write_text_atomic(
        index,
        "element\tchrom\tstart\tend\tfile\nE1\tchr1\t149\t157\tE1.tsv\nE2\tchr1\t299\t307\tE2.tsv\n",
    )
    with pytest.warns(UserWarning, match="1 of 16"):
        scored, per_element = variants.score_cagi(model, None, "regression", index, path, length=31)
    assert len(scored) == 16
    assert scored["status"].tolist().count("ref_mismatch") == 1
    assert np.isnan(scored.loc[scored["status"] == "ref_mismatch", "effect"]).all()
    ok = scored["status"] == "ok"
    np.testing.assert_allclose(
        scored.loc[ok, "effect"], (scored.loc[ok, "value"] - 1.0) / 3.0, atol=1e-5
    )
    per_element = per_element.set_index("element")
    assert per_element.loc["E1", "pearson"] == pytest.approx(1.0)
    assert per_element.loc["E2", "n_scored"] == 7
    assert per_element.loc["E2", "n_ref_mismatch"] == 1
    assert per_element.loc["mean", "pearson"] == pytest.approx(1.0)
    with pytest.warns(UserWarning):
        from_frame, _ = variants.score_cagi(
            model, None, "regression", scored[list(variants.CAGI_COLUMNS)], path, length=31
        )
    pd.testing.assert_series_equal(from_frame["effect"], scored["effect"])


def test_score_vcf_counts_skipped(genome, tmp_path):
    path, seqs = genome
    a, b = seqs["chr1"][49], seqs["chr1"][59]
    text = (
        "#CHROM\tPOS\tID\tREF\tALT\n"
        f"chr1\t50\tv1\t{a}\t{'G' if a != 'G' else 'A'}\n"
        f"chr1\t60\tv2\t{b}\t{b}T\n"
        "chr7\t5\tv3\tA\tC\n"
        "chr1\t500\tv4\tA\tC\n"
    )
    vcf = tmp_path / "calls.vcf"
    write_text_atomic(vcf, text)
    model = BaseCounts([[0.0, 0.0, 1.0, 0.0]], [0.0])
    effects, skipped = variants.score_vcf(model, None, "regression", vcf, path, length=21)
    assert effects["status"].tolist() == ["ok", "chrom_missing", "out_of_range"]
    expected = 1.0 if a != "G" else -1.0
    assert effects["effect"][0] == pytest.approx(expected)
    assert effects["effect"][1:].isna().all()
    assert skipped == {
        "mnv": 0,
        "indel": 1,
        "symbolic": 0,
        "other": 0,
        "chrom_missing": 1,
        "out_of_range": 1,
        "ref_mismatch": 0,
    }


def test_paper_model_with_insertion_padding_matches_train_predict():
    augmenter = Augmenter.from_config(
        {
            "augmentations": {"insertion": {"insert_min": 0, "insert_max": 12}},
            "max_augs_per_seq": 1,
            "pad_seed": 2,
        }
    )
    torch.manual_seed(0)
    model = get_model("chip", input_length=212, n_tasks=2, conv_channels=[8, 8, 8], fc_units=[16])
    rng = np.random.default_rng(5)
    ref = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(7, 200))].transpose(0, 2, 1)
    alt = ref.copy()
    alt[:, :, 99] = np.roll(ref[:, :, 99], 1, axis=1)
    table = variants.score_variant_effects(model, ref, alt, "binary", augmenter, batch_size=3)
    p_ref = predict(model, ref, augmenter=augmenter, device="cpu").mean(axis=1)
    p_alt = predict(model, alt, augmenter=augmenter, device="cpu").mean(axis=1)
    np.testing.assert_allclose(table["pred_ref"], p_ref, rtol=1e-5)
    np.testing.assert_allclose(table["effect"], np.log(p_alt / p_ref), rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="pass the augmenter"):
        variants.score_variant_effects(model, ref, alt, "binary")


class TruthAsLogits(torch.nn.Module):
    """The synthetic Basset truth function as a model: logits whose sigmoid is its
    probabilities (numpy inside; for tests only)."""

    def __init__(self, motifs, n_tasks):
        super().__init__()
        self.motifs, self.n_tasks = motifs, n_tasks

    def forward(self, x):
        from evoaugflow.synthetic import basset_truth_function, codes_from_one_hot

        codes = codes_from_one_hot(x.cpu().numpy())
        p = np.clip(basset_truth_function(codes, self.motifs, self.n_tasks), 1e-12, 1 - 1e-12)
        return torch.as_tensor(np.log(p / (1 - p)), dtype=torch.float32)


def test_score_cagi_recovers_synthetic_truth(tmp_path):
    from evoaugflow.synthetic import DEFAULT_PANEL, load_panel, make_cagi_benchmark

    # an odd window, where the synthetic writer's centre (window // 2) and ours agree;
    # 301 nt windows run off both ends of the 300 nt contigs
    written = make_cagi_benchmark(
        tmp_path, n_elements=2, element_length=100, flank=100, window=301, n_tasks=4, seed=1
    )
    model = TruthAsLogits(load_panel(DEFAULT_PANEL), 4)
    scored, per_element = variants.score_cagi(
        model, None, "binary", written["elements"], written["genome"], length=301
    )
    assert len(scored) == sum(written["variants"].values())
    assert set(scored["status"]) == {"edge_padded"}
    np.testing.assert_allclose(scored["effect"], scored["value"], atol=1e-5)
    assert (per_element["pearson"] > 0.9999).all()

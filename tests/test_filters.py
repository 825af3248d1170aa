"""Tests of evoaugflow.filters: activation-based alignment of first-layer filters."""

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from evoaugflow.filters import filter_motifs, filter_table, write_filter_motifs
from evoaugflow.meme import read_meme

# A sharp width-12 motif: consensus ATGCAGTCGGAC, 0.94 on the consensus base, 0.02 elsewhere.
# Half its best score allows two mismatches, so ~97% of sampled sites count as sites and a
# random window almost never does (P(<= 2 mismatches) ~ 3e-5 per window).
PLANTED_CONSENSUS = np.array([0, 3, 2, 1, 0, 2, 3, 1, 2, 2, 0, 1])
PLANTED_PPM = np.full((12, 4), 0.02)
PLANTED_PPM[np.arange(12), PLANTED_CONSENSUS] = 0.94


class FilterNet(nn.Module):
    """First layer = conv (+ ReLU) with given weights; the interface of evoaugflow.models."""

    def __init__(self, weights: np.ndarray, padding="same", bias=None):
        super().__init__()
        n_filters, _, width = weights.shape
        self.first_conv = nn.Conv1d(4, n_filters, width, padding=padding, bias=bias is not None)
        with torch.no_grad():
            self.first_conv.weight.copy_(torch.as_tensor(weights, dtype=torch.float32))
            if bias is not None:
                self.first_conv.bias.copy_(torch.as_tensor(bias, dtype=torch.float32))

    def first_layer(self, x):
        return torch.relu(self.first_conv(x))

    def forward(self, x):
        return self.first_layer(x).amax(dim=2)


def log_odds(ppm: np.ndarray) -> np.ndarray:
    """(w, 4) probabilities to (4, w) conv weights: log2(p / 0.25)."""
    return np.log2(ppm / 0.25).T


def one_hot(bases: np.ndarray) -> torch.Tensor:
    """(N, L) integer bases 0..3 to (N, 4, L) float32 one-hot."""
    return torch.as_tensor(np.eye(4, dtype=np.float32)[bases].transpose(0, 2, 1).copy())


def plant(n_seq, length, n_planted, ppm, rng, margin=10):
    """Random DNA with one motif instance, sampled from ``ppm``, in the first n_planted."""
    bases = rng.integers(0, 4, size=(n_seq, length))
    width = ppm.shape[0]
    starts = rng.integers(margin, length - width - margin, size=n_planted)
    sites = np.stack([[rng.choice(4, p=row) for row in ppm] for _ in range(n_planted)])
    for seq, (start, site) in enumerate(zip(starts, sites, strict=True)):
        bases[seq, start : start + width] = site
    return bases, starts, sites


def brute_force(model, x, threshold):
    """Loop-based reference: windows where activation > threshold * max, averaged."""
    conv = model.first_conv
    width = conv.kernel_size[0]
    if conv.padding == "same":
        left = (width - 1) // 2
    elif conv.padding == "valid":
        left = 0
    else:
        left = conv.padding[0]
    with torch.no_grad():
        act = model.first_layer(x).numpy()
    xs = x.numpy()
    length = xs.shape[2]
    cutoff = threshold * act.max(axis=(0, 2))
    sums = np.zeros((act.shape[1], width, 4))
    counts = np.zeros(act.shape[1], dtype=int)
    for seq in range(act.shape[0]):
        for filt in range(act.shape[1]):
            for j in range(act.shape[2]):
                start = j - left
                if act[seq, filt, j] > cutoff[filt] and 0 <= start and start + width <= length:
                    sums[filt] += xs[seq, :, start : start + width].T
                    counts[filt] += 1
    return sums, counts


@pytest.mark.parametrize("width, padding", [(7, "same"), (6, "same"), (5, 2), (5, "valid")])
def test_matches_loop_reference_for_every_padding(width, padding):
    rng = np.random.default_rng(width)
    weights = rng.normal(size=(5, 4, width))
    model = FilterNet(weights, padding=padding, bias=rng.normal(size=5))
    x = one_hot(rng.integers(0, 4, size=(12, 40)))
    motifs, counts = filter_motifs(model, x, threshold=0.6, batch_size=5, device="cpu")
    sums, expected_counts = brute_force(model, x, 0.6)
    np.testing.assert_array_equal(counts, expected_counts)
    assert [m.id for m in motifs] == [f"filter{i}" for i in np.flatnonzero(expected_counts)]
    for motif in motifs:
        index = int(motif.id.removeprefix("filter"))
        assert motif.nsites == expected_counts[index]
        assert motif.pfm.shape == (width, 4)
        np.testing.assert_allclose(motif.pfm, sums[index] / expected_counts[index], atol=1e-6)


def test_recovers_planted_motif(device):
    rng = np.random.default_rng(0)
    n_planted = 60
    bases, _, sites = plant(200, 100, n_planted, PLANTED_PPM, rng)
    # On the CPU, as load_model returns it: filter_motifs runs it on `device`, then puts
    # it back (a CPU model with CUDA inputs failed on a GPU machine before).
    model = FilterNet(log_odds(PLANTED_PPM)[None])
    motifs, counts = filter_motifs(model, one_hot(bases), batch_size=64, device=device)
    assert {p.device.type for p in model.parameters()} == {"cpu"}
    (motif,) = motifs
    # Sharp sampled sites score well above half the best one; background windows rarely.
    assert 0.9 * n_planted <= motif.nsites <= n_planted + 2
    assert counts.tolist() == [motif.nsites]
    assert np.abs(motif.pfm - PLANTED_PPM).max() < 0.15
    empirical = np.eye(4)[sites].mean(axis=0)  # PPM of the planted instances themselves
    assert np.abs(motif.pfm - empirical).max() < 0.1
    assert np.corrcoef(motif.pfm.ravel(), PLANTED_PPM.ravel())[0, 1] > 0.95


def test_drops_windows_in_padding_and_keeps_exact_sites():
    consensus = PLANTED_CONSENSUS
    rng = np.random.default_rng(1)
    bases = rng.integers(0, 4, size=(6, 40))
    # Sequences 0-2: consensus at 15 (a full site). Sequence 3: the motif's last 10 bases
    # at the very start, so a high-scoring window would start 2 columns into the padding.
    bases[:3, 15:27] = consensus
    bases[3, :10] = consensus[2:]
    model = FilterNet(log_odds(PLANTED_PPM)[None], padding="same")
    x = one_hot(bases)
    with torch.no_grad():
        act = model.first_layer(x)[:, 0]
    # The partial site does fire above half the maximum, in a window that starts at -2.
    left = (PLANTED_PPM.shape[0] - 1) // 2
    assert act[3, -2 + left] > 0.5 * act.max()
    motifs, counts = filter_motifs(model, x, device="cpu")
    assert counts.tolist() == [3]
    np.testing.assert_array_equal(motifs[0].pfm, np.eye(4)[consensus])


def test_no_site_filters_are_listed_not_dropped(tmp_path):
    rng = np.random.default_rng(2)
    bases, _, _ = plant(50, 60, 20, PLANTED_PPM, rng)
    dead = -np.ones((4, 12))  # every window scores -12: ReLU output is always 0
    model = FilterNet(np.stack([dead, log_odds(PLANTED_PPM), dead]))
    motifs, counts = filter_motifs(model, one_hot(bases), device="cpu")
    assert counts[0] == 0 and counts[2] == 0 and counts[1] > 0
    assert [m.id for m in motifs] == ["filter1"]

    table = filter_table(counts)
    assert table["motif_id"].tolist() == ["filter0", "filter1", "filter2"]
    assert table["in_meme"].tolist() == [False, True, False]

    meme_path, table_path = tmp_path / "filters.meme", tmp_path / "filters.tsv"
    write_filter_motifs(meme_path, table_path, motifs, counts)
    written = read_meme(meme_path)
    assert [m.id for m in written] == ["filter1"]
    assert written[0].nsites == counts[1]
    np.testing.assert_allclose(written[0].pfm, motifs[0].pfm, atol=1e-5)
    read_back = pd.read_csv(table_path, sep="\t")
    assert read_back["nsites"].tolist() == counts.tolist()

    with pytest.raises(ValueError, match="no filter has a site"):
        write_filter_motifs(meme_path, table_path, [], np.zeros(3, dtype=int))


def test_batch_size_and_padding_by_augmenter_do_not_change_results():
    from evoaugflow.augment import Augmenter, RandomInsertion

    rng = np.random.default_rng(3)
    model = FilterNet(rng.normal(size=(4, 4, 9)), bias=rng.normal(size=4))
    x = one_hot(rng.integers(0, 4, size=(30, 50)))
    first, counts_first = filter_motifs(model, x, batch_size=4, device="cpu")
    second, counts_second = filter_motifs(model, x, batch_size=1000, device="cpu")
    np.testing.assert_array_equal(counts_first, counts_second)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_allclose(a.pfm, b.pfm, atol=1e-6)

    augmenter = Augmenter([RandomInsertion(0, 10)], max_augs_per_seq=1)
    padded, counts_padded = filter_motifs(model, x, augmenter=augmenter, device="cpu")
    direct, counts_direct = filter_motifs(model, augmenter.pad(x), device="cpu")
    np.testing.assert_array_equal(counts_padded, counts_direct)


def test_bad_input_raises():
    model = FilterNet(np.ones((1, 4, 5)))
    x = one_hot(np.zeros((2, 20), dtype=int))
    with pytest.raises(ValueError, match="threshold"):
        filter_motifs(model, x, threshold=1.5)
    with pytest.raises(ValueError, match="x: shape"):
        filter_motifs(model, x[:, :3])
    with pytest.raises(ValueError, match="first_conv"):
        filter_motifs(nn.Linear(3, 3), x)
    strided = FilterNet(np.ones((1, 4, 5)), padding=0)
    strided.first_conv.stride = (2,)
    with pytest.raises(ValueError, match="stride"):
        filter_motifs(strided, x)


def test_real_model_with_batch_norm_matches_loop_reference(device):
    from evoaugflow.models import get_model

    torch.manual_seed(0)
    model = get_model("basset", 60, 3, conv_channels=(6, 8, 8), conv_widths=(19, 5, 3))
    with torch.no_grad():  # non-trivial batch-norm statistics
        model.first_conv.weight.normal_()
        bn = model.conv_blocks[0][1]
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
    x = one_hot(np.random.default_rng(7).integers(0, 4, size=(10, 60)))
    motifs, counts = filter_motifs(model.to(device), x, batch_size=3, device=device)
    assert model.training  # the model's mode is restored
    sums, expected = brute_force(model.cpu().eval(), x, 0.5)  # eval: running BN statistics
    np.testing.assert_array_equal(counts, expected)
    for motif in motifs:
        index = int(motif.id.removeprefix("filter"))
        np.testing.assert_allclose(motif.pfm, sums[index] / expected[index], atol=1e-6)


def test_extract_then_match_filters_of_a_saved_model(tmp_path):
    """The two rules' library calls, end to end on a trained model.pt."""
    from test_train import _write_h5, toy_data, toy_model

    from evoaugflow.filters import extract_filters, match_filters
    from evoaugflow.tomtom import TOMTOM_COLUMNS
    from evoaugflow.train import train_stage

    data = toy_data(n_train=120)
    _write_h5(tmp_path / "toy.h5", data)
    summary = train_stage(
        toy_model(), data, tmp_path / "run", task="binary", max_epochs=1, batch_size=40,
        device="cpu", verbose=False,
    )  # fmt: skip
    out = {name: tmp_path / name for name in ("f.meme", "f.tsv", "m.tsv", "s.tsv", "l.png")}
    extract_filters(summary["model_path"], tmp_path / "toy.h5", out["f.meme"], out["f.tsv"])
    table = pd.read_csv(out["f.tsv"], sep="\t")
    motifs = read_meme(out["f.meme"])
    assert len(table) == 16  # the toy model's first-layer filters
    assert [m.id for m in motifs] == table.loc[table["in_meme"], "motif_id"].tolist()
    run = {"dataset": "toy", "augset": "baseline", "stage": "stage1", "seed": 0}
    # The filters against themselves: every filter with sites has a match.
    row = match_filters(
        out["f.meme"], out["f.tsv"], out["f.meme"], out["m.tsv"], out["s.tsv"], out["l.png"], run
    )
    matches = pd.read_csv(out["m.tsv"], sep="\t")
    assert list(matches.columns) == list(TOMTOM_COLUMNS)
    assert set(matches["Query_ID"]) == {m.id for m in motifs}
    written = pd.read_csv(out["s.tsv"], sep="\t").iloc[0]
    assert written["n_filters"] == row["n_filters"] == 16 and written["dataset"] == "toy"
    assert np.isnan(written["planted_recovery"]) and out["l.png"].stat().st_size > 0


def test_planted_recovery_counts_same_factor_matrices_and_names_them(tmp_path):
    """Known answer: filters that are JASPAR matrices recover exactly their factors.

    Filter 0 is CTCF's extended matrix MA1930.1, not the planted MA0139.1: another
    matrix of the same factor counts. Filter 1 is SPI1's (JASPAR spells it Spi1), filter 2
    a near-flat matrix; GATA1 is planted but no filter has it, so 2 of 3 are recovered.
    """
    from evoaugflow.filters import match_filters
    from evoaugflow.jaspar import export_meme, fetch_motifs
    from evoaugflow.meme import Motif

    jaspar = tmp_path / "jaspar.meme"
    export_meme(jaspar)
    ctcf_long, spi1 = fetch_motifs(["MA1930.1", "SPI1"])
    flat = np.full((12, 4), 0.25) + np.random.default_rng(0).uniform(-0.02, 0.02, (12, 4))
    flat /= flat.sum(axis=1, keepdims=True)
    pfms = [ctcf_long.pfm, spi1.pfm, flat]
    motifs = [Motif(f"filter{i}", "", pfm, nsites=100) for i, pfm in enumerate(pfms)]
    meme, table = tmp_path / "f.meme", tmp_path / "f.tsv"
    write_filter_motifs(meme, table, motifs, np.array([100, 100, 100]))
    out = {name: tmp_path / name for name in ("m.tsv", "s.tsv", "l.png")}
    run = {"dataset": "synthetic", "augset": "baseline", "stage": "stage1", "seed": 0}
    row = match_filters(
        meme, table, jaspar, out["m.tsv"], out["s.tsv"], out["l.png"], run,
        planted=["CTCF", "GATA1", "SPI1"], causal=["GATA1", "SPI1"],
    )  # fmt: skip
    assert row["planted_recovered"] == "CTCF,Spi1"
    assert row["planted_recovery"] == pytest.approx(2 / 3)
    # Of the motifs the labels depend on (here GATA1 and SPI1), one is recovered.
    assert row["causal_recovered"] == "Spi1" and row["causal_recovery"] == 0.5
    written = pd.read_csv(out["s.tsv"], sep="\t").iloc[0]
    assert written["planted_recovered"] == "CTCF,Spi1" and written["causal_recovery"] == 0.5

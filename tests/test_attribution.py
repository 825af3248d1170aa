"""Tests of evoaugflow.attribution: GradientShap maps, AUROC against truth, logo figures."""

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from evoaugflow.attribution import (
    attribution_auroc,
    gradient_shap,
    plot_attribution_logos,
    plot_filter_logos,
    random_references,
    select_top_sequences,
)
from evoaugflow.augment import Augmenter, RandomInsertion
from evoaugflow.meme import Motif

# Consensus of the planted motif (A, C, G, T = 0..3) and its width.
MOTIF = np.array([2, 0, 3, 3, 1, 2, 0, 1, 3, 2])
WIDTH = len(MOTIF)


class MotifDetector(nn.Module):
    """One known filter (the motif's one-hot as weights), global max pool, linear output."""

    def __init__(self):
        super().__init__()
        self.first_conv = nn.Conv1d(4, 1, WIDTH, bias=True)
        self.linear = nn.Linear(1, 2)
        with torch.no_grad():
            # +1 for the consensus base, -1/3 otherwise: a random window scores ~0.
            self.first_conv.weight.fill_(-1 / 3)
            self.first_conv.weight[0, MOTIF, np.arange(WIDTH)] = 1.0
            self.first_conv.bias.fill_(-WIDTH / 2)
            self.linear.weight.copy_(torch.tensor([[1.0], [-0.5]]))
            self.linear.bias.zero_()

    def first_layer(self, x):
        return torch.relu(self.first_conv(x))

    def forward(self, x):
        return self.linear(self.first_layer(x).amax(dim=2))


def planted_batch(n_seq=6, length=80, seed=0):
    rng = np.random.default_rng(seed)
    bases = rng.integers(0, 4, size=(n_seq, length))
    starts = rng.integers(0, length - WIDTH, size=n_seq)
    truth = np.zeros((n_seq, length), dtype=bool)
    for seq, start in enumerate(starts):
        bases[seq, start : start + WIDTH] = MOTIF
        truth[seq, start : start + WIDTH] = True
    x = torch.as_tensor(np.eye(4, dtype=np.float32)[bases].transpose(0, 2, 1).copy())
    return x, truth, starts


@pytest.fixture(scope="module")
def planted_maps():
    x, truth, starts = planted_batch()
    maps = gradient_shap(MotifDetector(), x, output=0, n_samples=50, seed=0, device="cpu")
    return x, truth, starts, maps


def test_attribution_peaks_at_planted_motif(planted_maps):
    x, truth, starts, maps = planted_maps
    assert maps.shape == x.shape and maps.dtype == np.float32
    magnitude = np.abs(maps).sum(axis=1)
    for seq, start in enumerate(starts):
        assert start <= magnitude[seq].argmax() < start + WIDTH
        # The observed base of the planted site gets positive attribution.
        observed = (maps[seq] * x[seq].numpy()).sum(axis=0)
        assert observed[start : start + WIDTH].mean() > 0
    assert attribution_auroc(maps, truth) > 0.9


def test_gradient_correction_and_reproducibility(planted_maps, device):
    x, _, _, maps = planted_maps
    np.testing.assert_allclose(maps.sum(axis=1), 0.0, atol=1e-5)
    model = MotifDetector()  # built first: its layers' initialisation draws from torch
    numpy_state = np.random.get_state()[1].copy()
    torch_state = torch.random.get_rng_state().clone()
    again = gradient_shap(model, x, output=0, n_samples=50, seed=0, device=device)
    np.testing.assert_allclose(again, maps, atol=1e-5)
    # A CPU model is run on `device` and put back (it failed with CUDA inputs before).
    assert {p.device.type for p in model.parameters()} == {"cpu"}
    # Global generators are left as they were.
    np.testing.assert_array_equal(np.random.get_state()[1], numpy_state)
    assert torch.equal(torch.random.get_rng_state(), torch_state)
    other_seed = gradient_shap(MotifDetector(), x[:2], output=0, n_samples=50, seed=1, device="cpu")
    assert not np.allclose(other_seed, maps[:2])


def test_output_selects_the_explained_column(planted_maps):
    x, _, _, maps = planted_maps
    # Output 1 is -0.5 times output 0, and GradientShap is linear in the output.
    second = gradient_shap(MotifDetector(), x[:2], output=1, n_samples=50, seed=0, device="cpu")
    np.testing.assert_allclose(second, -0.5 * maps[:2], atol=1e-5)
    with pytest.raises(ValueError, match="output=2"):
        gradient_shap(MotifDetector(), x[:1], output=2, n_samples=2, device="cpu")


def test_insertion_padding_is_added_and_dropped():
    augmenter = Augmenter([RandomInsertion(0, 12)], max_augs_per_seq=1)
    x, _, _ = planted_batch(n_seq=3, length=60, seed=4)
    model = MotifDetector()
    maps = gradient_shap(
        model, x, n_references=200, n_samples=20, augmenter=augmenter, device="cpu"
    )
    padded = gradient_shap(model, augmenter.pad(x), n_references=200, n_samples=20, device="cpu")
    assert maps.shape == (3, 4, 60) and padded.shape == (3, 4, 72)
    np.testing.assert_allclose(maps, padded[:, :, :60], atol=1e-6)


def test_random_references_are_uniform_one_hot():
    refs = random_references(1000, 50, seed=7)
    assert refs.shape == (1000, 4, 50)
    assert torch.all(refs.sum(dim=1) == 1)
    frequencies = refs.mean(dim=(0, 2))
    assert torch.all((frequencies - 0.25).abs() < 0.01)
    assert torch.equal(refs, random_references(1000, 50, seed=7))


def test_select_top_sequences():
    y = np.array([[0.1, 5.0], [3.0, 1.0], [2.0, 2.0], [3.0, 0.0]])
    np.testing.assert_array_equal(select_top_sequences(y, output=0, n=3), [1, 3, 2])
    np.testing.assert_array_equal(select_top_sequences(torch.tensor(y), output=1, n=1), [0])
    with pytest.raises(ValueError, match="n=5"):
        select_top_sequences(y, output=0, n=5)
    with pytest.raises(ValueError, match="output=2"):
        select_top_sequences(y, output=2, n=1)


def test_attribution_auroc_known_answers():
    truth = np.array([False, True, True, False, False])
    attr = np.zeros((4, 5))
    attr[0] = [0.1, 2.0, -3.0, 0.2, 0.0]  # magnitude ranks the two motif positions on top
    assert attribution_auroc(attr, truth) == 1.0
    assert attribution_auroc(attr, ~truth) == 0.0
    assert attribution_auroc(np.ones((4, 5)), truth) == 0.5
    with pytest.raises(ValueError, match="truth_mask"):
        attribution_auroc(attr, truth[:4])
    with pytest.raises(ValueError, match="both"):
        attribution_auroc(attr, np.zeros(5, dtype=bool))


def test_planted_mask_keeps_the_sites_of_the_motifs_asked(tmp_path):
    """Known answer on a small truth table: all sites, or only those of the motifs an
    output depends on; a weak focal instance (ChIP-like) counts as its factor's."""
    from evoaugflow.attribution import planted_mask
    from evoaugflow.synthetic import DEFAULT_PANEL, causal_site_labels

    truth = pd.DataFrame(
        [
            ("test", 7, "REST", 2, 6, "+"),
            ("test", 7, "YY1", 8, 10, "-"),
            ("test", 3, "REST_weak", 0, 3, "+"),
            ("test", 3, "GATA1", 12, 20, "+"),  # clipped to the length 12
            ("train", 7, "REST", 0, 12, "+"),  # another split: ignored
        ],
        columns=["split", "index", "motif", "start", "end", "strand"],
    )
    path = tmp_path / "truth.tsv"
    truth.to_csv(path, sep="\t", index=False)
    chosen = np.array([7, 3])
    every = planted_mask(path, chosen, 12)
    assert every.sum(axis=1).tolist() == [4 + 2, 3]
    labels = causal_site_labels("synthetic_chip", DEFAULT_PANEL, {"focal": "REST"}, 0)
    assert labels == ["REST", "REST_weak"]
    causal = planted_mask(path, chosen, 12, labels=labels)
    assert np.flatnonzero(causal[0]).tolist() == [2, 3, 4, 5]
    assert np.flatnonzero(causal[1]).tolist() == [0, 1, 2]
    assert not planted_mask(path, chosen, 12, labels=["CTCF"]).any()
    # The table itself instead of its file: the same mask.
    assert (planted_mask(truth, chosen, 12, labels=labels) == causal).all()
    # A table without a motif column: the file and the column are named.
    truth.drop(columns="motif").to_csv(path, sep="\t", index=False)
    with pytest.raises(ValueError, match=r"truth table .*truth.tsv: missing column\(s\) motif"):
        planted_mask(path, chosen, 12)


def test_plot_attribution_logos(planted_maps, tmp_path):
    x, _, _, maps = planted_maps
    path = plot_attribution_logos(
        {"baseline": maps[0], "EvoAug": 0.5 * maps[0], "EvoAug + finetune": maps[1]},
        tmp_path / "logos.png",
        "Sequence 0, output 0",
        x=x[0],
    )
    image = matplotlib.image.imread(path)
    assert image.shape[:2] == (600, 1200)
    assert image[..., :3].std() > 0.05  # something was drawn
    with pytest.raises(ValueError, match="shapes"):
        plot_attribution_logos({"a": maps[0], "b": maps[0][:, :10]}, tmp_path / "x.png", "t")


def test_plot_filter_logos(tmp_path):
    rng = np.random.default_rng(0)
    motifs = [
        Motif(f"filter{i}", f"filter{i}", rng.dirichlet(np.full(4, 0.3), size=12), nsites=50 + i)
        for i in range(10)
    ]
    best = pd.DataFrame(
        {
            "Query_ID": ["filter3", "filter7"],
            "Target_name": ["CTCF", "GATA1"],
            "q-value": [1e-8, 0.01],
        }
    )
    path = plot_filter_logos(motifs, best, tmp_path / "filters.png", max_filters=8, n_cols=4)
    image = matplotlib.image.imread(path)
    assert image.shape[:2] == (600, 1200)
    with pytest.raises(ValueError, match="best_matches"):
        plot_filter_logos(motifs, best.drop(columns="q-value"), tmp_path / "f.png")


def test_real_model_with_insertion_padding():
    from evoaugflow.models import get_model

    augmenter = Augmenter([RandomInsertion(0, 8)], max_augs_per_seq=1)
    torch.manual_seed(0)
    model = get_model("deepstarr", augmenter.output_length(64), 2, conv_channels=(8, 8, 8, 8))
    x, _, _ = planted_batch(n_seq=2, length=64, seed=5)
    maps = gradient_shap(model, x, output=1, n_references=100, n_samples=10, augmenter=augmenter)
    assert maps.shape == (2, 4, 64)
    assert np.abs(maps).sum() > 0
    np.testing.assert_allclose(maps.sum(axis=1), 0.0, atol=1e-5)
    assert model.training

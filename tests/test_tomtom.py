"""Tests of evoaugflow.tomtom: MEME-style Tomtom table, q-values and filter summaries.

The first memelite call in a fresh environment compiles numba kernels (about a minute);
they are cached in NUMBA_CACHE_DIR (default ./.numba_cache) for later runs.
"""

import shutil

import numpy as np
import pytest
import torch
from scipy.stats import false_discovery_control

from evoaugflow.filters import filter_motifs, filter_table
from evoaugflow.jaspar import export_meme, fetch_motifs
from evoaugflow.meme import Motif, read_meme
from evoaugflow.tomtom import (
    DEFAULT_EXCLUDE,
    TOMTOM_COLUMNS,
    best_matches,
    filter_summary,
    storey_qvalues,
    tomtom,
)


@pytest.fixture(scope="module")
def jaspar_targets(tmp_path_factory):
    path = tmp_path_factory.mktemp("jaspar") / "JASPAR2022_CORE_vertebrates.meme"
    assert export_meme(path) == 841
    return read_meme(path)


@pytest.fixture(scope="module")
def ctcf():
    return fetch_motifs("MA0139.1")[0]


@pytest.fixture(scope="module")
def ctcf_filter(ctcf):
    """A conv filter with CTCF's log-odds weights, aligned on data with planted CTCF sites."""
    rng = np.random.default_rng(0)
    width = ctcf.width
    bases = rng.integers(0, 4, size=(150, 120))
    for seq in range(60):
        start = rng.integers(10, 120 - width - 10)
        bases[seq, start : start + width] = [rng.choice(4, p=row) for row in ctcf.pfm]
    x = torch.as_tensor(np.eye(4, dtype=np.float32)[bases].transpose(0, 2, 1).copy())

    class CtcfNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.first_conv = torch.nn.Conv1d(4, 1, width, padding="same", bias=False)
            with torch.no_grad():
                self.first_conv.weight[0] = torch.as_tensor(np.log2((ctcf.pfm + 0.01) / 0.25).T)

        def first_layer(self, inputs):
            return torch.relu(self.first_conv(inputs))

    motifs, counts = filter_motifs(CtcfNet(), x, device="cpu")
    assert len(motifs) == 1 and counts[0] > 40
    return motifs[0]


@pytest.fixture(scope="module")
def queries(ctcf, ctcf_filter):
    rng = np.random.default_rng(1)
    random_motifs = [
        Motif(f"random{i}", "", rng.dirichlet(np.full(4, 0.5), size=15), nsites=100)
        for i in range(8)
    ]
    return [
        ctcf_filter,
        Motif("ctcf_core", "", ctcf.pfm[5:15], nsites=100),  # columns 5..14 of MA0139.1
        Motif("ctcf_rc", "", ctcf.pfm[::-1, ::-1], nsites=100),
        *random_motifs,
    ]


@pytest.fixture(scope="module")
def table(queries, jaspar_targets):
    return tomtom(queries, jaspar_targets)


def test_ctcf_filter_matches_ctcf_first(table):
    rows = table[table["Query_ID"] == "filter0"]
    assert rows.iloc[0]["Target_ID"] == "MA0139.1"
    assert rows.iloc[0]["Target_name"] == "CTCF"
    assert rows.iloc[0]["q-value"] < 0.01
    assert rows.iloc[0]["Orientation"] == "+"
    assert rows["p-value"].is_monotonic_increasing


def test_table_layout_offsets_and_orientation(table, queries):
    assert tuple(table.columns) == TOMTOM_COLUMNS
    n_targets = 841 - len(DEFAULT_EXCLUDE)
    assert len(table) == len(queries) * n_targets
    assert table["Query_ID"].unique().tolist() == [q.id for q in queries]
    np.testing.assert_allclose(table["E-value"], table["p-value"] * n_targets)
    assert set(table["Orientation"]) <= {"+", "-"}

    core = table[table["Query_ID"] == "ctcf_core"].iloc[0]
    # Query column i sits on target column i + 5.
    assert (core["Target_ID"], core["Optimal_offset"], core["Overlap"]) == ("MA0139.1", 5, 10)
    assert core["Query_consensus"] == core["Target_consensus"][5:15]

    rc = table[table["Query_ID"] == "ctcf_rc"].iloc[0]
    assert (rc["Target_ID"], rc["Orientation"], rc["Optimal_offset"]) == ("MA0139.1", "-", 0)
    assert rc["Target_consensus"] == rc["Query_consensus"]  # the target, reverse-complemented


def test_qvalues_monotone_in_p_and_not_below_pi0_times_p(table):
    for _, rows in table.groupby("Query_ID"):
        ordered = rows.sort_values("p-value")
        assert np.all(np.diff(ordered["q-value"].to_numpy()) >= -1e-15)
    assert np.all(table["q-value"] <= 1.0)
    # Strong matches: q = pi0 * p * 2N / rank >= p for rank << 2N.
    strong = table[table["p-value"] < 1e-6]
    assert len(strong) >= 3 and np.all(strong["q-value"] >= strong["p-value"])


def test_random_queries_are_mostly_not_matched(table):
    best = best_matches(table, q_threshold=None)
    random_best = best[best["Query_ID"].str.startswith("random")]
    assert len(random_best) == 8
    assert (random_best["q-value"] < 0.01).sum() <= 2


def test_exclusion_list(queries, jaspar_targets, table):
    assert not table["Target_ID"].isin(DEFAULT_EXCLUDE).any()
    without_ctcf = tomtom(queries[:1], jaspar_targets, exclude=("MA0139.1",))
    assert "MA0139.1" not in set(without_ctcf["Target_ID"])
    assert len(without_ctcf) == 840
    assert without_ctcf.iloc[0]["Target_name"] == "CTCF"  # the extended MA1930/MA1929
    with pytest.raises(ValueError, match="none left"):
        tomtom(queries[:1], jaspar_targets[:3], exclude=[m.id for m in jaspar_targets[:3]])


def test_best_matches_and_filter_summary(table):
    best = best_matches(table, q_threshold=0.05)
    assert best["Query_ID"].is_unique
    assert {"filter0", "ctcf_core", "ctcf_rc"} <= set(best["Query_ID"])
    assert np.all(best["q-value"] < 0.05)

    queries_in_table = table["Query_ID"].unique().tolist()
    all_filters = [*queries_in_table, "no_sites_a", "no_sites_b"]
    summary = filter_summary(table, all_filters, q_threshold=0.05)
    assert summary["n_filters"] == len(queries_in_table) + 2
    assert summary["n_with_sites"] == len(queries_in_table)
    assert summary["n_matched"] == len(best)
    assert summary["hit_rate"] == pytest.approx(len(best) / summary["n_filters"])
    every_best = best_matches(table, q_threshold=None)["q-value"].to_numpy()
    expected_mean = (every_best.sum() + 2.0) / summary["n_filters"]
    assert summary["mean_best_qvalue"] == pytest.approx(expected_mean)
    assert "CTCF" in summary["matched_motifs"]
    with pytest.raises(ValueError, match="not in filter_ids"):
        filter_summary(table, ["filter0"])


def test_filter_table_ids_feed_summary(table):
    counts = np.array([5, 0, 0])
    ids = filter_table(counts)["motif_id"].tolist()
    summary = filter_summary(table[table["Query_ID"] == "filter0"], ids)
    assert summary["n_filters"] == 3 and summary["n_matched"] == 1
    assert summary["hit_rate"] == pytest.approx(1 / 3)


def test_storey_equals_bh_below_101_pvalues_and_is_monotone():
    rng = np.random.default_rng(5)
    p = rng.uniform(size=(4, 80)) ** 3
    q, pi0 = storey_qvalues(p)
    np.testing.assert_array_equal(pi0, 1.0)
    for row in range(4):
        np.testing.assert_allclose(q[row], false_discovery_control(p[row], method="bh"))


def test_storey_pi0_estimates_the_null_fraction():
    rng = np.random.default_rng(6)
    null_fraction, m = 0.7, 2000
    n_null = int(null_fraction * m)
    p = np.concatenate([rng.uniform(size=n_null), rng.uniform(size=m - n_null) * 1e-4])
    q, pi0 = storey_qvalues(p, seed=3)
    assert abs(float(pi0) - null_fraction) < 0.06
    # q is pi0 times the BH value here (no cap binds for small p) and never below pi0 * p.
    small = p < 1e-3
    bh = false_discovery_control(p, method="bh")
    np.testing.assert_allclose(q[small], float(pi0) * bh[small], rtol=1e-9)
    assert np.all(q >= float(pi0) * p - 1e-15)
    order = np.argsort(p)
    assert np.all(np.diff(q[order]) >= 0)
    # Reproducible from the seed; all-null data give pi0 close to 1.
    np.testing.assert_array_equal(storey_qvalues(p, seed=3)[0], q)
    _, pi0_null = storey_qvalues(rng.uniform(size=3000))
    assert float(pi0_null) > 0.9


def test_bad_input_raises(queries, jaspar_targets):
    with pytest.raises(ValueError, match="query_motifs"):
        tomtom([], jaspar_targets)
    with pytest.raises(ValueError, match="duplicate"):
        tomtom([queries[1], queries[1]], jaspar_targets)
    with pytest.raises(ValueError, match="motif_pseudo"):
        tomtom(queries[:1], jaspar_targets, motif_pseudo=-1)
    with pytest.raises(ValueError, match="pvalues"):
        storey_qvalues(np.array([0.1, 1.5]))


@pytest.mark.skipif(shutil.which("tomtom") is None, reason="MEME suite `tomtom` is not on PATH")
def test_meme_binary_agrees_with_memelite(queries, jaspar_targets, table):
    meme_table = tomtom(queries, jaspar_targets, use_meme_binary=True)
    assert tuple(meme_table.columns) == TOMTOM_COLUMNS
    for query in ("filter0", "ctcf_core", "ctcf_rc"):
        ours = table[table["Query_ID"] == query].iloc[0]
        theirs = meme_table[meme_table["Query_ID"] == query].iloc[0]
        assert ours["Target_ID"] == theirs["Target_ID"]
        assert ours["Orientation"] == theirs["Orientation"]
        assert theirs["q-value"] < 0.01


def test_meme_binary_missing_is_a_clear_error(queries, jaspar_targets, monkeypatch):
    monkeypatch.setenv("PATH", "")
    with pytest.raises(ValueError, match="use_meme_binary"):
        tomtom(queries[:1], jaspar_targets, use_meme_binary=True)


def test_pvalues_match_memelite_two_strand_merge(queries, jaspar_targets):
    from memelite import tomtom as memelite_tomtom

    targets = [m for m in jaspar_targets if m.id not in DEFAULT_EXCLUDE]
    ours = tomtom(queries[:3], targets, motif_pseudo=0.0)
    # memelite's own strand merge: min over orientations, then 1 - (1 - p)^2.
    merged_p = memelite_tomtom(
        [q.pfm.T.copy() for q in queries[:3]], [t.pfm.T.copy() for t in targets]
    )[0]
    for row, query in enumerate(queries[:3]):
        rows = ours[ours["Query_ID"] == query.id].set_index("Target_ID")
        np.testing.assert_allclose(
            rows.loc[[t.id for t in targets], "p-value"], merged_p[row], rtol=1e-12
        )
        # The top hit's q is pi0 * p * 2N / 1: over both orientations of N targets.
        top = rows.iloc[0]
        ratio = top["q-value"] / top["p-value"]
        assert 0.5 * 2 * len(targets) < ratio <= 2 * len(targets) * (1 + 1e-9)

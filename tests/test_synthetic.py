"""Tests for evoaugflow.synthetic: reproducible benchmarks whose known answer holds."""

import h5py
import numpy as np
import pandas as pd
import pyfaidx
import pytest

from evoaugflow import synthetic
from evoaugflow.chip import build_chip_dataset, map_truth_to_windows


@pytest.fixture(scope="module")
def motifs():
    return synthetic.load_panel()


def _auroc(labels, scores):
    """Rank-based AUROC (Mann-Whitney), ties averaged."""
    from scipy.stats import rankdata

    ranks = rankdata(scores)
    n_pos = labels.sum()
    n_neg = labels.size - n_pos
    return (ranks[labels == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def _h5(path):
    with h5py.File(path, "r") as handle:
        return {key: handle[key][()] for key in handle}


def _instance_scores(x, truth, motifs):
    """Log-odds of every truth instance read back from one-hot x, on its own strand."""
    by_name = {m.name: m for m in motifs}
    scores = []
    for row in truth.itertuples():
        motif = by_name[row.motif]
        codes = x[row.index, :, row.start : row.end].argmax(0)
        if row.strand == "-":
            codes = 3 - codes[::-1]
        scores.append(synthetic.log_odds(motif)[np.arange(motif.width), codes].sum())
    return np.array(scores)


def test_deepstarr_layout_truth_and_reproducibility(tmp_path, motifs):
    kwargs = dict(n_train=600, n_valid=50, n_test=300, seed=7)
    record = synthetic.make_deepstarr_benchmark(tmp_path / "a.h5", tmp_path / "a.tsv", **kwargs)
    synthetic.make_deepstarr_benchmark(tmp_path / "b.h5", tmp_path / "b.tsv", **kwargs)
    assert (tmp_path / "a.tsv").read_bytes() == (tmp_path / "b.tsv").read_bytes()
    data, again = _h5(tmp_path / "a.h5"), _h5(tmp_path / "b.h5")
    assert sorted(data) == sorted(f"{p}_{s}" for p in "XY" for s in ("train", "valid", "test"))
    for key in data:
        assert data[key].tobytes() == again[key].tobytes()
    assert data["X_train"].shape == (600, 4, 249) and data["X_train"].dtype == np.float32
    assert data["Y_test"].shape == (300, 2) and data["Y_test"].dtype == np.float32
    np.testing.assert_array_equal(data["X_valid"].sum(1), 1.0)
    other = synthetic.make_deepstarr_benchmark(
        tmp_path / "c.h5", tmp_path / "c.tsv", **{**kwargs, "seed": 8}
    )
    assert _h5(tmp_path / "c.h5")["X_train"].tobytes() != data["X_train"].tobytes()
    assert other["n_train"] == record["n_train"] == 600

    truth = pd.read_csv(tmp_path / "a.tsv", sep="\t")
    assert list(truth.columns) == ["split", "index", "motif", "start", "end", "strand"]
    assert truth["motif"].nunique() == 10
    assert (truth["start"] >= 0).all() and (truth["end"] <= 249).all()
    # Targets follow the known function: residuals are the N(0, 0.3) noise.
    test = truth[truth["split"] == "test"]
    signal = synthetic.deepstarr_truth_function(test, 300)
    residual = data["Y_test"] - signal
    assert abs(residual.std() - synthetic.DEEPSTARR_NOISE_SD) < 0.03
    for task in range(2):
        assert np.corrcoef(signal[:, task], data["Y_test"][:, task])[0, 1] > 0.9
    # The grammar bonus is present: correctly arranged pairs exist in both tasks.
    assert (np.diff(np.sort(np.unique(signal[:, 0]))) > 0).any()


def test_truth_positions_hold_pfm_samples(tmp_path, motifs):
    synthetic.make_deepstarr_benchmark(
        tmp_path / "d.h5", tmp_path / "d.tsv", n_train=200, n_valid=10, n_test=10, seed=1
    )
    x = _h5(tmp_path / "d.h5")["X_train"]
    truth = pd.read_csv(tmp_path / "d.tsv", sep="\t").query("split == 'train'")
    planted = _instance_scores(x, truth, motifs)
    # Random windows at the same places in other sequences score far lower.
    shuffled = truth.assign(index=(truth["index"] + 97) % 200)
    background = _instance_scores(x, shuffled, motifs)
    assert np.median(planted) > 7.0
    assert np.median(background) < 0.0
    assert (planted > background).mean() > 0.95


def test_basset_labels_follow_known_logic(tmp_path, motifs):
    record = synthetic.make_basset_benchmark(
        tmp_path / "b.h5", tmp_path / "b.tsv", n_train=100, n_valid=20, n_test=800, seed=3
    )
    data = _h5(tmp_path / "b.h5")
    assert data["X_test"].shape == (800, 4, 600) and data["Y_test"].shape == (800, 8)
    assert set(np.unique(data["Y_test"])) == {0.0, 1.0}
    probability = synthetic.basset_truth_function(data["X_test"], motifs)
    assert probability.shape == (800, 8)
    for task in range(8):
        labels = data["Y_test"][:, task]
        assert 0.05 < labels.mean() < 0.8, record
        assert _auroc(labels, probability[:, task]) > 0.8  # 0.5 if labels ignored the logic
        # calibrated: the true probability predicts the positive rate
        assert abs(probability[:, task].mean() - labels.mean()) < 0.05
    # Hard presence path: CTCF planted means task 0 likely; REST planted kills task 1.
    presence = np.zeros((4, 10))
    presence[0, 0] = presence[1, 2] = presence[2, [2, 6]] = 1
    hard = synthetic.basset_logic(presence, np.zeros(4))
    assert hard[0, 0] == pytest.approx(synthetic.P_HIGH)
    assert hard[1, 1] == pytest.approx(synthetic.P_HIGH)
    assert hard[2, 1] == pytest.approx(synthetic.P_LOW)
    assert hard[3].max() == pytest.approx(synthetic.P_LOW)
    # Tasks 11 and 12 read the other four: FOS::JUN (m4) OR MAX (m8); YY1 (m7) AND NOT GATA1 (m1).
    presence = np.zeros((4, 10))
    presence[0, 8] = presence[1, [4, 7]] = presence[2, [1, 7]] = 1
    hard = synthetic.basset_logic(presence, np.zeros(4), n_tasks=12)
    assert hard[:, 10] == pytest.approx(
        [synthetic.P_HIGH, synthetic.P_HIGH, synthetic.P_LOW, synthetic.P_LOW]
    )
    assert hard[:, 11] == pytest.approx(
        [synthetic.P_LOW, synthetic.P_HIGH, synthetic.P_LOW, synthetic.P_LOW]
    )


def _planted_presence(x, truth, motifs):
    """Soft presence (basset_truth_function's sigmoid) of each planted instance."""
    by_name = {m.name: m for m in motifs}
    scores = _instance_scores(x, truth, motifs)
    threshold, scale = np.array([synthetic.motif_threshold(by_name[n]) for n in truth["motif"]]).T
    return 1 / (1 + np.exp(-(scores - threshold) / scale))


def test_basset_clusters_sharp_sites_and_central_span(tmp_path, motifs):
    common = dict(n_train=400, n_valid=10, n_test=10, seed=4)
    synthetic.make_basset_benchmark(tmp_path / "c.h5", tmp_path / "c.tsv", **common)
    sparse = dict(
        n_slots=6, occupancy=0.5, motif_span=None, instance_sharpness=1.0, active_rate=1.0
    )
    synthetic.make_basset_benchmark(tmp_path / "s.h5", tmp_path / "s.tsv", **common, **sparse)
    frames = {}
    for name in "cs":
        truth = pd.read_csv(tmp_path / f"{name}.tsv", sep="\t").query("split == 'train'")
        x = _h5(tmp_path / f"{name}.h5")["X_train"]
        singles = truth[~truth["motif"].isin(["SPI1", "CEBPB"])]  # pair motifs excluded
        copies = singles.groupby(["index", "motif"]).size()
        frames[name] = (truth, copies, _planted_presence(x, truth, motifs))
    truth, copies, presence = frames["c"]
    # Defaults: 12 slots in the central 400 nt, about 3 active factors of 10 per sequence,
    # so a present factor has about 4 sites; sparse slots give about 1 site per factor.
    assert truth["start"].min() >= 100 and truth["end"].max() <= 500
    assert 3.0 < copies.mean() < 6.0
    assert frames["s"][1].mean() < 1.3
    assert frames["s"][0]["start"].min() < 100
    factors_per_sequence = truth.groupby("index")["motif"].nunique()
    assert 1.5 < factors_per_sequence.mean() < 4.5
    assert (truth.groupby("index").size() <= 12 + 12).all()  # a pair slot holds two sites
    # Sharpened instances count as present; PFM samples only about 70 % of the time.
    assert np.mean(presence > 0.5) > 0.95
    assert 0.55 < np.mean(frames["s"][2] > 0.5) < 0.85


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"instance_sharpness": 0.0}, "instance_sharpness"),
        ({"active_rate": 0.0}, "active_rate"),
        ({"active_rate": 1.5}, "active_rate"),
        ({"pair_rate": -0.1}, "pair_rate"),
        ({"occupancy": 0.0}, "occupancy"),
        ({"n_slots": 0}, "n_slots"),
        ({"motif_span": 601}, "motif_span"),
        ({"n_slots": 40}, "length"),
    ],
)
def test_basset_generator_validation(tmp_path, kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        synthetic.make_basset_benchmark(
            tmp_path / "v.h5", tmp_path / "v.tsv", n_train=5, n_valid=5, n_test=5, **kwargs
        )
    assert not (tmp_path / "v.h5").exists()


def test_panel_validation():
    with pytest.raises(ValueError, match="at least 10"):
        synthetic.load_panel(["CTCF", "GATA1"])
    with pytest.raises(ValueError, match="close names"):
        synthetic.load_panel([*synthetic.DEFAULT_PANEL[:9], "NOTAFACTOR"])
    with pytest.raises(ValueError, match="n_tasks"):
        synthetic.basset_logic(
            np.zeros((2, 10)), np.zeros(2), n_tasks=len(synthetic.BASSET_TASKS) + 1
        )


def test_causal_motifs_are_read_off_the_truth_functions():
    """Known answers, tied to the task descriptions: the motifs each Basset-like logic
    names (``mK`` in BASSET_TASKS) are exactly those whose presence moves its labels."""
    import re

    for n_tasks in range(1, len(synthetic.BASSET_TASKS) + 1):
        named = {
            int(k) for task in synthetic.BASSET_TASKS[:n_tasks] for k in re.findall(r"m(\d+)", task)
        }
        assert synthetic.basset_causal_motifs(n_tasks) == sorted(named)
    panel = list(synthetic.DEFAULT_PANEL)
    # The default 8 tasks: GATA1, FOS::JUN, YY1 and MAX are distractors.
    assert synthetic.causal_motifs("synthetic_basset", panel) == [
        "CTCF",
        "SPI1",
        "CEBPB",
        "ELK1",
        "REST",
        "HNF4A",
    ]
    assert synthetic.causal_motifs("synthetic_basset", panel, {"n_tasks": 1}) == ["CTCF"]
    # A setting the config leaves out is the generator's own default; a wrong name is named.
    assert synthetic.generator_setting("synthetic_basset", {}, "n_tasks") == 8
    assert synthetic.generator_setting("synthetic_basset", {"n_tasks": 12}, "n_tasks") == 12
    assert synthetic.generator_setting("synthetic_chip", {}, "focal") == "CTCF"
    with pytest.raises(ValueError, match="no setting 'ntasks'"):
        synthetic.generator_setting("synthetic_basset", {}, "ntasks")
    with pytest.raises(ValueError, match="has no generator"):
        synthetic.generator_setting("h5", {}, "n_tasks")
    # config/benchmark.yaml's 12 tasks read every planted motif.
    assert synthetic.causal_motifs("synthetic_basset", panel, {"n_tasks": 12}) == panel
    assert (
        synthetic.causal_motifs("synthetic_deepstarr", panel) == panel
    )  # every motif has an effect
    assert synthetic.causal_motifs("synthetic_chip", panel) == [synthetic.CHIP_DEFAULT_FOCAL]
    assert synthetic.causal_motifs("synthetic_chip", panel, {"focal": "REST"}) == ["REST"]
    # The panel order is what the indices refer to.
    assert synthetic.causal_motifs("synthetic_basset", panel[::-1], {"n_tasks": 1}) == ["HNF4A"]
    # One output: the motifs of that label only (an attribution map explains one).
    assert synthetic.causal_motifs("synthetic_basset", panel, output=3) == ["SPI1", "CEBPB"]
    developmental = synthetic.causal_motifs("synthetic_deepstarr", panel, output=0)
    assert developmental == [name for name in panel if name != "YY1"]  # effect 0, no grammar
    housekeeping = synthetic.causal_motifs("synthetic_deepstarr", panel, output=1)
    assert housekeeping == ["CTCF", "CEBPB", "FOS::JUN", "ELK1", "REST", "YY1", "MAX"]
    for task, row in enumerate(synthetic.DEEPSTARR_EFFECTS):
        assert set(np.flatnonzero(row)) <= set(synthetic.deepstarr_causal_motifs(task))
    with pytest.raises(ValueError, match="task"):
        synthetic.basset_causal_motifs(8, task=8)
    # Site labels: the motifs' names; the ChIP-like set adds its weak focal instances.
    assert synthetic.causal_site_labels("synthetic_basset", panel, output=3) == ["SPI1", "CEBPB"]
    assert synthetic.causal_site_labels("synthetic_chip", panel) == ["CTCF", "CTCF_weak"]
    with pytest.raises(ValueError, match="one label"):
        synthetic.causal_motifs("synthetic_chip", panel, output=1)
    with pytest.raises(ValueError, match="synthetic_control"):
        synthetic.causal_motifs("synthetic_control", panel)


def test_cagi_files_parse_and_match_recomputation(tmp_path, motifs):
    record = synthetic.make_cagi_benchmark(tmp_path, n_elements=2, element_length=80, seed=2)
    elements = pd.read_csv(tmp_path / "elements.tsv", sep="\t")
    assert list(elements.columns) == ["element", "chrom", "start", "end", "file"]
    assert elements["start"].iloc[0] < 300  # the first element's windows run off its contig
    genome = pyfaidx.Fasta(record["genome"])
    rng = np.random.default_rng(0)
    for element in elements.itertuples():
        text = (tmp_path / element.file).read_text().splitlines()
        comments = [line for line in text if line.startswith("##")]
        header = text[len(comments)]
        assert comments and header == "#Chrom\tPos\tRef\tAlt\tValue\tConfidence"
        table = pd.read_csv(tmp_path / element.file, sep="\t", skiprows=len(comments))
        assert len(table) == 3 * 80
        contig = str(genome[element.chrom][:]).upper()
        assert all(contig[p - 1] == r for p, r in zip(table["Pos"], table["Ref"], strict=True))
        assert (table["Ref"] != table["Alt"]).all()
        for row in table.iloc[rng.choice(len(table), 6, replace=False)].itertuples():
            centre = row.Pos - 1
            window = "".join(
                contig[i] if 0 <= i < len(contig) else "N"
                for i in range(centre - 300, centre + 300)
            )
            ref = np.frombuffer(window.encode(), np.uint8)
            codes = np.searchsorted(np.frombuffer(b"ACGNT", np.uint8), ref)
            codes = np.array([0, 1, 2, 4, 3])[codes].astype(np.uint8)[None]
            alt = codes.copy()
            alt[0, 300] = "ACGT".index(row.Alt)
            p_ref = synthetic.basset_truth_function(codes, motifs).mean()
            p_alt = synthetic.basset_truth_function(alt, motifs).mean()
            assert row.Value == pytest.approx(np.log(p_alt / p_ref), abs=2e-6)
        # Planted motifs make some substitutions matter a lot, most barely at all.
        assert np.abs(table["Value"]).max() > 0.2
        assert np.median(np.abs(table["Value"])) < 0.05


def test_chip_benchmark_builds_a_learnable_dataset(tmp_path, motifs):
    out = synthetic.make_chip_benchmark(
        tmp_path, chromosome_length=150_000, n_chip_peaks=120, n_accessible_only=200, seed=5
    )
    columns = ["chrom", "start", "end", "name", "score", "strand", "signal", "p", "q", "peak"]
    chip = pd.read_csv(out["chip_peaks"], sep="\t", header=None, names=columns)
    accessible = pd.read_csv(out["accessible_peaks"], sep="\t", header=None, names=columns)
    width = chip["end"] - chip["start"]
    assert width.between(150, 500).all() and (chip["peak"] < width).all()
    assert len(chip) == 120 and len(accessible) == 320
    # Every ChIP peak lies inside an accessible peak.
    merged = chip.merge(accessible, on="chrom", suffixes=("", "_a"))
    covered = merged[(merged["start_a"] <= merged["start"]) & (merged["end_a"] >= merged["end"])]
    assert covered["name"].nunique() == 120
    assert pyfaidx.Fasta(out["genome"])["chr1"][:10].seq.isupper()

    counts = build_chip_dataset(
        out["chip_peaks"],
        out["accessible_peaks"],
        out["genome"],
        tmp_path / "d.h5",
        tmp_path / "regions.tsv",
        log=None,
    )
    assert counts["dropped_off_chromosome_positive"] >= 2
    assert counts["dropped_contains_n_positive"] + counts["dropped_contains_n_negative"] >= 2
    truth = map_truth_to_windows(out["truth"], tmp_path / "regions.tsv")
    regions = pd.read_csv(tmp_path / "regions.tsv", sep="\t")
    with_ctcf = truth[truth["motif"] == "CTCF"][["split", "index"]].drop_duplicates()
    labelled = regions.merge(with_ctcf.assign(ctcf=1), on=["split", "index"], how="left")
    rate = labelled.fillna({"ctcf": 0}).groupby("label")["ctcf"].mean()
    # The focal motif marks about a third of positives (CHIP_FOCAL_RATES), rarely negatives.
    assert 0.2 < rate[1] < 0.6 and rate[0] < 0.05
    x = _h5(tmp_path / "d.h5")["x_train"]
    train_truth = truth[truth["split"] == "train"]
    assert (
        np.median(_instance_scores(x, train_truth[train_truth["motif"] != "CTCF_weak"], motifs)) > 7
    )


@pytest.mark.slow
def test_basset_default_is_learnable_by_narrow_basset(tmp_path, motifs):
    """Issue 4: the default set must be learnable at small scale (was AUROC 0.5 everywhere)."""
    import torch

    from evoaugflow.data import load_dataset
    from evoaugflow.models import get_model
    from evoaugflow.train import evaluate, train_stage

    synthetic.make_basset_benchmark(
        tmp_path / "l.h5", tmp_path / "l.tsv", n_train=2000, n_valid=300, n_test=600
    )
    data = load_dataset(tmp_path / "l.h5")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(0)
        model = get_model("basset", 600, 8, conv_channels=[32, 32, 32], fc_units=[])
        train_stage(
            model,
            data,
            tmp_path / "run",
            task="binary",
            max_epochs=6,
            batch_size=64,
            early_stopping_patience=4,
            verbose=False,
            device="cpu",
        )
    finally:
        torch.set_num_threads(threads)
    table = evaluate(tmp_path / "run" / "model.pt", data, device="cpu").set_index(
        ["metric", "task"]
    )["value"]
    assert table["auroc", "0"] > 0.75  # CTCF present; a model that learnt nothing gives 0.5
    assert table["auroc", "mean"] > 0.62


# Measured on ../shared/data/REST_200.h5 with JASPAR MA0138.2 (benchmarks/rest_scan.py,
# docs/benchmark.md): the ChIP-like set must reproduce these within the tolerances below.
REST_MEASURED = {
    1: {"frac_strong": 0.237, "frac_moderate": 0.116, "gc_mean": 0.556, "gc_sd": 0.112},
    0: {"frac_strong": 0.000, "frac_moderate": 0.004, "gc_mean": 0.482, "gc_sd": 0.100},
}
REST_OFFSET = {"offset_median_abs": 7.5, "frac_within_20": 0.872, "frac_within_50": 0.992}
TOLERANCE = {
    "frac_strong": 0.05,
    "frac_moderate": 0.04,
    "gc_mean": 0.015,
    "gc_sd": 0.015,
    "offset_median_abs": 2.5,
    "frac_within_20": 0.07,
    "frac_within_50": 0.03,
}


@pytest.fixture(scope="module")
def rest_like(tmp_path_factory):
    """A ChIP-like set with REST as the focal factor, built as the workflow builds it."""
    folder = tmp_path_factory.mktemp("rest_like")
    out = synthetic.make_chip_benchmark(
        folder,
        focal="REST",
        chromosome_length=700_000,
        n_chip_peaks=900,
        n_accessible_only=1200,
        seed=3,
    )
    build_chip_dataset(
        out["chip_peaks"],
        out["accessible_peaks"],
        out["genome"],
        folder / "data.h5",
        folder / "regions.tsv",
        log=None,
    )
    map_truth_to_windows(out["truth"], folder / "regions.tsv").to_csv(
        folder / "truth.tsv", sep="\t", index=False
    )
    return folder


def test_chip_benchmark_reproduces_rest_measurements(rest_like, motifs):
    data = _h5(rest_like / "data.h5")
    x = np.concatenate([data[f"x_{s}"] for s in ("train", "valid", "test")])
    y = np.concatenate([data[f"y_{s}"] for s in ("train", "valid", "test")])
    rest = next(m for m in motifs if m.name == "REST")
    table = synthetic.site_statistics(x, y, rest).set_index("label")
    for label, measured in REST_MEASURED.items():
        for key, value in measured.items():
            assert table.loc[label, key] == pytest.approx(value, abs=TOLERANCE[key]), (label, key)
    for key, value in REST_OFFSET.items():
        assert table.loc[1, key] == pytest.approx(value, abs=TOLERANCE[key]), key
    # Most positives lack a strong site, as in the real set (76 %).
    assert 0.7 < table.loc[1, "frac_without_strong"] < 0.82


def test_site_statistics_known_answer(motifs):
    rest = next(m for m in motifs if m.name == "REST")
    consensus = rest.pfm.argmax(axis=1).astype(np.uint8)
    codes = np.zeros((4, 200), dtype=np.uint8)  # poly-A: GC 0, no site
    codes[:2, 100:] = 2  # half G: GC 0.5
    codes[0, 90 : 90 + rest.width] = consensus  # site centred 0.5 nt right of the centre
    codes[1, 10 : 10 + rest.width] = 3 - consensus[::-1]  # reverse strand, far left
    table = synthetic.site_statistics(synthetic.one_hot(codes), [1, 1, 0, 0], rest)
    table = table.set_index("label")
    assert table.loc[1, "frac_strong"] == 1.0 and table.loc[0, "frac_strong"] == 0.0
    assert table.loc[1, "frac_within_20"] == 0.5 and table.loc[1, "frac_within_50"] == 0.5
    assert table.loc[0, "gc_mean"] == 0.0


def test_oracle_chip_combines_site_and_gc(rest_like):
    from evoaugflow.data import load_dataset
    from evoaugflow.metrics import auroc

    table = synthetic.oracle_metrics(
        "synthetic_chip", rest_like / "data.h5", rest_like / "truth.tsv", focal="REST"
    )
    assert list(table.columns) == list(synthetic.ORACLE_COLUMNS)
    value = table.set_index(["split", "metric", "task"])["value"]
    data = load_dataset(rest_like / "data.h5")
    truth = pd.read_csv(rest_like / "truth.tsv", sep="\t")
    test_truth = truth[truth["split"] == "test"]
    y = data.y_test.numpy()[:, 0]
    codes = synthetic.codes_from_one_hot(data.x_test.numpy())
    gc_only = ((codes == 1) | (codes == 2)).mean(axis=1)
    site_only = np.isin(np.arange(y.size), test_truth.loc[test_truth["motif"] == "REST", "index"])
    # The posterior beats either of its parts, and the label noise keeps it below 1.
    assert auroc(y, gc_only) + 0.03 < value["test", "auroc", "mean"] < 0.97
    assert auroc(y, site_only.astype(float)) + 0.03 < value["test", "auroc", "mean"]


def test_oracle_deepstarr_and_basset_known_answers(tmp_path):
    record = synthetic.make_deepstarr_benchmark(
        tmp_path / "d.h5", tmp_path / "d.tsv", n_train=50, n_valid=50, n_test=1500, seed=2
    )
    table = synthetic.oracle_metrics("synthetic_deepstarr", tmp_path / "d.h5", tmp_path / "d.tsv")
    value = table[table["split"] == "test"].set_index(["metric", "task"])["value"]
    # The truth function's error is the label noise; its correlation the signal's share.
    for task in range(2):
        assert value["mse", str(task)] == pytest.approx(synthetic.DEEPSTARR_NOISE_SD**2, rel=0.12)
        signal = record["signal_variance_test"][task]
        expected = np.sqrt(signal / (signal + synthetic.DEEPSTARR_NOISE_SD**2))
        assert value["pearson", str(task)] == pytest.approx(expected, abs=0.03)

    synthetic.make_basset_benchmark(
        tmp_path / "b.h5", tmp_path / "b.tsv", n_train=50, n_valid=50, n_test=800, seed=2
    )
    table = synthetic.oracle_metrics("synthetic_basset", tmp_path / "b.h5", tmp_path / "b.tsv")
    value = table[table["split"] == "test"].set_index(["metric", "task"])["value"]
    assert len(value["auroc"]) == 9  # 8 tasks and the mean
    assert 0.75 < value["auroc", "mean"] < 1.0
    with pytest.raises(ValueError, match="no known truth function"):
        synthetic.oracle_scores("h5", np.zeros((1, 4, 10)), pd.DataFrame())


def test_deepstarr_sites_are_readable_from_the_sequence(tmp_path, motifs):
    """Issue 15: the truth counts planted sites; nearly all must stand out of background."""
    thresholds = {m.name: synthetic.motif_threshold(m)[0] for m in motifs}
    fractions = {}
    for sharpness in (1.0, 2.0):
        h5, tsv = tmp_path / f"{sharpness}.h5", tmp_path / f"{sharpness}.tsv"
        kwargs = dict(n_train=300, n_valid=10, n_test=10, seed=4)
        synthetic.make_deepstarr_benchmark(h5, tsv, instance_sharpness=sharpness, **kwargs)
        truth = pd.read_csv(tsv, sep="\t").query("split == 'train'")
        scores = _instance_scores(_h5(h5)["X_train"], truth, motifs)
        fractions[sharpness] = np.mean(scores >= truth["motif"].map(thresholds).to_numpy())
    assert fractions[1.0] < 0.8  # sampled from the raw PFM: about 27 % are invisible
    assert fractions[2.0] > 0.95  # the default
    with pytest.raises(ValueError, match="instance_sharpness"):
        synthetic.make_deepstarr_benchmark(h5, tsv, instance_sharpness=0, **kwargs)

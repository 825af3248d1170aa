"""Tests of evoaugflow.summary on a small results tree with known numbers."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evoaugflow import summary

# Test AUROC (task mean) per augset, stage and seed 0, 1, 2 of the binary set "chip".
CHIP_AUROC = {
    ("baseline", "stage1"): [0.80, 0.82, 0.84],
    ("full", "stage1"): [0.85, 0.86, 0.90],
    ("full", "finetune"): [0.86, 0.88, 0.91],
}
# Test MSE and Pearson per model and seed of the regression set "starr".
STARR_MSE = {("baseline", "stage1"): [1.0, 1.2, 1.1], ("full", "stage1"): [0.9, 1.0, 1.0]}
STARR_PEARSON = {("baseline", "stage1"): [0.60, 0.62, 0.61], ("full", "stage1"): [0.58, 0.61, 0.59]}


def _run_rows(dataset, augset, stage, seed, values):
    """Tidy metric rows of one run: the test task mean, plus decoys to be ignored."""
    rows = []
    for metric, value in values.items():
        for split, task, shift in (
            ("test", "mean", 0.0),
            ("test", "0", 0.5),
            ("valid", "mean", 0.3),
        ):
            rows.append(
                {
                    "dataset": dataset,
                    "augset": augset,
                    "stage": stage,
                    "seed": seed,
                    "split": split,
                    "metric": metric,
                    "task": task,
                    "value": value + shift,
                }
            )
    return rows


def _write_tree(root, seeds=(0, 1, 2)):
    """One TSV per run as the workflow lays them out; returns the paths, sorted."""
    runs = {}
    for (augset, stage), values in CHIP_AUROC.items():
        for seed in seeds:
            runs[("chip", augset, stage, seed)] = {
                "auroc": values[seed],
                "aupr": values[seed] - 0.1,
            }
    for model, values in STARR_MSE.items():
        for seed in seeds:
            runs[("starr", *model, seed)] = {
                "mse": values[seed],
                "pearson": STARR_PEARSON[model][seed],
            }
    paths = []
    for (dataset, augset, stage, seed), values in runs.items():
        path = root / "evaluate" / dataset / augset / str(seed) / f"{stage}.tsv"
        path.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(_run_rows(dataset, augset, stage, seed, values)).to_csv(
            path, sep="\t", index=False
        )
        paths.append(path)
    return sorted(paths)


@pytest.fixture
def metrics(tmp_path):
    return summary.collect(_write_tree(tmp_path), "metrics")


def _row(table, dataset, augset, stage, metric=None):
    """One model's row; of the dataset's first (main) metric unless ``metric`` is given."""
    rows = table[table.dataset == dataset]
    metric = rows["metric"].iloc[0] if metric is None else metric
    match = rows[(rows.metric == metric) & (rows.augset == augset) & (rows.stage == stage)]
    assert len(match) == 1
    return match.iloc[0]


def test_collect_reads_all_runs_with_text_tasks(metrics):
    # 3 chip models x 2 metrics + 2 starr models x 2 metrics, 3 seeds, 3 rows each.
    assert len(metrics) == (3 * 2 + 2 * 2) * 3 * 3
    assert set(metrics["task"]) == {"0", "mean"}
    assert metrics["seed"].dtype == np.int64
    assert set(metrics["seed"]) == {0, 1, 2}


def test_comparison_table_known_numbers(metrics):
    table = summary.comparison_table(metrics)
    # Every metric of the task (those present), main metric first: AUROC and AUPR for
    # the binary set; Pearson and MSE for the regression set (it has no Spearman rows).
    keys = ["dataset", "metric", "augset", "stage"]
    assert list(table[keys].itertuples(index=False, name=None)) == [
        ("chip", "auroc", "baseline", "stage1"),
        ("chip", "auroc", "full", "stage1"),
        ("chip", "auroc", "full", "finetune"),
        ("chip", "aupr", "baseline", "stage1"),
        ("chip", "aupr", "full", "stage1"),
        ("chip", "aupr", "full", "finetune"),
        ("starr", "pearson", "baseline", "stage1"),
        ("starr", "pearson", "full", "stage1"),
        ("starr", "mse", "baseline", "stage1"),
        ("starr", "mse", "full", "stage1"),
    ]

    base = _row(table, "chip", "baseline", "stage1")
    assert base["n_seeds"] == 3 and base["mean"] == pytest.approx(0.82)
    assert base["sd"] == pytest.approx(0.02)
    assert base["diff_mean"] == 0 and math.isnan(base["p_value"])
    assert base["note"] == "reference row"
    assert base["mean_sd"] == "0.820 ± 0.020"

    finetune = _row(table, "chip", "full", "finetune")
    diffs = np.array([0.06, 0.06, 0.07])
    assert finetune["n_paired"] == 3
    assert finetune["diff_mean"] == pytest.approx(diffs.mean())
    assert finetune["diff_sd"] == pytest.approx(diffs.std(ddof=1))
    # The paired t statistic by its formula, and the two-sided p from the t law.
    t_expected = diffs.mean() / (diffs.std(ddof=1) / math.sqrt(3))
    assert finetune["t_statistic"] == pytest.approx(t_expected)
    assert finetune["p_value"] == pytest.approx(2 * stats.t.sf(t_expected, df=2))
    scipy_p = stats.ttest_rel(CHIP_AUROC[("full", "finetune")], CHIP_AUROC[("baseline", "stage1")])
    assert finetune["p_value"] == pytest.approx(scipy_p.pvalue)

    stage1 = _row(table, "chip", "full", "stage1")
    assert stage1["diff_mean"] == pytest.approx(0.05) and stage1["diff_sd"] == pytest.approx(0.01)

    chip = table[(table.dataset == "chip") & (table.metric == "auroc")].set_index(
        ["augset", "stage"]
    )
    assert chip["rank"].to_dict() == {
        ("baseline", "stage1"): 3,
        ("full", "stage1"): 2,
        ("full", "finetune"): 1,
    }
    # One best setting per dataset and metric.
    assert table.groupby(["dataset", "metric"])["best"].sum().to_dict() == {
        ("chip", "aupr"): 1,
        ("chip", "auroc"): 1,
        ("starr", "mse"): 1,
        ("starr", "pearson"): 1,
    }
    assert _row(table, "chip", "full", "finetune")["best"]
    # Pearson is higher-is-better: the baseline (0.61) beats full (0.59).
    assert _row(table, "starr", "baseline", "stage1")["best"]
    assert _row(table, "starr", "full", "stage1")["diff_mean"] == pytest.approx(-0.05 / 3)
    assert table["note"].str.contains("zero variance").sum() == 0

    # AUPR = AUROC - 0.1 in the fixture: shifted means, the same paired differences.
    aupr = _row(table, "chip", "full", "finetune", "aupr")
    assert aupr["mean"] == pytest.approx(finetune["mean"] - 0.1)
    assert aupr["diff_mean"] == pytest.approx(diffs.mean()) and aupr["higher_is_better"]
    assert aupr["p_value"] == pytest.approx(finetune["p_value"]) and aupr["best"]
    # MSE, lower is better, in the same table: full (0.967) beats the baseline (1.1).
    mse = _row(table, "starr", "full", "stage1", "mse")
    assert not mse["higher_is_better"] and mse["best"] and mse["rank"] == 1
    assert mse["mean"] == pytest.approx(np.mean([0.9, 1.0, 1.0]))
    # One metric, or a chosen list, on request.
    chip = metrics[metrics.dataset == "chip"]
    assert set(summary.comparison_table(chip, metric="aupr")["metric"]) == {"aupr"}
    chosen = summary.comparison_table(metrics[metrics.dataset == "starr"], ["mse", "pearson"])
    assert list(chosen["metric"].unique()) == ["mse", "pearson"]
    with pytest.raises(ValueError, match="has no test rows for metric 'spearman'"):
        summary.comparison_table(metrics[metrics.dataset == "starr"], "spearman")


def test_other_split(metrics):
    valid = summary.comparison_table(metrics, split="valid")
    test = summary.comparison_table(metrics)
    # The decoy validation rows are the test values + 0.3: same differences, shifted means.
    np.testing.assert_allclose(valid["mean"], test["mean"] + 0.3)
    np.testing.assert_allclose(valid["diff_mean"], test["diff_mean"], atol=1e-12)
    with pytest.raises(ValueError, match="split='train' is unknown"):
        summary.comparison_table(metrics, split="train")


def test_mse_lower_is_better(metrics):
    table = summary.comparison_table(metrics[metrics.dataset == "starr"], metric="mse")
    assert set(table["metric"]) == {"mse"} and not table["higher_is_better"].any()
    full = _row(table, "starr", "full", "stage1")
    assert full["mean"] == pytest.approx(np.mean([0.9, 1.0, 1.0]))
    assert full["rank"] == 1 and full["best"]
    assert full["diff_mean"] == pytest.approx(np.mean([-0.1, -0.2, -0.1]))
    assert _row(table, "starr", "baseline", "stage1")["rank"] == 2


def test_adding_a_seed_updates_the_table(tmp_path):
    paths = _write_tree(tmp_path)
    before = summary.comparison_table(summary.collect(paths, "metrics"))
    extra = tmp_path / "evaluate" / "chip" / "full" / "3" / "finetune.tsv"
    extra.parent.mkdir(parents=True)
    pd.DataFrame(_run_rows("chip", "full", "finetune", 3, {"auroc": 0.95})).to_csv(
        extra, sep="\t", index=False
    )
    baseline3 = tmp_path / "evaluate" / "chip" / "baseline" / "3" / "stage1.tsv"
    baseline3.parent.mkdir(parents=True)
    pd.DataFrame(_run_rows("chip", "baseline", "stage1", 3, {"auroc": 0.86})).to_csv(
        baseline3, sep="\t", index=False
    )
    after = summary.comparison_table(summary.collect([*paths, extra], "metrics"))
    row = _row(after, "chip", "full", "finetune")
    values = [*CHIP_AUROC[("full", "finetune")], 0.95]
    assert row["n_seeds"] == 4 and row["mean"] == pytest.approx(np.mean(values))
    assert row["sd"] == pytest.approx(np.std(values, ddof=1))
    # Seed 3 has no baseline run yet: it counts in the mean, not in the paired test.
    assert row["n_paired"] == 3 and "seeds without a baseline run: 3" in row["note"]
    assert row["p_value"] == pytest.approx(_row(before, "chip", "full", "finetune")["p_value"])

    paired = summary.comparison_table(summary.collect([*paths, extra, baseline3], "metrics"))
    row = _row(paired, "chip", "full", "finetune")
    reference = [*CHIP_AUROC[("baseline", "stage1")], 0.86]
    assert row["n_paired"] == 4 and row["note"] == ""
    assert row["p_value"] == pytest.approx(stats.ttest_rel(values, reference).pvalue)
    assert row["p_value"] != pytest.approx(_row(before, "chip", "full", "finetune")["p_value"])


def test_single_seed_and_missing_baseline_are_explained(metrics):
    one_seed = summary.comparison_table(metrics[metrics.seed == 1])
    row = _row(one_seed, "chip", "full", "stage1")
    assert row["n_seeds"] == 1 and math.isnan(row["sd"]) and row["mean_sd"] == "0.86 (n=1)"
    assert row["n_paired"] == 1 and row["diff_mean"] == pytest.approx(0.04)
    assert math.isnan(row["p_value"]) and "needs >= 2 seeds" in row["note"]

    no_baseline = summary.comparison_table(metrics[metrics.augset != "baseline"])
    assert no_baseline["diff_mean"].isna().all() and (no_baseline["n_paired"] == 0).all()
    assert no_baseline["note"].str.contains("no baseline").all()
    assert (no_baseline.groupby(["dataset", "metric"])["best"].sum() == 1).all()


def test_zero_variance_differences_are_flagged(metrics):
    shifted = metrics.copy()
    is_full = (shifted.augset == "full") & (shifted.stage == "stage1") & (shifted.dataset == "chip")
    base = shifted[(shifted.augset == "baseline") & (shifted.dataset == "chip")]
    shifted.loc[is_full, "value"] = base["value"].to_numpy() + 0.01
    row = _row(summary.comparison_table(shifted), "chip", "full", "stage1")
    assert row["diff_sd"] == pytest.approx(0, abs=1e-12)
    assert "zero variance" in row["note"]


def test_tables_are_deterministic_and_round_trip(metrics, tmp_path):
    table = summary.comparison_table(metrics)
    shuffled = metrics.sample(frac=1.0, random_state=np.random.RandomState(3))
    pd.testing.assert_frame_equal(summary.comparison_table(shuffled), table)
    first, second = tmp_path / "a.tsv", tmp_path / "b.tsv"
    summary.write_tsv(table, first)
    summary.write_tsv(summary.comparison_table(shuffled), second)
    assert first.read_bytes() == second.read_bytes()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    back = pd.read_csv(first, sep="\t")
    np.testing.assert_allclose(back["p_value"], table["p_value"], equal_nan=True)
    assert back["best"].tolist() == table["best"].tolist()


def test_datasize_table(metrics):
    sweep = []
    for size, base, full in ((100, (0.60, 0.64), (0.70, 0.72)), (1000, (0.80, 0.82), (0.85, 0.85))):
        for seed in (0, 1):
            for augset, values in (("baseline", base), ("full", full)):
                # The workflow names a sweep's data sets <base>_n<train_size>.
                name = f"chip_n{size}"
                for row in _run_rows(name, augset, "stage1", seed, {"auroc": values[seed]}):
                    sweep.append(row | {"train_size": size})
    combined = pd.concat([metrics, pd.DataFrame(sweep)], ignore_index=True)
    table = summary.datasize_table(combined)
    assert list(table[["train_size", "augset"]].itertuples(index=False, name=None)) == [
        (100, "baseline"),
        (100, "full"),
        (1000, "baseline"),
        (1000, "full"),
    ]
    assert table["mean"].tolist() == pytest.approx([0.62, 0.71, 0.81, 0.85])
    assert table["sd"].tolist() == pytest.approx(
        [np.std([0.6, 0.64], ddof=1), np.std([0.7, 0.72], ddof=1), np.std([0.8, 0.82], ddof=1), 0.0]
    )
    assert (table["n_seeds"] == 2).all() and set(table["metric"]) == {"auroc"}
    assert set(table["dataset"]) == {"chip"}
    # The sweep rows must not leak into the full-data comparison.
    pd.testing.assert_frame_equal(
        summary.comparison_table(combined), summary.comparison_table(metrics)
    )
    with pytest.raises(ValueError, match="train_size"):
        summary.datasize_table(metrics)


def test_main_metric_and_direction():
    assert summary.main_metric("binary") == ("auroc", True)
    assert summary.main_metric("regression") == ("pearson", True)
    assert summary.higher_is_better("mse") is False
    with pytest.raises(ValueError, match="task="):
        summary.main_metric("multiclass")
    with pytest.raises(ValueError, match="metric='r2'"):
        summary.higher_is_better("r2")


def test_collect_rejects_bad_files(tmp_path):
    good = tmp_path / "good.tsv"
    pd.DataFrame(_run_rows("chip", "full", "stage1", 0, {"auroc": 0.9})).to_csv(
        good, sep="\t", index=False
    )
    with pytest.raises(ValueError, match="paths is empty"):
        summary.collect([], "metrics")
    with pytest.raises(ValueError, match="missing.tsv: file not found"):
        summary.collect([good, tmp_path / "missing.tsv"], "metrics")
    empty = tmp_path / "empty.tsv"
    empty.write_text("")
    with pytest.raises(ValueError, match="empty.tsv: cannot read"):
        summary.collect(empty)
    lacking = tmp_path / "lacking.tsv"
    pd.read_csv(good, sep="\t").drop(columns=["split"]).to_csv(lacking, sep="\t", index=False)
    with pytest.raises(ValueError, match=r"lacking.tsv: missing column\(s\) split"):
        summary.collect([good, lacking], "metrics")
    bad_seed = tmp_path / "bad_seed.tsv"
    pd.read_csv(good, sep="\t").assign(seed="one").to_csv(bad_seed, sep="\t", index=False)
    with pytest.raises(ValueError, match="bad_seed.tsv: column seed"):
        summary.collect(bad_seed, "metrics")
    with pytest.raises(ValueError, match="not a known table kind"):
        summary.collect(good, "metricz")
    # A column list instead of a kind, and a file whose tasks look like integers.
    only_task0 = tmp_path / "task0.tsv"
    pd.read_csv(good, sep="\t").assign(task="0").to_csv(only_task0, sep="\t", index=False)
    assert set(summary.collect(only_task0, ["task", "value"])["task"]) == {"0"}


def test_comparison_rejects_bad_tables(metrics):
    with pytest.raises(ValueError, match=r"metrics: missing column\(s\) value"):
        summary.comparison_table(metrics.drop(columns=["value"]))
    with pytest.raises(ValueError, match="no rows with split 'test'"):
        summary.comparison_table(metrics[metrics.split == "valid"])
    with pytest.raises(ValueError, match="repeat the same run"):
        summary.comparison_table(pd.concat([metrics, metrics.iloc[:3]]))
    with pytest.raises(ValueError, match="dataset 'chip' has no test rows for metric 'mse'"):
        summary.comparison_table(metrics, metric="mse")


def test_oracle_columns_known_numbers(metrics, tmp_path):
    """Issue 15: each model against the baseline and the truth function's ceiling."""
    oracle_path = tmp_path / "oracle.tsv"
    pd.DataFrame(
        {
            "split": ["test", "test", "valid", "test"],
            "metric": ["auroc", "auroc", "auroc", "aupr"],
            "task": ["mean", "0", "mean", "mean"],
            "value": [0.92, 0.5, 0.1, 0.9],
            "score": "true probability",
        }
    ).to_csv(oracle_path, sep="\t", index=False)
    oracle = summary.read_oracles([oracle_path], ["chip"])
    table = summary.add_oracle_columns(summary.comparison_table(metrics), oracle)
    assert list(table.columns[-3:]) == ["oracle", "gap_closed", "note"]
    base = _row(table, "chip", "baseline", "stage1")
    full = _row(table, "chip", "full", "finetune")
    assert base["oracle"] == pytest.approx(0.92) and base["gap_closed"] == pytest.approx(0.0)
    # (0.8833 - 0.82) / (0.92 - 0.82)
    assert full["gap_closed"] == pytest.approx((np.mean([0.86, 0.88, 0.91]) - 0.82) / 0.10)
    # The regression set has no oracle: NaN, and the note says why.
    starr = _row(table, "starr", "full", "stage1")
    assert math.isnan(starr["oracle"]) and math.isnan(starr["gap_closed"])
    assert summary.NO_ORACLE_NOTE in starr["note"]
    assert summary.NO_ORACLE_NOTE not in full["note"]
    # Another split picks its own ceiling.
    valid = summary.add_oracle_columns(summary.comparison_table(metrics), oracle, split="valid")
    assert _row(valid, "chip", "baseline", "stage1")["oracle"] == pytest.approx(0.1)
    with pytest.raises(ValueError, match="2 tables for 1 data sets"):
        summary.read_oracles([oracle_path, oracle_path], ["chip"])


@pytest.mark.parametrize("split, shift", [("valid", 0.3), ("test", 0.0)])
def test_summarize_grid_keeps_each_rows_split(tmp_path, split, shift):
    """Validation rows stay "valid"; the comparison and figures read the chosen split."""
    from evoaugflow.summarize import summarize_grid

    paths = _write_tree(tmp_path)
    runs, histories = [], []
    for path in paths:
        dataset, augset, seed = path.parts[-4:-1]
        run = {
            "dataset": dataset,
            "augset": augset,
            "stage": path.stem,
            "seed": int(seed),
            "train_size": None,
        }
        history = path.with_suffix(".history.tsv")
        pd.DataFrame(
            {
                "epoch": [0, 1],
                "lr": [1e-3, 1e-3],
                "train_loss": [0.7, 0.6],
                "valid_loss": [0.72, 0.65],
                "seconds": [1.0, 1.0],
            }
        ).to_csv(history, sep="\t", index=False)
        runs.append(run)
        histories.append(history)
    out = tmp_path / "summary"
    names = ("metrics", "history", "comparison", "datasize")
    tables = {name: out / f"{name}.tsv" for name in names}
    comparison = summarize_grid(
        paths, histories, runs, [], ["chip", "starr"], [], *tables.values(), split=split
    )

    written = summary.collect(tables["metrics"])
    source = summary.collect(paths)
    # Every row keeps its true split: as many valid and test rows as were evaluated.
    assert written["split"].value_counts().to_dict() == source["split"].value_counts().to_dict()
    assert written["split"].value_counts().to_dict() == {"test": 60, "valid": 30}
    # The comparison reads the chosen split: the baseline's mean AUROC over the 3 seeds.
    baseline = _row(comparison, "chip", "baseline", "stage1", "auroc")
    assert baseline["mean"] == pytest.approx(np.mean(CHIP_AUROC[("baseline", "stage1")]) + shift)
    assert summary.collect(tables["comparison"])["mean"].to_numpy() == pytest.approx(
        comparison["mean"].to_numpy()
    )
    assert len(summary.collect(tables["history"])) == 2 * len(paths)
    datasize = pd.read_csv(tables["datasize"], sep="\t")
    assert datasize.empty and tuple(datasize.columns) == summary.DATASIZE_COLUMNS
    for dataset in ("chip", "starr"):
        for figure in ("metric_by_augset.png", "training_curves.png"):
            assert (out / dataset / figure).stat().st_size > 1000

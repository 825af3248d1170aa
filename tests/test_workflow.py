"""The real workflow, run end to end on .test's reduced built-in benchmark in a temp folder."""

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from workflow_helpers import png_size, snakemake

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def small_config(seeds=(0, 1)):
    """The workflow catalog's test configuration (.test/config/config.yaml) with ``seeds``."""
    config = yaml.safe_load((REPO / ".test" / "config" / "config.yaml").read_text())
    config["seeds"] = list(seeds)
    return config


@pytest.fixture(scope="module")
def finished_run(dot_test_run):
    """The .test run (conftest): every rule kind on tiny data, config/config.yaml inside."""
    return dot_test_run


def test_summary_metrics_cover_every_task_stage_and_seed(finished_run):
    metrics = pd.read_csv(
        finished_run / "results/summary/metrics.tsv", sep="\t", dtype={"task": str}
    )
    assert {"dataset", "augset", "stage", "seed", "split", "metric", "task", "value"} <= set(
        metrics
    )
    means = metrics[(metrics["task"] == "mean") & (metrics["split"] == "test")]
    expected = {
        ("chip_synth", "auroc"),
        ("basset_synth", "auroc"),
        ("deepstarr_synth", "pearson"),
    }
    assert expected <= set(zip(means["dataset"], means["metric"], strict=False))
    for dataset, augmented in [
        ("chip_synth", "evoaug"),
        ("deepstarr_synth", "evoaug_deepstarr"),
        ("basset_synth", "evoaug"),
    ]:
        runs = set(
            zip(
                *[
                    means.loc[means["dataset"] == dataset, key]
                    for key in ("augset", "stage", "seed")
                ],
                strict=False,
            )
        )
        for seed in (0, 1):
            assert {
                ("baseline", "stage1", seed),
                (augmented, "stage1", seed),
                (augmented, "finetune", seed),
            } <= runs
    # Two regression tasks and eight binary tasks reach the per-task rows.
    tasks = metrics.groupby("dataset")["task"].unique()
    assert set(tasks["deepstarr_synth"]) == {"0", "1", "mean"}
    assert len(set(tasks["basset_synth"])) == 9
    aurocs = means.loc[means["metric"] == "auroc", "value"]
    assert aurocs.between(0, 1).all()


def test_comparison_table_marks_one_best_setting_per_data_set(finished_run):
    table = pd.read_csv(finished_run / "results/summary/comparison.tsv", sep="\t")
    assert set(table["dataset"]) == {"chip_synth", "deepstarr_synth", "basset_synth"}
    for (dataset, metric), rows in table.groupby(["dataset", "metric"]):
        # best marks exactly the rows whose mean is the best in the metric's direction
        means = rows["mean"]
        top = means.max() if rows["higher_is_better"].iloc[0] else means.min()
        assert set(rows.index[rows["best"]]) == set(rows.index[means == top]), (dataset, metric)
        assert (rows.loc[rows["best"], "rank"] == 1).all()
    assert (table["n_seeds"] == 2).all()
    # Every synthetic task carries its truth function's ceiling (issue 15), above chance.
    ranked = table[table["higher_is_better"]]  # AUROC, AUPR, Pearson, Spearman
    assert ranked["oracle"].between(0.55, 1.0).all()
    assert (table.loc[~table["higher_is_better"], "oracle"] > 0).all()  # MSE
    baseline = table[(table["augset"] == "baseline") & (table["stage"] == "stage1")]
    assert (baseline["gap_closed"] == 0).all()


def test_analyses_produce_their_tables(finished_run):
    summary = finished_run / "results/summary"
    filters = pd.read_csv(summary / "filters.tsv", sep="\t")
    assert set(filters["dataset"]) == {"basset_synth"}
    assert len(filters) == 6
    assert filters["hit_rate"].between(0, 1).all()
    assert filters["planted_recovery"].between(0, 1).all()
    # The Basset-like labels depend on 6 of the 10 planted motifs (the rest distract).
    assert filters["causal_recovery"].between(0, 1).all()
    assert (filters["causal_recovery"] * 6).round(9).mod(1).eq(0).all()
    causal = {"CTCF", "Spi1", "CEBPB", "ELK1", "REST", "HNF4A"}  # JASPAR's spelling
    for recovered in filters["causal_recovered"].fillna(""):
        assert set(filter(None, recovered.split(","))) <= causal
    attribution = pd.read_csv(summary / "attribution.tsv", sep="\t")
    assert len(attribution) == 6 and (attribution["n_sequences"] == 2).all()
    assert attribution["attribution_auroc"].between(0, 1).all()
    assert attribution["causal_attribution_auroc"].between(0, 1).all()
    cagi = pd.read_csv(summary / "cagi5.tsv", sep="\t")
    assert set(cagi["element"]) == {"SYN1", "SYN2", "mean"}
    assert (cagi.loc[cagi["element"] != "mean", "n_variants"] == 450).all()


def test_figures_are_pngs_of_fixed_size(finished_run):
    summary = finished_run / "results/summary"
    for dataset in ("chip_synth", "deepstarr_synth", "basset_synth"):
        assert png_size(summary / dataset / "metric_by_augset.png") == (800, 450)
        assert png_size(summary / dataset / "training_curves.png") == (800, 450)
    assert png_size(summary / "filters.png") == (800, 450)
    assert png_size(summary / "cagi5.png") == (800, 450)
    assert png_size(finished_run / "results/attribution/deepstarr_synth/logos_seed0.png") == (
        1200,
        600,
    )


def test_every_job_wrote_its_log_and_training_its_benchmark(finished_run):
    logs = list((finished_run / "logs").rglob("*.log"))
    assert len(logs) >= 60
    # One training job per cell: stage 1 alone (baseline) or both stages (EvoAug).
    for rule in ("train_model", "train_and_finetune"):
        benchmarks = list((finished_run / "results/benchmarks" / rule).rglob("*.tsv"))
        assert len(benchmarks) == 6, rule
    assert not (finished_run / "results/benchmarks/finetune_model").exists()


def test_report_builds(finished_run):
    result = snakemake(finished_run, "--cores", "1", "--report", "report.html")
    assert result.returncode == 0, result.stderr[-3000:]
    html = (finished_run / "report.html").read_text()
    assert "metric_by_augset.png" in html and "filters.tsv" in html


def test_adding_a_seed_trains_only_the_new_runs(finished_run):
    # Key order as in .test (Snakemake compares dict params by their text).
    more = yaml.safe_dump(small_config(seeds=(0, 1, 2)), sort_keys=False)
    (finished_run / "more.yaml").write_text(more)
    result = snakemake(finished_run, "-n", "--cores", "1", "--configfile", "more.yaml")
    assert result.returncode == 0, result.stderr[-3000:]
    trained = re.findall(
        r"rule (?:train_model|train_and_finetune):\n(?:.*\n)*?\s+wildcards: (.*)", result.stdout
    )
    assert len(trained) == 6
    assert all("seed=2" in wildcards for wildcards in trained)
    assert "rule summarize:" in result.stdout


def test_one_rule_can_be_rerun_alone(finished_run):
    target = "results/evaluate/chip_synth/evoaug/0/finetune.tsv"
    before = (finished_run / target).read_text()
    result = snakemake(finished_run, target, "--cores", "1", "--forcerun", target)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "1 of 1 steps (100%) done" in result.stderr
    # Same model, same data, deterministic padding: the same numbers.
    assert (finished_run / target).read_text() == before


def test_data_size_sweep_on_real_rest_data(tmp_path, rest_h5):
    """Downsampled training splits of the real REST set: one summary row per size."""
    config = {
        "seeds": [0],
        "training": {
            "stage1": {"max_epochs": 1, "batch_size": 100},
            "finetune": {"max_epochs": 1, "batch_size": 100},
        },
        "augment_sets": {
            "baseline": {"augmentations": [], "finetune": False},
            "evoaug": {"augmentations": ["rc", "mutation"], "max_augs_per_seq": 1},
        },
        "datasets": {
            "REST": {
                "source": "h5",
                "path": str(rest_h5),
                "model": "chip",
                "task": "binary",
                "model_kwargs": {"conv_channels": [16, 16, 16], "fc_units": [32]},
                "augment_sets": ["baseline", "evoaug"],
                "train_sizes": [100, 400],
            }
        },
    }
    (tmp_path / "rest.yaml").write_text(yaml.safe_dump(config))
    result = snakemake(tmp_path, "--cores", "2", "--configfile", "rest.yaml")
    assert result.returncode == 0, result.stderr[-5000:]
    sizes = pd.read_csv(tmp_path / "results/summary/datasize.tsv", sep="\t")
    assert sorted(sizes["train_size"].unique()) == [100, 400]
    # One row per size, model (baseline stage 1, evoaug stage 1 and finetune) and metric.
    assert set(sizes["metric"]) == {"auroc", "aupr"}
    assert len(sizes) == 2 * 3 * 2
    assert set(sizes["dataset"]) == {"REST"}
    params = (tmp_path / "results/train/REST_n100/baseline/0/params.json").read_text()
    assert '"train_size": 100' in params
    assert png_size(tmp_path / "results/summary/REST/datasize.png") == (800, 450)

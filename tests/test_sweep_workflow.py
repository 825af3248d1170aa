"""The sweep in the workflow: config checks, job expansion, test-split isolation, real runs."""

import json
import re
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import yaml
from workflow_helpers import job_counts, png_size, snakemake

from evoaugflow import config as grid
from evoaugflow import sweep
from evoaugflow.augment import Augmenter
from evoaugflow.data import load_dataset

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"
TINY_MODEL = {"conv_channels": [8, 8, 8], "fc_units": [16]}


def job_inputs(dry_run_stdout, rule):
    """The input files of every job of ``rule`` in a dry run."""
    return [
        files.split(", ")
        for files in re.findall(rf"^rule {rule}:\n    input: (.*)$", dry_run_stdout, re.M)
    ]


def base_config(**dataset):
    return {
        "augment_sets": {
            "baseline": {"augmentations": [], "finetune": False},
            "from_sweep": {"from_sweep": True},
        },
        "datasets": {"tiny": {"source": "synthetic_chip", "augment_sets": ["baseline"]} | dataset},
    }


# --------------------------------------------------------------------------- config


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda c: c["datasets"]["tiny"].update(augment_sets=["baseline", "from_sweep"]),
            r"datasets\.tiny\.augment_sets: \['from_sweep'\] take their settings from a "
            r"sweep, but datasets\.tiny\.sweep is null",
        ),
        (
            lambda c: c["augment_sets"]["from_sweep"].update(augmentations=["rc"]),
            r"augment_sets\.from_sweep\.augmentations: must be empty when from_sweep is true",
        ),
        (
            lambda c: c["datasets"]["tiny"].update(
                sweep={"augmentations": {"deletion": [10, 20]}, "metric": "mse"}
            ),
            r"datasets\.tiny\.sweep\.metric: 'mse' does not fit task 'binary'",
        ),
        (
            lambda c: c["datasets"]["tiny"].update(
                sweep={"augmentations": {"deletion": [10, 20]}, "hard_aug": []}
            ),
            r"datasets\.tiny\.sweep\.hard_aug: expected a list of distinct true/false",
        ),
        (
            lambda c: c["datasets"]["tiny"].update(
                sweep={"augmentations": {"deletion": [10, 20]}},
                augment_params={"deletion": {"delete_min": 15, "delete_max": 30}},
            ),
            r"datasets\.tiny\.sweep\.augmentations\.deletion \(delete_max=10\)",
        ),
        (
            lambda c: c["datasets"]["tiny"].update(
                sweep={"augmentations": {"mutation": [0.05, 0.9]}},
            ),
            r"datasets\.tiny\.sweep\.augmentations\.mutation \(mutate_frac=0\.9\)"
            r"\.mutation\.mutate_frac: 0\.9 is out of range; it must be at least 0\.0 and at "
            r"most 0\.75",
        ),
        (
            lambda c: c["datasets"]["tiny"].update(
                sweep={"augmentations": {"deletion": [10]}, "search": {"workers": 3, "n_trials": 2}}
            ),
            r"datasets\.tiny\.sweep\.search\.n_trials: 2 is fewer than the 3 workers",
        ),
    ],
)
def test_bad_sweep_configs_name_the_key(change, message):
    """The config check (one validation, sweep keys included) names the key and the fix."""
    config = base_config()
    change(config)
    with pytest.raises(ValueError, match=message):
        grid.validate_config(config, SCHEMA)


def test_schema_rejects_unknown_sweep_keys_and_bad_strengths():
    config = base_config(sweep={"augmentations": {"deletion": [0]}, "seeds": [0]})
    with pytest.raises(ValueError) as error:
        grid.validate_config(config, SCHEMA)
    assert "datasets.tiny.sweep" in str(error.value)
    assert "'seeds' was unexpected" in str(error.value)
    assert "datasets.tiny.sweep.augmentations.deletion.0: 0 is less than the minimum of 1" in str(
        error.value
    )


def test_sweep_runs_expand_candidates_seeds_and_stages():
    config = base_config(
        sweep={
            "augmentations": {"deletion": [10, 20], "mutation": [0.05]},
            "max_augs_per_seq": [2],
            "hard_aug": [False, True],
        }
    )
    config["seeds"] = [3, 4]
    config = grid.validate_config(config, SCHEMA)
    candidates = grid.sweep_candidates(config, "tiny")
    assert list(candidates) == [
        "baseline",
        "deletion-10",
        "deletion-20",
        "mutation-0.05",
        "combo-2-soft",
        "combo-2-hard",
    ]
    assert candidates["baseline"] is None
    assert candidates["deletion-20"]["augmentations"] == {
        "deletion": {"delete_min": 0, "delete_max": 20}
    }
    runs = grid.sweep_runs(config)
    # The baseline trains stage 1 only; each candidate stage 1 and finetune, per seed.
    assert len(runs) == 2 * (1 + 5 * 2)
    assert {run.seed for run in runs} == {3, 4}
    assert {run.stage for run in runs if run.augset == "baseline"} == {"stage1"}
    config["datasets"]["tiny"]["sweep"]["finetune"] = False
    assert len(grid.sweep_runs(config)) == 2 * 6
    assert grid.swept_datasets(config) == ["tiny"]
    assert grid.from_sweep_sets(config) == ["from_sweep"]


def test_sweep_augment_spec_takes_the_picked_strengths_and_keeps_the_rest():
    params = {
        "deletion": {"delete_min": 5, "delete_max": 30},
        "mutation": {"mutate_frac": 0.05},
        "rc": {"rc_prob": 0.5},
    }
    spec = {
        "augmentations": {"deletion": [10, 20], "mutation": [0.05, 0.1]},
        "max_augs_per_seq": [1, 2],
    }
    picks = pd.DataFrame(
        {
            "dataset": "tiny",
            "target": ["deletion", "mutation", "combo"],
            "candidate": ["deletion-20", "mutation-0.1", "combo-2-hard"],
        }
    )
    fragment = sweep.best_config_fragment(picks, spec, params, dataset="tiny")
    # Through YAML, as the workflow reads it from best_config.yaml.
    fragment = yaml.safe_load(yaml.safe_dump(fragment))
    result = grid.sweep_augment_spec(fragment, "tiny", params)
    assert result == {
        "augmentations": {
            "deletion": {"delete_min": 5, "delete_max": 20},
            "mutation": {"mutate_frac": 0.1},
        },
        "max_augs_per_seq": 2,
        "hard_aug": True,
        "insertion_mode": "pad",
    }
    assert Augmenter.from_config(result).to_config()["max_augs_per_seq"] == 2
    with pytest.raises(ValueError, match=r"names data set\(s\) \['tiny'\], not 'other' alone"):
        grid.sweep_augment_spec(fragment, "other", params)
    with pytest.raises(ValueError, match="one augmentation set under augment_sets"):
        grid.sweep_augment_spec({"datasets": {}}, "tiny", params)


# --------------------------------------------------------------------------- dry runs


def test_sweep_config_expands_to_the_expected_jobs(tmp_path):
    result = snakemake(
        tmp_path, "-n", "--cores", "1", "--configfile", str(REPO / "config/sweep.yaml")
    )
    assert result.returncode == 0, result.stderr[-3000:]
    counts = job_counts(result.stdout)
    config = yaml.safe_load((REPO / "config/sweep.yaml").read_text())
    spec = config["datasets"]["chip_synth"]["sweep"]
    n_singles = sum(len(v) for v in spec["augmentations"].values())
    n_combos = len(spec["max_augs_per_seq"]) * len(spec["hard_aug"])
    assert (n_singles, n_combos) == (6, 2)
    expected = {
        "hold_out_test": 1,
        "train_sweep": 1 + n_singles + n_combos,  # the baseline too
        "finetune_sweep": n_singles + n_combos,
        "evaluate_sweep": 1 + 2 * (n_singles + n_combos),
        "score_sweep": 1,
        "sweep_worker": spec["search"]["workers"],
        "pick_sweep": 1,
        "train_model": 1,  # baseline of the study
        "train_from_sweep": 1,  # the study's from_sweep set
        "finetune_model": 1,
        "evaluate_model": 0,  # each training job writes its own metrics
        "summarize": 1,
        "cost_table": 1,
        "plot_stability": 1,
    }
    assert {rule: counts.get(rule, 0) for rule in expected} == expected
    # Every sweep job reads the train/valid-only view, never the data set's own h5.
    view = "results/sweep/data/chip_synth/train_valid.h5"
    for rule in ("train_sweep", "finetune_sweep", "evaluate_sweep", "sweep_worker"):
        inputs = job_inputs(result.stdout, rule)
        assert len(inputs) == expected[rule]
        data_files = {f for files in inputs for f in files if f.endswith(".h5")}
        assert data_files == {view}, (rule, data_files)
    # The hold-out copy is made from the checked data set.
    assert job_inputs(result.stdout, "hold_out_test") == [
        ["results/data/chip_synth/data.h5", "results/data/chip_synth/check.json"]
    ]
    (fragment,) = [files for files in job_inputs(result.stdout, "train_from_sweep")]
    assert "results/sweep/chip_synth/best_config.yaml" in fragment
    # The picking job waits for every worker of the study.
    assert sorted(job_inputs(result.stdout, "pick_sweep")[0]) == [
        f"results/sweep/chip_synth/optuna/worker-{w}.tsv" for w in range(2)
    ]


def test_default_config_builds_cost_and_stability_but_no_sweep(tmp_path):
    result = snakemake(
        tmp_path, "-n", "--cores", "1", "--configfile", str(REPO / "config/config.yaml")
    )
    assert result.returncode == 0, result.stderr[-3000:]
    counts = job_counts(result.stdout)
    assert counts["cost_table"] == 1 and counts["plot_stability"] == 3
    assert not {"train_sweep", "pick_sweep", "sweep_worker", "train_from_sweep"} & set(counts)


# --------------------------------------------------------------------------- real runs


def write_train_valid_h5(path, length=200, seed=0):
    """A learnable binary task (positives carry CACGTG) with train and valid splits only."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, n in (("train", 300), ("valid", 100)):
        codes = rng.integers(0, 4, size=(n, length))
        labels = rng.integers(0, 2, size=n)
        starts = rng.integers(0, length - 6, size=n)
        rows = np.flatnonzero(labels)
        codes[rows[:, None], starts[rows, None] + np.arange(6)] = [1, 0, 1, 2, 3, 2]
        arrays[f"x_{split}"] = np.eye(4, dtype=np.float32)[codes].transpose(0, 2, 1)
        arrays[f"y_{split}"] = labels[:, None].astype(np.int8)
    with h5py.File(path, "w") as handle:
        for key, value in arrays.items():
            handle[key] = value
    return arrays


@pytest.mark.slow
def test_sweep_jobs_never_read_the_test_split(tmp_path):
    """The whole sweep runs on an h5 that has NO test split: its test keys are absent."""
    source = tmp_path / "no_test.h5"
    arrays = write_train_valid_h5(source)
    # Anything that loads the data set itself needs the test split and fails.
    with pytest.raises(ValueError, match="x_test"):
        load_dataset(source)
    # Two candidates, no finetuning, and a study of 2 trials run by 2 workers.
    config = {
        "seeds": [0],
        "training": {"stage1": {"max_epochs": 1, "batch_size": 50}},
        "augment_sets": {"baseline": {"augmentations": [], "finetune": False}},
        "datasets": {
            "tiny": {
                "source": "h5",
                "path": str(source),
                "model": "chip",
                "task": "binary",
                "model_kwargs": TINY_MODEL,
                "augment_sets": ["baseline"],
                "sweep": {
                    "augmentations": {"mutation": [0.05]},
                    "max_augs_per_seq": [1],
                    "hard_aug": [True],
                    "finetune": False,
                    "search": {"n_trials": 2, "workers": 2},
                },
            }
        },
    }
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(config))
    targets = ["results/sweep/tiny/best_config.yaml", "results/sweep/tiny/scores.tsv"]
    result = snakemake(tmp_path, *targets, "--cores", "2", "--configfile", "tiny.yaml")
    assert result.returncode == 0, result.stderr[-5000:]

    # The view links train and valid into the source and aliases test to valid.
    view = tmp_path / "results/sweep/data/tiny/train_valid.h5"
    with h5py.File(view, "r") as handle:
        link = handle.get("x_train", getlink=True)
        assert isinstance(link, h5py.ExternalLink) and Path(link.filename) == source
        assert handle.get("y_test", getlink=True).path == "/y_valid"
        np.testing.assert_array_equal(handle["x_valid"][()], arrays["x_valid"])
    # Every sweep evaluation holds validation rows only, of the valid split's size.
    evaluations = list((tmp_path / "results/sweep/evaluate/tiny").rglob("*.tsv"))
    assert len(evaluations) == 3
    for path in evaluations:
        assert set(pd.read_csv(path, sep="\t")["split"]) == {"valid"}
    params = json.loads(
        (tmp_path / "results/sweep/train/tiny/combo-1-hard/0/params.json").read_text()
    )
    assert (tmp_path / params["data"]["path"]).resolve() == view.resolve()
    assert params["data"]["n_valid"] == 100
    # The study ran on the same view (the dry run checks the workers' input) and its
    # best trial is best_config.yaml; the grid's scores are of the validation split.
    trials = pd.read_csv(tmp_path / "results/sweep/tiny/trials.tsv", sep="\t")
    assert len(trials) in (2, 3) and set(trials["worker"]) <= {0, 1}
    assert (trials["state"] == "COMPLETE").any()
    assert (tmp_path / "results/sweep/tiny/optuna.journal").is_file()
    fragment = yaml.safe_load((tmp_path / targets[0]).read_text())
    assert fragment["augment_sets"]["from_sweep"]["augmentations"] == ["mutation"]
    assert fragment["datasets"]["tiny"]["augment_params"]["mutation"]["mutate_frac"] == 0.05
    assert not fragment["augment_sets"]["from_sweep"]["finetune"]
    assert set(pd.read_csv(tmp_path / targets[1], sep="\t")["split"]) == {"valid"}


@pytest.mark.slow
def test_sweep_then_study_uses_the_picked_settings(tmp_path):
    """config/sweep.yaml, reduced: command 1 sweeps, command 2 trains from_sweep with the picks."""
    config = yaml.safe_load((REPO / "config/sweep.yaml").read_text())
    entry = config["datasets"]["chip_synth"]
    entry["synthetic"].update(chromosome_length=700_000, n_chip_peaks=400, n_accessible_only=600)
    entry["model_kwargs"] = TINY_MODEL
    entry["sweep"].update(
        augmentations={"translocation": [10, 20], "mutation": [0.05]},
        combo_augmentations=["translocation", "mutation"],
        max_augs_per_seq=[2],
        hard_aug=[False],
    )
    entry["sweep"]["search"] = {"n_trials": 3, "workers": 2, "n_startup_trials": 2}
    config["training"]["stage1"].update(max_epochs=2)
    entry["augment_sets"] = ["baseline"]
    (tmp_path / "sweep_only.yaml").write_text(yaml.safe_dump(config))
    first = snakemake(tmp_path, "--cores", "2", "--configfile", "sweep_only.yaml")
    assert first.returncode == 0, first.stderr[-5000:]

    folder = tmp_path / "results/sweep/chip_synth"
    picks = pd.read_csv(folder / "picks.tsv", sep="\t").set_index("target")
    assert set(picks.index) == {"translocation", "mutation", "combo"}
    assert (picks["stage"] == "finetune").all()
    assert png_size(folder / "sweep.png") == (800, 450)
    # best_config.yaml holds the settings of the study's best completed trial.
    # The best trial may have trained one augmentation alone or the combination: the
    # expected spec is rebuilt from its drawn values, whichever it was.
    fragment = yaml.safe_load((folder / "best_config.yaml").read_text())
    trials = pd.read_csv(folder / "trials.tsv", sep="\t")
    assert 3 <= len(trials) <= 4 and set(trials["worker"]) <= {0, 1}
    complete = trials[trials["state"] == "COMPLETE"]
    best = complete.loc[complete["value"].idxmax()]
    space = sweep.search_space(entry["sweep"], entry["augment_params"])
    drawn = {d.name: best[d.name] for d in space if pd.notna(best.get(d.name))}
    assert drawn["augment"] in {"translocation", "mutation", "combo"}
    expected = sweep.spec_from_values(drawn, entry["sweep"], entry["augment_params"])
    picked = fragment["augment_sets"]["from_sweep"]["augmentations"]
    assert sorted(picked) == sorted(expected["augmentations"])
    if "translocation" in picked:
        shift_max = expected["augmentations"]["translocation"]["shift_max"]
        assert 10 <= shift_max <= 20
        assert (
            fragment["datasets"]["chip_synth"]["augment_params"]["translocation"]["shift_max"]
            == shift_max
        )
    # Stage 1 (at most 2 epochs) plus 1 finetune epoch per trained trial; a repeat of
    # an earlier trial's settings is answered from it without training.
    trained = complete["twin"].isna()
    assert complete.loc[trained, "epochs"].between(2, 3).all()
    assert (complete.loc[~trained, "epochs"] == 0).all()
    assert "Optuna study chip_synth-" in (folder / "best_config.yaml").read_text()
    for figure in ("optuna_history.png", "optuna_importance.png"):
        assert png_size(folder / figure) == (800, 450)

    cost = pd.read_csv(tmp_path / "results/summary/cost.tsv", sep="\t")
    assert list(cost["augset"]) == ["baseline"]
    assert png_size(tmp_path / "results/summary/chip_synth/stability.png") == (800, 450)

    # Command 2: the study with the sweep's settings; the sweep is not rerun.
    entry["augment_sets"] = ["baseline", "from_sweep"]
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(config))
    second = snakemake(tmp_path, "--cores", "2", "--configfile", "study.yaml")
    assert second.returncode == 0, second.stderr[-5000:]
    assert "rule train_from_sweep" in second.stdout + second.stderr
    assert not re.search(
        r"rule ((train|finetune|evaluate|pick|score)_sweep|sweep_worker)", second.stderr
    )
    params = json.loads(
        (tmp_path / "results/train/chip_synth/from_sweep/0/params.json").read_text()
    )
    augment = params["augment"]
    assert augment == Augmenter.from_config(expected).to_config()
    assert (
        augment
        == Augmenter.from_config(
            grid.sweep_augment_spec(fragment, "chip_synth", entry["augment_params"])
        ).to_config()
    )
    comparison = pd.read_csv(tmp_path / "results/summary/comparison.tsv", sep="\t")
    assert {("from_sweep", "stage1"), ("from_sweep", "finetune")} <= set(
        zip(comparison["augset"], comparison["stage"], strict=True)
    )
    cost = pd.read_csv(tmp_path / "results/summary/cost.tsv", sep="\t")
    assert set(cost["augset"]) == {"baseline", "from_sweep"}

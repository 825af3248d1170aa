"""Tests of evoaugflow.sweep: candidates (torch-free), validation-only picks, the Optuna search."""

import math
import re
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import optuna
import pandas as pd
import pytest
import torch
import yaml

from evoaugflow import config as grid
from evoaugflow import summary, sweep
from evoaugflow.augment import Augmenter
from evoaugflow.data import SequenceData
from evoaugflow.sweep import candidates, search

REPO = Path(__file__).resolve().parents[1]
WILDCARD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
BASE_PARAMS = {
    "mutation": {"mutate_frac": 0.05},
    "translocation": {"shift_min": 0, "shift_max": 20},
    "insertion": {"insert_min": 0, "insert_max": 20},
    "deletion": {"delete_min": 5, "delete_max": 30},
    "inversion": {"invert_min": 0, "invert_max": 20},
    "rc": {"rc_prob": 0.5},
    "noise": {"noise_mean": 0.0, "noise_std": 0.3},
}
SMALL_SPEC = {
    "augmentations": {"deletion": [40, 10, 20, 30], "mutation": [0.1, 0.05]},
    "max_augs_per_seq": [1, 2],
    "hard_aug": [True, False],
}


# --------------------------------------------------------------------------- candidates


def test_default_sweep_has_the_papers_grid():
    candidates = sweep.sweep_candidates(None, BASE_PARAMS)
    names = [c.name for c in candidates]
    # 4 lengths x 10 + mutation, noise x 7 + rc x 5 singles, then 5 counts x hard/soft.
    assert len(candidates) == 4 * 10 + 2 * 7 + 5 + 10
    assert len(set(names)) == len(names)
    assert all(WILDCARD.match(name) for name in names)
    assert names[:3] == ["translocation-10", "translocation-20", "translocation-30"]
    assert {"deletion-100", "mutation-0.05", "noise-0.35", "rc-0.1", "rc-0.5"} <= set(names)
    assert names[-10:] == [f"combo-{n}-{h}" for n in range(1, 6) for h in ("soft", "hard")]
    for candidate in candidates:
        info = sweep.parse_candidate_name(candidate.name)
        assert info["kind"] == candidate.kind
        assert info["strength"] == candidate.strength
        assert type(info["strength"]) is type(candidate.strength)
        # The torch-free spec is exactly what the Augmenter builds from it.
        built = Augmenter.from_config(candidate.augment_spec).to_config()
        assert {k: v for k, v in built.items() if k != "pad_seed"} == candidate.augment_spec


def test_candidates_keep_base_parameters_and_vary_only_the_strength():
    by_name = {c.name: c for c in sweep.sweep_candidates(SMALL_SPEC, BASE_PARAMS)}
    assert list(by_name) == [
        "deletion-10",
        "deletion-20",
        "deletion-30",
        "deletion-40",
        "mutation-0.05",
        "mutation-0.1",
        "combo-1-soft",
        "combo-1-hard",
        "combo-2-soft",
        "combo-2-hard",
    ]
    single = by_name["deletion-40"]
    assert single.augment_spec == {
        "augmentations": {"deletion": {"delete_min": 5, "delete_max": 40}},
        "max_augs_per_seq": 1,
        "hard_aug": True,
        "insertion_mode": "pad",
    }
    assert (single.kind, single.augmentation, single.strength) == ("single", "deletion", 40)
    combo = by_name["combo-2-soft"]
    assert combo.augment_spec["augmentations"] == {
        "deletion": BASE_PARAMS["deletion"],
        "mutation": BASE_PARAMS["mutation"],
    }
    assert (combo.max_augs_per_seq, combo.hard_aug) == (2, False)
    # Same spec, same candidates: names and specs are stable.
    again = sweep.sweep_candidates(SMALL_SPEC, BASE_PARAMS)
    assert [(c.name, c.augment_spec) for c in again] == [
        (c.name, c.augment_spec) for c in by_name.values()
    ]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"augmentationz": {}}, "unknown keys"),
        ({"augmentations": {"shuffle": [1]}}, "unknown augmentation"),
        ({"augmentations": {"deletion": [10.5]}}, "sweep.augmentations.deletion"),
        ({"augmentations": {"mutation": [0.0]}}, "strength of 0 is the baseline"),
        ({"augmentations": {"mutation": [0.9]}}, "mutate_frac"),
        ({"augmentations": {"deletion": [3]}}, "delete_min"),
        ({"augmentations": {"deletion": [10, 10]}}, "repeat"),
        (
            {"augmentations": {"deletion": [10]}, "max_augs_per_seq": [2]},
            r"must list counts in 1\.\.1",
        ),
        ({"hard_aug": ["yes"]}, "sweep.hard_aug"),
        ({"combo_augmentations": ["noise"], "augmentations": {"rc": [0.5]}}, "combo_aug"),
        ({"metric": 3}, "sweep.metric"),
    ],
)
def test_bad_sweep_specs_name_the_key(spec, message):
    with pytest.raises(ValueError, match=message):
        sweep.sweep_candidates(spec, BASE_PARAMS)


def test_parse_rejects_names_that_are_not_sweep_names():
    for name in ("evoaug", "deletion-3.0", "combo-0-hard", "mutation-", "rc-x"):
        with pytest.raises(ValueError, match="not a sweep name"):
            sweep.parse_candidate_name(name)


# --------------------------------------------------------------------------- scores, picks

# Validation means (stage -> candidate -> mean). Each candidate gets two seeds at
# mean +- 0.01, so equal means tie only up to float rounding.
VALID = {
    "finetune": {
        "baseline": 0.80,
        "deletion-10": 0.80,
        "deletion-20": 0.85,  # ties with deletion-30: the milder 20 wins
        "deletion-30": 0.85,
        "deletion-40": 0.83,
        "mutation-0.05": 0.84,
        "mutation-0.1": 0.86,  # clear best
        "combo-1-soft": 0.85,
        "combo-1-hard": 0.85,
        "combo-2-soft": 0.90,  # ties with combo-2-hard: soft wins
        "combo-2-hard": 0.90,
    },
    "stage1": {
        "baseline": 0.80,
        "deletion-10": 0.70,
        "deletion-20": 0.71,
        "deletion-30": 0.72,
        "deletion-40": 0.75,  # best at stage 1
        "mutation-0.05": 0.74,
        "mutation-0.1": 0.73,
        "combo-1-soft": 0.70,
        "combo-1-hard": 0.91,
        "combo-2-soft": 0.80,
        "combo-2-hard": 0.80,
    },
}
# The test split points elsewhere: a picker that read it would choose these.
TEST_BEST = {"deletion-10", "mutation-0.05", "combo-1-soft"}


def _metrics_table(valid=VALID, metric="auroc", dataset="chip_synth"):
    rows = []
    for stage, means in valid.items():
        for augset, mean in means.items():
            if augset == "baseline" and stage != "stage1":
                continue
            for seed, delta in ((0, 0.01), (1, -0.01)):
                common = {"dataset": dataset, "augset": augset, "stage": stage, "seed": seed}
                rows.append(
                    common
                    | {"split": "valid", "metric": metric, "task": "mean", "value": mean + delta}
                )
                rows.append(common | {"split": "valid", "metric": metric, "task": "0", "value": 0})
                rows.append(
                    common
                    | {
                        "split": "test",
                        "metric": metric,
                        "task": "mean",
                        "value": 0.99 if augset in TEST_BEST else 0.5,
                    }
                )
    return pd.DataFrame(rows)


def test_scores_are_validation_means_over_seeds():
    scores = sweep.score_candidates(_metrics_table())
    assert set(scores["split"]) == {"valid"}
    assert set(scores["metric"]) == {"auroc"}
    row = scores[(scores["candidate"] == "mutation-0.1") & (scores["stage"] == "finetune")]
    assert row["mean"].item() == pytest.approx(0.86, abs=1e-12)
    assert row["sd"].item() == pytest.approx(0.02 / math.sqrt(2), abs=1e-12)
    assert row["n_seeds"].item() == 2
    assert scores["candidate"].iloc[0] == "baseline"
    # 11 stage-1 rows (baseline included) + 10 finetune rows.
    assert len(scores) == 21
    kinds = scores.drop_duplicates("candidate")["kind"].tolist()
    assert kinds == ["baseline"] + ["single"] * 6 + ["combo"] * 4


def test_picker_chooses_known_best_and_breaks_ties_to_milder(tmp_path):
    scores = sweep.score_candidates(_metrics_table())
    picks = sweep.pick_best(scores)
    # The workflow passes scores between rules as TSV: the picks must survive that.
    summary.write_tsv(scores, tmp_path / "scores.tsv")
    read_back = pd.read_csv(tmp_path / "scores.tsv", sep="\t")
    pd.testing.assert_frame_equal(sweep.pick_best(read_back), picks)
    picks = picks.set_index("target")
    assert picks.loc["deletion", "candidate"] == "deletion-20"
    assert picks.loc["deletion", "n_tied"] == 2
    assert picks.loc["mutation", "candidate"] == "mutation-0.1"
    assert picks.loc["mutation", "n_tied"] == 1
    assert picks.loc["combo", "candidate"] == "combo-2-soft"
    assert (picks.loc["combo", "max_augs_per_seq"], picks.loc["combo", "hard_aug"]) == (2, False)
    assert picks.loc["deletion", "baseline_mean"] == pytest.approx(0.80)
    assert picks.loc["mutation", "mean"] == pytest.approx(0.86)
    assert not set(picks["candidate"]) & TEST_BEST
    # Stage 1 decides differently; a wide tolerance makes the milder setting win.
    stage1 = sweep.pick_best(scores, stage="stage1").set_index("target")
    assert stage1.loc["deletion", "candidate"] == "deletion-40"
    assert stage1.loc["combo", "candidate"] == "combo-1-hard"
    loose = sweep.pick_best(scores, tolerance=0.03).set_index("target")
    assert loose.loc["mutation", "candidate"] == "mutation-0.05"
    assert loose.loc["deletion", "candidate"] == "deletion-20"
    assert loose.loc["combo", "candidate"] == "combo-2-soft"
    wider = sweep.pick_best(scores, tolerance=0.06).set_index("target")
    assert wider.loc["combo", "candidate"] == "combo-1-soft"


def test_picker_follows_the_metric_direction():
    means = {"finetune": {"deletion-10": 0.30, "deletion-20": 0.20, "deletion-30": 0.25}}
    scores = sweep.score_candidates(_metrics_table(means, metric="mse"), metric="mse")
    picks = sweep.pick_best(scores)
    assert picks["candidate"].tolist() == ["deletion-20"]
    assert sweep.pick_best(scores.assign(metric="pearson"))["candidate"].item() == "deletion-10"


def test_test_split_is_refused():
    metrics = _metrics_table()
    with pytest.raises(ValueError, match="validation split only"):
        sweep.score_candidates(metrics, split="test")
    with pytest.raises(ValueError, match="validation split only"):
        sweep.require_validation_split("test")
    scores = sweep.score_candidates(metrics)
    with pytest.raises(ValueError, match="split \\['test'\\]"):
        sweep.pick_best(scores.assign(split="test"))
    only_test = metrics[metrics["split"] == "test"]
    with pytest.raises(ValueError, match="no rows with split 'valid'"):
        sweep.score_candidates(only_test)
    with pytest.raises(ValueError, match="not a sweep name"):
        sweep.score_candidates(metrics.replace({"augset": {"deletion-10": "evoaug"}}))
    with pytest.raises(ValueError, match="repeat"):
        sweep.score_candidates(pd.concat([metrics, metrics.iloc[:1]]))


def test_config_fragment_is_valid_config_and_round_trips(tmp_path):
    picks = sweep.pick_best(sweep.score_candidates(_metrics_table()))
    fragment = sweep.best_config_fragment(picks, SMALL_SPEC, BASE_PARAMS)
    assert fragment == {
        "augment_sets": {
            "from_sweep": {
                "augmentations": ["deletion", "mutation"],
                "max_augs_per_seq": 2,
                "hard_aug": False,
                "insertion_mode": "pad",
                "finetune": True,
            }
        },
        "datasets": {
            "chip_synth": {
                "augment_params": {
                    "deletion": {"delete_min": 5, "delete_max": 20},
                    "mutation": {"mutate_frac": 0.1},
                }
            }
        },
    }
    path = sweep.write_config_fragment(
        tmp_path / "best.yaml", fragment, "results/sweep/chip_synth/scores.tsv"
    )
    text = path.read_text()
    assert text.startswith("# Augmentation settings chosen")
    assert "Source: results/sweep/chip_synth/scores.tsv" in text
    assert yaml.safe_load(text) == fragment
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind

    # Merged into the shipped config it validates and gives the chosen Augmenter spec.
    with open(REPO / "config" / "config.yaml") as handle:
        config = yaml.safe_load(handle)
    merged = sweep.apply_fragment(config, fragment)
    assert merged["datasets"]["chip_synth"]["augment_sets"][-1] == "from_sweep"
    validated = grid.validate_config(merged, REPO / "workflow" / "schemas" / "config.schema.yaml")
    spec = grid.augment_spec(validated, "chip_synth", "from_sweep")
    assert spec["augmentations"]["deletion"] == {"delete_min": 5, "delete_max": 20}
    assert (spec["max_augs_per_seq"], spec["hard_aug"]) == (2, False)
    assert Augmenter.from_config(spec).to_config()["augmentations"] == spec["augmentations"]

    with pytest.raises(ValueError, match="no combination row"):
        sweep.best_config_fragment(picks[picks["target"] != "combo"], SMALL_SPEC)


def _planted_data(seed=0, n_train=240, n_valid=80, length=64):
    """One-hot random DNA; label 1 where a GATAAG motif is planted at a random place."""
    generator = torch.Generator().manual_seed(seed)
    n = n_train + n_valid
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (n, length), generator=generator), 4)
    x = x.permute(0, 2, 1).float()
    y = (torch.arange(n) % 2).float().unsqueeze(1)
    motif = torch.nn.functional.one_hot(torch.tensor([2, 0, 3, 0, 0, 2]), 4).T.float()
    starts = torch.randint(0, length - 6, (n,), generator=generator)
    for row in torch.nonzero(y[:, 0]).ravel().tolist():
        x[row, :, starts[row] : starts[row] + 6] = motif
    return SequenceData(
        x[:n_train],
        y[:n_train],
        x[n_train:],
        y[n_train:],
        x[n_train:],
        y[n_train:],
        None,
        length,
        1,
    )


@pytest.mark.parametrize(
    ("augmentations", "count"),
    [
        ({"deletion": {"delete_min": 50, "delete_max": 40}}, 1),
        ({"mutation": {"mutate_frac": 0.9}}, 1),
        ({"noise": {"noise_std": -1.0}}, 1),
        ({"rc": {"rc_prob": 1.5}}, 1),
        ({"translocation": {"shift_min": -1}}, 1),
        ({"mutation": {}, "rc": {}}, 3),
    ],
)
def test_torch_free_check_refuses_what_the_augmenter_refuses(augmentations, count):
    spec = {"augmentations": augmentations, "max_augs_per_seq": count, "hard_aug": True}
    problems = candidates.spec_problems(spec, "where")
    assert len(problems) == 1 and problems[0].startswith("where.")
    with pytest.raises(ValueError):
        Augmenter.from_config(spec)
    good = {"augmentations": {"deletion": {"delete_min": 5, "delete_max": 40}}}
    assert candidates.spec_problems(good | {"max_augs_per_seq": 1}, "where") == []


def test_config_check_and_candidates_import_neither_torch_nor_matplotlib_nor_optuna():
    code = (
        "import sys, yaml, evoaugflow.sweep.candidates, evoaugflow.sweep.plan;"
        "from evoaugflow import config;"
        "config.validate_config(yaml.safe_load(open('config/sweep.yaml')),"
        " 'workflow/schemas/config.schema.yaml', check_settings=False);"
        "print(sorted(m for m in ('torch', 'matplotlib', 'optuna') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert result.stdout.strip() == "[]"


def test_search_space_spans_the_grids_choices_and_ranges():
    space = sweep.search_space(SMALL_SPEC, BASE_PARAMS)
    combo = ("combo",)
    assert space == [
        sweep.Dimension("augment", "categorical", choices=("deletion", "mutation", "combo")),
        sweep.Dimension("deletion.delete_max", "int", 10, 40, when=("deletion", *combo)),
        sweep.Dimension("mutation.mutate_frac", "float", 0.05, 0.1, when=("mutation", *combo)),
        sweep.Dimension("max_augs_per_seq", "categorical", choices=(1, 2), when=combo),
        sweep.Dimension("hard_aug", "categorical", choices=(False, True), when=combo),
    ]
    # A trial training deletion alone draws its strength only.
    assert [d.name for d in space if d.active("deletion")] == ["augment", "deletion.delete_max"]
    values = {"deletion.delete_max": 33, "mutation.mutate_frac": 0.07, "max_augs_per_seq": 2}
    spec = sweep.spec_from_values(
        values | {"augment": "combo", "hard_aug": False}, SMALL_SPEC, BASE_PARAMS
    )
    assert spec == {
        "augmentations": {
            "deletion": {"delete_min": 5, "delete_max": 33},
            "mutation": {"mutate_frac": 0.07},
        },
        "max_augs_per_seq": 2,
        "hard_aug": False,
        "insertion_mode": "pad",
    }
    # One augmentation alone: the grid's single candidate at the drawn strength.
    single = sweep.spec_from_values(
        {"augment": "mutation", "mutation.mutate_frac": 0.1}, SMALL_SPEC, BASE_PARAMS
    )
    grid_single = {c.name: c for c in sweep.sweep_candidates(SMALL_SPEC, BASE_PARAMS)}
    assert single == grid_single["mutation-0.1"].augment_spec
    with pytest.raises(ValueError, match=r"augment='noise'; use one of"):
        sweep.spec_from_values({"augment": "noise"}, SMALL_SPEC, BASE_PARAMS)
    # Only listed augmentations combine: a combination of one is no extra choice.
    alone = SMALL_SPEC | {"combo_augmentations": ["deletion"], "max_augs_per_seq": [1]}
    assert sweep.search_choices(alone) == ("deletion", "mutation")
    assert all(
        d.name not in ("max_augs_per_seq", "hard_aug")
        for d in sweep.search_space(alone, BASE_PARAMS)
    )
    # One value listed: the setting is fixed, not searched.
    fixed = {"augmentations": {"deletion": [20]}, "max_augs_per_seq": [1], "hard_aug": [True]}
    assert sweep.search_space(fixed, BASE_PARAMS) == []
    assert sweep.spec_from_values({}, fixed, BASE_PARAMS)["augmentations"] == {
        "deletion": {"delete_min": 5, "delete_max": 20}
    }
    # A range end below the base lower bound is refused before any trial.
    with pytest.raises(ValueError, match=r"delete_min=5 is larger than delete_max=3"):
        sweep.search_space({"augmentations": {"deletion": [3, 30]}}, BASE_PARAMS)


def test_fragment_from_a_spec_has_the_grids_format_and_round_trips(tmp_path):
    spec = sweep.spec_from_values(
        {
            "augment": "combo",
            "deletion.delete_max": np.int64(25),
            "mutation.mutate_frac": 0.08,
            "hard_aug": True,
        },
        SMALL_SPEC,
        BASE_PARAMS,
    )
    fragment = sweep.fragment_from_spec(spec, SMALL_SPEC, "chip_synth")
    picks = sweep.pick_best(sweep.score_candidates(_metrics_table()))
    grid_fragment = sweep.best_config_fragment(picks, SMALL_SPEC, BASE_PARAMS)
    assert fragment.keys() == grid_fragment.keys()
    assert fragment["augment_sets"]["from_sweep"].keys() == (
        grid_fragment["augment_sets"]["from_sweep"].keys()
    )
    path = sweep.write_config_fragment(tmp_path / "best.yaml", fragment, "an Optuna study")
    read = yaml.safe_load(path.read_text())
    assert read == fragment
    assert grid.sweep_augment_spec(read, "chip_synth", BASE_PARAMS) == spec


# --------------------------------------------------------------------------- Optuna search

RECIPE = {
    "stage1": {"max_epochs": 4, "batch_size": 40, "early_stopping_patience": 4},
    "finetune": {"lr": 1e-4, "max_epochs": 1, "batch_size": 40},
}
SEARCH_SPEC = {
    "augmentations": {"deletion": [4, 16], "mutation": [0.05, 0.25]},
    "max_augs_per_seq": [1, 2],
    "hard_aug": [False, True],
    "finetune": True,
    "search": {
        "n_trials": 6,
        "workers": 1,
        "seed": 0,
        "n_startup_trials": 2,
        "pruner": "successive_halving",
        "min_epochs": 1,
        "eta": 2,
    },
}


def _settings(**search):
    sweep_spec = SEARCH_SPEC | {"search": SEARCH_SPEC["search"] | search}
    return {
        "dataset": "planted",
        "task": "binary",
        "model": "chip",
        "model_kwargs": {"conv_channels": [8, 8, 8], "fc_units": [16]},
        "augment_params": {"deletion": {"delete_min": 0}, "mutation": {}},
        "recipe": RECIPE,
        "sweep": sweep_spec,
        "seed": 0,
        "device": "cpu",
    }


def _write_h5(path, data, test=None):
    """Train and valid splits; test keys alias valid (the workflow's view) unless given."""
    with h5py.File(path, "w") as handle:
        for name in ("x_train", "y_train", "x_valid", "y_valid"):
            handle[name] = getattr(data, name).numpy()
        if test is None:
            handle["x_test"] = h5py.SoftLink("/x_valid")
            handle["y_test"] = h5py.SoftLink("/y_valid")
        else:
            handle["x_test"], handle["y_test"] = test
    return path


def test_search_is_reproducible_prunes_and_ignores_the_test_split(tmp_path, one_thread):
    """Same seed, same study: once on a view without a test split, once with a real one."""
    data = _planted_data()
    view = _write_h5(tmp_path / "view.h5", data)
    rng = np.random.default_rng(1)
    other_test = (
        np.eye(4, dtype=np.float32)[rng.integers(0, 4, (50, 64))].transpose(0, 2, 1),
        rng.integers(0, 2, (50, 1)).astype(np.float32),
    )
    full = _write_h5(tmp_path / "full.h5", data, test=other_test)
    settings = _settings()
    tables = []
    for name, path in (("a", view), ("b", full)):
        journal = tmp_path / name / "optuna.journal"
        mine = search.run_worker(settings, path, journal, 0, scratch=tmp_path)
        tables.append(search.trials_table(search.load_study(journal, settings)))
        pd.testing.assert_frame_equal(mine, tables[-1])
    pd.testing.assert_frame_equal(tables[0], tables[1])
    table = tables[0]
    assert len(table) == 6 and set(table["worker"]) == {0}
    pruned = table[table["state"] == "PRUNED"]
    complete = table[table["state"] == "COMPLETE"]
    assert len(pruned) >= 1 and len(complete) >= 1
    # A pruned trial stopped stage 1 early; a completed one ran stage 1 and finetuning.
    # (Pruned at the last stage-1 epoch, it skips finetuning and scoring.)
    assert (pruned["epochs"] == pruned["last_step"]).all()
    assert (pruned["epochs"] < RECIPE["stage1"]["max_epochs"]).any()
    assert pruned["value"].isna().all()
    assert (complete["epochs"] == complete["last_step"] + 1).all()
    assert complete["value"].between(0, 1).all()
    # A trial draws a strength only for what it trains (conditional space), in range.
    assert set(table["augment"]) <= {"deletion", "mutation", "combo"}
    for aug, column, low, high in (
        ("deletion", "deletion.delete_max", 4, 16),
        ("mutation", "mutation.mutate_frac", 0.05, 0.25),
    ):
        trains = table["augment"].isin([aug, "combo"])
        assert table.loc[trains, column].between(low, high).all()
        assert table.loc[~trains, column].isna().all()
    assert not list(tmp_path.glob("trial-*")) and not list(tmp_path.glob(".optuna-*"))

    # A second run of the worker finds the study full and adds nothing.
    journal = tmp_path / "a" / "optuna.journal"
    again = search.run_worker(settings, view, journal, 0, scratch=tmp_path)
    pd.testing.assert_frame_equal(again, table)
    # Other settings start another study in the same journal.
    other = _settings(seed=1)
    assert search.study_name(other) != search.study_name(settings)
    with pytest.raises(KeyError):
        search.load_study(journal, other)


def test_best_trial_round_trips_through_best_config(tmp_path, one_thread):
    data = _planted_data(seed=2)
    view = _write_h5(tmp_path / "view.h5", data)
    settings = _settings(n_trials=3, n_startup_trials=3)
    journal = tmp_path / "optuna.journal"
    search.run_worker(settings, view, journal, 0, scratch=tmp_path)
    study = search.pick(journal, settings, tmp_path / "best_config.yaml", tmp_path / "trials.tsv")
    trials = pd.read_csv(tmp_path / "trials.tsv", sep="\t")
    best = trials.loc[trials["value"].idxmax()]
    assert best["number"] == study.best_trial.number
    fragment = yaml.safe_load((tmp_path / "best_config.yaml").read_text())
    spec = grid.sweep_augment_spec(fragment, "planted", settings["augment_params"])
    assert spec == sweep.spec_from_values(
        study.best_trial.params, settings["sweep"], settings["augment_params"]
    )
    # The trial's own draws (trials.tsv leaves the others empty) are the settings.
    chosen = best["augment"]
    augs = list(SEARCH_SPEC["augmentations"]) if chosen == "combo" else [chosen]
    assert list(spec["augmentations"]) == augs
    for aug in augs:
        parameter = sweep.STRENGTH_PARAMETER[aug]
        assert spec["augmentations"][aug][parameter] == pytest.approx(best[f"{aug}.{parameter}"])
    count = best["max_augs_per_seq"] if chosen == "combo" else 1
    assert spec["max_augs_per_seq"] == count
    assert fragment["augment_sets"]["from_sweep"]["finetune"] is True
    # Built like any augmentation set of the config.
    built = Augmenter.from_config(spec).to_config()
    assert built["augmentations"] == spec["augmentations"]


def test_a_repeated_point_is_answered_from_its_twin_without_training(tmp_path, one_thread):
    """TPE repeats integer and categorical points; same settings and seed train the same,
    so the repeat takes the earlier trial's value and spends no epoch."""
    view = _write_h5(tmp_path / "view.h5", _planted_data(seed=3))
    settings = _settings(n_trials=3, n_startup_trials=3, min_epochs=10)  # no pruning
    journal = tmp_path / "optuna.journal"
    study = search.open_study(journal, settings)
    point = {"augment": "deletion", "deletion.delete_max": 9}
    for values in (point, {"augment": "deletion", "deletion.delete_max": 10}, point):
        study.enqueue_trial(values)
    search.run_worker(settings, view, journal, 0, scratch=tmp_path)
    table = search.trials_table(search.load_study(journal, settings))
    assert table["state"].tolist() == ["COMPLETE"] * 3
    assert table["epochs"].tolist()[2] == 0 and table["twin"].tolist()[2] == 0
    assert table["epochs"].iloc[:2].gt(0).all() and table["twin"].iloc[:2].isna().all()
    assert table["value"].iloc[2] == table["value"].iloc[0]
    # A neighbouring strength is its own point: trained, with its own score.
    assert table["value"].iloc[1] != table["value"].iloc[0]


def test_a_study_without_a_completed_trial_is_refused(tmp_path):
    settings = _settings()
    study = search.open_study(tmp_path / "optuna.journal", settings)
    study.enqueue_trial({"augment": "deletion", "deletion.delete_max": 4})
    trial = study.ask()
    study.tell(trial, state=optuna.trial.TrialState.PRUNED)
    with pytest.raises(ValueError, match="no trial completed"):
        search.best_fragment(study, settings)
    with pytest.raises(ValueError, match="no Optuna journal"):
        search.load_study(tmp_path / "missing.journal", settings)


def test_pruner_and_sampler_follow_the_search_settings(tmp_path):
    halving = search.open_study(tmp_path / "a.journal", _settings(), worker=1)
    assert isinstance(halving.pruner, optuna.pruners.SuccessiveHalvingPruner)
    assert isinstance(halving.sampler, optuna.samplers.TPESampler)
    assert halving.direction == optuna.study.StudyDirection.MAXIMIZE
    band = search.open_study(tmp_path / "b.journal", _settings(pruner="hyperband"))
    assert isinstance(band.pruner, optuna.pruners.HyperbandPruner)
    # Two workers of one study share it; their samplers draw differently (seed + worker).
    first = search.open_study(tmp_path / "c.journal", _settings(), worker=0)
    second = search.open_study(tmp_path / "c.journal", _settings(), worker=1)
    assert first.study_name == second.study_name
    draws = [
        study.sampler.sample_independent(
            study, None, "x", optuna.distributions.FloatDistribution(0, 1)
        )
        for study in (first, second)
    ]
    assert draws[0] != draws[1]
    with pytest.raises(ValueError, match="sweep.search.pruner"):
        search.open_study(tmp_path / "d.journal", _settings(pruner="median"))

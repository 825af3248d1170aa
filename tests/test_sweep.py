"""Tests of evoaugflow.sweep: candidates, validation-only picks, halving, cost, figures."""

import math
import re
import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from matplotlib import image as mpimg

from evoaugflow import config as grid
from evoaugflow import summary, sweep
from evoaugflow.augment import Augmenter
from evoaugflow.data import SequenceData
from evoaugflow.models import get_model
from evoaugflow.train import evaluate, train_stage

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


def png_size(path):
    head = Path(path).read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


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
        assert Augmenter.from_config(candidate.augment_spec) is not None


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
        ({"augmentations": {"deletion": [10]}, "max_augs_per_seq": [2]}, "allowed 1..1"),
        ({"hard_aug": ["yes"]}, "sweep.hard_aug"),
        ({"combo_augmentations": ["noise"], "augmentations": {"rc": [0.5]}}, "combo_aug"),
        ({"metric": "accuracy"}, "metric"),
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
    assert Augmenter.from_config(spec) is not None

    # A second round combines at the picked strengths.
    tuned = sweep.tuned_candidates(SMALL_SPEC, fragment)
    assert [c.name for c in tuned] == [
        "tuned-1-soft",
        "tuned-1-hard",
        "tuned-2-soft",
        "tuned-2-hard",
    ]
    assert tuned[0].augment_spec["augmentations"]["mutation"] == {"mutate_frac": 0.1}
    with pytest.raises(ValueError, match="no combination row"):
        sweep.best_config_fragment(picks[picks["target"] != "combo"], SMALL_SPEC)


# --------------------------------------------------------------------------- halving

OPTIMUM = 40


class ToyTraining:
    """Score = f(strength) + noise shrinking as 1/epochs; records what each call costs."""

    def __init__(self, flat=False):
        self.flat = flat
        self.reached = {}
        self.run_epochs = 0

    def __call__(self, candidate, epochs):
        previous = self.reached.get(candidate.name, 0)
        assert epochs > previous, "a candidate must only be continued"
        self.run_epochs += epochs - previous
        self.reached[candidate.name] = epochs
        if self.flat:
            return 0.5
        truth = 1.0 - ((candidate.strength - OPTIMUM) / 60.0) ** 2
        noise = np.random.default_rng([candidate.strength, epochs]).standard_normal()
        return truth + 0.02 * noise / epochs


def _deletion_candidates():
    spec = {"augmentations": {"deletion": list(range(10, 101, 10))}, "max_augs_per_seq": []}
    return sweep.sweep_candidates(spec, BASE_PARAMS)


def test_successive_halving_finds_the_optimum_within_budget():
    candidates = _deletion_candidates()
    schedule = sweep.halving_schedule(len(candidates))
    assert schedule[["n_candidates", "epochs", "cost"]].values.tolist() == [
        [10, 1, 10],
        [5, 2, 5],
        [2, 4, 4],
    ]
    budget = int(schedule["cumulative_cost"].iloc[-1])
    toy = ToyTraining()
    result = sweep.successive_halving(candidates, toy, budget_epochs=budget)
    assert result.chosen.name == f"deletion-{OPTIMUM}"
    assert result.completed
    assert result.total_epochs == toy.run_epochs == sum(result.cost.values()) == 19
    assert result.total_epochs <= budget
    assert result.epochs[f"deletion-{OPTIMUM}"] == 4
    assert result.total_epochs < sweep.full_grid_epochs(len(candidates), 4) == 40
    assert len(result.rungs) == 10 + 5 + 2
    assert result.rungs.groupby("rung")["kept"].sum().tolist() == [5, 2, 1]
    # Rung 0 ranks every candidate; the top five by noisy score are continued.
    first = result.rungs[result.rungs["rung"] == 0].sort_values("rank")
    assert first["score"].is_monotonic_decreasing
    # Without resuming, every call costs its full epochs.
    again = sweep.successive_halving(
        candidates, ToyTraining(), budget_epochs=10 + 10 + 8, resume=False
    )
    assert (again.chosen.name, again.total_epochs, again.completed) == ("deletion-40", 28, True)


def test_successive_halving_never_exceeds_the_budget():
    candidates = _deletion_candidates()
    for budget in range(10, 25):
        toy = ToyTraining()
        result = sweep.successive_halving(candidates, toy, budget_epochs=budget)
        assert toy.run_epochs == result.total_epochs <= budget
        assert result.completed == (budget >= 19)
    stopped = sweep.successive_halving(candidates, ToyTraining(), budget_epochs=14)
    assert stopped.total_epochs == 10 and not stopped.completed
    # The best of rung 0 is chosen when the budget ends the search.
    first = stopped.rungs.sort_values("rank")
    assert stopped.chosen.name == first["candidate"].iloc[0]
    with pytest.raises(ValueError, match="does not cover the first rung"):
        sweep.successive_halving(candidates, ToyTraining(), budget_epochs=9)


def test_successive_halving_breaks_ties_to_the_milder_candidate():
    candidates = _deletion_candidates()[::-1]  # mildest last: order must not matter
    result = sweep.successive_halving(candidates, ToyTraining(flat=True), budget_epochs=100)
    assert result.chosen.name == "deletion-10"
    combos = sweep.sweep_candidates(
        {"augmentations": {"deletion": [10], "mutation": [0.1], "noise": [0.1]}},
        BASE_PARAMS,
    )[3:]
    result = sweep.successive_halving(combos[::-1], ToyTraining(flat=True), budget_epochs=100)
    assert result.chosen.name == "combo-1-soft"


# --------------------------------------------------------------------------- cost


def _write(path, frame):
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, sep="\t", index=False)
    return path


def _benchmark(path, seconds, rss_values):
    rows = [
        {
            "s": seconds,
            "h:m:s": "0:00:10",
            "max_rss": rss,
            "max_vms": 900.0,
            "max_uss": "-",
            "max_pss": "-",
            "io_in": 1.0,
            "io_out": 2.0,
            "mean_load": 95.0,
            "cpu_time": seconds,
        }
        for rss in rss_values
    ]
    return _write(path, pd.DataFrame(rows))


def _history(path, seconds):
    n = len(seconds)
    return _write(
        path,
        pd.DataFrame(
            {
                "epoch": range(1, n + 1),
                "lr": 1e-3,
                "train_loss": 0.5,
                "valid_loss": 0.6,
                "seconds": seconds,
            }
        ),
    )


def test_cost_table_known_numbers(tmp_path):
    plan = [
        # (augset, stage, seed, epoch seconds, benchmark seconds, max_rss per repeat)
        ("baseline", "stage1", 0, [1, 1, 1], 10, [100]),
        ("baseline", "stage1", 1, [2, 2, 2], 14, [120]),
        ("evoaug", "stage1", 0, [3, 3], 20, [150, 140]),
        ("evoaug", "stage1", 1, [3, 5], 30, [180]),
        ("evoaug", "finetune", 0, [0.75, 0.75], 6, [90]),
    ]
    runs, benchmarks, histories = [], [], []
    for augset, stage, seed, seconds, wall, rss in plan:
        runs.append({"dataset": "chip", "augset": augset, "stage": stage, "seed": seed})
        folder = tmp_path / augset / stage / str(seed)
        benchmarks.append(_benchmark(folder / "bench.tsv", wall, rss))
        histories.append(_history(folder / "history.tsv", seconds))
    table = sweep.cost_table(runs, benchmarks, histories).set_index(["augset", "stage"])
    base = table.loc[("baseline", "stage1")]
    assert base["seconds_per_epoch"] == pytest.approx(1.5)
    assert base["peak_rss_mb"] == 120
    assert base["wall_seconds"] == pytest.approx(12)
    assert base["seconds_per_epoch_ratio"] == pytest.approx(1.0)
    aug = table.loc[("evoaug", "stage1")]
    assert (aug["n_runs"], aug["epochs"]) == (2, 2)
    assert aug["seconds_per_epoch"] == pytest.approx(3.5)
    assert aug["seconds_per_epoch_sd"] == pytest.approx(math.sqrt(0.5))
    assert aug["seconds_per_epoch_ratio"] == pytest.approx(3.5 / 1.5)
    assert aug["peak_rss_ratio"] == pytest.approx(1.5)
    fine = table.loc[("evoaug", "finetune")]
    assert fine["seconds_per_epoch_ratio"] == pytest.approx(0.5)
    assert fine["peak_rss_ratio"] == pytest.approx(0.75)
    assert list(table.index.get_level_values("augset")) == ["baseline", "evoaug", "evoaug"]

    with pytest.raises(ValueError, match="differ in length"):
        sweep.cost_table(runs, benchmarks[:-1], histories)
    broken = _write(tmp_path / "broken.tsv", pd.DataFrame({"s": [1.0]}))
    with pytest.raises(ValueError, match="broken.tsv: missing column\\(s\\) max_rss"):
        sweep.cost_table(runs[:1], [broken], histories[:1])


# --------------------------------------------------------------------------- figures


def test_figures_are_png_of_fixed_size(tmp_path):
    scores = sweep.score_candidates(_metrics_table())
    picks = sweep.pick_best(scores)
    path = sweep.plot_sweep(scores, tmp_path / "sweep.png", picks=picks)
    assert png_size(path) == (800, 450)
    assert mpimg.imread(path)[..., :3].std() > 0.05

    rng = np.random.default_rng(0)
    rows = [
        {
            "dataset": "chip",
            "augset": augset,
            "stage": "stage1",
            "seed": seed,
            "epoch": epoch,
            "lr": 1e-3,
            "train_loss": 0.6,
            "valid_loss": 0.7 / epoch + 0.02 * rng.standard_normal(),
            "seconds": 1.0,
        }
        for augset in ("baseline", "evoaug", "deletion-30")
        for seed in (0, 1)
        for epoch in range(1, 7 - seed)
    ]
    path = sweep.plot_stability(pd.DataFrame(rows), tmp_path / "stability.png")
    assert png_size(path) == (800, 450)
    with pytest.raises(ValueError, match="stage='finetune' has no rows"):
        sweep.plot_stability(pd.DataFrame(rows), tmp_path / "x.png", stage="finetune")
    assert not (tmp_path / "x.png").exists()


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


def test_successive_halving_drives_real_training(tmp_path, one_thread):
    """Candidates train through train_stage; the epochs run match the budget's count."""
    data = _planted_data()
    spec = {"augmentations": {"insertion": [8], "deletion": [8, 16], "rc": [0.5]}}
    candidates = sweep.sweep_candidates({**spec, "max_augs_per_seq": []}, BASE_PARAMS)
    calls = []

    def train_fn(candidate, epochs):
        augmenter = Augmenter.from_config(candidate.augment_spec)
        model = get_model(
            "chip",
            augmenter.output_length(data.sequence_length),
            1,
            conv_channels=[8, 8, 8],
            fc_units=[16],
        )
        # train_stage refuses to extend a finished run, so each call starts afresh.
        out_dir = tmp_path / candidate.name / str(epochs)
        train_stage(
            model,
            data,
            out_dir,
            task="binary",
            augmenter=augmenter,
            max_epochs=epochs,
            batch_size=40,
            seed=0,
            device="cpu",
            verbose=False,
        )
        calls.append(len(pd.read_csv(out_dir / "history.tsv", sep="\t")))
        table = evaluate(out_dir / "model.pt", data, split="valid", device="cpu")
        return table.query("metric == 'auroc' and task == 'mean'")["value"].item()

    result = sweep.successive_halving(candidates, train_fn, budget_epochs=8, resume=False)
    assert result.completed
    assert result.total_epochs == sum(calls) == 4 * 1 + 2 * 2 <= 8
    assert result.chosen.name in {c.name for c in candidates}
    assert 0.0 <= result.score <= 1.0

"""Tests for evoaugflow.synthetic.controls and evoaugflow.summary.controls: paired control tasks whose rule is known and testable."""

from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from evoaugflow.config import dataset_shape, validate_config
from evoaugflow.io import load_yaml
from evoaugflow.summary import controls as control_summary
from evoaugflow.synthetic import codes_from_one_hot, controls, one_hot

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def motifs():
    return controls.control_motifs()


@pytest.fixture(scope="module")
def tasks(tmp_path_factory):
    """Every control task at a small size: {(rule, dependent): (arrays, truth, record)}."""
    out = tmp_path_factory.mktemp("controls")
    made = {}
    for rule in controls.CONTROL_RULES:
        for dependent in (False, True):
            h5 = out / f"{rule}_{dependent}.h5"
            tsv = out / f"{rule}_{dependent}.tsv"
            record = controls.make_control_benchmark(
                h5, tsv, rule=rule, dependent=dependent, n_train=600, n_valid=50, n_test=600
            )
            with h5py.File(h5, "r") as handle:
                arrays = {key: handle[key][()] for key in handle}
            made[rule, dependent] = (arrays, pd.read_csv(tsv, sep="\t"), record)
    return made


@pytest.mark.parametrize("rule", controls.CONTROL_RULES)
def test_a_pair_shares_its_sequences_and_differs_in_labels(tasks, rule):
    invariant, _, _ = tasks[rule, False]
    dependent, truth, _ = tasks[rule, True]
    for split in ("train", "valid", "test"):
        np.testing.assert_array_equal(invariant[f"X_{split}"], dependent[f"X_{split}"])
    assert dependent["X_test"].shape == (600, 4, 200)
    assert dependent["Y_test"].shape == (600, 1)
    # invariant positives = both sites present; dependent positives = those that conform
    y_inv, y_dep = invariant["Y_test"][:, 0], dependent["Y_test"][:, 0]
    assert set(np.unique(y_inv)) == {0.0, 1.0}
    assert np.all(y_dep <= y_inv)
    assert abs(y_inv.mean() - 0.5) < 0.06
    assert abs(y_dep.mean() - 0.25) < 0.05
    # the truth table's arrangement says why
    test = truth[truth["split"] == "test"]
    per_row = test.groupby("index")["arrangement"].first().reindex(range(600))
    np.testing.assert_array_equal(y_dep, (per_row == controls.CONFORMING).to_numpy())
    sites = test.groupby("index").size().reindex(range(600), fill_value=0).to_numpy()
    np.testing.assert_array_equal(y_inv, sites == 2)


def test_sequences_depend_on_the_seed_and_rule_only(tmp_path):
    a = controls.make_control_benchmark(tmp_path / "a.h5", tmp_path / "a.tsv", n_test=20, seed=3)
    b = controls.make_control_benchmark(tmp_path / "b.h5", tmp_path / "b.tsv", n_test=20, seed=3)
    assert a == b
    assert (tmp_path / "a.h5").read_bytes() == (tmp_path / "b.h5").read_bytes()
    assert (tmp_path / "a.tsv").read_text() == (tmp_path / "b.tsv").read_text()
    controls.make_control_benchmark(tmp_path / "c.h5", tmp_path / "c.tsv", n_test=20, seed=4)
    with h5py.File(tmp_path / "a.h5") as first, h5py.File(tmp_path / "c.h5") as other:
        assert not np.array_equal(first["X_test"][()], other["X_test"][()])


@pytest.mark.parametrize("rule", controls.CONTROL_RULES)
@pytest.mark.parametrize("dependent", [False, True])
def test_the_truth_function_reads_the_labels_back(tasks, motifs, rule, dependent):
    """The ceiling: labels recovered from the sequences alone (planted sites are sharp)."""
    arrays, _, _ = tasks[rule, dependent]
    truth = controls.control_truth_function(arrays["X_test"], rule, dependent, motifs)
    agreement = (truth == arrays["Y_test"][:, 0]).mean()
    print(f"{rule} dependent={dependent}: truth function agrees on {agreement:.3f}")
    assert agreement >= 0.99


def _first_conforming(tasks, rule, room=0):
    """Codes (1, L) and sites of the first conforming test sequence ending <= L - room."""
    arrays, truth, _ = tasks[rule, True]
    test = truth[(truth["split"] == "test") & (truth["arrangement"] == controls.CONFORMING)]
    ends = test.groupby("index")["end"].max()
    index = int(ends[ends <= arrays["X_test"].shape[2] - room].index[0])
    sites = test[test["index"] == index].set_index("motif")
    return codes_from_one_hot(arrays["X_test"][index : index + 1]), sites


def _label(codes, rule, motifs, dependent=True):
    return controls.control_truth_function(one_hot(codes), rule, dependent, motifs)[0]


def test_what_each_rule_is_sensitive_to(tasks, motifs):
    """Known answers: the perturbations the paper's argument is about change the label."""
    a, b = (motif.name for motif in motifs)
    # orientation: inverting one site in place breaks it; reverse-complementing the
    # whole sequence keeps the relative orientation
    codes, sites = _first_conforming(tasks, "orientation")
    assert _label(codes, "orientation", motifs) == 1
    assert _label(3 - codes[:, ::-1], "orientation", motifs) == 1
    inverted = codes.copy()
    start, end = sites.loc[b, "start"], sites.loc[b, "end"]
    inverted[0, start:end] = 3 - inverted[0, start:end][::-1]
    assert _label(inverted, "orientation", motifs) == 0
    assert _label(inverted, "orientation", motifs, dependent=False) == 1
    # order: the reverse complement puts B before A
    codes, _ = _first_conforming(tasks, "order")
    assert _label(codes, "order", motifs) == 1
    assert _label(3 - codes[:, ::-1], "order", motifs) == 0
    assert _label(3 - codes[:, ::-1], "order", motifs, dependent=False) == 1
    # spacing: 20 nt inserted between the sites (the window keeps its length)
    codes, sites = _first_conforming(tasks, "spacing", room=20)
    assert _label(codes, "spacing", motifs) == 1
    cut = int(min(sites.loc[a, "end"], sites.loc[b, "end"]))
    filler = np.zeros((1, 20), dtype=codes.dtype)  # poly-A: no site of either motif
    spaced = np.concatenate([codes[:, :cut], filler, codes[:, cut:]], axis=1)[:, :200]
    assert _label(spaced, "spacing", motifs) == 0
    assert _label(spaced, "spacing", motifs, dependent=False) == 1


def test_bad_settings_are_named(tmp_path):
    with pytest.raises(ValueError, match="rule: 'spcing'"):
        controls.make_control_benchmark(tmp_path / "x.h5", tmp_path / "x.tsv", rule="spcing")
    with pytest.raises(ValueError, match="length: 80"):
        controls.make_control_benchmark(tmp_path / "x.h5", tmp_path / "x.tsv", length=80)
    with pytest.raises(ValueError, match="motif_panel lacks \\['REST'\\]"):
        controls.control_motifs(panel=["CTCF", "GATA1"])
    assert not (tmp_path / "x.h5").exists()


def _comparison(effects):
    """A comparison table with the given (dataset, augset, stage) -> diff_mean rows."""
    rows = [
        {
            "dataset": dataset,
            "metric": "auroc",
            "augset": "baseline",
            "stage": "stage1",
            "mean": 0.9,
            "n_paired": 3,
            "diff_mean": np.nan,
            "diff_ci_low": np.nan,
            "diff_ci_high": np.nan,
            "p_value": np.nan,
        }
        for dataset in {key[0] for key in effects}
    ]
    for (dataset, augset, stage), diff in effects.items():
        rows.append(
            {
                "dataset": dataset,
                "metric": "auroc",
                "augset": augset,
                "stage": stage,
                "mean": 0.9 + diff,
                "n_paired": 3,
                "diff_mean": diff,
                "diff_ci_low": diff - 0.01,
                "diff_ci_high": diff + 0.01,
                "p_value": 0.04,
            }
        )
    return pd.DataFrame(rows)


def test_the_controls_table_pairs_stage1_and_finetune_per_task(tmp_path):
    effects = {
        ("inv", "inv_aug", "stage1"): 0.01,
        ("inv", "inv_aug", "finetune"): 0.02,
        ("dep", "inv_aug", "stage1"): -0.10,
        ("dep", "inv_aug", "finetune"): -0.03,
    }
    datasets = {"dep": ("orientation", True), "inv": ("orientation", False)}
    table = control_summary.controls_table(_comparison(effects), datasets, {"inv_aug": "inversion"})
    assert list(table.columns) == list(control_summary.CONTROLS_COLUMNS)
    assert list(table["task"]) == ["dependent", "invariant"]
    dep = table[table["task"] == "dependent"].iloc[0]
    assert dep["stage1_effect"] == pytest.approx(-0.10)
    assert dep["finetune_effect"] == pytest.approx(-0.03)
    assert dep["finetune_ci_low"] == pytest.approx(-0.04)
    assert dep["baseline"] == pytest.approx(0.9)
    # a missing cell is named, with the fix
    del effects["dep", "inv_aug", "finetune"]
    with pytest.raises(ValueError, match="dep/inv_aug/finetune"):
        control_summary.controls_table(_comparison(effects), datasets, {"inv_aug": "inversion"})
    # the file rule: TSV and figure
    path = tmp_path / "comparison.tsv"
    _comparison({**effects, ("dep", "inv_aug", "finetune"): -0.03}).to_csv(
        path, sep="\t", index=False
    )
    control_summary.write_controls(
        path,
        {k: list(v) for k, v in datasets.items()},
        {"inv_aug": "inversion"},
        tmp_path / "controls.tsv",
        tmp_path / "controls.png",
    )
    assert (tmp_path / "controls.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(pd.read_csv(tmp_path / "controls.tsv", sep="\t")) == 2


def test_the_controls_config_is_valid_and_trains_each_augmentation_alone():
    config = validate_config(
        load_yaml(ROOT / "config/controls.yaml"), ROOT / "workflow/schemas/config.schema.yaml"
    )
    names = [n for n, e in config["datasets"].items() if e["source"] == "synthetic_control"]
    assert len(names) == 6
    pairs = {
        (e["synthetic"]["rule"], e["synthetic"]["dependent"]) for e in config["datasets"].values()
    }
    assert pairs == {(r, d) for r in controls.CONTROL_RULES for d in (False, True)}
    singles = {n for n, s in config["augment_sets"].items() if len(s["augmentations"]) == 1}
    assert {config["augment_sets"][n]["augmentations"][0] for n in singles} == {
        "mutation",
        "translocation",
        "insertion",
        "deletion",
        "inversion",
        "rc",
        "noise",
    }
    assert all(config["augment_sets"][n]["finetune"] for n in singles)
    assert len(config["seeds"]) >= 3
    assert dataset_shape(config, names[0]) == (200, 1)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"rule": "spcing"}, "datasets.spacing_invariant: synthetic.rule: 'spcing'; use one of"),
        ({"rul": "spacing"}, "synthetic has unknown keys \\['rul'\\]"),
    ],
)
def test_bad_control_settings_fail_at_config_time(settings, message):
    config = load_yaml(ROOT / "config/controls.yaml")
    config["datasets"] = {"spacing_invariant": config["datasets"]["spacing_invariant"]}
    config["datasets"]["spacing_invariant"]["synthetic"] = settings
    with pytest.raises(ValueError, match=message):
        validate_config(config, ROOT / "workflow/schemas/config.schema.yaml")

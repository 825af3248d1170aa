"""Workflow configuration: schema validation, defaults, the grid and the paper's plan."""

import copy
from collections import Counter
from pathlib import Path

import pytest
import yaml
from workflow_helpers import job_counts, snakemake

from evoaugflow import config as grid

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"


def load(name):
    return yaml.safe_load((REPO / "config" / name).read_text())


def test_default_config_validates_and_fills_defaults():
    config = grid.validate_config(load("config.yaml"), SCHEMA)
    assert config["training"]["stage1"]["lr"] == pytest.approx(1e-3)
    assert config["datasets"]["chip_synth"]["filters"]["threshold"] == 0.5
    assert config["jaspar"]["exclude"] == ["MA1929.1", "MA0615.1"]
    # Three tasks x two augmentation sets x three seeds; finetune for augmented sets only.
    stages = Counter(run.stage for run in grid.runs(config))
    assert stages == {"stage1": 18, "finetune": 9}


def test_validation_does_not_modify_the_input():
    raw = load("config.yaml")
    before = copy.deepcopy(raw)
    grid.validate_config(raw, SCHEMA)
    assert raw == before


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda c: c["datasets"]["chip_synth"].update(model="cnn"),
            r"datasets\.chip_synth\.model: 'cnn'",
        ),
        (lambda c: c.update(seeds="0"), r"seeds: '0' is not of type 'array'"),
        (lambda c: c.update(sedes=[0]), r"\(top level\): Additional properties .*'sedes'"),
        (
            lambda c: c["augment_sets"]["evoaug"].update(max_augs_per_seq=9),
            r"augment_sets\.evoaug\.max_augs_per_seq: 9 is more than the 6",
        ),
        (
            lambda c: c["datasets"]["chip_synth"]["augment_params"]["deletion"].update(
                delete_min=40
            ),
            r"datasets\.chip_synth\.augment_params\.deletion: delete_min=40 is larger than delete_max=30",
        ),
        (
            lambda c: c["datasets"]["chip_synth"].update(augment_sets=["baseline", "nope"]),
            r"datasets\.chip_synth\.augment_sets: 'nope' is not defined",
        ),
        (
            lambda c: c["datasets"].update(
                mine={"source": "h5", "model": "chip", "task": "binary"}
            ),
            r"datasets\.mine\.path: required when source is h5",
        ),
        (
            lambda c: c["datasets"]["chip_synth"]["augment_params"]["rc"].update(rc_prob=1.5),
            r"datasets\.chip_synth\.augment_params\.rc\.rc_prob: 1\.5 is greater than the maximum of 1",
        ),
        (
            lambda c: c["datasets"]["basset_synth"]["synthetic"].update(n_tasks=13),
            r"datasets\.basset_synth: synthetic\.n_tasks: 13; the Basset-like generator knows "
            r"12 task logics .*use 1 to 12",
        ),
    ],
)
def test_invalid_config_names_the_key_and_the_reason(edit, message):
    config = load("config.yaml")
    edit(config)
    with pytest.raises(ValueError, match=message):
        grid.validate_config(config, SCHEMA)


def test_early_stopping_that_never_trains_the_lowered_rate_is_refused():
    """ReduceLROnPlateau lowers the rate after lr_patience + 1 bad epochs; stopping then
    keeps a noisy early epoch (issue 15's seed spread). Refused; a stage too short for
    the scheduler to act, or one epoch more of patience, is accepted."""
    config = load("config.yaml")
    config["training"]["stage1"].update(early_stopping_patience=3, lr_patience=2)
    with pytest.raises(ValueError, match=r"training\.stage1: early_stopping_patience=3 .*>= 4"):
        grid.validate_config(config, SCHEMA)
    config = load("config.yaml")
    config["datasets"]["chip_synth"]["training"] = {"stage1": {"lr_patience": 4}}
    with pytest.raises(
        ValueError, match=r"datasets\.chip_synth\.training\.stage1: .*lr_patience=4"
    ):
        grid.validate_config(config, SCHEMA)
    config = load("config.yaml")
    stage1 = config["training"]["stage1"]
    stage1.update(early_stopping_patience=stage1["lr_patience"] + 2)
    grid.validate_config(config, SCHEMA)
    stage1.update(early_stopping_patience=3, lr_patience=2, max_epochs=3)
    for dataset in config["datasets"].values():  # a data set's own max_epochs would win
        dataset.get("training", {}).get("stage1", {}).pop("max_epochs", None)
    grid.validate_config(config, SCHEMA)


def test_augment_spec_takes_strengths_from_the_data_set():
    config = grid.validate_config(load("config.yaml"), SCHEMA)
    assert grid.augment_spec(config, "chip_synth", "baseline") is None
    spec = grid.augment_spec(config, "basset_synth", "evoaug")
    assert spec["augmentations"]["mutation"] == {"mutate_frac": 0.15}
    assert spec["max_augs_per_seq"] == 3 and spec["hard_aug"] is False
    assert grid.augment_spec(config, "chip_synth", "evoaug")["augmentations"]["mutation"] == {
        "mutate_frac": 0.05
    }


def test_stage_recipe_merges_overrides():
    raw = load("config.yaml")
    raw["datasets"]["chip_synth"]["training"] = {"finetune": {"max_epochs": 9}}
    config = grid.validate_config(raw, SCHEMA)
    assert grid.stage_recipe(config, "chip_synth", "finetune")["max_epochs"] == 9
    assert grid.stage_recipe(config, "deepstarr_synth", "finetune")["max_epochs"] == 3
    with pytest.raises(ValueError, match="stage must be one of"):
        grid.stage_recipe(config, "chip_synth", "stage2")


def test_size_sweep_copies_resolve_to_their_base():
    raw = load("config.yaml")
    raw["datasets"]["chip_synth"]["train_sizes"] = [100, 500]
    config = grid.validate_config(raw, SCHEMA)
    assert grid.dataset_names(config)[:3] == ["chip_synth", "chip_synth_n100", "chip_synth_n500"]
    assert grid.resolve_dataset(config, "chip_synth_n500") == ("chip_synth", 500)
    with pytest.raises(ValueError, match="unknown data set 'chip_synth_n7'"):
        grid.resolve_dataset(config, "chip_synth_n7")


def dry_run_counts(*args):
    """Job counts per rule of a dry run of the real workflow (no network needed)."""
    result = snakemake(REPO, "-n", "--cores", "1", *args, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return job_counts(result.stdout)


def test_paper_plan_has_the_expected_jobs():
    """The paper's study: 11 data sets, each augmentation alone and combined, 5 seeds."""
    counts = dry_run_counts("--configfile", "config/paper.yaml")
    # Basset: 9 sets (8 with finetune); DeepSTARR: 8 (7); ChIP: 9 sets x (baseline,
    # combo); size sweep: CTCF and ATF2 x 6 sizes x (baseline, combo). Five seeds.
    stage1 = 5 * (9 + 8 + 9 * 2 + 2 * 6 * 2)
    finetune = 5 * (8 + 7 + 9 + 2 * 6)
    # A finetuned cell trains both stages in one job; the others train stage 1 alone.
    assert counts["train_and_finetune"] == finetune == 180
    assert counts["train_model"] == stage1 - finetune == 115
    assert "finetune_model" not in counts
    # Each training job scores its own model: no separate evaluation jobs.
    assert "evaluate_model" not in counts
    assert counts["download_zenodo"] == 11
    assert counts["download_genome"] == 1  # hg19 for CAGI5
    assert counts["extract_filters"] == counts["match_filters"] == 5 * (9 + 8)  # Basset
    assert counts["attribute"] == 5 * (8 + 7)  # DeepSTARR
    assert counts["score_cagi5"] == 5 * (9 + 8)
    # CAGI5 from MaveDB: each of the paper's 15 score sets fetched and mapped onto hg19.
    assert counts["download_mavedb"] == counts["map_mavedb"] == 15
    assert counts["index_mavedb"] == 1
    assert "require_cagi5_table" not in counts
    assert counts["summarize"] == 1


def test_default_plan_has_the_expected_jobs():
    counts = dry_run_counts()
    # 3 data sets x (baseline, EvoAug) x 3 seeds; EvoAug finetuned.
    assert counts["train_model"] == 9 and counts["train_and_finetune"] == 9
    assert "finetune_model" not in counts
    assert "evaluate_model" not in counts
    assert counts["extract_filters"] == 9  # basset_synth, both stages
    assert counts["attribute"] == 9  # deepstarr_synth
    assert counts["score_cagi5"] == 9  # basset_synth
    assert "download_zenodo" not in counts  # offline


def test_invalid_config_stops_the_workflow_before_any_job(tmp_path):
    config = load("config.yaml")
    config["datasets"]["chip_synth"]["task"] = "classification"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(config))
    result = snakemake(REPO, "-n", "--cores", "1", "--configfile", str(bad), timeout=300)
    assert result.returncode != 0
    assert (
        "datasets.chip_synth.task: 'classification' is not one of" in result.stdout + result.stderr
    )


def test_schema_states_the_parameter_table():
    """Defaults and bounds of augmentations live in augment_params; the schema repeats them."""
    from evoaugflow.augment_params import AUGMENT_PARAMS

    schema = grid.load_schema(SCHEMA)
    section = schema["definitions"]["augment_params"]["properties"]
    assert set(section) == set(AUGMENT_PARAMS)
    for augmentation, params in AUGMENT_PARAMS.items():
        properties = section[augmentation]["properties"]
        assert list(properties) == [entry.name for entry in params]
        for entry in params:
            stated = properties[entry.name]
            assert stated["default"] == entry.default, (augmentation, entry.name)
            assert stated["type"] == ("integer" if entry.kind is int else "number")
            assert stated.get("minimum", float("-inf")) == entry.low, (augmentation, entry.name)
            assert stated.get("maximum") == entry.high, (augmentation, entry.name)


def test_classes_take_their_defaults_from_the_table():
    import inspect

    from evoaugflow.augment import AUGMENTATIONS
    from evoaugflow.augment_params import AUGMENT_PARAMS

    for name, cls in AUGMENTATIONS.items():
        signature = inspect.signature(cls.__init__).parameters
        for entry in AUGMENT_PARAMS[name]:
            assert signature[entry.name].default == entry.default, (name, entry.name)
            assert getattr(cls(), entry.name) == entry.default
        if AUGMENT_PARAMS[name][-1].high is not None:
            entry = AUGMENT_PARAMS[name][-1]
            with pytest.raises(ValueError, match=entry.name):
                cls(**{entry.name: entry.high + 0.01})


def _h5_config(tmp_path, length=50, **entry):
    import h5py
    import numpy as np

    path = tmp_path / "data.h5"
    rng = np.random.default_rng(0)
    with h5py.File(path, "w") as handle:
        for split, n in (("train", 20), ("valid", 8), ("test", 8)):
            tokens = rng.integers(0, 4, size=(n, length))
            handle[f"x_{split}"] = np.eye(4, dtype=np.float32)[tokens].transpose(0, 2, 1)
            handle[f"y_{split}"] = rng.integers(0, 2, size=(n, 1)).astype(np.int8)
    config = load("config.yaml")
    config["datasets"] = {
        "mine": {
            "source": "h5",
            "path": str(path),
            "model": "chip",
            "task": "binary",
            "augment_sets": ["baseline", "evoaug"],
            **entry,
        }
    }
    return config


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            {"augment_params": {"deletion": {"delete_max": 50}}},
            r"datasets\.mine\.augment_params\.deletion\.delete_max: 50 must be below the "
            r"sequence length L=50; set it to at most 49",
        ),
        (
            {"model_kwargs": {"conv_chanels": [8, 8, 8]}},
            r"datasets\.mine\.model_kwargs: .*conv_chanels",
        ),
        (
            {"model_kwargs": {"task": "regression"}},
            r"datasets\.mine\.model_kwargs\.task: 'regression' contradicts datasets\.mine\.task",
        ),
        (
            {"augment_params": {"mutation": {"mutate_frac": 0.9}}},
            r"datasets\.mine\.augment_params\.mutation\.mutate_frac: 0\.9 is greater than the "
            r"maximum of 0\.75",
        ),
        (
            {"training": {"stage1": {"batch_size": 1}}},
            r"datasets\.mine\.training\.stage1\.batch_size: 1 is less than the minimum of 2",
        ),
    ],
)
def test_settings_a_job_would_reject_are_refused_by_validation(tmp_path, entry, message):
    config = _h5_config(tmp_path, **entry)
    with pytest.raises(ValueError, match=message):
        grid.validate_config(config, SCHEMA)


def test_settings_check_reads_the_length_of_each_source(tmp_path):
    config = grid.validate_config(_h5_config(tmp_path, length=64), SCHEMA)
    assert grid.dataset_shape(config, "mine") == (64, 1)
    default = grid.validate_config(load("config.yaml"), SCHEMA)
    assert grid.dataset_shape(default, "chip_synth") == (200, 1)
    assert grid.dataset_shape(default, "deepstarr_synth") == (249, 2)
    assert grid.dataset_shape(default, "basset_synth") == (600, 8)
    raw = load("config.yaml")
    raw["datasets"]["deepstarr_synth"]["task"] = "binary"
    with pytest.raises(ValueError, match=r"datasets\.deepstarr_synth\.task: 'binary' does not fit"):
        grid.validate_config(raw, SCHEMA)


def test_schema_training_defaults_are_the_trainers():
    """The stage-1 recipe defaults and keep_start are the train_stage defaults."""
    import inspect

    from evoaugflow.train import train_stage

    signature = inspect.signature(train_stage).parameters
    training = grid.load_schema(SCHEMA)["properties"]["training"]["properties"]
    for key, stated in training["stage1"]["properties"].items():
        assert stated["default"] == signature[key].default, key
    assert (
        training["finetune"]["properties"]["keep_start"]["default"]
        is signature["keep_start"].default
    )


def test_schema_sweep_section_is_held_to_the_sweep_package():
    """The schema's sweep keys are the ones the package reads; the search's defaults are the schema's."""
    from evoaugflow.sweep import candidates, search

    sweep = grid.load_schema(SCHEMA)["properties"]["datasets"]["additionalProperties"][
        "properties"
    ]["sweep"]["properties"]
    assert set(sweep) - {"search"} == set(candidates.DEFAULT_SWEEP)
    assert set(sweep["augmentations"]["properties"]) == set(candidates.STRENGTH_PARAMETER)
    assert set(candidates.DEFAULT_SWEEP["augmentations"]) == set(candidates.STRENGTH_PARAMETER)
    searched = sweep["search"]["properties"]
    assert set(searched) == set(search.SEARCH_KEYS)
    assert set(searched["pruner"]["enum"]) == set(search.PRUNERS)
    # A sweep given without search keys gets every one from the schema.
    config = load("sweep.yaml")
    config["datasets"]["chip_synth"]["sweep"].pop("search")
    validated = grid.validate_config(config, SCHEMA)
    filled = validated["datasets"]["chip_synth"]["sweep"]["search"]
    assert filled == {key: searched[key]["default"] for key in search.SEARCH_KEYS}


def test_attribution_output_beyond_the_tasks_is_refused_at_config_time():
    config = load("config.yaml")
    config["datasets"]["deepstarr_synth"]["attribution"]["output"] = 2
    with pytest.raises(ValueError, match=r"datasets.deepstarr_synth.attribution.output: 2, but"):
        grid.validate_config(config, SCHEMA)

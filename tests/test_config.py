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
    # Three tasks x two augmentation sets x two seeds; finetune for augmented sets only.
    stages = Counter(run.stage for run in grid.runs(config))
    assert stages == {"stage1": 12, "finetune": 6}


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
    ],
)
def test_invalid_config_names_the_key_and_the_reason(edit, message):
    config = load("config.yaml")
    edit(config)
    with pytest.raises(ValueError, match=message):
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
    assert counts["train_model"] == stage1 == 295
    assert counts["finetune_model"] == finetune == 180
    assert counts["evaluate_model"] == stage1 + finetune
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
    assert counts["train_model"] == 12 and counts["finetune_model"] == 6
    assert counts["evaluate_model"] == 18
    assert counts["extract_filters"] == 6  # basset_synth, both stages
    assert counts["attribute"] == 6  # deepstarr_synth
    assert counts["score_cagi5"] == 6  # basset_synth
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

# Config validation, wildcard constraints and every input function of the workflow.
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, workflow.basedir)

from evoaugflow import config as grid

# Validate before any job: an invalid config stops here with the key's path and the reason.
_validated = grid.validate_config(
    config, Path(workflow.basedir) / "workflow" / "schemas" / "config.schema.yaml"
)
config.clear()
config.update(_validated)

SCRIPTS = Path(workflow.basedir) / "scripts"
RUNS = grid.runs(config)
DATASETS = grid.dataset_names(config)


def _names_regex(names):
    """A wildcard constraint matching exactly these names (nothing if the list is empty)."""
    return "|".join(re.escape(name) for name in names) if names else "(?!x)x"


def datasets_from(*sources):
    """Configured data sets whose data comes from one of these sources."""
    return [
        name for name, entry in config["datasets"].items() if entry["source"] in sources
    ]


wildcard_constraints:
    dataset="[A-Za-z0-9][A-Za-z0-9_.-]*",
    augset="[A-Za-z0-9][A-Za-z0-9_.-]*",
    seed="[0-9]+",
    stage="stage1|finetune",


def entry(wildcards):
    """Config entry of the data set named by the wildcards."""
    return grid.dataset_entry(config, wildcards.dataset)


def dataset_h5(wildcards):
    """The h5 file (published layout) a data set is read from."""
    base, _ = grid.resolve_dataset(config, wildcards.dataset)
    source = config["datasets"][base]["source"]
    if source == "h5":
        return config["datasets"][base]["path"]
    if source == "zenodo":
        return f"data/zenodo/{config['datasets'][base]['zenodo_file']}"
    return f"results/data/{base}/data.h5"


def model_path(dataset, augset, seed, stage):
    step = "train" if stage == "stage1" else "finetune"
    return f"results/{step}/{dataset}/{augset}/{seed}/model.pt"


def run_model(wildcards):
    """The trained model a downstream rule reads."""
    return model_path(wildcards.dataset, wildcards.augset, wildcards.seed, wildcards.stage)


def train_params(wildcards, stage):
    """Everything a training job needs, JSON-serialisable (it is recorded in params.json)."""
    data_entry = entry(wildcards)
    _, train_size = grid.resolve_dataset(config, wildcards.dataset)
    return {
        "dataset": wildcards.dataset,
        "augset": wildcards.augset,
        "seed": int(wildcards.seed),
        "stage": stage,
        "model": data_entry["model"],
        "model_kwargs": data_entry["model_kwargs"],
        "task": data_entry["task"],
        "train_size": train_size,
        "augment": grid.augment_spec(config, wildcards.dataset, wildcards.augset),
        "recipe": grid.stage_recipe(config, wildcards.dataset, stage),
        "device": config["device"],
        "data_seed": config["data_seed"],
    }


def runs_where(predicate):
    return [run for run in RUNS if predicate(run)]


def evaluation_tables():
    return [f"results/evaluate/{run.path}/{run.stage}.tsv" for run in RUNS]


def histories():
    return [f"results/{run.step}/{run.path}/history.tsv" for run in RUNS]

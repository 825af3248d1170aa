"""Workflow configuration: schema validation with defaults, and the experiment grid.

The workflow's Snakefile calls :func:`validate_config` once, before any job, and the
rule modules ask :func:`runs`, :func:`augment_spec` and :func:`stage_recipe` what to
build. Keeping this logic here (not in the Snakefile) makes it testable.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import yaml

# Model and task of each built-in benchmark task, used when the config leaves them out.
SYNTHETIC_DEFAULTS = {
    "synthetic_chip": {"model": "chip", "task": "binary"},
    "synthetic_deepstarr": {"model": "deepstarr", "task": "regression"},
    "synthetic_basset": {"model": "basset", "task": "binary"},
}
# Keys that each data source needs beyond `source`.
SOURCE_KEYS = {
    "h5": ("path", "model", "task"),
    "zenodo": ("zenodo_file", "model", "task"),
    "chip_peaks": ("chip_peaks", "accessible_peaks", "genome"),
}
STAGES = ("stage1", "finetune")
_SIZE_SUFFIX = re.compile(r"^(?P<base>.+)_n(?P<size>[0-9]+)$")


def _with_defaults(validator_class):
    """Extend a jsonschema validator so that it fills in the schema's defaults."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if "default" in subschema and name not in instance:
                    instance[name] = copy.deepcopy(subschema["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


def _key_path(error: jsonschema.ValidationError) -> str:
    parts = [str(part) for part in error.absolute_path]
    return ".".join(parts) if parts else "(top level)"


def load_schema(schema_path: str | Path) -> dict:
    """Read the JSON schema (YAML or JSON) at ``schema_path``."""
    with open(schema_path) as handle:
        return yaml.safe_load(handle)


def validate_config(config: dict, schema_path: str | Path) -> dict:
    """Validate a workflow config and return a copy with every default filled in.

    Parameters
    ----------
    config : dict
        The config as Snakemake loaded it.
    schema_path : str or Path
        ``workflow/schemas/config.schema.yaml``.

    Returns
    -------
    dict
        A deep copy of ``config`` with defaults, and model/task filled in for the
        built-in benchmark tasks.

    Raises
    ------
    ValueError
        Listing every problem as ``<key path>: <reason>``, e.g.
        ``datasets.chip.model: 'cnn' is not one of ['basset', 'deepstarr', 'chip']``.
    """
    config = copy.deepcopy(config)
    schema = load_schema(schema_path)
    validator_class = _with_defaults(jsonschema.validators.validator_for(schema))
    errors = sorted(validator_class(schema).iter_errors(config), key=lambda e: list(e.path))
    problems = [f"{_key_path(error)}: {error.message}" for error in errors]
    if not problems:
        problems = _semantic_problems(config)
    if problems:
        raise ValueError(
            "invalid workflow config (fix these keys in your config file):\n  "
            + "\n  ".join(problems)
        )
    return config


def _semantic_problems(config: dict) -> list[str]:
    """Checks that a JSON schema cannot express (cross references, ranges)."""
    problems = []
    augment_sets = config["augment_sets"]
    for name, aug_set in augment_sets.items():
        n_augs = len(aug_set["augmentations"])
        if n_augs and aug_set["max_augs_per_seq"] > n_augs:
            problems.append(
                f"augment_sets.{name}.max_augs_per_seq: {aug_set['max_augs_per_seq']} is more "
                f"than the {n_augs} augmentations listed (allowed 1..{n_augs})"
            )
    for name, entry in config["datasets"].items():
        where = f"datasets.{name}"
        if _SIZE_SUFFIX.match(name):
            problems.append(
                f"{where}: names ending in _n<digits> are reserved for the data-size sweep; rename it"
            )
        for key, value in SYNTHETIC_DEFAULTS.get(entry["source"], {}).items():
            entry.setdefault(key, value)
        for key in SOURCE_KEYS.get(entry["source"], ("model", "task")):
            if key not in entry:
                problems.append(f"{where}.{key}: required when source is {entry['source']}")
        for set_name in entry["augment_sets"]:
            if set_name not in augment_sets:
                problems.append(
                    f"{where}.augment_sets: '{set_name}' is not defined under augment_sets "
                    f"(defined: {sorted(augment_sets)})"
                )
        params = entry["augment_params"]
        for aug, (low, high) in {
            "translocation": ("shift_min", "shift_max"),
            "insertion": ("insert_min", "insert_max"),
            "deletion": ("delete_min", "delete_max"),
            "inversion": ("invert_min", "invert_max"),
        }.items():
            if params[aug][low] > params[aug][high]:
                problems.append(
                    f"{where}.augment_params.{aug}: {low}={params[aug][low]} is larger than "
                    f"{high}={params[aug][high]}"
                )
        if entry["analyses"]["cagi"] and entry["cagi"]["source"] == "tables":
            for key in ("tables", "genome"):
                if not entry["cagi"].get(key):
                    problems.append(f"{where}.cagi.{key}: required when cagi.source is tables")
        if entry["analyses"]["cagi"] and entry["cagi"]["source"] == "onehot":
            for key in ("onehot", "metadata"):
                if not entry["cagi"].get(key):
                    problems.append(f"{where}.cagi.{key}: required when cagi.source is onehot")
    for name, item in config["vcf"].items():
        for dataset in item["datasets"]:
            if dataset not in config["datasets"]:
                problems.append(f"vcf.{name}.datasets: '{dataset}' is not under datasets")
    return problems


@dataclass(frozen=True)
class Run:
    """One trained model of the grid: results/<step>/<dataset>/<augset>/<seed>/."""

    dataset: str
    augset: str
    seed: int
    stage: str

    @property
    def step(self) -> str:
        """Results folder of the stage: ``train`` for stage 1, ``finetune`` for stage 2."""
        return "train" if self.stage == "stage1" else "finetune"

    @property
    def path(self) -> str:
        return f"{self.dataset}/{self.augset}/{self.seed}"


def dataset_names(config: dict) -> list[str]:
    """Every data set that is trained on: the configured ones and their size-sweep copies."""
    names = []
    for name, entry in config["datasets"].items():
        names.append(name)
        names.extend(f"{name}_n{size}" for size in entry["train_sizes"])
    return names


def resolve_dataset(config: dict, name: str) -> tuple[str, int | None]:
    """Map a data set name to (configured data set, training-set size or None)."""
    if name in config["datasets"]:
        return name, None
    match = _SIZE_SUFFIX.match(name)
    if match and match["base"] in config["datasets"]:
        size = int(match["size"])
        if size in config["datasets"][match["base"]]["train_sizes"]:
            return match["base"], size
    raise ValueError(f"unknown data set '{name}': not under datasets in the config")


def dataset_entry(config: dict, name: str) -> dict:
    """The config entry of a data set (size-sweep copies share their base's entry)."""
    return config["datasets"][resolve_dataset(config, name)[0]]


def runs(config: dict) -> list[Run]:
    """Every (data set, augmentation set, seed, stage) the config asks for."""
    grid = []
    for name in dataset_names(config):
        entry = dataset_entry(config, name)
        for augset in entry["augment_sets"]:
            stages = STAGES if config["augment_sets"][augset]["finetune"] else STAGES[:1]
            for seed in config["seeds"]:
                grid.extend(Run(name, augset, seed, stage) for stage in stages)
    return grid


def augment_spec(config: dict, dataset: str, augset: str) -> dict | None:
    """The Augmenter config of an augmentation set on a data set (None for the baseline)."""
    aug_set = config["augment_sets"][augset]
    if not aug_set["augmentations"]:
        return None
    params = dataset_entry(config, dataset)["augment_params"]
    return {
        "augmentations": {name: dict(params[name]) for name in aug_set["augmentations"]},
        "max_augs_per_seq": aug_set["max_augs_per_seq"],
        "hard_aug": aug_set["hard_aug"],
        "insertion_mode": aug_set["insertion_mode"],
    }


def stage_recipe(config: dict, dataset: str, stage: str) -> dict:
    """Optimiser and stopping settings of a stage: top-level recipe plus data-set overrides."""
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}, got '{stage}'")
    recipe = dict(config["training"][stage])
    recipe.update(dataset_entry(config, dataset)["training"][stage])
    return recipe

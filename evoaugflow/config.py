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


def _model_problems(where: str, model: str, model_kwargs: dict) -> list[str]:
    """A model class that does not import, or model_kwargs that do not fit the model."""
    # Imported here, so that importing this module does not import torch.
    from evoaugflow.models import MODEL_NAMES, check_model_kwargs, import_model_class

    if model not in MODEL_NAMES:
        try:
            import_model_class(model)
        except ValueError as error:
            return [f"{where}.model: {error}"]
    try:
        check_model_kwargs(model, model_kwargs)
    except ValueError as error:
        return [f"{where}.model_kwargs: {error}"]
    return []


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
        if "model" in entry:
            problems += _model_problems(where, entry["model"], entry["model_kwargs"])
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


# --------------------------------------------------------------------------- sweeps
# evoaugflow.sweep is imported inside the functions that need it: it pulls in torch and
# matplotlib (seconds), which a workflow without a sweep should not pay for at every start.

#: Name of the baseline run that every sweep trains beside its candidates.
SWEEP_BASELINE = "baseline"


def swept_datasets(config: dict) -> list[str]:
    """Configured data sets that declare a hyperparameter ``sweep`` (not null)."""
    return [name for name, entry in config["datasets"].items() if entry.get("sweep") is not None]


def from_sweep_sets(config: dict) -> list[str]:
    """Augmentation sets whose settings come from the sweep (``from_sweep: true``)."""
    return [name for name, item in config["augment_sets"].items() if item.get("from_sweep")]


def sweep_candidates(config: dict, dataset: str) -> dict[str, dict | None]:
    """Every run of a data set's sweep, by candidate name: the baseline first.

    Parameters
    ----------
    config : dict
        A validated workflow config.
    dataset : str
        A configured data set with a ``sweep`` section.

    Returns
    -------
    dict of str to (dict or None)
        ``{"baseline": None, "<augmentation>-<strength>": augment spec, ...,
        "combo-<n>-<soft|hard>": augment spec}`` in the order of
        :func:`evoaugflow.sweep.sweep_candidates`; the specs are Augmenter configs.
    """
    from evoaugflow import sweep

    entry = config["datasets"].get(dataset)
    if entry is None or entry.get("sweep") is None:
        raise ValueError(f"datasets.{dataset}.sweep: the data set declares no sweep")
    candidates = sweep.sweep_candidates(entry["sweep"], entry["augment_params"])
    return {SWEEP_BASELINE: None} | {c.name: c.augment_spec for c in candidates}


def sweep_stages(config: dict, dataset: str, candidate: str) -> tuple[str, ...]:
    """Stages a sweep run trains: stage 1, plus finetune unless the baseline or turned off."""
    from evoaugflow import sweep

    spec = sweep.sweep_settings(config["datasets"][dataset]["sweep"])
    if candidate == SWEEP_BASELINE or not spec["finetune"]:
        return STAGES[:1]
    return STAGES


def sweep_runs(config: dict) -> list[Run]:
    """Every (data set, candidate, seed, stage) of every sweep (``Run.augset`` is the candidate)."""
    return [
        Run(dataset, candidate, seed, stage)
        for dataset in swept_datasets(config)
        for candidate in sweep_candidates(config, dataset)
        for seed in config["seeds"]
        for stage in sweep_stages(config, dataset, candidate)
    ]


def _task_metrics(task: str) -> tuple[str, ...]:
    return ("auroc", "aupr") if task == "binary" else ("mse", "pearson", "spearman")


def sweep_problems(config: dict) -> list[str]:
    """Checks of the sweep keys that the schema cannot express, as ``<key path>: <reason>``.

    Parameters
    ----------
    config : dict
        A config returned by :func:`validate_config`.

    Returns
    -------
    list of str
        Empty when the sweeps, ``from_sweep`` augmentation sets and ``sweep_halving``
        fit together: each sweep expands to valid candidates including a combination
        (``best_config.yaml`` needs one), its metric fits the task, a ``from_sweep`` set
        lists no augmentations and is used only on data sets with a sweep, and the
        halving budget covers the first rung.
    """
    problems = []
    from_sweep = from_sweep_sets(config)
    for name in from_sweep:
        if config["augment_sets"][name]["augmentations"]:
            problems.append(
                f"augment_sets.{name}.augmentations: must be empty when from_sweep is true "
                "(the sweep's best_config.yaml chooses them); remove the list"
            )
    halving = config.get("sweep_halving", {})
    for name, entry in config["datasets"].items():
        where = f"datasets.{name}"
        spec = entry.get("sweep")
        if spec is None:
            used = [s for s in entry["augment_sets"] if s in from_sweep]
            if used:
                problems.append(
                    f"{where}.augment_sets: {used} take their settings from a sweep, but "
                    f"{where}.sweep is null; declare a sweep or drop the set(s)"
                )
            continue
        from evoaugflow import sweep

        try:
            candidates = sweep.sweep_candidates(spec, entry["augment_params"])
        except ValueError as error:
            problems.append(f"{where}.{error}")
            continue
        combos = [c for c in candidates if c.kind == sweep.COMBO_PREFIX]
        if not combos:
            problems.append(
                f"{where}.sweep: no combination candidates (max_augs_per_seq or hard_aug is "
                "empty); list at least one of each, best_config.yaml needs a combination"
            )
        metric = spec.get("metric")
        allowed = _task_metrics(entry["task"])
        if metric is not None and metric not in allowed:
            problems.append(
                f"{where}.sweep.metric: {metric!r} does not fit task {entry['task']!r}; "
                f"use one of {list(allowed)}"
            )
        budget, min_epochs = halving.get("budget_epochs"), halving.get("min_epochs", 1)
        first_rung = len(candidates) * min_epochs
        if halving.get("enabled", True) and budget is not None and budget < first_rung:
            problems.append(
                f"sweep_halving.budget_epochs: {budget} does not cover the first rung of "
                f"{where}.sweep ({len(candidates)} candidates x min_epochs {min_epochs} = "
                f"{first_rung}); raise it to at least {first_rung} or sweep fewer settings"
            )
    return problems


def validate_sweeps(config: dict) -> None:
    """Raise ``ValueError`` listing every problem found by :func:`sweep_problems`."""
    problems = sweep_problems(config)
    if problems:
        raise ValueError(
            "invalid sweep config (fix these keys in your config file):\n  " + "\n  ".join(problems)
        )


def sweep_augment_spec(fragment: dict, dataset: str, augment_params: dict) -> dict:
    """The Augmenter spec a sweep chose for a data set, from its ``best_config.yaml``.

    Parameters
    ----------
    fragment : dict
        The fragment written by ``pick_sweep`` (:func:`evoaugflow.sweep.best_config_fragment`):
        one augmentation set and ``datasets.<dataset>.augment_params``.
    dataset : str
        The configured data set the fragment was picked on.
    augment_params : dict
        The data set's ``augment_params``; the fragment's strengths replace theirs.

    Returns
    -------
    dict
        Augmenter config (as :func:`augment_spec` returns), e.g. ``{"augmentations":
        {"deletion": {"delete_min": 0, "delete_max": 10}, ...}, "max_augs_per_seq": 2,
        "hard_aug": False, "insertion_mode": "pad"}``.
    """
    from evoaugflow import sweep

    sets = fragment.get("augment_sets") if isinstance(fragment, dict) else None
    if not isinstance(sets, dict) or len(sets) != 1:
        raise ValueError(
            "fragment: expected one augmentation set under augment_sets (the best_config.yaml "
            "written by rule pick_sweep); rerun pick_sweep"
        )
    (set_name,) = sets
    shell = {
        "augment_sets": {},
        "datasets": {dataset: {"augment_params": copy.deepcopy(augment_params)}},
    }
    merged = sweep.apply_fragment(shell, fragment)
    spec = augment_spec(merged, dataset, set_name)
    if spec is None:
        raise ValueError(f"fragment: augment_sets.{set_name} lists no augmentations")
    return spec

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

from evoaugflow.augment_params import RANGE_PAIRS, default_max_augs, length_problems
from evoaugflow.io import load_yaml
from evoaugflow.stages import STAGE_FOLDER, STAGES, lowered_rate_problem
from evoaugflow.sweep.plan import (  # noqa: F401 (re-exported: the workflow reads them here)
    from_sweep_sets,
    sweep_augment_spec,
    sweep_candidates,
    sweep_cells,
    sweep_problems,
    sweep_stages,
    swept_datasets,
    validate_sweeps,
)

# Model and task of each built-in benchmark task, used when the config leaves them out.
SYNTHETIC_DEFAULTS = {
    "synthetic_chip": {"model": "chip", "task": "binary"},
    "synthetic_deepstarr": {"model": "deepstarr", "task": "regression"},
    "synthetic_basset": {"model": "basset", "task": "binary"},
    "synthetic_control": {"model": "chip", "task": "binary"},
}
# Keys that each data source needs beyond `source`.
SOURCE_KEYS = {
    "h5": ("path", "model", "task"),
    "zenodo": ("zenodo_file", "model", "task"),
    "chip_peaks": ("chip_peaks", "accessible_peaks", "genome"),
}
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
    return load_yaml(schema_path)


def validate_config(config: dict, schema_path: str | Path, check_settings: bool = True) -> dict:
    """Validate a workflow config and return a copy with every default filled in.

    Parameters
    ----------
    config : dict
        The config as Snakemake loaded it.
    schema_path : str or Path
        ``workflow/schemas/config.schema.yaml``.
    check_settings : bool, default True
        Also run :func:`settings_problems`: augmentation strengths against each data
        set's sequence length, the model class and its settings, task against the data
        source (reads h5 headers; imports torch to build each model once). Without it
        the check (schema, cross references, sweeps) imports neither torch nor
        matplotlib nor optuna.

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
        problems = _semantic_problems(config) + sweep_problems(config)
    if not problems and check_settings:
        problems = settings_problems(config)
    if problems:
        raise ValueError(
            "invalid workflow config (fix these keys in your config file):\n  "
            + "\n  ".join(problems)
        )
    return config


def _model_class_problems(where: str, model: str, model_kwargs: dict) -> list[str]:
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
        if aug_set["max_augs_per_seq"] is None and n_augs:
            aug_set["max_augs_per_seq"] = default_max_augs(n_augs)
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
        for aug, (low, high) in RANGE_PAIRS.items():
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
    problems += _schedule_problems(config)
    for name, item in config["vcf"].items():
        for dataset in item["datasets"]:
            if dataset not in config["datasets"]:
                problems.append(f"vcf.{name}.datasets: '{dataset}' is not under datasets")
    return problems


def _schedule_problems(config: dict) -> list[str]:
    """Stopping rules under which ReduceLROnPlateau's lower rate is never trained
    (:func:`evoaugflow.stages.lowered_rate_problem`), per stage recipe."""
    problems = []
    for stage in STAGES:
        recipes = [(f"training.{stage}", config["training"][stage])]
        for name, entry in config["datasets"].items():
            overrides = entry["training"][stage]
            if {"early_stopping_patience", "lr_patience", "max_epochs"} & set(overrides):
                recipes.append(
                    (f"datasets.{name}.training.{stage}", stage_recipe(config, name, stage))
                )
        for where, recipe in recipes:
            problem = lowered_rate_problem(
                recipe["early_stopping_patience"], recipe["lr_patience"], recipe["max_epochs"]
            )
            if problem:
                problems.append(f"{where}: {problem}")
    return problems


#: Task of each built-in benchmark source: its labels fit only this task.
SYNTHETIC_TASKS = {source: value["task"] for source, value in SYNTHETIC_DEFAULTS.items()}


def dataset_file(config: dict, name: str) -> str:
    """The h5 file (published layout) a configured data set is read from."""
    entry = config["datasets"][name]
    if entry["source"] == "h5":
        return entry["path"]
    if entry["source"] == "zenodo":
        return f"data/zenodo/{entry['zenodo_file']}"
    return f"results/data/{name}/data.h5"


def dataset_shape(config: dict, name: str) -> tuple[int, int] | None:
    """Sequence length L and task count T of a configured data set, before any job.

    Read from the h5 header when the file exists, from the synthetic settings for the
    built-in benchmark (their generators' defaults, overridden by ``synthetic``), from
    ``window`` for sets built from peaks; None when it cannot be known yet (a file still
    to be downloaded): rule check_dataset then checks it before any training.
    """
    import inspect

    entry = config["datasets"][name]
    source = entry["source"]
    if source in ("synthetic_chip", "chip_peaks"):
        return int(entry["window"]), 1
    if source in SYNTHETIC_DEFAULTS and source != "synthetic_chip":
        from evoaugflow.synthetic import sources

        maker = sources.DATASET_MAKERS[source]
        defaults = {
            key: value.default
            for key, value in inspect.signature(maker).parameters.items()
            if value.default is not inspect.Parameter.empty
        }
        # panel, seed and release come from the top-level config, not per data set
        allowed = sorted(set(defaults) - {"panel", "seed", "release"})
        unknown = sorted(set(entry["synthetic"]) - set(allowed))
        if unknown:
            raise ValueError(
                f"synthetic has unknown keys {unknown} for source {source!r}; allowed: {allowed}"
            )
        settings = {**defaults, **entry["synthetic"]}
        if source == "synthetic_control":
            from evoaugflow.synthetic.controls import CONTROL_RULES

            if settings["rule"] not in CONTROL_RULES:
                raise ValueError(
                    f"synthetic.rule: {settings['rule']!r}; use one of {list(CONTROL_RULES)}"
                )
        n_tasks = settings.get("n_tasks", sources.DATASET_TASKS.get(source))
        if source == "synthetic_basset":
            from evoaugflow.synthetic.basset import check_n_tasks

            try:
                check_n_tasks(n_tasks)
            except ValueError as error:
                raise ValueError(f"synthetic.{error}") from None
        return int(settings["length"]), int(n_tasks)
    path = Path(dataset_file(config, name))
    if not path.is_file():
        return None
    from evoaugflow.data import h5_shape

    return h5_shape(path)


def settings_problems(config: dict) -> list[str]:
    """Everything a training job would reject, found before any job runs.

    Parameters
    ----------
    config : dict
        A config that passed the schema and :func:`_semantic_problems`.

    Returns
    -------
    list of str
        ``<key path>: <reason and fix>`` for: augmentation strengths that do not fit the
        data set's sequence length (``delete_max < L``, ``invert_max <= L``, and
        ``insert_max <= L`` in trim mode), ``model_kwargs`` the model does not take or
        that do not fit the input (checked by building the model once), a task that
        the model settings or the built-in benchmark's labels contradict, and data
        files that cannot be read.
    """
    problems = []
    for name, entry in config["datasets"].items():
        where = f"datasets.{name}"
        natural = SYNTHETIC_TASKS.get(entry["source"])
        if natural is not None and entry["task"] != natural:
            problems.append(
                f"{where}.task: {entry['task']!r} does not fit source {entry['source']!r}, "
                f"whose labels are {natural}; set task: {natural}"
            )
        problems += _model_class_problems(where, entry["model"], entry["model_kwargs"])
        model_task = entry["model_kwargs"].get("task")
        paper_model = ":" not in entry["model"]
        if paper_model and model_task is not None and model_task != entry["task"]:
            problems.append(
                f"{where}.model_kwargs.task: {model_task!r} contradicts {where}.task "
                f"{entry['task']!r}; remove model_kwargs.task (the data set's task is used)"
            )
        try:
            shape = dataset_shape(config, name)
        except (ValueError, TypeError, KeyError) as error:
            problems.append(f"{where}: {error}")
            continue
        problems += dataset_settings_problems(config, name, shape)
    return sorted(set(problems), key=problems.index)


def dataset_settings_problems(config: dict, name: str, shape: tuple[int, int] | None) -> list[str]:
    """Augmentation and model settings of one data set against its (L, T).

    Parameters
    ----------
    config : dict
        A validated config.
    name : str
        A configured data set.
    shape : tuple of int or None
        ``(L, T)``; None checks the model settings against a nominal input only.

    Returns
    -------
    list of str
        ``<key path>: <reason and fix>``, empty when every setting fits.
    """
    entry, where = config["datasets"][name], f"datasets.{name}"
    problems, insert_maxes = [], [0]
    for set_name in entry["augment_sets"]:
        spec = augment_spec(config, name, set_name)
        if spec is None:
            continue
        if shape is not None:
            problems += length_problems(
                spec["augmentations"], shape[0], f"{where}.augment_params", spec["insertion_mode"]
            )
        if "insertion" in spec["augmentations"] and spec["insertion_mode"] == "pad":
            insert_maxes.append(spec["augmentations"]["insertion"]["insert_max"])
    explained = entry["attribution"]["output"]
    if shape is not None and entry["analyses"]["attribution"] and explained >= shape[1]:
        problems.append(
            f"{where}.attribution.output: {explained}, but the data set has {shape[1]} "
            f"output(s); use 0 to {shape[1] - 1}"
        )
    return problems + _model_build_problems(entry, where, shape, max(insert_maxes))


def check_dataset_job(config: dict, name: str, path: str, summary_path: str) -> dict:
    """Check a data set's values and its settings against its real (L, T); write a summary.

    Parameters
    ----------
    config : dict
        The validated workflow config.
    name : str
        A configured data set.
    path : str
        Its h5 file.
    summary_path : str
        JSON summary to write (N per split, L, tasks, class balance or label moments,
        fraction of N columns, content hash).

    Returns
    -------
    dict
        The summary.

    Raises
    ------
    ValueError
        Naming the file, key and first bad row (:func:`evoaugflow.data.check_dataset`),
        or the config keys that do not fit the data.
    """
    from evoaugflow.data import check_dataset
    from evoaugflow.io import write_json

    entry = config["datasets"][name]
    summary = check_dataset(path, entry["task"])
    problems = dataset_settings_problems(
        config, name, (summary["sequence_length"], summary["n_tasks"])
    )
    if problems:
        raise ValueError(
            f"the settings of data set {name} do not fit {path} (fix these keys in your "
            "config file):\n  " + "\n  ".join(problems)
        )
    write_json(summary_path, {"dataset": name, **summary})
    splits = ", ".join(
        f"{split} {record['n'] if record else 'absent'}"
        for split, record in summary["splits"].items()
    )
    print(
        f"{name}: {path} is valid: L={summary['sequence_length']}, "
        f"{summary['n_tasks']} task(s), {splits} sequences"
    )
    return summary


def _model_build_problems(entry: dict, where: str, shape, insert_max: int) -> list[str]:
    """Build a paper model once (longest input) to check its model_kwargs against L and T.

    A user class (``package.module:Class``) is checked by import and signature only
    (:func:`_model_class_problems`): building it may be costly.
    """
    from evoaugflow.models import MODEL_NAMES, get_model

    if entry["model"] not in MODEL_NAMES:
        return []
    length, n_tasks = shape if shape is not None else (1000, 1)
    kwargs = {**entry["model_kwargs"], "task": entry["task"]}
    try:
        get_model(entry["model"], length + insert_max, n_tasks, **kwargs)
    except (ValueError, TypeError) as error:
        return [
            f"{where}.model_kwargs: {error} (model {entry['model']!r}, input length "
            f"{length + insert_max}); fix the key under {where}.model_kwargs"
        ]
    return []


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
        return STAGE_FOLDER[self.stage]

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


def two_stage_sets(config: dict) -> list[str]:
    """Augmentation sets whose cells train stage 1 and the finetune in one job.

    Every finetuned set except those taken ``from_sweep`` (their stage 1 is trained by
    the sweep's rule, their finetune by ``finetune_model``): one process start and one
    queue wait per cell instead of two.
    """
    from_sweep = set(from_sweep_sets(config))
    return [
        name
        for name, item in config["augment_sets"].items()
        if item["finetune"] and name not in from_sweep
    ]


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
# The sweep's part (torch-free) lives in evoaugflow.sweep.plan and is re-exported above.


def sweep_runs(config: dict) -> list[Run]:
    """Every (data set, candidate, seed, stage) of every sweep (``Run.augset`` is the candidate)."""
    return [Run(*cell) for cell in sweep_cells(config)]


def main(argv: list[str] | None = None) -> int:
    """``python -m evoaugflow.config CONFIG.yaml``: check a config file as the workflow would.

    Snakemake reads ``--configfile`` itself and reports a YAML syntax error without the
    line; this names file, line and column, then runs the schema and settings checks.
    """
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__.splitlines()[0])
    parser.add_argument("configfile", help="workflow config (YAML)")
    parser.add_argument(
        "--schema",
        default=str(Path(__file__).resolve().parents[1] / "workflow/schemas/config.schema.yaml"),
        help="JSON schema (default: the workflow's)",
    )
    args = parser.parse_args(argv)
    try:
        raw = load_yaml(args.configfile)
        if not isinstance(raw, dict):
            raise ValueError(f"{args.configfile}: expected keys at the top level, got {raw!r}")
        config = validate_config(raw, args.schema)
    except ValueError as error:
        print(error)
        return 1
    print(f"{args.configfile}: valid ({len(runs(config))} training runs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

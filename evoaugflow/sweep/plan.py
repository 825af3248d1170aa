"""The sweep's part of the workflow config: which data sets sweep, their runs and checks.

Torch-free (it reads :mod:`evoaugflow.sweep.candidates` only), so that the workflow's
config check (:func:`evoaugflow.config.validate_config`, which calls
:func:`sweep_problems`) and the rule files stay light. :mod:`evoaugflow.config`
re-exports these names.
"""

from __future__ import annotations

import copy

from evoaugflow.stages import BASELINE, STAGE1, STAGES
from evoaugflow.summary.tables import TASK_METRICS
from evoaugflow.sweep import candidates


def swept_datasets(config: dict) -> list[str]:
    """Configured data sets that declare a hyperparameter ``sweep`` (not null)."""
    return [name for name, entry in config["datasets"].items() if entry.get("sweep") is not None]


def from_sweep_sets(config: dict) -> list[str]:
    """Augmentation sets whose settings come from the sweep (``from_sweep: true``)."""
    return [name for name, item in config["augment_sets"].items() if item.get("from_sweep")]


def sweep_candidates(config: dict, dataset: str) -> dict[str, dict | None]:
    """Every run of a data set's sweep grid, by candidate name: the baseline first.

    Returns
    -------
    dict
        ``{"baseline": None, "<candidate>": augment_spec, ...}`` in the order of
        :func:`evoaugflow.sweep.candidates.sweep_candidates`; the specs are Augmenter configs.
    """
    entry = config["datasets"].get(dataset)
    if entry is None or entry.get("sweep") is None:
        raise ValueError(f"datasets.{dataset}.sweep: the data set declares no sweep")
    grid = candidates.sweep_candidates(entry["sweep"], entry["augment_params"])
    return {BASELINE: None} | {c.name: c.augment_spec for c in grid}


def sweep_stages(config: dict, dataset: str, candidate: str) -> tuple[str, ...]:
    """Stages a sweep run trains: stage 1, plus finetune unless the baseline or turned off."""
    spec = candidates.sweep_settings(config["datasets"][dataset]["sweep"])
    if candidate == BASELINE or not spec["finetune"]:
        return (STAGE1,)
    return STAGES


def sweep_cells(config: dict) -> list[tuple[str, str, int, str]]:
    """Every ``(dataset, candidate, seed, stage)`` of every sweep grid, baseline included."""
    return [
        (dataset, candidate, seed, stage)
        for dataset in swept_datasets(config)
        for candidate in sweep_candidates(config, dataset)
        for seed in config["seeds"]
        for stage in sweep_stages(config, dataset, candidate)
    ]


def sweep_problems(config: dict) -> list[str]:
    """Checks of the sweep keys that the schema cannot express, as ``<key path>: <reason>``.

    Part of :func:`evoaugflow.config.validate_config`. Empty when every sweep expands to valid grid
    candidates and a valid search space (strengths within the bounds of
    :mod:`evoaugflow.augment_params`, at least one count and hard/soft), its metric fits
    the task, a ``from_sweep`` set lists no augmentations and is used only on data sets
    with a sweep, and the search has at least one trial per worker.
    """
    problems = []
    from_sweep = from_sweep_sets(config)
    for name in from_sweep:
        if config["augment_sets"][name]["augmentations"]:
            problems.append(
                f"augment_sets.{name}.augmentations: must be empty when from_sweep is true "
                "(the sweep's best_config.yaml chooses them); remove the list"
            )
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
        try:
            candidates.sweep_candidates(spec, entry["augment_params"])
            candidates.search_space(spec, entry["augment_params"])
        except ValueError as error:
            problems.append(f"{where}.{error}")
            continue
        metric = spec.get("metric")
        allowed = TASK_METRICS[entry["task"]]
        if metric is not None and metric not in allowed:
            problems.append(
                f"{where}.sweep.metric: {metric!r} does not fit task {entry['task']!r}; "
                f"use one of {list(allowed)}"
            )
        search = spec["search"]
        if search["n_trials"] < search["workers"]:
            problems.append(
                f"{where}.sweep.search.n_trials: {search['n_trials']} is fewer than the "
                f"{search['workers']} workers; raise n_trials or lower workers"
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
        The fragment written by rule ``pick_sweep``
        (:func:`evoaugflow.sweep.selection.fragment_from_spec`): one augmentation set
        and ``datasets.<dataset>.augment_params``.
    dataset : str
        The configured data set the fragment was picked on.
    augment_params : dict
        The data set's ``augment_params``; the fragment's strengths replace theirs.

    Returns
    -------
    dict
        Augmenter config (as :func:`evoaugflow.config.augment_spec` returns), e.g. ``{"augmentations":
        {"deletion": {"delete_min": 0, "delete_max": 10}, ...}, "max_augs_per_seq": 2,
        "hard_aug": False, "insertion_mode": "pad"}``.
    """
    sets = fragment.get("augment_sets") if isinstance(fragment, dict) else None
    if not isinstance(sets, dict) or len(sets) != 1:
        raise ValueError(
            "fragment: expected one augmentation set under augment_sets (the best_config.yaml "
            "written by rule pick_sweep); rerun pick_sweep"
        )
    ((set_name, aug_set),) = sets.items()
    chosen = (fragment.get("datasets") or {}).get(dataset)
    if not isinstance(chosen, dict) or set(fragment["datasets"]) != {dataset}:
        raise ValueError(
            f"fragment names data set(s) {sorted(fragment.get('datasets') or {})}, not "
            f"{dataset!r} alone; use the best_config.yaml of {dataset}'s sweep"
        )
    if not aug_set.get("augmentations"):
        raise ValueError(f"fragment: augment_sets.{set_name} lists no augmentations")
    params = copy.deepcopy(augment_params) | copy.deepcopy(chosen.get("augment_params") or {})
    return {
        "augmentations": {name: dict(params[name]) for name in aug_set["augmentations"]},
        "max_augs_per_seq": aug_set["max_augs_per_seq"],
        "hard_aug": aug_set["hard_aug"],
        "insertion_mode": aug_set["insertion_mode"],
    }

"""Scores and picks of a sweep, on the validation split only, and the config they write.

:func:`score_candidates` turns the tidy evaluation rows of the grid's runs into the mean
over seeds of the main metric on the **validation** split, per stage;
:func:`pick_best` chooses per augmentation the best strength and for the combination the
best count and hard/soft (ties within ``tolerance`` go to the milder setting: fewer
augmentations per sequence, then soft before hard, then a smaller strength).
:func:`best_config_fragment` writes the grid's choice as config, :func:`fragment_from_spec`
the choice of the Optuna search (:mod:`evoaugflow.sweep.search`), both in the one format
``best_config.yaml`` has and ``config.sweep_augment_spec`` reads. The test split is
never read here.
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Mapping, Sequence
from numbers import Real
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from evoaugflow import summary
from evoaugflow.io import write_text_atomic
from evoaugflow.stages import BASELINE, FINETUNE, STAGE1, STAGES
from evoaugflow.sweep.candidates import (
    COMBO_PREFIX,
    KINDS,
    STRENGTH_PARAMETER,
    SWEEP_SPLIT,
    check_base_params,
    check_set_name,
    parse_candidate_name,
    sweep_settings,
)

# --------------------------------------------------------------------------- scores


def require_validation_split(split: str) -> str:
    """Return ``split`` if it is the validation split; refuse anything else.

    Raises
    ------
    ValueError
        For ``"test"`` or any other split: choosing settings on the test split would
        make the reported test metrics optimistic.
    """
    if split != SWEEP_SPLIT:
        raise ValueError(
            f"split={split!r}: a sweep chooses settings on the validation split only "
            f"(split='{SWEEP_SPLIT}'); choosing on the test split would bias the test results"
        )
    return split


def _metric_for(present: set, metric: str | None, dataset: str) -> str:
    if metric is None:
        metric = summary.main_metric(summary.task_of_metrics(present))[0]
    else:
        summary.higher_is_better(metric)
    if metric not in present:
        raise ValueError(
            f"metrics: dataset {dataset!r} has no {SWEEP_SPLIT} rows for metric {metric!r}; "
            f"found {sorted(present)}"
        )
    return metric


def score_candidates(
    metrics: pd.DataFrame, metric: str | None = None, split: str = SWEEP_SPLIT
) -> pd.DataFrame:
    """Mean over seeds of each candidate's validation metric, per data set and stage.

    Parameters
    ----------
    metrics : pandas.DataFrame
        Tidy metrics of the sweep runs (``summary.TIDY_COLUMNS["metrics"]``): the
        ``augset`` column holds candidate names, plus optionally ``baseline`` runs.
        Rows of other splits (the test rows the workflow also writes) are ignored;
        only the task-``mean`` rows are used.
    metric : str or None, default None
        Metric to score; None picks ``auroc`` where present, else ``pearson``.
    split : str, default "valid"
        Must be ``"valid"``: anything else raises (see :func:`require_validation_split`).

    Returns
    -------
    pandas.DataFrame
        One row per (dataset, candidate, stage): ``dataset, candidate, kind,
        augmentation, parameter, strength, max_augs_per_seq, hard_aug, stage, split,
        metric, higher_is_better, n_seeds, mean, sd, mean_sd``; sorted by dataset, kind
        (baseline, single, combo), augmentation, strength, count, soft before
        hard, then stage (stage1 before finetune).

    Raises
    ------
    ValueError
        For a non-validation ``split``, missing columns, no validation rows, an unknown
        metric, a run repeated, or an augset that is not a sweep name.
    """
    require_validation_split(split)
    summary.require_columns(metrics, summary.TIDY_COLUMNS["metrics"], "metrics")
    rows = metrics[
        metrics["split"].eq(split) & metrics["task"].eq("mean") & metrics["value"].notna()
    ]
    if rows.empty:
        raise ValueError(
            f"metrics: no rows with split '{split}' and task 'mean'; evaluate the sweep runs "
            "on the validation split"
        )
    keys = ["dataset", "augset", "stage", "seed", "metric"]
    repeated = rows.duplicated(keys, keep=False)
    if repeated.any():
        raise ValueError(
            f"metrics: {int(repeated.sum())} rows repeat the same run and metric, e.g. "
            f"{rows.loc[repeated, keys].iloc[0].to_dict()}; collect each run's TSV once"
        )
    parsed = {name: parse_candidate_name(name) for name in rows["augset"].unique()}
    tables = []
    for dataset, frame in rows.groupby("dataset", sort=True):
        name = _metric_for(set(frame["metric"]), metric, dataset)
        table = summary.seed_summary(
            frame[frame["metric"] == name], "value", ("dataset", "augset", "stage")
        )
        table.insert(3, "split", split)
        table.insert(4, "metric", name)
        table.insert(5, "higher_is_better", summary.higher_is_better(name))
        tables.append(table)
    table = pd.concat(tables, ignore_index=True).rename(columns={"augset": "candidate"})
    for position, field in enumerate(
        ("kind", "augmentation", "parameter", "strength", "max_augs_per_seq", "hard_aug"), 2
    ):
        table.insert(position, field, [parsed[name][field] for name in table["candidate"]])
    order = pd.DataFrame(
        {
            "dataset": table["dataset"],
            "kind": table["kind"].map(KINDS.index),
            "augmentation": table["augmentation"].fillna(""),
            "strength": table["strength"].astype(float).fillna(0.0),
            "count": table["max_augs_per_seq"],
            "hard": table["hard_aug"].astype(int),
            "stage": table["stage"].map(lambda s: STAGES.index(s) if s in STAGES else 99),
        }
    )
    return table.loc[order.sort_values(list(order.columns), kind="stable").index].reset_index(
        drop=True
    )


# --------------------------------------------------------------------------- picking


def _mildness_keys(names: Sequence[str]) -> list[tuple]:
    """Sort key per name, milder first: count, soft/hard, strength rank, position.

    Strengths are compared as ranks within one augmentation, so that candidates of
    different augmentations fall back to their listed order.
    """
    parsed = [parse_candidate_name(name) for name in names]
    ranks: dict[str, list] = {}
    for info in parsed:
        if info["kind"] == "single":
            ranks.setdefault(info["augmentation"], []).append(info["strength"])
    ranks = {aug: sorted(set(values)) for aug, values in ranks.items()}
    return [
        (
            info["max_augs_per_seq"],
            int(info["hard_aug"]),
            ranks[info["augmentation"]].index(info["strength"]) if info["kind"] == "single" else 0,
            position,
        )
        for position, info in enumerate(parsed)
    ]


def _check_tolerance(tolerance) -> float:
    if (
        isinstance(tolerance, bool)
        or not isinstance(tolerance, Real)
        or not 0 <= tolerance < math.inf
    ):
        raise ValueError(f"tolerance={tolerance!r}: expected a finite number >= 0")
    return float(tolerance)


def rank_candidates(
    names: Sequence[str],
    values: Sequence[float],
    higher_is_better: bool = True,
    tolerance: float = 1e-9,
) -> tuple[list[int], int]:
    """Order candidates best first; scores within ``tolerance`` of the best tie.

    Repeatedly takes the best remaining score, collects every remaining candidate
    within ``tolerance`` of it, and places the mildest of them next (see the module
    docstring). NaN scores rank last, mildest first.

    Parameters
    ----------
    names : sequence of str, shape=(n,)
        Candidate names (see :func:`parse_candidate_name`).
    values : sequence of float, shape=(n,)
        Scores.
    higher_is_better : bool, default True
        Direction of the scores.
    tolerance : float, default 1e-9
        Largest absolute difference treated as a tie.

    Returns
    -------
    order : list of int, shape=(n,)
        Positions into ``names``, best first.
    n_tied : int
        How many candidates tied with the best score (1 when none tied).
    """
    tolerance = _check_tolerance(tolerance)
    if len(names) != len(values):
        raise ValueError(f"names and values differ in length ({len(names)} vs {len(values)})")
    keys = _mildness_keys(names)
    scores = np.asarray(values, dtype=float)
    remaining = list(range(len(names)))
    order, n_tied = [], 1
    while remaining:
        finite = [i for i in remaining if np.isfinite(scores[i])]
        if not finite:
            order.extend(sorted(remaining, key=keys.__getitem__))
            break
        best = (max if higher_is_better else min)(scores[i] for i in finite)
        tied = [i for i in finite if abs(scores[i] - best) <= tolerance]
        if not order:
            n_tied = len(tied)
        chosen = min(tied, key=keys.__getitem__)
        order.append(chosen)
        remaining.remove(chosen)
    return order, n_tied


def pick_best(
    scores: pd.DataFrame, stage: str = "finetune", tolerance: float = 1e-9
) -> pd.DataFrame:
    """Best strength per augmentation and best count/hard per combination, per data set.

    Parameters
    ----------
    scores : pandas.DataFrame
        From :func:`score_candidates` (or read back from its TSV); needs columns
        ``dataset, candidate, stage, split, metric, mean``. Every row must be of the
        validation split.
    stage : str, default "finetune"
        Stage whose scores decide (``"stage1"`` when the sweep skips finetuning).
    tolerance : float, default 1e-9
        Means within ``tolerance`` of the best are ties, and go to the milder setting.

    Returns
    -------
    pandas.DataFrame
        One row per (dataset, target), ``target`` being an augmentation name,
        ``combo``: ``dataset, target, candidate, parameter, strength,
        max_augs_per_seq, hard_aug, stage, metric, mean, best_mean, n_candidates,
        n_tied, baseline_mean`` (``mean`` is the chosen candidate's, ``best_mean``
        the best of the group; ``baseline_mean`` is the baseline's stage-1 mean or NaN).

    Raises
    ------
    ValueError
        If any row is not of the validation split, the stage has no rows, a data set
        mixes metrics, or a name is not a sweep name.
    """
    summary.require_columns(
        scores, ("dataset", "candidate", "stage", "split", "metric", "mean"), "scores"
    )
    tolerance = _check_tolerance(tolerance)
    others = sorted(set(scores["split"].astype(str)) - {SWEEP_SPLIT})
    if others:
        raise ValueError(
            f"scores: rows of split {others} found; the picker uses the validation split "
            "only: score with score_candidates(metrics) (split='valid')"
        )
    rows = scores[scores["stage"] == stage]
    if rows.empty:
        raise ValueError(
            f"stage={stage!r} has no rows in scores; found stages "
            f"{sorted(scores['stage'].unique())} (use stage='stage1' without finetuning)"
        )
    picks = []
    for dataset, frame in rows.groupby("dataset", sort=True):
        metrics = frame["metric"].unique()
        if len(metrics) != 1:
            raise ValueError(f"scores: dataset {dataset!r} mixes metrics {sorted(metrics)}")
        metric = metrics[0]
        higher = summary.higher_is_better(metric)
        baseline = scores[
            (scores["dataset"] == dataset)
            & (scores["candidate"] == BASELINE)
            & (scores["stage"] == STAGE1)
        ]["mean"]
        info = [parse_candidate_name(name) for name in frame["candidate"]]
        targets = [i["augmentation"] or i["kind"] for i in info]
        for target in dict.fromkeys(targets):
            if target == "baseline":
                continue
            members = [pos for pos, t in enumerate(targets) if t == target]
            names = [frame["candidate"].iloc[pos] for pos in members]
            means = [float(frame["mean"].iloc[pos]) for pos in members]
            order, n_tied = rank_candidates(names, means, higher, tolerance)
            chosen = info[members[order[0]]]
            finite = [m for m in means if math.isfinite(m)]
            picks.append(
                {
                    "dataset": dataset,
                    "target": target,
                    "candidate": names[order[0]],
                    "parameter": chosen["parameter"],
                    "strength": chosen["strength"],
                    "max_augs_per_seq": chosen["max_augs_per_seq"],
                    "hard_aug": chosen["hard_aug"],
                    "stage": stage,
                    "metric": metric,
                    "mean": means[order[0]],
                    "best_mean": (max if higher else min)(finite) if finite else np.nan,
                    "n_candidates": len(members),
                    "n_tied": n_tied,
                    "baseline_mean": float(baseline.iloc[0]) if len(baseline) else np.nan,
                }
            )
    return pd.DataFrame(picks)


def grid_picks(
    metrics: pd.DataFrame, sweep_spec: Mapping | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The grid's scores and picks, on the stage the sweep decides on.

    Parameters
    ----------
    metrics : pandas.DataFrame
        Tidy validation metrics of the grid's runs (see :func:`score_candidates`).
    sweep_spec : mapping or None
        The data set's ``sweep`` section: its ``metric``, and ``finetune`` (decide on the
        finetune stage, else on stage 1).

    Returns
    -------
    scores, picks : pandas.DataFrame
        From :func:`score_candidates` and :func:`pick_best`.
    """
    spec = sweep_settings(sweep_spec)
    scores = score_candidates(metrics, metric=spec["metric"])
    return scores, pick_best(scores, stage=FINETUNE if spec["finetune"] else STAGE1)


def _plain(value):
    """Python scalars for YAML: numpy numbers become int, float or bool."""
    return value.item() if isinstance(value, np.generic) else value


def best_config_fragment(
    picks: pd.DataFrame,
    sweep_spec: Mapping | None,
    base_params: Mapping | None = None,
    *,
    dataset: str | None = None,
    set_name: str = "from_sweep",
) -> dict:
    """The picked settings of one data set as a config fragment for the main grid.

    Parameters
    ----------
    picks : pandas.DataFrame
        From :func:`pick_best`; needs a row for every swept augmentation and for
        ``combo`` of ``dataset``.
    sweep_spec : mapping or None
        The data set's ``sweep`` section: which augmentations are combined.
    base_params : mapping or None, default None
        The data set's ``augment_params``; the fragment keeps their other parameters
        (lower bounds, noise mean) and replaces the strengths.
    dataset : str or None, default None
        Data set to write; None is allowed when ``picks`` holds one.
    set_name : str, default "from_sweep"
        Name of the augmentation set in the fragment.

    Returns
    -------
    dict
        ``{"augment_sets": {set_name: {"augmentations": [...], "max_augs_per_seq": n,
        "hard_aug": bool, "insertion_mode": "pad", "finetune": bool}},
        "datasets": {dataset: {"augment_params": {aug: {param: value}}}}}``, plain
        Python types (YAML-safe). Merge it with :func:`apply_fragment`.
    """
    spec = sweep_settings(sweep_spec)
    base_params = check_base_params(base_params, "base_params")
    summary.require_columns(picks, ("dataset", "target", "candidate"), "picks")
    check_set_name(set_name)
    found = sorted(picks["dataset"].unique())
    if dataset is None:
        if len(found) != 1:
            raise ValueError(f"dataset=None but picks hold data sets {found}; name one")
        dataset = found[0]
    rows = picks[picks["dataset"] == dataset].set_index("target")
    if rows.empty:
        raise ValueError(f"dataset={dataset!r} has no rows in picks; found {found}")
    augment_params = {}
    for aug in spec["augmentations"]:
        if aug not in rows.index:
            raise ValueError(
                f"picks: no row for augmentation {aug!r} of data set {dataset!r}; train and "
                "score its sweep candidates first"
            )
        strength = parse_candidate_name(rows.loc[aug, "candidate"])["strength"]
        params = {k: _plain(v) for k, v in dict(base_params.get(aug) or {}).items()}
        augment_params[aug] = params | {STRENGTH_PARAMETER[aug]: strength}
    if COMBO_PREFIX not in rows.index:
        raise ValueError(
            f"picks: no combination row (combo) for data set {dataset!r}; sweep "
            "max_augs_per_seq and hard_aug to choose how many augmentations to apply"
        )
    combo = parse_candidate_name(rows.loc[COMBO_PREFIX, "candidate"])
    return {
        "augment_sets": {
            set_name: {
                "augmentations": list(spec["combo_augmentations"]),
                "max_augs_per_seq": combo["max_augs_per_seq"],
                "hard_aug": combo["hard_aug"],
                "insertion_mode": "pad",
                "finetune": spec["finetune"],
            }
        },
        "datasets": {dataset: {"augment_params": augment_params}},
    }


def fragment_from_spec(
    augment_spec: Mapping,
    sweep_spec: Mapping | None,
    dataset: str,
    *,
    set_name: str = "from_sweep",
) -> dict:
    """A chosen Augmenter spec (e.g. the Optuna search's best trial) as a config fragment.

    Parameters
    ----------
    augment_spec : mapping
        From :func:`evoaugflow.sweep.candidates.spec_from_values`: the combined
        augmentations with their parameters, ``max_augs_per_seq`` and ``hard_aug``.
    sweep_spec : mapping or None
        The data set's ``sweep`` section (its ``finetune`` key is copied).
    dataset : str
        The data set the settings were chosen on.
    set_name : str, default "from_sweep"
        Name of the augmentation set in the fragment.

    Returns
    -------
    dict
        The format of :func:`best_config_fragment` (the one ``best_config.yaml`` has).
    """
    spec = sweep_settings(sweep_spec)
    check_set_name(set_name)
    augmentations = augment_spec["augmentations"]
    return {
        "augment_sets": {
            set_name: {
                "augmentations": list(augmentations),
                "max_augs_per_seq": int(augment_spec["max_augs_per_seq"]),
                "hard_aug": bool(augment_spec["hard_aug"]),
                "insertion_mode": "pad",
                "finetune": spec["finetune"],
            }
        },
        "datasets": {
            dataset: {
                "augment_params": {
                    aug: {key: _plain(value) for key, value in dict(params).items()}
                    for aug, params in augmentations.items()
                }
            }
        },
    }


def apply_fragment(config: Mapping, fragment: Mapping) -> dict:
    """Merge a fragment into a workflow config and add its sets to its data sets.

    Parameters
    ----------
    config : mapping
        A workflow config (validated or not).
    fragment : mapping
        From :func:`best_config_fragment`.

    Returns
    -------
    dict
        A deep copy of ``config`` with the fragment's augmentation sets defined, each
        fragment data set's ``augment_params`` entries replaced, and the sets appended to
        that data set's ``augment_sets`` list.
    """
    merged = copy.deepcopy(dict(config))
    sets = fragment.get("augment_sets") or {}
    merged.setdefault("augment_sets", {}).update(copy.deepcopy(sets))
    for dataset, entry in (fragment.get("datasets") or {}).items():
        if dataset not in merged.get("datasets", {}):
            raise ValueError(
                f"fragment names data set {dataset!r}, which is not under datasets in the "
                f"config (found {sorted(merged.get('datasets', {}))})"
            )
        target = merged["datasets"][dataset]
        target.setdefault("augment_params", {}).update(copy.deepcopy(entry["augment_params"]))
        listed = target.setdefault("augment_sets", [])
        listed.extend(name for name in sets if name not in listed)
    return merged


def write_config_fragment(path: str | os.PathLike, fragment: Mapping, source: str) -> Path:
    """Write a config fragment as YAML, atomically, under a header saying where it came from.

    Parameters
    ----------
    path : path
        YAML file to write.
    fragment : mapping
        From :func:`best_config_fragment` or :func:`fragment_from_spec`.
    source : str
        What the picks were made from (e.g. the scores TSV and the stage), one line.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    if not isinstance(source, str) or "\n" in source:
        raise ValueError("source: expected one line of text saying where the picks came from")
    header = [
        "# Augmentation settings chosen by the EvoAugFlow hyperparameter sweep",
        "# (evoaugflow.sweep), on the validation split only.",
        f"# Source: {source}",
        "# Use: merge these keys into your config and add the augmentation set to the",
        "# data set's augment_sets list (evoaugflow.sweep.apply_fragment does both).",
    ]
    body = yaml.safe_dump(dict(fragment), sort_keys=False, default_flow_style=False)
    write_text_atomic(path, "\n".join(header) + "\n" + body)
    return Path(path)

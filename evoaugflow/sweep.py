"""Augmentation hyperparameter sweeps: candidates, scores, picks, successive halving, cost.

The paper tuned each augmentation's strength on its own and the number of
augmentations per sequence (hard or soft) on the combination (Figs S1-S5), and
reported the cost of augmenting (Tables S2-S3) and the stability of training
(Fig. S7). This module holds the library side of that study:

1. :func:`sweep_candidates` expands a data set's ``sweep`` config section into
   :class:`Candidate` runs, each with an Augmenter spec in the config's format. Their
   names (``deletion-30``, ``mutation-0.05``, ``combo-3-soft``) are stable and safe as
   folder names and Snakemake wildcards, and :func:`parse_candidate_name` reads them back.
2. :func:`score_candidates` turns the tidy evaluation rows of those runs into the mean
   over seeds of the main metric on the **validation** split, per stage.
3. :func:`pick_best` chooses per augmentation the best strength, and for the
   combination the best count and hard/soft; ties within ``tolerance`` go to the
   milder setting. :func:`best_config_fragment` writes the choice as config
   (``augment_params`` plus an augmentation set), :func:`write_config_fragment` as YAML.
4. :func:`successive_halving` reaches a choice for a fraction of the full grid's epochs.
5. :func:`cost_table` reads Snakemake benchmark files and training histories into
   seconds per epoch and peak memory relative to the baseline.
6. :func:`plot_sweep` and :func:`plot_stability` draw the figures.

Milder means, in this order: fewer augmentations per sequence, then soft before hard,
then a smaller strength. The test split is never read here.
"""

from __future__ import annotations

import copy
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from evoaugflow import plots, summary
from evoaugflow.augment import Augmenter
from evoaugflow.io import write_text_atomic

#: The parameter a sweep varies for each augmentation (the lower bounds stay as given).
STRENGTH_PARAMETER: dict[str, str] = {
    "translocation": "shift_max",
    "insertion": "insert_max",
    "deletion": "delete_max",
    "inversion": "invert_max",
    "mutation": "mutate_frac",
    "noise": "noise_std",
    "rc": "rc_prob",
}
#: Augmentations whose strength is a length in nucleotides (an integer).
LENGTH_AUGMENTATIONS = ("translocation", "insertion", "deletion", "inversion")

_LENGTHS = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
_FRACTIONS = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35]
#: The paper's sweep ranges (Figs S1-S5); a data set's ``sweep`` section overrides keys.
DEFAULT_SWEEP: dict = {
    "augmentations": {
        "translocation": _LENGTHS,
        "insertion": _LENGTHS,
        "deletion": _LENGTHS,
        "inversion": _LENGTHS,
        "mutation": _FRACTIONS,
        "noise": _FRACTIONS,
        "rc": [0.1, 0.2, 0.3, 0.4, 0.5],
    },
    "combo_augmentations": None,
    "max_augs_per_seq": None,
    "hard_aug": [True, False],
    "finetune": True,
    "metric": None,
}
#: Name prefix of combination candidates: at the base strengths, or at the picked ones.
COMBO_PREFIX = "combo"
TUNED_PREFIX = "tuned"
#: Kinds of rows in a score table, in display order.
KINDS = ("baseline", "single", COMBO_PREFIX, TUNED_PREFIX)
#: The only split a sweep may choose on.
SWEEP_SPLIT = "valid"
_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_BENCHMARK_COLUMNS = ("s", "max_rss")


@dataclass(frozen=True)
class Candidate:
    """One setting of a sweep: a single augmentation at one strength, or a combination.

    Attributes
    ----------
    name : str
        Stable, filesystem-safe name: ``<augmentation>-<strength>`` (``deletion-30``,
        ``mutation-0.05``) or ``combo-<n>-<hard|soft>`` / ``tuned-<n>-<hard|soft>``.
    kind : {"single", "combo", "tuned"}
        ``combo`` combines the swept augmentations at the base strengths, ``tuned`` at
        the strengths picked by the sweep.
    augmentation : str or None
        The swept augmentation of a ``single`` candidate, else None.
    strength : int, float or None
        Value of ``STRENGTH_PARAMETER[augmentation]`` for a ``single`` candidate.
    augment_spec : dict
        Augmenter spec in the config's format (``config.augment_spec``), ready for
        ``Augmenter.from_config`` and ``train_model``.
    """

    name: str
    kind: str
    augmentation: str | None
    strength: int | float | None
    augment_spec: dict

    @property
    def max_augs_per_seq(self) -> int:
        """Augmentations per sequence (1 for a single augmentation)."""
        return self.augment_spec["max_augs_per_seq"]

    @property
    def hard_aug(self) -> bool:
        """True when every sequence gets exactly ``max_augs_per_seq`` augmentations."""
        return self.augment_spec["hard_aug"]


# --------------------------------------------------------------------------- spec


def _require_int_list(values, where: str, minimum: int) -> list[int]:
    if not isinstance(values, list | tuple) or any(
        isinstance(v, bool) or not isinstance(v, Integral) or v < minimum for v in values
    ):
        raise ValueError(f"{where}: expected a list of integers >= {minimum}, got {values!r}")
    if len(set(values)) != len(values):
        raise ValueError(f"{where}: values repeat in {values!r}; list each once")
    return sorted(int(v) for v in values)


def _strengths(aug: str, values) -> list[int | float]:
    """Validated, sorted strengths of one augmentation (ints for lengths)."""
    where = f"sweep.augmentations.{aug}"
    if aug in LENGTH_AUGMENTATIONS:
        return _require_int_list(values, where, 1)
    if (
        not isinstance(values, list | tuple)
        or not values
        or any(isinstance(v, bool) or not isinstance(v, Real) or not v > 0 for v in values)
    ):
        raise ValueError(
            f"{where}: expected a non-empty list of numbers > 0 ({STRENGTH_PARAMETER[aug]}), "
            f"got {values!r}; a strength of 0 is the baseline, leave it out"
        )
    if len(set(values)) != len(values):
        raise ValueError(f"{where}: values repeat in {values!r}; list each once")
    return sorted(float(v) for v in values)


def sweep_settings(sweep_spec: Mapping | None = None) -> dict:
    """Validate a data set's ``sweep`` section and fill in the defaults.

    Parameters
    ----------
    sweep_spec : mapping or None, default None
        Keys (each optional; ``DEFAULT_SWEEP`` gives the paper's values):

        - ``augmentations``: ``{name: [strengths]}``, the strengths of
          ``STRENGTH_PARAMETER[name]``; integers >= 1 for translocation, insertion,
          deletion and inversion, numbers > 0 otherwise. Given, it replaces the whole
          default mapping (list only what you want swept; e.g. leave out ``rc`` for
          strand-specific tasks).
        - ``combo_augmentations``: augmentations combined by the ``combo`` candidates,
          a subset of ``augmentations``; None (default) combines all of them.
        - ``max_augs_per_seq``: counts for the combination, each 1..len(combo); None
          (default) is 1..min(5, len(combo)), the paper's 1..5; [] makes no combinations.
        - ``hard_aug``: list of booleans for the combination.
        - ``finetune``: whether sweep runs get the finetune stage (default True).
        - ``metric``: metric to choose by; None is ``auroc`` (binary) or ``pearson``.

    Returns
    -------
    dict
        Every key, strengths sorted ascending.

    Raises
    ------
    ValueError
        Naming the key (``sweep.<key>``), the allowed values and the fix.
    """
    if sweep_spec is None:
        sweep_spec = {}
    if not isinstance(sweep_spec, Mapping):
        raise ValueError(f"sweep: expected a mapping, got {type(sweep_spec).__name__}")
    unknown = sorted(set(sweep_spec) - set(DEFAULT_SWEEP))
    if unknown:
        raise ValueError(f"sweep: unknown keys {unknown}; allowed: {list(DEFAULT_SWEEP)}")
    spec = copy.deepcopy(DEFAULT_SWEEP) | copy.deepcopy(dict(sweep_spec))
    augmentations = spec["augmentations"]
    if not isinstance(augmentations, Mapping):
        raise ValueError(
            f"sweep.augmentations: expected a mapping name -> list of strengths, got {augmentations!r}"
        )
    bad = sorted(set(augmentations) - set(STRENGTH_PARAMETER))
    if bad:
        raise ValueError(
            f"sweep.augmentations: unknown augmentation(s) {bad}; allowed: {list(STRENGTH_PARAMETER)}"
        )
    spec["augmentations"] = {aug: _strengths(aug, v) for aug, v in augmentations.items()}
    combo = spec["combo_augmentations"]
    if combo is None:
        combo = list(spec["augmentations"])
    if not isinstance(combo, list | tuple) or not set(combo) <= set(spec["augmentations"]):
        raise ValueError(
            f"sweep.combo_augmentations: {combo!r} must be a list drawn from the swept "
            f"augmentations {list(spec['augmentations'])} (or null for all of them)"
        )
    if len(set(combo)) != len(combo):
        raise ValueError(f"sweep.combo_augmentations: names repeat in {combo!r}")
    spec["combo_augmentations"] = list(combo)
    counts = spec["max_augs_per_seq"]
    if counts is None:
        counts = list(range(1, min(5, len(combo)) + 1))
    counts = _require_int_list(counts, "sweep.max_augs_per_seq", 1)
    if counts and counts[-1] > len(combo):
        raise ValueError(
            f"sweep.max_augs_per_seq: {counts[-1]} is more than the {len(combo)} combined "
            f"augmentations (allowed 1..{len(combo)}); drop it or combine more augmentations"
        )
    spec["max_augs_per_seq"] = counts
    hard = spec["hard_aug"]
    if not isinstance(hard, list | tuple) or any(not isinstance(v, bool) for v in hard):
        raise ValueError(f"sweep.hard_aug: expected a list of true/false, got {hard!r}")
    if len(set(hard)) != len(hard):
        raise ValueError(f"sweep.hard_aug: values repeat in {hard!r}")
    # Soft first: the milder setting comes first in every listing.
    spec["hard_aug"] = sorted(hard)
    if not isinstance(spec["finetune"], bool):
        raise ValueError(f"sweep.finetune: expected true or false, got {spec['finetune']!r}")
    if spec["metric"] is not None:
        summary.higher_is_better(spec["metric"])
    return spec


def _format_strength(value: int | float) -> str:
    """Exact, round-trippable text of a strength: ``30``, ``0.05``."""
    return str(value) if isinstance(value, int) else repr(float(value))


def parse_candidate_name(name: str) -> dict:
    """Read what a candidate (or the ``baseline``) name says about its setting.

    Parameters
    ----------
    name : str
        ``baseline``, ``<augmentation>-<strength>``, ``combo-<n>-<hard|soft>`` or
        ``tuned-<n>-<hard|soft>``.

    Returns
    -------
    dict
        ``kind`` (one of ``KINDS``), ``augmentation`` (None unless single),
        ``parameter`` (the strength parameter, ``max_augs_per_seq`` for combinations,
        None for the baseline), ``strength`` (int or float, None unless single),
        ``max_augs_per_seq`` (0 for the baseline, 1 for a single augmentation) and
        ``hard_aug`` (False for the baseline, True for a single augmentation).

    Raises
    ------
    ValueError
        If ``name`` is not such a name.
    """
    if name == summary.BASELINE_AUGSET:
        return {
            "kind": "baseline",
            "augmentation": None,
            "parameter": None,
            "strength": None,
            "max_augs_per_seq": 0,
            "hard_aug": False,
        }
    head, _, rest = str(name).partition("-")
    if head in (COMBO_PREFIX, TUNED_PREFIX):
        match = re.fullmatch(r"([1-9][0-9]*)-(hard|soft)", rest)
        if match:
            return {
                "kind": head,
                "augmentation": None,
                "parameter": "max_augs_per_seq",
                "strength": None,
                "max_augs_per_seq": int(match[1]),
                "hard_aug": match[2] == "hard",
            }
    elif head in STRENGTH_PARAMETER and rest:
        try:
            strength = int(rest) if head in LENGTH_AUGMENTATIONS else float(rest)
        except ValueError:
            strength = None
        if strength is not None and _format_strength(strength) == rest:
            return {
                "kind": "single",
                "augmentation": head,
                "parameter": STRENGTH_PARAMETER[head],
                "strength": strength,
                "max_augs_per_seq": 1,
                "hard_aug": True,
            }
    raise ValueError(
        f"candidate name {name!r} is not a sweep name: expected 'baseline', "
        "'<augmentation>-<strength>' (e.g. deletion-30, mutation-0.05) or "
        "'combo-<n>-<hard|soft>' / 'tuned-<n>-<hard|soft>'; keep only sweep runs in the table"
    )


def _checked_spec(spec: dict, where: str) -> dict:
    """``spec`` after building its Augmenter, so that a bad strength fails here."""
    try:
        Augmenter.from_config(spec)
    except ValueError as error:
        raise ValueError(f"{where}: gives an invalid augmentation ({error})") from error
    return spec


def _combinations(prefix: str, spec: dict, params: Mapping) -> list[Candidate]:
    """Combination candidates: each count, soft before hard."""
    augmentations = {aug: dict(params.get(aug) or {}) for aug in spec["combo_augmentations"]}
    candidates = []
    for count in spec["max_augs_per_seq"]:
        for hard in spec["hard_aug"]:
            name = f"{prefix}-{count}-{'hard' if hard else 'soft'}"
            augment_spec = {
                "augmentations": copy.deepcopy(augmentations),
                "max_augs_per_seq": count,
                "hard_aug": hard,
                "insertion_mode": "pad",
            }
            candidates.append(
                Candidate(name, prefix, None, None, _checked_spec(augment_spec, f"sweep {name}"))
            )
    return candidates


def _check_params(base_params, what: str) -> Mapping:
    if base_params is None:
        return {}
    if not isinstance(base_params, Mapping) or any(
        not isinstance(v, Mapping | None) for v in base_params.values()
    ):
        raise ValueError(
            f"{what}: expected a mapping augmentation -> parameter mapping (a data set's "
            f"augment_params), got {base_params!r}"
        )
    return base_params


def sweep_candidates(sweep_spec: Mapping | None, base_params: Mapping | None) -> list[Candidate]:
    """Every run of a data set's sweep: single augmentations, then combinations.

    Parameters
    ----------
    sweep_spec : mapping or None
        The data set's ``sweep`` section (see :func:`sweep_settings`; None: defaults).
    base_params : mapping or None
        The data set's ``augment_params`` (``{name: {param: value}}``). A single
        candidate takes its augmentation's entry and replaces the strength parameter;
        the ``combo`` candidates use the entries unchanged. Missing entries take the
        augmentation classes' defaults (lower bounds 0, noise mean 0).

    Returns
    -------
    list of Candidate
        For each swept augmentation in the order given, one candidate per strength,
        ascending; then ``combo-<n>-<soft|hard>`` for each count ascending, soft first.
        The paper's default spec gives 4 x 10 + 2 x 7 + 5 = 59 single and 10 combination
        candidates.

    Raises
    ------
    ValueError
        For an invalid spec or a strength that makes an invalid augmentation (e.g. below
        the base lower bound), naming the key.
    """
    spec = sweep_settings(sweep_spec)
    base_params = _check_params(base_params, "base_params")
    candidates = []
    for aug, strengths in spec["augmentations"].items():
        parameter = STRENGTH_PARAMETER[aug]
        for strength in strengths:
            name = f"{aug}-{_format_strength(strength)}"
            params = dict(base_params.get(aug) or {}) | {parameter: strength}
            augment_spec = {
                "augmentations": {aug: params},
                "max_augs_per_seq": 1,
                "hard_aug": True,
                "insertion_mode": "pad",
            }
            where = f"sweep.augmentations.{aug} ({parameter}={strength})"
            candidates.append(
                Candidate(name, "single", aug, strength, _checked_spec(augment_spec, where))
            )
    return candidates + _combinations(COMBO_PREFIX, spec, base_params)


def tuned_candidates(sweep_spec: Mapping | None, fragment: Mapping) -> list[Candidate]:
    """Combination candidates at the picked strengths (an optional second sweep round).

    Parameters
    ----------
    sweep_spec : mapping or None
        The data set's ``sweep`` section.
    fragment : mapping
        A config fragment from :func:`best_config_fragment` for one data set; its
        ``augment_params`` give the strengths.

    Returns
    -------
    list of Candidate
        ``tuned-<n>-<soft|hard>`` for each count and hard/soft of the spec.
    """
    spec = sweep_settings(sweep_spec)
    datasets = fragment.get("datasets") if isinstance(fragment, Mapping) else None
    if not isinstance(datasets, Mapping) or len(datasets) != 1:
        raise ValueError(
            "fragment: expected the output of best_config_fragment for one data set "
            "(a 'datasets' mapping with one entry)"
        )
    (entry,) = datasets.values()
    params = _check_params(entry.get("augment_params"), "fragment augment_params")
    return _combinations(TUNED_PREFIX, spec, params)


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
        metric = summary.main_metric("binary" if "auroc" in present else "regression")[0]
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
        (baseline, single, combo, tuned), augmentation, strength, count, soft before
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
            "stage": table["stage"].map(
                lambda s: summary.STAGE_ORDER.index(s) if s in summary.STAGE_ORDER else 99
            ),
        }
    )
    return table.loc[order.sort_values(list(order.columns), kind="stable").index].reset_index(
        drop=True
    )


# --------------------------------------------------------------------------- picking


def _mildness_keys(names: Sequence[str]) -> list[tuple]:
    """Sort key per name, milder first: count, soft/hard, strength rank, position.

    Strengths are compared as ranks within one augmentation, so that candidates of
    different augmentations (in successive halving) fall back to their listed order.
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
        ``combo`` or ``tuned``: ``dataset, target, candidate, parameter, strength,
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
            & (scores["candidate"] == summary.BASELINE_AUGSET)
            & (scores["stage"] == summary.BASELINE_STAGE)
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
        ``combo`` (or ``tuned``, which wins when present) of ``dataset``.
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
    base_params = _check_params(base_params, "base_params")
    summary.require_columns(picks, ("dataset", "target", "candidate"), "picks")
    if not isinstance(set_name, str) or not _NAME_PATTERN.match(set_name):
        raise ValueError(
            f"set_name={set_name!r}: use letters, digits, '_', '.', '-' (not first), e.g. from_sweep"
        )
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
    target = next((t for t in (TUNED_PREFIX, COMBO_PREFIX) if t in rows.index), None)
    if target is None:
        raise ValueError(
            f"picks: no combination row (combo or tuned) for data set {dataset!r}; sweep "
            "max_augs_per_seq and hard_aug to choose how many augmentations to apply"
        )
    combo = parse_candidate_name(rows.loc[target, "candidate"])
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
        From :func:`best_config_fragment`.
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
        "# (evoaugflow.sweep.best_config_fragment), on the validation split only;",
        "# ties within the tolerance went to the milder setting.",
        f"# Source: {source}",
        "# Use: merge these keys into your config and add the augmentation set to the",
        "# data set's augment_sets list (evoaugflow.sweep.apply_fragment does both).",
    ]
    body = yaml.safe_dump(dict(fragment), sort_keys=False, default_flow_style=False)
    write_text_atomic(path, "\n".join(header) + "\n" + body)
    return Path(path)


# --------------------------------------------------------------------------- halving


def halving_schedule(
    n_candidates: int, min_epochs: int = 1, eta: int = 2, resume: bool = True
) -> pd.DataFrame:
    """The rungs successive halving runs when nothing stops it early.

    Rung ``r`` (from 0) trains ``n_r`` candidates to ``min_epochs * eta**r`` epochs
    in total, where ``n_0 = n_candidates`` and ``n_{r+1} = max(1, n_r // eta)``; it
    stops when one candidate is left. With ``resume`` a candidate continued from its
    checkpoint costs only the epochs added in the rung, otherwise it is retrained from
    scratch and costs all of them.

    Parameters
    ----------
    n_candidates : int
        Number of candidates, >= 1.
    min_epochs : int, default 1
        Epochs of the first rung, >= 1.
    eta : int, default 2
        Keep ``1/eta`` of the candidates and multiply the epochs by ``eta`` per rung, >= 2.
    resume : bool, default True
        Whether continuing a candidate costs only the added epochs.

    Returns
    -------
    pandas.DataFrame
        ``rung, n_candidates, epochs, cost, cumulative_cost``; empty for one candidate.
        ``cumulative_cost`` of the last row is the budget that completes the search.
    """
    for name, value, minimum in (
        ("n_candidates", n_candidates, 1),
        ("min_epochs", min_epochs, 1),
        ("eta", eta, 2),
    ):
        if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
            raise ValueError(f"{name}={value!r}: expected an integer >= {minimum}")
    rows, count, rung, previous, total = [], int(n_candidates), 0, 0, 0
    while count > 1:
        epochs = int(min_epochs) * int(eta) ** rung
        cost = count * (epochs - previous if resume else epochs)
        total += cost
        rows.append(
            {
                "rung": rung,
                "n_candidates": count,
                "epochs": epochs,
                "cost": cost,
                "cumulative_cost": total,
            }
        )
        count, rung, previous = max(1, count // int(eta)), rung + 1, epochs
    return pd.DataFrame(rows, columns=["rung", "n_candidates", "epochs", "cost", "cumulative_cost"])


def full_grid_epochs(n_candidates: int, epochs: int, n_seeds: int = 1) -> int:
    """Epochs of training every candidate for ``epochs`` epochs with each of ``n_seeds`` seeds."""
    for name, value in (("n_candidates", n_candidates), ("epochs", epochs), ("n_seeds", n_seeds)):
        if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
            raise ValueError(f"{name}={value!r}: expected an integer >= 1")
    return int(n_candidates) * int(epochs) * int(n_seeds)


@dataclass(frozen=True)
class HalvingResult:
    """Outcome of :func:`successive_halving`.

    Attributes
    ----------
    chosen : Candidate
        The last candidate standing, or the best survivor when the budget ran out.
    score : float
        Its latest score (NaN when there was one candidate and nothing was trained).
    epochs : dict of str to int
        Epochs each candidate was trained to in total.
    cost : dict of str to int
        Epochs charged to the budget for each candidate.
    total_epochs : int
        Sum of ``cost``; never more than ``budget_epochs``.
    budget_epochs : int
        The budget given.
    completed : bool
        True when one candidate was left, False when the budget stopped the search.
    rungs : pandas.DataFrame
        One row per training call: ``rung, candidate, epochs, cost, score, rank, kept``.
    """

    chosen: Candidate
    score: float
    epochs: dict
    cost: dict
    total_epochs: int
    budget_epochs: int
    completed: bool
    rungs: pd.DataFrame


def successive_halving(
    candidates: Sequence[Candidate],
    train_fn: Callable[[Candidate, int], float],
    budget_epochs: int,
    min_epochs: int = 1,
    eta: int = 2,
    *,
    higher_is_better: bool = True,
    tolerance: float = 1e-9,
    resume: bool = True,
) -> HalvingResult:
    """Choose a candidate by successive halving within a budget of training epochs.

    The schedule is :func:`halving_schedule`: rung 0 trains every candidate for
    ``min_epochs`` epochs; each rung keeps the best ``max(1, n // eta)`` (ties within
    ``tolerance`` to the milder candidate, see :func:`rank_candidates`) and trains them
    to ``eta`` times the epochs of the rung before. A rung runs only if its whole cost
    fits in what is left of ``budget_epochs``; otherwise the search stops and the best
    survivor of the last rung is chosen, so the budget is never exceeded.

    Parameters
    ----------
    candidates : sequence of Candidate
        Distinct names; the order breaks ties between otherwise equally mild ones.
    train_fn : callable
        ``train_fn(candidate, epochs) -> float``: the validation score after training
        ``candidate`` for ``epochs`` epochs in total. With ``resume`` it should continue
        from the candidate's checkpoint, so only the added epochs are run; it is called
        with increasing ``epochs`` for each candidate.
    budget_epochs : int
        Most epochs to spend over all calls; must cover rung 0
        (``len(candidates) * min_epochs``).
    min_epochs : int, default 1
        Epochs of rung 0.
    eta : int, default 2
        Reduction factor (2: keep half, double the epochs).
    higher_is_better : bool, default True
        Direction of the scores (False for a loss or MSE).
    tolerance : float, default 1e-9
        Scores within ``tolerance`` tie.
    resume : bool, default True
        Charge only the added epochs when a candidate is continued; False charges the
        full ``epochs`` of each call (``train_fn`` retrains from scratch).

    Returns
    -------
    HalvingResult
    """
    candidates = list(candidates)
    if not candidates or any(not isinstance(c, Candidate) for c in candidates):
        raise ValueError("candidates: expected a non-empty list of Candidate (sweep_candidates)")
    names = [c.name for c in candidates]
    if len(set(names)) != len(names):
        raise ValueError("candidates: names repeat; pass each candidate once")
    if not callable(train_fn):
        raise ValueError("train_fn: expected a callable train_fn(candidate, epochs) -> score")
    schedule = halving_schedule(len(candidates), min_epochs, eta, resume)
    if (
        isinstance(budget_epochs, bool)
        or not isinstance(budget_epochs, Integral)
        or budget_epochs < 0
    ):
        raise ValueError(f"budget_epochs={budget_epochs!r}: expected an integer >= 0")
    first_cost = len(candidates) * min_epochs
    if len(candidates) > 1 and budget_epochs < first_cost:
        raise ValueError(
            f"budget_epochs={budget_epochs} does not cover the first rung "
            f"({len(candidates)} candidates x {min_epochs} epochs = {first_cost}); raise it "
            "or sweep fewer candidates"
        )
    survivors = candidates
    trained = dict.fromkeys(names, 0)
    cost = dict.fromkeys(names, 0)
    latest = dict.fromkeys(names, float("nan"))
    rows, spent = [], 0
    for rung in schedule.itertuples(index=False):
        if spent + rung.cost > budget_epochs:
            break
        for candidate in survivors:
            charge = rung.epochs - trained[candidate.name] if resume else rung.epochs
            latest[candidate.name] = float(train_fn(candidate, rung.epochs))
            trained[candidate.name] = rung.epochs
            cost[candidate.name] += charge
            spent += charge
            rows.append(
                {
                    "rung": rung.rung,
                    "candidate": candidate.name,
                    "epochs": rung.epochs,
                    "cost": charge,
                    "score": latest[candidate.name],
                }
            )
        order, _ = rank_candidates(
            [c.name for c in survivors],
            [latest[c.name] for c in survivors],
            higher_is_better,
            tolerance,
        )
        keep = max(1, len(survivors) // eta)
        ranked = [survivors[i] for i in order]
        for place, candidate in enumerate(ranked, 1):
            row = next(r for r in reversed(rows) if r["candidate"] == candidate.name)
            row |= {"rank": place, "kept": place <= keep}
        survivors = ranked[:keep]
    return HalvingResult(
        chosen=survivors[0],
        score=latest[survivors[0].name],
        epochs=trained,
        cost=cost,
        total_epochs=spent,
        budget_epochs=int(budget_epochs),
        completed=len(survivors) == 1,
        rungs=pd.DataFrame(
            rows, columns=["rung", "candidate", "epochs", "cost", "score", "rank", "kept"]
        ),
    )


# --------------------------------------------------------------------------- cost


def read_benchmark(path: str | os.PathLike) -> dict:
    """Wall time and peak memory of one job from its Snakemake benchmark TSV.

    Parameters
    ----------
    path : path
        Columns ``s, h:m:s, max_rss, max_vms, max_uss, max_pss, io_in, io_out,
        mean_load, cpu_time``, one row per repeat; ``s`` and ``max_rss`` are needed.
        Values Snakemake could not measure (``-``, ``NA``) read as NaN.

    Returns
    -------
    dict
        ``wall_seconds`` (mean of ``s`` over repeats) and ``peak_rss_mb`` (max of
        ``max_rss``, MiB as Snakemake reports it).
    """
    if not os.path.isfile(path):
        raise ValueError(f"{path}: benchmark file not found (a Snakemake benchmark TSV)")
    try:
        frame = pd.read_csv(path, sep="\t")
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as error:
        raise ValueError(f"{path}: cannot read as a Snakemake benchmark TSV: {error}") from error
    summary.require_columns(frame, _BENCHMARK_COLUMNS, str(path))
    if frame.empty:
        raise ValueError(f"{path}: the benchmark has no rows")
    values = frame[list(_BENCHMARK_COLUMNS)].apply(pd.to_numeric, errors="coerce")
    return {"wall_seconds": values["s"].mean(), "peak_rss_mb": values["max_rss"].max()}


def _read_history(path: str | os.PathLike) -> pd.DataFrame:
    if not os.path.isfile(path):
        raise ValueError(f"{path}: history file not found (train_stage's history.tsv)")
    frame = pd.read_csv(path, sep="\t")
    summary.require_columns(frame, ("epoch", "seconds"), str(path))
    if frame.empty:
        raise ValueError(f"{path}: the history has no epochs")
    return frame


def cost_table(
    runs: Sequence[Mapping],
    benchmarks: Sequence[str | os.PathLike],
    histories: Sequence[str | os.PathLike],
) -> pd.DataFrame:
    """Seconds per epoch and peak memory per augmentation set, relative to the baseline.

    Parameters
    ----------
    runs : sequence of mapping, shape=(n,)
        Identity of each run: ``dataset``, ``augset``, ``stage``, ``seed`` (the
        workflow's ``run_records()``; other keys are ignored).
    benchmarks : sequence of path, shape=(n,)
        Each run's Snakemake benchmark TSV (see :func:`read_benchmark`).
    histories : sequence of path, shape=(n,)
        Each run's ``history.tsv`` (``epoch, lr, train_loss, valid_loss, seconds``).

    Returns
    -------
    pandas.DataFrame
        One row per (dataset, augset, stage): ``dataset, augset, stage, n_runs,
        epochs (mean per run), seconds_per_epoch (mean over runs of each run's mean over
        epochs), seconds_per_epoch_sd (over runs), wall_seconds (mean), peak_rss_mb (max
        over runs), seconds_per_epoch_ratio, peak_rss_ratio``. The ratios divide by the
        baseline's stage-1 row of the same data set (NaN without one). Sorted with
        ``summary.sort_runs``.
    """
    if not (len(runs) == len(benchmarks) == len(histories)):
        raise ValueError(
            f"runs, benchmarks and histories differ in length ({len(runs)}, "
            f"{len(benchmarks)}, {len(histories)}); pass them aligned, one entry per run"
        )
    if not runs:
        raise ValueError("runs is empty: pass at least one run")
    records = []
    for run, benchmark, history in zip(runs, benchmarks, histories, strict=True):
        missing = [key for key in ("dataset", "augset", "stage", "seed") if key not in run]
        if missing:
            raise ValueError(f"runs: entry {dict(run)} lacks key(s) {missing}")
        epochs = _read_history(history)
        records.append(
            {key: run[key] for key in ("dataset", "augset", "stage", "seed")}
            | {"epochs": len(epochs), "run_seconds_per_epoch": epochs["seconds"].mean()}
            | read_benchmark(benchmark)
        )
    frame = pd.DataFrame(records)
    table = (
        frame.groupby(["dataset", "augset", "stage"], sort=False)
        .agg(
            n_runs=("seed", "count"),
            epochs=("epochs", "mean"),
            seconds_per_epoch=("run_seconds_per_epoch", "mean"),
            seconds_per_epoch_sd=("run_seconds_per_epoch", lambda v: v.std(ddof=1)),
            wall_seconds=("wall_seconds", "mean"),
            peak_rss_mb=("peak_rss_mb", "max"),
        )
        .reset_index()
    )
    reference = table[
        table["augset"].eq(summary.BASELINE_AUGSET) & table["stage"].eq(summary.BASELINE_STAGE)
    ].set_index("dataset")
    for column in ("seconds_per_epoch", "peak_rss_mb"):
        ratio = column.removesuffix("_mb") + "_ratio"
        table[ratio] = table[column] / table["dataset"].map(reference[column])
    return summary.sort_runs(table)


# --------------------------------------------------------------------------- figures


def _grid_figure(n_panels: int, max_columns: int = 4) -> tuple[Figure, list]:
    """A fixed-size figure (``plots.FIGURE_PIXELS``) with a grid of ``n_panels`` axes."""
    columns = min(max_columns, n_panels)
    rows = math.ceil(n_panels / columns)
    figure = Figure(figsize=plots.FIGSIZE_INCHES, dpi=plots.DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(rows, columns, squeeze=False).ravel().tolist()
    for spare in axes[n_panels:]:
        spare.set_visible(False)
    return figure, axes[:n_panels]


def _one_dataset(frame: pd.DataFrame, dataset: str | None, what: str) -> tuple[str, pd.DataFrame]:
    if frame.empty:
        raise ValueError(f"{what}: the table is empty; nothing to plot")
    found = sorted(frame["dataset"].unique())
    if dataset is None:
        if len(found) != 1:
            raise ValueError(f"dataset=None but {what} holds data sets {found}; name one")
        dataset = found[0]
    rows = frame[frame["dataset"] == dataset]
    if rows.empty:
        raise ValueError(f"dataset={dataset!r} has no rows in {what}; found {found}")
    return dataset, rows


_HARD_COLORS = {False: "#1f77b4", True: "#d62728"}


def plot_sweep(
    scores: pd.DataFrame,
    path: str | os.PathLike,
    *,
    dataset: str | None = None,
    picks: pd.DataFrame | None = None,
) -> Path:
    """Validation metric against strength, one panel per augmentation (paper Figs S1-S5).

    Single-augmentation panels put the strength on x; each combination panel
    (``combo``, ``tuned``) puts augmentations per sequence on x with soft (blue) and hard
    (red) lines. Solid lines with circles are stage 1, dashed with squares finetune;
    bars are ± sd over seeds; the grey dotted line is the baseline's stage-1 mean;
    stars mark the picks.

    Parameters
    ----------
    scores : pandas.DataFrame
        From :func:`score_candidates`.
    path : path
        PNG to write, ``plots.FIGURE_PIXELS`` in size.
    dataset : str or None, default None
        Data set to draw; None is allowed when ``scores`` holds one.
    picks : pandas.DataFrame or None, default None
        From :func:`pick_best`, to mark the chosen settings.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    summary.require_columns(
        scores,
        ("dataset", "candidate", "kind", "stage", "metric", "mean", "sd"),
        "scores",
    )
    dataset, rows = _one_dataset(scores, dataset, "scores")
    rows = rows.assign(
        info=[parse_candidate_name(name) for name in rows["candidate"]],
    )
    metric = rows["metric"].iloc[0]
    baseline = rows[(rows["kind"] == "baseline") & (rows["stage"] == summary.BASELINE_STAGE)][
        "mean"
    ]
    panels = [
        aug for aug in dict.fromkeys(i["augmentation"] for i in rows["info"]) if aug is not None
    ] + [kind for kind in (COMBO_PREFIX, TUNED_PREFIX) if (rows["kind"] == kind).any()]
    if not panels:
        raise ValueError(f"scores: dataset {dataset!r} has no sweep candidates, only the baseline")
    chosen = set()
    if picks is not None:
        summary.require_columns(picks, ("dataset", "candidate", "stage"), "picks")
        mine = picks[picks["dataset"] == dataset]
        chosen = set(zip(mine["candidate"], mine["stage"], strict=True))
    figure, axes = _grid_figure(len(panels))
    for ax, panel in zip(axes, panels, strict=True):
        is_combo = panel in (COMBO_PREFIX, TUNED_PREFIX)
        members = rows[[panel in (i["kind"], i["augmentation"]) for i in rows["info"]]]
        members = members.assign(
            x=[i["max_augs_per_seq"] if is_combo else i["strength"] for i in members["info"]],
            hard=[i["hard_aug"] if is_combo else None for i in members["info"]],
        )
        groups = members.groupby(["stage", "hard"], sort=False, dropna=False)
        for (stage, hard), line in groups:
            line = line.sort_values("x")
            color = _HARD_COLORS[hard] if is_combo else "black"
            ax.errorbar(
                line["x"],
                line["mean"],
                yerr=line["sd"].fillna(0),
                color=color,
                linestyle=plots._STAGE_LINESTYLES.get(stage, plots._OTHER_LINESTYLE),
                marker=plots._STAGE_MARKERS.get(stage, plots._OTHER_MARKER),
                markersize=3,
                lw=1,
                capsize=2,
            )
            marked = line[[(name, stage) in chosen for name in line["candidate"]]]
            ax.scatter(marked["x"], marked["mean"], marker="*", s=90, color="gold", zorder=3)
        if len(baseline):
            ax.axhline(baseline.iloc[0], color=plots._BASELINE_COLOR, ls=":", lw=1)
        ax.set_title(
            f"{'combination' if panel == COMBO_PREFIX else 'tuned combination'}"
            if is_combo
            else panel,
            fontsize=8,
        )
        ax.set_xlabel(
            "augmentations per sequence" if is_combo else STRENGTH_PARAMETER[panel], fontsize=7
        )
        ax.set_ylabel(f"valid {metric}", fontsize=7)
        ax.tick_params(labelsize=6)
        if is_combo:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    handles = [
        Line2D([], [], color="black", ls="-", marker="o", markersize=3, label="stage1"),
        Line2D([], [], color="black", ls="--", marker="s", markersize=3, label="finetune"),
        Line2D([], [], color=_HARD_COLORS[False], label="soft"),
        Line2D([], [], color=_HARD_COLORS[True], label="hard"),
        Line2D([], [], color=plots._BASELINE_COLOR, ls=":", label="baseline"),
        Line2D([], [], color="gold", marker="*", ls="", markersize=8, label="picked"),
    ]
    figure.legend(handles=handles, loc="outside lower center", ncols=6, fontsize=7)
    direction = "higher" if summary.higher_is_better(metric) else "lower"
    figure.suptitle(
        f"{dataset}: validation {metric} across augmentation settings ({direction} is better)",
        fontsize=10,
    )
    return plots._save(figure, path)


def plot_stability(
    histories: pd.DataFrame,
    path: str | os.PathLike,
    *,
    dataset: str | None = None,
    stage: str = "stage1",
) -> Path:
    """Validation loss by epoch per augmentation set, mean ± sd over seeds (paper Fig. S7).

    Parameters
    ----------
    histories : pandas.DataFrame
        Tidy training histories (``summary.TIDY_COLUMNS["history"]``); the ``augset``
        column may hold augmentation sets or sweep candidates.
    path : path
        PNG to write, ``plots.FIGURE_PIXELS`` in size.
    dataset : str or None, default None
        Data set to draw; None is allowed when ``histories`` holds one.
    stage : str, default "stage1"
        Training stage to draw. At each epoch the mean and sd are over the seeds still
        training (early stopping ends some runs sooner).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    summary.require_columns(histories, summary.TIDY_COLUMNS["history"], "histories")
    dataset, rows = _one_dataset(histories, dataset, "histories")
    rows = rows[rows["stage"] == stage]
    if rows.empty:
        raise ValueError(f"stage={stage!r} has no rows for data set {dataset!r} in histories")
    curves = (
        rows.groupby(["augset", "epoch"], sort=False)["valid_loss"]
        .agg(mean="mean", sd=lambda v: v.std(ddof=1))
        .reset_index()
    )
    colors = plots._augset_colors(curves["augset"])
    figure, (ax,) = plots._new_figure()
    for augset in summary.sort_runs(curves[["augset"]].drop_duplicates())["augset"]:
        curve = curves[curves["augset"] == augset].sort_values("epoch")
        ax.plot(curve["epoch"], curve["mean"], color=colors[augset], lw=1.4, label=augset)
        ax.fill_between(
            curve["epoch"],
            curve["mean"] - curve["sd"].fillna(0),
            curve["mean"] + curve["sd"].fillna(0),
            color=colors[augset],
            alpha=0.15,
            lw=0,
        )
    plots._legend_outside(ax)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.set_title(f"{dataset}: validation loss by epoch ({stage}), mean ± sd over seeds")
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation loss")
    return plots._save(figure, path)

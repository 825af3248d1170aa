"""Seed statistics and paired comparisons with the baseline, over the full grid and sizes.

:func:`comparison_table` compares every augmentation set and stage with the baseline of
the same dataset seed by seed (paired t-test, 95% interval, ranks); :func:`datasize_table`
summarises the training-set-size sweep.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from evoaugflow.stages import BASELINE, STAGE1
from evoaugflow.summary.tables import (
    TASK_METRICS,
    TIDY_COLUMNS,
    higher_is_better,
    main_metric,
    require_columns,
    sort_runs,
    task_of_metrics,
)

#: Columns of :func:`datasize_table` (also of the empty table written without a sweep).
DATASIZE_COLUMNS = (
    "dataset",
    "metric",
    "higher_is_better",
    "train_size",
    "augset",
    "stage",
    "n_seeds",
    "mean",
    "sd",
    "mean_sd",
)


def seed_summary(frame: pd.DataFrame, value: str, by: Sequence[str]) -> pd.DataFrame:
    """Mean, sample sd and count of ``value`` over seeds within groups ``by``.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per run (seed) and group.
    value : str
        Numeric column to summarise; NaN values are left out.
    by : sequence of str
        Grouping columns, e.g. ``("dataset", "augset", "stage")``.

    Returns
    -------
    pandas.DataFrame
        Columns ``*by, n_seeds, mean, sd, mean_sd``; ``sd`` uses ddof=1 (NaN for one
        seed) and ``mean_sd`` reads ``"0.8912 ± 0.0041"`` (sd to two significant
        digits, the mean to the same decimal place; ``"0.8912 (n=1)"`` for one seed).
        Sorted with :func:`sort_runs`.
    """
    require_columns(frame, [*by, value], "frame")
    grouped = frame.groupby(list(by), sort=False)[value]
    table = grouped.agg(n_seeds="count", mean="mean", sd=lambda v: v.std(ddof=1)).reset_index()
    table["n_seeds"] = table["n_seeds"].astype("int64")
    table["mean_sd"] = [
        _format_mean_sd(mean, sd, n)
        for mean, sd, n in zip(table["mean"], table["sd"], table["n_seeds"], strict=True)
    ]
    return sort_runs(table)


def _format_mean_sd(mean: float, sd: float, n_seeds: int) -> str:
    """``"0.891 ± 0.012"``: sd to two significant digits, the mean to the same place."""
    if np.isnan(sd):
        return f"{mean:.4g} (n={n_seeds})"
    if sd == 0:
        return f"{mean:.4g} ± 0"
    decimals = max(0, 1 - int(np.floor(np.log10(sd))))
    return f"{mean:.{decimals}f} ± {sd:.{decimals}f}"


def split_means(metrics: pd.DataFrame, sweep: bool = False, split: str = "test") -> pd.DataFrame:
    """Task-``mean`` rows of one split: the full-data runs, or the size sweep.

    Parameters
    ----------
    metrics : pandas.DataFrame
        Tidy metrics (``TIDY_COLUMNS["metrics"]``).
    sweep : bool, default False
        False keeps runs without a ``train_size`` (NaN, or no such column). True keeps
        the runs with one, ``train_size`` as ``int64``, and removes the workflow's
        ``_n<train_size>`` suffix from their dataset names, so that every size of one
        data set shares its name. Rows with a NaN value are dropped either way.
    split : {"test", "valid"}, default "test"
        Split to keep.

    Returns
    -------
    pandas.DataFrame
        The kept rows, sorted with :func:`sort_runs`.

    Raises
    ------
    ValueError
        If columns are missing, ``split`` is unknown, ``sweep`` is True without a
        ``train_size`` column, or one run and metric appears in more than one row.
    """
    require_columns(metrics, TIDY_COLUMNS["metrics"], "metrics")
    if split not in ("test", "valid"):
        raise ValueError(f"split={split!r} is unknown; use 'test' or 'valid'")
    keep = metrics["split"].eq(split) & metrics["task"].eq("mean") & metrics["value"].notna()
    sizes = metrics["train_size"] if "train_size" in metrics.columns else None
    if sweep:
        if sizes is None:
            raise ValueError("metrics: no train_size column; the size sweep needs one")
        keep &= sizes.notna()
    elif sizes is not None:
        keep &= sizes.isna()
    rows = metrics.loc[keep].copy()
    if sweep:
        rows["train_size"] = rows["train_size"].astype("int64")
        rows["dataset"] = [
            name.removesuffix(f"_n{size}")
            for name, size in zip(rows["dataset"], rows["train_size"], strict=True)
        ]
    # A fixed row order makes every later sum, and so every digit, independent of
    # the order in which the files were collected.
    rows = sort_runs(rows)
    keys = ["dataset", "augset", "stage", "seed", "metric"] + (["train_size"] if sweep else [])
    duplicated = rows.duplicated(keys, keep=False)
    if duplicated.any():
        first = rows.loc[duplicated, keys].iloc[0].to_dict()
        raise ValueError(
            f"metrics: {int(duplicated.sum())} rows repeat the same run, e.g. {first}; "
            "collect each run's TSV only once"
        )
    return rows


def _resolve_metrics(
    frame: pd.DataFrame, dataset: str, metric: str | Sequence[str] | None, split: str
) -> list[str]:
    """The metrics to compare for one dataset: ``metric`` (one or several), or every
    metric of its task type that is present (``TASK_METRICS``; binary where ``auroc`` is
    present), main metric first."""
    present = set(frame["metric"])
    if metric is None:
        task = task_of_metrics(present)
        names = [name for name in TASK_METRICS[task] if name in present]
        if not names:
            names = [main_metric(task)[0]]
    else:
        names = [metric] if isinstance(metric, str) else list(metric)
        for name in names:
            higher_is_better(name)
    missing = [name for name in names if name not in present]
    if missing:
        raise ValueError(
            f"metrics: dataset {dataset!r} has no {split} rows for metric {missing[0]!r}; "
            f"found {', '.join(sorted(present))}"
        )
    return names


def paired_difference(values: pd.Series, reference: pd.Series | None, is_reference: bool) -> dict:
    """Paired difference of ``values`` to ``reference`` (both indexed by seed)."""
    result = {
        "n_paired": 0,
        "diff_mean": np.nan,
        "diff_sd": np.nan,
        "diff_ci_low": np.nan,
        "diff_ci_high": np.nan,
        "t_statistic": np.nan,
        "p_value": np.nan,
    }
    if reference is None:
        return result | {"note": "no baseline stage1 run for this dataset: no comparison"}
    notes = []
    seeds = values.index.intersection(reference.index).sort_values()
    unmatched = values.index.difference(reference.index)
    if len(unmatched):
        notes.append(f"seeds without a baseline run: {', '.join(map(str, unmatched))}")
    diff = values[seeds] - reference[seeds]
    result |= {"n_paired": len(seeds), "diff_mean": diff.mean(), "diff_sd": diff.std(ddof=1)}
    if is_reference:
        notes.append("reference row")
    elif len(seeds) < 2:
        notes.append(f"paired t-test needs >= 2 seeds shared with the baseline, found {len(seeds)}")
    else:
        # Imported here: training jobs import this package, and scipy.stats costs them
        # ~1.4 s of start-up each.
        from scipy import stats

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            test = stats.ttest_rel(values[seeds], reference[seeds])
        result |= {"t_statistic": float(test.statistic), "p_value": float(test.pvalue)}
        # 95% interval of the mean paired difference, from the same t distribution.
        low, high = test.confidence_interval(confidence_level=0.95)
        result |= {"diff_ci_low": float(low), "diff_ci_high": float(high)}
        # Equal differences make t infinite (or huge, after rounding): say why.
        if diff.std(ddof=1) <= 1e-12 * max(1.0, abs(diff.mean())):
            notes.append("differences to the baseline have zero variance")
    return result | {"note": "; ".join(notes)}


def _compare_metric(values: pd.DataFrame, name: str) -> pd.DataFrame:
    """The comparison rows of one dataset and metric (see :func:`comparison_table`)."""
    higher = higher_is_better(name)
    table = seed_summary(values, "value", ("dataset", "augset", "stage"))
    table.insert(1, "metric", name)
    table.insert(2, "higher_is_better", higher)
    is_baseline = values["augset"].eq(BASELINE) & values["stage"].eq(STAGE1)
    reference = values.loc[is_baseline].set_index("seed")["value"] if is_baseline.any() else None
    by_model = values.groupby(["augset", "stage"])
    paired = [
        paired_difference(
            by_model.get_group((augset, stage)).set_index("seed")["value"],
            reference,
            (augset, stage) == (BASELINE, STAGE1),
        )
        for augset, stage in zip(table["augset"], table["stage"], strict=True)
    ]
    table = pd.concat([table, pd.DataFrame(paired, index=table.index)], axis=1)
    table["rank"] = table["mean"].rank(ascending=not higher, method="min").astype("int64")
    table["best"] = table["rank"].eq(1)
    return table


def comparison_table(
    metrics: pd.DataFrame, metric: str | Sequence[str] | None = None, split: str = "test"
) -> pd.DataFrame:
    """Compare every augmentation set and stage with the baseline, per dataset.

    Uses the task-``mean`` rows of ``split`` of the full-data runs (rows whose
    ``train_size`` is NaN, or all rows without that column; see :func:`split_means`).
    The reference of every row is the baseline's stage-1 run with the same seed.

    Parameters
    ----------
    metrics : pandas.DataFrame
        Tidy metrics (``TIDY_COLUMNS["metrics"]``), e.g. from :func:`collect`.
    metric : str or sequence of str, optional
        Metric(s) to compare in every dataset. Default None: every metric of each
        dataset's task type that it has (``TASK_METRICS``: AUROC and AUPR where
        ``auroc`` is present, otherwise Pearson, Spearman and MSE), main metric first.
    split : {"test", "valid"}, default "test"
        Split to compare.

    Returns
    -------
    pandas.DataFrame
        One row per dataset, metric, augset and stage, sorted with :func:`sort_runs`:
        ``dataset, metric, higher_is_better, augset, stage, n_seeds, mean, sd,
        mean_sd`` (over seeds); ``n_paired, diff_mean, diff_sd`` (value minus the
        baseline per shared seed); ``diff_ci_low, diff_ci_high`` (95% t interval of the
        mean difference), ``t_statistic, p_value`` (``scipy.stats.ttest_rel``; all four
        NaN below two shared seeds and on the reference row); ``rank`` (1 = best mean
        in the dataset, respecting the metric's direction, ties share the lower rank);
        ``best`` (rank 1); ``note`` (why a test is missing, unmatched seeds). Ranks and
        ``best`` are within each dataset and metric.

    Raises
    ------
    ValueError
        If columns are missing, no rows of ``split`` remain, a run appears twice, or a
        dataset lacks the requested metric.
    """
    rows = split_means(metrics, sweep=False, split=split)
    if rows.empty:
        raise ValueError(
            f"metrics: no rows with split {split!r}, task 'mean', a value and no "
            "train_size; pass the evaluation TSVs of the full-data runs"
        )
    tables = []
    for dataset, frame in rows.groupby("dataset", sort=True):
        for name in _resolve_metrics(frame, dataset, metric, split):
            tables.append(_compare_metric(frame[frame["metric"] == name], name))
    table = pd.concat(tables, ignore_index=True)
    note = table.pop("note")
    table["note"] = note
    return table


def datasize_table(
    metrics: pd.DataFrame, metric: str | Sequence[str] | None = None, split: str = "test"
) -> pd.DataFrame:
    """Mean and sd over seeds of a metric for each training-set size.

    Parameters
    ----------
    metrics : pandas.DataFrame
        Tidy metrics with a ``train_size`` column; rows where it is set are the sweep.
        Their dataset names lose the workflow's ``_n<train_size>`` suffix.
    metric : str or sequence of str, optional
        Metric(s) to summarise. Default None: every metric of each dataset's task type
        that it has (as in :func:`comparison_table`).
    split : {"test", "valid"}, default "test"
        Split to summarise.

    Returns
    -------
    pandas.DataFrame
        Columns ``dataset, metric, higher_is_better, train_size, augset, stage,
        n_seeds, mean, sd, mean_sd``, sorted by dataset, train size, metric, augset,
        stage.

    Raises
    ------
    ValueError
        If ``train_size`` is absent or never set, or a dataset lacks the metric.
    """
    rows = split_means(metrics, sweep=True, split=split)
    if rows.empty:
        raise ValueError(
            f"metrics: no rows with split {split!r}, task 'mean' and a train_size; "
            "pass the size sweep's evaluations"
        )
    tables = []
    for dataset, frame in rows.groupby("dataset", sort=True):
        for name in _resolve_metrics(frame, dataset, metric, split):
            values = frame[frame["metric"] == name]
            table = seed_summary(values, "value", ("dataset", "train_size", "augset", "stage"))
            table.insert(1, "metric", name)
            table.insert(2, "higher_is_better", higher_is_better(name))
            tables.append(table)
    return pd.concat(tables, ignore_index=True)

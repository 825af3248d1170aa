"""Summary tables over the per-run tidy TSVs: seed statistics, paired tests, ranks.

The workflow writes one small TSV per run and analysis (see ``TIDY_COLUMNS`` for the
formats). :func:`collect` stacks them, :func:`comparison_table` compares every
augmentation set and stage with the baseline of the same dataset seed by seed, and
:func:`datasize_table` summarises the training-set-size sweep. Every table comes out
in one fixed row order, so reruns give byte-identical files.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from evoaugflow.io import atomic_path

#: Required columns of each tidy per-run table, by kind.
TIDY_COLUMNS: dict[str, tuple[str, ...]] = {
    "metrics": ("dataset", "augset", "stage", "seed", "split", "metric", "task", "value"),
    "filters": (
        "dataset",
        "augset",
        "stage",
        "seed",
        "n_filters",
        "n_with_sites",
        "hit_rate",
        "mean_best_q",
        "n_matched_motifs",
        "planted_recovery",
        "matched_motifs",
    ),
    "attribution": ("dataset", "augset", "stage", "seed", "n_sequences", "attribution_auroc"),
    "cagi5": (
        "dataset",
        "augset",
        "stage",
        "seed",
        "element",
        "n_variants",
        "n_ref_mismatch",
        "pearson",
        "spearman",
    ),
    "history": (
        "dataset",
        "augset",
        "stage",
        "seed",
        "epoch",
        "lr",
        "train_loss",
        "valid_loss",
        "seconds",
    ),
}

# Read as text whatever they look like: task "0" must not become the integer 0.
_TEXT_COLUMNS = ("dataset", "augset", "stage", "split", "metric", "task", "element")

#: Whether a larger value of each metric is better.
METRIC_HIGHER_IS_BETTER: dict[str, bool] = {
    "auroc": True,
    "aupr": True,
    "pearson": True,
    "spearman": True,
    "mse": False,
}

#: Every metric of each task type, the headline (main) metric first: the comparison
#: tables and figures carry all of them (REFERENCE.md section 4).
TASK_METRICS: dict[str, tuple[str, ...]] = {
    "binary": ("auroc", "aupr"),
    "regression": ("pearson", "spearman", "mse"),
}
#: Order of metrics in every table.
METRIC_ORDER = tuple(name for names in TASK_METRICS.values() for name in names)

#: The reference model of every comparison: the un-augmented stage-1 run.
BASELINE_AUGSET = "baseline"
BASELINE_STAGE = "stage1"
#: Known stages in the order they are run; any other stage sorts after them.
STAGE_ORDER = ("stage1", "finetune")


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise ``ValueError`` if ``frame`` lacks any of ``columns``.

    Parameters
    ----------
    frame : pandas.DataFrame
        Table to check.
    columns : iterable of str
        Column names that must be present.
    what : str
        Name of the table or file, used in the message.
    """
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{what}: expected a pandas DataFrame, got {type(frame).__name__}")
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        found = ", ".join(map(str, frame.columns)) or "none"
        raise ValueError(f"{what}: missing column(s) {', '.join(missing)}; found {found}")


def _required_for(columns: str | Sequence[str] | None) -> tuple[tuple[str, ...], str]:
    """Resolve ``collect``'s ``columns`` argument to (names, description)."""
    if columns is None:
        return (), "table"
    if isinstance(columns, str):
        if columns not in TIDY_COLUMNS:
            raise ValueError(
                f"columns={columns!r} is not a known table kind; use one of "
                f"{', '.join(TIDY_COLUMNS)} or a list of column names"
            )
        return TIDY_COLUMNS[columns], f"{columns} table"
    return tuple(columns), "table"


def collect(
    paths: str | os.PathLike | Iterable[str | os.PathLike],
    columns: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Concatenate per-run TSV files into one table.

    Parameters
    ----------
    paths : path or iterable of paths
        Tab-separated files with a header line. Rows keep the order of ``paths``,
        then of each file.
    columns : str or sequence of str, optional
        Columns every file must have: a kind from ``TIDY_COLUMNS`` (``"metrics"``,
        ``"filters"``, ``"attribution"``, ``"cagi5"``, ``"history"``) or a list of
        names. Default None: no check.

    Returns
    -------
    pandas.DataFrame
        All rows, with a fresh index. Columns named ``dataset``, ``augset``,
        ``stage``, ``split``, ``metric``, ``task`` and ``element`` are read as text;
        ``seed`` must be an integer in every row and comes out as ``int64``. A column
        found in only some files is NaN in the rows of the others.

    Raises
    ------
    ValueError
        If ``paths`` is empty, a file is missing, empty or unreadable, lacks a
        required column, or has a non-integer seed; the message names the file.
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    paths = [os.fspath(path) for path in paths]
    if not paths:
        raise ValueError("paths is empty: pass at least one TSV file to collect")
    required, kind = _required_for(columns)
    frames = []
    for path in paths:
        if not os.path.isfile(path):
            raise ValueError(f"{path}: file not found (expected a tab-separated {kind})")
        try:
            frame = pd.read_csv(path, sep="\t", dtype=dict.fromkeys(_TEXT_COLUMNS, str))
        except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as error:
            raise ValueError(f"{path}: cannot read as a tab-separated {kind}: {error}") from error
        require_columns(frame, required, path)
        if "seed" in frame.columns:
            seeds = pd.to_numeric(frame["seed"], errors="coerce")
            if seeds.isna().any() or (seeds % 1 != 0).any():
                raise ValueError(f"{path}: column seed must hold an integer in every row")
            frame["seed"] = seeds.astype("int64")
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def write_tsv(frame: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write ``frame`` as a tab-separated file atomically, without the index.

    Missing values are written as ``NaN``, which :func:`collect` reads back as
    missing; floats keep full precision.
    """
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"frame: expected a pandas DataFrame, got {type(frame).__name__}")
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, sep="\t", index=False, na_rep="NaN")


def higher_is_better(metric: str) -> bool:
    """Return True when a larger ``metric`` is better (all but ``mse``)."""
    if metric not in METRIC_HIGHER_IS_BETTER:
        raise ValueError(
            f"metric={metric!r} is unknown; use one of {', '.join(METRIC_HIGHER_IS_BETTER)}"
        )
    return METRIC_HIGHER_IS_BETTER[metric]


def main_metric(task_type: str) -> tuple[str, bool]:
    """Return the headline metric of a task type and whether higher is better.

    Parameters
    ----------
    task_type : {"binary", "regression"}
        ``"binary"`` gives ``("auroc", True)``, ``"regression"`` ``("pearson", True)``.
    """
    if task_type not in TASK_METRICS:
        raise ValueError(f"task_type={task_type!r} is unknown; use 'binary' or 'regression'")
    name = TASK_METRICS[task_type][0]
    return name, higher_is_better(name)


def sort_runs(frame: pd.DataFrame) -> pd.DataFrame:
    """Sort rows by dataset, train size, metric, augset, stage, seed, element, epoch.

    Metrics follow ``METRIC_ORDER`` (the main metric of a task first), the baseline
    augset comes first and stages follow ``STAGE_ORDER``; other metrics, augsets and
    stages sort by name after them. Only the columns present are used. Returns a copy
    with a fresh index.
    """
    keys = [
        column
        for column in (
            "dataset",
            "train_size",
            "metric",
            "augset",
            "stage",
            "seed",
            "element",
            "epoch",
        )
        if column in frame.columns
    ]
    rank = {
        "augset": lambda s: s.ne(BASELINE_AUGSET).astype(int).astype(str) + s.astype(str),
        "stage": lambda s: s.map(
            lambda v: f"{STAGE_ORDER.index(v)}" if v in STAGE_ORDER else f"{len(STAGE_ORDER)}{v}"
        ),
        "metric": lambda s: s.map(
            lambda v: f"{METRIC_ORDER.index(v)}" if v in METRIC_ORDER else f"{len(METRIC_ORDER)}{v}"
        ),
    }
    ordered = frame.sort_values(
        keys, key=lambda s: rank[s.name](s) if s.name in rank else s, kind="stable"
    )
    return ordered.reset_index(drop=True)


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
        task_type = "binary" if "auroc" in present else "regression"
        names = [name for name in TASK_METRICS[task_type] if name in present]
        if not names:
            names = [main_metric(task_type)[0]]
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


def _paired_difference(values: pd.Series, reference: pd.Series | None, is_reference: bool) -> dict:
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
    is_baseline = values["augset"].eq(BASELINE_AUGSET) & values["stage"].eq(BASELINE_STAGE)
    reference = values.loc[is_baseline].set_index("seed")["value"] if is_baseline.any() else None
    by_model = values.groupby(["augset", "stage"])
    paired = [
        _paired_difference(
            by_model.get_group((augset, stage)).set_index("seed")["value"],
            reference,
            (augset, stage) == (BASELINE_AUGSET, BASELINE_STAGE),
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


# ----------------------------------------------------------------- oracle ceiling (issue 15)

#: Columns that :func:`add_oracle_columns` adds to a comparison table, before ``note``.
ORACLE_COMPARISON_COLUMNS = ("oracle", "gap_closed")
#: Note on the rows of a data set without a known truth function.
NO_ORACLE_NOTE = "no oracle: real data have no known truth function"


def read_oracles(paths: Iterable[str | os.PathLike], datasets: Sequence[str]) -> pd.DataFrame:
    """Stack the oracle tables of synthetic data sets (``results/data/<dataset>/oracle.tsv``).

    Parameters
    ----------
    paths : iterable of path
        One table per data set (:data:`evoaugflow.synthetic.ORACLE_COLUMNS`).
    datasets : sequence of str
        Their data-set names, in the same order.

    Returns
    -------
    pandas.DataFrame
        ``dataset, split, metric, task, value, score``; empty (with these columns) when no
        path is given.
    """
    paths = list(paths)
    if len(paths) != len(datasets):
        raise ValueError(f"read_oracles: {len(paths)} tables for {len(datasets)} data sets")
    frames = []
    for path, dataset in zip(paths, datasets, strict=True):
        frame = pd.read_csv(path, sep="\t", dtype={"task": str, "split": str, "metric": str})
        require_columns(frame, ("split", "metric", "task", "value"), f"oracle table {path}")
        frames.append(frame.assign(dataset=dataset))
    columns = ["dataset", "split", "metric", "task", "value", "score"]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True).reindex(columns=columns)


def add_oracle_columns(
    comparison: pd.DataFrame, oracle: pd.DataFrame, split: str = "test"
) -> pd.DataFrame:
    """Each model against the baseline and the ceiling of the truth function.

    Parameters
    ----------
    comparison : pandas.DataFrame
        A :func:`comparison_table` (one row per dataset, metric, augset and stage).
    oracle : pandas.DataFrame
        :func:`read_oracles` output; its task-``mean`` rows of ``split`` are used.
    split : str, default "test"
        The split the comparison reports.

    Returns
    -------
    pandas.DataFrame
        ``comparison`` with :data:`ORACLE_COMPARISON_COLUMNS` inserted before ``note``:
        ``oracle`` (the truth function's metric on the split, NaN for real data, whose
        note then says so) and ``gap_closed = (mean - baseline) / (oracle - baseline)``,
        the fraction of the baseline's gap to the ceiling a model closes (0 on the
        baseline, 1 at the ceiling, negative below the baseline; the same sign convention
        for metrics where lower is better). NaN without an oracle or a baseline.
    """
    require_columns(comparison, ("dataset", "metric", "augset", "stage", "mean"), "comparison")
    table = comparison.copy()
    rows = oracle[oracle["split"].eq(split) & oracle["task"].eq("mean")]
    ceiling = rows.set_index(["dataset", "metric"])["value"]
    if ceiling.index.duplicated().any():
        raise ValueError("oracle: a data set and metric appear twice; read each table once")
    keys = pd.MultiIndex.from_frame(table[["dataset", "metric"]])
    table_oracle = ceiling.reindex(keys).to_numpy(dtype=np.float64)
    is_baseline = table["augset"].eq(BASELINE_AUGSET) & table["stage"].eq(BASELINE_STAGE)
    baseline = (
        table[is_baseline].drop_duplicates(["dataset", "metric"]).set_index(["dataset", "metric"])
    )["mean"]
    table_baseline = baseline.reindex(keys).to_numpy(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        gap_closed = (table["mean"].to_numpy(np.float64) - table_baseline) / (
            table_oracle - table_baseline
        )
    note = table.pop("note") if "note" in table.columns else pd.Series("", index=table.index)
    table["oracle"] = table_oracle
    table["gap_closed"] = np.where(np.isfinite(gap_closed), gap_closed, np.nan)
    missing = np.isnan(table_oracle)
    table["note"] = [
        "; ".join(part for part in (text, NO_ORACLE_NOTE if absent else "") if part)
        for text, absent in zip(note.fillna("").astype(str), missing, strict=True)
    ]
    return table

"""The per-run tidy tables: their columns, reading, writing and one fixed row order.

The workflow writes one small TSV per run and analysis (see ``TIDY_COLUMNS`` for the
formats); :func:`collect` stacks them and :func:`sort_runs` puts the rows in one fixed
order, so reruns give byte-identical files. The metrics' vocabulary (direction, the
headline metric of each task) lives here too.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

import pandas as pd

from evoaugflow.io import write_tsv as write_tsv  # the one TSV writer, re-exported
from evoaugflow.stages import BASELINE, STAGES

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


def higher_is_better(metric: str) -> bool:
    """Return True when a larger ``metric`` is better (all but ``mse``)."""
    if metric not in METRIC_HIGHER_IS_BETTER:
        raise ValueError(
            f"metric={metric!r} is unknown; use one of {', '.join(METRIC_HIGHER_IS_BETTER)}"
        )
    return METRIC_HIGHER_IS_BETTER[metric]


def task_of_metrics(metrics: Iterable[str]) -> str:
    """The task kind a table's metric names belong to: ``"binary"`` where ``auroc`` is
    among them, else ``"regression"``."""
    return "binary" if "auroc" in set(metrics) else "regression"


def main_metric(task: str) -> tuple[str, bool]:
    """Return the headline metric of a task type and whether higher is better.

    Parameters
    ----------
    task : {"binary", "regression"}
        ``"binary"`` gives ``("auroc", True)``, ``"regression"`` ``("pearson", True)``.
    """
    if task not in TASK_METRICS:
        raise ValueError(f"task={task!r} is unknown; use 'binary' or 'regression'")
    name = TASK_METRICS[task][0]
    return name, higher_is_better(name)


def sort_runs(frame: pd.DataFrame) -> pd.DataFrame:
    """Sort rows by dataset, train size, metric, augset, stage, seed, element, epoch.

    Metrics follow ``METRIC_ORDER`` (the main metric of a task first), the baseline
    augset comes first and stages follow ``STAGES``; other metrics, augsets and
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
        "augset": lambda s: s.ne(BASELINE).astype(int).astype(str) + s.astype(str),
        "stage": lambda s: s.map(
            lambda v: f"{STAGES.index(v)}" if v in STAGES else f"{len(STAGES)}{v}"
        ),
        "metric": lambda s: s.map(
            lambda v: f"{METRIC_ORDER.index(v)}" if v in METRIC_ORDER else f"{len(METRIC_ORDER)}{v}"
        ),
    }
    ordered = frame.sort_values(
        keys, key=lambda s: rank[s.name](s) if s.name in rank else s, kind="stable"
    )
    return ordered.reset_index(drop=True)

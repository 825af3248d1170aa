"""What the summary rules run: the grid's tables and figures under ``results/summary/``.

Each function reads the per-run TSVs a rule gets, writes its tables through
:func:`evoaugflow.summary.write_tsv` and its figures through :mod:`evoaugflow.plots`.
Every metrics row keeps its true ``split``; the comparison, the oracle ceiling and the
figures select the configured ``split`` explicitly.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from evoaugflow import plots, summary

#: The run columns that label each row of the stacked training histories.
HISTORY_RUN_COLUMNS = ("dataset", "augset", "stage", "seed", "train_size")


def stack_histories(runs: Sequence[dict], paths: Sequence[str | os.PathLike]) -> pd.DataFrame:
    """The training histories of every run in one table, each row labelled with its run.

    Parameters
    ----------
    runs : sequence of dict
        One record per run with the keys of :data:`HISTORY_RUN_COLUMNS`.
    paths : sequence of path
        Each run's ``history.tsv``, in the order of ``runs``.

    Returns
    -------
    pandas.DataFrame
    """
    return pd.concat(
        [
            pd.read_csv(path, sep="\t").assign(**{key: run[key] for key in HISTORY_RUN_COLUMNS})
            for run, path in zip(runs, paths, strict=True)
        ],
        ignore_index=True,
    )


def summarize_grid(
    metrics_paths: Sequence[str | os.PathLike],
    history_paths: Sequence[str | os.PathLike],
    runs: Sequence[dict],
    oracle_paths: Sequence[str | os.PathLike],
    datasets: Sequence[str],
    swept: Sequence[str],
    metrics_tsv: str | os.PathLike,
    history_tsv: str | os.PathLike,
    comparison_tsv: str | os.PathLike,
    datasize_tsv: str | os.PathLike,
    split: str = "test",
) -> pd.DataFrame:
    """The ``summarize`` rule: tidy tables, the comparison and the figures of the grid.

    Writes ``metrics_tsv`` (every run's metrics, every split as evaluated),
    ``history_tsv`` (:func:`stack_histories`), ``comparison_tsv``
    (:func:`evoaugflow.summary.comparison_table` of ``split`` with the oracle columns of
    every synthetic data set) and ``datasize_tsv`` (:func:`evoaugflow.summary.datasize_table`
    of ``split``, empty with its columns when no data set is swept); per data set, into
    ``<folder of comparison_tsv>/<dataset>/``: ``metric_by_augset.png``,
    ``training_curves.png`` and, for swept ones, ``datasize.png``.

    Parameters
    ----------
    metrics_paths, history_paths : sequence of path
        Each run's evaluation TSV and training history, ``history_paths`` in the order of
        ``runs``.
    runs : sequence of dict
        One record per run (see :func:`stack_histories`).
    oracle_paths : sequence of path
        ``results/data/<dataset>/oracle.tsv`` of the synthetic data sets (the folder names
        the data set).
    datasets, swept : sequence of str
        The configured data sets, and those with a training-set-size sweep.
    metrics_tsv, history_tsv, comparison_tsv, datasize_tsv : path
        The tables to write.
    split : {"test", "valid"}, default "test"
        The split the comparison, the oracle ceiling and the figures report.

    Returns
    -------
    pandas.DataFrame
        The comparison table.
    """
    metrics = summary.sort_runs(summary.collect(metrics_paths, "metrics"))
    history = stack_histories(runs, history_paths)
    summary.write_tsv(metrics, metrics_tsv)
    summary.write_tsv(history, history_tsv)

    comparison = summary.comparison_table(metrics, split=split)
    # The truth function's ceiling of every synthetic data set (issue 15).
    oracle_names = [Path(path).parent.name for path in oracle_paths]
    oracle = summary.read_oracles(oracle_paths, oracle_names)
    comparison = summary.add_oracle_columns(comparison, oracle, split=split)
    summary.write_tsv(comparison, comparison_tsv)
    print(comparison.to_string())

    folder = Path(comparison_tsv).parent
    full = history[history["train_size"].isna()]
    for dataset in datasets:
        rows = comparison[comparison["dataset"].eq(dataset)]
        ceilings = rows.groupby("metric")["oracle"].first().dropna().to_dict()
        plots.plot_metric_by_augset(
            metrics,
            dataset,
            None,
            folder / dataset / "metric_by_augset.png",
            split=split,
            oracle=ceilings or None,
        )
        plots.plot_training_curves(full, dataset, folder / dataset / "training_curves.png")

    sized = "train_size" in metrics.columns and metrics["train_size"].notna().any()
    datasize = (
        summary.datasize_table(metrics, split=split)
        if sized
        else pd.DataFrame(columns=list(summary.DATASIZE_COLUMNS))
    )
    summary.write_tsv(datasize, datasize_tsv)
    for dataset in swept:
        plots.plot_datasize(metrics, dataset, None, folder / dataset / "datasize.png", split=split)
    return comparison


def stack_tables(
    paths: Sequence[str | os.PathLike], out_tsv: str | os.PathLike, kind: str | None = None
) -> pd.DataFrame:
    """Stack per-run tables into one, in :func:`evoaugflow.summary.sort_runs` order.

    Parameters
    ----------
    paths : sequence of path
        The per-run TSVs.
    out_tsv : path
        The stacked table to write.
    kind : str, optional
        A key of :data:`evoaugflow.summary.TIDY_COLUMNS` whose columns every file must
        have (default None: no check).

    Returns
    -------
    pandas.DataFrame
    """
    table = summary.sort_runs(summary.collect(list(paths), kind))
    summary.write_tsv(table, out_tsv)
    print(table.to_string())
    return table


def summarize_cagi5(
    paths: Sequence[str | os.PathLike], table_tsv: str | os.PathLike, figure: str | os.PathLike
) -> pd.DataFrame:
    """Per-element CAGI5 correlations of every model: the stacked table and its figure."""
    table = stack_tables(paths, table_tsv, "cagi5")
    plots.plot_cagi(table[table["element"] != "mean"], figure)
    return table


def summarize_filters(
    paths: Sequence[str | os.PathLike], table_tsv: str | os.PathLike, figure: str | os.PathLike
) -> pd.DataFrame:
    """Filter hit rates of every model: the stacked table and its figure."""
    table = stack_tables(paths, table_tsv, "filters")
    plots.plot_filter_summary(table, figure)
    return table

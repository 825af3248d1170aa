"""Cost of the main grid's training (paper Tables S2-S3): time per epoch and peak memory.

:func:`cost_table` reads each training job's Snakemake benchmark file and its
``history.tsv`` into seconds per epoch and peak memory per augmentation set and stage,
relative to the baseline's stage 1 (rule ``cost_table`` in ``evaluate.smk``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import pandas as pd

from evoaugflow import summary
from evoaugflow.stages import BASELINE, STAGE1

_BENCHMARK_COLUMNS = ("s", "max_rss")


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
        The Snakemake benchmark TSV of the job that trained each run (see
        :func:`read_benchmark`); a job that trained both stages of a cell is given for
        both, so both rows report its wall time and memory.
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
    reference = table[table["augset"].eq(BASELINE) & table["stage"].eq(STAGE1)].set_index("dataset")
    for column in ("seconds_per_epoch", "peak_rss_mb"):
        ratio = column.removesuffix("_mb") + "_ratio"
        table[ratio] = table[column] / table["dataset"].map(reference[column])
    return summary.sort_runs(table)

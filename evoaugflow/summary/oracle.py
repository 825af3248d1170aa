"""The oracle ceiling (issue 15): each model against the baseline and the truth function."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from evoaugflow.stages import BASELINE, STAGE1
from evoaugflow.summary.tables import require_columns

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
    is_baseline = table["augset"].eq(BASELINE) & table["stage"].eq(STAGE1)
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

"""The controls table: each augmentation's stage-1 and finetune effect per control task.

Reads the comparison table of a run of ``config/controls.yaml`` (the control tasks of
:mod:`evoaugflow.synthetic.controls`) and pivots it per rule, augmentation and task.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from evoaugflow.io import write_tsv
from evoaugflow.stages import BASELINE, FINETUNE, STAGE1
from evoaugflow.synthetic.controls import CONTROL_RULES, CONTROL_TASKS

CONTROLS_COLUMNS = (
    "rule",
    "augmentation",
    "task",
    "metric",
    "baseline",
    "n_seeds",
    "stage1_effect",
    "stage1_ci_low",
    "stage1_ci_high",
    "stage1_p",
    "finetune_effect",
    "finetune_ci_low",
    "finetune_ci_high",
    "finetune_p",
)


def controls_table(
    comparison: pd.DataFrame,
    datasets: Mapping[str, tuple[str, bool]],
    augsets: Mapping[str, str],
    metric: str = "auroc",
) -> pd.DataFrame:
    """Per rule, augmentation and task: the stage-1 and the finetune effect.

    Parameters
    ----------
    comparison : pandas.DataFrame
        :func:`evoaugflow.summary.comparison_table` of the controls run.
    datasets : mapping
        Control data set name -> (rule, dependent).
    augsets : mapping
        Augmentation set name -> the one augmentation it applies.
    metric : str, default "auroc"

    Returns
    -------
    pandas.DataFrame
        :data:`CONTROLS_COLUMNS`; an effect is the mean over seeds of (model - baseline)
        on the test split, with its 95 % t interval and paired t-test p-value.
    """
    rows = []
    table = comparison[comparison["metric"] == metric]
    for dataset, (rule, dependent) in datasets.items():
        own = table[table["dataset"] == dataset]
        if own.empty:
            raise ValueError(f"comparison has no {metric} rows of control data set {dataset!r}")
        base = own[(own["augset"] == BASELINE) & (own["stage"] == STAGE1)]
        for augset, augmentation in augsets.items():
            row = {
                "rule": rule,
                "augmentation": augmentation,
                "task": CONTROL_TASKS[int(bool(dependent))],
                "metric": metric,
                "baseline": float(base["mean"].iloc[0]) if len(base) else np.nan,
            }
            for stage, prefix in ((STAGE1, "stage1"), (FINETUNE, "finetune")):
                cell = own[(own["augset"] == augset) & (own["stage"] == stage)]
                if cell.empty:
                    raise ValueError(
                        f"comparison lacks {dataset}/{augset}/{stage}: train every "
                        "single-augmentation set with finetune on every control data set"
                    )
                cell = cell.iloc[0]
                row["n_seeds"] = int(cell["n_paired"])
                row[f"{prefix}_effect"] = float(cell["diff_mean"])
                row[f"{prefix}_ci_low"] = float(cell["diff_ci_low"])
                row[f"{prefix}_ci_high"] = float(cell["diff_ci_high"])
                row[f"{prefix}_p"] = float(cell["p_value"])
            rows.append(row)
    frame = pd.DataFrame(rows, columns=list(CONTROLS_COLUMNS))
    order = {rule: i for i, rule in enumerate(CONTROL_RULES)}
    return frame.sort_values(
        ["rule", "augmentation", "task"],
        key=lambda c: c.map(order) if c.name == "rule" else c,
        kind="stable",
    ).reset_index(drop=True)


def write_controls(
    comparison_path: str | os.PathLike,
    datasets: Mapping[str, Sequence],
    augsets: Mapping[str, str],
    table_path: str | os.PathLike,
    figure_path: str | os.PathLike,
    metric: str = "auroc",
) -> pd.DataFrame:
    """Read a comparison table, write :func:`controls_table` as TSV and its figure."""
    from evoaugflow.plots.controls import plot_controls  # matplotlib only when drawing

    comparison = pd.read_csv(comparison_path, sep="\t")
    datasets = {name: (str(rule), bool(dep)) for name, (rule, dep) in datasets.items()}
    table = controls_table(comparison, datasets, augsets, metric)
    write_tsv(table, table_path)
    plot_controls(table, figure_path)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return table

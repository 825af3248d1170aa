"""The controls figure: each augmentation's stage-1 and finetune effect per control task."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from evoaugflow.plots.style import STAGE_MARKERS, grid_figure, save
from evoaugflow.stages import FINETUNE, STAGE1
from evoaugflow.synthetic.controls import CONTROL_RULES, CONTROL_TASKS

#: Colour per control task.
TASK_COLORS = {"invariant": "#1b9e77", "dependent": "#d95f02"}


def plot_controls(table: pd.DataFrame, path: str | os.PathLike) -> Path:
    """One panel per rule: effect on test AUROC against the baseline, 95 % intervals.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`evoaugflow.summary.controls.controls_table`.
    path : path
        PNG to write (``FIGURE_PIXELS``).

    Returns
    -------
    pathlib.Path
        ``path``. Filled markers: stage 1; open markers: after finetuning; colour: task.
    """
    if table.empty:
        raise ValueError("controls table is empty; nothing to plot")
    rules = [rule for rule in CONTROL_RULES if rule in set(table["rule"])]
    figure, axes = grid_figure(len(rules), max_columns=3)
    for ax, rule in zip(axes, rules, strict=True):
        own = table[table["rule"] == rule]
        names = sorted(own["augmentation"].unique())
        for t, task in enumerate(CONTROL_TASKS):
            part = own[own["task"] == task].set_index("augmentation").reindex(names)
            for s, (stage, prefix) in enumerate(((STAGE1, "stage1"), (FINETUNE, "finetune"))):
                effect = part[f"{prefix}_effect"].to_numpy(dtype=float)
                errors = np.vstack(
                    [
                        effect - part[f"{prefix}_ci_low"].to_numpy(dtype=float),
                        part[f"{prefix}_ci_high"].to_numpy(dtype=float) - effect,
                    ]
                )
                ax.errorbar(
                    np.arange(len(names)) + (2 * t + s - 1.5) * 0.15,
                    effect,
                    yerr=np.nan_to_num(errors),
                    fmt=STAGE_MARKERS[stage],
                    color=TASK_COLORS[task],
                    mfc=TASK_COLORS[task] if stage == STAGE1 else "white",
                    ms=4,
                    lw=1,
                    label=f"{task}, {stage}",
                )
        ax.axhline(0, color="0.5", lw=0.8, ls=":")
        ax.set_xticks(np.arange(len(names)), names, rotation=45, ha="right", fontsize=7)
        ax.set_title(f"{rule} rule", fontsize=9)
    axes[0].set_ylabel(f"{table['metric'].iloc[0]} - baseline (test)")
    axes[0].legend(fontsize=6, frameon=False)
    return save(figure, path)

"""Figures of the sweep: the grid's panels (paper Figs S1-S5) and the Optuna study's own.

:func:`plot_sweep` draws the validation metric of every grid candidate against its
strength; :func:`plot_optuna` writes Optuna's optimisation history and parameter
importances (``optuna.visualization.matplotlib``), each as a PNG of ``FIGURE_PIXELS``.
Optuna is imported only when :func:`plot_optuna` runs.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from evoaugflow import summary
from evoaugflow.plots.style import (
    BASELINE_COLOR,
    DPI,
    FIGSIZE_INCHES,
    OTHER_LINESTYLE,
    OTHER_MARKER,
    STAGE_LINESTYLES,
    STAGE_MARKERS,
    grid_figure,
    new_figure,
    one_dataset,
    save,
)
from evoaugflow.stages import STAGE1
from evoaugflow.sweep.candidates import COMBO_PREFIX, STRENGTH_PARAMETER, parse_candidate_name

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
    (``combo``) puts augmentations per sequence on x with soft (blue) and hard
    (red) lines. Solid lines with circles are stage 1, dashed with squares finetune;
    bars are ± sd over seeds; the grey dotted line is the baseline's stage-1 mean;
    stars mark the picks.

    Parameters
    ----------
    scores : pandas.DataFrame
        From :func:`evoaugflow.sweep.selection.score_candidates`.
    path : path
        PNG to write, ``FIGURE_PIXELS`` in size.
    dataset : str or None, default None
        Data set to draw; None is allowed when ``scores`` holds one.
    picks : pandas.DataFrame or None, default None
        From :func:`evoaugflow.sweep.selection.pick_best`, to mark the chosen settings.

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
    dataset, rows = one_dataset(scores, dataset, "scores")
    rows = rows.assign(
        info=[parse_candidate_name(name) for name in rows["candidate"]],
    )
    metric = rows["metric"].iloc[0]
    baseline = rows[(rows["kind"] == "baseline") & (rows["stage"] == STAGE1)]["mean"]
    panels = [
        aug for aug in dict.fromkeys(i["augmentation"] for i in rows["info"]) if aug is not None
    ] + ([COMBO_PREFIX] if (rows["kind"] == COMBO_PREFIX).any() else [])
    if not panels:
        raise ValueError(f"scores: dataset {dataset!r} has no sweep candidates, only the baseline")
    chosen = set()
    if picks is not None:
        summary.require_columns(picks, ("dataset", "candidate", "stage"), "picks")
        mine = picks[picks["dataset"] == dataset]
        chosen = set(zip(mine["candidate"], mine["stage"], strict=True))
    figure, axes = grid_figure(len(panels))
    for ax, panel in zip(axes, panels, strict=True):
        is_combo = panel == COMBO_PREFIX
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
                linestyle=STAGE_LINESTYLES.get(stage, OTHER_LINESTYLE),
                marker=STAGE_MARKERS.get(stage, OTHER_MARKER),
                markersize=3,
                lw=1,
                capsize=2,
            )
            marked = line[[(name, stage) in chosen for name in line["candidate"]]]
            ax.scatter(marked["x"], marked["mean"], marker="*", s=90, color="gold", zorder=3)
        if len(baseline):
            ax.axhline(baseline.iloc[0], color=BASELINE_COLOR, ls=":", lw=1)
        ax.set_title("combination" if is_combo else panel, fontsize=8)
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
        Line2D([], [], color=BASELINE_COLOR, ls=":", label="baseline"),
        Line2D([], [], color="gold", marker="*", ls="", markersize=8, label="picked"),
    ]
    figure.legend(handles=handles, loc="outside lower center", ncols=6, fontsize=7)
    direction = "higher" if summary.higher_is_better(metric) else "lower"
    figure.suptitle(
        f"{dataset}: validation {metric} across augmentation settings ({direction} is better)",
        fontsize=10,
    )
    return save(figure, path)


def plot_optuna(
    study, history_path: str | os.PathLike, importance_path: str | os.PathLike
) -> tuple[Path, Path]:
    """Optuna's optimisation history and parameter importances of a study, as two PNGs.

    Parameters
    ----------
    study : optuna.study.Study
        A study of :mod:`evoaugflow.sweep.search` (read back with ``search.load_study``).
    history_path : path
        PNG of the objective value of every completed trial and the best so far.
    importance_path : path
        PNG of the parameters' importances (fANOVA over the completed trials). With
        fewer than two completed trials, or no parameter that varies, the panel says so
        in words instead.

    Returns
    -------
    tuple of pathlib.Path
        ``(history_path, importance_path)``.
    """
    import matplotlib.pyplot as plt
    import optuna.visualization.matplotlib as optuna_plots
    from optuna.exceptions import ExperimentalWarning

    complete = [t for t in study.trials if t.state.name == "COMPLETE"]
    paths = []
    for path, draw in (
        (history_path, optuna_plots.plot_optimization_history),
        (importance_path, optuna_plots.plot_param_importances),
    ):
        varied = {name for t in complete for name in t.params}
        if draw is optuna_plots.plot_param_importances and (len(complete) < 2 or not varied):
            figure, (ax,) = new_figure()
            ax.set_axis_off()
            ax.text(
                0.5,
                0.5,
                f"parameter importances need two completed trials and a varied "
                f"parameter ({len(complete)} completed)",
                ha="center",
                va="center",
            )
            paths.append(save(figure, path))
            continue
        with (
            plt.rc_context({"figure.figsize": FIGSIZE_INCHES, "figure.dpi": DPI}),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("ignore", ExperimentalWarning)
            ax = draw(study)
            figure = ax.figure
            figure.set_size_inches(*FIGSIZE_INCHES)
            figure.set_layout_engine("constrained")
            ax.set_title(f"{study.study_name}: {ax.get_title()}")
            paths.append(save(figure, path))
            plt.close(figure)
    return paths[0], paths[1]

"""Figures of the main grid: metrics, filters, CAGI5, data size, training curves, stability.

Each function accepts whatever grid of runs it is given (one seed, missing stages, many
augsets), draws with the shared style of :mod:`evoaugflow.plots.style` and returns the
path it wrote.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator, NullLocator

from evoaugflow import summary
from evoaugflow.plots.style import (
    BASELINE_COLOR,
    OTHER_LINESTYLE,
    OTHER_MARKER,
    STAGE_LINESTYLES,
    STAGE_MARKERS,
    augset_colors,
    legend_outside,
    new_figure,
    one_dataset,
    runs_of,
    save,
)
from evoaugflow.stages import BASELINE, STAGE1


def _model_label(row, with_dataset: bool) -> str:
    """Tick label of one model: augset and stage, prefixed by the dataset if needed."""
    label = f"{row.augset}\n{row.stage}"
    return f"{row.dataset}\n{label}" if with_dataset else label


def _draw_models(ax: Axes, runs: pd.DataFrame, value: str, colors: dict[str, str]) -> None:
    """Draw one slot per model: seed points, and the mean with an sd bar beside them."""
    keys = ("dataset", "augset", "stage")
    models = summary.seed_summary(runs, value, keys)
    with_dataset = models["dataset"].nunique() > 1
    for slot, model in enumerate(models.itertuples(index=False)):
        seeds = runs[
            (runs["dataset"] == model.dataset)
            & (runs["augset"] == model.augset)
            & (runs["stage"] == model.stage)
        ][value].dropna()
        # Spread seeds evenly left of the slot centre: deterministic, no overlap.
        # (No seed has a value where a model has none, e.g. filters of a model without a
        # convolutional first layer: the slot stays empty.)
        offsets = (
            np.linspace(-0.3, -0.1, len(seeds)) if len(seeds) > 1 else np.full(len(seeds), -0.2)
        )
        color = colors[model.augset]
        marker = STAGE_MARKERS.get(model.stage, OTHER_MARKER)
        ax.scatter(slot + offsets, seeds, s=16, color=color, alpha=0.55, marker=marker)
        ax.errorbar(
            slot + 0.1,
            model.mean,
            yerr=0 if np.isnan(model.sd) else model.sd,
            fmt=marker,
            color=color,
            markersize=7,
            capsize=4,
        )
    ax.set_xticks(range(len(models)))
    ax.set_xticklabels(
        [_model_label(row, with_dataset) for row in models.itertuples(index=False)], fontsize=7
    )
    ax.set_xlim(-0.6, len(models) - 0.4)
    ax.grid(axis="y", alpha=0.3)


def _seed_legend_handles() -> list[Line2D]:
    """Legend entries explaining the seed points and the mean ± sd marker."""
    return [
        Line2D([], [], color="0.3", marker="o", linestyle="", alpha=0.55, markersize=4),
        Line2D([], [], color="0.3", marker="o", linestyle="-", markersize=7),
    ]


def plot_metric_by_augset(
    metrics: pd.DataFrame,
    dataset: str,
    metric: str | Sequence[str] | None,
    path: str | os.PathLike,
    *,
    split: str = "test",
    oracle: dict[str, float] | None = None,
) -> Path:
    """Metrics of every augmentation set and stage, seeds overlaid (paper Fig. 1b, 2a-b).

    Parameters
    ----------
    metrics : pandas.DataFrame
        Tidy metrics (``summary.TIDY_COLUMNS["metrics"]``); the task-``mean`` rows of
        ``split`` of the full-data runs are drawn, with the baseline's mean as a line.
    dataset : str
        Dataset to draw.
    metric : str or sequence of str or None
        Metric(s) to draw, one panel each; None draws every metric of the dataset's
        task type that it has (``summary.TASK_METRICS``: AUROC and AUPR, or Pearson,
        Spearman and MSE), main metric first.
    path : path
        PNG to write, ``FIGURE_PIXELS`` in size.
    split : {"test", "valid"}, default "test"
        Split to draw.
    oracle : dict of str to float, optional
        The truth function's value of each metric (the ceiling of a synthetic task), drawn
        as a dotted line in that metric's panel; None draws none (real data).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    rows = runs_of(metrics, "metrics", dataset)
    table = summary.comparison_table(rows, metric, split=split)
    names = list(table["metric"].unique())
    runs = summary.split_means(rows, split=split)
    colors = augset_colors(runs["augset"])
    figure, axes = new_figure(len(names))
    for ax, name in zip(axes, names, strict=True):
        _draw_models(ax, runs[runs["metric"] == name], "value", colors)
        handles = _seed_legend_handles()
        labels = ["seeds", "mean ± sd"]
        reference = table[
            table["metric"].eq(name) & table["augset"].eq(BASELINE) & table["stage"].eq(STAGE1)
        ]
        if not reference.empty:
            line = ax.axhline(reference["mean"].iloc[0], color=BASELINE_COLOR, ls="--", lw=1)
            handles.append(line)
            labels.append("baseline mean")
        if oracle and oracle.get(name) is not None:
            handles.append(ax.axhline(oracle[name], color="black", ls=":", lw=1.5))
            labels.append("oracle (truth function)")
        direction = "higher" if summary.higher_is_better(name) else "lower"
        ax.legend(handles, labels, fontsize=7, loc="best")
        ax.set_title(f"{split} {name}", fontsize=9)
        ax.set_xlabel("augmentation set / training stage", fontsize=8)
        ax.set_ylabel(f"{name}, mean over tasks ({direction} is better)", fontsize=8)
    figure.suptitle(f"{dataset}: {split} metrics by augmentation set and stage", fontsize=10)
    return save(figure, path)


def plot_filter_summary(filters: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Filter hit rate and mean best q-value by model (paper Fig. 1c), and for synthetic
    data a third panel: the fraction of the motifs the labels depend on that are recovered.

    Parameters
    ----------
    filters : pandas.DataFrame
        Tidy filter results (``summary.TIDY_COLUMNS["filters"]``), any datasets; the
        third panel is drawn where a ``causal_recovery`` column has values.
    path : path
        PNG to write, ``FIGURE_PIXELS`` in size.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    runs = runs_of(filters, "filters")
    colors = augset_colors(runs["augset"])
    causal = runs[runs["causal_recovery"].notna()] if "causal_recovery" in runs else runs.iloc[:0]
    figure, axes = new_figure(2 if causal.empty else 3)
    left, right = axes[:2]
    _draw_models(left, runs, "hit_rate", colors)
    left.set_title("Filters matching a JASPAR motif")
    left.set_ylabel("hit rate (fraction of filters)")
    _draw_models(right, runs, "mean_best_q", colors)
    right.set_title("Mean best q-value per filter")
    right.set_ylabel("mean best q-value (lower is better)")
    if not causal.empty:
        _draw_models(axes[2], causal, "causal_recovery", colors)
        axes[2].set_title("Causal motifs recovered")
        axes[2].set_ylabel("fraction of the motifs the labels use")
        axes[2].set_ylim(-0.05, 1.05)
    for ax in axes:
        ax.set_xlabel("augmentation set / training stage")
    left.legend(_seed_legend_handles(), ["seeds", "mean ± sd"], fontsize=7, loc="best")
    figure.suptitle("First-layer filters compared with JASPAR (Tomtom)")
    return save(figure, path)


def plot_cagi(cagi5: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Per-element CAGI5 Pearson and Spearman correlations of every model (paper Fig. 1d).

    One panel per correlation. Each element is a slot with one marker per model (mean
    over seeds, sd bar); the last slot is the mean over elements, taken per seed and then
    summarised.

    Parameters
    ----------
    cagi5 : pandas.DataFrame
        Tidy CAGI5 results (``summary.TIDY_COLUMNS["cagi5"]``), any datasets.
    path : path
        PNG to write, ``FIGURE_PIXELS`` in size.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    runs = runs_of(cagi5, "cagi5")
    keys = ["dataset", "augset", "stage", "seed"]
    runs = runs[runs["element"] != "mean"]
    elements = sorted(runs["element"].unique())
    models = summary.sort_runs(runs[keys[:3]].drop_duplicates())
    slots = {name: i for i, name in enumerate([*elements, "mean over elements"])}
    colors = augset_colors(models["augset"])
    with_dataset = models["dataset"].nunique() > 1
    width = 0.8 / len(models)
    names = {"pearson": "Pearson r", "spearman": "Spearman rho"}
    figure, axes = new_figure(len(names))
    for ax, (value, label) in zip(axes, names.items(), strict=True):
        overall = runs.groupby(keys, as_index=False)[value].mean()
        overall["element"] = "mean over elements"
        table = summary.seed_summary(
            pd.concat([runs, overall], ignore_index=True), value, ["element", *keys[:3]]
        )
        for index, model in enumerate(models.itertuples(index=False)):
            rows = table[
                (table["dataset"] == model.dataset)
                & (table["augset"] == model.augset)
                & (table["stage"] == model.stage)
            ]
            ax.errorbar(
                rows["element"].map(slots) + (index + 0.5) * width - 0.4,
                rows["mean"],
                yerr=rows["sd"].fillna(0),
                fmt=STAGE_MARKERS.get(model.stage, OTHER_MARKER),
                color=colors[model.augset],
                markersize=4,
                capsize=2,
                label=_model_label(model, with_dataset).replace("\n", " "),
            )
        ax.axhline(0, color="black", lw=0.6)
        ax.axvline(len(elements) - 0.5, color="0.6", lw=0.8, ls=":")
        ax.set_xticks(range(len(slots)))
        ax.set_xticklabels(list(slots), rotation=60, ha="right", fontsize=6)
        ax.grid(axis="y", alpha=0.3)
        ax.set_xlabel("CAGI5 element", fontsize=8)
        ax.set_ylabel(f"{label} (mean ± sd over seeds)", fontsize=8)
    legend_outside(axes[-1])
    figure.suptitle(
        "CAGI5 variant effects: correlation with measured effects per element", fontsize=10
    )
    return save(figure, path)


def plot_datasize(
    metrics: pd.DataFrame,
    dataset: str,
    metric: str | Sequence[str] | None,
    path: str | os.PathLike,
    *,
    split: str = "test",
) -> Path:
    """Metrics against training-set size, log x, one line per model (paper Fig. 2c).

    Parameters
    ----------
    metrics : pandas.DataFrame
        Tidy metrics with a ``train_size`` column; rows where it is set are drawn.
    dataset : str
        Dataset to draw: its sweep runs are named ``dataset`` or, as the workflow
        names them, ``<dataset>_n<train_size>``.
    metric : str or sequence of str or None
        Metric(s) to draw, one panel each; None draws every metric of the dataset's
        task type that it has (as in :func:`plot_metric_by_augset`).
    path : path
        PNG to write, ``FIGURE_PIXELS`` in size. Lines are means over seeds; bands
        span mean ± sd (none where a size has one seed).
    split : {"test", "valid"}, default "test"
        Split to draw.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    sweep = summary.split_means(runs_of(metrics, "metrics"), sweep=True, split=split)
    rows = sweep[sweep["dataset"] == dataset]
    if rows.empty:
        found = ", ".join(sorted(sweep["dataset"].unique())) or "none"
        raise ValueError(
            f"dataset={dataset!r} has no {split} rows with a train_size in metrics; "
            f"size sweeps found: {found}"
        )
    table = summary.datasize_table(rows, metric, split=split)
    names = list(table["metric"].unique())
    colors = augset_colors(table["augset"])
    figure, axes = new_figure(len(names))
    for ax, name in zip(axes, names, strict=True):
        lines = table[table["metric"] == name]
        for (augset, stage), line in lines.groupby(["augset", "stage"], sort=False):
            color = colors[augset]
            ax.plot(
                line["train_size"],
                line["mean"],
                color=color,
                linestyle=STAGE_LINESTYLES.get(stage, OTHER_LINESTYLE),
                marker=STAGE_MARKERS.get(stage, OTHER_MARKER),
                markersize=4,
                label=f"{augset} {stage}",
            )
            ax.fill_between(
                line["train_size"],
                line["mean"] - line["sd"],
                line["mean"] + line["sd"],
                color=color,
                alpha=0.15,
                lw=0,
            )
        ax.set_xscale("log")
        # One labelled tick per size drawn (the log axis' own labels collide).
        sizes = sorted(lines["train_size"].unique())
        ax.set_xticks(sizes, [f"{int(size):,}" for size in sizes], fontsize=8)
        ax.xaxis.set_minor_locator(NullLocator())
        ax.grid(alpha=0.3)
        direction = "higher" if summary.higher_is_better(name) else "lower"
        ax.set_title(f"{split} {name}", fontsize=9)
        ax.set_xlabel("training sequences (log scale)", fontsize=8)
        ax.set_ylabel(f"{name}, mean ± sd over seeds ({direction} is better)", fontsize=8)
    legend_outside(axes[-1])
    figure.suptitle(f"{dataset}: {split} metrics against training-set size", fontsize=10)
    return save(figure, path)


def plot_training_curves(history: pd.DataFrame, dataset: str, path: str | os.PathLike) -> Path:
    """Validation loss by epoch of every run; colour = augset, line style = stage.

    Fine-tuning epochs are drawn after the stage-1 epochs of the same augset and
    seed, so each run reads as one curve through both stages.

    Parameters
    ----------
    history : pandas.DataFrame
        Tidy training histories (``summary.TIDY_COLUMNS["history"]``).
    dataset : str
        Dataset to draw.
    path : path
        PNG to write, ``FIGURE_PIXELS`` in size.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    runs = summary.sort_runs(runs_of(history, "history", dataset))
    stage1_epochs = runs[runs["stage"] == STAGE1].groupby(["augset", "seed"])["epoch"].max()
    offsets = [
        stage1_epochs.get((augset, seed), 0) if stage != STAGE1 else 0
        for augset, stage, seed in zip(runs["augset"], runs["stage"], runs["seed"], strict=True)
    ]
    runs = runs.assign(position=runs["epoch"] + np.asarray(offsets))
    colors = augset_colors(runs["augset"])
    figure, (ax,) = new_figure()
    for (augset, stage, _seed), curve in runs.groupby(["augset", "stage", "seed"], sort=False):
        ax.plot(
            curve["position"],
            curve["valid_loss"],
            color=colors[augset],
            linestyle=STAGE_LINESTYLES.get(stage, OTHER_LINESTYLE),
            lw=1.2,
            alpha=0.8,
        )
    augset_handles = [
        Line2D([], [], color=colors[name], label=name) for name in dict.fromkeys(runs["augset"])
    ]
    stage_handles = [
        Line2D(
            [],
            [],
            color="black",
            linestyle=STAGE_LINESTYLES.get(name, OTHER_LINESTYLE),
            label=name,
        )
        for name in dict.fromkeys(runs["stage"])
    ]
    legend_outside(ax, handles=augset_handles + stage_handles)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.set_title(f"{dataset}: validation loss per run")
    ax.set_xlabel("epoch (fine-tuning continues after stage 1)")
    ax.set_ylabel("validation loss")
    return save(figure, path)


def plot_stability(
    histories: pd.DataFrame,
    path: str | os.PathLike,
    *,
    dataset: str | None = None,
    stage: str = STAGE1,
) -> Path:
    """Validation loss by epoch per augmentation set, mean ± sd over seeds (paper Fig. S7).

    Parameters
    ----------
    histories : pandas.DataFrame
        Tidy training histories (``summary.TIDY_COLUMNS["history"]``); the ``augset``
        column may hold augmentation sets or sweep candidates.
    path : path
        PNG to write, ``FIGURE_PIXELS`` in size.
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
    dataset, rows = one_dataset(histories, dataset, "histories")
    rows = rows[rows["stage"] == stage]
    if rows.empty:
        raise ValueError(f"stage={stage!r} has no rows for data set {dataset!r} in histories")
    curves = (
        rows.groupby(["augset", "epoch"], sort=False)["valid_loss"]
        .agg(mean="mean", sd=lambda v: v.std(ddof=1))
        .reset_index()
    )
    colors = augset_colors(curves["augset"])
    figure, (ax,) = new_figure()
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
    legend_outside(ax)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.set_title(f"{dataset}: validation loss by epoch ({stage}), mean ± sd over seeds")
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation loss")
    return save(figure, path)

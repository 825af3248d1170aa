"""Shared figure style: size, colours, markers, the canvas and the atomic PNG writer.

Every figure is drawn on its own ``matplotlib.figure.Figure`` with the Agg canvas (no
pyplot state), ``FIGSIZE_INCHES`` at ``DPI``, so each PNG is exactly ``FIGURE_PIXELS``
= 800 x 450 pixels, and is written atomically. Colour encodes the augmentation set (the
baseline is grey) and marker or line style the training stage, the same in every figure.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from evoaugflow import summary
from evoaugflow.io import atomic_path
from evoaugflow.stages import BASELINE, FINETUNE, STAGE1

FIGSIZE_INCHES = (8.0, 4.5)
DPI = 100
#: Width and height of every PNG, in pixels.
FIGURE_PIXELS = (800, 450)

BASELINE_COLOR = "0.4"
#: tab10 without its grey, which is kept for the baseline.
AUGSET_PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#bcbd22",
    "#17becf",
)
STAGE_MARKERS = {STAGE1: "o", FINETUNE: "s"}
STAGE_LINESTYLES = {STAGE1: "-", FINETUNE: "--"}
#: Marker and line style of a stage that is neither.
OTHER_MARKER, OTHER_LINESTYLE = "D", ":"


def new_figure(n_panels: int = 1) -> tuple[Figure, list[Axes]]:
    """A fixed-size figure with ``n_panels`` side-by-side axes on the Agg canvas."""
    figure = Figure(figsize=FIGSIZE_INCHES, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, n_panels, squeeze=False)[0]
    return figure, list(axes)


def grid_figure(n_panels: int, max_columns: int = 4) -> tuple[Figure, list[Axes]]:
    """A fixed-size figure with a grid of ``n_panels`` axes, at most ``max_columns`` wide."""
    columns = min(max_columns, n_panels)
    rows = math.ceil(n_panels / columns)
    figure = Figure(figsize=FIGSIZE_INCHES, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(rows, columns, squeeze=False).ravel().tolist()
    for spare in axes[n_panels:]:
        spare.set_visible(False)
    return figure, axes[:n_panels]


def save(figure: Figure, path: str | os.PathLike) -> Path:
    """Write ``figure`` as a PNG of ``FIGURE_PIXELS`` to ``path`` atomically."""
    with atomic_path(path, suffix=".png") as tmp:
        figure.savefig(tmp, format="png", dpi=DPI)
    return Path(path)


def augset_colors(augsets: Iterable[str]) -> dict[str, str]:
    """Colour per augset: grey for the baseline, the palette for the rest in sorted order."""
    others = sorted(set(augsets) - {BASELINE})
    colors = {name: AUGSET_PALETTE[i % len(AUGSET_PALETTE)] for i, name in enumerate(others)}
    return colors | {BASELINE: BASELINE_COLOR}


def legend_outside(ax: Axes, handles: list | None = None) -> None:
    """Legend right of the axes: many models would hide the data inside them."""
    extra = {} if handles is None else {"handles": handles}
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, borderaxespad=0, **extra)


def runs_of(frame: pd.DataFrame, kind: str, dataset: str | None = None) -> pd.DataFrame:
    """Validate a tidy table of ``kind`` and keep ``dataset``'s rows (all if None)."""
    summary.require_columns(frame, summary.TIDY_COLUMNS[kind], kind)
    if frame.empty:
        raise ValueError(f"{kind}: the table is empty; nothing to plot")
    if dataset is None:
        return frame
    rows = frame[frame["dataset"] == dataset]
    if rows.empty:
        found = ", ".join(sorted(map(str, frame["dataset"].unique())))
        raise ValueError(f"dataset={dataset!r} has no rows in {kind}; found {found}")
    return rows


def one_dataset(frame: pd.DataFrame, dataset: str | None, what: str) -> tuple[str, pd.DataFrame]:
    """The rows of one data set; ``dataset=None`` is allowed when ``frame`` holds one."""
    if frame.empty:
        raise ValueError(f"{what}: the table is empty; nothing to plot")
    found = sorted(frame["dataset"].unique())
    if dataset is None:
        if len(found) != 1:
            raise ValueError(f"dataset=None but {what} holds data sets {found}; name one")
        dataset = found[0]
    rows = frame[frame["dataset"] == dataset]
    if rows.empty:
        raise ValueError(f"dataset={dataset!r} has no rows in {what}; found {found}")
    return dataset, rows

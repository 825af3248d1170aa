"""Figures: the main grid's summaries and the sweep's, in one shared style.

- :mod:`evoaugflow.plots.style`: size, colours, markers, canvas and the PNG writer;
- :mod:`evoaugflow.plots.grid`: metrics, filters, CAGI5, data size, training curves and
  training stability (paper Fig. S7) of the main grid;
- :mod:`evoaugflow.plots.sweep`: the sweep grid's panels (Figs S1-S5) and the Optuna
  study's history and parameter importances;
- :mod:`evoaugflow.plots.logo`: sequence logos with Logomaker's glyph placement, one
  path per letter (the filter and attribution logos of :mod:`evoaugflow.attribution`).

Every PNG is ``FIGURE_PIXELS`` = 800 x 450 pixels, written atomically; each function
returns the path it wrote.
"""

from evoaugflow.plots.grid import (
    plot_cagi,
    plot_datasize,
    plot_filter_summary,
    plot_metric_by_augset,
    plot_stability,
    plot_training_curves,
)
from evoaugflow.plots.style import DPI, FIGSIZE_INCHES, FIGURE_PIXELS
from evoaugflow.plots.sweep import plot_optuna, plot_sweep

__all__ = [
    "DPI",
    "FIGSIZE_INCHES",
    "FIGURE_PIXELS",
    "plot_cagi",
    "plot_datasize",
    "plot_filter_summary",
    "plot_metric_by_augset",
    "plot_optuna",
    "plot_stability",
    "plot_sweep",
    "plot_training_curves",
]

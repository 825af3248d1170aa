"""What the sweep's summary rules write: one call per rule script.

- :func:`write_grid` (rule ``score_sweep``): the grid's validation scores and per-panel
  picks as TSVs and the paper's panels (Figs S1-S5) as a PNG;
- :func:`write_search` (rule ``pick_sweep``): the Optuna study's best trial as
  ``best_config.yaml``, its trials as a TSV and Optuna's history and importance PNGs.

This module draws figures (matplotlib); the config check never imports it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

import pandas as pd

from evoaugflow import summary
from evoaugflow.plots import plot_optuna, plot_sweep
from evoaugflow.sweep import search, selection


def write_grid(
    metrics_paths: Iterable[str | os.PathLike],
    settings: Mapping,
    scores_path: str | os.PathLike,
    picks_path: str | os.PathLike,
    figure_path: str | os.PathLike,
) -> pd.DataFrame:
    """Score the grid's runs on the validation split, pick per panel, draw the panels.

    Parameters
    ----------
    metrics_paths : iterable of path
        The grid runs' validation ``metrics.tsv`` files.
    settings : mapping
        ``dataset`` and ``sweep`` (the data set's section).
    scores_path, picks_path, figure_path : path
        Outputs: :func:`selection.score_candidates` and :func:`selection.pick_best` as
        TSVs, :func:`evoaugflow.plots.plot_sweep` as a PNG.

    Returns
    -------
    pandas.DataFrame
        The picks.
    """
    metrics = summary.collect(metrics_paths, "metrics")
    scores, picks = selection.grid_picks(metrics, settings["sweep"])
    summary.write_tsv(scores, scores_path)
    summary.write_tsv(picks, picks_path)
    plot_sweep(scores, figure_path, dataset=settings["dataset"], picks=picks)
    return picks


def write_search(
    journal: str | os.PathLike,
    settings: Mapping,
    fragment_path: str | os.PathLike,
    trials_path: str | os.PathLike,
    history_path: str | os.PathLike,
    importance_path: str | os.PathLike,
):
    """The study's best trial as ``best_config.yaml``, its trials and Optuna's figures.

    Parameters
    ----------
    journal : path
        The study's journal file (written by the ``sweep_worker`` jobs).
    settings : mapping
        As for :func:`evoaugflow.sweep.search.open_study`.
    fragment_path, trials_path : path
        See :func:`evoaugflow.sweep.search.pick`.
    history_path, importance_path : path
        See :func:`evoaugflow.plots.plot_optuna`.

    Returns
    -------
    optuna.study.Study
    """
    study = search.pick(journal, settings, fragment_path, trials_path)
    plot_optuna(study, history_path, importance_path)
    return study

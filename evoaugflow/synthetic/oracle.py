"""The oracle: each synthetic set's truth function scored against its own noisy labels."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from evoaugflow.summary import write_tsv
from evoaugflow.synthetic.basset import basset_truth_function
from evoaugflow.synthetic.chip import CHIP_DEFAULT_FOCAL, chip_truth_score
from evoaugflow.synthetic.deepstarr import deepstarr_truth_function
from evoaugflow.synthetic.motifs import DEFAULT_PANEL, load_panel
from evoaugflow.synthetic.sources import generator_setting

#: Sources whose generator knows the truth function (the ``source`` of a configured data set).
ORACLE_SOURCES = ("synthetic_chip", "synthetic_deepstarr", "synthetic_basset")
#: Columns of an oracle table (``results/data/<dataset>/oracle.tsv``).
ORACLE_COLUMNS = ("split", "metric", "task", "value", "score")


def oracle_scores(
    source: str,
    x: np.ndarray,
    truth: pd.DataFrame,
    panel: Sequence[str] = DEFAULT_PANEL,
    release: str = "JASPAR2022",
) -> tuple[np.ndarray, str]:
    """The truth function's own prediction for every sequence of one split.

    Parameters
    ----------
    source : {"synthetic_chip", "synthetic_deepstarr", "synthetic_basset"}
        The generator that made the split.
    x : numpy.ndarray, shape=(N, 4, L)
        One-hot sequences of the split.
    truth : pandas.DataFrame
        Planted sites of the split: ``index, motif, start, end, strand``.
    panel : sequence of str, default=DEFAULT_PANEL
    release : str, default="JASPAR2022"

    Returns
    -------
    score : numpy.ndarray, shape=(N, T), float64
        DeepSTARR-like: the noise-free activities (:func:`deepstarr_truth_function`);
        Basset-like: the true probabilities (:func:`basset_truth_function`, T = the number
        of label columns of ``x``'s set, passed by the caller through ``truth.attrs``);
        ChIP-like: the posterior of a ChIP peak (:func:`chip_truth_score`).
    description : str
        What the score is, for the table.
    """
    x = np.asarray(x)
    n = x.shape[0]
    if source == "synthetic_deepstarr":
        return deepstarr_truth_function(truth, n, panel), "noise-free activity"
    if source == "synthetic_basset":
        motifs = load_panel(panel, release)
        n_tasks = int(generator_setting(source, truth.attrs, "n_tasks"))
        return basset_truth_function(x, motifs, n_tasks), "true probability"
    if source == "synthetic_chip":
        focal = generator_setting(source, truth.attrs, "focal")
        return chip_truth_score(x, truth, focal)[:, None], "posterior of a ChIP peak"
    raise ValueError(
        f"source: {source!r} has no known truth function; expected one of {list(ORACLE_SOURCES)}"
    )


def oracle_metrics(
    source: str,
    data_h5: str | os.PathLike,
    truth_tsv: str | os.PathLike,
    panel: Sequence[str] = DEFAULT_PANEL,
    release: str = "JASPAR2022",
    focal: str = CHIP_DEFAULT_FOCAL,
    splits: Sequence[str] = ("valid", "test"),
) -> pd.DataFrame:
    """Metrics of the truth function itself against the noisy labels of each split.

    The ceiling a perfect model of the generator reaches: its labels carry the generator's
    noise (Gaussian for DeepSTARR-like, Bernoulli draws for Basset-like, the overlap of the
    two classes for ChIP-like), so the ceiling is below 1.

    Parameters
    ----------
    source : str
        One of :data:`ORACLE_SOURCES`.
    data_h5 : str or PathLike
        The data set (published layout, either key case).
    truth_tsv : str or PathLike
        Its planted sites: ``split, index, motif, start, end, strand``.
    panel : sequence of str, default=DEFAULT_PANEL
    release : str, default="JASPAR2022"
    focal : str, default="CTCF"
        ChIP-like only: the ChIP-ed factor.
    splits : sequence of str, default=("valid", "test")

    Returns
    -------
    pandas.DataFrame
        :data:`ORACLE_COLUMNS`: the metrics of :mod:`evoaugflow.metrics` (AUROC and AUPR for
        binary tasks; MSE, Pearson and Spearman for regression), per task and ``mean``;
        ``score`` says what the truth function gives.
    """
    from evoaugflow.data import load_dataset
    from evoaugflow.metrics import classification_metrics, regression_metrics

    data = load_dataset(data_h5)
    truth = pd.read_csv(truth_tsv, sep="\t", dtype={"split": str})
    missing = {"split", "index", "motif", "start", "end", "strand"} - set(truth.columns)
    if missing:
        raise ValueError(f"{truth_tsv}: missing columns {sorted(missing)}")
    tables = []
    for split in splits:
        x = getattr(data, f"x_{split}").numpy()
        y = getattr(data, f"y_{split}").numpy()
        part = truth[truth["split"] == split].reset_index(drop=True)
        part.attrs.update(n_tasks=y.shape[1], focal=focal)
        score, description = oracle_scores(source, x, part, panel, release)
        if source == "synthetic_deepstarr":
            table = regression_metrics(y, score)
        else:
            table = classification_metrics(y, score)
        tables.append(table.assign(split=split, score=description))
    return pd.concat(tables, ignore_index=True)[list(ORACLE_COLUMNS)]


def write_oracle_metrics(
    source: str,
    data_h5: str | os.PathLike,
    truth_tsv: str | os.PathLike,
    out_tsv: str | os.PathLike,
    panel: Sequence[str] = DEFAULT_PANEL,
    release: str = "JASPAR2022",
    focal: str = CHIP_DEFAULT_FOCAL,
) -> pd.DataFrame:
    """:func:`oracle_metrics` of one data set, written to ``out_tsv`` (and returned).

    Parameters are those of :func:`oracle_metrics`; ``out_tsv`` receives the table
    (:data:`ORACLE_COLUMNS`) through :func:`evoaugflow.summary.write_tsv`.
    """
    table = oracle_metrics(source, data_h5, truth_tsv, panel, release=release, focal=focal)
    write_tsv(table, out_tsv)
    print(table.to_string())
    return table

"""Per-task evaluation metrics as tidy tables (no scikit-learn dependency).

Classification: ``auroc`` (rank statistic with average ranks for ties, equal to the area
under the ROC curve with tied scores joined by straight segments) and ``aupr`` (average
precision: sum over distinct score thresholds of the recall increase times the
precision at that threshold). Regression: ``mse``, ``pearson`` and ``spearman``
(Pearson correlation of average ranks). A task where a metric is undefined (one class
only, or a constant vector for a correlation) gets NaN and a warning; the ``mean`` row
is the mean over the tasks where it is defined.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import torch


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n of a 1-D array, ties sharing their mean rank (as ``scipy.stats.rankdata``).

    pandas ranks it, so that a job computing metrics does not import scipy.stats (about
    1.4 s of start-up per job on the 2-core reference machine).
    """
    return pd.Series(values).rank(method="average").to_numpy(dtype=np.float64)


def _as_matrix(name: str, values) -> np.ndarray:
    """Convert a tensor or array of shape (N,) or (N, T) to a float64 (N, T) array."""
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2 or array.shape[0] == 0:
        raise ValueError(f"{name} has shape {array.shape}; expected (N,) or (N, T) with N >= 1")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinite values; all values must be finite")
    return array


def _pair(true_name: str, y_true, pred_name: str, y_pred) -> tuple[np.ndarray, np.ndarray]:
    """Check and convert a pair of (N, T) arrays of the same shape."""
    true, pred = _as_matrix(true_name, y_true), _as_matrix(pred_name, y_pred)
    if true.shape != pred.shape:
        raise ValueError(
            f"{true_name} has shape {true.shape} but {pred_name} has shape {pred.shape}; "
            "they must match"
        )
    return true, pred


def _tidy(per_task: dict[str, np.ndarray]) -> pd.DataFrame:
    """Rows (metric, task, value) for each task plus a nan-mean row per metric."""
    rows = []
    for metric, values in per_task.items():
        rows += [(metric, str(task), float(value)) for task, value in enumerate(values)]
        mean = float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")
        rows.append((metric, "mean", mean))
    return pd.DataFrame(rows, columns=["metric", "task", "value"])


def auroc(y_true: np.ndarray, y_score: np.ndarray) -> float:
    """Area under the ROC curve of one task (Mann-Whitney statistic with average ranks).

    Parameters
    ----------
    y_true : numpy.ndarray, shape=(N,)
        Labels in {0, 1}.
    y_score : numpy.ndarray, shape=(N,)
        Scores; higher means more likely positive.

    Returns
    -------
    float
        AUROC, or NaN (with a warning) when only one class is present.
    """
    positive = y_true == 1
    n_pos = int(positive.sum())
    n_neg = len(y_true) - n_pos
    if n_pos == 0 or n_neg == 0:
        warnings.warn("AUROC is undefined for a task with one class only: NaN", stacklevel=3)
        return float("nan")
    ranks = _average_ranks(y_score)  # average ranks: a tie counts one half
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def average_precision(y_true: np.ndarray, y_score: np.ndarray) -> float:
    """Average precision (area under the precision-recall curve) of one task.

    Parameters
    ----------
    y_true : numpy.ndarray, shape=(N,)
        Labels in {0, 1}.
    y_score : numpy.ndarray, shape=(N,)
        Scores; higher means more likely positive.

    Returns
    -------
    float
        ``sum_k (R_k - R_{k-1}) P_k`` over the distinct scores taken as thresholds from
        the highest down, or NaN (with a warning) when only one class is present.
    """
    n_pos = int((y_true == 1).sum())
    if n_pos == 0 or n_pos == len(y_true):
        warnings.warn("AUPR is undefined for a task with one class only: NaN", stacklevel=3)
        return float("nan")
    order = np.argsort(-y_score, kind="stable")
    score, hits = y_score[order], y_true[order]
    # Tied scores form one threshold: keep the last position of each run of equal scores.
    last_of_run = np.r_[score[1:] != score[:-1], True]
    true_pos = np.cumsum(hits)[last_of_run]
    predicted_pos = np.arange(1, len(score) + 1)[last_of_run]
    recall = true_pos / n_pos
    precision = true_pos / predicted_pos
    return float(np.sum(np.diff(recall, prepend=0.0) * precision))


def _pearson(x: np.ndarray, y: np.ndarray, metric: str) -> float:
    """Pearson correlation of two vectors, NaN with a warning when one is constant."""
    x_centred, y_centred = x - x.mean(), y - y.mean()
    denominator = np.sqrt((x_centred**2).sum() * (y_centred**2).sum())
    if denominator == 0:
        warnings.warn(f"{metric} is undefined for a constant vector: NaN", stacklevel=3)
        return float("nan")
    return float(np.clip((x_centred * y_centred).sum() / denominator, -1.0, 1.0))


def pearson(x, y) -> float:
    """Pearson correlation of two 1-D arrays (NaN with a warning when one is constant)."""
    return _pearson(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64), "pearson")


def spearman(x, y) -> float:
    """Spearman correlation of two 1-D arrays: Pearson of their average ranks (as scipy)."""
    return _pearson(
        _average_ranks(np.asarray(x, dtype=np.float64)),
        _average_ranks(np.asarray(y, dtype=np.float64)),
        "spearman",
    )


def classification_metrics(y_true, y_score) -> pd.DataFrame:
    """AUROC and AUPR per task and their mean.

    Parameters
    ----------
    y_true : torch.Tensor or numpy.ndarray, shape=(N, T) or (N,)
        Labels in {0, 1}.
    y_score : torch.Tensor or numpy.ndarray, shape=(N, T) or (N,)
        Scores (probabilities or logits; only their order matters).

    Returns
    -------
    pandas.DataFrame
        Columns ``metric`` (``auroc``, ``aupr``), ``task`` (``"0"``, ``"1"``, ...,
        ``"mean"``) and ``value``. A one-class task gives NaN and a warning; the mean
        ignores NaN.
    """
    true, score = _pair("y_true", y_true, "y_score", y_score)
    if not np.isin(true, (0.0, 1.0)).all():
        raise ValueError("y_true must hold only 0 and 1 for classification metrics")
    tasks = range(true.shape[1])
    return _tidy(
        {
            "auroc": np.array([auroc(true[:, t], score[:, t]) for t in tasks]),
            "aupr": np.array([average_precision(true[:, t], score[:, t]) for t in tasks]),
        }
    )


def regression_metrics(y_true, y_pred) -> pd.DataFrame:
    """MSE, Pearson and Spearman correlation per task and their mean.

    Parameters
    ----------
    y_true : torch.Tensor or numpy.ndarray, shape=(N, T) or (N,)
        Measured values.
    y_pred : torch.Tensor or numpy.ndarray, shape=(N, T) or (N,)
        Predicted values.

    Returns
    -------
    pandas.DataFrame
        Columns ``metric`` (``mse``, ``pearson``, ``spearman``), ``task`` and ``value``.
        A correlation with a constant vector gives NaN and a warning.
    """
    true, pred = _pair("y_true", y_true, "y_pred", y_pred)
    tasks = range(true.shape[1])
    return _tidy(
        {
            "mse": ((true - pred) ** 2).mean(axis=0),
            "pearson": np.array([pearson(true[:, t], pred[:, t]) for t in tasks]),
            "spearman": np.array([spearman(true[:, t], pred[:, t]) for t in tasks]),
        }
    )


def task_metrics(task: str, y_true, y_pred) -> pd.DataFrame:
    """The metrics of a loss kind: :func:`classification_metrics` for ``"binary"``,
    :func:`regression_metrics` for ``"regression"``."""
    if task == "binary":
        return classification_metrics(y_true, y_pred)
    if task == "regression":
        return regression_metrics(y_true, y_pred)
    raise ValueError(f"task={task!r}: use 'binary' or 'regression'")


def mean_metric(task: str, metric: str, y_true, y_pred) -> float:
    """One metric of :func:`task_metrics`, its mean over the tasks (outputs)."""
    table = task_metrics(task, y_true, y_pred)
    rows = table[(table["metric"] == metric) & (table["task"] == "mean")]
    if rows.empty:
        raise ValueError(
            f"metric={metric!r} is not computed for task {task!r}; "
            f"use one of {sorted(set(table['metric']))}"
        )
    return float(rows["value"].iloc[0])

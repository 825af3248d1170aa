"""Using a saved model: load it, predict with it, score it on a split.

A ``model.pt`` (written by :func:`evoaugflow.train.train_stage`) holds the weights, the
model's config and the augmenter whose deterministic ``pad`` its inputs need; the
functions here apply that padding, never an augmentation.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import torch

from evoaugflow.augment import Augmenter
from evoaugflow.checkpoint import read_model_file
from evoaugflow.data import SequenceData
from evoaugflow.metrics import task_metrics
from evoaugflow.models import PREDICT_BATCH_SIZE, TASKS, model_input_length, rebuild_model
from evoaugflow.runtime import resolve_device


def _positive_int(name: str, value, minimum: int = 1) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name}={value!r}: expected an integer >= {minimum}")


def load_model(
    path: str | os.PathLike,
    device: str | torch.device = "cpu",
    model: torch.nn.Module | None = None,
) -> tuple[torch.nn.Module, Augmenter | None, dict]:
    """Rebuild a trained model from its ``model.pt``.

    Parameters
    ----------
    path : str or PathLike
        A ``model.pt`` written by :func:`train_stage`.
    device : {"auto", "cpu", "cuda"} or torch.device, default "cpu"
        Where to put the model.
    model : torch.nn.Module, optional
        An instance of the recorded architecture to load the weights into. Default
        None: rebuilt from the record (:func:`evoaugflow.models.rebuild_model`), which
        needs it for a user model not built by :func:`evoaugflow.models.build_model`.

    Returns
    -------
    model : torch.nn.Module
        In evaluation mode, with the best weights; ``model.task`` is set from the record
        where the model has no ``task``.
    augmenter : Augmenter or None
        The augmenter whose ``pad`` the model's inputs need (None for a baseline).
    meta : dict
        Every entry of ``model.pt`` except ``state_dict`` (``model_config``, ``task``,
        ``augment``, ``sequence_length``, ``stage``).
    """
    record = read_model_file(path)
    if model is None:
        model = rebuild_model(record["model_config"])
    model.load_state_dict(record["state_dict"])
    if not hasattr(model, "task"):
        model.task = record["task"]
    model.to(resolve_device(device)).eval()
    meta = {key: value for key, value in record.items() if key != "state_dict"}
    return model, Augmenter.from_config(record["augment"]), meta


def predict(
    model: torch.nn.Module,
    x,
    batch_size: int = PREDICT_BATCH_SIZE,
    device: str | torch.device = "auto",
    augmenter: Augmenter | None = None,
    task: str | None = None,
) -> np.ndarray:
    """Predictions of a model in evaluation mode.

    Parameters
    ----------
    model : torch.nn.Module
        Moved to ``device`` and left in evaluation mode; ``model.task`` says whether
        outputs are logits (see :func:`load_model`).
    x : torch.Tensor or numpy.ndarray, shape=(N, 4, L)
        One-hot sequences.
    batch_size : int, default models.PREDICT_BATCH_SIZE (256)
        Sequences per forward pass.
    device : {"auto", "cpu", "cuda"} or torch.device, default "auto"
        See :func:`resolve_device`.
    augmenter : Augmenter, optional
        When given, its deterministic ``pad`` is applied to ``x`` first (default None).
    task : {"binary", "regression"}, optional
        What the outputs are (default None: ``model.task``).

    Returns
    -------
    numpy.ndarray, shape=(N, n_tasks), float32
        Probabilities (sigmoid of the logits) for task ``"binary"``, values for
        ``"regression"``.
    """
    _positive_int("batch_size", batch_size)
    task = getattr(model, "task", None) if task is None else task
    if task not in TASKS:
        raise ValueError(
            f"task={task!r}: pass task='binary' or 'regression' for a model without a "
            "task attribute (load_model sets it from the record)"
        )
    x = torch.as_tensor(x, dtype=torch.float32)
    if x.ndim != 3 or x.shape[1] != 4:
        raise ValueError(f"x has shape {tuple(x.shape)}; expected one-hot (N, 4, L)")
    if augmenter is not None:
        x = augmenter.pad(x)
    expected = model_input_length(model)
    if expected is not None and x.shape[2] != expected:
        raise ValueError(
            f"x has length {x.shape[2]} but the model takes {expected}: pass the augmenter "
            "returned by load_model, whose padding makes up the difference"
        )
    device = resolve_device(device)
    model.to(device).eval()
    outputs = []
    with torch.no_grad():
        for start in range(0, len(x), batch_size):
            batch_out = model(x[start : start + batch_size].to(device)).float()
            if task == "binary":
                batch_out = torch.sigmoid(batch_out)
            outputs.append(batch_out.cpu())
    return torch.cat(outputs).numpy()


def evaluate(
    model_path: str | os.PathLike,
    data: SequenceData,
    split: str = "test",
    batch_size: int = PREDICT_BATCH_SIZE,
    device: str | torch.device = "auto",
) -> pd.DataFrame:
    """Metrics of a saved model on one split (padding only, no augmentation).

    Parameters
    ----------
    model_path : str or PathLike
        A ``model.pt`` written by :func:`train_stage`.
    data : SequenceData
        Must have the sequence length and task count the model was trained on.
    split : {"train", "valid", "test"}, default "test"
    batch_size : int, default models.PREDICT_BATCH_SIZE (256)
    device : {"auto", "cpu", "cuda"} or torch.device, default "auto"

    Returns
    -------
    pandas.DataFrame
        Columns ``metric``, ``task``, ``value``: AUROC and AUPR for binary models, MSE,
        Pearson and Spearman for regression models (see :mod:`evoaugflow.metrics`).
    """
    model, augmenter, meta = load_model(model_path, device=device)
    if (data.sequence_length, data.n_tasks) != (
        meta["sequence_length"],
        meta["model_config"]["n_tasks"],
    ):
        raise ValueError(
            f"data {data.path} have L={data.sequence_length} and {data.n_tasks} tasks but "
            f"{model_path} was trained on L={meta['sequence_length']} and "
            f"{meta['model_config']['n_tasks']} tasks"
        )
    x, y = data.split(split)
    scores = predict(model, x, batch_size=batch_size, device=device, augmenter=augmenter)
    return task_metrics(meta["task"], y, scores)

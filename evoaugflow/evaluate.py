"""Metrics of one trained model on chosen splits, as the tidy table the summaries read.

A grid model's training job scores it on the validation and test splits
(:func:`evoaugflow.train.run` with ``evaluation``); rule ``evaluate_sweep`` scores a
sweep model on the validation split only (its data are the train/valid-only view, see
:mod:`evoaugflow.holdout`). Both call :func:`evaluate_run`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import pandas as pd

from evoaugflow.models import PREDICT_BATCH_SIZE

#: The identity columns that open every evaluation table, in this order.
RUN_COLUMNS = ("dataset", "augset", "stage", "seed")


def check_identity(run: Mapping | None, name: str = "run") -> None:
    """Refuse a run identity that lacks a key of :data:`RUN_COLUMNS` (ValueError)."""
    missing = [key for key in RUN_COLUMNS if key not in (run or {})]
    if missing:
        raise ValueError(f"{name}: missing {missing}; the identity needs {list(RUN_COLUMNS)}")


def evaluate_run(
    model_path: str | os.PathLike,
    data_path: str | os.PathLike,
    out_path: str | os.PathLike,
    run: Mapping,
    splits: Sequence[str] = ("valid", "test"),
    device: str = "auto",
    threads: int | None = None,
    batch_size: int = PREDICT_BATCH_SIZE,
) -> pd.DataFrame:
    """Score a saved model on each split and write one tidy TSV (atomically).

    Parameters
    ----------
    model_path : str or PathLike
        A ``model.pt`` written by the trainer.
    data_path : str or PathLike
        The h5 data set the model was trained on (or its train/valid-only view).
    out_path : str or PathLike
        The TSV to write.
    run : mapping
        The run's identity: ``dataset``, ``augset``, ``stage``, ``seed`` and, optionally,
        ``train_size`` (None, the default, for a full-size data set).
    splits : sequence of {"train", "valid", "test"}, default ("valid", "test")
        Splits to score, one block of rows each, in this order.
    device : {"auto", "cpu", "cuda"}, default "auto"
    threads : int, optional
        CPU threads for torch (default None: leave torch's setting).
    batch_size : int, default ``evoaugflow.models.PREDICT_BATCH_SIZE`` (256)
        Sequences per forward pass.

    Returns
    -------
    pandas.DataFrame
        Columns ``dataset, augset, stage, seed, split, metric, task, value, train_size``:
        one row per split, metric and output (AUROC and AUPR for binary models; MSE,
        Pearson and Spearman for regression models).

    Raises
    ------
    ValueError
        When ``splits`` is empty, ``run`` lacks an identity key, or the data do not fit
        the model (see :func:`evoaugflow.train.evaluate`).
    """
    # Imported here: torch is loaded only by the jobs that evaluate.
    import torch

    from evoaugflow.data import load_dataset
    from evoaugflow.summary import write_tsv
    from evoaugflow.train import evaluate

    if not splits:
        raise ValueError("splits: name at least one of 'train', 'valid', 'test'")
    check_identity(run)
    if threads is not None:
        torch.set_num_threads(threads)
    data = load_dataset(data_path)
    tables = []
    for split in splits:
        table = evaluate(model_path, data, split=split, batch_size=batch_size, device=device)
        table.insert(0, "split", split)
        tables.append(table)
    table = pd.concat(tables, ignore_index=True)
    for position, key in enumerate(RUN_COLUMNS):
        table.insert(position, key, run[key])
    table["train_size"] = run.get("train_size")
    write_tsv(table, out_path)
    print(table.to_string())
    return table

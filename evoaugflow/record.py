"""A training run's record: its settings, the fingerprints of what it learns from, its host.

The record is what ``params.json`` holds (with the result) and what a checkpoint must
match to be resumed (see :mod:`evoaugflow.checkpoint`): the settings, and SHA-256
fingerprints of the code, the data and the starting weights.
"""

from __future__ import annotations

import hashlib
import platform
import socket
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from evoaugflow.augment import Augmenter
from evoaugflow.checkpoint import MODEL_FORMAT, json_normalised, read_model_file
from evoaugflow.data import SequenceData
from evoaugflow.models import GenomicCNN, check_model
from evoaugflow.sources import module_fingerprint, source_digest

# Library modules whose source decides what a training run computes: a checkpoint made
# by other code is not resumed (see code_fingerprint).
CODE_MODULES = (
    "train",
    "checkpoint",
    "epochs",
    "record",
    "runtime",
    "augment",
    "augment_ops",
    "augment_kernels",
    "augment_params",
    "models",
    "data",
)


def code_fingerprint(model: nn.Module | None = None) -> str:
    """SHA-256 of the training code: torch's version, the library modules it runs and,
    for a model of the user's own class, that class's module.

    Parameters
    ----------
    model : torch.nn.Module, optional
        The model trained. A paper model's code is among `CODE_MODULES`; for any other,
        the source file of the module that defines its class joins the digest (a class
        without a source file enters by its name only).

    Returns
    -------
    str
        Hex digest over ``torch.__version__`` and the code of the modules of
        `CODE_MODULES` (the trainer, its checkpoints and fingerprints, the runtime
        settings, the augmentations, the models and the data), each taken as
        :func:`evoaugflow.sources.source_digest` does: comments, docstrings and layout
        do not count.
    """
    digest = hashlib.sha256(f"torch {torch.__version__}\n".encode())
    for name in CODE_MODULES:
        digest.update(f"{name} {source_digest(Path(__file__).with_name(f'{name}.py'))}\n".encode())
    if model is not None and not isinstance(model, GenomicCNN):
        module_name = type(model).__module__
        digest.update(f"model {module_name} {module_fingerprint(module_name)}\n".encode())
    return digest.hexdigest()


def data_fingerprint(data: SequenceData) -> str:
    """SHA-256 of the training and validation arrays a run learns from.

    Parameters
    ----------
    data : SequenceData

    Returns
    -------
    str
        Hex digest over the shapes and float32 bytes of ``x_train, y_train, x_valid,
        y_valid`` (the test split does not influence training).
    """
    digest = hashlib.sha256()
    for name in ("x_train", "y_train", "x_valid", "y_valid"):
        array = getattr(data, name).detach().cpu().to(torch.float32).contiguous().numpy()
        digest.update(f"{name} {array.shape}\n".encode())
        digest.update(array.data)
    return digest.hexdigest()


def weights_fingerprint(state_dict: dict) -> str:
    """SHA-256 of a state dict's names, shapes and values (not of a file's bytes)."""
    digest = hashlib.sha256()
    for name in sorted(state_dict):
        tensor = state_dict[name].detach().cpu().contiguous()
        digest.update(f"{name} {tuple(tensor.shape)} {tensor.dtype}\n".encode())
        digest.update(tensor.view(-1).view(torch.uint8).numpy().data if tensor.numel() else b"")
    return digest.hexdigest()


@dataclass
class RunRecord:
    """What a run is: the settings and fingerprints recorded in params.json and checked
    on resume, and what they were derived from."""

    params: dict
    model_record: dict
    init_record: dict | None
    pad_augmenter: Augmenter | None
    start_candidate: bool


def run_record(model, data, augmenter, init_from, keep_start, settings: dict) -> RunRecord:
    """Check the model against the data and ``init_from``; the run's record."""
    init_record = None if init_from is None else read_model_file(init_from)
    pad_augmenter = augmenter
    if init_record is not None and augmenter is None:
        pad_augmenter = Augmenter.from_config(init_record["augment"])
    sequence_length = data.sequence_length
    input_length = (
        sequence_length if pad_augmenter is None else pad_augmenter.output_length(sequence_length)
    )
    # Any nn.Module mapping (N, 4, input_length) to (N, n_tasks); its record rebuilds it.
    model_config = check_model(model, input_length, data.n_tasks)
    if init_record is not None:
        if json_normalised(init_record["model_config"]) != json_normalised(model_config):
            raise ValueError(
                f"init_from={init_from} holds a model with config {init_record['model_config']}"
                f", which differs from this model's {model_config}; build the model from "
                "that config (evoaugflow.models.rebuild_model)"
            )
    start_candidate = init_record is not None and keep_start
    pad_config = None if pad_augmenter is None else pad_augmenter.to_config()
    task, extra_params = settings["task"], settings.pop("extra_params")
    params = json_normalised(
        {
            **settings,
            "model_config": model_config,
            "augment": None if augmenter is None else augmenter.to_config(),
            "pad_augment": pad_config,
            "init_from": None if init_from is None else str(Path(init_from).resolve()),
            "keep_start": start_candidate,
            "data": {
                "path": None if data.path is None else str(data.path),
                "n_train": len(data.x_train),
                "n_valid": len(data.x_valid),
                "n_test": len(data.x_test),
                "sequence_length": sequence_length,
                "n_tasks": data.n_tasks,
            },
            "fingerprint": {
                "data_sha256": data_fingerprint(data),
                "code_sha256": code_fingerprint(model),
                "init_sha256": None
                if init_record is None
                else weights_fingerprint(init_record["state_dict"]),
            },
            "loss": "bce_with_logits" if task == "binary" else "mse",
            "optimizer": "adam",
            "scheduler": "reduce_lr_on_plateau(valid_loss)",
            "extra_params": extra_params,
        }
    )
    model_record = {
        "format": MODEL_FORMAT,
        "model_config": model_config,
        "task": task,
        "augment": pad_config,
        "sequence_length": sequence_length,
        "stage": settings["stage"],
    }
    return RunRecord(params, model_record, init_record, pad_augmenter, start_candidate)


def environment(device: torch.device) -> dict:
    """Where the run ran (recorded, not checked on resume)."""
    return {
        "torch_version": str(torch.__version__),
        "python_version": platform.python_version(),
        "hostname": socket.gethostname(),
        "device_name": torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else platform.processor() or platform.machine(),
        "num_threads": torch.get_num_threads(),
    }

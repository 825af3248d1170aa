"""Two-stage EvoAug training with exact resume, and prediction / evaluation of saved models.

Stage 1 (``stage="pretrain"``) trains on sequences augmented afresh in every batch (or
plain sequences for the baseline, ``augmenter=None``). Stage 2 (``stage="finetune"``)
starts from a stage-1 ``model.pt`` (``init_from``) and trains on the original
sequences. The model input length never changes between the stages: when the stage-1
augmenter has insertion, every sequence the model sees outside augmented training
(finetune training, validation, test, prediction) is padded by the augmenter's
deterministic ``pad``. A finetune run takes that augmenter from the ``augment`` entry of
its ``init_from`` file and stores it in its own ``model.pt``, so ``load_model`` always
returns the augmenter whose padding a model expects.

Randomness: one ``torch.Generator`` on the training device, seeded with ``seed``, draws
the batch order (``randperm`` on the device) and every augmentation; the global torch
RNG, seeded once with ``torch.manual_seed(seed)``, drives dropout. Both states are saved
in the checkpoint after every epoch, so a run killed at any point and started again
with the same arguments ends with the same weights, bit for bit on the CPU (with the
same number of threads), as a run that was never interrupted.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import io
import json
import math
import os
import platform
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from evoaugflow.augment import Augmenter
from evoaugflow.data import SequenceData
from evoaugflow.io import atomic_path, write_json
from evoaugflow.metrics import classification_metrics, regression_metrics
from evoaugflow.models import TASKS, check_model, model_input_length, rebuild_model, reset_model

MODEL_FORMAT = "evoaugflow-model-v1"
CHECKPOINT_FORMAT = "evoaugflow-checkpoint-v1"
STAGES = ("pretrain", "finetune")
HISTORY_COLUMNS = ("epoch", "lr", "train_loss", "valid_loss", "seconds")
# Parameters recorded in params.json that may change between a run and its resume.
_UNCHECKED_PARAMS = ("environment", "verbose")


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """Turn a device request into a ``torch.device``.

    Parameters
    ----------
    device : {"auto", "cpu", "cuda", "cuda:<index>"} or torch.device, default "auto"
        ``"auto"`` picks CUDA where available, else the CPU.

    Returns
    -------
    torch.device

    Raises
    ------
    RuntimeError
        When CUDA is requested but not available; the message names the host and
        ``CUDA_VISIBLE_DEVICES`` so that a GPU job fails loudly instead of silently
        training on the CPU.
    ValueError
        For a string that is not a device.
    """
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise ValueError(
            f"device={device!r} is not a device: use 'auto', 'cpu', 'cuda' or 'cuda:<index>'"
        ) from error
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            f"device={device!r} was requested but CUDA is not available on host "
            f"{socket.gethostname()} (CUDA_VISIBLE_DEVICES="
            f"{os.environ.get('CUDA_VISIBLE_DEVICES', '<unset>')}); run on a GPU node or "
            "pass device='cpu'"
        )
    if resolved.type not in ("cpu", "cuda"):
        raise ValueError(f"device={device!r}: only 'cpu' and 'cuda' devices are supported")
    return resolved


def _read_model_file(path: str | os.PathLike) -> dict:
    """Load a ``model.pt`` record onto the CPU and check its format."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"model file {path} does not exist: pass the model.pt of a finished run")
    record = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(record, dict) or record.get("format") != MODEL_FORMAT:
        raise ValueError(
            f"model file {path} is not an evoaugflow model (expected format {MODEL_FORMAT!r})"
        )
    return record


def _json_normalised(value):
    """Round-trip through JSON so tuples, paths and numbers compare like their saved form."""
    return json.loads(json.dumps(value, default=str))


def _positive_int(name: str, value, minimum: int = 1) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name}={value!r}: expected an integer >= {minimum}")


def _autocast(device: torch.device, bf16: bool):
    """bf16 autocast on CUDA when asked for, else a no-op context."""
    if bf16:
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


# glibc mallopt parameters (malloc.h) and the defaults restored after training.
_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4
_DEFAULT_TRIM_THRESHOLD, _DEFAULT_MMAP_MAX = 128 * 1024, 65536
# Freed memory that glibc keeps for reuse before giving it back to the system.
_KEPT_BYTES = 2**30


def _glibc():
    """The C library when it is glibc (it has ``mallopt``), else None."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


@contextlib.contextmanager
def fast_cpu_steps(enabled: bool = True):
    """Remove two CPU costs of a training step that are not the model's work.

    - Denormal floats (magnitudes below 1.2e-38 in float32) take a slow path in CPU
      arithmetic; they are flushed to zero (``torch.set_flush_denormal``).
    - Activations above 32 MiB (batch 128 of the paper's DeepSTARR and Basset models)
      are, by glibc's default, mapped afresh at every allocation and unmapped when
      freed, so every step zero-fills them page by page: 37,000-210,000 page faults
      per step and about a sixth of the step's CPU time (benchmarks/README.md). With
      glibc, freed blocks are kept for reuse (no mmap for large blocks, up to 1 GiB
      kept) while the block runs; on exit the defaults are set back and the kept
      memory is returned (``malloc_trim``).

    Both are deterministic: a seed still gives the same weights bit for bit. torch has
    no getter for the denormal flag, so on exit it is set back to False, torch's
    default. No effect on CUDA kernels.

    Parameters
    ----------
    enabled : bool, default True
        False runs the block with the defaults (for benchmarks).
    """
    libc = _glibc() if enabled else None
    torch.set_flush_denormal(enabled)
    if libc is not None:
        libc.mallopt(_M_MMAP_MAX, 0)
        libc.mallopt(_M_TRIM_THRESHOLD, _KEPT_BYTES)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)
        if libc is not None:
            libc.mallopt(_M_MMAP_MAX, _DEFAULT_MMAP_MAX)
            libc.mallopt(_M_TRIM_THRESHOLD, _DEFAULT_TRIM_THRESHOLD)
            libc.malloc_trim(0)


def _loss_function(task: str) -> torch.nn.Module:
    """Summed loss: BCE on logits for ``"binary"``, squared error for ``"regression"``."""
    if task == "binary":
        return torch.nn.BCEWithLogitsLoss(reduction="sum")
    return torch.nn.MSELoss(reduction="sum")


def _mean_loss(model, x, y, loss_fn, batch_size, bf16, device) -> float:
    """Mean loss per label over a whole split, in evaluation mode."""
    model.eval()
    total = torch.zeros((), device=device)
    with torch.no_grad():
        for start in range(0, len(x), batch_size):
            with _autocast(device, bf16):
                outputs = model(x[start : start + batch_size])
            total += loss_fn(outputs.float(), y[start : start + batch_size])
    return total.item() / y.numel()


def _rng_state(device: torch.device) -> dict:
    state = {"cpu": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def _set_rng_state(state: dict, device: torch.device) -> None:
    torch.set_rng_state(state["cpu"])
    if device.type == "cuda":
        torch.cuda.set_rng_state(state["cuda"], device)


#: What a finished stage leaves in its folder. ``model.pt`` is written last, so its
#: presence means the stage finished and the other files belong to it.
OUTPUT_FILES = ("history.tsv", "params.json", "model.pt")
CHECKPOINT_FILE = "checkpoint.pt"
#: A checkpoint that cannot be resumed is renamed to this (one per folder, the latest).
STALE_CHECKPOINT_FILE = "checkpoint.pt.stale"
# Library modules whose source decides what a training run computes: a checkpoint made
# by other code is not resumed (see code_fingerprint).
_CODE_MODULES = ("train", "augment", "augment_params", "models", "data")


class TrainingDiverged(RuntimeError):
    """A training or validation loss became NaN or infinite; no model was written."""


def code_fingerprint() -> str:
    """SHA-256 of the training code: torch's version and the library modules it runs.

    Returns
    -------
    str
        Hex digest over ``torch.__version__`` and the source of ``evoaugflow.train``,
        ``augment``, ``augment_params``, ``models`` and ``data``.
    """
    digest = hashlib.sha256(f"torch {torch.__version__}\n".encode())
    for name in _CODE_MODULES:
        digest.update(Path(__file__).with_name(f"{name}.py").read_bytes())
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


def _weights_fingerprint(state_dict: dict) -> str:
    """SHA-256 of a state dict's names, shapes and values (not of a file's bytes)."""
    digest = hashlib.sha256()
    for name in sorted(state_dict):
        tensor = state_dict[name].detach().cpu().contiguous()
        digest.update(f"{name} {tuple(tensor.shape)} {tensor.dtype}\n".encode())
        digest.update(tensor.view(-1).view(torch.uint8).numpy().data if tensor.numel() else b"")
    return digest.hexdigest()


def _save(obj, path: Path) -> None:
    """torch.save through memory, so the same object always gives the same bytes.

    torch.save names the archive's folder after the file, and atomic_path's temporary
    file has a random name.
    """
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getvalue())


def _say(verbose: bool, message: str) -> None:
    """One line for the job's log (stderr) when ``verbose``."""
    if verbose:
        print(message, file=sys.stderr, flush=True)


def _differences(saved: dict, params: dict) -> list[str]:
    """Keys whose values differ, with the fingerprint's entries named one by one."""
    keys = []
    for key in sorted(set(saved) | set(params)):
        old, new = saved.get(key), params.get(key)
        if old == new:
            continue
        if key == "fingerprint" and isinstance(old, dict) and isinstance(new, dict):
            keys += [
                f"fingerprint.{k}" for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)
            ]
        else:
            keys.append(key)
    return keys


def _describe(saved: dict, params: dict, keys: list[str]) -> str:
    parts = []
    for key in keys:
        if key.startswith("fingerprint."):
            what = {
                "data_sha256": "data content",
                "code_sha256": "training code",
                "init_sha256": "starting weights (init_from)",
            }.get(key.split(".", 1)[1], key)
            parts.append(f"{what} changed")
        else:
            parts.append(f"{key}: {saved.get(key)!r} -> {params.get(key)!r}")
    return "; ".join(parts)


def _reusable_checkpoint(path: Path, params: dict, patience: int, verbose: bool) -> dict | None:
    """The checkpoint state to go on from, or None to start fresh (setting it aside).

    A checkpoint is reused only when it was written with the same parameters, the same
    data content and the same training code. Asked again with a larger ``max_epochs``
    only, a run does what an uninterrupted run with that limit would have done: one
    that ended by reaching its old limit goes on, one that stopped early stays stopped
    (successive halving continues its candidates this way).
    """
    if not path.exists():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        ok = isinstance(state, dict) and state.get("format") == CHECKPOINT_FORMAT
    except Exception as error:  # noqa: BLE001 - any unreadable file is set aside
        state, ok = None, False
        reason = f"it cannot be read ({type(error).__name__}: {error})"
    else:
        reason = f"it is not an {CHECKPOINT_FORMAT} checkpoint"
    if ok:
        saved = {k: v for k, v in state["params"].items() if k not in _UNCHECKED_PARAMS}
        current = {k: v for k, v in params.items() if k not in _UNCHECKED_PARAMS}
        differing = _differences(saved, current)
        if not differing:
            return state
        if differing == ["max_epochs"] and current["max_epochs"] > saved["max_epochs"]:
            if state["bad_epochs"] < patience:
                state["finished"] = False
            state["params"]["max_epochs"] = current["max_epochs"]
            _say(
                verbose,
                f"continue: {path} ran to max_epochs {saved['max_epochs']}; going on to "
                f"{current['max_epochs']}",
            )
            return state
        reason = f"it was made with other settings ({_describe(saved, current, differing)})"
    stale = path.with_name(STALE_CHECKPOINT_FILE)
    os.replace(path, stale)
    _say(verbose, f"restart: {path} is not reused because {reason}; set aside as {stale}")
    return None


def _finish(out_dir: Path, state: dict) -> None:
    """Write history.tsv, params.json (with the result) and, last, model.pt."""
    history = pd.DataFrame(state["history"], columns=list(HISTORY_COLUMNS))
    with atomic_path(out_dir / "history.tsv") as tmp:
        history.to_csv(tmp, sep="\t", index=False, float_format="%.8g")
    write_json(out_dir / "params.json", {**state["params"], "result": _result(state)})
    _save(
        {
            **state["model_record"],
            "best_epoch": state["best_epoch"],
            "state_dict": state["best_state"],
        },
        out_dir / "model.pt",
    )


def _result(state: dict) -> dict:
    history = state["history"]
    return {
        "best_epoch": state["best_epoch"],
        "best_valid_loss": state["best_loss"],
        "start_valid_loss": state.get("start_loss"),
        "kept_start": state["best_epoch"] == 0,
        "epochs_run": len(history),
        "stopped_early": len(history) < state["params"]["max_epochs"],
        "final_lr": history[-1]["lr"] if history else None,
        "stopped_by": state.get("stopped_by"),
    }


def _summary(out_dir: Path, state: dict) -> dict:
    return {
        "out_dir": str(out_dir),
        "model_path": str(out_dir / "model.pt"),
        "stage": state["params"]["stage"],
        **_result(state),
    }


def _cpu_copy(model: torch.nn.Module) -> dict:
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


@fast_cpu_steps()
def train_stage(
    model: torch.nn.Module,
    data: SequenceData,
    out_dir: str | os.PathLike,
    *,
    task: str,
    augmenter: Augmenter | None = None,
    stage: str = "pretrain",
    init_from: str | os.PathLike | None = None,
    keep_start: bool = True,
    lr: float = 1e-3,
    weight_decay: float = 1e-6,
    max_epochs: int = 100,
    batch_size: int = 100,
    early_stopping_patience: int = 10,
    lr_patience: int = 5,
    lr_factor: float = 0.1,
    seed: int = 0,
    device: str | torch.device = "auto",
    bf16: bool = False,
    verbose: bool = True,
    extra_params: dict | None = None,
    on_epoch: Callable[[int, float], bool] | None = None,
) -> dict:
    """Train one stage with Adam, LR reduction on plateau and early stopping; resumable.

    Parameters
    ----------
    model : torch.nn.Module
        Maps one-hot ``(N, 4, augmenter.output_length(L))`` (or L without insertion) to
        raw outputs ``(N, T)``: a paper model from :func:`evoaugflow.models.get_model`
        (checked through its ``config``), or any other module (checked by one forward
        pass, see :func:`evoaugflow.models.check_model`; build it with
        :func:`evoaugflow.models.build_model` so that :func:`load_model` can rebuild it
        alone). A fresh run starts from weights drawn by
        :func:`evoaugflow.models.reset_model` after ``torch.manual_seed(seed)``, or from
        ``init_from``; the weights it holds on entry are discarded. On return it holds
        the best weights, on ``device``.
    data : SequenceData
        Train and valid splits are used; x ``(N, 4, L)``, y ``(N, T)``.
    out_dir : str or PathLike
        Folder of the run. After every epoch ``checkpoint.pt`` is written; when the
        stage has finished, ``history.tsv``, ``params.json`` (the settings, the data and
        code fingerprints, the environment and the result) and, last, ``model.pt``.
        Until then none of these three exists: files left by an earlier run are removed
        when a run starts.
    task : {"binary", "regression"}
        Loss: binary cross-entropy on logits, or mean squared error. Must match
        ``model.task`` where the model has one.
    augmenter : Augmenter, optional
        Training augmentation, applied to every batch (default None: no augmentation).
        Its deterministic ``pad`` is applied to the validation split. Must be None for
        ``stage="finetune"``.
    stage : {"pretrain", "finetune"}, default "pretrain"
        ``"finetune"`` requires ``init_from`` and trains on unaugmented data, padded with
        the augmenter stored in ``init_from``.
    init_from : str or PathLike, optional
        A ``model.pt`` whose weights initialise the model (default None).
    keep_start : bool, default True
        With ``init_from``: the starting weights are a candidate too (epoch 0, scored on
        the validation split before training), so the stage returns them when no epoch
        lowers the validation loss. ``params.json`` records which was kept.
    lr : float, default 1e-3
        Adam learning rate (the paper uses 1e-4 for finetuning).
    weight_decay : float, default 1e-6
        Adam weight decay.
    max_epochs : int, default 100
        Epoch limit (the paper uses 5 for finetuning). Rerunning a finished run in the
        same ``out_dir`` with a larger limit continues it, bit for bit as if the larger
        limit had been given from the start.
    batch_size : int, default 100
        Training and validation batch size, >= 2. A final training batch of a single
        sequence is skipped, since batch norm cannot train on one sample.
    early_stopping_patience : int, default 10
        Stop after this many epochs without a lower validation loss.
    lr_patience : int, default 5
        ReduceLROnPlateau patience on the validation loss.
    lr_factor : float, default 0.1
        ReduceLROnPlateau factor, in (0, 1).
    seed : int, default 0
        Seeds the initial weights, the training generator (batch order, augmentations)
        and the global torch RNG (dropout).
    device : {"auto", "cpu", "cuda"} or torch.device, default "auto"
        See :func:`resolve_device`.
    bf16 : bool, default False
        bfloat16 autocast for forward passes (CUDA only).
    verbose : bool, default True
        One line per epoch on stderr (epoch, lr, train and valid loss, seconds), a line
        when a run resumes, continues or restarts, and a progress bar over batches when
        stderr is a terminal.
    on_epoch : callable, optional
        ``on_epoch(epoch, score) -> bool``, called after every epoch's validation with
        the 1-based epoch and the score that picks the best epoch (minus the validation
        loss, higher is better); True stops the stage after that epoch, which keeps its
        best epoch and writes its outputs as usual (``result.stopped_by: on_epoch``).
    extra_params : dict, optional
        Recorded in ``params.json`` and checked on resume (e.g. the data-set name).

    Returns
    -------
    dict
        ``out_dir``, ``model_path``, ``stage``, ``best_epoch`` (1-based; 0 when the
        starting weights were kept), ``best_valid_loss``, ``start_valid_loss`` (None
        without ``init_from`` or ``keep_start``), ``kept_start``, ``epochs_run``,
        ``stopped_early``, ``final_lr``.

    Raises
    ------
    ValueError
        For bad arguments, or a model whose input length or task count does not fit
        the data.
    TrainingDiverged
        When a loss becomes NaN or infinite; it names the data set and the epoch, and
        no model is written.
    RuntimeError
        When CUDA is requested but absent (see :func:`resolve_device`).

    Notes
    -----
    An existing ``checkpoint.pt`` is resumed only when it was made with the same
    arguments, the same data content (:func:`data_fingerprint`) and the same training
    code (:func:`code_fingerprint`); otherwise it is renamed to ``checkpoint.pt.stale``
    and the run starts fresh. A finished checkpoint is not trained again: its outputs
    are written anew. The log says which of these happened.
    """
    if task not in TASKS:
        raise ValueError(f"task={task!r}: choose one of {', '.join(TASKS)}")
    if stage not in STAGES:
        raise ValueError(f"stage={stage!r}: choose one of {', '.join(STAGES)}")
    if getattr(model, "task", task) != task:
        raise ValueError(
            f"task={task!r} but the model was built for task {model.task!r}: pass "
            f"task={task!r} to get_model or use task={model.task!r}"
        )
    if not (isinstance(lr, int | float) and lr > 0):
        raise ValueError(f"lr={lr!r}: expected a positive number")
    if not (isinstance(weight_decay, int | float) and weight_decay >= 0):
        raise ValueError(f"weight_decay={weight_decay!r}: expected a number >= 0")
    if not (isinstance(lr_factor, int | float) and 0 < lr_factor < 1):
        raise ValueError(f"lr_factor={lr_factor!r}: expected a number in (0, 1)")
    if not isinstance(keep_start, bool):
        raise ValueError(f"keep_start={keep_start!r}: expected True or False")
    _positive_int("max_epochs", max_epochs)
    _positive_int("batch_size", batch_size, minimum=2)
    _positive_int("early_stopping_patience", early_stopping_patience)
    _positive_int("lr_patience", lr_patience, minimum=0)
    _positive_int("seed", seed, minimum=0)
    device = resolve_device(device)
    if bf16 and device.type != "cuda":
        raise ValueError(f"bf16=True needs a CUDA device, got {device}: pass bf16=False")
    if stage == "finetune" and init_from is None:
        raise ValueError("stage='finetune' needs init_from=<stage-1 model.pt>")
    if stage == "finetune" and augmenter is not None:
        raise ValueError(
            "stage='finetune' trains on unaugmented data: pass augmenter=None (the padding "
            "comes from the augmenter stored in init_from)"
        )
    if len(data.x_train) < 2:
        raise ValueError("data.x_train has fewer than 2 sequences; batch norm needs at least 2")

    init_record = None if init_from is None else _read_model_file(init_from)
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
        if _json_normalised(init_record["model_config"]) != _json_normalised(model_config):
            raise ValueError(
                f"init_from={init_from} holds a model with config {init_record['model_config']}"
                f", which differs from this model's {model_config}; build the model from "
                "that config (evoaugflow.models.rebuild_model)"
            )
    start_candidate = init_record is not None and keep_start

    pad_config = None if pad_augmenter is None else pad_augmenter.to_config()
    params = _json_normalised(
        {
            "stage": stage,
            "task": task,
            "lr": lr,
            "weight_decay": weight_decay,
            "max_epochs": max_epochs,
            "batch_size": batch_size,
            "early_stopping_patience": early_stopping_patience,
            "lr_patience": lr_patience,
            "lr_factor": lr_factor,
            "seed": seed,
            "device": str(device),
            "bf16": bf16,
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
                "code_sha256": code_fingerprint(),
                "init_sha256": None
                if init_record is None
                else _weights_fingerprint(init_record["state_dict"]),
            },
            "loss": "bce_with_logits" if task == "binary" else "mse",
            "optimizer": "adam",
            "scheduler": "reduce_lr_on_plateau(valid_loss)",
            "extra_params": extra_params,
        }
    )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    checkpoint_path = out_dir / CHECKPOINT_FILE
    label = (extra_params or {}).get("dataset") or data.path or "the data"

    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer, mode="min", factor=lr_factor, patience=lr_patience
    )
    generator = torch.Generator(device=device)
    generator.manual_seed(seed)
    environment = {
        "torch_version": str(torch.__version__),
        "python_version": platform.python_version(),
        "hostname": socket.gethostname(),
        "device_name": torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else platform.processor() or platform.machine(),
        "num_threads": torch.get_num_threads(),
    }

    state = _reusable_checkpoint(checkpoint_path, params, early_stopping_patience, verbose)
    if state is not None and state["finished"]:
        _say(
            verbose,
            f"finished: {checkpoint_path} holds a finished run of the same settings, data "
            f"and code ({len(state['history'])} epochs); writing its outputs",
        )
        state["params"] = {**params, "verbose": verbose, "environment": environment}
        model.load_state_dict(state["best_state"])
        _finish(out_dir, state)
        return _summary(out_dir, state)
    # Nothing of an earlier run may look final while this one trains.
    for name in OUTPUT_FILES:
        (out_dir / name).unlink(missing_ok=True)

    # Padding is deterministic, so it is applied once to whole splits, not per batch.
    x_train, y_train = data.x_train, data.y_train
    x_valid, y_valid = data.x_valid, data.y_valid
    if pad_augmenter is not None:
        x_valid = pad_augmenter.pad(x_valid)
        if augmenter is None:
            x_train = pad_augmenter.pad(x_train)
    x_train, y_train = x_train.to(device), y_train.to(device)
    x_valid, y_valid = x_valid.to(device), y_valid.to(device)
    loss_fn = _loss_function(task)

    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        generator.set_state(state["generator"])
        _set_rng_state(state["rng"], device)
        _say(verbose, f"resume: {checkpoint_path} after epoch {len(state['history'])}")
    else:
        # The starting weights come from the seed (or init_from), never from how the
        # caller happened to build the model, so one seed reproduces the whole run.
        torch.manual_seed(seed)
        if init_record is not None:
            model.load_state_dict(init_record["state_dict"])
        else:
            reset_model(model)
        state = {
            "format": CHECKPOINT_FORMAT,
            "history": [],
            "best_state": None,
            "best_loss": float("inf"),
            "best_epoch": 0,
            "start_loss": None,
            "bad_epochs": 0,
            "finished": False,
            "model_record": {
                "format": MODEL_FORMAT,
                "model_config": model_config,
                "task": task,
                "augment": pad_config,
                "sequence_length": sequence_length,
                "stage": stage,
            },
        }
        _say(verbose, f"start: {stage} of {label} in {out_dir} (seed {seed})")
        if start_candidate:
            start_loss = _mean_loss(model, x_valid, y_valid, loss_fn, batch_size, bf16, device)
            if not math.isfinite(start_loss):
                raise TrainingDiverged(
                    f"{label}: the starting weights ({init_from}) give a validation loss of "
                    f"{start_loss}; no model was written. Check the stage-1 model and the data"
                )
            state.update(best_loss=start_loss, start_loss=start_loss, best_state=_cpu_copy(model))
            _say(verbose, f"[{stage}] epoch 0 (starting weights) valid_loss {start_loss:.4f}")
    state["params"] = {**params, "verbose": verbose, "environment": environment}

    n_train = len(x_train)
    n_batches = (n_train + batch_size - 1) // batch_size - int(n_train % batch_size == 1)
    show_bar = verbose and sys.stderr.isatty()
    for epoch in range(len(state["history"]) + 1, max_epochs + 1):
        started = time.perf_counter()
        epoch_lr = optimizer.param_groups[0]["lr"]
        model.train()
        order = torch.randperm(n_train, generator=generator, device=device)
        total_loss = torch.zeros((), device=device)
        n_labels = 0
        for batch in tqdm(
            range(n_batches), desc=f"{stage} epoch {epoch}", disable=not show_bar, leave=False
        ):
            index = order[batch * batch_size : (batch + 1) * batch_size]
            x_batch, y_batch = x_train[index], y_train[index]
            if augmenter is not None:
                x_batch = augmenter(x_batch, generator=generator)
            with _autocast(device, bf16):
                outputs = model(x_batch)
            loss = loss_fn(outputs.float(), y_batch)
            optimizer.zero_grad(set_to_none=True)
            (loss / y_batch.numel()).backward()
            optimizer.step()
            total_loss += loss.detach()
            n_labels += y_batch.numel()
        train_loss = total_loss.item() / n_labels
        valid_loss = _mean_loss(model, x_valid, y_valid, loss_fn, batch_size, bf16, device)
        if not (math.isfinite(train_loss) and math.isfinite(valid_loss)):
            raise TrainingDiverged(
                f"{label}: {stage} epoch {epoch} diverged (train loss {train_loss}, "
                f"validation loss {valid_loss}); no model was written and the checkpoint "
                f"keeps epoch {epoch - 1}. Lower the learning rate (now {epoch_lr:g}), check "
                "the data (rule check_dataset) or try another seed"
            )
        scheduler.step(valid_loss)
        if valid_loss < state["best_loss"]:
            state["best_loss"], state["best_epoch"], state["bad_epochs"] = valid_loss, epoch, 0
            state["best_state"] = _cpu_copy(model)
        else:
            state["bad_epochs"] += 1
        seconds = time.perf_counter() - started
        state["history"].append(
            dict(
                zip(
                    HISTORY_COLUMNS, (epoch, epoch_lr, train_loss, valid_loss, seconds), strict=True
                )
            )
        )
        state["finished"] = epoch == max_epochs or state["bad_epochs"] >= early_stopping_patience
        if on_epoch is not None and on_epoch(epoch, -valid_loss) and not state["finished"]:
            state["finished"], state["stopped_by"] = True, "on_epoch"
            _say(verbose, f"[{stage}] stopped: on_epoch asked to stop after epoch {epoch}")
        state.update(
            model={k: v.detach().cpu() for k, v in model.state_dict().items()},
            optimizer=optimizer.state_dict(),
            scheduler=scheduler.state_dict(),
            generator=generator.get_state(),
            rng=_rng_state(device),
        )
        _save(state, checkpoint_path)
        _say(
            verbose,
            f"[{stage}] epoch {epoch}/{max_epochs} lr {epoch_lr:.2g} train_loss "
            f"{train_loss:.4f} valid_loss {valid_loss:.4f} ({seconds:.1f} s)",
        )
        if state["finished"]:
            break

    model.load_state_dict(state["best_state"])
    _finish(out_dir, state)
    kept = (
        "the starting weights (epoch 0)"
        if state["best_epoch"] == 0
        else (f"epoch {state['best_epoch']}")
    )
    _say(
        verbose,
        f"done: kept {kept}, valid_loss {state['best_loss']:.4f}; wrote "
        f"{', '.join(OUTPUT_FILES)} in {out_dir}",
    )
    return _summary(out_dir, state)


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
    record = _read_model_file(path)
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
    batch_size: int = 256,
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
    batch_size : int, default 256
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
    batch_size: int = 256,
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
    batch_size : int, default 256
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
    if meta["task"] == "binary":
        return classification_metrics(y, scores)
    return regression_metrics(y, scores)

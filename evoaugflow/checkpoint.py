"""A training run's files: the model record, the per-epoch checkpoint and the outputs.

A run's folder holds ``checkpoint.pt`` (rewritten after every epoch, with every state
needed to go on bit for bit) until the stage has finished, then ``history.tsv``,
``params.json`` and, last, ``model.pt`` (`OUTPUT_FILES`). `reusable_checkpoint` decides
whether a checkpoint found there may be resumed; every file is written atomically.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pandas as pd
import torch

from evoaugflow.io import atomic_path, write_json
from evoaugflow.runtime import say

MODEL_FORMAT = "evoaugflow-model-v1"
CHECKPOINT_FORMAT = "evoaugflow-checkpoint-v1"
HISTORY_COLUMNS = ("epoch", "lr", "train_loss", "valid_loss", "seconds")
# Parameters recorded in params.json that may change between a run and its resume.
_UNCHECKED_PARAMS = ("environment", "trained_in", "verbose")
#: What a finished stage leaves in its folder. ``model.pt`` is written last, so its
#: presence means the stage finished and the other files belong to it.
OUTPUT_FILES = ("history.tsv", "params.json", "model.pt")
CHECKPOINT_FILE = "checkpoint.pt"
#: A checkpoint that cannot be resumed is renamed to this (one per folder, the latest).
STALE_CHECKPOINT_FILE = "checkpoint.pt.stale"


def read_model_file(path: str | os.PathLike) -> dict:
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


def json_normalised(value):
    """Round-trip through JSON so tuples, paths and numbers compare like their saved form."""
    return json.loads(json.dumps(value, default=str))


def rng_state(device: torch.device) -> dict:
    """The global torch RNG states (CPU, and CUDA on a CUDA device) for a checkpoint."""
    state = {"cpu": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def set_rng_state(state: dict, device: torch.device) -> None:
    """Restore the states saved by `rng_state`."""
    torch.set_rng_state(state["cpu"])
    if device.type == "cuda":
        torch.cuda.set_rng_state(state["cuda"], device)


def save(obj, path: Path) -> None:
    """torch.save through memory, so the same object always gives the same bytes.

    torch.save names the archive's folder after the file, and atomic_path's temporary
    file has a random name.
    """
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getvalue())


def _checked(params: dict) -> dict:
    """The part of a run's params a checkpoint must match to be reused.

    Where the data and the starting weights were read from (``data.path``,
    ``init_from``) is recorded but not compared: their contents are (``fingerprint``'s
    ``data_sha256`` and ``init_sha256``), so a project folder moved or copied elsewhere
    reuses its checkpoints.
    """
    skipped = (*_UNCHECKED_PARAMS, "init_from")
    checked = {k: v for k, v in params.items() if k not in skipped}
    if isinstance(checked.get("data"), dict):
        checked["data"] = {k: v for k, v in checked["data"].items() if k != "path"}
    return checked


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


def reusable_checkpoint(path: Path, params: dict, patience: int, verbose: bool) -> dict | None:
    """The checkpoint state to go on from, or None to start fresh (setting it aside).

    A checkpoint is reused only when it was written with the same parameters, the same
    data content and the same training code (not necessarily from the same place: the
    paths of the data and of ``init_from`` are not compared, their contents are). Asked
    again with a larger ``max_epochs`` only, a run does what an uninterrupted run with
    that limit would have done: one that ended by reaching its old limit goes on, one
    that stopped early stays stopped (successive halving continues its candidates this
    way), and so does one that an ``on_epoch`` hook stopped.
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
        saved, current = _checked(state["params"]), _checked(params)
        differing = _differences(saved, current)
        if not differing:
            return state
        if differing == ["max_epochs"] and current["max_epochs"] > saved["max_epochs"]:
            if state["bad_epochs"] < patience and state.get("stopped_by") != "on_epoch":
                state["finished"] = False
            state["params"]["max_epochs"] = current["max_epochs"]
            say(
                verbose,
                f"continue: {path} ran to max_epochs {saved['max_epochs']}; going on to "
                f"{current['max_epochs']}",
            )
            return state
        reason = f"it was made with other settings ({_describe(saved, current, differing)})"
    stale = path.with_name(STALE_CHECKPOINT_FILE)
    os.replace(path, stale)
    say(verbose, f"restart: {path} is not reused because {reason}; set aside as {stale}")
    return None


def training_segments(params: dict) -> list[dict]:
    """Where a run's epochs ran so far: ``params["trained_in"]``, one entry per process
    that trained (``first_epoch`` and that process's environment).

    A checkpoint written before these were recorded holds only the environment of its
    last process; it stands for all the epochs.
    """
    if "trained_in" in params:
        return [dict(segment) for segment in params["trained_in"]]
    if "environment" in params:
        return [{"first_epoch": 1, **params["environment"]}]
    return []


def finish(out_dir: Path, state: dict) -> None:
    """Write history.tsv, params.json (with why it stopped and the result), last model.pt."""
    history = pd.DataFrame(state["history"], columns=list(HISTORY_COLUMNS))
    with atomic_path(out_dir / "history.tsv") as tmp:
        history.to_csv(tmp, sep="\t", index=False, float_format="%.8g")
    params = dict(state["params"])
    if "trained_in" in params:  # a process that resumed and ran no epoch trained nothing
        ran = len(state["history"])
        params["trained_in"] = [s for s in params["trained_in"] if s["first_epoch"] <= ran]
    write_json(
        out_dir / "params.json",
        {**params, "stopped_by": stopped_by(state), "result": result(state)},
    )
    save(
        {
            **state["model_record"],
            "best_epoch": state["best_epoch"],
            "state_dict": state["best_state"],
        },
        out_dir / "model.pt",
    )


def stopped_by(state: dict) -> str:
    """Why a finished stage stopped: ``"on_epoch"``, ``"max_epochs"`` or ``"early_stopping"``."""
    if state.get("stopped_by") == "on_epoch":
        return "on_epoch"
    if len(state["history"]) >= state["params"]["max_epochs"]:
        return "max_epochs"
    return "early_stopping"


def result(state: dict) -> dict:
    """The outcome recorded under ``result`` in params.json."""
    history = state["history"]
    return {
        "best_epoch": state["best_epoch"],
        "best_valid_loss": state["best_loss"],
        "start_valid_loss": state.get("start_loss"),
        "kept_start": state["best_epoch"] == 0,
        "epochs_run": len(history),
        "stopped_early": len(history) < state["params"]["max_epochs"],
        "final_lr": history[-1]["lr"] if history else None,
    }


def summary(out_dir: Path, state: dict) -> dict:
    """What `evoaugflow.train.train_stage` returns."""
    return {
        "out_dir": str(out_dir),
        "model_path": str(out_dir / "model.pt"),
        "stage": state["params"]["stage"],
        "stopped_by": stopped_by(state),
        **result(state),
    }

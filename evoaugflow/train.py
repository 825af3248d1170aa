"""Two-stage EvoAug training with exact resume.

Stage 1 (``stage="stage1"``) trains on sequences augmented afresh in every batch (or
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

:func:`run` is the workflow's entry point (one grid cell's stage from its ``params``);
:func:`train_stage` does the work. The run's files are :mod:`evoaugflow.checkpoint`, its
record and fingerprints :mod:`evoaugflow.record`, the device and CPU settings
:mod:`evoaugflow.runtime`; using a saved model is :mod:`evoaugflow.predict` (its names,
and ``resolve_device`` and ``fast_cpu_steps``, are importable from here too).
"""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path

import torch

from evoaugflow.augment import Augmenter
from evoaugflow.checkpoint import (
    CHECKPOINT_FILE,
    CHECKPOINT_FORMAT,
    HISTORY_COLUMNS,
    MODEL_FORMAT,
    OUTPUT_FILES,
    STALE_CHECKPOINT_FILE,
    finish,
    reusable_checkpoint,
    set_rng_state,
    summary,
    training_segments,
)
from evoaugflow.data import SequenceData, load_dataset
from evoaugflow.epochs import (
    EpochLoop,
    OnEpoch,
    TrainingDiverged,
    cpu_copy,
    loss_function,
    padded_splits,
    run_epochs,
)
from evoaugflow.evaluate import check_identity, evaluate_run
from evoaugflow.models import TASKS, build_model, reset_model
from evoaugflow.predict import _positive_int, evaluate, load_model, predict
from evoaugflow.record import RunRecord, code_fingerprint, data_fingerprint, environment, run_record
from evoaugflow.runtime import (
    DETERMINISTIC_DEFAULT,
    deterministic_cuda,
    fast_cpu_steps,
    resolve_device,
    say,
)
from evoaugflow.stages import FINETUNE, STAGE1, STAGES, lowered_rate_problem
from evoaugflow.summary.tables import TASK_METRICS

__all__ = [
    "CHECKPOINT_FILE",
    "HISTORY_COLUMNS",
    "MODEL_FORMAT",
    "OUTPUT_FILES",
    "STALE_CHECKPOINT_FILE",
    "TRAIN_BATCH_SIZE",
    "TrainingDiverged",
    "code_fingerprint",
    "data_fingerprint",
    "evaluate",
    "fast_cpu_steps",
    "load_model",
    "predict",
    "resolve_device",
    "run",
    "train_stage",
]

#: Training (and validation) batch size by default: the paper's. The config schema's
#: ``training.<stage>.batch_size`` default and the loader's default are held to it.
TRAIN_BATCH_SIZE = 100
#: The keys of a grid cell's ``params`` that train_stage records as ``extra_params``.
RUN_IDENTITY_KEYS = ("dataset", "augset", "train_size", "data_seed")


# --------------------------------------------------------------------------- the steps
# train_stage runs them in order: check the arguments, write down the run's record (its
# settings and fingerprints), reuse or resume a checkpoint or start afresh, train epoch
# by epoch, finish (write the outputs).


def _check_arguments(model, data, augmenter, init_from, keep_start, settings: dict):
    """Refuse bad arguments before anything is read or written; the resolved device.

    ``settings`` holds train_stage's other arguments by name (as params.json records them).
    """
    task, stage, lr = settings["task"], settings["stage"], settings["lr"]
    weight_decay, lr_factor = settings["weight_decay"], settings["lr_factor"]
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
    for name, minimum in (
        ("max_epochs", 1),
        ("batch_size", 2),
        ("early_stopping_patience", 1),
        ("lr_patience", 0),
        ("seed", 0),
    ):
        _positive_int(name, settings[name], minimum)
    schedule = lowered_rate_problem(
        settings["early_stopping_patience"], settings["lr_patience"], settings["max_epochs"]
    )
    if schedule:
        # A warning, not an error: the workflow's config check refuses it before any job.
        warnings.warn(f"train_stage: {schedule}", stacklevel=3)
    device = resolve_device(settings["device"])
    if settings["bf16"] and device.type != "cuda":
        raise ValueError(f"bf16=True needs a CUDA device, got {device}: pass bf16=False")
    if stage == FINETUNE and init_from is None:
        raise ValueError(f"stage={FINETUNE!r} needs init_from=<stage-1 model.pt>")
    if stage == FINETUNE and augmenter is not None:
        raise ValueError(
            f"stage={FINETUNE!r} trains on unaugmented data: pass augmenter=None (the "
            "padding comes from the augmenter stored in init_from)"
        )
    if len(data.x_train) < 2:
        raise ValueError("data.x_train has fewer than 2 sequences; batch norm needs at least 2")
    return device


def _resume(loop: EpochLoop, state: dict) -> None:
    """Put the model, optimiser, scheduler and RNGs back where the checkpoint left them."""
    loop.model.load_state_dict(state["model"])
    loop.optimizer.load_state_dict(state["optimizer"])
    loop.scheduler.load_state_dict(state["scheduler"])
    loop.generator.set_state(state["generator"])
    set_rng_state(state["rng"], loop.device)
    say(loop.verbose, f"resume: {loop.checkpoint_path} after epoch {len(state['history'])}")


def _note_thread_change(loop: EpochLoop, saved: dict, current: dict) -> None:
    """Say so when a CPU run resumes with another thread count than its checkpoint's:
    oneDNN splits its sums by thread, so the epochs from here on take other values."""
    before, now = saved.get("num_threads"), current["num_threads"]
    if loop.device.type != "cpu" or before is None or before == now:
        return
    say(
        loop.verbose,
        f"note: {loop.checkpoint_path} was written with {before} CPU threads and this run "
        f"has {now}; CPU sums depend on the thread count, so the epochs from here on will "
        f"not be bit-identical to a run that kept {before} (give the job {before} threads: "
        "train_threads, and --cores at least that, for Snakemake lowers a rule's threads "
        "to --cores)",
    )


def _start(loop: EpochLoop, record: RunRecord, seed: int, init_from, out_dir: Path) -> dict:
    """A fresh state: starting weights from the seed or ``init_from`` (scored as epoch 0
    when they are a candidate)."""
    # The starting weights come from the seed (or init_from), never from how the
    # caller happened to build the model, so one seed reproduces the whole run.
    torch.manual_seed(seed)
    if record.init_record is not None:
        loop.model.load_state_dict(record.init_record["state_dict"])
    else:
        reset_model(loop.model)
    state = {
        "format": CHECKPOINT_FORMAT,
        "history": [],
        "best_state": None,
        "best_loss": float("inf"),
        "best_epoch": 0,
        "start_loss": None,
        "bad_epochs": 0,
        "finished": False,
        "stopped_by": None,
        "model_record": record.model_record,
    }
    say(loop.verbose, f"start: {loop.stage} of {loop.label} in {out_dir} (seed {seed})")
    if record.start_candidate:
        start_loss = loop.valid_loss()
        if not math.isfinite(start_loss):
            raise TrainingDiverged(
                f"{loop.label}: the starting weights ({init_from}) give a validation loss of "
                f"{start_loss}; no model was written. Check the stage-1 model and the data"
            )
        state.update(best_loss=start_loss, start_loss=start_loss, best_state=cpu_copy(loop.model))
        say(loop.verbose, f"[{loop.stage}] epoch 0 (starting weights) valid_loss {start_loss:.4f}")
    return state


def _finish_stage(loop: EpochLoop, state: dict, out_dir: Path) -> dict:
    """Load the best weights, write the outputs; train_stage's summary."""
    loop.model.load_state_dict(state["best_state"])
    finish(out_dir, state)
    kept = (
        "the starting weights (epoch 0)"
        if state["best_epoch"] == 0
        else f"epoch {state['best_epoch']}"
    )
    say(
        loop.verbose,
        f"done: kept {kept}, valid_loss {state['best_loss']:.4f}; wrote "
        f"{', '.join(OUTPUT_FILES)} in {out_dir}",
    )
    return summary(out_dir, state)


@fast_cpu_steps()
def train_stage(
    model: torch.nn.Module,
    data: SequenceData,
    out_dir: str | os.PathLike,
    *,
    task: str,
    augmenter: Augmenter | None = None,
    stage: str = STAGE1,
    init_from: str | os.PathLike | None = None,
    keep_start: bool = True,
    lr: float = 1e-3,
    weight_decay: float = 1e-6,
    max_epochs: int = 100,
    batch_size: int = TRAIN_BATCH_SIZE,
    early_stopping_patience: int = 10,
    lr_patience: int = 5,
    lr_factor: float = 0.1,
    seed: int = 0,
    device: str | torch.device = "auto",
    bf16: bool = False,
    deterministic: bool = DETERMINISTIC_DEFAULT,
    verbose: bool = True,
    extra_params: dict | None = None,
    on_epoch: OnEpoch | None = None,
    on_epoch_metric: str | None = None,
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
    stage : {"stage1", "finetune"}, default "stage1"
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
    batch_size : int, default TRAIN_BATCH_SIZE (100, the paper's)
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
    deterministic : bool, default runtime.DETERMINISTIC_DEFAULT (False)
        On CUDA, deterministic kernels (:func:`evoaugflow.runtime.deterministic_cuda`):
        the same seed gives the same weights on a GPU too, at more GPU time. The CPU is
        deterministic either way, so there it is recorded as False and changes nothing.
    verbose : bool, default True
        One line per epoch on stderr (epoch, lr, train and valid loss, seconds), a line
        when a run resumes, continues or restarts, and a progress bar over batches when
        stderr is a terminal.
    extra_params : dict, optional
        Recorded in ``params.json`` and checked on resume (e.g. the data-set name).
    on_epoch : callable ``(epoch, score) -> bool``, optional
        Called after every epoch's validation with the epoch (1-based) and the score
        that picks the best epoch, higher is better (minus the validation loss). When
        it returns True, the stage stops after that epoch as if it had finished: it
        keeps its best epoch, writes its outputs, logs a ``stopped:`` line and records
        ``"stopped_by": "on_epoch"`` in ``params.json``; rerun, with any ``max_epochs``,
        it stays stopped. Not part of the record checked on resume. Default None.
    on_epoch_metric : str, optional
        Hand ``on_epoch`` this validation metric of the epoch instead of minus the loss:
        one of ``TASK_METRICS[task]`` (``auroc``, ``aupr``; ``pearson``, ``spearman``,
        ``mse``), its mean over the outputs, negated where lower is better (``mse``).
        The best epoch, early stopping and the LR schedule still follow the loss.
        Default None.

    Returns
    -------
    dict
        ``out_dir``, ``model_path``, ``stage``, ``stopped_by`` (``"on_epoch"``,
        ``"max_epochs"`` or ``"early_stopping"``, as in ``params.json``), ``best_epoch`` (1-based; 0 when the
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
    settings = {
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
        "device": device,
        "bf16": bf16,
        "deterministic": bool(deterministic),
        "extra_params": extra_params,
    }
    device = _check_arguments(model, data, augmenter, init_from, keep_start, settings)
    if on_epoch_metric is not None and on_epoch_metric not in TASK_METRICS[task]:
        raise ValueError(
            f"on_epoch_metric={on_epoch_metric!r} does not fit task {task!r}; "
            f"use one of {list(TASK_METRICS[task])} or None (minus the validation loss)"
        )
    settings["device"] = str(device)
    settings["deterministic"] = settings["deterministic"] and device.type == "cuda"
    if device.type == "cuda" and not settings["deterministic"]:
        say(
            verbose,
            "cuda: kernels may add in another order on a rerun, so this seed can train to "
            "other weights; set deterministic: true for identical reruns (slower)",
        )
    with deterministic_cuda(device, settings["deterministic"]):
        record = run_record(model, data, augmenter, init_from, keep_start, settings)
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        checkpoint_path = out_dir / CHECKPOINT_FILE
        model.to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode="min", factor=lr_factor, patience=lr_patience
        )
        generator = torch.Generator(device=device)
        generator.manual_seed(seed)
        recorded = {**record.params, "verbose": verbose, "environment": environment(device)}

        state = reusable_checkpoint(
            checkpoint_path, record.params, early_stopping_patience, verbose
        )
        if state is not None and state["finished"]:
            say(
                verbose,
                f"finished: {checkpoint_path} holds a finished run of the same settings, data "
                f"and code ({len(state['history'])} epochs); writing its outputs",
            )
            # No epoch runs here: where the epochs ran stays as the checkpoint recorded it.
            state["params"] = {**recorded, "trained_in": training_segments(state["params"])}
            model.load_state_dict(state["best_state"])
            finish(out_dir, state)
            return summary(out_dir, state)
        # Nothing of an earlier run may look final while this one trains.
        for name in OUTPUT_FILES:
            (out_dir / name).unlink(missing_ok=True)

        loop = EpochLoop(
            model=model,
            optimizer=optimizer,
            scheduler=scheduler,
            generator=generator,
            loss_fn=loss_function(task),
            augmenter=augmenter,
            splits=padded_splits(data, augmenter, record.pad_augmenter, device),
            device=device,
            bf16=bf16,
            batch_size=batch_size,
            stage=stage,
            label=(extra_params or {}).get("dataset") or data.path or "the data",
            verbose=verbose,
            checkpoint_path=checkpoint_path,
            task=task,
            on_epoch_metric=on_epoch_metric,
        )
        if state is not None:
            _resume(loop, state)
            _note_thread_change(
                loop, state["params"].get("environment", {}), recorded["environment"]
            )
            segments = training_segments(state["params"])
        else:
            state = _start(loop, record, seed, init_from, out_dir)
            segments = []
        # This process trains from the next epoch on, in this environment.
        next_epoch = len(state["history"]) + 1
        segments.append({"first_epoch": next_epoch, **recorded["environment"]})
        state["params"] = {**recorded, "trained_in": segments}
        run_epochs(loop, state, max_epochs, early_stopping_patience, on_epoch)
        return _finish_stage(loop, state, out_dir)


def run(
    params: dict,
    data: str | os.PathLike,
    out_dir: str | os.PathLike,
    init: str | os.PathLike | None = None,
    threads: int = 1,
    gpu: int = 0,
    on_epoch: OnEpoch | None = None,
    evaluation: str | os.PathLike | None = None,
    identity: dict | None = None,
) -> dict:
    """Train one stage of one grid cell: the workflow's training jobs call this.

    With ``evaluation``, the same job then scores the kept model on the validation and
    test splits (:func:`evoaugflow.evaluate.evaluate_run`) and writes that table: one
    process trains and evaluates, instead of a second job that starts Python and torch
    again to evaluate.

    Parameters
    ----------
    params : dict
        What ``train_params(wildcards, stage)`` of the workflow builds: ``stage``
        ({"stage1", "finetune"}), ``augment`` (an Augmenter spec, None for the baseline;
        ignored by a finetune, which pads with the augmenter stored in ``init``),
        ``model``, ``model_kwargs``, ``task``, ``recipe`` (train_stage's optimiser and
        stopping arguments), ``seed``, ``device``, ``train_size``, ``data_seed``,
        ``dataset``, ``augset`` (other keys are ignored).
    data : str or PathLike
        The data set's h5 file; the training split is downsampled to ``train_size``
        sequences drawn with ``data_seed``.
    out_dir : str or PathLike
        The stage's folder (see :func:`train_stage`).
    init : str or PathLike, optional
        A stage-1 ``model.pt``: required for ``"finetune"``, whose model is rebuilt from
        it; for ``"stage1"``, starting weights for the model built from ``params``.
    threads : int, default 1
        CPU threads for torch.
    gpu : int, default 0
        GPUs given to the job: with any, the run must train on CUDA (it fails, naming
        the node, where CUDA is absent, instead of training on the CPU).
    on_epoch : callable, optional
        See :func:`train_stage`.
    evaluation : str or PathLike, optional
        Where to write the kept model's validation and test metrics (a TSV, written
        atomically after the model). Default None: no evaluation.
    identity : dict, optional
        The run's identity in that table (``dataset``, ``augset``, ``stage``, ``seed``,
        ``train_size``); required with ``evaluation``.

    Returns
    -------
    dict
        :func:`train_stage`'s summary.
    """
    if evaluation is not None:
        # Known before training: a bad identity must not cost a trained stage.
        check_identity(identity, "identity")
    torch.set_num_threads(threads)
    dataset = load_dataset(
        data, downsample=params["train_size"], downsample_mode="random", seed=params["data_seed"]
    )
    if params["stage"] == FINETUNE:
        if init is None:
            raise ValueError(f"stage {FINETUNE!r} needs init=<stage-1 model.pt>")
        # Finetuning starts from the stage-1 best weights, on the original data.
        model, _, _ = load_model(init)
        augmenter = None
    else:
        augmenter = Augmenter.from_config(params["augment"])
        length = dataset.sequence_length
        if augmenter is not None:
            length = augmenter.output_length(length)
        model = build_model(
            params["model"], length, dataset.n_tasks, task=params["task"], **params["model_kwargs"]
        )
    device = "cuda" if gpu else params["device"]
    summary = train_stage(
        model,
        dataset,
        out_dir,
        task=params["task"],
        augmenter=augmenter,
        stage=params["stage"],
        init_from=init,
        seed=params["seed"],
        device=device,
        deterministic=params.get("deterministic", DETERMINISTIC_DEFAULT),
        verbose=True,
        extra_params={key: params[key] for key in RUN_IDENTITY_KEYS},
        on_epoch=on_epoch,
        **params["recipe"],
    )
    if evaluation is not None:
        evaluate_run(
            summary["model_path"], data, evaluation, identity, device=device, threads=threads
        )
        print(f"evaluation: {evaluation}", flush=True)
    return summary

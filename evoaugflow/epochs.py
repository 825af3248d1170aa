"""The epochs of a training stage: batches in a seeded order, augmented, and a checkpoint.

:func:`run_epochs` trains until the epoch limit, early stopping or the ``on_epoch`` hook,
and writes ``checkpoint.pt`` after every epoch with every state needed to go on bit for
bit; :func:`evoaugflow.train.train_stage` sets the loop up and finishes the stage.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm.auto import tqdm

from evoaugflow.augment import Augmenter
from evoaugflow.checkpoint import HISTORY_COLUMNS, rng_state, save
from evoaugflow.metrics import mean_metric
from evoaugflow.runtime import autocast, say
from evoaugflow.summary.tables import higher_is_better

#: The per-epoch hook: ``(epoch, score) -> stop``, see evoaugflow.train.train_stage.
OnEpoch = Callable[[int, float], bool]


class TrainingDiverged(RuntimeError):
    """A training or validation loss became NaN or infinite; no model was written."""


def loss_function(task: str) -> torch.nn.Module:
    """Summed loss: BCE on logits for ``"binary"``, squared error for ``"regression"``."""
    if task == "binary":
        return torch.nn.BCEWithLogitsLoss(reduction="sum")
    return torch.nn.MSELoss(reduction="sum")


def _validate(model, x, y, loss_fn, batch_size, bf16, device) -> tuple[float, torch.Tensor]:
    """Mean loss per label over a whole split, in evaluation mode, and the outputs."""
    model.eval()
    total = torch.zeros((), device=device)
    outputs = []
    with torch.no_grad():
        for start in range(0, len(x), batch_size):
            with autocast(device, bf16):
                batch = model(x[start : start + batch_size]).float()
            total += loss_fn(batch, y[start : start + batch_size])
            outputs.append(batch)
    return total.item() / y.numel(), torch.cat(outputs)


def cpu_copy(model: torch.nn.Module) -> dict:
    """The model's weights, copied to the CPU."""
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


@dataclass
class EpochLoop:
    """Everything the epochs of a stage work with."""

    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.ReduceLROnPlateau
    generator: torch.Generator
    loss_fn: torch.nn.Module
    augmenter: Augmenter | None
    splits: tuple  # x_train, y_train, x_valid, y_valid, on the device
    device: torch.device
    bf16: bool
    batch_size: int
    stage: str
    label: str
    verbose: bool
    checkpoint_path: Path
    task: str
    on_epoch_metric: str | None = None

    def _outputs(self) -> tuple[float, torch.Tensor]:
        _, _, x_valid, y_valid = self.splits
        return _validate(
            self.model, x_valid, y_valid, self.loss_fn, self.batch_size, self.bf16, self.device
        )

    def valid_loss(self) -> float:
        """The validation loss alone (no metric)."""
        return self._outputs()[0]

    def validate(self) -> tuple[float, float]:
        """The validation loss and the score handed to ``on_epoch``, higher is better:
        ``on_epoch_metric`` on the validation split (mean over outputs, negated when
        lower is better), or minus the loss when no metric is named."""
        loss, outputs = self._outputs()
        if self.on_epoch_metric is None:
            return loss, -loss
        y_valid = self.splits[3]
        value = mean_metric(self.task, self.on_epoch_metric, y_valid.cpu(), outputs.cpu())
        return loss, value if higher_is_better(self.on_epoch_metric) else -value


def padded_splits(data, augmenter, pad_augmenter, device) -> tuple:
    """Train and valid splits on the device; padding is deterministic, so it is applied
    once to whole splits, not per batch."""
    x_train, y_train = data.x_train, data.y_train
    x_valid, y_valid = data.x_valid, data.y_valid
    if pad_augmenter is not None:
        x_valid = pad_augmenter.pad(x_valid)
        if augmenter is None:
            x_train = pad_augmenter.pad(x_train)
    return x_train.to(device), y_train.to(device), x_valid.to(device), y_valid.to(device)


def _train_one_epoch(loop: EpochLoop, epoch: int) -> float:
    """One pass over the training split in a fresh random order; the mean loss per label."""
    x_train, y_train, _, _ = loop.splits
    n_train, batch_size, device = len(x_train), loop.batch_size, loop.device
    # A final batch of a single sequence is skipped: batch norm cannot train on it.
    n_batches = (n_train + batch_size - 1) // batch_size - int(n_train % batch_size == 1)
    show_bar = loop.verbose and sys.stderr.isatty()
    loop.model.train()
    order = torch.randperm(n_train, generator=loop.generator, device=device)
    total_loss = torch.zeros((), device=device)
    n_labels = 0
    for batch in tqdm(
        range(n_batches), desc=f"{loop.stage} epoch {epoch}", disable=not show_bar, leave=False
    ):
        index = order[batch * batch_size : (batch + 1) * batch_size]
        x_batch, y_batch = x_train[index], y_train[index]
        if loop.augmenter is not None:
            x_batch = loop.augmenter(x_batch, generator=loop.generator)
        with autocast(device, loop.bf16):
            outputs = loop.model(x_batch)
        loss = loop.loss_fn(outputs.float(), y_batch)
        loop.optimizer.zero_grad(set_to_none=True)
        (loss / y_batch.numel()).backward()
        loop.optimizer.step()
        total_loss += loss.detach()
        n_labels += y_batch.numel()
    return total_loss.item() / n_labels


def run_epochs(
    loop: EpochLoop, state: dict, max_epochs: int, patience: int, on_epoch: OnEpoch | None
) -> None:
    """Train until ``max_epochs``, early stopping or ``on_epoch``; a checkpoint per epoch."""
    for epoch in range(len(state["history"]) + 1, max_epochs + 1):
        started = time.perf_counter()
        epoch_lr = loop.optimizer.param_groups[0]["lr"]
        train_loss = _train_one_epoch(loop, epoch)
        valid_loss, score = loop.validate()
        if not (math.isfinite(train_loss) and math.isfinite(valid_loss)):
            raise TrainingDiverged(
                f"{loop.label}: {loop.stage} epoch {epoch} diverged (train loss {train_loss}, "
                f"validation loss {valid_loss}); no model was written and the checkpoint "
                f"keeps epoch {epoch - 1}. Lower the learning rate (now {epoch_lr:g}), check "
                "the data (rule check_dataset) or try another seed"
            )
        loop.scheduler.step(valid_loss)
        if valid_loss < state["best_loss"]:
            state["best_loss"], state["best_epoch"], state["bad_epochs"] = valid_loss, epoch, 0
            state["best_state"] = cpu_copy(loop.model)
        else:
            state["bad_epochs"] += 1
        seconds = time.perf_counter() - started
        row = (epoch, epoch_lr, train_loss, valid_loss, seconds)
        state["history"].append(dict(zip(HISTORY_COLUMNS, row, strict=True)))
        # The best epoch is the one with the lowest validation loss, whatever the hook sees.
        stop = on_epoch is not None and bool(on_epoch(epoch, score))
        if stop:
            state["stopped_by"] = "on_epoch"
        state["finished"] = stop or epoch == max_epochs or state["bad_epochs"] >= patience
        state.update(
            model={k: v.detach().cpu() for k, v in loop.model.state_dict().items()},
            optimizer=loop.optimizer.state_dict(),
            scheduler=loop.scheduler.state_dict(),
            generator=loop.generator.get_state(),
            rng=rng_state(loop.device),
        )
        save(state, loop.checkpoint_path)
        say(
            loop.verbose,
            f"[{loop.stage}] epoch {epoch}/{max_epochs} lr {epoch_lr:.2g} train_loss "
            f"{train_loss:.4f} valid_loss {valid_loss:.4f} ({seconds:.1f} s)",
        )
        if stop:
            say(loop.verbose, f"stopped: on_epoch asked to stop after epoch {epoch}")
        if state["finished"]:
            break

"""Milliseconds per training step of the paper's three models, plain and augmented.

A step is what ``evoaugflow.train.train_stage`` does per batch: (augment,) forward,
loss, backward and an Adam update. For each model at the paper's size it times

- ``plain``: the model for input length L on unaugmented batches, and
- ``augmented``: the model for L + insert_max on batches passed through the paper's
  augmentation list for that model (REFERENCE.md section 1), augmentation included,

and reports the median over ``--repeats`` steps after ``--warmup`` untimed ones, and
the ratio augmented / plain. Batches are random one-hot DNA drawn once per model.

Usage: ``python benchmarks/train_step.py [--device cpu|cuda] [--models chip deepstarr]
[--threads 1] [--out table.tsv]``. The table is printed as markdown.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from evoaugflow.augment import Augmenter
from evoaugflow.io import write_text_atomic
from evoaugflow.models import get_model
from evoaugflow.train import resolve_device

# Paper settings: (sequence length, tasks, augmentation spec).
PAPER = {
    "basset": (
        600,
        164,  # the public Basset_data.h5 has 164 outputs
        {
            "augmentations": {
                "mutation": {"mutate_frac": 0.15},
                "translocation": {"shift_min": 0, "shift_max": 30},
                "insertion": {"insert_min": 0, "insert_max": 30},
                "deletion": {"delete_min": 0, "delete_max": 30},
                "rc": {"rc_prob": 0.5},
                "noise": {"noise_mean": 0.0, "noise_std": 0.3},
            },
            "max_augs_per_seq": 3,
            "hard_aug": True,
        },
    ),
    "deepstarr": (
        249,
        2,
        {
            "augmentations": {
                "mutation": {"mutate_frac": 0.05},
                "translocation": {"shift_min": 0, "shift_max": 20},
                "insertion": {"insert_min": 0, "insert_max": 20},
                "deletion": {"delete_min": 0, "delete_max": 30},
                "noise": {"noise_mean": 0.0, "noise_std": 0.3},
            },
            "max_augs_per_seq": 2,
            "hard_aug": True,
        },
    ),
    "chip": (
        200,
        1,
        {
            "augmentations": {
                "mutation": {"mutate_frac": 0.05},
                "translocation": {"shift_min": 0, "shift_max": 20},
                "insertion": {"insert_min": 0, "insert_max": 20},
                "deletion": {"delete_min": 0, "delete_max": 30},
                "rc": {"rc_prob": 0.5},
                "noise": {"noise_mean": 0.0, "noise_std": 0.3},
            },
            "max_augs_per_seq": 3,
            "hard_aug": False,
        },
    ),
}
COLUMNS = ("model", "device", "threads", "plain_ms", "augmented_ms", "ratio")


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_steps(
    name: str,
    augmenter: Augmenter | None,
    x: torch.Tensor,
    y: torch.Tensor,
    generator: torch.Generator,
    warmup: int,
    repeats: int,
) -> float:
    """Median milliseconds of one training step (augmentation included when given).

    Parameters
    ----------
    name : str
        Model name in ``evoaugflow.models.MODEL_NAMES``.
    augmenter : Augmenter or None
        Applied to each batch before the forward pass; None for plain steps.
    x : torch.Tensor, shape=(batch, 4, L)
        One-hot batch on the timing device.
    y : torch.Tensor, shape=(batch, n_tasks)
        Labels on the same device.
    generator : torch.Generator
        On the same device; drives the augmentations.
    warmup, repeats : int
        Untimed and timed steps.
    """
    length = x.shape[2] if augmenter is None else augmenter.output_length(x.shape[2])
    model = get_model(name, length, y.shape[1]).to(x.device).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.BCEWithLogitsLoss() if model.task == "binary" else torch.nn.MSELoss()
    timings = []
    for step in range(warmup + repeats):
        _synchronize(x.device)
        started = time.perf_counter()
        batch = x if augmenter is None else augmenter(x, generator=generator)
        loss = loss_fn(model(batch), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        _synchronize(x.device)
        if step >= warmup:
            timings.append(1000 * (time.perf_counter() - started))
    return statistics.median(timings)


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto (default cpu)")
    parser.add_argument("--models", nargs="+", default=list(PAPER), choices=list(PAPER))
    parser.add_argument("--batch", type=int, default=128, help="batch size (default 128)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps (default 2)")
    parser.add_argument("--repeats", type=int, default=5, help="timed steps (default 5)")
    parser.add_argument("--seed", type=int, default=0, help="seed of batches and draws")
    parser.add_argument("--out", help="also write the table as TSV to this path")
    args = parser.parse_args(argv)
    for option in ("batch", "threads", "repeats"):
        if getattr(args, option) < 1:
            parser.error(f"--{option} must be >= 1")
    if args.warmup < 0:
        parser.error("--warmup must be >= 0")

    device = resolve_device(args.device)
    torch.set_num_threads(args.threads)
    generator = torch.Generator(device=device).manual_seed(args.seed)
    torch.manual_seed(args.seed)
    rows = []
    for name in args.models:
        length, n_tasks, spec = PAPER[name]
        bases = torch.randint(0, 4, (args.batch, length), generator=generator, device=device)
        x = torch.nn.functional.one_hot(bases, 4).transpose(1, 2).float()
        y = torch.randint(0, 2, (args.batch, n_tasks), generator=generator, device=device)
        y = y.float()
        plain = time_steps(name, None, x, y, generator, args.warmup, args.repeats)
        augmented = time_steps(
            name, Augmenter.from_config(spec), x, y, generator, args.warmup, args.repeats
        )
        rows.append(
            {
                "model": name,
                "device": str(device),
                "threads": args.threads if device.type == "cpu" else "-",
                "plain_ms": f"{plain:.1f}",
                "augmented_ms": f"{augmented:.1f}",
                "ratio": f"{augmented / plain:.2f}",
            }
        )
        print(f"done {name}", flush=True)

    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "---|" * len(COLUMNS))
    for row in rows:
        print("| " + " | ".join(str(row[c]) for c in COLUMNS) + " |")
    if args.out:
        lines = ["\t".join(COLUMNS)] + ["\t".join(str(r[c]) for c in COLUMNS) for r in rows]
        write_text_atomic(args.out, "\n".join(lines) + "\n")
    return rows


if __name__ == "__main__":
    main()

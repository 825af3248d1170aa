"""Cost of augmentation in a training step of the paper's three models, side by side.

A step is what ``evoaugflow.train.train_stage`` does per batch: (augment,) forward,
loss, backward and an Adam update. For each model at the paper's size it times three
cases,

- ``plain``: the model for input length L on unaugmented batches (a baseline run),
- ``padded``: the model for L + insert_max on the same batches with the evaluation
  padding appended (what the extra length alone costs), and
- ``augmented``: the model for L + insert_max on batches passed through the paper's
  augmentation list for that model (REFERENCE.md section 1), augmentation included,
- ``trimmed``: the model for L on batches passed through the same list with
  ``insertion_mode="trim"`` (an insertion is cut back to L, as evoaug2 does), augmentation
  included: what augmenting costs when the input keeps its length,

under two settings: ``before``, torch's and glibc's defaults (the trainer before issue
17), and ``after``, inside ``evoaugflow.train.fast_cpu_steps()`` as ``train_stage``
now runs (denormals flushed to zero; freed memory kept for reuse instead of being
unmapped and zero-filled again at every step). The settings are process-wide, so they
are timed one after the other, per model; within a setting every case has its own
model and optimiser, and after ``--warmup`` untimed steps of each, the ``--repeats``
rounds time one step of every case in turn, so a change in machine load falls on all
cases alike. Reported per model and setting: median
milliseconds per case, ``ratio`` = median augmented / median plain, ``paired`` = median
over rounds of that round's augmented / plain, ``length`` = padded / plain (the part of
``ratio`` that the longer input costs by itself), and ``trim_ratio`` = median trimmed /
median plain. The
1-minute load average is printed before and after. Batches are random one-hot DNA
drawn once per model.

On the CPU a step is timed by default with the process's CPU time
(``time.process_time``, ``--clock cpu``): with one torch thread that is the step's
own work, and it does not grow when other processes take the cores, as wall time does
on a shared machine (``--clock wall`` for wall time; on CUDA always wall time after a
synchronisation).

Usage: ``python benchmarks/train_step.py [--device cpu|cuda] [--models chip deepstarr]
[--threads 1] [--repeats 9] [--out table.tsv]``. The table is printed as markdown.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch

from evoaugflow.augment import Augmenter
from evoaugflow.io import write_text_atomic
from evoaugflow.models import get_model
from evoaugflow.train import fast_cpu_steps, resolve_device

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
COLUMNS = (
    "model",
    "device",
    "threads",
    "setting",
    "plain_ms",
    "padded_ms",
    "augmented_ms",
    "trimmed_ms",
    "length",
    "ratio",
    "paired",
    "trim_ratio",
)
CASES = ("plain", "padded", "augmented", "trimmed")
SETTINGS = {"before": False, "after": True}


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class Stepper:
    """One model, optimiser and batch source; ``step()`` runs one timed training step.

    Parameters
    ----------
    name : str
        Model name in ``evoaugflow.models.MODEL_NAMES``.
    case : {"plain", "padded", "augmented", "trimmed"}
        See the module docstring.
    augmenter : Augmenter
        The paper's augmenter for ``name`` (its padding or its augmentation); for
        ``"trimmed"`` the same in ``insertion_mode="trim"``.
    x : torch.Tensor, shape=(batch, 4, L)
        One-hot batch on the timing device.
    y : torch.Tensor, shape=(batch, n_tasks)
        Labels on the same device.
    generator : torch.Generator
        On the same device; drives the augmentations.
    """

    def __init__(self, name, case, augmenter, x, y, generator):
        length = (
            augmenter.output_length(x.shape[2]) if case in ("padded", "augmented") else x.shape[2]
        )
        self.model = get_model(name, length, y.shape[1]).to(x.device).train()
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        binary = self.model.task == "binary"
        self.loss_fn = torch.nn.BCEWithLogitsLoss() if binary else torch.nn.MSELoss()
        self.case, self.augmenter, self.generator = case, augmenter, generator
        self.x = augmenter.pad(x) if case == "padded" else x
        self.y = y

    def step(self, clock=time.perf_counter) -> float:
        """Milliseconds of one step (augmentation included for ``augmented``) by ``clock``."""
        device = self.x.device
        _synchronize(device)
        started = clock()
        batch = self.x
        if self.case in ("augmented", "trimmed"):
            batch = self.augmenter(self.x, generator=self.generator)
        loss = self.loss_fn(self.model(batch), self.y)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        _synchronize(device)
        return 1000 * (clock() - started)


def time_model(
    name, x, y, generator, warmup, repeats, clock=time.perf_counter
) -> dict[tuple[str, str], list[float]]:
    """Step timings of every (setting, case) of one model, in milliseconds.

    The settings run one after the other; the cases of a setting are interleaved.
    """
    augmenter = Augmenter.from_config(PAPER[name][2])
    trimming = Augmenter.from_config({**PAPER[name][2], "insertion_mode": "trim"})
    timings = {}
    for setting, enabled in SETTINGS.items():
        with fast_cpu_steps(enabled):
            steppers = {
                case: Stepper(
                    name, case, trimming if case == "trimmed" else augmenter, x, y, generator
                )
                for case in CASES
            }
            for stepper in steppers.values():
                for _ in range(warmup):
                    stepper.step()
            for case in CASES:
                timings[setting, case] = []
            for _ in range(repeats):
                for case, stepper in steppers.items():
                    timings[setting, case].append(stepper.step(clock))
            del steppers
    return timings


def summarize(name, device, threads, timings) -> list[dict]:
    """One table row per setting from :func:`time_model`'s timings."""
    rows = []
    for setting in SETTINGS:
        median = {case: statistics.median(timings[setting, case]) for case in CASES}
        pairs = zip(timings[setting, "augmented"], timings[setting, "plain"], strict=True)
        rows.append(
            {
                "model": name,
                "device": str(device),
                "threads": threads if device.type == "cpu" else "-",
                "setting": setting,
                "plain_ms": f"{median['plain']:.1f}",
                "padded_ms": f"{median['padded']:.1f}",
                "augmented_ms": f"{median['augmented']:.1f}",
                "trimmed_ms": f"{median['trimmed']:.1f}",
                "length": f"{median['padded'] / median['plain']:.2f}",
                "ratio": f"{median['augmented'] / median['plain']:.2f}",
                "paired": f"{statistics.median(a / p for a, p in pairs):.2f}",
                "trim_ratio": f"{median['trimmed'] / median['plain']:.2f}",
            }
        )
    return rows


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto (default cpu)")
    parser.add_argument("--models", nargs="+", default=list(PAPER), choices=list(PAPER))
    parser.add_argument("--batch", type=int, default=128, help="batch size (default 128)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps (default 2)")
    parser.add_argument("--repeats", type=int, default=9, help="timed rounds (default 9)")
    parser.add_argument("--seed", type=int, default=0, help="seed of batches and draws")
    parser.add_argument(
        "--clock", choices=("cpu", "wall"), default="cpu", help="CPU-side clock (default cpu)"
    )
    parser.add_argument("--out", help="also write the table as TSV to this path")
    args = parser.parse_args(argv)
    for option in ("batch", "threads", "repeats"):
        if getattr(args, option) < 1:
            parser.error(f"--{option} must be >= 1")
    if args.warmup < 0:
        parser.error("--warmup must be >= 0")

    device = resolve_device(args.device)
    torch.set_num_threads(args.threads)
    cpu_clock = device.type == "cpu" and args.clock == "cpu"
    clock = time.process_time if cpu_clock else time.perf_counter
    generator = torch.Generator(device=device).manual_seed(args.seed)
    torch.manual_seed(args.seed)
    load_before = os.getloadavg()[0]
    rows = []
    for name in args.models:
        length, n_tasks, _ = PAPER[name]
        bases = torch.randint(0, 4, (args.batch, length), generator=generator, device=device)
        # contiguous, as the splits the trainer indexes are
        x = torch.nn.functional.one_hot(bases, 4).transpose(1, 2).float().contiguous()
        y = torch.randint(0, 2, (args.batch, n_tasks), generator=generator, device=device)
        timings = time_model(name, x, y.float(), generator, args.warmup, args.repeats, clock)
        rows += summarize(name, device, args.threads, timings)
        print(f"done {name}", flush=True)

    print(
        f"batch {args.batch}, {args.repeats} interleaved rounds after {args.warmup} warm-up "
        f"steps, {'process CPU' if cpu_clock else 'wall'} time; 1-min load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} "
        f"after, {os.cpu_count()} cores"
    )
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

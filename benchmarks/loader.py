"""Sequences per second of augmenting loaders, evoaugflow's and evoaug2's, side by side.

One pass over the same data (random one-hot DNA, ``--n`` sequences of ``--length``,
batch ``--batch``, shuffled) with the paper's DeepSTARR augmentation list (mutation
0.05, translocation 0-20, insertion 0-20, deletion 0-30, noise 0.3; hard, 2 per
sequence), end to end: from the first ``next()`` to the last batch on ``--device``.
Cases:

- ``evoaugflow tensors (pad)``: ``AugmentedLoader((x, y), ...)``, batches of
  L + insert_max (the paper's padding);
- ``evoaugflow tensors (trim)``: the same with ``insertion_mode: trim``, batches of L,
  the shape evoaug2 returns;
- ``evoaugflow DataLoader (trim)``: wrapping a ``torch.utils.data.DataLoader`` over a
  ``TensorDataset``, as ``RobustLoader`` does;
- ``evoaug2 RobustLoader, w workers``: evoaug2's loader (``pip install evoaug2``, module
  ``evoaug``), which augments each sequence in ``w`` worker processes (``--workers``,
  default 0 and 2; workers persist between passes, so their start is paid once, in
  the warm-up pass).

The passes of the cases alternate (``--repeats`` rounds after one warm-up pass each),
so a change in machine load falls on all alike; the table gives the median seconds
per pass, sequences per second and the speedup over evoaug2 with 0 workers. Torch uses
``--threads`` threads in this process. evoaug2 runs only where ``evoaug`` is
importable: keep it out of the project environment (see benchmarks/README.md).

Usage: ``/work/bench-venv-evoaug2/bin/python benchmarks/loader.py [--n 2048]
[--repeats 5] [--device cpu|cuda] [--out table.tsv]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch
from torch.utils.data import DataLoader, TensorDataset

from evoaugflow.io import write_text_atomic
from evoaugflow.loader import AugmentedLoader
from evoaugflow.train import resolve_device

# The paper's DeepSTARR list (REFERENCE.md section 1).
DEEPSTARR = {
    "mutation": {"mutate_frac": 0.05},
    "translocation": {"shift_min": 0, "shift_max": 20},
    "insertion": {"insert_min": 0, "insert_max": 20},
    "deletion": {"delete_min": 0, "delete_max": 30},
    "noise": {"noise_mean": 0.0, "noise_std": 0.3},
}
MAX_AUGS, HARD = 2, True
COLUMNS = ("loader", "device", "batch_length", "seconds_per_pass", "seqs_per_s", "speedup")


def ours(x, y, args, device, mode: str, wrap: bool) -> AugmentedLoader:
    spec = {
        "augmentations": DEEPSTARR,
        "max_augs_per_seq": MAX_AUGS,
        "hard_aug": HARD,
        "insertion_mode": mode,
    }
    if wrap:
        data_loader = DataLoader(
            TensorDataset(x, y),
            batch_size=args.batch,
            shuffle=True,
            generator=torch.Generator().manual_seed(args.seed),
        )
        return AugmentedLoader(data_loader, spec, seed=args.seed, device=device)
    return AugmentedLoader((x, y), spec, batch_size=args.batch, seed=args.seed, device=device)


def evoaug2_loader(x, y, args, workers: int):
    """evoaug2's RobustLoader with the same list (None where evoaug2 is absent)."""
    try:
        from evoaug import augment
        from evoaug.evoaug import RobustLoader
    except ImportError:
        return None
    augment_list = [
        augment.RandomMutation(mut_frac=DEEPSTARR["mutation"]["mutate_frac"]),
        augment.RandomTranslocation(**DEEPSTARR["translocation"]),
        augment.RandomInsertion(**DEEPSTARR["insertion"]),
        augment.RandomDeletion(**DEEPSTARR["deletion"]),
        augment.RandomNoise(**DEEPSTARR["noise"]),
    ]
    torch.manual_seed(args.seed)
    return RobustLoader(
        TensorDataset(x, y),
        augment_list=augment_list,
        max_augs_per_seq=MAX_AUGS,
        hard_aug=HARD,
        batch_size=args.batch,
        shuffle=True,
        num_workers=workers,
        persistent_workers=workers > 0,
    )


def one_pass(loader, device: torch.device) -> tuple[float, int]:
    """Seconds for one pass (batches on ``device``) and the batch length seen."""
    started = time.perf_counter()
    length = 0
    for x, _ in loader:
        x = x.to(device, non_blocking=True)
        length = x.shape[2]
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - started, length


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto (default cpu)")
    parser.add_argument("--n", type=int, default=2048, help="sequences (default 2048)")
    parser.add_argument("--length", type=int, default=249, help="sequence length (default 249)")
    parser.add_argument("--batch", type=int, default=128, help="batch size (default 128)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2], help="evoaug2 workers")
    parser.add_argument("--repeats", type=int, default=5, help="timed passes (default 5)")
    parser.add_argument("--seed", type=int, default=0, help="seed of data and loaders")
    parser.add_argument("--out", help="also write the table as TSV to this path")
    args = parser.parse_args(argv)
    for option in ("n", "length", "batch", "threads", "repeats"):
        if getattr(args, option) < 1:
            parser.error(f"--{option} must be >= 1")

    device = resolve_device(args.device)
    torch.set_num_threads(args.threads)
    generator = torch.Generator().manual_seed(args.seed)
    bases = torch.randint(0, 4, (args.n, args.length), generator=generator)
    x = torch.nn.functional.one_hot(bases, 4).transpose(1, 2).float().contiguous()
    y = torch.randn(args.n, 2, generator=generator)
    loaders = {
        "evoaugflow tensors (pad)": ours(x.to(device), y.to(device), args, device, "pad", False),
        "evoaugflow tensors (trim)": ours(x.to(device), y.to(device), args, device, "trim", False),
        "evoaugflow DataLoader (trim)": ours(x, y, args, device, "trim", True),
    }
    reference = "evoaug2 RobustLoader, 0 workers"
    for workers in args.workers:
        loader = evoaug2_loader(x, y, args, workers)
        if loader is not None:
            loaders[f"evoaug2 RobustLoader, {workers} workers"] = loader
    load_before = os.getloadavg()[0]
    lengths = {name: one_pass(loader, device)[1] for name, loader in loaders.items()}
    seconds = {name: [] for name in loaders}
    for _ in range(args.repeats):
        for name, loader in loaders.items():
            seconds[name].append(one_pass(loader, device)[0])
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    rows = [
        {
            "loader": name,
            "device": str(device),
            "batch_length": lengths[name],
            "seconds_per_pass": f"{medians[name]:.3f}",
            "seqs_per_s": f"{args.n / medians[name]:.0f}",
            "speedup": f"{medians[reference] / medians[name]:.1f}" if reference in medians else "-",
        }
        for name in loaders
    ]
    print(
        f"{args.n} sequences x {args.length}, batch {args.batch}, {args.threads} torch "
        f"thread(s), median of {args.repeats} interleaved passes after one warm-up; "
        f"1-min load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after, "
        f"{os.cpu_count()} cores; evoaug2 "
        + ("present" if reference in medians else "absent (ours only)")
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

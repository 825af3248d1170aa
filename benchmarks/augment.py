"""Speed of evoaugflow.augment, side by side with the reference package evoaug 1.0.6.

Measures milliseconds per batch and sequences per second for each augmentation alone
and for the paper's DeepSTARR list (mutation 0.05, translocation 0-20, insertion 0-20,
deletion 0-30, noise 0.3; hard, 2 per sequence), with one thread and with all threads.
Where ``evoaug`` is importable, the same cases run through the reference in the same
process: each augmentation's ``__call__`` and, for the list, the augmentation step of
its training path (``RobustModel.training_step`` calls ``RobustModel._apply_augment``).
With ``--device cuda`` (or wherever ``evoaugflow.models`` is importable) it also times a
DeepSTARR training step and reports augmentation time as a share of step + augmentation.

Every case reports the fastest, the median and the 90th-percentile call, and the
speedup at each of them (reference / ours), plus the median of the per-pair ratios: the
calls of the two implementations alternate, so each pair ran under nearly the same
machine load. The 1-minute load average is printed before and after the run.

Usage: ``python benchmarks/augment.py [--device cpu|cuda] [--cases deepstarr_list]
[--out table.tsv]`` (see benchmarks/README.md for the reference environment).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import torch

from evoaugflow import augment as ours
from evoaugflow.io import write_text_atomic

try:  # the reference package, only in the benchmark environment
    import evoaug.augment as ref_augment
    from evoaug.evoaug import RobustModel as RefRobustModel
except ImportError:
    ref_augment = None
    RefRobustModel = None

DEEPSTARR = {
    "mutation": {"mutate_frac": 0.05},
    "translocation": {"shift_min": 0, "shift_max": 20},
    "insertion": {"insert_min": 0, "insert_max": 20},
    "deletion": {"delete_min": 0, "delete_max": 30},
    "noise": {"noise_mean": 0.0, "noise_std": 0.3},
}
# Cases run alone: the DeepSTARR five plus the two the DeepSTARR list leaves out.
SINGLE = {
    **DEEPSTARR,
    "inversion": {"invert_min": 0, "invert_max": 20},
    "rc": {"rc_prob": 0.5},
}
REF_CLASSES = {
    "mutation": "RandomMutation",
    "translocation": "RandomTranslocation",
    "insertion": "RandomInsertion",
    "deletion": "RandomDeletion",
    "inversion": "RandomInversion",
    "rc": "RandomRC",
    "noise": "RandomNoise",
}
CASES = (*SINGLE, "deepstarr_list")
REFERENCE = "evoaug-1.0.6"
COLUMNS = (
    "device",
    "threads",
    "case",
    "impl",
    "ms_min",
    "ms_median",
    "ms_p90",
    "seqs_per_s",
    "speedup_min",
    "speedup_median",
    "speedup_p90",
    "speedup_paired",
)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default: cpu)")
    parser.add_argument("--batch", type=int, default=128, help="sequences per batch (128)")
    parser.add_argument("--length", type=int, default=249, help="sequence length (249)")
    parser.add_argument("--repeats", type=int, default=50, help="timed calls per case (50)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed calls first (5)")
    parser.add_argument("--seed", type=int, default=0, help="seed of data and draws (0)")
    parser.add_argument(
        "--threads",
        type=int,
        nargs="+",
        default=None,
        help="torch thread counts to run (default: 1 and all cores)",
    )
    parser.add_argument(
        "--cases",
        nargs="+",
        choices=CASES,
        default=list(CASES),
        help="cases to time (default: all)",
    )
    parser.add_argument("--no-reference", action="store_true", help="skip evoaug")
    parser.add_argument("--out", type=Path, default=None, help="also write the table as TSV")
    args = parser.parse_args(argv)
    for name in ("batch", "length", "repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be >= 1")
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: no CUDA device is visible; use --device cpu")
    return args


def time_calls(fns: dict, repeats: int, warmup: int, device: torch.device) -> dict:
    """Wall times in ms of ``repeats`` calls of each ``fns[key]()``, after ``warmup``.

    The calls of the different functions alternate, so a change in machine load during
    the run (a shared machine) weighs on all of them alike, and call ``i`` of one
    function can be paired with call ``i`` of another.
    """
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times = {key: [] for key in fns}
    for _ in range(repeats):
        for key, fn in fns.items():
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            start = time.perf_counter()
            fn()
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            times[key].append(1e3 * (time.perf_counter() - start))
    return times


def percentile(values, q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, linear between order statistics."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(times: list) -> dict:
    """Fastest, median and 90th-percentile ms of one case's calls."""
    return {
        "ms_min": min(times),
        "ms_median": statistics.median(times),
        "ms_p90": percentile(times, 0.9),
    }


def random_batch(n: int, length: int, generator: torch.Generator, device) -> torch.Tensor:
    """Random one-hot batch, shape (n, 4, length), float32."""
    bases = torch.randint(0, 4, (n, length), generator=generator)
    return torch.nn.functional.one_hot(bases, 4).transpose(1, 2).float().contiguous().to(device)


def our_cases(device: torch.device, seed: int) -> dict:
    """Callables ``fn(x)`` for our augmentations and the DeepSTARR composer."""
    generator = torch.Generator(device=device).manual_seed(seed)
    cases = {}
    for name, params in SINGLE.items():
        aug = ours.AUGMENTATIONS[name](**params)
        cases[name] = lambda x, aug=aug: aug(x, generator)
    augmenter = ours.Augmenter.from_config(
        {"augmentations": DEEPSTARR, "max_augs_per_seq": 2, "hard_aug": True}
    )
    cases["deepstarr_list"] = lambda x: augmenter(x, generator)
    return cases


def reference_cases(seed: int) -> dict:
    """The same cases through evoaug 1.0.6 (global numpy and torch randomness)."""
    import numpy as np

    np.random.seed(seed)
    torch.manual_seed(seed)
    cases = {}
    for name, params in SINGLE.items():
        aug = getattr(ref_augment, REF_CLASSES[name])(**params)
        cases[name] = aug
    # The reference applies a sequence's chosen augmentations in list order, so the
    # list is given in the paper's priority order, as its example scripts do.
    ordered = [n for n in ours.PRIORITY if n in DEEPSTARR]
    augment_list = [getattr(ref_augment, REF_CLASSES[n])(**DEEPSTARR[n]) for n in ordered]
    robust = RefRobustModel(
        model=torch.nn.Identity(),
        criterion=None,
        optimizer=None,
        augment_list=augment_list,
        max_augs_per_seq=2,
        hard_aug=True,
    )
    cases["deepstarr_list"] = robust._apply_augment
    return cases


def training_step_ms(args, device: torch.device) -> float | None:
    """Median ms of one DeepSTARR training step (forward, backward, Adam), or None."""
    try:
        from evoaugflow.models import get_model
    except ImportError:
        return None
    input_length = args.length + DEEPSTARR["insertion"]["insert_max"]
    generator = torch.Generator().manual_seed(args.seed)
    model = get_model("deepstarr", input_length=input_length, n_tasks=2).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = random_batch(args.batch, input_length, generator, device)
    y = torch.randn(args.batch, 2, generator=generator).to(device)

    def step():
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()

    times = time_calls({"step": step}, max(5, args.repeats // 5), 2, device)["step"]
    return statistics.median(times)


def case_rows(case: str, times: dict, batch: int, common: dict) -> list[dict]:
    """Table rows of one case: one per implementation, speedups on ours."""
    rows = []
    for impl, impl_times in times.items():
        row = {**common, "case": case, "impl": impl, **summary(impl_times)}
        row["seqs_per_s"] = batch / row["ms_median"] * 1e3
        if impl != REFERENCE and REFERENCE in times:
            reference = summary(times[REFERENCE])
            for stat in ("min", "median", "p90"):
                row[f"speedup_{stat}"] = reference[f"ms_{stat}"] / row[f"ms_{stat}"]
            pairs = zip(times[REFERENCE], impl_times, strict=True)
            row["speedup_paired"] = statistics.median(ref / ours for ref, ours in pairs)
        rows.append(row)
    return rows


def run(args) -> list[dict]:
    device = torch.device(args.device)
    thread_counts = args.threads or sorted({1, os.cpu_count() or 1})
    use_reference = ref_augment is not None and not args.no_reference
    rows = []
    for threads in thread_counts:
        torch.set_num_threads(threads)
        common = {"device": device.type, "threads": threads}
        x = random_batch(args.batch, args.length, torch.Generator().manual_seed(args.seed), device)
        impls = {"evoaugflow": our_cases(device, args.seed)}
        if use_reference:
            impls[REFERENCE] = reference_cases(args.seed)
        aug_median = None
        for case in args.cases:
            fns = {impl: (lambda fn=cases[case], x=x: fn(x)) for impl, cases in impls.items()}
            times = time_calls(fns, args.repeats, args.warmup, device)
            rows.extend(case_rows(case, times, args.batch, common))
            if case == "deepstarr_list":
                aug_median = statistics.median(times["evoaugflow"])
        step_ms = training_step_ms(args, device) if aug_median is not None else None
        if step_ms is not None:
            share = aug_median / (aug_median + step_ms)
            rows.append(
                {
                    **common,
                    "case": "deepstarr_train_step",
                    "impl": f"augmentation share {share:.1%}",
                    "ms_median": step_ms,
                    "seqs_per_s": args.batch / step_ms * 1e3,
                }
            )
    return rows


def format_value(key: str, value) -> str:
    if value is None:
        return ""
    if key.startswith("ms_"):
        return f"{value:.3f}"
    if key == "seqs_per_s":
        return f"{value:,.0f}"
    if key.startswith("speedup"):
        return f"{value:.1f}x"
    return str(value)


def markdown(rows: list[dict]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows:
        lines.append("| " + " | ".join(format_value(k, row.get(k)) for k in COLUMNS) + " |")
    return "\n".join(lines)


def tsv(rows: list[dict]) -> str:
    lines = ["\t".join(COLUMNS)]
    for row in rows:
        lines.append("\t".join("" if row.get(k) is None else str(row[k]) for k in COLUMNS))
    return "\n".join(lines) + "\n"


def reference_state(args) -> str:
    if ref_augment is None:
        return "evoaug not importable (run with the benchmark environment's python)"
    return "skipped (--no-reference)" if args.no_reference else "evoaug 1.0.6, same process"


def main(argv=None) -> int:
    args = parse_args(argv)
    load_before = os.getloadavg()[0]
    rows = run(args)
    print(
        f"batch {args.batch} x 4 x {args.length}, {args.repeats} alternating calls per "
        f"case after {args.warmup} warm-up; torch {torch.__version__}; speedup = reference "
        f"ms / ours ms at each statistic, paired = median of per-pair ratios; reference: "
        f"{reference_state(args)}; 1-min load average {load_before:.2f} before, "
        f"{os.getloadavg()[0]:.2f} after, {os.cpu_count()} cores"
    )
    print(markdown(rows))
    if args.out is not None:
        write_text_atomic(args.out, tsv(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())

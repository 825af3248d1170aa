"""Benchmark: scoring a trained model in its own process, or in the training job's.

Before, rule ``evaluate_model`` scored every model in a job of its own: a new Python
process that imports torch and the package, scores the validation and test splits and
exits. Now the training job scores its kept model before it exits
(``evoaugflow.train.run(..., evaluation=...)``), in a process that has torch loaded.
For each ``model.pt`` given (with its data set's h5), this times, alternately,

- ``process``: ``python -c`` importing ``evoaugflow.evaluate`` and calling
  ``evaluate_run`` (wall time of the whole process, start and exit included; Snakemake's
  own start of a job script is not included), and
- ``in_job``: ``evaluate_run`` in this process, where torch is already imported,

and prints the median seconds of each, the median of the paired differences (the time a
separate evaluation job costs over evaluating in the training job) and their ratio. Both
write the same table (checked).

Usage::

    python benchmarks/evaluate_in_job.py MODEL_PT DATA_H5 [MODEL_PT DATA_H5 ...]
        [--repeats 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUN = {"dataset": "bench", "augset": "bench", "stage": "stage1", "seed": 0}

CHILD = (
    "import sys, torch\n"
    "from evoaugflow.evaluate import evaluate_run\n"
    "torch.set_num_threads(int(sys.argv[4]))\n"
    "evaluate_run(sys.argv[1], sys.argv[2], sys.argv[3], {run!r}, device='cpu')\n"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pairs", nargs="+", help="model.pt and data.h5, alternating")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    if len(args.pairs) % 2:
        parser.error("give model.pt and data.h5 in pairs")
    import torch

    from evoaugflow.evaluate import evaluate_run

    torch.set_num_threads(args.threads)
    pairs = list(zip(args.pairs[::2], args.pairs[1::2], strict=True))
    child = CHILD.format(run=RUN)
    times = {"process": [], "in_job": []}
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeats):
            for index, (model, data) in enumerate(pairs):
                separate = Path(tmp, f"process_{index}.tsv")
                inside = Path(tmp, f"in_job_{index}.tsv")
                start = time.perf_counter()
                subprocess.run(
                    [sys.executable, "-c", child, model, data, str(separate), str(args.threads)],
                    check=True,
                    stdout=subprocess.DEVNULL,
                )
                times["process"].append(time.perf_counter() - start)
                start = time.perf_counter()
                evaluate_run(model, data, inside, RUN, device="cpu")
                times["in_job"].append(time.perf_counter() - start)
                if separate.read_bytes() != inside.read_bytes():
                    raise SystemExit(f"{model}: the two evaluations differ")
    saved = [p - i for p, i in zip(times["process"], times["in_job"], strict=True)]
    process, in_job = statistics.median(times["process"]), statistics.median(times["in_job"])
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print("| models | repeats | process s | in_job s | saved per model s | ratio |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {len(pairs)} | {args.repeats} | {process:.2f} | {in_job:.2f} | "
        f"{statistics.median(saved):.2f} | {process / in_job:.1f}x |"
    )


if __name__ == "__main__":
    main()

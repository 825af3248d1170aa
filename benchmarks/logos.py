"""Benchmark: a grid of 32 filter logos, drawn by Logomaker and by evoaugflow.plots.logo.

Times :func:`evoaugflow.attribution.plot_filter_logos` (32 Basset-width filters of 19
positions, the size of rule match_filters' figure, PNG included) twice per repeat: once
with each panel drawn by ``logomaker.Logo`` (a patch per glyph, as before) and once by
:func:`evoaugflow.plots.logo.draw_logo` (a patch per letter, the same outlines). The two
alternate, so load changes hit both alike; the table gives the median seconds of each and
the median of the paired ratios.

Usage::

    python benchmarks/logos.py [--repeats 3] [--filters 32] [--width 19] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from evoaugflow import attribution
from evoaugflow.meme import Motif


def draw_with_logomaker(ax, frame: pd.DataFrame) -> None:
    """The previous drawing: one Logomaker glyph (TextPath and patch) per letter."""
    import logomaker
    from matplotlib.ticker import MaxNLocator

    logomaker.Logo(frame, ax=ax, color_scheme="classic", baseline_width=0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--filters", type=int, default=32)
    parser.add_argument("--width", type=int, default=19)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    rng = np.random.default_rng(0)
    motifs = [
        Motif(f"filter{i}", f"filter{i}", rng.dirichlet(np.full(4, 0.5), size=args.width), 100)
        for i in range(args.filters)
    ]
    no_matches = pd.DataFrame({"Query_ID": [], "Target_name": [], "q-value": []})
    ours = attribution._draw_logo
    drawers = {"logomaker": draw_with_logomaker, "evoaugflow": ours}
    seconds = {name: [] for name in drawers}
    with tempfile.TemporaryDirectory() as folder:
        for repeat in range(args.repeats + 1):
            for name, drawer in drawers.items():
                attribution._draw_logo = drawer
                start = time.perf_counter()
                attribution.plot_filter_logos(motifs, no_matches, Path(folder, f"{name}.png"))
                if repeat:  # the first round warms fonts and caches, untimed
                    seconds[name].append(time.perf_counter() - start)
    attribution._draw_logo = ours
    ratios = [a / b for a, b in zip(seconds["logomaker"], seconds["evoaugflow"], strict=True)]
    print(f"{args.filters} logos of {args.width} positions, {args.repeats} repeats")
    print("| drawer | median s | min s |")
    print("|---|---|---|")
    for name, values in seconds.items():
        print(f"| {name} | {statistics.median(values):.2f} | {min(values):.2f} |")
    print(f"paired ratio logomaker / evoaugflow: median {statistics.median(ratios):.1f}x")


if __name__ == "__main__":
    main()

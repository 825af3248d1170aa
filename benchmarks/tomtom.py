"""Benchmark: Tomtom of 300 filter-like motifs against JASPAR 2022 CORE vertebrates.

Times :func:`evoaugflow.tomtom.tomtom` (memelite p-values plus MEME-style q-values) on 300
random position probability matrices of width 19 (Basset's first-layer width) against the
841 JASPAR motifs minus the two excluded ones. The first call includes numba's compile
(or its load from the on-disk cache); the warm time is the median of the next calls.

Usage::

    python benchmarks/tomtom.py [--queries 300] [--width 19] [--repeats 3] [--seed 0]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from evoaugflow.jaspar import export_meme, fetch_motifs
from evoaugflow.meme import Motif, read_meme
from evoaugflow.tomtom import _memelite_tomtom, best_matches, storey_qvalues, tomtom


def random_filters(n_queries: int, width: int, seed: int) -> list[Motif]:
    """Filter-like PPMs: Dirichlet(0.5) columns, sharper than uniform, with 50-500 sites."""
    rng = np.random.default_rng(seed)
    pfms = rng.dirichlet(np.full(4, 0.5), size=(n_queries, width))
    nsites = rng.integers(50, 500, size=n_queries)
    return [
        Motif(f"filter{index}", f"filter{index}", pfm, nsites=int(sites))
        for index, (pfm, sites) in enumerate(zip(pfms, nsites, strict=True))
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--width", type=int, default=19)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "jaspar.meme")
        export_meme(path)
        targets = read_meme(path)
    queries = random_filters(args.queries, args.width, args.seed)
    # Planted control: the CTCF matrix itself must come back as its own best match.
    queries[0] = Motif("filter0", "filter0", fetch_motifs("MA0139.1")[0].pfm, nsites=300)

    start = time.perf_counter()
    table = tomtom(queries, targets)
    first = time.perf_counter() - start

    warm = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        table = tomtom(queries, targets)
        warm.append(time.perf_counter() - start)

    # Where the warm time goes: memelite alone, and the q-values alone.
    kernel = _memelite_tomtom()
    query_arrays = [np.ascontiguousarray(m.pfm.T) for m in queries]
    target_arrays = [np.ascontiguousarray(m.pfm.T) for m in targets]
    target_arrays += [a[::-1, ::-1].copy() for a in target_arrays]
    start = time.perf_counter()
    raw_p = kernel(query_arrays, target_arrays, reverse_complement=False)[0]
    kernel_time = time.perf_counter() - start
    start = time.perf_counter()
    storey_qvalues(raw_p * (2 - raw_p))
    qvalue_time = time.perf_counter() - start

    best = best_matches(table, q_threshold=0.05)
    top = table[table["Query_ID"] == "filter0"].iloc[0]
    print(f"queries x targets      : {len(queries)} x {table['Target_ID'].nunique()}")
    print(f"first call (compile)   : {first:.2f} s")
    print(f"warm calls             : {', '.join(f'{t:.2f}' for t in warm)} s")
    print(f"warm median            : {statistics.median(warm):.2f} s (target <= 2 s)")
    print(f"  memelite kernel      : {kernel_time:.2f} s")
    print(f"  q-values (Storey)    : {qvalue_time:.3f} s")
    print(f"queries matched q<0.05 : {len(best)}")
    print(
        f"CTCF control best hit  : {top['Target_ID']} {top['Target_name']} q={top['q-value']:.2e}"
    )


if __name__ == "__main__":
    main()

"""Measure the REST ChIP-seq set that grounds the ChIP-like benchmark (docs/benchmark.md).

Scans every window of ../shared/data/REST_200.h5 (all splits) for the REST motif (JASPAR
MA0138.2, offline from pyjaspar) and prints, per class, the statistics of
:func:`evoaugflow.synthetic.site_statistics`; with ``--synthetic DIR`` also those of a
ChIP-like set built by the workflow (``DIR/data.h5``) for the same motif.

Usage: ``python benchmarks/rest_scan.py [--data PATH] [--synthetic results/data/chip_synth]``
"""

import argparse

import h5py
import numpy as np
import pandas as pd

from evoaugflow.jaspar import fetch_motifs
from evoaugflow.synthetic import motif_threshold, site_statistics


def _read(path):
    with h5py.File(path, "r") as handle:
        keys = {key.lower(): key for key in handle}
        x = np.concatenate([handle[keys[f"x_{s}"]][:] for s in ("train", "valid", "test")])
        y = np.concatenate([handle[keys[f"y_{s}"]][:] for s in ("train", "valid", "test")])
    return x, y


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data/REST_200.h5")
    parser.add_argument("--synthetic", default=None)
    parser.add_argument("--motif", default="MA0138")
    args = parser.parse_args()
    motif = fetch_motifs([args.motif], release="JASPAR2022")[0]
    threshold, _ = motif_threshold(motif)
    print(f"motif {motif.id} {motif.name}, width {motif.width}, strong hit >= {threshold:.2f}")
    tables = [site_statistics(*_read(args.data), motif).assign(set=args.data)]
    if args.synthetic:
        tables.append(
            site_statistics(*_read(f"{args.synthetic}/data.h5"), motif).assign(set=args.synthetic)
        )
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(pd.concat(tables, ignore_index=True).round(3).T.to_string())


if __name__ == "__main__":
    main()

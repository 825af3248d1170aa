"""The finished cells of a results folder while its run goes on, one row per model.

The workflow's summaries wait for every cell of the grid; a long run
(``config/benchmark.yaml`` on a CPU takes many hours) has finished models long before.
This script reads what is already written, and nothing else:

- the test metrics of ``results/evaluate/<dataset>/<augset>/<seed>/<stage>.tsv`` (the
  task mean of each metric);
- the filter summaries (``results/filters/.../summary.tsv``): hit rate, planted and
  causal recovery as a count and a fraction (``6 (1.00)``), and the names;
- the attribution AUROC at planted positions, and at the sites of the motifs the
  explained output depends on (``results/attribution/.../scores.tsv``).

Usage::

    python benchmarks/finished_cells.py results          # markdown, one table per kind
    python benchmarks/finished_cells.py results --out cells.tsv

Rows come in the summaries' order (data set, augmentation set with the baseline first,
stage, seed); a model without one of
the analyses has empty cells there.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from evoaugflow.summary import sort_runs

KEYS = ["dataset", "augset", "stage", "seed"]


def _read(paths, what: str) -> pd.DataFrame:
    frames = [pd.read_csv(path, sep="\t") for path in paths]
    if not frames:
        return pd.DataFrame(columns=KEYS)
    table = pd.concat(frames, ignore_index=True)
    missing = [key for key in KEYS if key not in table.columns]
    if missing:
        raise SystemExit(
            f"{what}: the tables lack {missing}; is this an evoaugflow results folder?"
        )
    return table


def _recovered(table: pd.DataFrame, kind: str) -> list[str]:
    """``<kind>_recovery`` as the number of motifs recovered and the fraction of them."""
    names = table[f"{kind}_recovered"].fillna("").astype(str)
    found = names.map(lambda text: len([name for name in text.split(",") if name]))
    return [
        "" if pd.isna(fraction) else f"{count} ({fraction:.2f})"
        for count, fraction in zip(found, table[f"{kind}_recovery"], strict=True)
    ]


def metrics(results: Path) -> pd.DataFrame:
    """Test metrics, the task mean, one column per metric."""
    table = _read(sorted(results.glob("evaluate/*/*/*/*.tsv")), "evaluate")
    if table.empty:
        return pd.DataFrame(columns=KEYS)
    test = table[(table["split"] == "test") & (table["task"].astype(str) == "mean")]
    return test.pivot_table(index=KEYS, columns="metric", values="value").reset_index()


def filters(results: Path) -> pd.DataFrame:
    """Filter summaries with the recoveries written as counts."""
    table = _read(sorted(results.glob("filters/*/*/*/*/summary.tsv")), "filters")
    if table.empty:
        return pd.DataFrame(columns=KEYS)
    out = table[KEYS + ["hit_rate"]].copy()
    for kind in ("planted", "causal"):
        if f"{kind}_recovery" not in table:
            continue  # written by an older version: rerun match_filters
        out[kind] = _recovered(table, kind)
        out[f"{kind}_recovered"] = table[f"{kind}_recovered"].fillna("")
    return out


def attribution(results: Path) -> pd.DataFrame:
    """Attribution AUROC at planted positions and the number of sequences it used."""
    table = _read(sorted(results.glob("attribution/*/*/*/*/scores.tsv")), "attribution")
    if table.empty:
        return pd.DataFrame(columns=KEYS)
    measures = [name for name in ("attribution_auroc", "causal_attribution_auroc") if name in table]
    return table[KEYS + ["n_sequences", *measures]]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="a results folder (results/)")
    parser.add_argument("--out", type=Path, help="also write the joined table as TSV")
    args = parser.parse_args(argv)
    if not args.results.is_dir():
        parser.error(f"{args.results} is not a folder; pass the run's results/ folder")
    tables = {
        "test metrics": metrics(args.results),
        "filters": filters(args.results),
        "attribution": attribution(args.results),
    }
    for name, table in tables.items():
        if table.empty:
            print(f"## {name}: no finished model yet\n")
            continue
        table = sort_runs(table)
        print(f"## {name}\n")
        print(table.to_markdown(index=False, floatfmt=".3f"))
        print()
    if args.out is not None:
        joined = None
        for table in tables.values():
            if not table.empty:
                joined = table if joined is None else joined.merge(table, on=KEYS, how="outer")
        if joined is None:
            print("nothing to write", file=sys.stderr)
            return 1
        sort_runs(joined).to_csv(args.out, sep="\t", index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())

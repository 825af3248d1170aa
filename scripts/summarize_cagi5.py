"""Rule summarize_cagi5: per-element CAGI5 correlations of every model, table and figure."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow import plots, summary

table = summary.sort_runs(summary.collect(list(snakemake.input), "cagi5"))
summary.write_tsv(table, snakemake.output.table)
plots.plot_cagi(table[table["element"] != "mean"], snakemake.output.figure)
print(table.to_string())

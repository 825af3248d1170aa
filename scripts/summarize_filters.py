"""Rule summarize_filters: filter hit rates of every model, as a table and a figure."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow import plots, summary

table = summary.sort_runs(summary.collect(snakemake.input.summaries, "filters"))
summary.write_tsv(table, snakemake.output.table)
plots.plot_filter_summary(table, snakemake.output.figure)
print(table.to_string())

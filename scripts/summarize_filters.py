"""Rule summarize_filters: filter hit rates of every model, as a table and a figure."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow.summarize import summarize_filters

summarize_filters(snakemake.input.summaries, snakemake.output.table, snakemake.output.figure)

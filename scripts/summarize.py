"""Rule summarize: tidy metrics, comparison tables and figures over the whole grid."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow.summarize import summarize_grid

summarize_grid(
    snakemake.input.metrics,
    snakemake.input.histories,
    snakemake.params.runs,
    snakemake.input.oracle,
    snakemake.params.datasets,
    snakemake.params.swept,
    snakemake.output.metrics,
    snakemake.output.history,
    snakemake.output.comparison,
    snakemake.output.datasize,
    split=snakemake.params.split,
)

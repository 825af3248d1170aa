"""Rule summarize_cagi5: per-element CAGI5 correlations of every model, table and figure."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow.summarize import summarize_cagi5

summarize_cagi5(list(snakemake.input), snakemake.output.table, snakemake.output.figure)

"""Rules summarize_attribution and summarize_cagi5: stack per-run tables into one."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow.summarize import stack_tables

stack_tables(list(snakemake.input), snakemake.output[0], snakemake.params.get("kind"))

"""Rules summarize_attribution and summarize_cagi5: stack per-run tables into one."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow import summary

table = summary.sort_runs(summary.collect(list(snakemake.input), snakemake.params.get("kind")))
summary.write_tsv(table, snakemake.output[0])
print(table.to_string())

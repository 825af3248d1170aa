"""Rule cost_table: seconds per epoch and peak memory of the main grid (Tables S2-S3)."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow import cost, summary

table = cost.cost_table(
    snakemake.params.runs, snakemake.input.benchmarks, snakemake.input.histories
)
summary.write_tsv(table, snakemake.output.table)
print(table.to_string())

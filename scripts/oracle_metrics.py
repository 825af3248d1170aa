"""Rule oracle_metrics: the metrics of a synthetic task's truth function on its own labels."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow import summary, synthetic

table = synthetic.oracle_metrics(
    snakemake.params.source,
    snakemake.input.data,
    snakemake.input.truth,
    snakemake.params.panel,
    release=snakemake.params.release,
    focal=snakemake.params.focal,
)
print(table.to_string())
summary.write_tsv(table, snakemake.output[0])

"""Rule oracle_metrics: the metrics of a synthetic task's truth function on its own labels."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow.synthetic import write_oracle_metrics

write_oracle_metrics(
    snakemake.params.source,
    snakemake.input.data,
    snakemake.input.truth,
    snakemake.output[0],
    snakemake.params.panel,
    release=snakemake.params.release,
    focal=snakemake.params.focal,
)

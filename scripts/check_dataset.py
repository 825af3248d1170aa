"""Rule check_dataset: every value of a data set, once, before any training job reads it."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow.config import check_dataset_job

check_dataset_job(
    snakemake.config, snakemake.wildcards.dataset, snakemake.input.data, snakemake.output.summary
)

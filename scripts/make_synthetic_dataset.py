"""Rule make_synthetic_dataset: the DeepSTARR-like or Basset-like benchmark task."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow.synthetic import make_dataset

make_dataset(
    snakemake.params.kind,
    snakemake.output.h5,
    snakemake.output.truth,
    snakemake.params.panel,
    release=snakemake.params.release,
    seed=snakemake.params.seed,
    **snakemake.params.settings,
)

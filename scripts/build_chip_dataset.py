"""Rule build_chip_dataset: a balanced 200 nt data set from ChIP peaks, accessible peaks and a genome."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow.chip import build_chip_dataset

build_chip_dataset(
    snakemake.input.chip,
    snakemake.input.accessible,
    snakemake.input.genome,
    snakemake.output.h5,
    snakemake.output.regions,
    window=snakemake.params.window,
    seed=snakemake.params.seed,
    log=print,
)

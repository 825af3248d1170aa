"""Rule make_synthetic_chip: a synthetic genome with ChIP-like and DNase-like peaks."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from pathlib import Path

from evoaugflow.synthetic import make_chip_benchmark

make_chip_benchmark(
    Path(snakemake.output.genome).parent,
    snakemake.params.panel,
    release=snakemake.params.release,
    seed=snakemake.params.seed,
    **snakemake.params.settings,
)

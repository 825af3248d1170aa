"""Rule make_synthetic_cagi: saturation mutagenesis of Basset-like elements, true effects known."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from pathlib import Path

from evoaugflow.synthetic import make_cagi_benchmark

print(
    make_cagi_benchmark(
        Path(snakemake.output.elements).parent,
        snakemake.params.panel,
        n_elements=snakemake.params.n_elements,
        n_tasks=snakemake.params.n_tasks,
        seed=snakemake.params.seed,
        release=snakemake.params.release,
    )
)

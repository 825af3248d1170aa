"""Rule plot_attribution: logos of the top sequence, one row per model, side by side."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow.attribution import plot_attribution_files

plot_attribution_files(
    snakemake.input.arrays,
    snakemake.params.labels,
    snakemake.output[0],
    title=f"{snakemake.wildcards.dataset} seed {snakemake.wildcards.seed}: test sequence {{index}}",
)

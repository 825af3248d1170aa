"""Rule plot_attribution: logos of the top sequence, one row per model, side by side."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

import numpy as np

from evoaugflow.attribution import plot_attribution_logos

arrays, sequence = {}, None
for label, path in zip(snakemake.params.labels, snakemake.input.arrays, strict=False):
    with np.load(path) as saved:
        arrays[label] = saved["attributions"][0]
        sequence = saved["x"][0]
        index = int(saved["index"][0])
plot_attribution_logos(
    arrays,
    snakemake.output[0],
    title=f"{snakemake.wildcards.dataset} seed {snakemake.wildcards.seed}: test sequence {index}",
    x=sequence,
)

"""Rule attribute: corrected GradientShap maps of the top-activity test sequences."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow.attribution import attribute_top_sequences

settings = snakemake.params.settings
attribute_top_sequences(
    snakemake.input.model,
    snakemake.input.data,
    snakemake.output.arrays,
    snakemake.output.scores,
    snakemake.params.run,
    output=settings["output"],
    n_sequences=settings["n_sequences"],
    n_references=settings["n_references"],
    n_samples=settings["n_samples"],
    truth_path=snakemake.input.truth or None,
    causal=snakemake.params.causal,
    device=snakemake.params.device,
    threads=snakemake.threads,
)

"""Rule extract_filters: first-layer filters to PPMs by activation-based alignment."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow.filters import extract_filters

extract_filters(
    snakemake.input.model,
    snakemake.input.data,
    snakemake.output.meme,
    snakemake.output.table,
    split=snakemake.params.split,
    threshold=snakemake.params.threshold,
    device=snakemake.params.device,
    threads=snakemake.threads,
)

"""Rule match_filters: Tomtom of filter PPMs against JASPAR, with MEME-style q-values."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow.filters import match_filters

params = snakemake.params
match_filters(
    snakemake.input.meme,
    snakemake.input.table,
    snakemake.input.jaspar,
    snakemake.output.matches,
    snakemake.output.summary,
    snakemake.output.logos,
    params.run,
    q_threshold=params.q_threshold,
    exclude=params.exclude,
    use_meme_binary=params.use_meme_binary,
    planted=params.planted,
    release=params.release,
    causal=params.causal,
)

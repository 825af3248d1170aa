"""Rule score_cagi5: zero-shot variant effects of one model, correlated per element."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow.variants import score_cagi5_file

score_cagi5_file(
    snakemake.input.model,
    snakemake.output.variants,
    snakemake.output.elements,
    snakemake.params.run,
    source=snakemake.params.source,
    tables=snakemake.input.get("tables"),
    genome=snakemake.input.get("genome"),
    onehot=snakemake.input.get("onehot"),
    metadata=snakemake.input.get("metadata"),
    device=snakemake.params.device,
    rc_average=snakemake.params.rc_average,
    threads=snakemake.threads,
)

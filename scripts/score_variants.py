"""Rule score_variants: effects of the SNVs of a VCF under one trained model."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow.variants import score_vcf_file

score_vcf_file(
    snakemake.input.model,
    snakemake.input.vcf,
    snakemake.input.genome,
    snakemake.output.effects,
    snakemake.output.skipped,
    device=snakemake.params.device,
    threads=snakemake.threads,
)

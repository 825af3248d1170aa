"""Rule score_variants: effects of the SNVs of a VCF under one trained model."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

import pandas as pd
import torch

from evoaugflow.io import atomic_path
from evoaugflow.train import load_model
from evoaugflow.variants import score_vcf

torch.set_num_threads(snakemake.threads)
model, augmenter, meta = load_model(snakemake.input.model)
effects, skipped = score_vcf(
    model,
    augmenter,
    meta["task"],
    snakemake.input.vcf,
    snakemake.input.genome,
    length=meta["sequence_length"],
    device=snakemake.params.device,
)
print(f"{len(effects)} SNVs scored; skipped: {skipped}")
with atomic_path(snakemake.output.effects) as tmp:
    effects.to_csv(tmp, sep="\t", index=False)
with atomic_path(snakemake.output.skipped) as tmp:
    pd.Series(skipped, name="count").rename_axis("reason").to_csv(tmp, sep="\t")

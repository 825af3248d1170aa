"""Rule score_cagi5: zero-shot variant effects of one model, correlated per element."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

import pandas as pd
import torch

from evoaugflow.io import atomic_path
from evoaugflow.train import load_model
from evoaugflow.variants import (
    cagi_correlations,
    load_cagi_onehot,
    score_cagi,
    score_variant_effects,
)

torch.set_num_threads(snakemake.threads)
model, augmenter, meta = load_model(snakemake.input.model)
length = meta["sequence_length"]
if snakemake.params.source == "onehot":
    ref, alt, variants = load_cagi_onehot(
        snakemake.input.onehot, snakemake.input.metadata, length=length
    )
    effects = score_variant_effects(
        model,
        ref,
        alt,
        meta["task"],
        augmenter=augmenter,
        device=snakemake.params.device,
        rc_average=snakemake.params.rc_average,
    )
    variants = pd.concat([variants.reset_index(drop=True), effects], axis=1)
    per_element = cagi_correlations(variants)
else:
    variants, per_element = score_cagi(
        model,
        augmenter,
        meta["task"],
        snakemake.input.tables,
        snakemake.input.genome,
        length=length,
        device=snakemake.params.device,
        rc_average=snakemake.params.rc_average,
    )
for position, (key, value) in enumerate(snakemake.params.run.items()):
    per_element.insert(position, key, value)
print(per_element.to_string())
with atomic_path(snakemake.output.variants) as tmp:
    variants.to_csv(tmp, sep="\t", index=False)
with atomic_path(snakemake.output.elements) as tmp:
    per_element.to_csv(tmp, sep="\t", index=False)

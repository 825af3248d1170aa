"""Rule extract_filters: first-layer filters to PPMs by activation-based alignment."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

import torch

from evoaugflow.data import load_dataset
from evoaugflow.filters import filter_motifs, write_filter_motifs
from evoaugflow.train import load_model

torch.set_num_threads(snakemake.threads)
model, augmenter, _ = load_model(snakemake.input.model)
x, _ = load_dataset(snakemake.input.data).split(snakemake.params.split)
motifs, counts = filter_motifs(
    model,
    x,
    threshold=snakemake.params.threshold,
    device=snakemake.params.device,
    augmenter=augmenter,
)
print(f"{len(counts)} filters, {int((counts > 0).sum())} with sites, {int(counts.sum())} sites")
write_filter_motifs(snakemake.output.meme, snakemake.output.table, motifs, counts)

"""Rule extract_filters: first-layer filters to PPMs by activation-based alignment."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

import torch

from evoaugflow.data import load_dataset
from evoaugflow.filters import (
    filter_motifs,
    first_layer_problem,
    write_filter_motifs,
    write_no_filters,
)
from evoaugflow.train import load_model

torch.set_num_threads(snakemake.threads)
model, augmenter, _ = load_model(snakemake.input.model)
problem = first_layer_problem(model)
if problem is not None:
    # A user model without a convolutional first layer: empty outputs that say why.
    print(f"no filters: {problem}")
    write_no_filters(snakemake.output.meme, snakemake.output.table, problem)
    raise SystemExit(0)
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

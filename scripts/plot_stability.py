"""Rule plot_stability: stage-1 validation loss by epoch per augmentation set (Fig. S7)."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow import summary
from evoaugflow.plots import plot_stability

history = summary.collect(snakemake.input.history, "history")
# The full-size runs only: the data-size copies train on other data.
if "train_size" in history.columns:
    history = history[history["train_size"].isna()]
plot_stability(history, snakemake.output.figure, dataset=snakemake.wildcards.dataset)

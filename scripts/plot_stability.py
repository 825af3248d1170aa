"""Rule plot_stability: stage-1 validation loss by epoch per augmentation set (Fig. S7)."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow import summary, sweep

history = summary.collect(snakemake.input.history, "history")
# The full-size runs only: the data-size copies train on other data.
if "train_size" in history.columns:
    history = history[history["train_size"].isna()]
sweep.plot_stability(history, snakemake.output[0], dataset=snakemake.wildcards.dataset)

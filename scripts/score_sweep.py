"""Rule score_sweep: the grid's validation scores, per-panel picks and figure (Figs S1-S5)."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow import summary
from evoaugflow.plots import plot_sweep
from evoaugflow.sweep import selection

settings = snakemake.params.settings
scores, picks = selection.grid_picks(
    summary.collect(snakemake.input.metrics, "metrics"), settings["sweep"]
)
summary.write_tsv(scores, snakemake.output.scores)
summary.write_tsv(picks, snakemake.output.picks)
plot_sweep(scores, snakemake.output.figure, dataset=settings["dataset"], picks=picks)
print(picks.to_string())

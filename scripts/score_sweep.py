"""Rule score_sweep: the grid's validation scores, per-panel picks and figure (Figs S1-S5)."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow.sweep.outputs import write_grid

picks = write_grid(
    snakemake.input.metrics,
    snakemake.params.settings,
    snakemake.output.scores,
    snakemake.output.picks,
    snakemake.output.figure,
)
print(picks.to_string())

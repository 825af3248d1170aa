"""Rule map_chip_truth: planted motif sites in the coordinates of each data-set window."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow.chip import write_window_truth

write_window_truth(snakemake.input.truth, snakemake.input.regions, snakemake.output[0])

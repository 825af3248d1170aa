"""Rule map_chip_truth: planted motif sites in the coordinates of each data-set window."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow.chip import map_truth_to_windows
from evoaugflow.io import atomic_path

truth = map_truth_to_windows(snakemake.input.truth, snakemake.input.regions)
print(f"{len(truth)} planted sites inside data-set windows")
with atomic_path(snakemake.output[0]) as tmp:
    truth.to_csv(tmp, sep="\t", index=False)

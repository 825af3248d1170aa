"""Rule controls_table: stage-1 and finetune effect of each augmentation on the controls."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow.summary.controls import write_controls

write_controls(
    snakemake.input.comparison,
    snakemake.params.datasets,
    snakemake.params.augsets,
    snakemake.output.table,
    snakemake.output.figure,
)

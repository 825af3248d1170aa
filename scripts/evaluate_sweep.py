"""Rule evaluate_sweep: validation-split metrics of one sweep model, as a tidy TSV."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow.evaluate import evaluate_run
from evoaugflow.sweep import SWEEP_SPLIT

# The data are the train/valid-only view (rule hold_out_test); only "valid" is scored.
run = snakemake.params.run
evaluate_run(
    snakemake.input.model,
    snakemake.input.data,
    snakemake.output.table,
    run,
    splits=(SWEEP_SPLIT,),
    device=run["device"],
    threads=snakemake.threads,
)

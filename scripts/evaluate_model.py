"""Rule evaluate_model: validation- and test-set metrics of one trained model, as a tidy TSV."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow.evaluate import evaluate_run

run = snakemake.params.run
evaluate_run(
    snakemake.input.model,
    snakemake.input.data,
    snakemake.output.table,
    run,
    splits=("valid", "test"),
    device=run["device"],
    threads=snakemake.threads,
)

"""Rule pick_sweep: the Optuna study's best trial as best_config.yaml, its trials and figures."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow.sweep.outputs import write_search

study = write_search(
    snakemake.params.journal,
    snakemake.params.settings,
    snakemake.output.fragment,
    snakemake.output.trials,
    snakemake.output.history,
    snakemake.output.importance,
)
print(f"best trial {study.best_trial.number}: {study.best_value:.4f} {study.best_params}")

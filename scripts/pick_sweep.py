"""Rule pick_sweep: the Optuna study's best trial as best_config.yaml, its trials and figures."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow.plots import plot_optuna
from evoaugflow.sweep import search

study = search.pick(
    snakemake.params.journal,
    snakemake.params.settings,
    snakemake.output.fragment,
    snakemake.output.trials,
)
plot_optuna(study, snakemake.output.history, snakemake.output.importance)
print(f"best trial {study.best_trial.number}: {study.best_value:.4f} {study.best_params}")

"""Rule sweep_worker: one worker of a data set's Optuna study (train and valid splits only)."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from pathlib import Path

from evoaugflow import summary
from evoaugflow.sweep import search

search.set_threads(snakemake.threads)
table = search.run_worker(
    snakemake.params.settings,
    snakemake.input.data,
    snakemake.params.journal,
    int(snakemake.wildcards.worker),
    scratch=Path(snakemake.output.trials).parent,
    verbose=True,
)
summary.write_tsv(table, snakemake.output.trials)
print(table.to_string())

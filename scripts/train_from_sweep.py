"""Rule train_from_sweep: stage 1 of a from_sweep set, with the settings its sweep chose.

The Augmenter spec comes from results/sweep/<dataset>/best_config.yaml, read when the
job runs (the file does not exist yet when Snakemake builds the DAG); the training is
scripts/train_model.py, run unchanged with that spec in place of the empty one (it reopens the log, so this
log holds only errors raised before training starts).
"""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

import runpy
from pathlib import Path

from evoaugflow import config as grid
from evoaugflow.io import load_yaml

run = snakemake.params.run
fragment = load_yaml(snakemake.input.fragment)
run["augment"] = grid.sweep_augment_spec(fragment, run["sweep_dataset"], run["augment_params"])
runpy.run_path(
    str(Path(snakemake.scriptdir) / "train_model.py"),
    init_globals={"snakemake": snakemake},
    run_name="__main__",
)

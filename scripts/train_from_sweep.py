"""Rule train_from_sweep: stage 1 of a from_sweep set, with the settings its sweep chose.

The Augmenter spec comes from results/sweep/<dataset>/best_config.yaml, read when the
job runs (the file does not exist yet when Snakemake builds the DAG); the rest is the
training of scripts/train_model.py.
"""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from pathlib import Path

from evoaugflow import config as grid
from evoaugflow import train
from evoaugflow.io import load_yaml

run = snakemake.params.run
fragment = load_yaml(snakemake.input.fragment)
run["augment"] = grid.sweep_augment_spec(fragment, run["sweep_dataset"], run["augment_params"])
train.run(
    run,
    snakemake.input.data,
    Path(snakemake.output.model).parent,
    threads=snakemake.threads,
    gpu=snakemake.resources.get("gpu", 0),
    evaluation=snakemake.output.table,
    identity=snakemake.params.identity,
)

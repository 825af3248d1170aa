"""Rule train_model / finetune_model: one training stage of one grid cell, then its metrics.

The sweep's trials (train_sweep, finetune_sweep) have no `table` output: they are
scored on the validation split alone by rule evaluate_sweep.
"""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from pathlib import Path

from evoaugflow import train

train.run(
    snakemake.params.run,
    snakemake.input.data,
    Path(snakemake.output.model).parent,
    init=snakemake.input.get("init"),
    threads=snakemake.threads,
    gpu=snakemake.resources.get("gpu", 0),
    evaluation=snakemake.output.get("table"),
    identity=snakemake.params.get("identity"),
)

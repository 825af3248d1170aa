"""Rules train_model, finetune_model, train_and_finetune: training stages, then metrics.

train_and_finetune trains a cell's stage 1, then its finetune from the kept stage-1
model, in this one process; each stage writes its own log (log.stage1, log.finetune).
The sweep's trials (train_sweep, finetune_sweep) have no `table` output: they are scored
on the validation split alone by rule evaluate_sweep.
"""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from pathlib import Path

from evoaugflow import train


def train_stage(run, model, table, identity, init):
    train.run(
        run,
        snakemake.input.data,
        Path(model).parent,
        init=init,
        threads=snakemake.threads,
        gpu=snakemake.resources.get("gpu", 0),
        evaluation=table,
        identity=identity,
    )


train_stage(
    snakemake.params.run,
    snakemake.output.model,
    snakemake.output.get("table"),
    snakemake.params.get("identity"),
    snakemake.input.get("init"),
)
if snakemake.params.get("finetune_run") is not None:
    sys.stdout.close()
    sys.stderr = sys.stdout = open(snakemake.log.finetune, "w", buffering=1)
    train_stage(
        snakemake.params.finetune_run,
        snakemake.output.finetune_model,
        snakemake.output.finetune_table,
        snakemake.params.finetune_identity,
        snakemake.output.model,
    )

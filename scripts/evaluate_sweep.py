"""Rule evaluate_sweep: validation-split metrics of one sweep model, as a tidy TSV."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

import torch

from evoaugflow import summary, sweep
from evoaugflow.data import load_dataset
from evoaugflow.train import evaluate

run = snakemake.params.run
torch.set_num_threads(snakemake.threads)
# The data are the train/valid-only view (rule hold_out_test); only "valid" is scored.
data = load_dataset(snakemake.input.data)
table = evaluate(snakemake.input.model, data, split=sweep.SWEEP_SPLIT, device=run["device"])
table.insert(0, "split", sweep.SWEEP_SPLIT)
for position, key in enumerate(("dataset", "augset", "stage", "seed")):
    table.insert(position, key, run[key])
table["train_size"] = None
print(table.to_string())
summary.write_tsv(table, snakemake.output[0])

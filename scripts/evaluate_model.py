"""Rule evaluate_model: test-set metrics of one trained model, as a tidy TSV."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

import pandas as pd
import torch

from evoaugflow.data import load_dataset
from evoaugflow.io import atomic_path
from evoaugflow.train import evaluate

run = snakemake.params.run
torch.set_num_threads(snakemake.threads)
data = load_dataset(snakemake.input.data)
tables = []
for split in ("valid", "test"):
    table = evaluate(snakemake.input.model, data, split=split, device=run["device"])
    table.insert(0, "split", split)
    tables.append(table)
table = pd.concat(tables, ignore_index=True)
for position, key in enumerate(("dataset", "augset", "stage", "seed")):
    table.insert(position, key, run[key])
table["train_size"] = run["train_size"]
print(table.to_string())
with atomic_path(snakemake.output[0]) as tmp:
    table.to_csv(tmp, sep="\t", index=False)

"""Rule attribute: corrected GradientShap maps of the top-activity test sequences."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

import numpy as np
import pandas as pd
import torch

from evoaugflow.attribution import attribution_auroc, gradient_shap, select_top_sequences
from evoaugflow.data import load_dataset
from evoaugflow.io import atomic_path
from evoaugflow.train import load_model

torch.set_num_threads(snakemake.threads)
run, settings = snakemake.params.run, snakemake.params.settings
model, augmenter, _ = load_model(snakemake.input.model)
data = load_dataset(snakemake.input.data)
chosen = select_top_sequences(data.y_test, settings["task"], settings["n_sequences"])
x = data.x_test[torch.as_tensor(chosen)]
attributions = gradient_shap(
    model,
    x,
    task=settings["task"],
    n_references=settings["n_references"],
    n_samples=settings["n_samples"],
    seed=run["seed"],
    device=snakemake.params.device,
    augmenter=augmenter,
)

# Score against the planted truth where there is one: positions inside planted motifs.
score = np.nan
if snakemake.input.truth:
    truth = pd.read_csv(snakemake.input.truth, sep="\t")
    truth = truth[truth["split"] == "test"]
    mask = np.zeros((len(chosen), x.shape[-1]), dtype=bool)
    for row_number, index in enumerate(chosen):
        for site in truth[truth["index"] == index].itertuples():
            mask[row_number, max(site.start, 0) : min(site.end, x.shape[-1])] = True
    if mask.any() and not mask.all():
        score = attribution_auroc(attributions, mask)
print(f"{len(chosen)} sequences, attribution AUROC {score}")

with atomic_path(snakemake.output.arrays, suffix=".npz") as tmp:
    with open(tmp, "wb") as handle:
        np.savez_compressed(handle, attributions=attributions, x=x.numpy(), index=chosen)
row = dict(run, n_sequences=len(chosen), attribution_auroc=score)
with atomic_path(snakemake.output.scores) as tmp:
    pd.DataFrame([row]).to_csv(tmp, sep="\t", index=False)

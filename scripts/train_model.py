"""Rule train_model / finetune_model: one training stage of one grid cell."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from pathlib import Path

import torch

from evoaugflow.augment import Augmenter
from evoaugflow.data import load_dataset
from evoaugflow.models import build_model
from evoaugflow.train import load_model, train_stage

run = snakemake.params.run
# A job that was given a GPU must train on it: "cuda" fails loudly (naming the node) when
# CUDA is not available, instead of silently training on the CPU.
device = "cuda" if snakemake.resources.get("gpu", 0) else run["device"]
torch.set_num_threads(snakemake.threads)
data = load_dataset(
    snakemake.input.data,
    downsample=run["train_size"],
    downsample_mode="random",
    seed=run["data_seed"],
)
if run["stage"] == "stage1":
    augmenter = Augmenter.from_config(run["augment"])
    length = augmenter.output_length(data.sequence_length) if augmenter else data.sequence_length
    model = build_model(run["model"], length, data.n_tasks, task=run["task"], **run["model_kwargs"])
    init_from = None
else:
    # Finetuning starts from the stage-1 best weights, on the original data.
    init_from = snakemake.input.init
    model, _, _ = load_model(init_from)
    augmenter = None

train_stage(
    model,
    data,
    Path(snakemake.output.model).parent,
    task=run["task"],
    augmenter=augmenter,
    stage="pretrain" if run["stage"] == "stage1" else "finetune",
    init_from=init_from,
    seed=run["seed"],
    device=device,
    verbose=True,
    extra_params={key: run[key] for key in ("dataset", "augset", "train_size", "data_seed")},
    **run["recipe"],
)

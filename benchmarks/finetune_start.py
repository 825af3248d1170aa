"""Finetuning with and without its starting weights as a candidate (epoch 0), on real data.

For each seed: stage 1 with the paper's ChIP-seq augmentations, then two finetunes from
the same stage-1 model, ``keep_start=True`` (the default) and ``keep_start=False`` (the
paper's recipe: the best of the finetune's own epochs). Prints one row per seed and
finetune: kept epoch, validation loss, test AUROC and AUPR.

    python benchmarks/finetune_start.py ../shared/data/REST_200.h5 --seeds 0 1 --out /tmp/ft
"""

import argparse
import sys
from pathlib import Path

import pandas as pd
import torch

from evoaugflow.augment import Augmenter
from evoaugflow.data import load_dataset
from evoaugflow.models import get_model
from evoaugflow.train import evaluate, train_stage

# The paper's ChIP-seq augmentations, as the train-step benchmark states them.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_step import PAPER  # noqa: E402

CHIP_AUGMENTS = PAPER["chip"][2]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("h5")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--out", default="results/benchmarks/finetune_start")
    parser.add_argument("--stage1-epochs", type=int, default=15)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = load_dataset(args.h5)
    augmenter = Augmenter.from_config(CHIP_AUGMENTS)
    rows = []
    for seed in args.seeds:
        out = Path(args.out) / str(seed)
        model = get_model("chip", augmenter.output_length(data.sequence_length), data.n_tasks)
        train_stage(
            model,
            data,
            out / "stage1",
            task="binary",
            augmenter=augmenter,
            seed=seed,
            max_epochs=args.stage1_epochs,
            early_stopping_patience=5,
            lr_patience=2,
            device="cpu",
            verbose=True,
        )
        for keep_start in (False, True):
            folder = out / f"finetune_keep_start_{keep_start}"
            summary = train_stage(
                get_model("chip", augmenter.output_length(data.sequence_length), data.n_tasks),
                data,
                folder,
                task="binary",
                stage="finetune",
                init_from=out / "stage1/model.pt",
                keep_start=keep_start,
                lr=1e-4,
                max_epochs=5,
                seed=seed,
                device="cpu",
                verbose=True,
            )
            metrics = evaluate(folder / "model.pt", data, device="cpu")
            means = metrics[metrics["task"] == "mean"].set_index("metric")["value"]
            rows.append(
                {
                    "seed": seed,
                    "keep_start": keep_start,
                    "kept_epoch": summary["best_epoch"],
                    "valid_loss": round(summary["best_valid_loss"], 4),
                    "test_auroc": round(float(means["auroc"]), 4),
                    "test_aupr": round(float(means["aupr"]), 4),
                }
            )
        stage1 = evaluate(out / "stage1/model.pt", data, device="cpu")
        s1 = stage1[stage1["task"] == "mean"].set_index("metric")["value"]
        rows.append(
            {
                "seed": seed,
                "keep_start": "stage 1",
                "kept_epoch": "-",
                "valid_loss": "-",
                "test_auroc": round(float(s1["auroc"]), 4),
                "test_aupr": round(float(s1["aupr"]), 4),
            }
        )
    print(pd.DataFrame(rows).to_markdown(index=False))


if __name__ == "__main__":
    main()

"""Seed spread of one cell of the benchmark: train the same model on the same data per seed.

For issue 15 (power): trains stage 1 of one data set (no augmentation: the baseline cell;
``--augment``: an EvoAug cell) for several seeds with the given settings, on one CPU thread, and prints per seed the test
metric (task mean), the best epoch, the train and valid loss at the best epoch and the
seconds, then the mean and sd over seeds. Run one setting at a time (a loaded machine
makes the seconds comparable only within one run).

``--extra-test H5`` also scores each kept model on every sequence of another h5 file
from the same generator (a larger, independent test set): if the spread over seeds
shrinks there, part of it was the test split's sampling noise, not the models.

``--curves`` also scores every epoch's model on the validation split (the task metric)
and on the test split, prints the per-epoch table, and the test metric and spread had the
trainer kept the epoch of the best validation metric instead of the lowest validation
loss (what the trainer does): it tells noise in the stopping rules from noise in the
data. Scoring the test split every epoch is for this diagnosis only.

Usage::

    python benchmarks/seed_power.py results/data/deepstarr_synth/data.h5 --model deepstarr \
        --task regression --model-kwargs '{"conv_channels": [64, 60, 60, 60], \
        "fc_units": [64, 64]}' --batch-size 32 --max-epochs 12 --seeds 0 1 2
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from evoaugflow.augment import Augmenter
from evoaugflow.data import load_dataset
from evoaugflow.metrics import mean_metric
from evoaugflow.models import get_model
from evoaugflow.predict import load_model, predict
from evoaugflow.summary import main_metric
from evoaugflow.train import evaluate, train_stage


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data")
    parser.add_argument("--model", required=True)
    parser.add_argument("--task", required=True, choices=("binary", "regression"))
    parser.add_argument("--model-kwargs", default="{}")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--weight-decay", type=float, default=1e-6)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--max-epochs", type=int, default=12)
    parser.add_argument("--patience", type=int, default=4)
    parser.add_argument("--lr-patience", type=int, default=2)
    parser.add_argument("--downsample", type=int, default=None)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--augment",
        default=None,
        help="augmentation spec of Augmenter.from_config as JSON (default: none, the baseline)",
    )
    parser.add_argument(
        "--extra-test",
        default=None,
        help="another h5 of the same task: score each kept model on all its sequences",
    )
    parser.add_argument(
        "--curves",
        action="store_true",
        help="score each epoch on valid and test; print the select-by-metric counterfactual",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = load_dataset(args.data, downsample=args.downsample)
    extra = None
    if args.extra_test:
        other = load_dataset(args.extra_test)
        extra = (
            torch.cat([other.x_train, other.x_valid, other.x_test]),
            torch.cat([other.y_train, other.y_valid, other.y_test]),
        )
    metric = main_metric(args.task)[0]
    rows, curves = [], []
    for seed in args.seeds:
        with tempfile.TemporaryDirectory() as folder:
            torch.manual_seed(seed)
            augmenter = Augmenter.from_config(json.loads(args.augment) if args.augment else None)
            length = data.sequence_length
            model = get_model(
                args.model,
                augmenter.output_length(length) if augmenter else length,
                data.n_tasks,
                **json.loads(args.model_kwargs),
            )
            scores = []

            def score_epoch(epoch, valid_metric, model=model, augmenter=augmenter, scores=scores):
                test = predict(
                    model, data.x_test, device="cpu", augmenter=augmenter, task=args.task
                )
                scores.append((valid_metric, mean_metric(args.task, metric, data.y_test, test)))
                model.train()
                return False

            start = time.perf_counter()
            train_stage(
                model,
                data,
                folder,
                task=args.task,
                augmenter=augmenter,
                lr=args.lr,
                weight_decay=args.weight_decay,
                max_epochs=args.max_epochs,
                batch_size=args.batch_size,
                early_stopping_patience=args.patience,
                lr_patience=args.lr_patience,
                seed=seed,
                device="cpu",
                verbose=False,
                on_epoch=score_epoch if args.curves else None,
                on_epoch_metric=metric if args.curves else None,
            )
            seconds = time.perf_counter() - start
            history = pd.read_csv(Path(folder) / "history.tsv", sep="\t")
            best = history.loc[history["valid_loss"].idxmin()]
            if args.curves:
                history[f"valid_{metric}"] = [valid for valid, _ in scores]
                history[f"test_{metric}"] = [test for _, test in scores]
                history.insert(0, "seed", seed)
                curves.append(history)
            table = evaluate(Path(folder) / "model.pt", data, device="cpu")
            value = table[(table["metric"] == metric) & (table["task"] == "mean")]["value"]
            row = {"seed": seed, f"test_{metric}": float(value.iloc[0])}
            if extra is not None:
                kept, padding, _ = load_model(Path(folder) / "model.pt")
                outputs = predict(kept, extra[0], device="cpu", augmenter=padding, task=args.task)
                row[f"extra_{metric}"] = mean_metric(args.task, metric, extra[1], outputs)
            rows.append(
                row
                | {
                    "epochs": len(history),
                    "best_epoch": int(best["epoch"]),
                    "train_loss": best["train_loss"],
                    "valid_loss": best["valid_loss"],
                    "seconds": round(seconds, 1),
                }
            )
            print(pd.DataFrame(rows[-1:]).to_string(index=False, header=len(rows) == 1))
            curve = " ".join(
                f"{t:.2f}/{v:.2f}"
                for t, v in zip(history["train_loss"], history["valid_loss"], strict=True)
            )
            print(f"  train/valid loss by epoch: {curve}")
    frame = pd.DataFrame(rows)
    values = frame[f"test_{metric}"]
    print(f"{metric}: mean {values.mean():.4f} sd {values.std(ddof=1):.4f} over {len(frame)} seeds")
    if extra is not None:
        values = frame[f"extra_{metric}"]
        print(
            f"{metric} on {len(extra[1])} sequences of {args.extra_test}: mean "
            f"{values.mean():.4f} sd {values.std(ddof=1):.4f} over {len(frame)} seeds"
        )
    if curves:
        table = pd.concat(curves, ignore_index=True)
        columns = ["seed", "epoch", "lr", "train_loss", "valid_loss", f"valid_{metric}"]
        print(table[[*columns, f"test_{metric}"]].round(4).to_string(index=False))
        picks = table.loc[table.groupby("seed")[f"valid_{metric}"].idxmax()]
        kept = picks[f"test_{metric}"]
        print(
            f"kept by best valid {metric} instead: epochs {picks['epoch'].tolist()}, test "
            f"{[round(v, 4) for v in kept]}, mean {kept.mean():.4f} sd {kept.std(ddof=1):.4f}"
        )
    print(
        f"settings: {vars(args)}; median seconds per epoch "
        f"{np.median(frame['seconds'] / frame['epochs']):.1f}"
    )


if __name__ == "__main__":
    main()

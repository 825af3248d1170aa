"""Optuna search against the full grid: validation score and training epochs, side by side.

For each data set (the ChIP-like synthetic set built here, and an h5 such as REST_200),
the same sweep spec is run two ways with the same per-trial recipe (stage 1 up to
``--epochs`` epochs with early stopping, then ``--finetune-epochs`` of finetuning):

- the full grid: every candidate of ``evoaugflow.sweep.sweep_candidates`` (each
  augmentation at each strength, the combination at each count, soft and hard);
- the Optuna search of ``evoaugflow.sweep.search`` (seeded TPE over the same choices and
  ranges, successive-halving pruner fed the validation AUROC every epoch) with as many
  trials as the grid has candidates, one worker; once per ``--search-seeds`` seed, each
  against the same grid.

Both read a train/valid-only view (the test keys alias the validation split, as in the
workflow) of a training subset of ``--train-size`` sequences; scores are the validation
metric (AUROC). The table gives the grid's best validation score, the score of the
Optuna pick, their difference (Optuna - grid), the training epochs each spent and the
ratio Optuna / grid.

    python benchmarks/optuna_vs_grid.py --train-size 1500 --epochs 5 --search-seeds 0 1 2
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np
import optuna
import pandas as pd
import torch

from evoaugflow.augment import Augmenter
from evoaugflow.chip import build_chip_dataset
from evoaugflow.data import load_dataset
from evoaugflow.models import build_model
from evoaugflow.sweep import search, sweep_candidates
from evoaugflow.synthetic import make_chip_benchmark
from evoaugflow.train import evaluate, load_model, train_stage

SWEEP = {
    "augmentations": {
        "translocation": [10, 20, 30],
        "deletion": [10, 20, 30],
        "mutation": [0.05, 0.1, 0.15],
    },
    "max_augs_per_seq": [1, 2, 3],
    "hard_aug": [False, True],
    "finetune": True,
    "metric": "auroc",
}
BASE_PARAMS = {
    "translocation": {"shift_min": 0, "shift_max": 20},
    "deletion": {"delete_min": 0, "delete_max": 20},
    "mutation": {"mutate_frac": 0.05},
}


def view(source: Path, out: Path, train_size: int, seed: int) -> Path:
    """Train subset + validation split in a new h5; the test keys alias the validation."""
    with h5py.File(source, "r") as handle:
        keys = {k.lower(): k for k in handle}
        n_train = handle[keys["y_train"]].shape[0]
        rows = np.sort(np.random.default_rng(seed).choice(n_train, train_size, replace=False))
        arrays = {
            "x_train": handle[keys["x_train"]][:][rows],
            "y_train": handle[keys["y_train"]][:][rows],
            "x_valid": handle[keys["x_valid"]][:],
            "y_valid": handle[keys["y_valid"]][:],
        }
    with h5py.File(out, "w") as handle:
        for key, value in arrays.items():
            handle[key] = value
        handle["x_test"] = h5py.SoftLink("/x_valid")
        handle["y_test"] = h5py.SoftLink("/y_valid")
    return out


def chip_like(folder: Path, seed: int) -> Path:
    """The ChIP-like synthetic set (make_chip_benchmark defaults) as an h5."""
    files = make_chip_benchmark(folder, seed=seed)
    build_chip_dataset(
        files["chip_peaks"],
        files["accessible_peaks"],
        files["genome"],
        folder / "chip.h5",
        folder / "regions.tsv",
        seed=seed,
        log=None,
    )
    return folder / "chip.h5"


def grid(settings: dict, data, scratch: Path) -> tuple[float, str, int]:
    """Best validation AUROC over the grid's candidates, its name and the epochs spent."""
    best, best_name, epochs = -np.inf, None, 0
    recipe = settings["recipe"]
    common = {"task": "binary", "seed": settings["seed"], "device": "cpu", "verbose": False}
    for candidate in sweep_candidates(SWEEP, BASE_PARAMS):
        augmenter = Augmenter.from_config(candidate.augment_spec)
        model = build_model("chip", augmenter.output_length(data.sequence_length), data.n_tasks)
        folder = scratch / candidate.name
        first = train_stage(
            model, data, folder / "stage1", augmenter=augmenter, **common, **recipe["stage1"]
        )
        second = train_stage(
            load_model(first["model_path"])[0],
            data,
            folder / "finetune",
            stage="finetune",
            init_from=first["model_path"],
            **common,
            **recipe["finetune"],
        )
        epochs += first["epochs_run"] + second["epochs_run"]
        table = evaluate(second["model_path"], data, split="valid", device="cpu")
        score = float(table.query("metric == 'auroc' and task == 'mean'")["value"].iloc[0])
        print(f"  grid {candidate.name}: valid auroc {score:.4f}", flush=True)
        if score > best:
            best, best_name = score, candidate.name
    return best, best_name, epochs


def _pick_name(study) -> str:
    """The best trial's settings in the grid's naming (``deletion-30``, ``combo-2-soft``)."""
    params = study.best_trial.params
    choice = params.get("augment")
    if choice == "combo":
        return f"combo-{params['max_augs_per_seq']}-{'hard' if params['hard_aug'] else 'soft'}"
    strength = next(value for key, value in params.items() if key.startswith(f"{choice}."))
    return f"{choice}-{strength:g}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rest", default="/work/shared/data/REST_200.h5")
    parser.add_argument("--train-size", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=6, help="stage-1 max epochs")
    parser.add_argument("--finetune-epochs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0, help="data subset and training seed")
    parser.add_argument(
        "--search-seeds",
        type=int,
        nargs="+",
        default=[0],
        help="sampler seeds: one Optuna search each, against the same grid",
    )
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    work = Path(tempfile.mkdtemp(prefix="optuna_vs_grid-"))
    sources = {"chip_like": chip_like(work / "chip_like", args.seed), "REST_200": Path(args.rest)}
    n_grid = len(sweep_candidates(SWEEP, BASE_PARAMS))
    rows = []
    for name, source in sources.items():
        data_path = view(source, work / f"{name}_view.h5", args.train_size, args.seed)
        data = load_dataset(data_path)
        settings: dict = {
            "dataset": name,
            "task": "binary",
            "model": "chip",
            "model_kwargs": {},
            "seed": args.seed,
            "device": "cpu",
            "augment_params": BASE_PARAMS,
            "recipe": {
                "stage1": {
                    "lr": 1e-3,
                    "max_epochs": args.epochs,
                    "early_stopping_patience": 3,
                    "lr_patience": 2,
                },
                "finetune": {"lr": 1e-4, "max_epochs": args.finetune_epochs},
            },
            "sweep": SWEEP
            | {
                "search": {
                    "n_trials": n_grid,
                    "workers": 1,
                    "seed": args.seed,
                    "n_startup_trials": 5,
                    "pruner": "successive_halving",
                    "min_epochs": 1,
                    "eta": 3,
                }
            },
        }
        print(f"{name}: {data.sequence_length} nt, train {len(data.y_train)}", flush=True)
        started = time.perf_counter()
        grid_best, grid_name, grid_epochs = grid(settings, data, work / name / "grid")
        grid_seconds = time.perf_counter() - started
        for search_seed in args.search_seeds:
            settings["sweep"]["search"]["seed"] = search_seed
            started = time.perf_counter()
            journal = work / name / f"optuna-{search_seed}.journal"
            search.run_worker(settings, data_path, journal, 0, scratch=work)
            study = search.load_study(journal, settings)
            optuna_seconds = time.perf_counter() - started
            table = search.trials_table(study)
            print(table.to_string(), flush=True)
            optuna_epochs = int(table["epochs"].sum())
            rows.append(
                {
                    "dataset": name,
                    "grid_candidates": n_grid,
                    "grid_best_valid": round(grid_best, 4),
                    "grid_best": grid_name,
                    "search_seed": search_seed,
                    "optuna_trials": len(table),
                    "optuna_pruned": int((table["state"] == "PRUNED").sum()),
                    "optuna_pick": _pick_name(study),
                    "optuna_pick_valid": round(study.best_value, 4),
                    "difference": round(study.best_value - grid_best, 4),
                    "grid_epochs": grid_epochs,
                    "optuna_epochs": optuna_epochs,
                    "epoch_ratio": round(optuna_epochs / grid_epochs, 3),
                    "grid_s": round(grid_seconds),
                    "optuna_s": round(optuna_seconds),
                }
            )
    shutil.rmtree(work, ignore_errors=True)
    frame = pd.DataFrame(rows)
    print(frame.to_markdown(index=False))


if __name__ == "__main__":
    main()

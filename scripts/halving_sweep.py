"""Rule halving_sweep: successive halving over a data set's sweep, beside the full grid.

Each call of the training function trains one candidate (stage 1 only, the stage-1
recipe with max_epochs set by the rung) in that candidate's folder of a temporary
workspace and scores it on the validation split. A survivor of a rung is continued from
its checkpoint (train_stage extends a finished run when asked for more epochs, bit for
bit as an uninterrupted run), so it is charged only the extra epochs. The choice is then
compared with the full grid's stage-1 choice (mean over seeds) and epochs.
"""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

import tempfile
from pathlib import Path

import pandas as pd
import torch

from evoaugflow import summary, sweep
from evoaugflow.augment import Augmenter
from evoaugflow.data import load_dataset
from evoaugflow.models import build_model
from evoaugflow.train import evaluate, train_stage

run = snakemake.params.run
halving = run["halving"]
device = "cuda" if snakemake.resources.get("gpu", 0) else run["device"]
torch.set_num_threads(snakemake.threads)
spec = sweep.sweep_settings(run["sweep"])
metric = spec["metric"] or summary.main_metric(run["task"])[0]
higher = summary.higher_is_better(metric)
candidates = sweep.sweep_candidates(run["sweep"], run["augment_params"])
# The train/valid-only view (rule hold_out_test): no test sequence is reachable.
data = load_dataset(snakemake.input.data)
scratch = Path(snakemake.output.candidates).parent


workspace = tempfile.TemporaryDirectory(dir=scratch, prefix=".halving-")


def train_and_score(candidate, epochs):
    """Validation metric of ``candidate`` after ``epochs`` epochs of stage 1 in total."""
    augmenter = Augmenter.from_config(candidate.augment_spec)
    length = augmenter.output_length(data.sequence_length)
    model = build_model(run["model"], length, data.n_tasks, task=run["task"], **run["model_kwargs"])
    folder = Path(workspace.name) / candidate.name
    train_stage(
        model,
        data,
        folder,
        task=run["task"],
        augmenter=augmenter,
        seed=run["seed"],
        device=device,
        verbose=True,
        **(run["recipe"] | {"max_epochs": epochs}),
    )
    table = evaluate(folder / "model.pt", data, split=sweep.SWEEP_SPLIT, device=device)
    score = table.loc[(table["metric"] == metric) & (table["task"] == "mean"), "value"].item()
    print(f"{candidate.name}: {epochs} epoch(s), valid {metric} {score:.4f}")
    return score


budget = halving["budget_epochs"]
if budget is None:
    schedule = sweep.halving_schedule(len(candidates), halving["min_epochs"], halving["eta"], True)
    budget = int(schedule["cumulative_cost"].iloc[-1]) if len(schedule) else 0
result = sweep.successive_halving(
    candidates,
    train_and_score,
    budget,
    halving["min_epochs"],
    halving["eta"],
    higher_is_better=higher,
    resume=True,
)
workspace.cleanup()
rungs = result.rungs.assign(dataset=run["dataset"], metric=metric)
calls = rungs.groupby("candidate", sort=False)["score"]
per_candidate = pd.DataFrame(
    {"dataset": run["dataset"], "candidate": [c.name for c in candidates]}
).assign(
    rungs=lambda t: t["candidate"].map(calls.size()).fillna(0).astype(int),
    epochs=lambda t: t["candidate"].map(result.epochs),
    cost=lambda t: t["candidate"].map(result.cost),
    metric=metric,
    score=lambda t: t["candidate"].map(calls.last()),
    chosen=lambda t: t["candidate"] == result.chosen.name,
)

# The full grid's stage-1 choice over the same candidates, and the epochs it trained.
scores = pd.read_csv(snakemake.input.scores, sep="\t")
names = [c.name for c in candidates]
grid_rows = scores[(scores["stage"] == "stage1") & scores["candidate"].isin(names)]
order, _ = sweep.rank_candidates(
    list(grid_rows["candidate"]), list(grid_rows["mean"]), higher_is_better=higher
)
grid_ranking = [grid_rows["candidate"].iloc[i] for i in order]
grid_epochs = sum(len(pd.read_csv(path, sep="\t")) for path in snakemake.input.histories)
nominal = sweep.full_grid_epochs(len(candidates), run["max_epochs"], len(run["seeds"]))
grid_choice = grid_ranking[0]
grid_mean = grid_rows.set_index("candidate")["mean"]
comparison = pd.DataFrame(
    [
        {
            "method": "full_grid",
            "chosen": grid_choice,
            "score": grid_mean[grid_choice],
            "grid_score": grid_mean[grid_choice],
            "grid_rank": 1,
            "n_seeds": len(run["seeds"]),
            "epochs_spent": grid_epochs,
            "epochs_limit": nominal,
            "completed": True,
        },
        {
            "method": "successive_halving",
            "chosen": result.chosen.name,
            "score": result.score,
            "grid_score": grid_mean[result.chosen.name],
            "grid_rank": grid_ranking.index(result.chosen.name) + 1,
            "n_seeds": 1,
            "epochs_spent": result.total_epochs,
            "epochs_limit": result.budget_epochs,
            "completed": result.completed,
        },
    ]
)
comparison.insert(0, "dataset", run["dataset"])
comparison.insert(2, "stage", "stage1")
comparison.insert(3, "metric", metric)
comparison["n_candidates"] = len(candidates)
comparison["agrees_with_grid"] = comparison["chosen"] == grid_choice
comparison["epochs_fraction_of_grid"] = comparison["epochs_spent"] / grid_epochs
summary.write_tsv(rungs, snakemake.output.rungs)
summary.write_tsv(per_candidate, snakemake.output.candidates)
summary.write_tsv(comparison, snakemake.output.comparison)
print(per_candidate.to_string())
print(comparison.to_string())

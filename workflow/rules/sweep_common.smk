# Input functions of the augmentation sweep (rules in sweep.smk) and of the augmentation
# sets taken "from_sweep".
#
# A sweep lives in results/sweep/. The grid of the paper's panels trains each candidate
# in results/sweep/{train,finetune,evaluate}/<dataset>/<candidate>/<seed>/; the Optuna
# search keeps its study in results/sweep/<dataset>/optuna.journal, which the workers
# share. Every sweep job reads its data only through
# results/sweep/data/<dataset>/train_valid.h5, whose test keys alias the validation
# split: no sweep job can read a test sequence or label, so the choice of settings
# cannot leak into the test metrics. The config (sweep keys included) is validated once,
# in common.smk.
from evoaugflow.stages import FINETUNE, STAGE1, STAGE_FOLDER

SWEEP_DATASETS = grid.swept_datasets(config)
# Candidate name -> Augmenter spec (None for the baseline), per data set with a sweep.
SWEEP = {name: grid.sweep_candidates(config, name) for name in SWEEP_DATASETS}
SWEEP_RUNS = grid.sweep_runs(config)
SWEEP_CANDIDATES = sorted(
    {name for candidates in SWEEP.values() for name in candidates}
)
FROM_SWEEP = grid.from_sweep_sets(config)
# The study of a data set's Optuna search, shared by its workers.
SWEEP_JOURNAL = "results/sweep/{dataset}/optuna.journal"


def sweep_data(wildcards):
    """The train/valid-only view of a data set that every sweep job reads."""
    return f"results/sweep/data/{wildcards.dataset}/train_valid.h5"


def sweep_model(wildcards):
    """The grid model a validation evaluation reads."""
    folder = STAGE_FOLDER[wildcards.stage]
    return f"results/sweep/{folder}/{wildcards.dataset}/{wildcards.candidate}/{wildcards.seed}/model.pt"


def sweep_evaluations(wildcards):
    """Validation metrics of every run of one data set's grid (baseline included)."""
    return [
        f"results/sweep/evaluate/{run.path}/{run.stage}.tsv"
        for run in SWEEP_RUNS
        if run.dataset == wildcards.dataset
    ]


def sweep_entry(wildcards):
    """What score_sweep needs to know about a data set's sweep."""
    return {
        "dataset": wildcards.dataset,
        "sweep": config["datasets"][wildcards.dataset]["sweep"],
    }


def sweep_journal(wildcards):
    """The journal file of a data set's Optuna study."""
    return SWEEP_JOURNAL.format(dataset=wildcards.dataset)


def search_settings(wildcards):
    """Everything a sweep worker (and pick_sweep) needs: sweep, model, recipes, device."""
    data_entry = config["datasets"][wildcards.dataset]
    return {
        "dataset": wildcards.dataset,
        "task": data_entry["task"],
        "model": data_entry["model"],
        "model_kwargs": data_entry["model_kwargs"],
        "augment_params": data_entry["augment_params"],
        "sweep": data_entry["sweep"],
        "recipe": {
            stage: grid.stage_recipe(config, wildcards.dataset, stage)
            for stage in STAGE_FOLDER
        },
        "seed": data_entry["sweep"]["search"]["seed"],
        "device": config["device"],
        "deterministic": config["deterministic"],
    }


def sweep_workers(wildcards):
    """The trials table of each worker of a data set's study."""
    workers = config["datasets"][wildcards.dataset]["sweep"]["search"]["workers"]
    return expand(
        "results/sweep/{dataset}/optuna/worker-{worker}.tsv",
        dataset=wildcards.dataset,
        worker=range(workers),
    )


def sweep_fragment(wildcards):
    """best_config.yaml of the (base) data set a from_sweep run is trained on."""
    base, _ = grid.resolve_dataset(config, wildcards.dataset)
    return f"results/sweep/{base}/best_config.yaml"


def from_sweep_params(wildcards):
    """train_params() of a from_sweep run plus what is needed to read its fragment."""
    base, _ = grid.resolve_dataset(config, wildcards.dataset)
    return train_params(wildcards, STAGE1) | {
        "sweep_dataset": base,
        "augment_params": config["datasets"][base]["augment_params"],
    }


def sweep_targets():
    """Per data set with a sweep: the grid's panels and the search's choice and figures."""
    files = (
        "best_config.yaml",
        "trials.tsv",
        "optuna_history.png",
        "optuna_importance.png",
        "scores.tsv",
        "picks.tsv",
        "sweep.png",
    )
    return [f"results/sweep/{name}/{file}" for name in SWEEP_DATASETS for file in files]

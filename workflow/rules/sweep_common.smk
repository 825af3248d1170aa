# Input functions of the augmentation sweep (rules in sweep.smk), the successive halving
# beside it, the augmentation sets taken "from_sweep", and the cost and stability
# summaries of the main grid.
#
# A sweep lives in its own tree, results/sweep/{train,finetune,evaluate}/<dataset>/
# <candidate>/<seed>/, and reads its data only through results/sweep/data/<dataset>/
# train_valid.h5, whose test keys alias the validation split: no sweep job can read a
# test sequence or label, so the choice of settings cannot leak into the test metrics.

grid.validate_sweeps(config)

SWEEP_DATASETS = grid.swept_datasets(config)
# Candidate name -> Augmenter spec (None for the baseline), per data set with a sweep.
SWEEP = {name: grid.sweep_candidates(config, name) for name in SWEEP_DATASETS}
SWEEP_RUNS = grid.sweep_runs(config)
SWEEP_CANDIDATES = sorted(
    {name for candidates in SWEEP.values() for name in candidates}
)
FROM_SWEEP = grid.from_sweep_sets(config)
HALVING = config["sweep_halving"]


def sweep_data(wildcards):
    """The train/valid-only view of a data set that every sweep job reads."""
    return f"results/sweep/data/{wildcards.dataset}/train_valid.h5"


def sweep_model(wildcards):
    """The sweep model a validation evaluation reads."""
    step = "train" if wildcards.stage == "stage1" else "finetune"
    return f"results/sweep/{step}/{wildcards.dataset}/{wildcards.candidate}/{wildcards.seed}/model.pt"


def sweep_evaluations(wildcards):
    """Validation metrics of every run of one data set's sweep (baseline included)."""
    return [
        f"results/sweep/evaluate/{run.path}/{run.stage}.tsv"
        for run in SWEEP_RUNS
        if run.dataset == wildcards.dataset
    ]


def sweep_histories(wildcards):
    """Training histories of one data set's sweep candidates (not the baseline), stage 1."""
    return [
        f"results/sweep/train/{run.path}/history.tsv"
        for run in SWEEP_RUNS
        if run.dataset == wildcards.dataset
        and run.stage == "stage1"
        and run.augset != grid.SWEEP_BASELINE
    ]


def sweep_entry(wildcards):
    """What pick_sweep and halving_sweep need to know about a data set's sweep."""
    data_entry = config["datasets"][wildcards.dataset]
    return {
        "dataset": wildcards.dataset,
        "sweep": data_entry["sweep"],
        "augment_params": data_entry["augment_params"],
        "task": data_entry["task"],
        "seeds": config["seeds"],
        "max_epochs": grid.stage_recipe(config, wildcards.dataset, "stage1")[
            "max_epochs"
        ],
    }


def halving_params(wildcards):
    """Everything halving_sweep needs: the sweep, the stage-1 recipe and the halving keys."""
    data_entry = config["datasets"][wildcards.dataset]
    return sweep_entry(wildcards) | {
        "model": data_entry["model"],
        "model_kwargs": data_entry["model_kwargs"],
        "recipe": grid.stage_recipe(config, wildcards.dataset, "stage1"),
        "seed": config["seeds"][0],
        "device": config["device"],
        "halving": HALVING,
    }


def sweep_fragment(wildcards):
    """best_config.yaml of the (base) data set a from_sweep run is trained on."""
    base, _ = grid.resolve_dataset(config, wildcards.dataset)
    return f"results/sweep/{base}/best_config.yaml"


def from_sweep_params(wildcards):
    """train_params() of a from_sweep run plus what is needed to read its fragment."""
    base, _ = grid.resolve_dataset(config, wildcards.dataset)
    return train_params(wildcards, "stage1") | {
        "sweep_dataset": base,
        "augment_params": config["datasets"][base]["augment_params"],
    }


def sweep_targets():
    """Per data set with a sweep: its picks, figure, fragment and halving comparison."""
    targets = []
    for name in SWEEP_DATASETS:
        targets += [
            f"results/sweep/{name}/{file}"
            for file in ("best_config.yaml", "scores.tsv", "picks.tsv", "sweep.png")
        ]
        if HALVING["enabled"]:
            targets += [
                f"results/sweep/{name}/halving.tsv",
                f"results/sweep/{name}/halving_vs_grid.tsv",
            ]
    return targets


def cost_runs():
    """Main-grid runs of the configured data sets (the size-sweep copies left out)."""
    return [run for run in RUNS if run.dataset in config["datasets"]]


def cost_records():
    """Identity of each cost_runs() run, aligned with cost_benchmarks() and cost_histories()."""
    return [run_identity(run) for run in cost_runs()]


def cost_benchmarks():
    """Snakemake benchmark TSV of each cost_runs() job."""
    rule_of = {"stage1": "train_model", "finetune": "finetune_model"}
    return [
        f"results/benchmarks/{rule_of[run.stage]}/{run.path}.tsv" for run in cost_runs()
    ]


def cost_histories():
    """history.tsv of each cost_runs() job."""
    return [f"results/{run.step}/{run.path}/history.tsv" for run in cost_runs()]


def cost_targets():
    """The cost table and a stability figure per configured data set (always built)."""
    return ["results/summary/cost.tsv"] + expand(
        "results/summary/{dataset}/stability.png", dataset=CONFIGURED
    )

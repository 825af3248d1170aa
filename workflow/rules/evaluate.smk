# Test-set metrics of every trained model (deterministic insertion padding only).


rule evaluate_model:
    input:
        model=run_model,
        data=dataset_h5,
    output:
        "results/evaluate/{dataset}/{augset}/{seed}/{stage}.tsv",
    log:
        "logs/evaluate_model/{dataset}/{augset}/{seed}/{stage}.log",
    conda:
        "../../envs/train.yaml"
    threads: config["train_threads"]
    resources:
        mem_mb=config["resources"]["default"]["mem_mb"],
        runtime=config["resources"]["default"]["runtime"],
    params:
        run=lambda wildcards: run_identity(wildcards) | {"device": config["device"]},
    script:
        "../../scripts/evaluate_model.py"


# --- grid cost and stability (moved from sweep.smk) ---
from evoaugflow.stages import STAGES

# The cost table (Tables S2-S3) and stability figures (Fig. S7) of the main grid: every
# configured data set's training jobs, read from their benchmark files and histories.


def cost_runs():
    """Main-grid runs of the configured data sets (the size-sweep copies left out)."""
    return [run for run in RUNS if run.dataset in config["datasets"]]


def cost_records():
    """Identity of each cost_runs() run, aligned with cost_benchmarks() and cost_histories()."""
    return [run_identity(run) for run in cost_runs()]


def cost_benchmarks():
    """Snakemake benchmark TSV of each cost_runs() job."""
    rule_of = {STAGES[0]: "train_model", STAGES[1]: "finetune_model"}
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


rule cost_table:
    input:
        benchmarks=cost_benchmarks(),
        histories=cost_histories(),
    output:
        report(
            "results/summary/cost.tsv",
            caption="../report/cost.rst",
            category="Cost and stability",
        ),
    log:
        "logs/cost_table/cost_table.log",
    conda:
        "../../envs/analysis.yaml"
    resources:
        mem_mb=config["resources"]["default"]["mem_mb"],
        runtime=config["resources"]["default"]["runtime"],
    params:
        runs=cost_records(),
    script:
        "../../scripts/cost_table.py"


rule plot_stability:
    input:
        history="results/summary/history.tsv",
    output:
        report(
            "results/summary/{dataset}/stability.png",
            caption="../report/stability.rst",
            category="Cost and stability",
            subcategory="{dataset}",
        ),
    log:
        "logs/plot_stability/{dataset}.log",
    wildcard_constraints:
        dataset=_names_regex(CONFIGURED),
    conda:
        "../../envs/analysis.yaml"
    resources:
        mem_mb=config["resources"]["default"]["mem_mb"],
        runtime=config["resources"]["default"]["runtime"],
    script:
        "../../scripts/plot_stability.py"

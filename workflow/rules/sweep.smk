# Augmentation hyperparameter sweeps (paper Figs S1-S5), successive halving beside them,
# augmentation sets trained "from_sweep", and the cost (Tables S2-S3) and stability
# (Fig. S7) summaries of the main grid. Input functions: sweep_common.smk.
#
#   hold_out_test -> train_sweep -> finetune_sweep -> evaluate_sweep (valid only)
#     -> pick_sweep (best_config.yaml) -> train_from_sweep (main grid, from_sweep sets)
#     -> halving_sweep (halving.tsv, halving_vs_grid.tsv)


# A from_sweep set is trained by train_from_sweep; every other set by train_model.
ruleorder: train_from_sweep > train_model


rule hold_out_test:
    input:
        data=dataset_h5,
        check=dataset_check,
    output:
        "results/sweep/data/{dataset}/train_valid.h5",
    log:
        "logs/hold_out_test/{dataset}.log",
    wildcard_constraints:
        dataset=_names_regex(SWEEP_DATASETS),
    conda:
        "../../envs/train.yaml"
    resources:
        mem_mb=config["resources"]["default"]["mem_mb"],
        runtime=config["resources"]["default"]["runtime"],
    script:
        "../../scripts/hold_out_test.py"


rule train_sweep:
    input:
        data=sweep_data,
    output:
        model="results/sweep/train/{dataset}/{candidate}/{seed}/model.pt",
        history="results/sweep/train/{dataset}/{candidate}/{seed}/history.tsv",
        params="results/sweep/train/{dataset}/{candidate}/{seed}/params.json",
    log:
        "logs/train_sweep/{dataset}/{candidate}/{seed}.log",
    benchmark:
        "results/benchmarks/train_sweep/{dataset}/{candidate}/{seed}.tsv"
    wildcard_constraints:
        dataset=_names_regex(SWEEP_DATASETS),
        candidate=_names_regex(SWEEP_CANDIDATES),
    conda:
        "../../envs/train.yaml"
    threads: config["train_threads"]
    resources:
        mem_mb=config["resources"]["train"]["mem_mb"],
        runtime=config["resources"]["train"]["runtime"],
        gpu=config["resources"]["train"]["gpu"],
    params:
        run=lambda wildcards: train_params(wildcards, "stage1"),
    script:
        "../../scripts/train_model.py"


rule finetune_sweep:
    input:
        data=sweep_data,
        init="results/sweep/train/{dataset}/{candidate}/{seed}/model.pt",
    output:
        model="results/sweep/finetune/{dataset}/{candidate}/{seed}/model.pt",
        history="results/sweep/finetune/{dataset}/{candidate}/{seed}/history.tsv",
        params="results/sweep/finetune/{dataset}/{candidate}/{seed}/params.json",
    log:
        "logs/finetune_sweep/{dataset}/{candidate}/{seed}.log",
    benchmark:
        "results/benchmarks/finetune_sweep/{dataset}/{candidate}/{seed}.tsv"
    wildcard_constraints:
        dataset=_names_regex(SWEEP_DATASETS),
        candidate=_names_regex(SWEEP_CANDIDATES),
    conda:
        "../../envs/train.yaml"
    threads: config["train_threads"]
    resources:
        mem_mb=config["resources"]["train"]["mem_mb"],
        runtime=config["resources"]["train"]["runtime"],
        gpu=config["resources"]["train"]["gpu"],
    params:
        run=lambda wildcards: train_params(wildcards, "finetune"),
    script:
        "../../scripts/train_model.py"


rule evaluate_sweep:
    input:
        model=sweep_model,
        data=sweep_data,
    output:
        "results/sweep/evaluate/{dataset}/{candidate}/{seed}/{stage}.tsv",
    log:
        "logs/evaluate_sweep/{dataset}/{candidate}/{seed}/{stage}.log",
    wildcard_constraints:
        dataset=_names_regex(SWEEP_DATASETS),
        candidate=_names_regex(SWEEP_CANDIDATES),
    conda:
        "../../envs/train.yaml"
    threads: config["train_threads"]
    resources:
        mem_mb=config["resources"]["default"]["mem_mb"],
        runtime=config["resources"]["default"]["runtime"],
    params:
        run=lambda wildcards: {
            "dataset": wildcards.dataset,
            "augset": wildcards.candidate,
            "stage": wildcards.stage,
            "seed": int(wildcards.seed),
            "device": config["device"],
        },
    script:
        "../../scripts/evaluate_sweep.py"


rule pick_sweep:
    input:
        metrics=sweep_evaluations,
    output:
        fragment="results/sweep/{dataset}/best_config.yaml",
        scores="results/sweep/{dataset}/scores.tsv",
        picks="results/sweep/{dataset}/picks.tsv",
        figure=report(
            "results/sweep/{dataset}/sweep.png",
            caption="../report/sweep.rst",
            category="Sweeps",
            subcategory="{dataset}",
        ),
    log:
        "logs/pick_sweep/{dataset}.log",
    wildcard_constraints:
        dataset=_names_regex(SWEEP_DATASETS),
    conda:
        "../../envs/analysis.yaml"
    resources:
        mem_mb=config["resources"]["default"]["mem_mb"],
        runtime=config["resources"]["default"]["runtime"],
    params:
        settings=sweep_entry,
    script:
        "../../scripts/pick_sweep.py"


rule halving_sweep:
    input:
        data=sweep_data,
        scores="results/sweep/{dataset}/scores.tsv",
        histories=sweep_histories,
    output:
        candidates="results/sweep/{dataset}/halving.tsv",
        rungs="results/sweep/{dataset}/halving_rungs.tsv",
        comparison="results/sweep/{dataset}/halving_vs_grid.tsv",
    log:
        "logs/halving_sweep/{dataset}.log",
    benchmark:
        "results/benchmarks/halving_sweep/{dataset}.tsv"
    wildcard_constraints:
        dataset=_names_regex(SWEEP_DATASETS),
    conda:
        "../../envs/train.yaml"
    threads: config["train_threads"]
    resources:
        mem_mb=config["resources"]["train"]["mem_mb"],
        runtime=config["resources"]["train"]["runtime"],
        gpu=config["resources"]["train"]["gpu"],
    params:
        run=halving_params,
    script:
        "../../scripts/halving_sweep.py"


rule train_from_sweep:
    input:
        data=dataset_h5,
        check=dataset_check,
        fragment=sweep_fragment,
    output:
        model="results/train/{dataset}/{augset}/{seed}/model.pt",
        history="results/train/{dataset}/{augset}/{seed}/history.tsv",
        params="results/train/{dataset}/{augset}/{seed}/params.json",
    log:
        "logs/train_from_sweep/{dataset}/{augset}/{seed}.log",
    benchmark:
        "results/benchmarks/train_model/{dataset}/{augset}/{seed}.tsv"
    wildcard_constraints:
        augset=_names_regex(FROM_SWEEP),
    conda:
        "../../envs/train.yaml"
    threads: config["train_threads"]
    resources:
        mem_mb=config["resources"]["train"]["mem_mb"],
        runtime=config["resources"]["train"]["runtime"],
        gpu=config["resources"]["train"]["gpu"],
    params:
        run=from_sweep_params,
    script:
        "../../scripts/train_from_sweep.py"


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

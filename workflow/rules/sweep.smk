# Augmentation hyperparameter sweeps: the grid of the paper's panels (Figs S1-S5), the
# Optuna search that picks the settings, and the augmentation sets trained "from_sweep".
# Input functions: sweep_common.smk.
#
#   hold_out_test -> train_sweep -> finetune_sweep -> evaluate_sweep (valid only)
#     -> score_sweep (scores.tsv, picks.tsv, sweep.png: the grid's panels)
#   hold_out_test -> sweep_worker (N jobs, one Optuna study) -> pick_sweep
#     (best_config.yaml, trials.tsv, Optuna's figures) -> train_from_sweep (main grid)


# A from_sweep set is trained by train_from_sweep; every other set by train_model.
ruleorder: train_from_sweep > train_model


rule hold_out_test:
    input:
        data=dataset_h5,
        check=dataset_check,
    output:
        view="results/sweep/data/{dataset}/train_valid.h5",
    log:
        "logs/hold_out_test/{dataset}.log",
    wildcard_constraints:
        dataset=_names_regex(SWEEP_DATASETS),
    conda:
        "../../envs/train.yaml"
    resources:
        **DEFAULT_RESOURCES,
    script:
        "../../scripts/hold_out_test.py"


use rule train_model as train_sweep with:
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
    params:
        run=lambda wildcards: train_params(wildcards, STAGE1),
        # No table output: a sweep trial is scored on the validation split alone.
        identity=None,


use rule train_model as finetune_sweep with:
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
    params:
        run=lambda wildcards: train_params(wildcards, FINETUNE),
        # No table output: a sweep trial is scored on the validation split alone.
        identity=None,


rule evaluate_sweep:
    input:
        model=sweep_model,
        data=sweep_data,
    output:
        table="results/sweep/evaluate/{dataset}/{candidate}/{seed}/{stage}.tsv",
    log:
        "logs/evaluate_sweep/{dataset}/{candidate}/{seed}/{stage}.log",
    wildcard_constraints:
        dataset=_names_regex(SWEEP_DATASETS),
        candidate=_names_regex(SWEEP_CANDIDATES),
    conda:
        "../../envs/train.yaml"
    threads: config["train_threads"]
    resources:
        **DEFAULT_RESOURCES,
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


rule score_sweep:
    input:
        metrics=sweep_evaluations,
    output:
        scores="results/sweep/{dataset}/scores.tsv",
        picks="results/sweep/{dataset}/picks.tsv",
        figure=report(
            "results/sweep/{dataset}/sweep.png",
            caption="../report/sweep.rst",
            category="Sweeps",
            subcategory="{dataset}",
        ),
    log:
        "logs/score_sweep/{dataset}.log",
    wildcard_constraints:
        dataset=_names_regex(SWEEP_DATASETS),
    conda:
        "../../envs/analysis.yaml"
    resources:
        **DEFAULT_RESOURCES,
    params:
        settings=sweep_entry,
    script:
        "../../scripts/score_sweep.py"


# One worker of a data set's Optuna study: trials until the study holds n_trials. The
# study's journal (params.journal) is no declared output: all workers append to the one
# file, and Snakemake has no shared-append output (declared, one worker's append would
# make the others' outputs look stale). A rerun continues the study; the worker TSVs are
# what pick_sweep waits for. Delete the journal to start the study afresh.
rule sweep_worker:
    input:
        data=sweep_data,
    output:
        trials="results/sweep/{dataset}/optuna/worker-{worker}.tsv",
    log:
        "logs/sweep_worker/{dataset}/{worker}.log",
    benchmark:
        "results/benchmarks/sweep_worker/{dataset}/{worker}.tsv"
    wildcard_constraints:
        dataset=_names_regex(SWEEP_DATASETS),
        worker=r"[0-9]+",
    conda:
        "../../envs/train.yaml"
    threads: config["train_threads"]
    resources:
        **TRAIN_RESOURCES,
    params:
        settings=search_settings,
        journal=sweep_journal,
    script:
        "../../scripts/sweep_worker.py"


rule pick_sweep:
    input:
        workers=sweep_workers,
    output:
        fragment="results/sweep/{dataset}/best_config.yaml",
        trials="results/sweep/{dataset}/trials.tsv",
        history=report(
            "results/sweep/{dataset}/optuna_history.png",
            caption="../report/optuna_history.rst",
            category="Sweeps",
            subcategory="{dataset}",
        ),
        importance=report(
            "results/sweep/{dataset}/optuna_importance.png",
            caption="../report/optuna_importance.rst",
            category="Sweeps",
            subcategory="{dataset}",
        ),
    log:
        "logs/pick_sweep/{dataset}.log",
    wildcard_constraints:
        dataset=_names_regex(SWEEP_DATASETS),
    conda:
        "../../envs/train.yaml"
    resources:
        **DEFAULT_RESOURCES,
    params:
        settings=search_settings,
        journal=sweep_journal,
    script:
        "../../scripts/pick_sweep.py"


rule train_from_sweep:
    input:
        data=dataset_h5,
        check=dataset_check,
        fragment=sweep_fragment,
    output:
        **stage_outputs(STAGE1),
        table=evaluation_output(STAGE1),
    log:
        "logs/train_from_sweep/{dataset}/{augset}/{seed}.log",
    benchmark:
        training_benchmark(STAGE_RULE[STAGE1])
    wildcard_constraints:
        augset=_names_regex(FROM_SWEEP),
    conda:
        "../../envs/train.yaml"
    threads: config["train_threads"]
    resources:
        **TRAIN_RESOURCES,
    params:
        run=from_sweep_params,
        identity=lambda wildcards: run_identity(wildcards, STAGE1),
    script:
        "../../scripts/train_from_sweep.py"

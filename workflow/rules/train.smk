# Two-stage training: stage 1 (augmented, or the baseline), stage 2 finetune.
# Each job resumes from its own checkpoint.pt when rerun after a failure.


rule train_model:
    input:
        data=dataset_h5,
        check=dataset_check,
    output:
        model="results/train/{dataset}/{augset}/{seed}/model.pt",
        history="results/train/{dataset}/{augset}/{seed}/history.tsv",
        params="results/train/{dataset}/{augset}/{seed}/params.json",
    log:
        "logs/train_model/{dataset}/{augset}/{seed}.log",
    benchmark:
        "results/benchmarks/train_model/{dataset}/{augset}/{seed}.tsv"
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


rule finetune_model:
    input:
        data=dataset_h5,
        check=dataset_check,
        init="results/train/{dataset}/{augset}/{seed}/model.pt",
    output:
        model="results/finetune/{dataset}/{augset}/{seed}/model.pt",
        history="results/finetune/{dataset}/{augset}/{seed}/history.tsv",
        params="results/finetune/{dataset}/{augset}/{seed}/params.json",
    log:
        "logs/finetune_model/{dataset}/{augset}/{seed}.log",
    benchmark:
        "results/benchmarks/finetune_model/{dataset}/{augset}/{seed}.tsv"
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

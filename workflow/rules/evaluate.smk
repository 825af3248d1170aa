# Test-set metrics of every trained model (deterministic insertion padding only).


rule evaluate_model:
    input:
        model=run_model,
        data=dataset_h5,
    output:
        "results/evaluate/{dataset}/{augset}/{seed}/{stage}.tsv",
    params:
        run=lambda wildcards: {
            "dataset": wildcards.dataset,
            "augset": wildcards.augset,
            "seed": int(wildcards.seed),
            "stage": wildcards.stage,
            "train_size": grid.resolve_dataset(config, wildcards.dataset)[1],
            "device": config["device"],
        },
    log:
        "logs/evaluate_model/{dataset}/{augset}/{seed}/{stage}.log",
    threads: config["train_threads"]
    resources:
        mem_mb=config["resources"]["default"]["mem_mb"],
        runtime=config["resources"]["default"]["runtime"],
    conda:
        "../../envs/train.yaml"
    script:
        "../../scripts/evaluate_model.py"

# Validation- and test-set metrics of every trained model (deterministic insertion
# padding only).


rule evaluate_model:
    input:
        model=run_model,
        data=dataset_h5,
    output:
        table=EVALUATION_TABLE,
    log:
        "logs/evaluate_model/{dataset}/{augset}/{seed}/{stage}.log",
    benchmark:
        "results/benchmarks/evaluate_model/{dataset}/{augset}/{seed}/{stage}.tsv"
    conda:
        "../../envs/train.yaml"
    threads: config["train_threads"]
    resources:
        **DEFAULT_RESOURCES,
    params:
        run=lambda wildcards: run_identity(wildcards) | {"device": config["device"]},
    script:
        "../../scripts/evaluate_model.py"

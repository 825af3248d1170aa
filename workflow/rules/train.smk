# Two-stage training: stage 1 (augmented, or the baseline), stage 2 finetune, both by
# scripts/train_model.py, which then scores the kept model on the validation and test
# splits (output `table`) in the same process. Every training variant (finetune here;
# the sweep's trials and the from_sweep sets in sweep.smk) is `use rule train_model as
# ... with:`, so the environment, threads, resources and script are stated once. Each
# job resumes from its own checkpoint.pt when rerun after a failure.


rule train_model:
    input:
        data=dataset_h5,
        check=dataset_check,
    output:
        **stage_outputs(STAGE1),
        table=evaluation_output(STAGE1),
    log:
        "logs/train_model/{dataset}/{augset}/{seed}.log",
    benchmark:
        training_benchmark(STAGE1)
    conda:
        "../../envs/train.yaml"
    threads: config["train_threads"]
    resources:
        **TRAIN_RESOURCES,
    params:
        run=lambda wildcards: train_params(wildcards, STAGE1),
        identity=lambda wildcards: run_identity(wildcards, STAGE1),
    script:
        "../../scripts/train_model.py"


use rule train_model as finetune_model with:
    input:
        data=dataset_h5,
        check=dataset_check,
        init=finetune_init,
    output:
        **stage_outputs(FINETUNE),
        table=evaluation_output(FINETUNE),
    log:
        "logs/finetune_model/{dataset}/{augset}/{seed}.log",
    benchmark:
        training_benchmark(FINETUNE)
    params:
        run=lambda wildcards: train_params(wildcards, FINETUNE),
        identity=lambda wildcards: run_identity(wildcards, FINETUNE),

# Two-stage training: stage 1 (augmented, or the baseline), stage 2 finetune, both by
# scripts/train_model.py, which then scores the kept model on the validation and test
# splits (output `table`) in the same process. A finetuned set's cell trains both stages
# in one job (train_and_finetune): one process start, torch import and cluster queue
# wait instead of two. train_model trains the cells without a finetune (the baseline);
# finetune_model finetunes a stage 1 trained elsewhere (the from_sweep sets, sweep.smk).
# Every training variant is `use rule train_model as ... with:`, so the environment,
# threads, resources and script are stated once. Each stage resumes from its own
# checkpoint.pt when rerun after a failure, and a finished one is reused, not retrained.


# A finetuned set's stage-1 and finetune files are train_and_finetune's.
ruleorder: train_and_finetune > train_model
ruleorder: train_and_finetune > finetune_model


rule train_model:
    input:
        data=dataset_h5,
        check=dataset_check,
    output:
        **stage_outputs(STAGE1),
        table=evaluation_output(STAGE1),
    log:
        STAGE_LOG[STAGE1],
    benchmark:
        training_benchmark(STAGE_RULE[STAGE1])
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
        STAGE_LOG[FINETUNE],
    benchmark:
        training_benchmark(STAGE_RULE[FINETUNE])
    params:
        run=lambda wildcards: train_params(wildcards, FINETUNE),
        identity=lambda wildcards: run_identity(wildcards, FINETUNE),


use rule train_model as train_and_finetune with:
    output:
        **stage_outputs(STAGE1),
        **stage_outputs(FINETUNE, prefix="finetune_"),
        table=evaluation_output(STAGE1),
        finetune_table=evaluation_output(FINETUNE),
    log:
        stage1=STAGE_LOG[STAGE1],
        finetune=STAGE_LOG[FINETUNE],
    benchmark:
        training_benchmark(TWO_STAGE_RULE)
    wildcard_constraints:
        augset=_names_regex(TWO_STAGE),
    params:
        run=lambda wildcards: train_params(wildcards, STAGE1),
        identity=lambda wildcards: run_identity(wildcards, STAGE1),
        finetune_run=lambda wildcards: train_params(wildcards, FINETUNE),
        finetune_identity=lambda wildcards: run_identity(wildcards, FINETUNE),

# The grid's cost and stability. Each model's own metrics are written by its training
# job (train.smk). Input functions: cost_* in common.smk.


rule cost_table:
    input:
        benchmarks=cost_benchmarks(),
        histories=cost_histories(),
    output:
        table=report(
            "results/summary/cost.tsv",
            caption="../report/cost.rst",
            category="Cost and stability",
        ),
    log:
        "logs/cost_table/cost_table.log",
    conda:
        "../../envs/analysis.yaml"
    resources:
        **DEFAULT_RESOURCES,
    params:
        runs=cost_records(),
    script:
        "../../scripts/cost_table.py"


rule plot_stability:
    input:
        history="results/summary/history.tsv",
    output:
        figure=report(
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
        **DEFAULT_RESOURCES,
    script:
        "../../scripts/plot_stability.py"

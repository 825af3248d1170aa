# Summary tables and figures over every run of the grid, declared for `snakemake --report`.


rule summarize:
    input:
        metrics=evaluation_tables(),
        histories=histories(),
        oracle=oracle_tables(),
    output:
        metrics=report(
            "results/summary/metrics.tsv",
            caption="../report/metrics_tsv.rst",
            category="Training",
        ),
        comparison=report(
            "results/summary/comparison.tsv",
            caption="../report/metrics_table.rst",
            category="Training",
        ),
        history="results/summary/history.tsv",
        metric_figures=report(
            expand(
                "results/summary/{dataset}/metric_by_augset.png", dataset=CONFIGURED
            ),
            caption="../report/metric_by_augset.rst",
            category="Training",
        ),
        curve_figures=report(
            expand(
                "results/summary/{dataset}/training_curves.png", dataset=CONFIGURED
            ),
            caption="../report/training_curves.rst",
            category="Training",
        ),
        datasize=report(
            "results/summary/datasize.tsv",
            caption="../report/datasize.rst",
            category="Data size",
        ),
        datasize_figures=report(
            expand("results/summary/{dataset}/datasize.png", dataset=SWEPT),
            caption="../report/datasize.rst",
            category="Data size",
        ),
    log:
        "logs/summarize/summarize.log",
    conda:
        "../../envs/analysis.yaml"
    resources:
        **DEFAULT_RESOURCES,
    params:
        runs=run_records(),
        datasets=CONFIGURED,
        swept=SWEPT,
        split=config["summary"]["split"],
    script:
        "../../scripts/summarize.py"


rule controls_table:
    input:
        comparison=rules.summarize.output.comparison,
    output:
        table=report(
            "results/summary/controls.tsv",
            caption="../report/controls.rst",
            category="Controls",
        ),
        figure=report(
            "results/summary/controls.png",
            caption="../report/controls.rst",
            category="Controls",
        ),
    log:
        "logs/controls_table/controls_table.log",
    conda:
        "../../envs/analysis.yaml"
    resources:
        **DEFAULT_RESOURCES,
    params:
        datasets=control_datasets(),
        augsets=control_augsets(),
    script:
        "../../scripts/controls_table.py"


rule report_overview:
    input:
        unpack(overview_inputs),
    output:
        html=report(
            "results/summary/overview.html",
            caption="../report/overview.rst",
            category="Results",
        ),
    log:
        "logs/report_overview/report_overview.log",
    conda:
        "../../envs/analysis.yaml"
    resources:
        **DEFAULT_RESOURCES,
    params:
        datasets=CONFIGURED,
        split=config["summary"]["split"],
    script:
        "../../scripts/report_overview.py"

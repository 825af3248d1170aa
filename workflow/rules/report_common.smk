# Input functions of the report's landing page (rule report_overview in report.smk).


def overview_inputs(wildcards):
    """The summary tables and figures the report's landing page is made of."""
    inputs = {
        "comparison": rules.summarize.output.comparison,
        "figures": expand(
            "results/summary/{dataset}/{figure}.png",
            dataset=CONFIGURED,
            figure=("metric_by_augset", "training_curves"),
        )
        + expand(
            "results/attribution/{dataset}/logos_seed{seed}.png",
            dataset=analysed_datasets("attribution"),
            seed=config["seeds"][:1],
        ),
    }
    if analysed_datasets("filters"):
        inputs["filters"] = rules.summarize_filters.output.table
        inputs["figures"].append(rules.summarize_filters.output.figure)
    if analysed_datasets("attribution"):
        inputs["attribution"] = rules.summarize_attribution.output[0]
    if analysed_datasets("cagi"):
        inputs["cagi5"] = rules.summarize_cagi5.output.table
        inputs["figures"].append(rules.summarize_cagi5.output.figure)
    return inputs

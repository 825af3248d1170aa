# Interpretation: first-layer filters matched to JASPAR (Tomtom), GradientShap attribution.


rule export_jaspar:
    output:
        meme="results/motifs/jaspar.meme",
    log:
        "logs/export_jaspar/export_jaspar.log",
    conda:
        "../../envs/analysis.yaml"
    resources:
        **DEFAULT_RESOURCES,
    params:
        release=config["jaspar"]["release"],
        given=config["jaspar"]["meme"],
    script:
        "../../scripts/export_jaspar.py"


rule extract_filters:
    input:
        model=run_model,
        data=dataset_h5,
    output:
        meme="results/filters/{dataset}/{augset}/{seed}/{stage}/filters.meme",
        table="results/filters/{dataset}/{augset}/{seed}/{stage}/filters.tsv",
    log:
        "logs/extract_filters/{dataset}/{augset}/{seed}/{stage}.log",
    benchmark:
        "results/benchmarks/extract_filters/{dataset}/{augset}/{seed}/{stage}.tsv"
    conda:
        "../../envs/train.yaml"
    threads: config["train_threads"]
    resources:
        **DEFAULT_RESOURCES,
    params:
        threshold=lambda wildcards: entry(wildcards)["filters"]["threshold"],
        split=lambda wildcards: entry(wildcards)["filters"]["split"],
        device=config["device"],
    script:
        "../../scripts/extract_filters.py"


rule match_filters:
    input:
        meme="results/filters/{dataset}/{augset}/{seed}/{stage}/filters.meme",
        table="results/filters/{dataset}/{augset}/{seed}/{stage}/filters.tsv",
        jaspar="results/motifs/jaspar.meme",
    output:
        matches="results/filters/{dataset}/{augset}/{seed}/{stage}/tomtom.tsv",
        summary="results/filters/{dataset}/{augset}/{seed}/{stage}/summary.tsv",
        logos=report(
            "results/filters/{dataset}/{augset}/{seed}/{stage}/filter_logos.png",
            caption="../report/filter_logos.rst",
            category="Filters",
            subcategory="{dataset}",
            labels={"model": "{augset} {stage}", "seed": "{seed}"},
        ),
    log:
        "logs/match_filters/{dataset}/{augset}/{seed}/{stage}.log",
    benchmark:
        "results/benchmarks/match_filters/{dataset}/{augset}/{seed}/{stage}.tsv"
    conda:
        "../../envs/analysis.yaml"
    resources:
        **DEFAULT_RESOURCES,
    params:
        run=run_identity,
        planted=planted_panel,
        causal=causal_panel,
        release=config["jaspar"]["release"],
        exclude=config["jaspar"]["exclude"],
        q_threshold=config["jaspar"]["q_threshold"],
        use_meme_binary=config["jaspar"]["use_meme_binary"],
    script:
        "../../scripts/match_filters.py"


rule summarize_filters:
    input:
        summaries=analysis_files(
            "filters", "results/filters/{path}/{stage}/summary.tsv"
        ),
    output:
        table=report(
            "results/summary/filters.tsv",
            caption="../report/filters.rst",
            category="Filters",
        ),
        figure=report(
            "results/summary/filters.png",
            caption="../report/filters.rst",
            category="Filters",
        ),
    log:
        "logs/summarize_filters/summarize_filters.log",
    conda:
        "../../envs/analysis.yaml"
    resources:
        **DEFAULT_RESOURCES,
    script:
        "../../scripts/summarize_filters.py"


rule attribute:
    input:
        model=run_model,
        data=dataset_h5,
        truth=truth_table,
    output:
        arrays="results/attribution/{dataset}/{augset}/{seed}/{stage}/attributions.npz",
        scores="results/attribution/{dataset}/{augset}/{seed}/{stage}/scores.tsv",
    log:
        "logs/attribute/{dataset}/{augset}/{seed}/{stage}.log",
    benchmark:
        "results/benchmarks/attribute/{dataset}/{augset}/{seed}/{stage}.tsv"
    conda:
        "../../envs/train.yaml"
    threads: config["train_threads"]
    resources:
        **DEFAULT_RESOURCES,
    params:
        run=run_identity,
        settings=lambda wildcards: entry(wildcards)["attribution"],
        causal=causal_sites,
        device=config["device"],
    script:
        "../../scripts/attribute.py"


rule plot_attribution:
    input:
        arrays=attribution_arrays,
    output:
        figure=report(
            "results/attribution/{dataset}/logos_seed{seed}.png",
            caption="../report/attribution_logos.rst",
            category="Attribution",
            subcategory="{dataset}",
        ),
    log:
        "logs/plot_attribution/{dataset}/{seed}.log",
    conda:
        "../../envs/analysis.yaml"
    resources:
        **DEFAULT_RESOURCES,
    params:
        labels=attribution_labels,
    script:
        "../../scripts/plot_attribution.py"


rule summarize_attribution:
    input:
        scores=analysis_files(
            "attribution", "results/attribution/{path}/{stage}/scores.tsv"
        ),
    output:
        table=report(
            "results/summary/attribution.tsv",
            caption="../report/attribution.rst",
            category="Attribution",
        ),
    log:
        "logs/summarize_attribution/summarize_attribution.log",
    conda:
        "../../envs/analysis.yaml"
    resources:
        **DEFAULT_RESOURCES,
    params:
        kind="attribution",
    script:
        "../../scripts/summarize_tables.py"

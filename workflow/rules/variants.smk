# Variant effects: CAGI5-style saturation mutagenesis scored zero-shot, and any VCF.


rule make_synthetic_cagi:
    output:
        elements="results/synthetic/{dataset}/cagi/elements.tsv",
        genome="results/synthetic/{dataset}/cagi/cagi_genome.fa",
    log:
        "logs/make_synthetic_cagi/{dataset}.log",
    benchmark:
        "results/benchmarks/make_synthetic_cagi/{dataset}.tsv"
    wildcard_constraints:
        dataset=_names_regex(datasets_from("synthetic_basset")),
    conda:
        "../../envs/analysis.yaml"
    resources:
        **DEFAULT_RESOURCES,
    params:
        panel=config["motif_panel"],
        release=config["jaspar"]["release"],
        n_elements=lambda wildcards: entry(wildcards)["cagi"]["n_elements"],
        n_tasks=lambda wildcards: generator_setting(
            "synthetic_basset", entry(wildcards)["synthetic"], "n_tasks"
        ),
        seed=config["data_seed"],
    script:
        "../../scripts/make_synthetic_cagi.py"


rule map_mavedb:
    input:
        unpack(_mavedb_files),
        genome=mavedb_genome,
    output:
        table="results/mavedb/{dataset}/{element}.tsv",
        record="results/mavedb/{dataset}/{element}.json",
    log:
        "logs/map_mavedb/{dataset}/{element}.log",
    benchmark:
        "results/benchmarks/map_mavedb/{dataset}/{element}.tsv"
    wildcard_constraints:
        dataset=_names_regex(list(MAVEDB)),
        element=_names_regex(sorted({e for rows in MAVEDB.values() for e in rows})),
    conda:
        "../../envs/analysis.yaml"
    resources:
        **DEFAULT_RESOURCES,
    params:
        row=_mavedb_row,
        build=lambda wildcards: _genome_build(wildcards.dataset),
        max_ref_mismatch=lambda wildcards: config["datasets"][wildcards.dataset][
            "cagi"
        ]["max_ref_mismatch"],
    script:
        "../../scripts/map_mavedb.py"


rule index_mavedb:
    input:
        records=mavedb_records,
        tables=mavedb_tables,
    output:
        index="results/mavedb/{dataset}/elements.tsv",
    log:
        "logs/index_mavedb/{dataset}.log",
    wildcard_constraints:
        dataset=_names_regex(list(MAVEDB)),
    conda:
        "../../envs/analysis.yaml"
    resources:
        **DEFAULT_RESOURCES,
    script:
        "../../scripts/index_mavedb.py"


rule score_cagi5:
    input:
        unpack(cagi_inputs),
        model=run_model,
    output:
        variants="results/variants/{dataset}/{augset}/{seed}/{stage}/variants.tsv",
        elements="results/variants/{dataset}/{augset}/{seed}/{stage}/elements.tsv",
    log:
        "logs/score_cagi5/{dataset}/{augset}/{seed}/{stage}.log",
    benchmark:
        "results/benchmarks/score_cagi5/{dataset}/{augset}/{seed}/{stage}.tsv"
    conda:
        "../../envs/train.yaml"
    threads: config["train_threads"]
    resources:
        **DEFAULT_RESOURCES,
    params:
        run=run_identity,
        source=lambda wildcards: entry(wildcards)["cagi"]["source"],
        rc_average=lambda wildcards: entry(wildcards)["cagi"]["rc_average"],
        device=config["device"],
    script:
        "../../scripts/score_cagi5.py"


rule summarize_cagi5:
    input:
        elements=analysis_files("cagi", "results/variants/{path}/{stage}/elements.tsv"),
    output:
        table=report(
            "results/summary/cagi5.tsv",
            caption="../report/cagi5.rst",
            category="Variants",
        ),
        figure=report(
            "results/summary/cagi5.png",
            caption="../report/cagi5.rst",
            category="Variants",
        ),
    log:
        "logs/summarize_cagi5/summarize_cagi5.log",
    conda:
        "../../envs/analysis.yaml"
    resources:
        **DEFAULT_RESOURCES,
    script:
        "../../scripts/summarize_cagi5.py"


rule score_variants:
    input:
        vcf=vcf_file,
        genome=vcf_genome,
        model=run_model,
    output:
        effects="results/variants/vcf/{vcf}/{dataset}/{augset}/{seed}/{stage}.tsv",
        skipped="results/variants/vcf/{vcf}/{dataset}/{augset}/{seed}/{stage}.skipped.tsv",
    log:
        "logs/score_variants/{vcf}/{dataset}/{augset}/{seed}/{stage}.log",
    benchmark:
        "results/benchmarks/score_variants/{vcf}/{dataset}/{augset}/{seed}/{stage}.tsv"
    conda:
        "../../envs/train.yaml"
    threads: config["train_threads"]
    resources:
        **DEFAULT_RESOURCES,
    params:
        device=config["device"],
    script:
        "../../scripts/score_variants.py"

# Data sets: the built-in synthetic benchmark and balanced ChIP-seq sets built from peaks.


# The synthetic genome and its peaks are read only by build_chip_dataset and
# map_chip_truth (data.h5, regions.tsv and truth.tsv are kept): temp().
rule make_synthetic_chip:
    output:
        genome=temp("results/synthetic/{dataset}/genome.fa"),
        chip=temp("results/synthetic/{dataset}/chip.narrowPeak"),
        accessible=temp("results/synthetic/{dataset}/accessible.narrowPeak"),
        truth=temp("results/synthetic/{dataset}/genome_truth.tsv"),
    log:
        "logs/make_synthetic_chip/{dataset}.log",
    benchmark:
        "results/benchmarks/make_synthetic_chip/{dataset}.tsv"
    wildcard_constraints:
        dataset=_names_regex(datasets_from("synthetic_chip")),
    conda:
        "../../envs/analysis.yaml"
    resources:
        **DEFAULT_RESOURCES,
    params:
        panel=config["motif_panel"],
        release=config["jaspar"]["release"],
        settings=lambda wildcards: entry(wildcards)["synthetic"],
        seed=config["data_seed"],
    script:
        "../../scripts/make_synthetic_chip.py"


rule build_chip_dataset:
    input:
        unpack(chip_inputs),
    output:
        h5="results/data/{dataset}/data.h5",
        regions="results/data/{dataset}/regions.tsv",
    log:
        "logs/build_chip_dataset/{dataset}.log",
    benchmark:
        "results/benchmarks/build_chip_dataset/{dataset}.tsv"
    wildcard_constraints:
        dataset=_names_regex(datasets_from("synthetic_chip", "chip_peaks")),
    conda:
        "../../envs/analysis.yaml"
    resources:
        **DEFAULT_RESOURCES,
    params:
        window=lambda wildcards: entry(wildcards)["window"],
        seed=config["data_seed"],
    script:
        "../../scripts/build_chip_dataset.py"


rule map_chip_truth:
    input:
        truth="results/synthetic/{dataset}/genome_truth.tsv",
        regions="results/data/{dataset}/regions.tsv",
    output:
        truth="results/data/{dataset}/truth.tsv",
    log:
        "logs/map_chip_truth/{dataset}.log",
    wildcard_constraints:
        dataset=_names_regex(datasets_from("synthetic_chip")),
    conda:
        "../../envs/analysis.yaml"
    resources:
        **DEFAULT_RESOURCES,
    script:
        "../../scripts/map_chip_truth.py"


rule make_synthetic_dataset:
    output:
        h5="results/data/{dataset}/data.h5",
        truth="results/data/{dataset}/truth.tsv",
    log:
        "logs/make_synthetic_dataset/{dataset}.log",
    benchmark:
        "results/benchmarks/make_synthetic_dataset/{dataset}.tsv"
    wildcard_constraints:
        dataset=_names_regex(
            datasets_from(
                "synthetic_deepstarr", "synthetic_basset", "synthetic_control"
            )
        ),
    conda:
        "../../envs/analysis.yaml"
    resources:
        **DEFAULT_RESOURCES,
    params:
        kind=lambda wildcards: entry(wildcards)["source"],
        panel=config["motif_panel"],
        release=config["jaspar"]["release"],
        settings=lambda wildcards: entry(wildcards)["synthetic"],
        seed=config["data_seed"],
    script:
        "../../scripts/make_synthetic_dataset.py"


rule check_dataset:
    input:
        data=dataset_h5,
    output:
        summary="results/data/{dataset}/check.json",
    log:
        "logs/check_dataset/{dataset}.log",
    benchmark:
        "results/benchmarks/check_dataset/{dataset}.tsv"
    wildcard_constraints:
        dataset=_names_regex(CONFIGURED),
    conda:
        "../../envs/analysis.yaml"
    resources:
        **DEFAULT_RESOURCES,
    params:
        task=lambda wildcards: entry(wildcards)["task"],
    script:
        "../../scripts/check_dataset.py"


rule oracle_metrics:
    input:
        data=dataset_h5,
        truth="results/data/{dataset}/truth.tsv",
    output:
        table="results/data/{dataset}/oracle.tsv",
    log:
        "logs/oracle_metrics/{dataset}.log",
    benchmark:
        "results/benchmarks/oracle_metrics/{dataset}.tsv"
    wildcard_constraints:
        dataset=_names_regex(synthetic_datasets()),
    conda:
        "../../envs/analysis.yaml"
    resources:
        **DEFAULT_RESOURCES,
    params:
        source=lambda wildcards: entry(wildcards)["source"],
        panel=config["motif_panel"],
        release=config["jaspar"]["release"],
        focal=lambda wildcards: entry(wildcards)["synthetic"].get(
            "focal", CHIP_DEFAULT_FOCAL
        ),
    script:
        "../../scripts/oracle_metrics.py"

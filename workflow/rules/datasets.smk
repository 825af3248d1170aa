# Data sets: the built-in synthetic benchmark and balanced ChIP-seq sets built from peaks.


rule make_synthetic_chip:
    output:
        genome="results/synthetic/{dataset}/genome.fa",
        chip="results/synthetic/{dataset}/chip.narrowPeak",
        accessible="results/synthetic/{dataset}/accessible.narrowPeak",
        truth="results/synthetic/{dataset}/genome_truth.tsv",
    params:
        panel=config["motif_panel"],
        settings=lambda wildcards: entry(wildcards)["synthetic"],
        seed=config["data_seed"],
    log:
        "logs/make_synthetic_chip/{dataset}.log",
    wildcard_constraints:
        dataset=_names_regex(datasets_from("synthetic_chip")),
    resources:
        mem_mb=config["resources"]["default"]["mem_mb"],
        runtime=config["resources"]["default"]["runtime"],
    conda:
        "../../envs/analysis.yaml"
    script:
        "../../scripts/make_synthetic_chip.py"


def chip_inputs(wildcards):
    """ChIP peaks, accessible peaks and genome of a chip data set (synthetic or given)."""
    data_entry = config["datasets"][wildcards.dataset]
    if data_entry["source"] == "synthetic_chip":
        folder = f"results/synthetic/{wildcards.dataset}"
        return {
            "chip": f"{folder}/chip.narrowPeak",
            "accessible": f"{folder}/accessible.narrowPeak",
            "genome": f"{folder}/genome.fa",
        }
    return {
        "chip": data_entry["chip_peaks"],
        "accessible": data_entry["accessible_peaks"],
        "genome": data_entry["genome"],
    }


rule build_chip_dataset:
    input:
        unpack(chip_inputs),
    output:
        h5="results/data/{dataset}/data.h5",
        regions="results/data/{dataset}/regions.tsv",
    params:
        window=lambda wildcards: entry(wildcards)["window"],
        seed=config["data_seed"],
    log:
        "logs/build_chip_dataset/{dataset}.log",
    wildcard_constraints:
        dataset=_names_regex(datasets_from("synthetic_chip", "chip_peaks")),
    resources:
        mem_mb=config["resources"]["default"]["mem_mb"],
        runtime=config["resources"]["default"]["runtime"],
    conda:
        "../../envs/analysis.yaml"
    script:
        "../../scripts/build_chip_dataset.py"


rule map_chip_truth:
    input:
        truth="results/synthetic/{dataset}/genome_truth.tsv",
        regions="results/data/{dataset}/regions.tsv",
    output:
        "results/data/{dataset}/truth.tsv",
    log:
        "logs/map_chip_truth/{dataset}.log",
    wildcard_constraints:
        dataset=_names_regex(datasets_from("synthetic_chip")),
    resources:
        mem_mb=config["resources"]["default"]["mem_mb"],
        runtime=config["resources"]["default"]["runtime"],
    conda:
        "../../envs/analysis.yaml"
    script:
        "../../scripts/map_chip_truth.py"


rule make_synthetic_dataset:
    output:
        h5="results/data/{dataset}/data.h5",
        truth="results/data/{dataset}/truth.tsv",
    params:
        kind=lambda wildcards: entry(wildcards)["source"],
        panel=config["motif_panel"],
        settings=lambda wildcards: entry(wildcards)["synthetic"],
        seed=config["data_seed"],
    log:
        "logs/make_synthetic_dataset/{dataset}.log",
    wildcard_constraints:
        dataset=_names_regex(datasets_from("synthetic_deepstarr", "synthetic_basset")),
    resources:
        mem_mb=config["resources"]["default"]["mem_mb"],
        runtime=config["resources"]["default"]["runtime"],
    conda:
        "../../envs/analysis.yaml"
    script:
        "../../scripts/make_synthetic_dataset.py"

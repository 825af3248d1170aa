# Downloads of public data: Zenodo record 7265991, ENCODE peak files, UCSC genomes.
# Each file is fetched to a temporary name, checked against its md5 (or hashed on first
# download and the hash kept beside it), then renamed; see evoaugflow.download.fetch.


rule download_zenodo:
    output:
        file="data/zenodo/{name}",
    log:
        "logs/download_zenodo/{name}.log",
    wildcard_constraints:
        name=_names_regex(list(ZENODO)),
    retries: 2
    conda:
        "../../envs/analysis.yaml"
    resources:
        **DEFAULT_RESOURCES,
    params:
        url=lambda wildcards: ZENODO[wildcards.name]["url"],
        md5=lambda wildcards: ZENODO[wildcards.name]["md5"],
    script:
        "../../scripts/download.py"


rule download_encode:
    output:
        peaks="data/encode/{accession}.bed.gz",
    log:
        "logs/download_encode/{accession}.log",
    wildcard_constraints:
        accession="ENCFF[0-9]{3}[A-Z]{3}",
    retries: 2
    conda:
        "../../envs/analysis.yaml"
    resources:
        **DEFAULT_RESOURCES,
    params:
        url="https://www.encodeproject.org/files/{accession}/@@download/{accession}.bed.gz",
        md5=None,
    script:
        "../../scripts/download.py"


rule download_genome:
    output:
        fasta="data/genomes/{build}.fa",
        index="data/genomes/{build}.fa.fai",
    log:
        "logs/download_genome/{build}.log",
    wildcard_constraints:
        build=_names_regex(list(GENOMES)),
    retries: 2
    conda:
        "../../envs/analysis.yaml"
    resources:
        # A genome is about 1 GB to fetch and decompress: four times the default runtime.
        **DEFAULT_RESOURCES | {"runtime": 4 * DEFAULT_RESOURCES["runtime"]},
    params:
        url=lambda wildcards: GENOMES[wildcards.build]["url"],
        md5=lambda wildcards: GENOMES[wildcards.build]["md5"],
    script:
        "../../scripts/download.py"


rule require_cagi5_table:
    output:
        table="data/cagi5/{element}.tsv",
    log:
        "logs/require_cagi5_table/{element}.log",
    conda:
        "../../envs/analysis.yaml"
    resources:
        **DEFAULT_RESOURCES,
    script:
        "../../scripts/require_cagi5_table.py"


rule download_mavedb:
    output:
        score_set="data/mavedb/{urn}/score_set.json",
        scores="data/mavedb/{urn}/scores.csv",
    log:
        "logs/download_mavedb/{urn}.log",
    wildcard_constraints:
        urn=_names_regex(MAVEDB_URNS),
    retries: 2
    conda:
        "../../envs/analysis.yaml"
    resources:
        **DEFAULT_RESOURCES,
    params:
        score_set_url=lambda wildcards: mavedb_lib.score_set_url(
            f"urn:mavedb:{wildcards.urn}", config["mavedb_url"]
        ),
        scores_url=lambda wildcards: mavedb_lib.scores_url(
            f"urn:mavedb:{wildcards.urn}", config["mavedb_url"]
        ),
    script:
        "../../scripts/download_mavedb.py"

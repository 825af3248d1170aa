# Downloads of public data: Zenodo record 7265991, ENCODE peak files, UCSC genomes.
# Each file is fetched to a temporary name, checked against its md5 (or hashed on first
# download and the hash kept beside it), then renamed; see evoaugflow.download.fetch.


rule download_zenodo:
    output:
        "data/zenodo/{name}",
    log:
        "logs/download_zenodo/{name}.log",
    wildcard_constraints:
        name=_names_regex(list(ZENODO)),
    retries: 2
    conda:
        "../../envs/analysis.yaml"
    resources:
        mem_mb=config["resources"]["default"]["mem_mb"],
        runtime=config["resources"]["default"]["runtime"],
    params:
        url=lambda wildcards: ZENODO[wildcards.name]["url"],
        md5=lambda wildcards: ZENODO[wildcards.name]["md5"],
    script:
        "../../scripts/download.py"


rule download_encode:
    output:
        "data/encode/{accession}.bed.gz",
    log:
        "logs/download_encode/{accession}.log",
    wildcard_constraints:
        accession="ENCFF[0-9]{3}[A-Z]{3}",
    retries: 2
    conda:
        "../../envs/analysis.yaml"
    resources:
        mem_mb=config["resources"]["default"]["mem_mb"],
        runtime=config["resources"]["default"]["runtime"],
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
        mem_mb=config["resources"]["default"]["mem_mb"],
        runtime=config["resources"]["default"]["runtime"] * 4,
    params:
        url=lambda wildcards: GENOMES[wildcards.build]["url"],
        md5=lambda wildcards: GENOMES[wildcards.build]["md5"],
    script:
        "../../scripts/download.py"


rule require_cagi5_table:
    output:
        "data/cagi5/{element}.tsv",
    log:
        "logs/require_cagi5_table/{element}.log",
    conda:
        "../../envs/analysis.yaml"
    resources:
        mem_mb=config["resources"]["default"]["mem_mb"],
        runtime=config["resources"]["default"]["runtime"],
    script:
        "../../scripts/require_cagi5_table.py"


# MaveDB score sets of the CAGI5 elements (cagi.source: mavedb): per configured data set,
# the manifest rows it scores; each score set is fetched once, keyed by its URN.
from evoaugflow import mavedb as mavedb_lib


def _mavedb_elements(name):
    settings = config["datasets"][name]["cagi"]
    if not settings.get("genome"):
        raise ValueError(
            f"datasets.{name}.cagi.genome: required when cagi.source is mavedb "
            "(hg19 / hg38 to download, or a FASTA path)"
        )
    manifest = settings["manifest"] or RESOURCES / "mavedb_cagi5.tsv"
    table = mavedb_lib.select_elements(
        mavedb_lib.read_manifest(manifest), settings["elements"]
    )
    return {row["element"]: row for row in table.to_dict("records")}


MAVEDB = {
    name: _mavedb_elements(name)
    for name in analysed_datasets("cagi")
    if config["datasets"][name]["cagi"]["source"] == "mavedb"
}
MAVEDB_URNS = sorted(
    {mavedb_lib.urn_key(row["urn"]) for rows in MAVEDB.values() for row in rows.values()}
)


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
        mem_mb=config["resources"]["default"]["mem_mb"],
        runtime=config["resources"]["default"]["runtime"],
    params:
        score_set_url=lambda wildcards: mavedb_lib.score_set_url(
            f"urn:mavedb:{wildcards.urn}", config["mavedb_url"]
        ),
        scores_url=lambda wildcards: mavedb_lib.scores_url(
            f"urn:mavedb:{wildcards.urn}", config["mavedb_url"]
        ),
    script:
        "../../scripts/download_mavedb.py"

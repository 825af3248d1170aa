"""Rules download_zenodo, download_encode, download_genome: one verified download.

A genome (output `fasta` with an `index`) is fetched gzipped, unpacked and indexed with
pyfaidx; anything else is stored as fetched.
"""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow.download import fetch_output

sys.exit(
    fetch_output(
        snakemake.params.url,
        snakemake.output.get("fasta", snakemake.output[0]),
        md5=snakemake.params.md5,
        genome="fasta" in snakemake.output.keys(),
    )
)

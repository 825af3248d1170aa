"""Rules download_zenodo, download_encode, download_genome: one verified download.

A genome (output `fasta` with an `index`) is fetched gzipped, unpacked and indexed with
pyfaidx; anything else is stored as fetched.
"""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from pathlib import Path

from evoaugflow.download import DownloadError, fetch, gunzip, index_fasta

outputs = dict(snakemake.output.items())
target = Path(outputs.get("fasta", snakemake.output[0]))
fetched = target.with_name(target.name + ".gz") if "fasta" in outputs else target
try:
    record = fetch(snakemake.params.url, fetched, md5=snakemake.params.md5, log=print)
except DownloadError as error:
    # One clear line for the Snakemake log, without urllib's traceback.
    print(f"ERROR: {error}")
    sys.exit(1)
print(f"fetched {record['url']}: {record['bytes']} bytes, md5 {record['md5']}")
if "fasta" in outputs:
    gunzip(fetched, target)
    index_fasta(target)
    print(f"unpacked and indexed {target}")

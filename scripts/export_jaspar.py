"""Rule export_jaspar: the motif database for filter matching, as MEME.

JASPAR CORE vertebrates non-redundant, exported offline from pyjaspar; or the official
file downloaded from JASPAR (config jaspar.meme: download), with the offline export as
the fallback when the site cannot be reached; or a given MEME file, validated and copied.
"""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow.download import DownloadError, fetch
from evoaugflow.jaspar import export_meme
from evoaugflow.meme import read_meme, write_meme

JASPAR_URL = (
    "https://jaspar.genereg.net/download/data/2022/CORE/"
    "JASPAR2022_CORE_vertebrates_non-redundant_pfms_meme.txt"
)
given, release, output = snakemake.params.given, snakemake.params.release, snakemake.output[0]
source = given
if given == "download":
    try:
        fetch(JASPAR_URL, output + ".download", retries=3, log=print)
        source = output + ".download"
    except DownloadError as error:
        print(f"WARNING: {error}\nfalling back to the offline pyjaspar export of {release}")
        source = None
if source:
    motifs = read_meme(source)
    write_meme(output, motifs)
    print(f"{len(motifs)} motifs from {source}")
else:
    count = export_meme(output, release=release)
    print(f"{count} motifs exported from pyjaspar {release}")

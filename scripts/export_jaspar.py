"""Rule export_jaspar: the motif database for filter matching, as MEME.

JASPAR CORE vertebrates non-redundant, exported offline from pyjaspar; or, when the
config names a MEME file (e.g. the downloaded official file), a validated copy of it.
"""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow.jaspar import export_meme
from evoaugflow.meme import read_meme, write_meme

if snakemake.params.given:
    motifs = read_meme(snakemake.params.given)
    write_meme(snakemake.output[0], motifs)
    print(f"{len(motifs)} motifs copied from {snakemake.params.given}")
else:
    count = export_meme(snakemake.output[0], release=snakemake.params.release)
    print(f"{count} motifs exported from pyjaspar {snakemake.params.release}")

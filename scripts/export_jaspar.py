"""Rule export_jaspar: the motif database for filter matching, as MEME.

JASPAR CORE vertebrates non-redundant, exported offline from pyjaspar; or the official
file downloaded from JASPAR (config jaspar.meme: download), with the offline export as
the fallback when the site cannot be reached; or a given MEME file, validated and copied.
"""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow.jaspar import write_jaspar_meme

write_jaspar_meme(snakemake.output[0], snakemake.params.given, release=snakemake.params.release)

"""Rule require_cagi5_table: CAGI5 challenge tables cannot be downloaded; say how to get them.

The CAGI5 regulation saturation-mutagenesis data are registered-access
(genomeinterpretation.org). This rule runs only when a configured table is missing and
fails with instructions instead of a bare MissingInputException.
"""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

print(
    f"ERROR: {snakemake.output[0]} is missing. The CAGI5 saturation-mutagenesis tables are "
    "registered-access: download the challenge release from https://genomeinterpretation.org "
    f"(CAGI5, 'Regulation saturation mutagenesis'), save element {snakemake.wildcards.element} "
    f"as {snakemake.output[0]} (the challenge's TSV layout: '#Chrom Pos Ref Alt Value "
    "Confidence'), and run the workflow again. To skip CAGI5, set analyses.cagi: false."
)
sys.exit(1)

"""Rule require_cagi5_table: CAGI5 challenge tables cannot be downloaded; say how to get them.

The CAGI5 regulation saturation-mutagenesis data are registered-access
(genomeinterpretation.org). This rule runs only when a configured table is missing and
fails with instructions instead of a bare MissingInputException.
"""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow.variants import missing_table_message

sys.exit(missing_table_message(snakemake.output[0], snakemake.wildcards.element))

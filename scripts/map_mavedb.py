"""Rule map_mavedb: one element's MaveDB SNVs on the genome, reference alleles checked."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow.mavedb import map_element_files

map_element_files(
    snakemake.params.row,
    snakemake.params.build,
    snakemake.input.score_set,
    snakemake.input.scores,
    snakemake.input.genome,
    snakemake.output.table,
    snakemake.output.record,
    max_ref_mismatch=snakemake.params.max_ref_mismatch,
)

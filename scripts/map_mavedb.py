"""Rule map_mavedb: one element's MaveDB SNVs on the genome, reference alleles checked."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

import math

from evoaugflow.io import atomic_path, write_json
from evoaugflow.mavedb import map_element

row = snakemake.params.row
# A pinned position is used only when it is given in the build of this genome.
pinned = row["start"] if row["build"] and row["build"] == snakemake.params.build else None
variants, record = map_element(
    row["element"],
    row["urn"],
    snakemake.input.score_set,
    snakemake.input.scores,
    snakemake.input.genome,
    row["chrom"],
    max_ref_mismatch=snakemake.params.max_ref_mismatch,
    hint=None if pinned is None or math.isnan(pinned) else int(pinned),
)
print(record)
with atomic_path(snakemake.output.table) as tmp:
    variants.to_csv(tmp, sep="\t", index=False)
write_json(snakemake.output.record, record)

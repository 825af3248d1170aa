"""Rule index_mavedb: the elements.tsv index of a data set's mapped MaveDB elements."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow.mavedb import write_element_index

write_element_index(snakemake.input.records, snakemake.input.tables, snakemake.output[0])

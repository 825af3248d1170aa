"""Rule index_mavedb: the elements.tsv index of a data set's mapped MaveDB elements."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

import json
from pathlib import Path

from evoaugflow.io import atomic_path
from evoaugflow.mavedb import element_index

records = [json.loads(Path(path).read_text()) for path in snakemake.input.records]
# Files relative to the index's folder, where read_cagi_elements resolves them.
files = [Path(path).name for path in snakemake.input.tables]
index = element_index(records, files)
print(index.to_string())
with atomic_path(snakemake.output[0]) as tmp:
    index.to_csv(tmp, sep="\t", index=False)

"""Rule report_overview: the report's landing page (tables, verdicts, figure thumbnails)."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow.report import write_overview

write_overview(
    snakemake.input.comparison,
    {kind: snakemake.input[kind] for kind in snakemake.input.keys()},
    snakemake.input.figures,
    snakemake.params.datasets,
    snakemake.params.split,
    snakemake.output[0],
)

"""Rule report_overview: the report's landing page (tables, verdicts, figure thumbnails)."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from pathlib import Path

from evoaugflow import io, report, summary

tables = {
    kind: summary.collect([snakemake.input[kind]], kind)
    for kind in report.ANALYSES
    if kind in snakemake.input.keys()
}
main, verdicts = report.overview_tables(summary.collect([snakemake.input.comparison]), tables)
figures = {}
for path in snakemake.input.figures:
    parts = Path(path).parts
    # results/summary/<dataset>/x.png, results/attribution/<dataset>/x.png; else all data sets.
    dataset = parts[2] if len(parts) == 4 and parts[2] in snakemake.params.datasets else ""
    figures.setdefault(dataset, []).append(path)
page = report.overview_html(main, verdicts, figures, split=snakemake.params.split)
with io.atomic_path(snakemake.output[0]) as tmp:
    Path(tmp).write_text(page)
print(main.to_string())
print(verdicts.to_string())

"""Rule match_filters: Tomtom of filter PPMs against JASPAR, with MEME-style q-values."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

import numpy as np
import pandas as pd

from evoaugflow.attribution import plot_filter_logos
from evoaugflow.filters import no_filters_reason, write_no_filter_matches
from evoaugflow.io import atomic_path
from evoaugflow.jaspar import fetch_motifs
from evoaugflow.meme import read_meme
from evoaugflow.tomtom import best_matches, filter_summary, tomtom

params = snakemake.params
reason = no_filters_reason(snakemake.input.meme)
if reason is not None:
    # The model has no filters (see extract_filters): empty matches, a row that says why.
    print(f"no filters: {reason}")
    output = snakemake.output
    write_no_filter_matches(output.matches, output.summary, output.logos, params.run, reason)
    raise SystemExit(0)
queries = read_meme(snakemake.input.meme)
targets = read_meme(snakemake.input.jaspar)
table = tomtom(queries, targets, exclude=params.exclude, use_meme_binary=params.use_meme_binary)
filters = pd.read_csv(snakemake.input.table, sep="\t")
result = filter_summary(table, filters["motif_id"], q_threshold=params.q_threshold)

# Planted-motif recovery (synthetic data): the fraction of the planted panel's motifs
# that at least one filter matches below the q-value cut-off. Matched by factor name, so
# that another JASPAR matrix of the same factor (e.g. CTCF's extended MA1930.1 for the
# planted MA0139.1) counts.
recovery = np.nan
if params.planted:
    planted = {motif.name.upper() for motif in fetch_motifs(params.planted, release=params.release)}
    hits = set(table.loc[table["q-value"] < params.q_threshold, "Target_name"].str.upper())
    recovery = len(planted & hits) / len(planted)
row = dict(params.run)
row.update(
    n_filters=result["n_filters"],
    n_with_sites=result["n_with_sites"],
    hit_rate=result["hit_rate"],
    mean_best_q=result["mean_best_qvalue"],
    n_matched_motifs=len(result["matched_motifs"]),
    planted_recovery=recovery,
    matched_motifs=",".join(result["matched_motifs"]),
)
print(row)
with atomic_path(snakemake.output.matches) as tmp:
    table.to_csv(tmp, sep="\t", index=False)
with atomic_path(snakemake.output.summary) as tmp:
    pd.DataFrame([row]).to_csv(tmp, sep="\t", index=False)
plot_filter_logos(
    queries,
    best_matches(table, q_threshold=None),
    snakemake.output.logos,
    title=f"{params.run['dataset']} {params.run['augset']} {params.run['stage']} seed {params.run['seed']}: first-layer filters",
)

"""Rule download_mavedb: one MaveDB score set (JSON record and scores CSV), verified.

Each file is fetched with evoaugflow.download.fetch: resumable, retried, and its md5
recorded beside it on first download (MaveDB publishes no checksums) and enforced after.
A score set's JSON record can be a few hundred bytes (the parsers check both files).
"""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow.download import fetch_outputs

sys.exit(
    fetch_outputs(
        [
            (snakemake.params.score_set_url, snakemake.output.score_set),
            (snakemake.params.scores_url, snakemake.output.scores),
        ],
        min_bytes=64,
    )
)

"""Rule download_mavedb: one MaveDB score set (JSON record and scores CSV), verified.

Each file is fetched with evoaugflow.download.fetch: resumable, retried, and its md5
recorded beside it on first download (MaveDB publishes no checksums) and enforced after.
"""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow.download import DownloadError, fetch

for url, target in (
    (snakemake.params.score_set_url, snakemake.output.score_set),
    (snakemake.params.scores_url, snakemake.output.scores),
):
    try:
        # A score set's JSON record can be a few hundred bytes; the parsers check both.
        record = fetch(url, target, md5=None, min_bytes=64, log=print)
    except DownloadError as error:
        print(f"ERROR: {error}")
        sys.exit(1)
    print(f"fetched {record['url']}: {record['bytes']} bytes, md5 {record['md5']}")

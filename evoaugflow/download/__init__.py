"""Fetch public data with checksums, resume and retries; unpack and index genomes; read manifests.

One job per module: :mod:`~evoaugflow.download.transport` (the verified, resumable
download), :mod:`~evoaugflow.download.checksums` (md5 of files and sidecars),
:mod:`~evoaugflow.download.genomes` (gunzip, FASTA index),
:mod:`~evoaugflow.download.manifests` (the shipped manifests of ``resources/``, described
in ``docs/data.md``) and :mod:`~evoaugflow.download.outputs` (what the download rules run).
"""

from evoaugflow.download.checksums import file_md5
from evoaugflow.download.genomes import gunzip, index_fasta
from evoaugflow.download.manifests import MANIFEST_COLUMNS, load_manifest
from evoaugflow.download.outputs import fetch_output, fetch_outputs
from evoaugflow.download.transport import ChecksumError, DownloadError, fetch

__all__ = [
    "ChecksumError",
    "DownloadError",
    "MANIFEST_COLUMNS",
    "fetch",
    "fetch_output",
    "fetch_outputs",
    "file_md5",
    "gunzip",
    "index_fasta",
    "load_manifest",
]

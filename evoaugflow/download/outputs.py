"""What the download rules run: verified fetches of rule outputs; a genome unpacked and indexed.

A failed download ends in one clear line for the Snakemake log (``ERROR: ...``), without
urllib's traceback, and a non-zero exit status for the rule's script to return.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from evoaugflow.download.genomes import gunzip, index_fasta
from evoaugflow.download.transport import DownloadError, fetch


def fetch_output(
    url: str,
    target: str | os.PathLike,
    md5: str | None = None,
    genome: bool = False,
    min_bytes: int = 1024,
    log: Callable[[str], None] = print,
) -> int:
    """Fetch one rule output; a genome is fetched gzipped, then unpacked and indexed.

    Parameters
    ----------
    url : str
        Where the file is (see :func:`evoaugflow.download.transport.fetch`).
    target : str or PathLike
        The output. With ``genome``, the FASTA: ``target + ".gz"`` is fetched, unpacked
        to ``target`` and indexed (``target + ".fai"``).
    md5 : str, optional
        Expected md5 of the fetched file (None: recorded on first download).
    genome : bool, default=False
    min_bytes : int, default=1024
        See :func:`~evoaugflow.download.transport.fetch`.
    log : callable, default=print
        Receives one line per event, and the error.

    Returns
    -------
    int
        0 on success, 1 when the download failed (the reason logged as ``ERROR: ...``).
    """
    return fetch_outputs([(url, target)], md5, genome, min_bytes, log)


def fetch_outputs(
    sources: Iterable[tuple[str, str | os.PathLike]],
    md5: str | None = None,
    genome: bool = False,
    min_bytes: int = 1024,
    log: Callable[[str], None] = print,
) -> int:
    """:func:`fetch_output` for several ``(url, target)`` pairs, stopping at the first failure.

    Returns
    -------
    int
        0 when every file was fetched, 1 otherwise.
    """
    for url, target in sources:
        target = Path(target)
        fetched = target.with_name(target.name + ".gz") if genome else target
        try:
            record = fetch(url, fetched, md5=md5, min_bytes=min_bytes, log=log)
        except DownloadError as error:
            log(f"ERROR: {error}")
            return 1
        log(f"fetched {record['url']}: {record['bytes']} bytes, md5 {record['md5']}")
        if genome:
            gunzip(fetched, target)
            index_fasta(target)
            log(f"unpacked and indexed {target}")
    return 0

"""Genome files after download: gunzip atomically, index FASTA (plain or bgzip) with pyfaidx."""

from __future__ import annotations

import contextlib
import gzip
import os
import shutil
import zlib
from pathlib import Path

import pyfaidx

from evoaugflow.io import atomic_path


def gunzip(src: str | os.PathLike, dest: str | os.PathLike, chunk_size: int = 1 << 20) -> Path:
    """Decompress a gzip file to ``dest`` atomically (multi-member files included).

    Parameters
    ----------
    src : str or PathLike
        The ``.gz`` file (plain gzip or bgzip).
    dest : str or PathLike
        Decompressed output; written only once decompression completed.
    chunk_size : int, optional
        Bytes decompressed at a time (default 1 MiB).

    Returns
    -------
    pathlib.Path
        ``dest``.
    """
    src = Path(src)
    if not src.is_file():
        raise ValueError(f"src {src} does not exist; download it first (see docs/data.md)")
    try:
        with gzip.open(src, "rb") as reader, atomic_path(dest) as tmp, open(tmp, "wb") as writer:
            shutil.copyfileobj(reader, writer, chunk_size)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise ValueError(
            f"src {src} is not a complete gzip file ({exc}); delete it and download it again"
        ) from exc
    return Path(dest)


def _is_bgzf(path: Path) -> bool:
    # BGZF is gzip with an extra field (FLG.FEXTRA) whose first subfield id is "BC".
    with open(path, "rb") as handle:
        head = handle.read(14)
    return len(head) == 14 and head[:4] == b"\x1f\x8b\x08\x04" and head[12:14] == b"BC"


def index_fasta(path: str | os.PathLike) -> Path:
    """Build the samtools-style ``.fai`` index of a FASTA file with pyfaidx.

    An existing index at least as new as the FASTA is kept. Plain ``.fa.gz`` files (the
    form UCSC serves) cannot be indexed: decompress them with :func:`gunzip` first. bgzip
    files are indexed in place (with a ``.gzi`` beside them).

    Parameters
    ----------
    path : str or PathLike
        FASTA file, uncompressed or bgzip-compressed.

    Returns
    -------
    pathlib.Path
        The index, ``path + ".fai"``.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"path {path} does not exist; download and decompress the genome first")
    with open(path, "rb") as handle:
        gzipped = handle.read(2) == b"\x1f\x8b"
    bgzf = gzipped and _is_bgzf(path)
    if gzipped and not bgzf:
        raise ValueError(
            f"path {path} is plain gzip, which pyfaidx cannot index; decompress it with "
            f"evoaugflow.download.gunzip({str(path)!r}, {str(path.with_suffix(''))!r}) "
            "(or recompress it with bgzip) and index that"
        )
    fai = path.with_name(path.name + ".fai")
    if fai.exists() and fai.stat().st_mtime >= path.stat().st_mtime:
        return fai
    with contextlib.ExitStack() as stack:
        tmp_fai = stack.enter_context(atomic_path(fai))
        tmp_gzi = None
        if bgzf:
            tmp_gzi = stack.enter_context(atomic_path(path.with_name(path.name + ".gzi")))
        for placeholder in (tmp_fai, tmp_gzi):
            if placeholder is not None:
                # pyfaidx would read an empty placeholder as an empty index: let it create it.
                placeholder.unlink()
        try:
            pyfaidx.Faidx(
                str(path),
                indexname=str(tmp_fai),
                gzi_indexname=None if tmp_gzi is None else str(tmp_gzi),
            ).close()
        except pyfaidx.FastaIndexingError as exc:
            raise ValueError(f"path {path} is not a well-formed FASTA file: {exc}") from exc
    return fai

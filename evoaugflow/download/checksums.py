"""md5 checksums of downloads: hashing files, checking md5 text, the ``.md5`` sidecar."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

#: An md5 as written in manifests and sidecars: 32 lower-case hexadecimal characters.
MD5_PATTERN = re.compile(r"^[0-9a-f]{32}$")


def file_md5(path: str | os.PathLike, chunk_size: int = 1 << 20) -> str:
    """Return the md5 of a file as 32 lower-case hexadecimal characters.

    Parameters
    ----------
    path : str or PathLike
        File to hash.
    chunk_size : int, optional
        Bytes read at a time (default 1 MiB).
    """
    hasher = hashlib.md5()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk_size), b""):
            hasher.update(block)
    return hasher.hexdigest()


def check_md5_text(value: str, what: str) -> str:
    value = value.strip().lower()
    if not MD5_PATTERN.match(value):
        raise ValueError(
            f"{what} is {value!r}; expected an md5 of 32 hexadecimal characters "
            "(or nothing, when the checksum is unknown)"
        )
    return value


def read_sidecar(sidecar: Path) -> str | None:
    if not sidecar.exists():
        return None
    fields = sidecar.read_text().split()
    if not fields:
        raise ValueError(f"{sidecar} is empty; delete it so that the md5 is computed afresh")
    return check_md5_text(fields[0], f"the md5 recorded in {sidecar}")

"""Small file helpers shared by every module: atomic writes and JSON records."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    Nothing is left behind when the body raises: the temporary file is removed and
    ``path`` keeps whatever it held before.

    Parameters
    ----------
    path : str or PathLike
        Final destination. Its folder is created if missing.
    suffix : str, optional
        Suffix of the temporary file (default: the suffix of ``path``), for writers
        that choose a format by extension (matplotlib, h5py).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=path.suffix if suffix is None else suffix, dir=path.parent
    )
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json(path: str | os.PathLike, record: dict) -> None:
    """Write ``record`` as indented JSON to ``path`` atomically."""
    write_text_atomic(path, json.dumps(record, indent=2, sort_keys=True, default=str) + "\n")

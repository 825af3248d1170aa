"""Small file helpers shared by every module: atomic writes, JSON records and tables."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def current_umask() -> int:
    """The process's umask (read by setting it and putting it back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    Nothing is left behind when the body raises: the temporary file is removed and
    ``path`` keeps whatever it held before. The file gets the mode that the umask gives
    a new file (0644 under umask 022).

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
        # mkstemp makes the file 0600; a result must be as readable as any file the user
        # creates (0644 under umask 022), e.g. by collaborators on a shared project.
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_tsv(frame, path: str | os.PathLike, comments=()) -> None:
    """Write a table as a tab-separated file atomically, without the index.

    Every table of the workflow is written here. Missing values are written as ``NaN``
    (which ``pandas.read_csv`` reads back as missing); floats keep full precision.

    Parameters
    ----------
    frame : pandas.DataFrame
    path : str or PathLike
    comments : sequence of str, default ()
        Lines written before the header, as given (e.g. the ``## ...`` lines of the
        CAGI5 layout).
    """
    import pandas as pd  # noqa: PLC0415 - not every user of this module needs pandas

    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"frame: expected a pandas DataFrame, got {type(frame).__name__}")
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as handle:
        handle.writelines(f"{line}\n" for line in comments)
        frame.to_csv(handle, sep="\t", index=False, na_rep="NaN", lineterminator="\n")


def write_json(path: str | os.PathLike, record: dict) -> None:
    """Write ``record`` as indented JSON to ``path`` atomically."""
    write_text_atomic(path, json.dumps(record, indent=2, sort_keys=True, default=str) + "\n")


def text_lines(path: str | os.PathLike) -> Iterator[tuple[int, str]]:
    """Yield ``(1-based line number, line)`` of a plain or gzipped text file.

    A gzip stream that ends early or is corrupt (a truncated download) raises a
    ValueError naming the file and the line where reading stopped, instead of a bare
    ``EOFError`` after a partial read.
    """
    import gzip
    import zlib

    path = Path(path)
    with open(path, "rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    line_number = 0
    try:
        with gzip.open(path, "rt") if gzipped else open(path) as handle:
            for line_number, line in enumerate(handle, start=1):  # noqa: B007
                yield line_number, line
    except (EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise ValueError(
            f"{path}, line {line_number + 1}: the gzip file is truncated or corrupt after line "
            f"{line_number} ({type(error).__name__}: {error}); fetch or compress it again "
            "(`gzip -t` tests a file)"
        ) from None
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{path}, line {line_number + 1}: not a text file ({error}); pass the plain or "
            "gzipped text file"
        ) from None


def load_yaml(path: str | os.PathLike):
    """Parse a YAML file; a syntax error names the file, line and column.

    Parameters
    ----------
    path : str or PathLike

    Returns
    -------
    object
        What the file holds (None for an empty file).
    """
    import yaml

    path = Path(path)
    try:
        with open(path) as handle:
            return yaml.safe_load(handle)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ValueError(
            f"{path}{where}: YAML syntax error: {error.problem or error.context}; fix the "
            "indentation, brackets or quotes there (tabs are not allowed for indentation)"
        ) from None
    except yaml.YAMLError as error:
        raise ValueError(f"{path}: YAML syntax error: {error}") from None


def duplicate_fasta_header(path: str | os.PathLike) -> tuple[str, int, int] | None:
    """The first record name that occurs twice in a FASTA file, or None.

    Returns
    -------
    tuple or None
        ``(name, first line, second line)`` with 1-based line numbers.
    """
    seen: dict[str, int] = {}
    for line_number, line in text_lines(path):
        if line.startswith(">"):
            name = line[1:].split(maxsplit=1)[0] if line[1:].strip() else ""
            if name in seen:
                return name, seen[name], line_number
            seen[name] = line_number
    return None


def open_fasta(path: str | os.PathLike, **options):
    """``pyfaidx.Fasta`` of a FASTA file; a duplicate record name names file and lines.

    Parameters
    ----------
    path : str or PathLike
    **options
        Passed to ``pyfaidx.Fasta`` (e.g. ``as_raw``, ``sequence_always_upper``).
    """
    import pyfaidx

    path = Path(path)
    try:
        return pyfaidx.Fasta(str(path), **options)
    except ValueError as error:
        duplicate = duplicate_fasta_header(path)
        if duplicate is None:
            raise ValueError(f"{path}: cannot be read as FASTA ({error})") from None
        name, first, second = duplicate
        raise ValueError(
            f"{path}, line {second}: record name {name!r} was already used at line {first}; "
            "every sequence needs its own name (rename or remove one)"
        ) from None

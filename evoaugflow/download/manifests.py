"""The shipped download manifests of ``resources/`` (Zenodo, ENCODE, genomes), validated.

The manifests are described in ``docs/data.md``.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from pathlib import Path

from evoaugflow.download.checksums import MD5_PATTERN
from evoaugflow.download.transport import URL_SCHEMES

_ENCODE_FILE_PATTERN = re.compile(r"^ENCFF[0-9]{3}[A-Z]{3}$")
MANIFEST_COLUMNS = {
    "zenodo": ("name", "url", "md5", "size", "description"),
    "encode": ("factor", "cell_type", "assay", "accession", "build", "url", "status", "note"),
    "genomes": ("build", "url", "md5"),
}
_MANIFEST_KEYS = {
    "zenodo": ("name",),
    "encode": ("factor", "cell_type", "assay"),
    "genomes": ("build",),
}
ENCODE_ASSAYS = ("ChIP-seq", "DNase-seq")
ENCODE_STATUSES = ("unpublished", "candidate", "verified")
GENOME_BUILDS = ("hg19", "hg38")


def _check_manifest_row(kind: str, row: dict, where: str) -> dict:
    """Validate one manifest row; return it with empty fields as None and size as int."""

    def fail(column: str, expectation: str) -> None:
        raise ValueError(f"{where}: column {column!r} is {row[column]!r}; expected {expectation}")

    if row["url"] and urllib.parse.urlsplit(row["url"]).scheme not in URL_SCHEMES:
        fail("url", f"a URL starting with one of {URL_SCHEMES}")
    if row.get("md5") and not MD5_PATTERN.match(row["md5"]):
        fail("md5", "32 lower-case hexadecimal characters, or empty when unknown")
    if kind == "zenodo":
        if not row["name"] or "/" in row["name"]:
            fail("name", "a file name without '/'")
        if not row["url"]:
            fail("url", "the download URL of the file")
        if row["size"] and not row["size"].isdigit():
            fail("size", "a size in bytes (digits only), or empty when unknown")
    elif kind == "genomes":
        if row["build"] not in GENOME_BUILDS:
            fail("build", f"one of {GENOME_BUILDS}")
        if not row["url"]:
            fail("url", "the download URL of the genome")
    else:
        if row["assay"] not in ENCODE_ASSAYS:
            fail("assay", f"one of {ENCODE_ASSAYS}")
        if row["assay"] == "ChIP-seq" and not row["factor"]:
            fail("factor", "the ChIP-seq target (e.g. CTCF)")
        if not row["cell_type"]:
            fail("cell_type", "a cell type (e.g. GM12878)")
        if row["status"] not in ENCODE_STATUSES:
            fail("status", f"one of {ENCODE_STATUSES}")
        if row["build"] and row["build"] not in GENOME_BUILDS:
            fail("build", f"one of {GENOME_BUILDS}, or empty when unknown")
        if row["status"] == "unpublished":
            for column in ("accession", "url"):
                if row[column]:
                    fail(column, "empty while status is 'unpublished' (or set status 'candidate')")
        else:
            if not _ENCODE_FILE_PATTERN.match(row["accession"]):
                fail("accession", "an ENCODE file accession such as ENCFF123ABC")
            if row["accession"] not in row["url"]:
                fail("url", f"a download URL of {row['accession']}")
            if not row["build"]:
                fail("build", f"one of {GENOME_BUILDS} once an accession is chosen")
    checked = {column: (value or None) for column, value in row.items()}
    if kind == "zenodo" and checked["size"] is not None:
        checked["size"] = int(checked["size"])
    return checked


def load_manifest(path: str | os.PathLike, kind: str | None = None) -> list[dict]:
    """Read and validate one of the tab-separated manifests in ``resources/``.

    The header names the kind (see ``MANIFEST_COLUMNS``): ``zenodo``
    (``name, url, md5, size, description``), ``encode`` (``factor, cell_type, assay,
    accession, build, url, status, note``) or ``genomes`` (``build, url, md5``). Blank
    lines are skipped.

    Parameters
    ----------
    path : str or PathLike
        The TSV file.
    kind : str, optional
        Expected kind (default None: inferred from the header).

    Returns
    -------
    list of dict
        One dict per row, keyed by column; empty fields are None, ``size`` is an int.

    Raises
    ------
    ValueError
        Unknown header, wrong number of fields, a bad value or a duplicated key; the
        message names the file, the line and the column.
    """
    path = Path(path)
    if kind is not None and kind not in MANIFEST_COLUMNS:
        raise ValueError(f"kind is {kind!r}; expected one of {tuple(MANIFEST_COLUMNS)} or None")
    if not path.is_file():
        raise ValueError(f"manifest {path} does not exist")
    lines = path.read_text().splitlines()
    header = tuple(lines[0].split("\t")) if lines else ()
    kinds = {columns: name for name, columns in MANIFEST_COLUMNS.items()}
    if header not in kinds or (kind is not None and kinds[header] != kind):
        allowed = {kind: MANIFEST_COLUMNS[kind]} if kind else MANIFEST_COLUMNS
        raise ValueError(
            f"{path}, line 1: header {header!r} is not a manifest header; expected the "
            f"tab-separated columns of one of {allowed}"
        )
    kind = kinds[header]
    rows, seen = [], {}
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = line.split("\t")
        where = f"{path}, line {number}"
        if len(fields) != len(header):
            raise ValueError(
                f"{where}: {len(fields)} tab-separated fields; expected {len(header)} "
                f"({', '.join(header)})"
            )
        row = _check_manifest_row(
            kind, dict(zip(header, (f.strip() for f in fields), strict=True)), where
        )
        key = tuple(row[column] for column in _MANIFEST_KEYS[kind])
        if key in seen:
            raise ValueError(
                f"{where}: {dict(zip(_MANIFEST_KEYS[kind], key, strict=True))} repeats line {seen[key]}; "
                "each entry may appear once"
            )
        seen[key] = number
        rows.append(row)
    return rows

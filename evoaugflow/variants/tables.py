"""Variant tables: CAGI5-style element tables, element indexes and the SNVs of VCF files.

Positions in tables are 1-based (CAGI5, VCF). A malformed row raises ``ValueError`` naming
the file and the 1-based line.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from evoaugflow.io import text_lines

BASES = "ACGT"
#: Allele classes counted by :func:`read_vcf`; only ``snv`` rows are returned.
VCF_ALLELE_TYPES = ("snv", "mnv", "indel", "symbolic", "other")
CAGI_COLUMNS = ("element", "chrom", "pos", "ref", "alt", "value", "confidence")


def as_base(text: str) -> str:
    base = text.strip().upper()
    if len(base) != 1 or base not in BASES:
        raise ValueError(f"allele {text!r} is not one of A, C, G, T (only SNVs are scored)")
    return base


def as_position(text: str) -> int:
    pos = int(text)
    if pos < 1:
        raise ValueError(f"position {text!r} must be >= 1 (1-based)")
    return pos


def as_coordinate(text: str) -> int:
    coord = int(text)
    if coord < 0:
        raise ValueError(f"coordinate {text!r} must be >= 0")
    return coord


def as_name(text: str) -> str:
    name = text.strip()
    if not name:
        raise ValueError("empty name")
    return name


def read_header_table(
    path: Path,
    converters: Mapping[str, Callable[[str], object]],
    optional: Sequence[str] = (),
) -> pd.DataFrame:
    """Parse a tab-separated table with ``##`` comments and a (possibly ``#``-led) header.

    Column names are matched case-insensitively without the leading ``#``. Every column in
    ``converters`` must be present unless listed in ``optional`` (then it is NaN); other
    columns are ignored. A row with the wrong number of fields or a value its converter
    rejects raises ``ValueError`` naming the file and the 1-based line number.
    """
    if not path.is_file():
        raise ValueError(f"{path}: file not found")
    header = None
    records = {name: [] for name in converters}
    with open(path) as handle:
        for line_number, line in enumerate(handle, start=1):
            line = line.rstrip("\r\n")
            if not line.strip() or line.startswith("##"):
                continue
            fields = line.split("\t")
            if header is None:
                header = [field.strip().lstrip("#").strip().lower() for field in fields]
                missing = [n for n in converters if n not in header and n not in optional]
                if missing:
                    raise ValueError(
                        f"{path}, line {line_number}: header {fields} lacks column(s) "
                        f"{missing}; expected tab-separated columns {list(converters)}"
                    )
                columns = {name: header.index(name) for name in converters if name in header}
                continue
            if len(fields) != len(header):
                raise ValueError(
                    f"{path}, line {line_number}: {len(fields)} tab-separated fields, the "
                    f"header has {len(header)}; fix or remove the row"
                )
            for name, convert in converters.items():
                if name not in columns:
                    records[name].append(np.nan)
                    continue
                raw = fields[columns[name]]
                try:
                    records[name].append(convert(raw))
                except ValueError as error:
                    raise ValueError(
                        f"{path}, line {line_number}: column {name!r} value {raw!r} is "
                        f"invalid ({error}); fix or remove the row"
                    ) from None
    if header is None:
        raise ValueError(f"{path}: no header line; expected columns {list(converters)}")
    return pd.DataFrame(records)


def _element_from_filename(path: Path) -> str:
    stem = path.name.removesuffix(".tsv").removesuffix(".txt")
    for prefix in ("challenge_", "release_"):
        stem = stem.removeprefix(prefix)
    return stem


def read_cagi_tsv(path: str | os.PathLike, element: str | None = None) -> pd.DataFrame:
    """Read one element's table in the CAGI5 regulation-saturation challenge layout.

    The layout: ``##`` comment lines, a header ``#Chrom  Pos  Ref  Alt  Value  Confidence``
    (tab-separated; matched case-insensitively, the ``#`` optional, extra columns ignored,
    ``Confidence`` optional), then one SNV per row. Chromosomes may be written ``1``/``X``
    (as in the release) or ``chr1``/``chrX``; they are kept as written and matched to the
    FASTA later (:func:`variant_windows`).

    Parameters
    ----------
    path : str or PathLike
        The element's TSV file (e.g. ``release_F9.tsv``).
    element : str, optional
        Element name; default: the file name without ``.tsv`` and without a
        ``challenge_`` / ``release_`` prefix.

    Returns
    -------
    pandas.DataFrame
        Columns ``element, chrom, pos`` (1-based int), ``ref, alt`` (upper-case single
        bases), ``value`` (measured effect, float), ``confidence`` (float, NaN if absent).

    Raises
    ------
    ValueError
        Missing file or header column; a row with the wrong number of fields, a
        non-integer or < 1 position, an allele other than A/C/G/T, or a non-numeric
        value/confidence (the message names the file and line).
    """
    path = Path(path)
    table = read_header_table(
        path,
        {
            "chrom": as_name,
            "pos": as_position,
            "ref": as_base,
            "alt": as_base,
            "value": float,
            "confidence": float,
        },
        optional=("confidence",),
    )
    table.insert(0, "element", element if element is not None else _element_from_filename(path))
    return table.astype({"pos": np.int64, "value": np.float64, "confidence": np.float64})


def read_cagi_elements(elements_tsv: str | os.PathLike) -> pd.DataFrame:
    """Read an element index: one row per element with its region and variant table.

    Parameters
    ----------
    elements_tsv : str or PathLike
        Tab-separated file with a header and columns ``element, chrom, start, end, file``
        (further columns ignored). ``file`` is the element's CAGI TSV, absolute or
        relative to the folder of ``elements_tsv``.

    Returns
    -------
    pandas.DataFrame
        Columns ``element, chrom, start, end`` (ints as written) and ``file`` (absolute
        path as a string).

    Raises
    ------
    ValueError
        Missing file or column, a malformed row (file and line named), ``start > end``,
        a duplicated element, or a listed variant file that does not exist.
    """
    elements_tsv = Path(elements_tsv)
    table = read_header_table(
        elements_tsv,
        {
            "element": as_name,
            "chrom": as_name,
            "start": as_coordinate,
            "end": as_coordinate,
            "file": as_name,
        },
    )
    bad = table.index[table["start"] > table["end"]]
    if len(bad):
        raise ValueError(
            f"{elements_tsv}: element {table.loc[bad[0], 'element']!r} has start > end; "
            "swap the coordinates"
        )
    duplicated = table["element"][table["element"].duplicated()]
    if len(duplicated):
        raise ValueError(
            f"{elements_tsv}: element {duplicated.iloc[0]!r} is listed twice; keep one row"
        )
    table["file"] = [str((elements_tsv.parent / name).resolve()) for name in table["file"]]
    for element, name in zip(table["element"], table["file"], strict=True):
        if not Path(name).is_file():
            raise ValueError(f"{elements_tsv}: element {element!r} file {name} does not exist")
    return table.astype({"start": np.int64, "end": np.int64})


def _allele_type(ref: str, alt: str) -> str:
    if alt.startswith("<") or "[" in alt or "]" in alt:
        return "symbolic"
    if not (set(ref) <= set(BASES) and set(alt) <= set(BASES)) or not ref or not alt:
        return "other"
    if len(ref) != len(alt):
        return "indel"
    return "snv" if len(ref) == 1 else "mnv"


def read_vcf(path: str | os.PathLike) -> tuple[pd.DataFrame, dict[str, int]]:
    """Read the SNVs of a plain or gzipped (also bgzipped) VCF file.

    Multi-allelic records are split into one row per alternative allele. Each allele is
    classified as ``snv`` (kept), ``mnv`` (same length > 1), ``indel``, ``symbolic``
    (``<DEL>``, breakends) or ``other`` (``.``, ``*``, N or IUPAC codes); all but SNVs
    are skipped and counted.

    Parameters
    ----------
    path : str or PathLike
        VCF file; only the first five columns (CHROM, POS, ID, REF, ALT) are read.

    Returns
    -------
    variants : pandas.DataFrame
        Columns ``chrom, pos`` (1-based int), ``id, ref, alt`` (upper-case), ``line``
        (1-based line of the file), one SNV per row in file order.
    counts : dict of str to int
        Alleles per type, every key of :data:`VCF_ALLELE_TYPES` present (``snv`` = rows
        returned).

    Raises
    ------
    ValueError
        Missing file, or a data line with fewer than 5 fields or a non-integer or < 1
        POS (the message names the file and line).
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: VCF file not found")
    counts = dict.fromkeys(VCF_ALLELE_TYPES, 0)
    rows = []
    for line_number, line in text_lines(path):
        if line.startswith("#") or not line.strip():
            continue
        fields = line.rstrip("\r\n").split("\t")
        if len(fields) < 5:
            raise ValueError(
                f"{path}, line {line_number}: {len(fields)} tab-separated fields, a VCF "
                "record needs at least CHROM, POS, ID, REF, ALT"
            )
        chrom, pos_text, variant_id, ref = fields[0], fields[1], fields[2], fields[3].upper()
        try:
            pos = as_position(pos_text)
        except ValueError as error:
            raise ValueError(f"{path}, line {line_number}: POS is invalid ({error})") from None
        for alt in fields[4].upper().split(","):
            allele_type = _allele_type(ref, alt)
            counts[allele_type] += 1
            if allele_type == "snv":
                rows.append((chrom, pos, variant_id, ref, alt, line_number))
    variants = pd.DataFrame(rows, columns=["chrom", "pos", "id", "ref", "alt", "line"])
    return variants.astype({"pos": np.int64, "line": np.int64}), counts


def _is_elements_index(path: Path) -> bool:
    with open(path) as handle:
        for line in handle:
            if line.strip() and not line.startswith("##"):
                names = {field.strip().lstrip("#").lower() for field in line.split("\t")}
                return {"element", "file"} <= names
    return False


def read_cagi_variants(cagi_tables) -> pd.DataFrame:
    if isinstance(cagi_tables, pd.DataFrame):
        missing = [
            c for c in ("element", "chrom", "pos", "ref", "alt", "value") if c not in cagi_tables
        ]
        if missing:
            raise ValueError(f"cagi_tables lacks column(s) {missing}; see read_cagi_tsv")
        return cagi_tables
    if isinstance(cagi_tables, (str, os.PathLike)):
        path = Path(cagi_tables)
        if path.is_file() and _is_elements_index(path):
            elements = read_cagi_elements(path)
            return pd.concat(
                [
                    read_cagi_tsv(name, element)
                    for element, name in zip(elements["element"], elements["file"], strict=True)
                ],
                ignore_index=True,
            )
        return read_cagi_tsv(path)
    if isinstance(cagi_tables, Iterable):
        tables = [read_cagi_tsv(name) for name in cagi_tables]
        if tables:
            return pd.concat(tables, ignore_index=True)
    raise ValueError(
        f"cagi_tables={cagi_tables!r}: pass a DataFrame from read_cagi_tsv, an elements.tsv "
        "index, a CAGI TSV path, or a non-empty list of CAGI TSV paths"
    )

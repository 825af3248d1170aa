"""MaveDB score sets of the CAGI5 elements: URLs, the manifest, and parsing the downloads.

A score set (``GET {api}/score-sets/{urn}``, JSON) names its target:
``targetGenes[0].targetSequence`` holds the DNA that was mutagenised; its scores
(``GET {api}/score-sets/{urn}/scores``, CSV) describe each variant in MAVE-HGVS relative to
that target (``hgvs_nt``, e.g. ``n.12A>G`` = position 12 of the target, 1-based) with the
measured effect in ``score``.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
from mavehgvs import MaveHgvsParseError, Variant

from evoaugflow.variants.tables import as_name, read_header_table

#: MaveDB's public API; the workflow's ``mavedb_url: null`` means this address.
API_URL = "https://api.mavedb.org/api/v1"
#: ``urn:mavedb:<8 digits>-<experiment>-<score set>``; group 1 is the path-safe key.
URN_PATTERN = re.compile(r"^urn:mavedb:([0-9]{8}-[a-z0-9]+-[0-9]+)$")
#: Columns of the manifest (see :func:`read_manifest`).
MANIFEST_COLUMNS = ("element", "urn", "chrom", "start", "build", "paper", "cell_line", "note")
#: How :func:`read_scores` classifies each row; only ``snv`` rows are mapped.
ROW_KINDS = ("snv", "multi", "indel", "identity", "other", "no_score", "invalid")
#: MAVE-HGVS prefixes of DNA positions numbered along the target sequence.
_DNA_PREFIXES = ("n", "g", "c", "m", "o")
_COMPLEMENT = str.maketrans("ACGTN", "TGCAN")
_MISSING = {"", "NA", "NaN", "nan", "None", "null"}


def urn_key(urn: str) -> str:
    """Path-safe key of a score-set URN: ``urn:mavedb:00000015-a-1`` -> ``00000015-a-1``.

    Raises
    ------
    ValueError
        If ``urn`` is not a MaveDB score-set URN.
    """
    match = URN_PATTERN.match(str(urn).strip())
    if match is None:
        raise ValueError(
            f"urn={urn!r} is not a MaveDB score-set URN such as 'urn:mavedb:00000015-a-1'"
        )
    return match.group(1)


def score_set_url(urn: str, api_url: str | None = None) -> str:
    """``{api_url}/score-sets/{urn}``: the score set's JSON record (default API: :data:`API_URL`)."""
    return f"{(api_url or API_URL).rstrip('/')}/score-sets/urn:mavedb:{urn_key(urn)}"


def scores_url(urn: str, api_url: str | None = None) -> str:
    """``{api_url}/score-sets/{urn}/scores``: the score set's variant scores as CSV."""
    return f"{score_set_url(urn, api_url)}/scores"


def revcomp(sequence: str) -> str:
    """Reverse complement of an upper-case DNA string (N stays N)."""
    return sequence.translate(_COMPLEMENT)[::-1]


# ----------------------------------------------------------------------------- manifest


def _optional_int(text: str) -> float:
    text = text.strip()
    if not text:
        return np.nan
    value = int(text)
    if value < 1:
        raise ValueError("must be a 1-based position >= 1")
    return value


def _yes_no(text: str) -> bool:
    value = text.strip().lower()
    if value not in ("yes", "no"):
        raise ValueError("must be 'yes' or 'no'")
    return value == "yes"


def read_manifest(path: str | os.PathLike) -> pd.DataFrame:
    """Read the element manifest (``resources/mavedb_cagi5.tsv``).

    Parameters
    ----------
    path : str or PathLike
        Tab-separated file with the header :data:`MANIFEST_COLUMNS`: ``element`` (name
        used in tables), ``urn`` (MaveDB score set), ``chrom`` (chromosome of the
        element), ``start`` and ``build`` (optional: 1-based genome position of target
        base 1 on the plus strand in that build, used to pin the location), ``paper``
        (``yes`` for the 15 elements of the EvoAug paper), ``cell_line``, ``note``.

    Returns
    -------
    pandas.DataFrame
        One row per element; ``start`` is NaN where not pinned, ``paper`` is bool.

    Raises
    ------
    ValueError
        A missing column, a malformed row (file and line named), a bad URN, a ``start``
        without a ``build``, or a duplicated element.
    """
    path = Path(path)
    converters = {
        "element": as_name,
        "urn": lambda text: f"urn:mavedb:{urn_key(text)}",
        "chrom": as_name,
        "start": _optional_int,
        "build": str.strip,
        "paper": _yes_no,
        "cell_line": str.strip,
        "note": str.strip,
    }
    table = read_header_table(path, converters, optional=("cell_line", "note"))
    for column in ("build", "cell_line", "note"):
        table[column] = table[column].fillna("").astype(str)
    unpinned = table["start"].notna() & table["build"].eq("")
    if unpinned.any():
        raise ValueError(
            f"{path}: element {table.loc[unpinned, 'element'].iloc[0]!r} has a start but no "
            "build; name the build of the position (e.g. hg19) or clear the start"
        )
    duplicated = table["element"][table["element"].duplicated()]
    if len(duplicated):
        raise ValueError(f"{path}: element {duplicated.iloc[0]!r} is listed twice; keep one row")
    return table


def select_elements(manifest: pd.DataFrame, names: list[str] | None = None) -> pd.DataFrame:
    """The manifest rows of ``names`` in that order; default: the ``paper`` rows.

    Raises
    ------
    ValueError
        A name that is not in the manifest (the message lists the known ones).
    """
    if not names:
        return manifest[manifest["paper"]].reset_index(drop=True)
    unknown = [name for name in names if name not in set(manifest["element"])]
    if unknown:
        raise ValueError(
            f"cagi.elements {unknown} are not in the MaveDB manifest; known elements: "
            f"{list(manifest['element'])}"
        )
    return manifest.set_index("element").loc[list(names)].reset_index()


# ----------------------------------------------------------------------------- score sets


def read_target(path: str | os.PathLike, urn: str | None = None) -> dict:
    """The target of a score-set JSON record (``GET /score-sets/{urn}``).

    Parameters
    ----------
    path : str or PathLike
        The downloaded JSON.
    urn : str, optional
        Expected URN; a record of another score set is refused.

    Returns
    -------
    dict
        ``urn``, ``name`` (target name), ``sequence`` (upper-case DNA) and
        ``extra_metadata`` (the record's ``extraMetadata``, ``{}`` where absent; the
        Kircher deposits are reported to hold ``chr``/``start``/``end`` there, which is
        recorded but not relied on).

    Raises
    ------
    ValueError
        Unreadable JSON, another URN, not exactly one target, or a target without a DNA
        sequence (an accession-based target cannot be mapped without its sequence).
    """
    path = Path(path)
    try:
        record = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: not a MaveDB score-set JSON record ({error})") from None
    if not isinstance(record, dict):
        raise ValueError(f"{path}: expected a JSON object (a MaveDB score set)")
    if urn is not None and record.get("urn") != urn:
        raise ValueError(
            f"{path}: holds score set {record.get('urn')!r}, expected {urn!r}; delete the "
            "file so that it is downloaded again"
        )
    targets = record.get("targetGenes")
    if not isinstance(targets, list) or len(targets) != 1:
        count = len(targets) if isinstance(targets, list) else 0
        raise ValueError(
            f"{path}: {count} entries in targetGenes; a CAGI5 element has exactly one target"
        )
    target = targets[0] or {}
    sequence_record = target.get("targetSequence") or {}
    sequence = str(sequence_record.get("sequence") or "").strip().upper()
    sequence_type = str(sequence_record.get("sequenceType") or "dna").lower()
    if not sequence or sequence_type != "dna" or set(sequence) - set("ACGTN"):
        raise ValueError(
            f"{path}: target {target.get('name')!r} has no DNA targetSequence "
            f"(sequenceType {sequence_type!r}); only sequence-based DNA targets can be mapped"
        )
    extra = record.get("extraMetadata")
    return {
        "urn": record.get("urn"),
        "name": target.get("name"),
        "sequence": sequence,
        "extra_metadata": extra if isinstance(extra, dict) else {},
    }


def _classify(hgvs: str, sequence: str) -> tuple[str, tuple | None]:
    """Kind of one ``hgvs_nt`` value and, for an SNV, ``(position, ref, alt)``."""
    try:
        variant = Variant(hgvs)
    except MaveHgvsParseError:
        return "invalid", None
    if variant.is_multi_variant():
        return "multi", None
    if variant.variant_type == "equal" or hgvs.strip() in ("_wt", "_sy"):
        return "identity", None
    if variant.prefix not in _DNA_PREFIXES:
        return "other", None
    if variant.variant_type in ("del", "ins", "dup", "delins"):
        return "indel", None
    if variant.variant_type != "sub":
        return "other", None
    position = variant.positions
    if position.is_extended() or not 1 <= position.position <= len(sequence):
        return "other", None
    ref, alt = variant.sequence
    return "snv", (position.position, ref.upper(), alt.upper())


def read_scores(
    path: str | os.PathLike, sequence: str, score_column: str = "score"
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Parse a MaveDB scores CSV and keep its single-nucleotide substitutions.

    Parameters
    ----------
    path : str or PathLike
        CSV from ``GET /score-sets/{urn}/scores`` (fixed columns ``accession, hgvs_nt,
        hgvs_splice, hgvs_pro`` and the score set's score columns; ``NA`` for missing).
    sequence : str
        The target sequence (:func:`read_target`); positions beyond it are ``other``.
    score_column : str, default="score"
        Column with the measured effect.

    Returns
    -------
    snvs : pandas.DataFrame
        One row per SNV with a score, in file order: ``hgvs_nt, target_pos`` (1-based),
        ``ref, alt`` (target strand), ``value`` (float), ``target_ref`` (the target's
        base at ``target_pos``).
    counts : dict of str to int
        Rows per kind, every key of :data:`ROW_KINDS` present: ``multi`` (multi-variants),
        ``indel``, ``identity`` (``n.=``, ``_wt``, ``_sy``), ``other`` (protein-only
        rows, positions outside the target), ``no_score``, ``invalid`` (not MAVE-HGVS).

    Raises
    ------
    ValueError
        Missing file, no ``hgvs_nt`` or score column, or no SNV at all.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: scores CSV not found")
    counts = dict.fromkeys(ROW_KINDS, 0)
    rows = []
    with open(path, newline="", encoding="utf-8-sig") as handle:
        lines = (line for line in handle if not line.startswith("#"))
        reader = csv.DictReader(lines)
        missing = [c for c in ("hgvs_nt", score_column) if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(
                f"{path}: header {reader.fieldnames} lacks {missing}; expected MaveDB's scores "
                f"CSV with hgvs_nt and {score_column!r} columns"
            )
        for record in reader:
            hgvs = (record.get("hgvs_nt") or "").strip()
            raw = (record.get(score_column) or "").strip()
            if hgvs in _MISSING:
                counts["other"] += 1
                continue
            try:
                value = float("nan") if raw in _MISSING else float(raw)
            except ValueError:
                raise ValueError(
                    f"{path}, line {reader.line_num}: {score_column} {raw!r} is not a number"
                ) from None
            kind, snv = _classify(hgvs, sequence)
            if kind == "snv" and not math.isfinite(value):
                kind = "no_score"
            counts[kind] += 1
            if kind == "snv":
                position, ref, alt = snv
                rows.append((hgvs, position, ref, alt, value, sequence[position - 1]))
    if not rows:
        raise ValueError(
            f"{path}: no single-nucleotide substitution with a score among {sum(counts.values())} "
            f"rows ({counts}); is this a nucleotide score set?"
        )
    columns = ["hgvs_nt", "target_pos", "ref", "alt", "value", "target_ref"]
    return pd.DataFrame(rows, columns=columns).astype({"target_pos": np.int64}), counts

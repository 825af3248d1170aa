"""CAGI5 saturation-mutagenesis elements from MaveDB: URLs, parsing, mapping to a genome.

Kircher et al. (2019) deposited one MaveDB score set per regulatory element. A score set
(``GET {api}/score-sets/{urn}``, JSON) names its target: ``targetGenes[0].targetSequence``
holds the DNA that was mutagenised; its scores (``GET {api}/score-sets/{urn}/scores``,
CSV) describe each variant in MAVE-HGVS relative to that target (``hgvs_nt``, e.g.
``n.12A>G`` = position 12 of the target, 1-based) with the measured effect in ``score``.

The flow is manifest -> download (``evoaugflow.download.fetch``) -> :func:`map_element`:

:func:`read_manifest` reads ``resources/mavedb_cagi5.tsv``; :func:`read_target` and
:func:`read_scores` (``mavehgvs``, MaveDB's MAVE-HGVS package) read the downloads;
:func:`locate_target` finds the target on either strand of its chromosome (no offset is
trusted); :func:`map_element` maps the SNVs to genome coordinates, checks each reference
allele and refuses an element with too many mismatches, naming it. Its table has the
layout of :func:`evoaugflow.variants.read_cagi_tsv`, so scoring is unchanged.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
from mavehgvs import MaveHgvsParseError, Variant

from evoaugflow.variants.tables import as_name, read_header_table
from evoaugflow.variants.windows import fasta_key, open_genome

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


# ----------------------------------------------------------------------------- mapping


def _chromosome_text(fasta, key: str, start: int = 0, end: int | None = None) -> str:
    record = fasta[key][start:end]
    return (record if isinstance(record, str) else record.seq).upper()


def _mismatches(query: str, text: str) -> int:
    a = np.frombuffer(query.encode("ascii"), dtype=np.uint8)
    b = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    return int(((a != b) | (a == ord("N")) | (b == ord("N"))).sum())


def locate_target(
    genome,
    chrom: str,
    sequence: str,
    element: str = "target",
    max_mismatch_frac: float = 0.05,
    hint: int | None = None,
    seed_length: int = 20,
    n_seeds: int = 8,
    max_hits_per_seed: int = 10_000,
) -> dict:
    """Find a target sequence on one chromosome of a genome, on either strand.

    Seeds of ``seed_length`` bases spread along the target (and its reverse complement)
    are searched exactly; each hit votes for a placement; every placement with the most
    votes, or with at least two, is scored by its mismatch count over the whole target.

    Parameters
    ----------
    genome : pyfaidx.Fasta or str or PathLike
        Genome FASTA (indexed by pyfaidx on first use).
    chrom : str
        Chromosome to search (``chr1`` and ``1`` both match).
    sequence : str
        Target sequence, upper-case DNA.
    element : str, default="target"
        Name used in error messages.
    max_mismatch_frac : float, default=0.05
        Largest tolerated fraction of target bases that differ from the genome.
    hint : int, optional
        1-based plus-strand position of target base 1 when pinned: only the region
        around it (the target length on each side) is searched.
    seed_length, n_seeds, max_hits_per_seed : int
        Seed size, number of seeds per strand, and the most hits counted per seed (a
        repeat-rich seed stops counting there).

    Returns
    -------
    dict
        ``chrom`` (the FASTA record), ``start`` (1-based plus-strand position of the
        leftmost genome base covered), ``end`` (inclusive), ``strand`` (``+``: target
        base 1 at ``start``; ``-``: target base 1 at ``end``, reverse-complemented),
        ``mismatches`` (target bases differing from the genome).

    Raises
    ------
    ValueError
        Chromosome not in the FASTA, no placement within the mismatch limit, or two
        equally good placements (name a pinned ``start`` in the manifest).
    """
    fasta = open_genome(genome)
    key = fasta_key(str(chrom), set(fasta.keys()))
    if key is None:
        raise ValueError(
            f"element {element}: chromosome {chrom!r} is not in the genome FASTA (its "
            f"records include {sorted(fasta.keys())[:5]}); pass the FASTA of the right build"
        )
    length = len(sequence)
    offset = 0
    if hint is not None:
        offset = max(0, int(hint) - 1 - length)
        text = _chromosome_text(fasta, key, offset, int(hint) - 1 + 2 * length)
    else:
        text = _chromosome_text(fasta, key)
    k = min(seed_length, length)
    starts = sorted({int(s) for s in np.linspace(0, length - k, max(1, n_seeds))})
    votes: Counter = Counter()
    for strand, query in (("+", sequence), ("-", revcomp(sequence))):
        for seed_start in starts:
            seed = query[seed_start : seed_start + k]
            if "N" in seed:
                continue
            hit, n_hits = text.find(seed), 0
            while hit != -1 and n_hits < max_hits_per_seed:
                votes[(hit - seed_start, strand)] += 1
                hit, n_hits = text.find(seed, hit + 1), n_hits + 1
    top = max(votes.values(), default=0)
    candidates = [
        place
        for place, count in votes.items()
        if (count == top or count >= 2) and 0 <= place[0] <= len(text) - length
    ]
    scored = sorted(
        (
            _mismatches(sequence if strand == "+" else revcomp(sequence), text[s : s + length]),
            s,
            strand,
        )
        for s, strand in candidates
    )
    limit = max_mismatch_frac * length
    if not scored or scored[0][0] > limit:
        best = f"the best placement has {scored[0][0]} mismatches" if scored else "no seed hit"
        raise ValueError(
            f"element {element}: its {length} nt target is not on {key} of the genome within "
            f"{max_mismatch_frac:.0%} mismatches ({best}); check the manifest's chromosome "
            "and the genome build"
        )
    if len(scored) > 1 and scored[1][0] == scored[0][0]:
        places = [f"{key}:{s + offset + 1}{strand}" for _, s, strand in scored[:2]]
        raise ValueError(
            f"element {element}: the target fits {places} equally well ({scored[0][0]} "
            "mismatches); pin the right one with start and build in the manifest"
        )
    mismatches, start, strand = scored[0]
    return {
        "chrom": key,
        "start": start + offset + 1,
        "end": start + offset + length,
        "strand": strand,
        "mismatches": mismatches,
    }


def map_element(
    element: str,
    urn: str,
    score_set_json: str | os.PathLike,
    scores_csv: str | os.PathLike,
    genome,
    chrom: str,
    max_ref_mismatch: float = 0.05,
    hint: int | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Map one element's SNVs to genome coordinates and check every reference allele.

    Parameters
    ----------
    element, urn : str
        Element name and its score-set URN (checked against the JSON record).
    score_set_json, scores_csv : str or PathLike
        The downloaded score set and scores.
    genome : pyfaidx.Fasta or str or PathLike
        Genome FASTA of the models' build (hg19 for the paper).
    chrom : str
        The element's chromosome.
    max_ref_mismatch : float, default=0.05
        Largest tolerated fraction of SNVs whose reference allele differs from the
        genome (and of target bases in :func:`locate_target`); above it the element is
        refused.
    hint : int, optional
        Pinned 1-based plus-strand position of target base 1 in this genome's build.

    Returns
    -------
    variants : pandas.DataFrame
        One row per SNV: ``element, chrom, pos`` (1-based), ``ref, alt`` (genome plus
        strand), ``value``, ``hgvs_nt, target_pos, urn`` and ``genome_ref`` (the
        genome's base); ``read_cagi_tsv`` reads it. Rows whose ``ref`` differs from
        ``genome_ref`` are kept; scoring flags them ``ref_mismatch``.
    record : dict
        ``element, urn, target_name, target_length, chrom, start, end, strand,
        target_mismatches, n_snv, n_ref_mismatch, n_target_ref_mismatch`` (hgvs ref
        differing from the target itself), ``skipped`` (row kinds of
        :func:`read_scores`) and ``mavedb_extra_metadata``.

    Raises
    ------
    ValueError
        Any error of :func:`read_target`, :func:`read_scores`, :func:`locate_target`, or
        more than ``max_ref_mismatch`` of the SNVs with a reference allele that differs
        from the genome (the message names the element).
    """
    if not 0.0 <= max_ref_mismatch <= 1.0:
        raise ValueError(f"max_ref_mismatch={max_ref_mismatch}: must lie in [0, 1]")
    target = read_target(score_set_json, urn)
    snvs, counts = read_scores(scores_csv, target["sequence"])
    fasta = open_genome(genome)
    place = locate_target(fasta, chrom, target["sequence"], element, max_ref_mismatch, hint=hint)
    if place["strand"] == "+":
        pos = place["start"] + snvs["target_pos"].to_numpy() - 1
        ref, alt = snvs["ref"], snvs["alt"]
    else:
        pos = place["end"] - snvs["target_pos"].to_numpy() + 1
        ref, alt = snvs["ref"].map(revcomp), snvs["alt"].map(revcomp)
    region = _chromosome_text(fasta, place["chrom"], place["start"] - 1, place["end"])
    genome_ref = [region[p - place["start"]] for p in pos]
    variants = pd.DataFrame(
        {
            "element": element,
            "chrom": place["chrom"],
            "pos": pos.astype(np.int64),
            "ref": ref.to_numpy(),
            "alt": alt.to_numpy(),
            "value": snvs["value"].to_numpy(),
            "hgvs_nt": snvs["hgvs_nt"].to_numpy(),
            "target_pos": snvs["target_pos"].to_numpy(),
            "urn": urn,
            "genome_ref": genome_ref,
        }
    )
    n_mismatch = int((variants["ref"] != variants["genome_ref"]).sum())
    if n_mismatch > max_ref_mismatch * len(variants):
        raise ValueError(
            f"element {element} ({urn}): {n_mismatch} of {len(variants)} reference alleles "
            f"disagree with the genome at {place['chrom']}:{place['start']}-{place['end']} "
            f"(more than max_ref_mismatch={max_ref_mismatch}); the element is refused. Check "
            "the genome build, or drop the element from cagi.elements"
        )
    record = {
        "element": element,
        "urn": urn,
        "target_name": target["name"],
        "target_length": len(target["sequence"]),
        **place,
        "target_mismatches": place["mismatches"],
        "n_snv": len(variants),
        "n_ref_mismatch": n_mismatch,
        "n_target_ref_mismatch": int((snvs["ref"] != snvs["target_ref"]).sum()),
        "skipped": {kind: n for kind, n in counts.items() if kind != "snv"},
        "mavedb_extra_metadata": target["extra_metadata"],
    }
    del record["mismatches"]
    return variants, record


def element_index(records: list[dict], files: list[str]) -> pd.DataFrame:
    """The ``elements.tsv`` index of mapped elements (read by ``read_cagi_elements``).

    ``records`` are :func:`map_element` records and ``files`` their tables (absolute, or
    relative to the index's folder), aligned. Returns ``element, chrom, start, end, file,
    urn, strand, target_length, target_mismatches, n_snv, n_ref_mismatch,
    n_target_ref_mismatch`` and ``skipped_<kind>`` per row kind of :func:`read_scores`.
    """
    if len(records) != len(files):
        raise ValueError(f"{len(records)} records but {len(files)} files: pass one per element")
    keys = ("urn", "strand", "target_length", "target_mismatches", "n_snv", "n_ref_mismatch")
    rows = [
        {key: record[key] for key in ("element", "chrom", "start", "end")}
        | {"file": str(name)}
        | {key: record[key] for key in (*keys, "n_target_ref_mismatch")}
        | {f"skipped_{kind}": n for kind, n in record["skipped"].items()}
        for record, name in zip(records, files, strict=True)
    ]
    return pd.DataFrame(rows)

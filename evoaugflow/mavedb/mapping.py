"""MaveDB elements on the genome: locate each target, map its SNVs, check reference alleles.

:func:`locate_target` finds the target on either strand of its chromosome (no offset is
trusted); :func:`map_element` maps the SNVs to genome coordinates, checks each reference
allele and refuses an element with too many mismatches, naming it. Its table has the
layout of :func:`evoaugflow.variants.read_cagi_tsv`, so scoring is unchanged.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from evoaugflow.io import write_json
from evoaugflow.mavedb.records import read_scores, read_target, revcomp
from evoaugflow.summary import write_tsv
from evoaugflow.variants.windows import fasta_key, open_genome


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


def map_element_files(
    row: dict,
    build: str,
    score_set_json: str | os.PathLike,
    scores_csv: str | os.PathLike,
    genome,
    table_tsv: str | os.PathLike,
    record_json: str | os.PathLike,
    max_ref_mismatch: float = 0.05,
) -> tuple[pd.DataFrame, dict]:
    """:func:`map_element` for one manifest row; writes the variant table and the record.

    Parameters
    ----------
    row : dict
        A row of :func:`~evoaugflow.mavedb.records.read_manifest` (``element, urn, chrom,
        start, build``). Its ``start`` is used as a hint only when it is given in
        ``build``, the build of ``genome``.
    build : str
        The genome's build, e.g. ``"hg19"``.
    score_set_json, scores_csv, genome, max_ref_mismatch
        As in :func:`map_element`.
    table_tsv, record_json : str or PathLike
        Receive the variant table and the mapping record.

    Returns
    -------
    variants, record
        As from :func:`map_element`.
    """
    pinned = row["start"] if row["build"] and row["build"] == build else None
    hint = None if pinned is None or math.isnan(pinned) else int(pinned)
    variants, record = map_element(
        row["element"],
        row["urn"],
        score_set_json,
        scores_csv,
        genome,
        row["chrom"],
        max_ref_mismatch=max_ref_mismatch,
        hint=hint,
    )
    print(record)
    write_tsv(variants, table_tsv)
    write_json(record_json, record)
    return variants, record


def write_element_index(
    record_paths: list[str | os.PathLike],
    table_paths: list[str | os.PathLike],
    index_tsv: str | os.PathLike,
) -> pd.DataFrame:
    """Write the :func:`element_index` of mapped elements from their JSON records.

    The tables are named by file name only: ``read_cagi_elements`` resolves them relative
    to the index's folder, where they lie.
    """
    records = [json.loads(Path(path).read_text()) for path in record_paths]
    index = element_index(records, [Path(path).name for path in table_paths])
    print(index.to_string())
    write_tsv(index, index_tsv)
    return index

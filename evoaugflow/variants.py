"""Zero-shot variant-effect scoring: CAGI5-style tables, VCF files and published one-hot sets.

The flow is table -> windows -> predictions -> effects -> correlations:

- :func:`read_cagi_tsv`, :func:`read_cagi_elements` and :func:`read_vcf` read variant tables;
- :func:`variant_windows` cuts one window per variant out of a genome FASTA, checks the
  reference allele and substitutes the alternative allele;
- :func:`load_cagi_onehot` reads the published ``CAGI_onehot.h5`` windows instead;
- :func:`score_variant_effects` runs a model on both alleles (with the deterministic
  insertion padding for insertion-trained models) and returns the effects;
- :func:`cagi_correlations` correlates predicted with measured effects per element;
- :func:`score_cagi` and :func:`score_vcf` chain these steps.

Conventions
-----------
- Positions in tables are 1-based (CAGI5, VCF). Windows are one-hot ``(N, 4, length)``
  float32, channels A, C, G, T.
- The variant sits at window index ``(length - 1) // 2`` (:func:`variant_index`): the
  centre for odd lengths, the left of the two central columns for even lengths. This is
  the published ``CAGI_onehot.h5`` convention (index 1535 of 3072, and 299 of its central
  600 columns 1236..1835).
- Window columns outside the chromosome are N, encoded as all-zero columns (the same code
  as an N inside the genome); such variants are kept and flagged ``edge_padded``.
- Every variant gets a ``status``; only ``ok`` and ``edge_padded`` variants are scored.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pyfaidx
import torch
from scipy import stats

from evoaugflow.io import open_fasta, text_lines
from evoaugflow.models import TASKS
from evoaugflow.train import resolve_device

BASES = "ACGT"
#: Variant statuses whose windows are scored; the others get NaN effects.
SCORABLE_STATUS = ("ok", "edge_padded")
#: Statuses set by :func:`variant_windows`, most severe first.
WINDOW_STATUS = ("chrom_missing", "out_of_range", "ref_mismatch", "edge_padded", "ok")
#: Allele classes counted by :func:`read_vcf`; only ``snv`` rows are returned.
VCF_ALLELE_TYPES = ("snv", "mnv", "indel", "symbolic", "other")
CAGI_COLUMNS = ("element", "chrom", "pos", "ref", "alt", "value", "confidence")
PUBLISHED_CAGI_LENGTH = 3072

_N_CODE = 4
# Byte -> nucleotide code (0..3 for A, C, G, T in either case, 4 for N and anything else).
_BASE_CODE = np.full(256, _N_CODE, dtype=np.uint8)
_BASE_CODE[np.frombuffer(b"ACGTacgt", dtype=np.uint8)] = [0, 1, 2, 3, 0, 1, 2, 3]
# Windows closer than this on a chromosome are read from the FASTA in one piece.
_FETCH_GAP = 10_000
_ROWS_PER_H5_CHUNK = 1024


def variant_index(length: int) -> int:
    """Index of the variant column in a window of ``length`` columns: ``(length - 1) // 2``.

    Parameters
    ----------
    length : int
        Window length, at least 1.

    Returns
    -------
    int
        299 for 600, 1535 for 3072 (the published ``CAGI_onehot.h5``), 100 for 201.
    """
    length = _check_length(length)
    return (length - 1) // 2


# ----------------------------------------------------------------------------- readers


def _check_length(length) -> int:
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 1:
        raise ValueError(f"length={length!r}: must be an integer >= 1 (the model's input length)")
    return int(length)


def _as_base(text: str) -> str:
    base = text.strip().upper()
    if len(base) != 1 or base not in BASES:
        raise ValueError(f"allele {text!r} is not one of A, C, G, T (only SNVs are scored)")
    return base


def _as_position(text: str) -> int:
    pos = int(text)
    if pos < 1:
        raise ValueError(f"position {text!r} must be >= 1 (1-based)")
    return pos


def _as_coordinate(text: str) -> int:
    coord = int(text)
    if coord < 0:
        raise ValueError(f"coordinate {text!r} must be >= 0")
    return coord


def _as_name(text: str) -> str:
    name = text.strip()
    if not name:
        raise ValueError("empty name")
    return name


def _read_header_table(
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
    table = _read_header_table(
        path,
        {
            "chrom": _as_name,
            "pos": _as_position,
            "ref": _as_base,
            "alt": _as_base,
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
    table = _read_header_table(
        elements_tsv,
        {
            "element": _as_name,
            "chrom": _as_name,
            "start": _as_coordinate,
            "end": _as_coordinate,
            "file": _as_name,
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
            pos = _as_position(pos_text)
        except ValueError as error:
            raise ValueError(f"{path}, line {line_number}: POS is invalid ({error})") from None
        for alt in fields[4].upper().split(","):
            allele_type = _allele_type(ref, alt)
            counts[allele_type] += 1
            if allele_type == "snv":
                rows.append((chrom, pos, variant_id, ref, alt, line_number))
    variants = pd.DataFrame(rows, columns=["chrom", "pos", "id", "ref", "alt", "line"])
    return variants.astype({"pos": np.int64, "line": np.int64}), counts


# ----------------------------------------------------------------------------- windows


def _fasta_key(chrom: str, keys: set[str]) -> str | None:
    """The FASTA record for ``chrom``, tolerating a missing or extra ``chr`` prefix."""
    bare = chrom[3:] if chrom.lower().startswith("chr") else chrom
    candidates = [chrom, bare, f"chr{bare}"]
    if bare.upper() in ("M", "MT"):
        candidates += ["chrM", "MT", "M", "chrMT"]
    return next((name for name in candidates if name in keys), None)


def _open_genome(genome) -> pyfaidx.Fasta:
    if isinstance(genome, pyfaidx.Fasta):
        return genome
    if isinstance(genome, (str, os.PathLike)):
        if not Path(genome).is_file():
            raise ValueError(f"genome={genome}: FASTA file not found")
        return open_fasta(genome, as_raw=True, sequence_always_upper=True)
    raise ValueError(f"genome={genome!r}: pass a pyfaidx.Fasta or the path of a FASTA file")


def _fetch_codes(fasta: pyfaidx.Fasta, key: str, start: int, end: int) -> np.ndarray:
    record = fasta[key][start:end]
    text = record if isinstance(record, str) else record.seq
    return _BASE_CODE[np.frombuffer(text.encode("ascii"), dtype=np.uint8)]


def _one_hot(codes: np.ndarray) -> np.ndarray:
    """``(N, L)`` nucleotide codes -> ``(N, 4, L)`` float32 one-hot, N as zero columns."""
    return (codes[:, None, :] == np.arange(4, dtype=np.uint8)[None, :, None]).astype(np.float32)


def variant_windows(
    genome,
    chrom,
    pos,
    ref,
    alt,
    length: int = 600,
    max_mismatch_frac: float = 0.5,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut reference and alternative windows centred on each variant out of a genome.

    The window of variant ``i`` covers 0-based genome positions
    ``pos[i] - 1 - (length - 1) // 2`` to that plus ``length`` (exclusive), so the variant
    sits at column :func:`variant_index` (``(length - 1) // 2``). Columns beyond either
    chromosome end are N (all-zero columns) and the variant is flagged ``edge_padded``.
    Each chromosome is read once per cluster of nearby windows and the windows are
    gathered with one fancy-indexing step per cluster.

    Parameters
    ----------
    genome : pyfaidx.Fasta or str or PathLike
        Genome FASTA (indexed on first use by pyfaidx). Soft-masked (lower-case) bases are
        read as upper-case; N and IUPAC codes become zero columns.
    chrom : array-like of str, shape=(N,)
        Chromosome names; ``1`` and ``chr1`` both match a FASTA record named either way
        (also ``MT``/``chrM``).
    pos : array-like of int, shape=(N,)
        1-based variant positions.
    ref, alt : array-like of str, shape=(N,)
        Single-base alleles (A, C, G, T; case-insensitive), ``ref != alt``.
    length : int, default=600
        Window length (the model's input length, without insertion padding).
    max_mismatch_frac : float, default=0.5
        Largest tolerated fraction of variants (on chromosomes found in the FASTA) whose
        ``ref`` differs from the genome; above it the genome build is probably wrong and a
        ``ValueError`` is raised. Any mismatch below it gives a warning. 1.0 disables.

    Returns
    -------
    ref_onehot : numpy.ndarray, shape=(N, 4, length), float32
        Genome windows (the genome's own base at the variant column).
    alt_onehot : numpy.ndarray, shape=(N, 4, length), float32
        The same windows with ``alt`` at column ``(length - 1) // 2``.
    status : numpy.ndarray of str, shape=(N,)
        Per variant, the most severe of: ``chrom_missing`` (no FASTA record; windows all
        zero), ``out_of_range`` (position beyond the chromosome end; windows all zero),
        ``ref_mismatch`` (genome base differs from ``ref``), ``edge_padded``, ``ok``.

    Raises
    ------
    ValueError
        Arguments of different lengths, a position < 1, an allele other than one of
        A/C/G/T, ``ref == alt``, no chromosome found in the FASTA, or too many reference
        mismatches (probably the wrong genome build, e.g. hg38 for hg19 coordinates).
    """
    length = _check_length(length)
    if not 0.0 <= max_mismatch_frac <= 1.0:
        raise ValueError(f"max_mismatch_frac={max_mismatch_frac}: must lie in [0, 1]")
    chrom = np.asarray(chrom, dtype=str).reshape(-1)
    pos = np.asarray(pos).reshape(-1)
    ref = np.char.upper(np.asarray(ref, dtype=str).reshape(-1))
    alt = np.char.upper(np.asarray(alt, dtype=str).reshape(-1))
    n_variants = len(chrom)
    if not len(pos) == len(ref) == len(alt) == n_variants:
        raise ValueError(
            f"chrom, pos, ref, alt have lengths {n_variants}, {len(pos)}, {len(ref)}, "
            f"{len(alt)}: pass one value per variant in each"
        )
    if not np.issubdtype(pos.dtype, np.integer) or (pos < 1).any():
        raise ValueError("pos: must be integers >= 1 (1-based positions)")
    ref_code = _BASE_CODE[np.frombuffer(ref.astype("S1").tobytes(), dtype=np.uint8)]
    alt_code = _BASE_CODE[np.frombuffer(alt.astype("S1").tobytes(), dtype=np.uint8)]
    for name, alleles, codes in (("ref", ref, ref_code), ("alt", alt, alt_code)):
        bad = np.flatnonzero((np.char.str_len(alleles) != 1) | (codes == _N_CODE))
        if len(bad):
            raise ValueError(
                f"{name}[{bad[0]}]={alleles[bad[0]]!r}: alleles must be single bases "
                "A, C, G or T; drop indels and other alleles first"
            )
    same = np.flatnonzero(ref_code == alt_code)
    if len(same):
        raise ValueError(f"variant {same[0]}: ref == alt ({ref[same[0]]}); drop such rows")

    fasta = _open_genome(genome)
    keys = set(fasta.keys())
    center = variant_index(length)
    genome_pos = pos.astype(np.int64) - 1
    starts = genome_pos - center
    offsets = np.arange(length, dtype=np.int64)
    codes = np.full((n_variants, length), _N_CODE, dtype=np.uint8)
    status = np.full(n_variants, "ok", dtype=object)
    for name in np.unique(chrom):
        rows = np.flatnonzero(chrom == name)
        key = _fasta_key(str(name), keys)
        if key is None:
            status[rows] = "chrom_missing"
            continue
        chrom_length = len(fasta[key])
        beyond = genome_pos[rows] >= chrom_length
        status[rows[beyond]] = "out_of_range"
        rows = rows[~beyond]
        rows = rows[np.argsort(starts[rows], kind="stable")]
        cluster_ids = np.concatenate([[0], np.cumsum(np.diff(starts[rows]) > _FETCH_GAP)])
        for cluster in np.split(rows, np.flatnonzero(np.diff(cluster_ids)) + 1):
            if not len(cluster):
                continue
            fetch_start = max(0, int(starts[cluster].min()))
            fetch_end = min(chrom_length, int(starts[cluster].max()) + length)
            sequence = _fetch_codes(fasta, key, fetch_start, fetch_end)
            columns = starts[cluster, None] + offsets[None, :]
            inside = (columns >= 0) & (columns < chrom_length)
            local = np.clip(columns - fetch_start, 0, len(sequence) - 1)
            codes[cluster] = np.where(inside, sequence[local], _N_CODE)
            status[cluster[~inside.all(axis=1)]] = "edge_padded"

    found = (status != "chrom_missing") & (status != "out_of_range")
    if not found.any() and n_variants:
        raise ValueError(
            f"none of the chromosomes {sorted(set(chrom))[:5]} is in the genome FASTA "
            f"(its records include {sorted(keys)[:5]}); pass the FASTA of the right genome"
        )
    mismatch = found & (codes[:, center] != ref_code)
    status[mismatch] = "ref_mismatch"
    n_mismatch, n_found = int(mismatch.sum()), int(found.sum())
    if n_mismatch > max_mismatch_frac * n_found:
        raise ValueError(
            f"{n_mismatch} of {n_found} reference alleles disagree with the genome FASTA "
            f"(more than max_mismatch_frac={max_mismatch_frac}): the genome build is "
            "probably wrong (CAGI5 coordinates are hg19/GRCh37, not hg38); pass the "
            "matching FASTA, or raise max_mismatch_frac to score anyway"
        )
    if n_mismatch:
        warnings.warn(
            f"{n_mismatch} of {n_found} reference alleles disagree with the genome FASTA; "
            "they are flagged 'ref_mismatch' and not scored",
            stacklevel=2,
        )
    alt_codes = codes.copy()
    alt_codes[:, center] = np.where(found, alt_code, _N_CODE)
    return _one_hot(codes), _one_hot(alt_codes), status.astype(str)


def load_cagi_onehot(
    path: str | os.PathLike, metadata_tsv: str | os.PathLike, length: int = 600
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Load the published ``CAGI_onehot.h5`` windows, cut to the model's input length.

    The file holds ``ref`` and ``alt``, shape ``(N, L_file, 4)`` (float16, L_file = 3072
    in the published file) with the variant at index ``(L_file - 1) // 2`` (1535). The
    central ``length`` columns are kept so that the variant lands at
    ``(length - 1) // 2``: columns 1236..1835 for 600.

    Parameters
    ----------
    path : str or PathLike
        The h5 file.
    metadata_tsv : str or PathLike
        Tab-separated table with a header, one row per window in file order; needs at
        least ``element`` and ``value`` (measured effect); other columns are kept.
    length : int, default=600
        Window length, at most ``L_file``.

    Returns
    -------
    ref : numpy.ndarray, shape=(N, 4, length), float32
    alt : numpy.ndarray, shape=(N, 4, length), float32
    metadata : pandas.DataFrame
        The metadata rows plus ``status``: ``ok`` where ref and alt differ exactly at the
        variant column (over the whole ``L_file``), ``no_difference`` where they are
        identical, ``differs_elsewhere`` otherwise (a warning gives the counts).

    Raises
    ------
    ValueError
        Missing file or key, shapes that are not ``(N, L_file, 4)`` or differ between
        ``ref`` and ``alt``, ``length > L_file``, or a metadata table without the needed
        columns or with a row count other than N.
    """
    path, metadata_tsv = Path(path), Path(metadata_tsv)
    length = _check_length(length)
    for name in (path, metadata_tsv):
        if not name.is_file():
            raise ValueError(f"{name}: file not found")
    metadata = pd.read_csv(metadata_tsv, sep="\t")
    missing = [column for column in ("element", "value") if column not in metadata.columns]
    if missing:
        raise ValueError(
            f"{metadata_tsv}: lacks column(s) {missing}; it needs 'element' and 'value'"
        )
    with h5py.File(path, "r") as handle:
        for key in ("ref", "alt"):
            if key not in handle:
                raise ValueError(f"{path}: no key {key!r} (keys: {sorted(handle.keys())})")
        ref_set, alt_set = handle["ref"], handle["alt"]
        if ref_set.ndim != 3 or ref_set.shape[2] != 4 or ref_set.shape != alt_set.shape:
            raise ValueError(
                f"{path}: 'ref' {ref_set.shape} and 'alt' {alt_set.shape} must both be "
                "(N, L, 4) one-hot arrays of the same shape"
            )
        n_rows, file_length, _ = ref_set.shape
        if length > file_length:
            raise ValueError(f"length={length}: must be <= {file_length}, the file's length")
        if len(metadata) != n_rows:
            raise ValueError(
                f"{metadata_tsv}: {len(metadata)} rows, {path} holds {n_rows} windows; "
                "pass the metadata of this file, one row per window in order"
            )
        file_center = variant_index(file_length)
        start = file_center - variant_index(length)
        ref = np.empty((n_rows, 4, length), dtype=np.float32)
        alt = np.empty((n_rows, 4, length), dtype=np.float32)
        status = np.empty(n_rows, dtype=object)
        for lo in range(0, n_rows, _ROWS_PER_H5_CHUNK):
            hi = min(n_rows, lo + _ROWS_PER_H5_CHUNK)
            ref_chunk, alt_chunk = ref_set[lo:hi], alt_set[lo:hi]
            differs = (ref_chunk != alt_chunk).any(axis=2)
            n_diff = differs.sum(axis=1)
            status[lo:hi] = np.where(
                n_diff == 0,
                "no_difference",
                np.where((n_diff == 1) & differs[:, file_center], "ok", "differs_elsewhere"),
            )
            window = slice(start, start + length)
            ref[lo:hi] = ref_chunk[:, window].transpose(0, 2, 1)
            alt[lo:hi] = alt_chunk[:, window].transpose(0, 2, 1)
    metadata = metadata.assign(status=status.astype(str))
    n_bad = int((metadata["status"] != "ok").sum())
    if n_bad:
        warnings.warn(
            f"{path}: {n_bad} of {n_rows} ref/alt pairs do not differ exactly at index "
            f"{file_center} ({metadata['status'].value_counts().to_dict()})",
            stacklevel=2,
        )
    return ref, alt, metadata


# ----------------------------------------------------------------------------- scoring


def _log_ratio(numerator: np.ndarray, denominator: np.ndarray, epsilon: float) -> np.ndarray:
    """``log(max(numerator, epsilon) / max(denominator, epsilon))``, elementwise."""
    return np.log(np.maximum(numerator, epsilon)) - np.log(np.maximum(denominator, epsilon))


def _pad_pair(augmenter, ref: torch.Tensor, alt: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Apply the evaluation padding to both alleles and check that the flanks agree."""
    ref_padded, alt_padded = augmenter.pad(ref), augmenter.pad(alt)
    if ref_padded.shape != alt_padded.shape or int((ref_padded != alt_padded).sum()) != int(
        (ref != alt).sum()
    ):
        raise ValueError(
            "augmenter.pad gave the reference and alternative windows different padding; "
            "it must be deterministic (seeded by pad_seed) for variant scoring"
        )
    return ref_padded, alt_padded


def _predict(model: torch.nn.Module, x: torch.Tensor, task_type: str) -> torch.Tensor:
    """``(B, T)`` float32 outputs: sigmoid probabilities for binary tasks, else values."""
    outputs = model(x)
    outputs = outputs.reshape(outputs.shape[0], -1).float()
    return torch.sigmoid(outputs) if task_type == "binary" else outputs


def score_variant_effects(
    model: torch.nn.Module,
    ref_x,
    alt_x,
    task_type: str,
    augmenter=None,
    batch_size: int = 256,
    device="auto",
    epsilon: float = 1e-7,
    per_task: bool = False,
    rc_average: bool = False,
) -> pd.DataFrame:
    """Predict both alleles of each variant and turn the predictions into effects.

    Binary classifiers: ``effect = log(max(mean_t p_alt, eps)) - log(max(mean_t p_ref,
    eps))`` with ``p = sigmoid(logit)`` and the mean over tasks (the paper's score).
    Regressors: ``effect = mean_t (y_alt - y_ref)``. Insertion-trained models get
    ``augmenter.pad`` on both alleles (checked to give both the same flanks). Ref and alt
    of a batch go through the model in one forward pass, in eval mode without gradients.

    Parameters
    ----------
    model : torch.nn.Module
        Maps ``(B, 4, L')`` to raw outputs ``(B, T)`` or ``(B,)``: logits for
        ``"binary"``, values for ``"regression"``. Moved to ``device`` and set to eval
        mode.
    ref_x, alt_x : numpy.ndarray or torch.Tensor, shape=(N, 4, L)
        Reference and alternative windows (same shape).
    task_type : {"binary", "regression"}
        How outputs are read (sigmoid probabilities or values).
    augmenter : evoaugflow.augment.Augmenter, optional
        The model's augmenter; when given, its ``pad`` (deterministic insertion padding)
        is applied to both alleles. Default None (no padding).
    batch_size : int, default=256
        Variants per forward pass (the pass holds 2 * batch_size windows).
    device : {"auto", "cpu", "cuda"} or torch.device, default="auto"
        Where the model runs; "auto" picks CUDA when present.
    epsilon : float, default=1e-7
        Floor on mean probabilities before the log, so that a probability of exactly 0
        gives a finite effect. Unused for regression.
    per_task : bool, default=False
        Also return ``effect_<t>`` per task (log ratio of that task's probabilities, or
        ``alt - ref`` for regression).
    rc_average : bool, default=False
        Average each prediction (probability or value, per task) over the window and
        its reverse complement (channels and positions reversed, after any padding)
        before the effect is computed: the effect then does not depend on the strand
        the windows are written on. Costs a second forward pass.

    Returns
    -------
    pandas.DataFrame
        N rows: ``pred_ref``, ``pred_alt`` (mean over tasks of probability or value),
        ``effect`` (float64), ``rc_average`` (bool, the option used), and ``effect_0 ..
        effect_{T-1}`` when ``per_task``.

    Raises
    ------
    ValueError
        Unknown ``task_type`` or ``device``, bad shapes, ``batch_size < 1``,
        ``epsilon <= 0``, windows whose (padded) length differs from
        ``model.config["input_length"]`` where the model has one, or an augmenter whose
        padding differs between the alleles.
    """
    if task_type not in TASKS:
        raise ValueError(f"task_type={task_type!r}: must be one of {TASKS}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise ValueError(f"batch_size={batch_size!r}: must be an integer >= 1")
    if batch_size < 1:
        raise ValueError(f"batch_size={batch_size}: must be >= 1")
    if not epsilon > 0:
        raise ValueError(f"epsilon={epsilon}: must be > 0 (e.g. 1e-7)")
    ref_x = torch.as_tensor(ref_x, dtype=torch.float32)
    alt_x = torch.as_tensor(alt_x, dtype=torch.float32)
    if ref_x.ndim != 3 or ref_x.shape[1] != 4 or ref_x.shape != alt_x.shape:
        raise ValueError(
            f"ref_x {tuple(ref_x.shape)} and alt_x {tuple(alt_x.shape)}: must both be "
            "(N, 4, L) one-hot windows of the same shape"
        )
    config = getattr(model, "config", None)
    if isinstance(config, dict) and "input_length" in config:
        length = ref_x.shape[2] if augmenter is None else augmenter.output_length(ref_x.shape[2])
        if length != config["input_length"]:
            raise ValueError(
                f"windows of length {ref_x.shape[2]} reach the model as {length} columns but "
                f"it takes {config['input_length']}: pass the augmenter returned by "
                "train.load_model (its padding makes up the difference) or windows of the "
                "model's length"
            )
    device = resolve_device(device)
    model = model.to(device).eval()
    n_variants = ref_x.shape[0]
    ref_out, alt_out = [], []
    with torch.no_grad():
        for lo in range(0, n_variants, int(batch_size)):
            ref_batch, alt_batch = ref_x[lo : lo + batch_size], alt_x[lo : lo + batch_size]
            if augmenter is not None:
                ref_batch, alt_batch = _pad_pair(augmenter, ref_batch, alt_batch)
            both = torch.cat([ref_batch, alt_batch]).to(device)
            outputs = _predict(model, both, task_type)
            if rc_average:
                # ACGT order: complementing reverses the channel axis.
                outputs = (outputs + _predict(model, both.flip(dims=(1, 2)), task_type)) / 2
            outputs = outputs.double().cpu().numpy()
            ref_out.append(outputs[: len(ref_batch)])
            alt_out.append(outputs[len(ref_batch) :])
    n_tasks = ref_out[0].shape[1] if ref_out else 1
    ref_pred = np.concatenate(ref_out) if ref_out else np.empty((0, n_tasks))
    alt_pred = np.concatenate(alt_out) if alt_out else np.empty((0, n_tasks))
    ref_mean, alt_mean = ref_pred.mean(axis=1), alt_pred.mean(axis=1)
    if task_type == "binary":
        effect = _log_ratio(alt_mean, ref_mean, epsilon)
        task_effects = _log_ratio(alt_pred, ref_pred, epsilon)
    else:
        task_effects = alt_pred - ref_pred
        effect = task_effects.mean(axis=1)
    table = pd.DataFrame({"pred_ref": ref_mean, "pred_alt": alt_mean, "effect": effect})
    table["rc_average"] = bool(rc_average)
    if per_task:
        for task in range(n_tasks):
            table[f"effect_{task}"] = task_effects[:, task]
    return table


def _score_table(
    model,
    augmenter,
    task_type,
    variants,
    genome,
    length,
    batch_size,
    device,
    max_mismatch_frac,
    rc_average=False,
) -> pd.DataFrame:
    """Windows, status and effects for a table with ``chrom, pos, ref, alt`` columns."""
    ref_x, alt_x, status = variant_windows(
        genome,
        variants["chrom"].to_numpy(),
        variants["pos"].to_numpy(),
        variants["ref"].to_numpy(),
        variants["alt"].to_numpy(),
        length=length,
        max_mismatch_frac=max_mismatch_frac,
    )
    scored = np.isin(status, SCORABLE_STATUS)
    effects = score_variant_effects(
        model,
        ref_x[scored],
        alt_x[scored],
        task_type,
        augmenter,
        batch_size,
        device,
        rc_average=rc_average,
    )
    result = variants.reset_index(drop=True).assign(status=status)
    for column in ("pred_ref", "pred_alt", "effect"):
        result[column] = np.nan
        result.loc[scored, column] = effects[column].to_numpy()
    result["rc_average"] = bool(rc_average)
    return result


def _correlation(function, x: np.ndarray, y: np.ndarray) -> float:
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(function(x, y)[0])


def cagi_correlations(df: pd.DataFrame) -> pd.DataFrame:
    """Pearson and Spearman correlation of predicted with measured effects per element.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per variant with ``element``, ``value`` (measured) and ``effect``
        (predicted); ``status`` optional (rows outside :data:`SCORABLE_STATUS` are left
        out; ``ref_mismatch`` rows are counted).

    Returns
    -------
    pandas.DataFrame
        One row per element (in order of first appearance): ``element, n_variants,
        n_scored`` (finite effect and value), ``n_ref_mismatch, pearson, spearman``
        (NaN with fewer than 3 scored variants or a constant side); then a row
        ``element="mean"`` with the counts summed and the correlations averaged over the
        elements where they are defined. A ``rc_average`` column follows where ``df``
        has one (True if any variant was scored with strand averaging).

    Raises
    ------
    ValueError
        A missing column.
    """
    missing = [column for column in ("element", "value", "effect") if column not in df.columns]
    if missing:
        raise ValueError(f"df lacks column(s) {missing}; it needs element, value, effect")
    status = df["status"] if "status" in df.columns else pd.Series("ok", index=df.index)
    usable = (
        status.isin(SCORABLE_STATUS)
        & np.isfinite(df["effect"].astype(float))
        & np.isfinite(df["value"].astype(float))
    )
    rows = []
    for element, group in df.groupby("element", sort=False):
        keep = usable.loc[group.index]
        measured = group.loc[keep, "value"].to_numpy(dtype=float)
        predicted = group.loc[keep, "effect"].to_numpy(dtype=float)
        rows.append(
            {
                "element": element,
                "n_variants": len(group),
                "n_scored": int(keep.sum()),
                "n_ref_mismatch": int((status.loc[group.index] == "ref_mismatch").sum()),
                "pearson": _correlation(stats.pearsonr, predicted, measured),
                "spearman": _correlation(stats.spearmanr, predicted, measured),
            }
        )
    table = pd.DataFrame(
        rows,
        columns=["element", "n_variants", "n_scored", "n_ref_mismatch", "pearson", "spearman"],
    )
    summary = {
        "element": "mean",
        **{name: int(table[name].sum()) for name in ("n_variants", "n_scored", "n_ref_mismatch")},
        **{name: float(table[name].mean()) for name in ("pearson", "spearman")},
    }
    table = pd.concat([table, pd.DataFrame([summary])], ignore_index=True)
    if "rc_average" in df.columns:
        table["rc_average"] = bool(df["rc_average"].astype(bool).any())
    return table


def _is_elements_index(path: Path) -> bool:
    with open(path) as handle:
        for line in handle:
            if line.strip() and not line.startswith("##"):
                names = {field.strip().lstrip("#").lower() for field in line.split("\t")}
                return {"element", "file"} <= names
    return False


def _cagi_variants(cagi_tables) -> pd.DataFrame:
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


def score_cagi(
    model: torch.nn.Module,
    augmenter,
    task_type: str,
    cagi_tables,
    genome,
    length: int = 600,
    batch_size: int = 256,
    device="auto",
    max_mismatch_frac: float = 0.5,
    rc_average: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score a CAGI5-style saturation-mutagenesis benchmark zero-shot.

    Parameters
    ----------
    model : torch.nn.Module
        Trained model (raw outputs; see :func:`score_variant_effects`).
    augmenter : evoaugflow.augment.Augmenter or None
        The model's augmenter (its ``pad`` is applied), or None.
    task_type : {"binary", "regression"}
    cagi_tables : pandas.DataFrame or str or PathLike or list of paths
        Variants as from :func:`read_cagi_tsv`; or an ``elements.tsv`` index (see
        :func:`read_cagi_elements`); or one CAGI TSV; or a list of CAGI TSVs.
    genome : pyfaidx.Fasta or str or PathLike
        Genome FASTA of the table's build (hg19 for CAGI5).
    length : int, default=600
        Model input length without insertion padding.
    batch_size : int, default=256
    device : {"auto", "cpu", "cuda"} or torch.device, default="auto"
    max_mismatch_frac : float, default=0.5
        See :func:`variant_windows`.
    rc_average : bool, default=False
        Average forward and reverse-complement predictions (see
        :func:`score_variant_effects`).

    Returns
    -------
    variants : pandas.DataFrame
        The variant rows plus ``status, pred_ref, pred_alt, effect`` (NaN where not
        scored) and ``rc_average``.
    per_element : pandas.DataFrame
        :func:`cagi_correlations` of ``variants``.
    """
    variants = _score_table(
        model,
        augmenter,
        task_type,
        _cagi_variants(cagi_tables),
        genome,
        length,
        batch_size,
        device,
        max_mismatch_frac,
        rc_average,
    )
    return variants, cagi_correlations(variants)


def score_vcf(
    model: torch.nn.Module,
    augmenter,
    task_type: str,
    vcf_path: str | os.PathLike,
    genome,
    length: int = 600,
    batch_size: int = 256,
    device="auto",
    max_mismatch_frac: float = 0.5,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Score the SNVs of a VCF file.

    Parameters
    ----------
    model, augmenter, task_type, genome, length, batch_size, device, max_mismatch_frac
        As in :func:`score_cagi`.
    vcf_path : str or PathLike
        Plain or gzipped VCF (see :func:`read_vcf`).

    Returns
    -------
    effects : pandas.DataFrame
        One row per SNV: ``chrom, pos, id, ref, alt, status, pred_ref, pred_alt,
        effect`` (NaN where not scored).
    skipped : dict of str to int
        Alleles not scored, by reason: the non-SNV allele types of :func:`read_vcf`
        (``mnv, indel, symbolic, other``) and the window statuses ``chrom_missing,
        out_of_range, ref_mismatch``; every key present.
    """
    variants, counts = read_vcf(vcf_path)
    effects = _score_table(
        model, augmenter, task_type, variants, genome, length, batch_size, device, max_mismatch_frac
    )
    skipped = {name: count for name, count in counts.items() if name != "snv"}
    for name in WINDOW_STATUS:
        if name not in SCORABLE_STATUS:
            skipped[name] = int((effects["status"] == name).sum())
    return effects, skipped

"""Variant windows: one-hot reference and alternative windows centred on each variant.

Windows are one-hot ``(N, 4, length)`` float32, channels A, C, G, T. The variant sits at
window index ``(length - 1) // 2`` (:func:`variant_index`): the centre for odd lengths, the
left of the two central columns for even lengths. This is the published
``CAGI_onehot.h5`` convention (index 1535 of 3072, and 299 of its central 600 columns
1236..1835). Window columns outside the chromosome are N, encoded as all-zero columns (the
same code as an N inside the genome); such variants are kept and flagged ``edge_padded``.
Every variant gets a ``status``; only ``ok`` and ``edge_padded`` variants are scored.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pyfaidx

from evoaugflow.io import open_fasta

#: Variant statuses whose windows are scored; the others get NaN effects.
SCORABLE_STATUS = ("ok", "edge_padded")
#: Statuses set by :func:`variant_windows`, most severe first.
WINDOW_STATUS = ("chrom_missing", "out_of_range", "ref_mismatch", "edge_padded", "ok")

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
    length = check_length(length)
    return (length - 1) // 2


def check_length(length) -> int:
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 1:
        raise ValueError(f"length={length!r}: must be an integer >= 1 (the model's input length)")
    return int(length)


def fasta_key(chrom: str, keys: set[str]) -> str | None:
    """The FASTA record for ``chrom``, tolerating a missing or extra ``chr`` prefix."""
    bare = chrom[3:] if chrom.lower().startswith("chr") else chrom
    candidates = [chrom, bare, f"chr{bare}"]
    if bare.upper() in ("M", "MT"):
        candidates += ["chrM", "MT", "M", "chrMT"]
    return next((name for name in candidates if name in keys), None)


def open_genome(genome) -> pyfaidx.Fasta:
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
    length = check_length(length)
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

    fasta = open_genome(genome)
    keys = set(fasta.keys())
    center = variant_index(length)
    genome_pos = pos.astype(np.int64) - 1
    starts = genome_pos - center
    offsets = np.arange(length, dtype=np.int64)
    codes = np.full((n_variants, length), _N_CODE, dtype=np.uint8)
    status = np.full(n_variants, "ok", dtype=object)
    for name in np.unique(chrom):
        rows = np.flatnonzero(chrom == name)
        key = fasta_key(str(name), keys)
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
    length = check_length(length)
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

"""ChIP-seq data sets built the way the paper built its ENCODE sets.

Positives are 200 nt windows centred on ChIP-seq peak summits; negatives are windows
centred on accessible (DNase-seq) peaks that overlap no ChIP peak, downsampled to the
number of positives; windows with N or running off the chromosome are dropped; a random
0.7 / 0.1 / 0.2 split. Works unchanged on ENCODE narrowPeak files and a UCSC genome.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pybedtools
import pyfaidx

from evoaugflow.io import atomic_path, open_fasta, text_lines
from evoaugflow.summary import write_tsv

DROP_REASONS = ("off_chromosome", "duplicate", "contains_n")
# Byte value -> base code 0..3 (A, C, G, T, either case); everything else (N, IUPAC) is 4.
_BASE_CODE = np.full(256, 4, dtype=np.uint8)
for _code, _letters in enumerate(("Aa", "Cc", "Gg", "Tt")):
    for _letter in _letters:
        _BASE_CODE[ord(_letter)] = _code


def read_peaks(path: str | os.PathLike, chrom_sizes: dict[str, int]) -> pd.DataFrame:
    """Read a BED3+ / narrowPeak file (gzipped or not) and validate every line.

    Parameters
    ----------
    path : str or PathLike
        Tab-separated; ``track``/``browser``/``#`` lines and blank lines are skipped.
        Column 4 (name) and column 10 (summit offset) are used when present.
    chrom_sizes : dict {str: int}
        Chromosome lengths of the genome the peaks refer to.

    Returns
    -------
    pandas.DataFrame
        Columns ``chrom, start, end, name, summit`` (summit offset, -1 when absent).

    Raises
    ------
    ValueError
        Naming the file and line for fewer than 3 columns, non-integer coordinates,
        start > end or start < 0, a chromosome missing from the genome, a peak beyond the
        chromosome end, a bad summit column, or a file without peaks.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"peak file {path} does not exist")
    records = []
    for line_number, line in text_lines(path):
        if not line.strip() or line.startswith(("#", "track", "browser")):
            continue
        fields = line.rstrip("\n\r").split("\t")

        def fail(message, line_number=line_number):
            return ValueError(f"{path}, line {line_number}: {message}")

        if len(fields) < 3:
            raise fail(f"{len(fields)} tab-separated columns; BED needs chrom, start, end")
        chrom = fields[0]
        try:
            start, end = int(fields[1]), int(fields[2])
        except ValueError:
            raise fail(f"start/end {fields[1]!r}, {fields[2]!r} are not integers") from None
        if start < 0 or start > end:
            raise fail(f"start {start} and end {end}: need 0 <= start <= end")
        if chrom not in chrom_sizes:
            raise fail(
                f"chromosome {chrom!r} is not in the genome FASTA; check the genome build "
                f"and naming (FASTA has e.g. {list(chrom_sizes)[:3]})"
            )
        if end > chrom_sizes[chrom]:
            raise fail(
                f"peak end {end} is beyond the end of {chrom} ({chrom_sizes[chrom]} nt); "
                "is this the right genome build?"
            )
        summit = -1
        if len(fields) >= 10:
            try:
                summit = int(fields[9])
            except ValueError:
                raise fail(f"summit column 10 {fields[9]!r} is not an integer") from None
            if summit >= end - start:
                raise fail(f"summit offset {summit} lies beyond the peak ({end - start} nt)")
        name = fields[3] if len(fields) >= 4 and fields[3] not in ("", ".") else ""
        records.append((chrom, start, end, name or f"{path.name}:{line_number}", summit))
    if not records:
        raise ValueError(f"{path}: no peaks found; the file is empty or holds only comments")
    return pd.DataFrame(records, columns=["chrom", "start", "end", "name", "summit"])


def summit_windows(peaks: pd.DataFrame, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Window starts and ends centred on summits (start + summit when >= 0, else midpoint).

    The centre is base ``start + summit``; the window is
    ``[centre - window // 2, centre - window // 2 + window)``.

    Returns
    -------
    starts, ends : numpy.ndarray, shape=(n_peaks,), int64
    """
    start = peaks["start"].to_numpy(np.int64)
    summit = peaks["summit"].to_numpy(np.int64)
    centre = np.where(summit >= 0, start + summit, (start + peaks["end"].to_numpy(np.int64)) // 2)
    window_start = centre - window // 2
    return window_start, window_start + window


def _fetch_codes(fasta: pyfaidx.Fasta, chroms, starts, window) -> np.ndarray:
    """Base codes (n, window) uint8 of in-chromosome windows."""
    text = "".join(
        fasta[chrom][int(start) : int(start) + window].seq
        for chrom, start in zip(chroms, starts, strict=True)
    )
    return _BASE_CODE[np.frombuffer(text.encode(), dtype=np.uint8)].reshape(-1, window)


def build_chip_dataset(
    chip_peaks: str | os.PathLike,
    accessible_peaks: str | os.PathLike,
    genome_fasta: str | os.PathLike,
    out_h5: str | os.PathLike,
    regions_out: str | os.PathLike,
    window: int = 200,
    split: tuple[float, float, float] = (0.7, 0.1, 0.2),
    seed: int = 0,
    log: Callable[[str], None] | None = print,
) -> dict:
    """Build a balanced ChIP-seq data set from peak files and a genome.

    Steps: windows of ``window`` nt centred on summits; negatives = accessible peaks
    overlapping no ChIP peak (``bedtools intersect -v`` on the peak intervals); windows
    running off the chromosome are dropped, then identical windows (same chrom, start,
    end within a class; ENCODE files list one peak per summit, so a peak can appear twice)
    keep their first copy, then windows with any non-ACGT base are dropped; each drop is
    counted per reason and class. The larger class is downsampled to the smaller with
    ``seed`` (normally the negatives; a warning when positives must be cut); the kept
    sequences are shuffled with ``seed`` and cut into train / valid / test.

    Parameters
    ----------
    chip_peaks, accessible_peaks : str or PathLike
        narrowPeak or BED3+ files, gzipped or not.
    genome_fasta : str or PathLike
        FASTA with a ``.fai`` index or writable folder (pyfaidx builds it); read uppercase.
    out_h5 : str or PathLike
        Output: ``x_train, y_train, x_valid, y_valid, x_test, y_test``; x (N, 4, window)
        float32 ACGT, y (N, 1) float32.
    regions_out : str or PathLike
        Output TSV of every kept sequence: ``split, index, chrom, start, end, label, name``
        (0-based half-open window; ``index`` is the row in that split of the h5).
    window : int, default=200
    split : tuple of 3 floats, default=(0.7, 0.1, 0.2)
        Fractions of train, valid, test; sum 1. Sizes are rounded; test takes the rest.
    seed : int, default=0
    log : callable or None, default=print
        Receives one line per step.

    Returns
    -------
    dict
        Counts: peaks read, negatives overlapping ChIP peaks, ``dropped_<reason>_<class>``,
        kept per class, and the split sizes.
    """
    if int(window) != window or window <= 0:
        raise ValueError(f"window: {window}; expected a positive integer number of nt (e.g. 200)")
    window = int(window)
    fractions = np.asarray(split, dtype=np.float64)
    if fractions.shape != (3,) or np.any(fractions < 0) or abs(fractions.sum() - 1) > 1e-6:
        raise ValueError(
            f"split: {split}; expected 3 fractions >= 0 summing to 1, e.g. (0.7, 0.1, 0.2)"
        )
    log = log or (lambda message: None)
    genome_fasta = Path(genome_fasta)
    if not genome_fasta.is_file():
        raise ValueError(f"genome_fasta: {genome_fasta} does not exist")
    fasta = open_fasta(genome_fasta, sequence_always_upper=True, as_raw=False)
    chrom_sizes = {name: len(record) for name, record in fasta.items()}
    positives = read_peaks(chip_peaks, chrom_sizes)
    accessible = read_peaks(accessible_peaks, chrom_sizes)
    counts = {"chip_peaks": len(positives), "accessible_peaks": len(accessible)}

    accessible_bed = pybedtools.BedTool.from_dataframe(
        accessible[["chrom", "start", "end"]].assign(row=np.arange(len(accessible)))
    )
    chip_bed = pybedtools.BedTool.from_dataframe(positives[["chrom", "start", "end"]])
    try:
        free = accessible_bed.intersect(chip_bed, v=True)
        free_rows = [int(interval.fields[3]) for interval in free]
    finally:
        pybedtools.cleanup()
    negatives = accessible.iloc[sorted(free_rows)].reset_index(drop=True)
    counts["negatives_overlapping_chip"] = len(accessible) - len(negatives)
    log(
        f"{len(positives)} ChIP peaks; {len(negatives)} of {len(accessible)} accessible peaks "
        "overlap no ChIP peak"
    )

    classes = []
    for label, peaks, class_name in ((1, positives, "positive"), (0, negatives, "negative")):
        frame = peaks.assign(label=label)
        frame["start"], frame["end"] = summit_windows(peaks, window)
        sizes = frame["chrom"].map(chrom_sizes).to_numpy()
        keep = (frame["start"].to_numpy() >= 0) & (frame["end"].to_numpy() <= sizes)
        counts[f"dropped_off_chromosome_{class_name}"] = int((~keep).sum())
        frame = frame[keep]
        duplicate = frame.duplicated(["chrom", "start", "end"]).to_numpy()
        counts[f"dropped_duplicate_{class_name}"] = int(duplicate.sum())
        frame = frame[~duplicate].reset_index(drop=True)
        codes = _fetch_codes(fasta, frame["chrom"], frame["start"], window)
        clean = (codes < 4).all(axis=1)
        counts[f"dropped_contains_n_{class_name}"] = int((~clean).sum())
        classes.append((frame[clean].reset_index(drop=True), codes[clean]))
        log(
            f"{class_name}: dropped "
            + ", ".join(f"{counts[f'dropped_{r}_{class_name}']} {r}" for r in DROP_REASONS)
        )
    fasta.close()

    rng = np.random.default_rng(seed)
    n_keep = min(len(classes[0][0]), len(classes[1][0]))
    if n_keep == 0:
        raise ValueError(
            f"no {'positive' if len(classes[0][0]) == 0 else 'negative'} window survived "
            f"filtering ({chip_peaks}, {accessible_peaks}); counts: {counts}"
        )
    if len(classes[0][0]) > len(classes[1][0]):
        message = (
            f"fewer negatives ({len(classes[1][0])}) than positives ({len(classes[0][0])}): "
            "downsampling the positives"
        )
        warnings.warn(message, stacklevel=2)
        log(message)
    balanced = []
    for frame, codes in classes:
        chosen = np.sort(rng.choice(len(frame), n_keep, replace=False))
        balanced.append((frame.iloc[chosen], codes[chosen]))
    frame = pd.concat([b[0] for b in balanced], ignore_index=True)
    codes = np.concatenate([b[1] for b in balanced])
    order = rng.permutation(len(frame))
    n_train = int(round(fractions[0] * len(frame)))
    n_valid = int(round(fractions[1] * len(frame)))
    bounds = {
        "train": (0, n_train),
        "valid": (n_train, n_train + n_valid),
        "test": (n_train + n_valid, len(frame)),
    }

    one_hot_table = np.concatenate([np.eye(4, dtype=np.float32), np.zeros((1, 4), np.float32)])
    regions, arrays = [], {}
    for name, (low, high) in bounds.items():
        rows = order[low:high]
        arrays[f"x_{name}"] = np.ascontiguousarray(one_hot_table[codes[rows]].transpose(0, 2, 1))
        arrays[f"y_{name}"] = frame["label"].to_numpy(np.float32)[rows, None]
        regions.append(
            frame.iloc[rows][["chrom", "start", "end", "label", "name"]].assign(
                split=name, index=np.arange(rows.size)
            )
        )
        counts[f"n_{name}"] = int(rows.size)
    counts["positives_kept"] = counts["negatives_kept"] = n_keep

    table = pd.concat(regions, ignore_index=True)[
        ["split", "index", "chrom", "start", "end", "label", "name"]
    ]
    with atomic_path(out_h5, suffix=".h5") as tmp:
        with h5py.File(tmp, "w") as handle:
            for key, value in arrays.items():
                handle.create_dataset(key, data=value)
        write_tsv(table, regions_out)
    log(f"wrote {out_h5}: " + ", ".join(f"{k} {counts[f'n_{k}']}" for k in bounds))
    log("".join(f"{key}\t{value}\n" for key, value in counts.items()).rstrip("\n"))
    return counts


def map_truth_to_windows(
    genome_truth_tsv: str | os.PathLike, regions_tsv: str | os.PathLike
) -> pd.DataFrame:
    """Planted motif instances in window coordinates, for the sequences of a ChIP data set.

    Parameters
    ----------
    genome_truth_tsv : str or PathLike
        ``chrom, start, end, strand, motif`` (0-based half-open genome coordinates).
    regions_tsv : str or PathLike
        The ``regions_out`` of :func:`build_chip_dataset`.

    Returns
    -------
    pandas.DataFrame
        ``split, index, motif, start, end, strand`` for every instance lying fully inside a
        window; start/end relative to the window start (windows are on the + strand).
    """
    truth = _read_table(genome_truth_tsv, ["chrom", "start", "end", "strand", "motif"])
    regions = _read_table(regions_tsv, ["split", "index", "chrom", "start", "end"])
    pieces = []
    for chrom, windows in regions.groupby("chrom", sort=False):
        instances = truth[truth["chrom"] == chrom].sort_values("start")
        inst_start = instances["start"].to_numpy()
        low = np.searchsorted(inst_start, windows["start"].to_numpy(), side="left")
        high = np.searchsorted(inst_start, windows["end"].to_numpy(), side="left")
        n_hits = high - low
        window_rows = np.repeat(np.arange(len(windows)), n_hits)
        # Row k of hit i is low[i] + k: ranks within each run of the repeated windows.
        run_offset = np.arange(n_hits.sum()) - np.repeat(np.cumsum(n_hits) - n_hits, n_hits)
        instance_rows = np.repeat(low, n_hits) + run_offset
        hit_windows = windows.iloc[window_rows]
        hit = instances.iloc[instance_rows]
        offset = hit_windows["start"].to_numpy()
        piece = pd.DataFrame(
            {
                "split": hit_windows["split"].to_numpy(),
                "index": hit_windows["index"].to_numpy(),
                "motif": hit["motif"].to_numpy(),
                "start": hit["start"].to_numpy() - offset,
                "end": hit["end"].to_numpy() - offset,
                "strand": hit["strand"].to_numpy(),
            }
        )
        pieces.append(piece[piece["end"] <= hit_windows["end"].to_numpy() - offset])
    columns = ["split", "index", "motif", "start", "end", "strand"]
    if not pieces:
        return pd.DataFrame(columns=columns)
    return pd.concat(pieces, ignore_index=True)[columns].sort_values(
        ["split", "index", "start"], kind="stable", ignore_index=True
    )


def write_window_truth(
    genome_truth_tsv: str | os.PathLike,
    regions_tsv: str | os.PathLike,
    out_tsv: str | os.PathLike,
    log: Callable[[str], None] | None = print,
) -> pd.DataFrame:
    """Write :func:`map_truth_to_windows` of a data set to ``out_tsv`` (and return it)."""
    truth = map_truth_to_windows(genome_truth_tsv, regions_tsv)
    if log is not None:
        log(f"{len(truth)} planted sites inside data-set windows")
    write_tsv(truth, out_tsv)
    return truth


def _read_table(path, required) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path} does not exist")
    table = pd.read_csv(path, sep="\t")
    missing = [column for column in required if column not in table.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}; expected {required}")
    return table

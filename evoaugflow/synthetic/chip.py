"""The ChIP-like set: a small genome with ChIP-seq and DNase-like peaks of a focal factor.

Grounded in the REST ChIP-seq set of the paper; :func:`chip_truth_score` is the exact
posterior of what the generator planted, :func:`site_statistics` the measurements that
ground it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit

from evoaugflow.io import write_text_atomic
from evoaugflow.meme import Motif
from evoaugflow.summary import write_tsv
from evoaugflow.synthetic.files import write_fasta
from evoaugflow.synthetic.grammar import plant, truth_frame
from evoaugflow.synthetic.motifs import (
    BACKGROUND,
    DEFAULT_PANEL,
    codes_from_one_hot,
    load_panel,
    motif_threshold,
    random_codes,
    scan,
)

#: Truth-table label of a weak focal instance: the focal factor's name plus this suffix.
CHIP_WEAK_SUFFIX = "_weak"
#: The ChIP-ed factor of the ChIP-like set unless its ``synthetic.focal`` says otherwise.
CHIP_DEFAULT_FOCAL = "CTCF"

# ChIP-like set, grounded in the REST ChIP-seq set of the paper (REST_200.h5, scanned with
# JASPAR MA0138.2 by benchmarks/rest_scan.py; the numbers are in docs/benchmark.md).
# Focal element per class, (strong, weak) rates; the rest of the peaks have none. Strong
# instances are sampled from the PFM (72 % of them score above motif_threshold), weak ones
# from the PFM mixed CHIP_WEAK_MIX : 1 - CHIP_WEAK_MIX with the background (mostly 10 nats
# up to the threshold). The rates give ChIP peaks with a strong site in 24 % and a
# 10-nat-to-threshold site in 11 % of windows, as measured; accessible-only peaks almost none.
CHIP_FOCAL_RATES = {1: (0.32, 0.14), 0: (0.0, 0.005)}
CHIP_WEAK_MIX = 0.7
# The centre of a site is Laplace-distributed around the summit (median distance 7.5 nt as
# measured: scale 7.5 / ln 2), cut at CHIP_SITE_REACH nt.
CHIP_SITE_SPREAD = 10.8
CHIP_SITE_REACH = 35
# Decoys (other panel motifs), independent of the class given the focal element: a central
# one in peaks without a focal element, and one per side 48-90 nt from the summit.
CHIP_CENTRAL_DECOY_RATE = 0.8
CHIP_SIDE_DECOY_RATE = 0.4
CHIP_SIDE_DISTANCE = (48, 90)
# GC content of each peak's 1 kb tile, by class (1: ChIP peak, 0: accessible only):
# (mean, sd) of a normal cut to CHIP_GC_RANGE, chosen so that windows reproduce the measured
# GC (positives 0.556 +- 0.112, negatives 0.482 +- 0.100) after binomial sampling and planting.
CHIP_GC = {1: (0.556, 0.128), 0: (0.482, 0.112)}
CHIP_GC_RANGE = (0.2, 0.8)


def _narrowpeak(chrom, start, end, names, summit, signal) -> pd.DataFrame:
    """A narrowPeak table (10 columns) sorted by position; p and q values follow signal."""
    p_value = 2.0 + 3.0 * signal
    frame = pd.DataFrame(
        {
            "chrom": chrom,
            "start": start,
            "end": end,
            "name": names,
            "score": np.clip(np.round(100 * signal), 0, 1000).astype(int),
            "strand": ".",
            "signalValue": signal.round(5),
            "pValue": p_value.round(5),
            "qValue": (p_value - 1.0).round(5),
            "peak": summit - start,
        }
    )
    return frame.sort_values(["chrom", "start"], kind="stable").reset_index(drop=True)


def make_chip_benchmark(
    out_dir: str | os.PathLike,
    panel: Sequence[str] = DEFAULT_PANEL,
    focal: str = CHIP_DEFAULT_FOCAL,
    n_chromosomes: int = 3,
    chromosome_length: int = 2_000_000,
    n_chip_peaks: int = 2000,
    n_accessible_only: int = 3000,
    seed: int = 0,
    release: str = "JASPAR2022",
) -> dict:
    """Write a small genome with ChIP-seq and DNase-like peaks of a focal factor.

    Each chromosome is cut into 1 kb tiles; every peak gets its own tile (the first and
    last tile of each chromosome hold peaks whose summit is 30-90 nt from the chromosome
    end, so their 200 nt windows run off it). Peak widths are 150-500 nt, the summit at
    35-65 % of the width.

    Grounded in the REST ChIP-seq set (the constants ``CHIP_*`` above, docs/benchmark.md):

    - Each peak's 1 kb tile has its own GC content, drawn by class (:data:`CHIP_GC`).
    - ChIP peaks carry a strong focal instance (sampled from the PFM), a weak one
      (labelled ``<focal>_weak``) or none, at the rates of :data:`CHIP_FOCAL_RATES`;
      accessible-only (DNase-like) peaks almost never one. The site's centre lies
      Laplace-distributed around the summit (:data:`CHIP_SITE_SPREAD`).
    - Peaks without a focal element get a central decoy (another panel motif) with
      probability :data:`CHIP_CENTRAL_DECOY_RATE`, and every peak a decoy 48-90 nt to each
      side with probability :data:`CHIP_SIDE_DECOY_RATE`: given the focal element, the
      decoys say nothing of the class, so :func:`chip_truth_score` is the exact posterior
      of the planted content (and GC).
    - ``accessible.narrowPeak`` also covers every ChIP peak (widened by 0-100 nt a side),
      as real DNase peaks do.
    - About 1 % of peaks hold a run of 5-30 N 25-75 nt downstream of the summit.

    Parameters
    ----------
    out_dir : str or PathLike
        Receives ``genome.fa`` (+ ``genome.fa.fai``), ``chip.narrowPeak``,
        ``accessible.narrowPeak`` and ``genome_truth.tsv`` (chrom, start, end, strand, motif;
        every planted instance, 0-based half-open).
    panel : sequence of str, default=DEFAULT_PANEL
    focal : str, default="CTCF"
        The ChIP-ed factor; must be in ``panel``.
    n_chromosomes : int, default=3
    chromosome_length : int, default=2_000_000
    n_chip_peaks : int, default=2000
    n_accessible_only : int, default=3000
    seed : int, default=0
    release : str, default="JASPAR2022"

    Returns
    -------
    dict
        Paths written and the number of peaks of each kind.
    """
    panel = [str(label) for label in panel]
    if focal not in panel:
        raise ValueError(f"focal: {focal!r} is not in panel {panel}; add it or pick one of them")
    if int(n_chromosomes) < 1 or int(n_chip_peaks) < 10 or int(n_accessible_only) < 10:
        raise ValueError(
            "n_chromosomes >= 1, n_chip_peaks >= 10 and n_accessible_only >= 10 are required; "
            f"got {n_chromosomes}, {n_chip_peaks}, {n_accessible_only}"
        )
    tile = 1000
    n_tiles = int(chromosome_length) // tile
    n_edge = min(2 * n_chromosomes, max(2, n_chip_peaks // 100))
    n_interior = n_chip_peaks - n_edge + n_accessible_only
    if n_tiles < 3 or n_chromosomes * (n_tiles - 2) < n_interior:
        needed = tile * (n_interior // n_chromosomes + 3)
        raise ValueError(
            f"chromosome_length: {chromosome_length} nt is too short for "
            f"{n_chip_peaks + n_accessible_only} peaks on {n_chromosomes} chromosomes; "
            f"use at least {needed}"
        )
    motifs = load_panel(panel, release)
    focal_index = panel.index(focal)
    weak = Motif(
        motifs[focal_index].id,
        f"{focal}{CHIP_WEAK_SUFFIX}",
        CHIP_WEAK_MIX * motifs[focal_index].pfm + (1 - CHIP_WEAK_MIX) * BACKGROUND,
    )
    motifs.append(weak)
    weak_index = len(motifs) - 1
    widths = np.array([motif.width for motif in motifs])
    decoy_choices = np.array([i for i in range(len(panel)) if i != focal_index])
    rng = np.random.default_rng(seed)
    length = n_tiles * tile
    genome = random_codes(rng, (n_chromosomes, length))

    # Peak geometry: interior peaks in distinct random interior tiles, edge peaks at ends.
    tile_pick = rng.choice(n_chromosomes * (n_tiles - 2), n_interior, replace=False)
    chrom = np.concatenate([np.arange(n_edge) // 2, tile_pick // (n_tiles - 2)])
    peak_width = rng.integers(150, 501, n_edge + n_interior)
    start = (tile_pick % (n_tiles - 2) + 1) * tile + rng.integers(100, 401, n_interior)
    summit = start + (peak_width[n_edge:] * rng.uniform(0.35, 0.65, n_interior)).astype(int)
    at_end = np.arange(n_edge) % 2 == 1
    edge_summit = np.where(
        at_end, length - rng.integers(30, 91, n_edge), rng.integers(30, 91, n_edge)
    )
    edge_start = np.where(at_end, length - peak_width[:n_edge], 0)
    start = np.concatenate([edge_start, start])
    summit = np.concatenate([edge_summit, summit])
    end = start + peak_width
    is_chip = np.arange(n_edge + n_interior) < n_chip_peaks  # edge peaks are ChIP peaks
    is_edge = np.arange(is_chip.size) < n_edge
    label = is_chip.astype(np.int64)

    # Each peak's 1 kb tile gets its own GC content, drawn by class (CHIP_GC).
    gc_mean, gc_sd = (np.array([CHIP_GC[k][i] for k in (0, 1)]) for i in (0, 1))
    tile_gc = np.clip(rng.normal(gc_mean[label], gc_sd[label]), *CHIP_GC_RANGE)
    tile_columns = (summit // tile)[:, None] * tile + np.arange(tile)
    strong_base = rng.random(tile_columns.shape) < tile_gc[:, None]
    pick = rng.random(tile_columns.shape) < 0.5
    genome[np.broadcast_to(chrom[:, None], tile_columns.shape), tile_columns] = np.where(
        strong_base, np.where(pick, 1, 2), np.where(pick, 0, 3)
    ).astype(np.uint8)

    # Focal element by class (CHIP_FOCAL_RATES): strong, weak or none; its centre spread
    # around the summit (Laplace, CHIP_SITE_SPREAD, cut at CHIP_SITE_REACH).
    strong_rate, weak_rate = (
        np.array([CHIP_FOCAL_RATES[k][i] for k in (0, 1)])[label] for i in (0, 1)
    )
    draw = rng.random(is_chip.size)
    kind = np.where(draw < strong_rate, 0, np.where(draw < strong_rate + weak_rate, 1, 2))
    kind[is_edge] = 0
    # A central decoy where no focal element sits; a side decoy on each side at random.
    # Given the focal element, the decoys do not depend on the class.
    has_central = (kind == 2) & (rng.random(is_chip.size) < CHIP_CENTRAL_DECOY_RATE)
    centre_peaks = np.flatnonzero((kind < 2) | has_central)
    centre_index = np.where(
        kind[centre_peaks] == 0,
        focal_index,
        np.where(kind[centre_peaks] == 1, weak_index, rng.choice(decoy_choices, centre_peaks.size)),
    )
    offset = np.clip(
        np.round(rng.laplace(0.0, CHIP_SITE_SPREAD, centre_peaks.size)),
        -CHIP_SITE_REACH,
        CHIP_SITE_REACH,
    ).astype(np.int64)
    offset[is_edge[centre_peaks]] = 0
    centre_start = summit[centre_peaks] + offset - widths[centre_index] // 2
    has_side = (rng.random((is_chip.size, 2)) < CHIP_SIDE_DECOY_RATE) & ~is_edge[:, None]
    side_peaks, side = np.nonzero(has_side)
    side_index = rng.choice(decoy_choices, side_peaks.size)
    distance = rng.integers(CHIP_SIDE_DISTANCE[0], CHIP_SIDE_DISTANCE[1] + 1, side_peaks.size)
    side_start = np.where(
        side == 1, summit[side_peaks] + distance, summit[side_peaks] - distance - widths[side_index]
    )
    has_side = has_side[:, 1]  # the N runs below avoid right-hand decoys

    rows = chrom[np.concatenate([centre_peaks, side_peaks])]
    starts = np.concatenate([centre_start, side_start])
    motif_index = np.concatenate([centre_index, side_index])
    minus = rng.random(starts.size) < 0.5
    plant(rng, genome, motifs, rows, starts, motif_index, minus)

    # N runs only where no side decoy sits, downstream of the central element.
    n_runs_candidates = np.flatnonzero(~has_side & (np.arange(is_chip.size) >= n_edge))
    n_run_peaks = rng.choice(
        n_runs_candidates, max(2, n_runs_candidates.size // 100), replace=False
    )
    run_length = rng.integers(5, 31, n_run_peaks.size)
    run_start = summit[n_run_peaks] + 25 + rng.integers(0, 51, n_run_peaks.size)
    run_mask = np.arange(30)[None, :] < run_length[:, None]
    run_columns = run_start[:, None] + np.arange(30)
    genome[
        np.broadcast_to(chrom[n_run_peaks, None], run_columns.shape)[run_mask],
        run_columns[run_mask],
    ] = 4

    out_dir = Path(out_dir)
    chrom_names = np.array([f"chr{i + 1}" for i in range(n_chromosomes)], dtype=object)
    write_fasta(out_dir / "genome.fa", list(chrom_names), list(genome))
    signal = rng.lognormal(2.0, 0.5, is_chip.size) * np.where(is_chip & (kind == 0), 1.5, 1.0)
    chip_peaks = _narrowpeak(
        chrom_names[chrom[is_chip]],
        start[is_chip],
        end[is_chip],
        [f"chip_peak_{i}" for i in range(n_chip_peaks)],
        summit[is_chip],
        signal[is_chip],
    )
    widen_left = rng.integers(0, 101, n_chip_peaks)
    widen_right = rng.integers(0, 101, n_chip_peaks)
    cover_start = np.maximum(start[is_chip] - widen_left, 0)
    cover_end = np.minimum(end[is_chip] + widen_right, length)
    cover_summit = np.clip(
        summit[is_chip] + rng.integers(-10, 11, n_chip_peaks), cover_start, cover_end - 1
    )
    accessible_peaks = _narrowpeak(
        chrom_names[np.concatenate([chrom[~is_chip], chrom[is_chip]])],
        np.concatenate([start[~is_chip], cover_start]),
        np.concatenate([end[~is_chip], cover_end]),
        [f"dnase_peak_{i}" for i in range(n_accessible_only + n_chip_peaks)],
        np.concatenate([summit[~is_chip], cover_summit]),
        rng.lognormal(1.5, 0.5, n_accessible_only + n_chip_peaks),
    )
    truth = truth_frame(motifs, rows, starts, motif_index, minus, row_name="chrom")
    truth["chrom"] = chrom_names[truth["chrom"].to_numpy()]
    paths = {
        "genome": out_dir / "genome.fa",
        "chip_peaks": out_dir / "chip.narrowPeak",
        "accessible_peaks": out_dir / "accessible.narrowPeak",
        "truth": out_dir / "genome_truth.tsv",
    }
    for key, frame in (("chip_peaks", chip_peaks), ("accessible_peaks", accessible_peaks)):
        write_text_atomic(
            paths[key], frame.to_csv(sep="\t", index=False, header=False, lineterminator="\n")
        )
    write_tsv(truth[["chrom", "start", "end", "strand", "motif"]], paths["truth"])
    return {
        **{key: str(path) for key, path in paths.items()},
        "seed": seed,
        "n_chip_peaks": n_chip_peaks,
        "n_accessible_only": n_accessible_only,
        "n_edge_peaks": int(n_edge),
        "n_peaks_with_n_run": int(n_run_peaks.size),
        "n_chip_without_focal": int((is_chip & (kind == 2)).sum()),
        "n_chip_weak_focal": int((is_chip & (kind == 1)).sum()),
        "n_accessible_with_focal": int((~is_chip & (kind < 2)).sum()),
    }


def chip_truth_score(
    x: np.ndarray, truth: pd.DataFrame, focal: str = CHIP_DEFAULT_FOCAL
) -> np.ndarray:
    """Posterior that a ChIP-like window is a ChIP peak, from what the generator planted.

    The generator makes the focal element (strong, weak or none, :data:`CHIP_FOCAL_RATES`)
    and the GC content of the peak's tile (:data:`CHIP_GC`) depend on the class, and
    nothing else (decoys depend only on the focal element). The posterior odds of a
    balanced set are the product of the focal element's likelihood ratio and that of the
    window's GC count, ``k`` of ``L``, under ``Binomial(L, g)`` with ``g`` the class's
    normal (integrated on a grid over :data:`CHIP_GC_RANGE`; planted sites are counted as
    background, a small approximation).

    Parameters
    ----------
    x : numpy.ndarray, shape=(N, 4, L)
        One-hot windows of one split.
    truth : pandas.DataFrame
        Planted sites of that split (``index, motif``), as from
        :func:`evoaugflow.chip.map_truth_to_windows`.
    focal : str, default="CTCF"
        The ChIP-ed factor (its weak instances are labelled ``<focal>_weak``).

    Returns
    -------
    numpy.ndarray, shape=(N,), float64
        Probabilities in [0, 1]; 1 where only ChIP peaks carry such an element.
    """
    from scipy.stats import binom, norm

    codes = codes_from_one_hot(x)
    n, length = codes.shape
    kind = np.full(n, 2)
    for value, name in ((1, f"{focal}{CHIP_WEAK_SUFFIX}"), (0, focal)):
        kind[truth.loc[truth["motif"] == name, "index"].to_numpy(np.int64)] = value
    rates = {
        k: np.append(np.array(CHIP_FOCAL_RATES[k]), 1 - sum(CHIP_FOCAL_RATES[k])) for k in (0, 1)
    }
    with np.errstate(divide="ignore"):
        log_ratio = np.log(rates[1][kind]) - np.log(rates[0][kind])
    gc_count = ((codes == 1) | (codes == 2)).sum(axis=1)
    grid = np.linspace(*CHIP_GC_RANGE, 601)
    likelihood = []
    for k in (0, 1):
        weights = norm.pdf(grid, *CHIP_GC[k])
        weights /= weights.sum()
        likelihood.append(binom.pmf(gc_count[:, None], length, grid[None]) @ weights)
    with np.errstate(divide="ignore"):
        log_ratio = log_ratio + np.log(likelihood[1]) - np.log(likelihood[0])
    return expit(log_ratio)


def site_statistics(
    x: np.ndarray, y: np.ndarray, motif: Motif, moderate: float = 10.0
) -> pd.DataFrame:
    """Measured properties of a motif's best site and of GC content, per class.

    The statistics that ground the ChIP-like set (docs/benchmark.md): each window's best
    hit (:func:`scan`, both strands), its centre relative to the window centre, and GC.

    Parameters
    ----------
    x : numpy.ndarray, shape=(N, 4, L)
        One-hot windows.
    y : numpy.ndarray, shape=(N,) or (N, 1)
        0/1 labels.
    motif : Motif
    moderate : float, default=10.0
        Lower bound (nats) of a moderate hit; a strong hit reaches
        :func:`motif_threshold`.

    Returns
    -------
    pandas.DataFrame
        One row per class (``label`` 1, 0): ``n, gc_mean, gc_sd, score_q10, score_q50,
        score_q90, frac_strong, frac_moderate, frac_without_strong`` and, over strong
        hits, ``offset_median_abs, offset_sd, frac_within_20, frac_within_50`` (nt).
    """
    codes = codes_from_one_hot(x)
    labels = np.asarray(y).reshape(-1)
    if labels.size != codes.shape[0]:
        raise ValueError(f"y: {labels.size} labels for {codes.shape[0]} sequences")
    score = scan(codes, motif)
    best = score.max(axis=1)
    offset = score.argmax(axis=1) + motif.width / 2 - codes.shape[1] / 2
    gc = ((codes == 1) | (codes == 2)).mean(axis=1)
    threshold, _ = motif_threshold(motif)
    rows = []
    for label in (1, 0):
        keep = labels == label
        strong = best[keep] >= threshold
        hit_offset = offset[keep][strong]
        has_hits = hit_offset.size > 0
        q10, q50, q90 = np.quantile(best[keep], [0.1, 0.5, 0.9]) if keep.any() else [np.nan] * 3
        rows.append(
            {
                "label": label,
                "n": int(keep.sum()),
                "gc_mean": gc[keep].mean(),
                "gc_sd": gc[keep].std(),
                "score_q10": q10,
                "score_q50": q50,
                "score_q90": q90,
                "frac_strong": strong.mean(),
                "frac_moderate": ((best[keep] >= moderate) & ~strong).mean(),
                "frac_without_strong": 1 - strong.mean(),
                "offset_median_abs": np.median(np.abs(hit_offset)) if has_hits else np.nan,
                "offset_sd": hit_offset.std() if has_hits else np.nan,
                "frac_within_20": (np.abs(hit_offset) <= 20).mean() if has_hits else np.nan,
                "frac_within_50": (np.abs(hit_offset) <= 50).mean() if has_hits else np.nan,
            }
        )
    return pd.DataFrame(rows)

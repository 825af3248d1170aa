"""Built-in synthetic benchmarks with a known answer, planted with real JASPAR motifs.

Every benchmark is generated from one ``seed`` by a single :class:`numpy.random.Generator`
and is bit-for-bit reproducible. Background DNA is i.i.d. with human base composition
(A = T = 0.295, C = G = 0.205, about 41 % GC). Motif instances are *sampled* from the
motif's position probability matrix (each position drawn from its column; the Basset-like
and DeepSTARR-like sets sharpen the matrix first) and put on a random strand (reverse complement on ``-``).

Four generators mirror the paper's data sets:

- :func:`make_chip_benchmark`: a small genome with ChIP-seq and DNase-like narrowPeak
  files, for :func:`evoaugflow.chip.build_chip_dataset` to build the 200 nt data set the
  way the paper built its ENCODE sets.
- :func:`make_deepstarr_benchmark`: two regression tasks from additive motif effects, a
  spacing/order/orientation grammar and Gaussian noise (:func:`deepstarr_truth_function`).
- :func:`make_basset_benchmark`: binary tasks, each a logic of motifs planted as homotypic
  clusters; labels drawn from :func:`basset_truth_function`, which scans the actual
  sequences.
- :func:`make_cagi_benchmark`: saturation mutagenesis of a few Basset-like elements in
  the CAGI5 challenge layout, with the true effect of every substitution.

Truth tables use 0-based, half-open coordinates and the motif labels of the ``panel``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
from scipy.ndimage import maximum_filter1d
from scipy.special import expit

from evoaugflow.io import atomic_path, write_text_atomic
from evoaugflow.jaspar import fetch_motifs
from evoaugflow.meme import Motif
from evoaugflow.variants import variant_index

BACKGROUND = np.array([0.295, 0.205, 0.205, 0.295])
DEFAULT_PANEL = (
    "CTCF",
    "GATA1",
    "SPI1",
    "CEBPB",
    "FOS::JUN",
    "ELK1",
    "REST",
    "YY1",
    "MAX",
    "HNF4A",
)
MIN_PANEL = 10
DNA = np.frombuffer(b"ACGTN", dtype=np.uint8)
# Added to every probability before taking log-odds, so a base a JASPAR column never saw
# costs a finite penalty (about -3.3 nats against a 0.295 background).
LOG_ODDS_PSEUDOCOUNT = 0.01

# DeepSTARR-like function: per-task additive effect of one motif instance, by panel index
# (indices >= 10 reuse index % 10), then the two grammar pairs: (first motif, second motif,
# exact gap in nt between them, bonus per correctly arranged pair, task).
DEEPSTARR_EFFECTS = np.array(
    [
        [0.2, 1.0, 0.6, -0.5, 0.8, 0.1, -0.8, 0.0, 0.3, 0.5],  # developmental
        [0.1, 0.0, 0.0, 0.2, 0.1, 1.0, -0.6, 0.8, 0.7, 0.0],  # housekeeping
    ]
)
DEEPSTARR_GRAMMAR = ((1, 4, 4, 1.5, 0), (7, 8, 2, 1.2, 1))
DEEPSTARR_NOISE_SD = 0.3

# Basset-like tasks (panel indices; see basset_logic). The logic uses only panel motifs that
# a random 600 nt background rarely matches (with DEFAULT_PANEL: CTCF, SPI1, CEBPB, ELK1,
# REST, HNF4A); GATA1, FOS::JUN, YY1 and MAX, short or degenerate, match somewhere in 13-51 %
# of background windows and are planted as distractors only. Probabilities run from P_LOW (logic
# false) to P_HIGH (logic true), so labels carry a little noise even with a perfect model.
BASSET_TASKS = (
    "m0",
    "m2 AND NOT m6",
    "m3 OR m5",
    "m2 AND m3 within 50 nt",
    "m5 AND m9",
    "m9 AND NOT m0",
    "at least 2 of m2, m3, m5, m9",
    "m6",
    "m0 OR m6",
    "(m3 OR m5) AND NOT m6",
)
BASSET_PAIR = (2, 3, 50)
P_LOW, P_HIGH = 0.03, 0.95

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


# ----------------------------------------------------------------------------- motifs


def load_panel(panel: Sequence[str] = DEFAULT_PANEL, release: str = "JASPAR2022") -> list[Motif]:
    """Fetch the panel's JASPAR motifs; each keeps the label it was asked by as ``name``.

    Parameters
    ----------
    panel : sequence of str, default=DEFAULT_PANEL
        At least 10 distinct TF names or matrix IDs (see :func:`evoaugflow.jaspar.fetch_motifs`).
    release : str, default="JASPAR2022"

    Returns
    -------
    list of Motif
    """
    panel = [str(label) for label in panel]
    if len(panel) < MIN_PANEL or len(set(panel)) != len(panel):
        raise ValueError(
            f"panel: {panel}; give at least {MIN_PANEL} distinct JASPAR names or IDs, "
            f"e.g. {list(DEFAULT_PANEL)}"
        )
    motifs = fetch_motifs(panel, release=release)
    return [Motif(m.id, label, m.pfm, m.nsites) for m, label in zip(motifs, panel, strict=True)]


def log_odds(motif: Motif) -> np.ndarray:
    """Log-odds matrix against :data:`BACKGROUND`, shape=(w, 5); column 4 (N) scores 0."""
    probabilities = (motif.pfm + LOG_ODDS_PSEUDOCOUNT) / (1 + 4 * LOG_ODDS_PSEUDOCOUNT)
    return np.concatenate([np.log(probabilities / BACKGROUND), np.zeros((motif.width, 1))], 1)


def motif_threshold(motif: Motif) -> tuple[float, float]:
    """Score threshold and softness of a motif's presence.

    The threshold is the expected log-odds of an instance sampled from the PFM minus half
    its standard deviation; the softness (sigmoid scale) is a quarter of that deviation.

    Returns
    -------
    threshold, scale : float
    """
    lo = log_odds(motif)[:, :4]
    mean_per_column = (motif.pfm * lo).sum(1)
    var_per_column = (motif.pfm * lo**2).sum(1) - mean_per_column**2
    sd = float(np.sqrt(var_per_column.sum()))
    return float(mean_per_column.sum() - 0.5 * sd), 0.25 * sd


def scan(codes: np.ndarray, motif: Motif) -> np.ndarray:
    """Best-strand log-odds score of a motif at every start position.

    Parameters
    ----------
    codes : numpy.ndarray, shape=(N, L), uint8
        Base codes 0..3 for A, C, G, T, 4 for N (scores 0).

    Returns
    -------
    numpy.ndarray, shape=(N, L - w + 1), float32
        Maximum over the two strands of the log-odds of the window starting there.
    """
    lo = log_odds(motif).astype(np.float32)
    # Reverse complement of the motif: reverse positions, swap A<->T and C<->G; N stays.
    lo_rc = lo[::-1][:, [3, 2, 1, 0, 4]]
    n_positions = codes.shape[1] - motif.width + 1
    if n_positions < 1:
        raise ValueError(f"codes: length {codes.shape[1]} is shorter than motif {motif.name}")
    forward = np.zeros((codes.shape[0], n_positions), dtype=np.float32)
    reverse = np.zeros_like(forward)
    for offset in range(motif.width):
        window = codes[:, offset : offset + n_positions]
        forward += lo[offset][window]
        reverse += lo_rc[offset][window]
    return np.maximum(forward, reverse)


def codes_from_one_hot(x: np.ndarray) -> np.ndarray:
    """Base codes from one-hot DNA.

    Parameters
    ----------
    x : numpy.ndarray, shape=(N, 4, L)
        Channels A, C, G, T; all-zero columns (N or padding) become code 4.

    Returns
    -------
    numpy.ndarray, shape=(N, L), uint8
    """
    x = np.asarray(x)
    if x.ndim != 3 or x.shape[1] != 4:
        raise ValueError(f"x: shape {x.shape}, expected (N, 4, L) one-hot in ACGT order")
    codes = x.argmax(axis=1).astype(np.uint8)
    codes[x.max(axis=1) <= 0] = 4
    return codes


def one_hot(codes: np.ndarray) -> np.ndarray:
    """One-hot DNA, shape=(N, 4, L) float32, from base codes (N, L); code 4 gives zeros."""
    table = np.concatenate([np.eye(4, dtype=np.float32), np.zeros((1, 4), np.float32)])
    return np.ascontiguousarray(table[codes].transpose(0, 2, 1))


def _random_codes(rng: np.random.Generator, shape) -> np.ndarray:
    return np.searchsorted(np.cumsum(BACKGROUND)[:3], rng.random(shape), side="right").astype(
        np.uint8
    )


def _sample_instances(rng: np.random.Generator, pfm: np.ndarray, minus: np.ndarray) -> np.ndarray:
    """Instances drawn column by column from ``pfm`` (w, 4); rows with ``minus`` reversed."""
    cumulative = np.cumsum(pfm, axis=1)[:, :3]
    draws = rng.random((len(minus), pfm.shape[0]))
    instances = (draws[:, :, None] > cumulative[None]).sum(-1).astype(np.uint8)
    instances[minus] = 3 - instances[minus, ::-1]
    return instances


def _plant(
    rng: np.random.Generator,
    codes: np.ndarray,
    motifs: Sequence[Motif],
    rows: np.ndarray,
    starts: np.ndarray,
    motif_index: np.ndarray,
    minus: np.ndarray,
) -> None:
    """Write sampled instances into ``codes`` (N, L) in place, one vectorised call per motif."""
    for index, motif in enumerate(motifs):
        selected = np.flatnonzero(motif_index == index)
        if selected.size == 0:
            continue
        instances = _sample_instances(rng, motif.pfm, minus[selected])
        columns = starts[selected, None] + np.arange(motif.width)
        codes[rows[selected, None], columns] = instances


def _truth_frame(motifs, rows, starts, motif_index, minus, row_name="index") -> pd.DataFrame:
    widths = np.array([motif.width for motif in motifs])[motif_index]
    frame = pd.DataFrame(
        {
            row_name: rows,
            "motif": np.array([motif.name for motif in motifs], dtype=object)[motif_index],
            "start": starts,
            "end": starts + widths,
            "strand": np.where(minus, "-", "+"),
        }
    )
    return frame.sort_values([row_name, "start"], kind="stable").reset_index(drop=True)


# ------------------------------------------------------------------ element layouts


def _uniform_motifs(rng, rows, n_motifs):
    """Default single-slot motif draw: uniform over the panel, independently per slot."""
    return rng.integers(0, n_motifs, rows.size)


def _layout(
    rng, n, length, n_slots, occupancy, motifs, pair_rate, pair_spec, motif_draw=_uniform_motifs
):
    """Random non-overlapping motif arrangement for ``n`` sequences of ``length`` nt.

    Each of ``n_slots`` slots per sequence holds, with probability ``occupancy``, either one
    motif (``motif_draw(rng, rows, n_motifs)``, default uniform over the panel; -1 leaves
    the slot empty) or, with probability ``pair_rate``, a pair drawn by
    ``pair_spec(rng, m)`` -> (first, second, gap, first_minus, second_minus) arrays. Slot
    positions are uniform among non-overlapping arrangements (sorted cut points).

    Returns
    -------
    rows, starts, motif_index, minus : numpy.ndarray, shape=(parts,)
    """
    widths = np.array([motif.width for motif in motifs])
    occupied = rng.random((n, n_slots)) < occupancy
    is_pair = occupied & (rng.random((n, n_slots)) < pair_rate)
    single = occupied & ~is_pair
    slot_width = np.zeros((n, n_slots), dtype=np.int64)

    single_rows, single_slots = np.nonzero(single)
    single_motif = motif_draw(rng, single_rows, len(motifs))
    single_minus = rng.random(single_rows.size) < 0.5
    slot_width[single_rows, single_slots] = widths[single_motif]

    pair_rows, pair_slots = np.nonzero(is_pair)
    first, second, gap, first_minus, second_minus = pair_spec(rng, pair_rows.size)
    slot_width[pair_rows, pair_slots] = widths[first] + gap + widths[second]

    free = length - slot_width.sum(1)
    if np.any(free < 0):
        raise ValueError(
            f"length: {length} nt cannot hold {n_slots} motif slots; use a longer length"
        )
    cuts = np.sort(rng.integers(0, free[:, None] + 1, (n, n_slots)), axis=1)
    slot_start = cuts + np.cumsum(slot_width, axis=1) - slot_width

    rows = np.concatenate([single_rows, pair_rows, pair_rows])
    starts = np.concatenate(
        [
            slot_start[single_rows, single_slots],
            slot_start[pair_rows, pair_slots],
            slot_start[pair_rows, pair_slots] + widths[first] + gap,
        ]
    )
    motif_index = np.concatenate([single_motif, first, second])
    minus = np.concatenate([single_minus, first_minus, second_minus])
    keep = motif_index >= 0
    return rows[keep], starts[keep], motif_index[keep], minus[keep]


def _generate(
    rng, n, length, motifs, n_slots, occupancy, pair_rate, pair_spec, motif_draw=_uniform_motifs
):
    codes = _random_codes(rng, (n, length))
    parts = _layout(rng, n, length, n_slots, occupancy, motifs, pair_rate, pair_spec, motif_draw)
    _plant(rng, codes, motifs, *parts)
    return codes, _truth_frame(motifs, *parts)


def _split_sizes(n_train, n_valid, n_test):
    sizes = {"train": n_train, "valid": n_valid, "test": n_test}
    for split, size in sizes.items():
        if int(size) < 1:
            raise ValueError(f"n_{split}: {size}; expected an int >= 1")
    return {split: int(size) for split, size in sizes.items()}


def _write_h5(path, arrays: dict[str, np.ndarray]) -> None:
    with atomic_path(path, suffix=".h5") as tmp:
        with h5py.File(tmp, "w") as handle:
            for key, value in arrays.items():
                handle.create_dataset(key, data=value)


def _write_tsv(path, frame: pd.DataFrame, header_lines: Sequence[str] = ()) -> None:
    text = "".join(f"{line}\n" for line in header_lines) + frame.to_csv(
        sep="\t", index=False, lineterminator="\n"
    )
    write_text_atomic(path, text)


# --------------------------------------------------------------------------- DeepSTARR


def _deepstarr_pairs(rng, n):
    """Grammar pairs: half correctly arranged, the rest wrong spacing, order or orientation."""
    which = rng.integers(0, len(DEEPSTARR_GRAMMAR), n)
    grammar = np.array([spec[:3] for spec in DEEPSTARR_GRAMMAR])[which]
    first, second, gap = grammar[:, 0].copy(), grammar[:, 1].copy(), grammar[:, 2].copy()
    arrangement = rng.choice(4, n, p=[0.5, 0.5 / 3, 0.5 / 3, 0.5 / 3])
    first_minus = np.zeros(n, dtype=bool)
    wrong_gap = arrangement == 1
    gap[wrong_gap] += rng.integers(3, 16, wrong_gap.sum())
    swapped = arrangement == 2
    first[swapped], second[swapped] = second[swapped], first[swapped].copy()
    first_minus[arrangement == 3] = True
    return first, second, gap, first_minus, np.zeros(n, dtype=bool)


def deepstarr_truth_function(
    truth: pd.DataFrame, n_sequences: int, panel: Sequence[str] = DEFAULT_PANEL
) -> np.ndarray:
    """Noise-free DeepSTARR-like activities from the planted motifs of one split.

    ``activity[task] = sum over instances of DEEPSTARR_EFFECTS[task, motif]`` plus, for each
    grammar pair (A, B, gap, bonus, task) in :data:`DEEPSTARR_GRAMMAR`, ``bonus`` for every
    A on ``+`` followed by B on ``+`` starting exactly ``gap`` nt after A ends.

    Parameters
    ----------
    truth : pandas.DataFrame
        Columns ``index, motif, start, end, strand`` (one split of the truth TSV).
    n_sequences : int
        Number of sequences in the split.
    panel : sequence of str, default=DEFAULT_PANEL
        Motif labels in panel order (the generator's ``panel``).

    Returns
    -------
    numpy.ndarray, shape=(n_sequences, 2), float64
        Columns developmental, housekeeping.
    """
    panel_index = {label: i for i, label in enumerate(panel)}
    unknown = sorted(set(truth["motif"]) - set(panel_index))
    if unknown:
        raise ValueError(f"truth: motifs {unknown} are not in panel {list(panel)}")
    motif_index = truth["motif"].map(panel_index).to_numpy()
    activity = np.zeros((n_sequences, 2))
    effects = DEEPSTARR_EFFECTS[:, motif_index % DEEPSTARR_EFFECTS.shape[1]]
    for task in range(2):
        np.add.at(activity[:, task], truth["index"].to_numpy(), effects[task])
    plus = truth[truth["strand"] == "+"]
    for first, second, gap, bonus, task in DEEPSTARR_GRAMMAR:
        left = plus[plus["motif"] == panel[first]]
        right = plus[plus["motif"] == panel[second]]
        pairs = left.merge(right, on="index", suffixes=("_a", "_b"))
        correct = pairs[pairs["start_b"] - pairs["end_a"] == gap]
        np.add.at(activity[:, task], correct["index"].to_numpy(), bonus)
    return activity


def make_deepstarr_benchmark(
    path_h5: str | os.PathLike,
    truth_path: str | os.PathLike,
    panel: Sequence[str] = DEFAULT_PANEL,
    n_train: int = 2800,
    n_valid: int = 400,
    n_test: int = 800,
    length: int = 249,
    seed: int = 0,
    release: str = "JASPAR2022",
    instance_sharpness: float = 2.0,
) -> dict:
    """Write a DeepSTARR-like regression data set with a known function.

    Each sequence has 4 slots, each occupied with probability 0.6 by one panel motif (70 %)
    or a grammar pair (30 %, half of them arranged correctly); instances are sampled from
    the PFM raised to ``instance_sharpness``. Targets are
    :func:`deepstarr_truth_function` plus Gaussian noise (sd :data:`DEEPSTARR_NOISE_SD`).

    Parameters
    ----------
    path_h5 : str or PathLike
        Output h5: ``X_train, Y_train, X_valid, Y_valid, X_test, Y_test``; X (N, 4, length)
        float32 ACGT, Y (N, 2) float32 (developmental, housekeeping).
    truth_path : str or PathLike
        Output TSV: ``split, index, motif, start, end, strand`` (positions in the sequence).
    panel : sequence of str, default=DEFAULT_PANEL
    n_train, n_valid, n_test : int, default=2800, 400, 800
    length : int, default=249
    seed : int, default=0
    release : str, default="JASPAR2022"
    instance_sharpness : float, default=2.0
        Exponent applied to the PFM before sampling instances, > 0 (see
        :func:`make_basset_benchmark`). With 1 (the PFM itself) many sites of degenerate
        motifs cannot be told from background, yet count in the truth: label variance no
        model of the sequence can explain (27 % of the sites score below
        :func:`motif_threshold` with 1, 1.5 % with 2; a linear model of motif scan counts reached
        test Pearson 0.80 with 1, 0.89 with 2; the noise-free truth 0.98; see
        docs/benchmark.md), and the quick CNN overfit to it.

    Returns
    -------
    dict
        Split sizes, and the signal and noise variance of each task.
    """
    sizes = _split_sizes(n_train, n_valid, n_test)
    if not instance_sharpness > 0:
        raise ValueError(
            f"instance_sharpness: {instance_sharpness}; expected > 0 (1 = sample the PFM)"
        )
    motifs = [_sharpen(m, instance_sharpness) for m in load_panel(panel, release)]
    rng = np.random.default_rng(seed)
    arrays, truths, record = {}, [], {"seed": seed}
    for split, n in sizes.items():
        codes, truth = _generate(rng, n, length, motifs, 4, 0.6, 0.3, _deepstarr_pairs)
        signal = deepstarr_truth_function(truth, n, panel)
        targets = signal + rng.normal(0.0, DEEPSTARR_NOISE_SD, signal.shape)
        arrays[f"X_{split}"] = one_hot(codes)
        arrays[f"Y_{split}"] = targets.astype(np.float32)
        truths.append(truth.assign(split=split))
        record[f"n_{split}"] = n
        record[f"signal_variance_{split}"] = [round(float(v), 4) for v in signal.var(axis=0)]
    _write_h5(path_h5, arrays)
    columns = ["split", "index", "motif", "start", "end", "strand"]
    _write_tsv(truth_path, pd.concat(truths, ignore_index=True)[columns])
    record["noise_variance"] = DEEPSTARR_NOISE_SD**2
    return record


# ------------------------------------------------------------------------------ Basset


def _basset_pairs(rng, n):
    """Pairs for the proximity task (:data:`BASSET_PAIR`), 0-40 nt apart, random strands."""
    first, second, _ = BASSET_PAIR
    return (
        np.full(n, first),
        np.full(n, second),
        rng.integers(0, 41, n),
        rng.random(n) < 0.5,
        rng.random(n) < 0.5,
    )


def _active_motif_draw(active: np.ndarray):
    """Slot motif draw for homotypic clusters.

    Parameters
    ----------
    active : numpy.ndarray, shape=(N, P), bool
        Which panel motifs are active in each sequence.

    Returns
    -------
    callable
        ``draw(rng, rows, n_motifs)`` giving, for each slot of sequence ``rows[i]``, a motif
        uniform among that sequence's active motifs, or -1 (slot left empty) where none is.
    """

    def draw(rng, rows, n_motifs):
        weights = rng.random((rows.size, n_motifs)) * active[rows]
        return np.where(weights.max(axis=1) > 0, weights.argmax(axis=1), -1)

    return draw


def _sharpen(motif: Motif, sharpness: float) -> Motif:
    """The motif with every PFM column raised to ``sharpness`` and renormalised."""
    pfm = motif.pfm**sharpness
    return Motif(motif.id, motif.name, pfm / pfm.sum(axis=1, keepdims=True), motif.nsites)


def motif_presence(x: np.ndarray, motifs: Sequence[Motif]) -> tuple[np.ndarray, np.ndarray]:
    """Soft presence of each motif, and of the proximity pair, by log-odds scanning.

    A position's presence is ``sigmoid((score - threshold) / scale)`` with
    :func:`motif_threshold`; a motif's presence is its best position. The pair presence is
    the best product of the first :data:`BASSET_PAIR` motif's presence at one position and
    the second one's best presence within 50 nt of it (start to start).

    Parameters
    ----------
    x : numpy.ndarray, shape=(N, 4, L) one-hot or (N, L) uint8 codes
    motifs : sequence of Motif
        The panel, in panel order (at least 10).

    Returns
    -------
    presence : numpy.ndarray, shape=(N, len(motifs)), values in [0, 1]
    pair : numpy.ndarray, shape=(N,), values in [0, 1]
    """
    x = np.asarray(x)
    codes = codes_from_one_hot(x) if x.ndim == 3 else x.astype(np.uint8)
    if len(motifs) < MIN_PANEL:
        raise ValueError(f"motifs: {len(motifs)} given, the task logic needs >= {MIN_PANEL}")
    position_presence = []
    for motif in motifs:
        threshold, scale = motif_threshold(motif)
        score = scan(codes, motif)
        position_presence.append(expit((score - threshold) / scale))
    presence = np.stack([p.max(axis=1) for p in position_presence], axis=1)
    first, second, reach = BASSET_PAIR
    # Both maps padded to the full length so index i is start position i in each.
    first_map, second_map = (
        np.pad(position_presence[k], ((0, 0), (0, codes.shape[1] - position_presence[k].shape[1])))
        for k in (first, second)
    )
    near_second = maximum_filter1d(second_map, size=2 * reach + 1, axis=1, mode="constant")
    pair = (first_map * near_second).max(axis=1)
    return presence, pair


def basset_logic(presence: np.ndarray, pair: np.ndarray, n_tasks: int = 8) -> np.ndarray:
    """True task probabilities from motif presence: the known function of the Basset-like set.

    Fuzzy logic on presences in [0, 1] (AND = product, OR = 1 - (1 - a)(1 - b),
    NOT = 1 - a), then ``p = P_LOW + (P_HIGH - P_LOW) * logic``. The tasks are
    :data:`BASSET_TASKS`, with ``mK`` the K-th panel motif.

    Parameters
    ----------
    presence : numpy.ndarray, shape=(N, P), P >= 10, values in [0, 1]
        Hard 0/1 presence works too ("which motifs are present").
    pair : numpy.ndarray, shape=(N,)
        Presence of the :data:`BASSET_PAIR` motifs (2 and 3) within 50 nt.
    n_tasks : int, default=8
        1 to 10.

    Returns
    -------
    numpy.ndarray, shape=(N, n_tasks)
    """
    presence = np.asarray(presence, dtype=np.float64)
    if presence.ndim != 2 or presence.shape[1] < MIN_PANEL:
        raise ValueError(f"presence: shape {presence.shape}, expected (N, P) with P >= 10")
    if not 1 <= int(n_tasks) <= len(BASSET_TASKS):
        raise ValueError(f"n_tasks: {n_tasks}; expected 1..{len(BASSET_TASKS)}")
    m = presence.T

    def any_of(*values):
        return 1.0 - np.prod([1.0 - v for v in values], axis=0)

    group = np.stack([m[2], m[3], m[5], m[9]])
    none = np.prod(1.0 - group, axis=0)
    exactly_one = sum(
        group[i] * np.prod(np.delete(1.0 - group, i, axis=0), axis=0) for i in range(4)
    )
    logic = np.stack(
        [
            m[0],
            m[2] * (1 - m[6]),
            any_of(m[3], m[5]),
            np.asarray(pair, dtype=np.float64),
            m[5] * m[9],
            m[9] * (1 - m[0]),
            1.0 - none - exactly_one,
            m[6],
            any_of(m[0], m[6]),
            any_of(m[3], m[5]) * (1 - m[6]),
        ],
        axis=1,
    )[:, : int(n_tasks)]
    return P_LOW + (P_HIGH - P_LOW) * logic


def basset_truth_function(x: np.ndarray, motifs: Sequence[Motif], n_tasks: int = 8) -> np.ndarray:
    """True probabilities of the Basset-like tasks for any sequences, by scanning them.

    Parameters
    ----------
    x : numpy.ndarray, shape=(N, 4, L) one-hot (ACGT) or (N, L) uint8 codes (4 = N)
    motifs : sequence of Motif
        The panel in panel order, e.g. ``load_panel(DEFAULT_PANEL)``.
    n_tasks : int, default=8

    Returns
    -------
    numpy.ndarray, shape=(N, n_tasks), float64
    """
    return basset_logic(*motif_presence(x, motifs), n_tasks=n_tasks)


def make_basset_benchmark(
    path_h5: str | os.PathLike,
    truth_path: str | os.PathLike,
    panel: Sequence[str] = DEFAULT_PANEL,
    n_train: int = 2100,
    n_valid: int = 300,
    n_test: int = 600,
    length: int = 600,
    n_tasks: int = 8,
    seed: int = 0,
    release: str = "JASPAR2022",
    n_slots: int = 12,
    occupancy: float = 1.0,
    motif_span: int | None = 400,
    instance_sharpness: float = 2.0,
    active_rate: float = 0.3,
    pair_rate: float = 0.03,
) -> dict:
    """Write a Basset-like multi-task binary data set with a known logic per task.

    Each sequence first draws its active factors: every panel motif independently with
    probability ``active_rate``. Its ``n_slots`` slots are then each occupied with
    probability ``occupancy`` by either a motif 2 + motif 3 pair 0-40 nt apart (probability
    ``pair_rate``) or one instance of a motif drawn uniformly among the sequence's active
    ones (the slot stays empty where none is active). An active factor thus appears as a
    homotypic cluster of several sites, as in real enhancers, and a sequence without active
    factors is plain background. Instances are sampled from the PFM raised to the power
    ``instance_sharpness`` (columns renormalised), so that planted sites are strong matches
    that stand out of 600 nt of background. All motifs sit in the central ``motif_span``
    nt, as sites concentrate near the summit of an accessibility peak. Labels are Bernoulli
    draws from :func:`basset_truth_function` of the final sequences.

    The defaults make the task learnable from about 2,000 training sequences by a narrowed
    Basset model (first-layer filters find the motifs before the fully connected layers
    memorise the training set); ``n_slots=6, occupancy=0.5, motif_span=None,
    instance_sharpness=1, active_rate=1, pair_rate=0.15`` gives sparse, single, PFM-sampled
    sites, which such a model does not learn at this size.

    Parameters
    ----------
    path_h5 : str or PathLike
        Output h5: ``X_*`` (N, 4, length) float32, ``Y_*`` (N, n_tasks) float32 0/1.
    truth_path : str or PathLike
        Output TSV: ``split, index, motif, start, end, strand``.
    panel : sequence of str, default=DEFAULT_PANEL
    n_train, n_valid, n_test : int, default=2100, 300, 600
    length : int, default=600
    n_tasks : int, default=8
        1 to 10 (:data:`BASSET_TASKS`).
    seed : int, default=0
    release : str, default="JASPAR2022"
    n_slots : int, default=12
        Motif slots per sequence, >= 1; they must fit side by side in ``motif_span``.
    occupancy : float, default=1.0
        Probability that a slot holds a motif, in (0, 1].
    motif_span : int or None, default=400
        Width of the central region that holds the motifs, 1..length; None: the whole
        sequence. The flanks are background.
    instance_sharpness : float, default=2.0
        Exponent applied to the PFM before sampling instances, > 0; 1 samples from the
        JASPAR PFM itself, larger values give instances closer to the consensus.
    active_rate : float, default=0.3
        Probability that a panel motif is active in a sequence, in (0, 1]; 1 draws every
        slot's motif uniformly from the whole panel.
    pair_rate : float, default=0.03
        Probability that an occupied slot holds the proximity pair, in [0, 1].

    Returns
    -------
    dict
        Split sizes and the positive rate of every task.
    """
    sizes = _split_sizes(n_train, n_valid, n_test)
    if not 1 <= int(n_tasks) <= len(BASSET_TASKS):
        raise ValueError(f"n_tasks: {n_tasks}; expected 1..{len(BASSET_TASKS)}")
    span = length if motif_span is None else int(motif_span)
    if not 1 <= span <= length:
        raise ValueError(
            f"motif_span: {motif_span}; expected 1..length ({length}), or None for all of it"
        )
    if int(n_slots) < 1:
        raise ValueError(f"n_slots: {n_slots}; expected an int >= 1")
    for name, value, low_open in (
        ("occupancy", occupancy, True),
        ("active_rate", active_rate, True),
        ("pair_rate", pair_rate, False),
    ):
        if not (0 < value <= 1 if low_open else 0 <= value <= 1):
            allowed = "(0, 1]" if low_open else "[0, 1]"
            raise ValueError(f"{name}: {value}; expected a probability in {allowed}")
    if not instance_sharpness > 0:
        raise ValueError(
            f"instance_sharpness: {instance_sharpness}; expected > 0 (1 = sample the PFM)"
        )
    flank = (length - span) // 2
    motifs = load_panel(panel, release)
    planted = [_sharpen(motif, instance_sharpness) for motif in motifs]
    rng = np.random.default_rng(seed)
    arrays, truths, record = {}, [], {"seed": seed, "tasks": list(BASSET_TASKS[:n_tasks])}
    for split, n in sizes.items():
        draw = _active_motif_draw(rng.random((n, len(motifs))) < active_rate)
        core, truth = _generate(
            rng, n, span, planted, int(n_slots), occupancy, pair_rate, _basset_pairs, draw
        )
        codes = _random_codes(rng, (n, length))
        codes[:, flank : flank + span] = core
        truth = truth.assign(start=truth["start"] + flank, end=truth["end"] + flank)
        probability = basset_truth_function(codes, motifs, n_tasks)
        labels = (rng.random(probability.shape) < probability).astype(np.float32)
        arrays[f"X_{split}"] = one_hot(codes)
        arrays[f"Y_{split}"] = labels
        truths.append(truth.assign(split=split))
        record[f"n_{split}"] = n
        record[f"positive_rate_{split}"] = [round(float(v), 3) for v in labels.mean(axis=0)]
    _write_h5(path_h5, arrays)
    columns = ["split", "index", "motif", "start", "end", "strand"]
    _write_tsv(truth_path, pd.concat(truths, ignore_index=True)[columns])
    return record


# ------------------------------------------------------------------------- genome files


def _write_fasta(path: str | os.PathLike, names: Sequence[str], sequences, line_width=60) -> None:
    """Write a FASTA file and its samtools-style ``.fai`` index, both atomically."""
    chunks, index_lines, offset = [], [], 0
    for name, codes in zip(names, sequences, strict=True):
        text = DNA[codes].tobytes().decode()
        header = f">{name}\n"
        body = "".join(text[i : i + line_width] + "\n" for i in range(0, len(text), line_width))
        offset += len(header)
        index_lines.append(f"{name}\t{len(text)}\t{offset}\t{line_width}\t{line_width + 1}\n")
        offset += len(body)
        chunks.extend([header, body])
    write_text_atomic(path, "".join(chunks))
    write_text_atomic(f"{path}.fai", "".join(index_lines))


# ----------------------------------------------------------------------------- ChIP-seq


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
        f"{focal}_weak",
        CHIP_WEAK_MIX * motifs[focal_index].pfm + (1 - CHIP_WEAK_MIX) * BACKGROUND,
    )
    motifs.append(weak)
    weak_index = len(motifs) - 1
    widths = np.array([motif.width for motif in motifs])
    decoy_choices = np.array([i for i in range(len(panel)) if i != focal_index])
    rng = np.random.default_rng(seed)
    length = n_tiles * tile
    genome = _random_codes(rng, (n_chromosomes, length))

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
    _plant(rng, genome, motifs, rows, starts, motif_index, minus)

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
    _write_fasta(out_dir / "genome.fa", list(chrom_names), list(genome))
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
    truth = _truth_frame(motifs, rows, starts, motif_index, minus, row_name="chrom")
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
    _write_tsv(paths["truth"], truth[["chrom", "start", "end", "strand", "motif"]])
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
    for value, name in ((1, f"{focal}_weak"), (0, focal)):
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


# -------------------------------------------------------------------------------- CAGI


def make_cagi_benchmark(
    out_dir: str | os.PathLike,
    panel: Sequence[str] = DEFAULT_PANEL,
    n_elements: int = 3,
    element_length: int = 150,
    flank: int = 1000,
    window: int = 600,
    n_tasks: int = 8,
    seed: int = 0,
    release: str = "JASPAR2022",
) -> dict:
    """Write a CAGI5-like saturation mutagenesis set with the true effect of every SNV.

    Each element is a Basset-like sequence (3 slots, all occupied) in its own contig
    ``chrSYN<k>`` of ``cagi_genome.fa`` between random flanks of ``flank`` nt; the first
    element sits 100 nt from its contig start, so windows centred on its variants run off
    the contig. The true effect of a substitution is
    ``log(mean_t p_alt / mean_t p_ref)`` under :func:`basset_truth_function` applied to the
    ``window`` nt centred on the variant (variant at index ``variants.variant_index(window)`` = ``(window - 1) // 2``, the
    published CAGI_onehot convention; positions off
    the contig count as N, log-odds 0).

    Parameters
    ----------
    out_dir : str or PathLike
        Receives ``cagi_genome.fa`` (+ ``.fai``), ``SYN<k>.tsv`` per element in the CAGI5
        layout (``##`` comments, header ``#Chrom Pos Ref Alt Value Confidence``, 1-based
        positions, every substitution of every base; confidence 1) and ``elements.tsv``
        (element, chrom, start, end, file; 0-based half-open element coordinates).
    panel : sequence of str, default=DEFAULT_PANEL
    n_elements : int, default=3
    element_length : int, default=150
    flank : int, default=1000
        Random DNA on each side (left side of the first element: 100 nt).
    window : int, default=600
    n_tasks : int, default=8
    seed : int, default=0
    release : str, default="JASPAR2022"

    Returns
    -------
    dict
        Paths and the number of variants per element.
    """
    if int(n_elements) < 1 or int(element_length) < 60 or int(flank) < 100 or int(window) < 2:
        raise ValueError(
            "n_elements >= 1, element_length >= 60, flank >= 100 and window >= 2 are required; "
            f"got {n_elements}, {element_length}, {flank}, {window}"
        )
    motifs = load_panel(panel, release)
    rng = np.random.default_rng(seed)
    elements, _ = _generate(rng, n_elements, element_length, motifs, 3, 1.0, 0.15, _basset_pairs)
    out_dir = Path(out_dir)
    centre = variant_index(window)
    names = [f"SYN{k + 1}" for k in range(n_elements)]
    contigs, table, variants_per_element = [], [], {}
    for k, element in enumerate(elements):
        left = 100 if k == 0 else flank
        contig = np.concatenate([_random_codes(rng, left), element, _random_codes(rng, flank)])
        contigs.append(contig)
        position = left + np.arange(element_length)  # 0-based contig positions
        window_columns = position[:, None] - centre + np.arange(window)
        inside = (window_columns >= 0) & (window_columns < contig.size)
        reference = np.where(inside, contig[np.clip(window_columns, 0, contig.size - 1)], 4)
        ref_base = contig[position]
        alt_base = (ref_base[:, None] + np.arange(1, 4)) % 4  # (L, 3) the other three bases
        alternative = np.repeat(reference, 3, axis=0)
        alternative[:, centre] = alt_base.ravel()
        p_ref = basset_truth_function(reference, motifs, n_tasks).mean(axis=1)
        p_alt = basset_truth_function(alternative, motifs, n_tasks).mean(axis=1)
        effect = np.log(p_alt / np.repeat(p_ref, 3))
        chrom = f"chr{names[k]}"
        rows = pd.DataFrame(
            {
                "#Chrom": chrom,
                "Pos": np.repeat(position + 1, 3),
                "Ref": DNA[np.repeat(ref_base, 3)].view("S1").astype(str),
                "Alt": DNA[alt_base.ravel()].view("S1").astype(str),
                "Value": effect.round(6),
                "Confidence": 1.0,
            }
        )
        comments = [
            f"## synthetic CAGI5-like saturation mutagenesis of element {names[k]} (seed {seed})",
            f"## Value = log(mean_t p_alt / mean_t p_ref), Basset-like truth, {n_tasks} tasks, "
            f"{window} nt window centred on the variant",
        ]
        _write_tsv(out_dir / f"{names[k]}.tsv", rows, comments)
        variants_per_element[names[k]] = len(rows)
        table.append((names[k], chrom, left, left + element_length, f"{names[k]}.tsv"))
    _write_fasta(out_dir / "cagi_genome.fa", [row[1] for row in table], contigs)
    elements_table = pd.DataFrame(table, columns=["element", "chrom", "start", "end", "file"])
    _write_tsv(out_dir / "elements.tsv", elements_table)
    return {
        "genome": str(out_dir / "cagi_genome.fa"),
        "elements": str(out_dir / "elements.tsv"),
        "seed": seed,
        "variants": variants_per_element,
    }


# ------------------------------------------------------------------------------ oracle

#: Sources whose generator knows the truth function (the ``source`` of a configured data set).
ORACLE_SOURCES = ("synthetic_chip", "synthetic_deepstarr", "synthetic_basset")
#: Columns of an oracle table (``results/data/<dataset>/oracle.tsv``).
ORACLE_COLUMNS = ("split", "metric", "task", "value", "score")


def oracle_scores(
    source: str,
    x: np.ndarray,
    truth: pd.DataFrame,
    panel: Sequence[str] = DEFAULT_PANEL,
    release: str = "JASPAR2022",
) -> tuple[np.ndarray, str]:
    """The truth function's own prediction for every sequence of one split.

    Parameters
    ----------
    source : {"synthetic_chip", "synthetic_deepstarr", "synthetic_basset"}
        The generator that made the split.
    x : numpy.ndarray, shape=(N, 4, L)
        One-hot sequences of the split.
    truth : pandas.DataFrame
        Planted sites of the split: ``index, motif, start, end, strand``.
    panel : sequence of str, default=DEFAULT_PANEL
    release : str, default="JASPAR2022"

    Returns
    -------
    score : numpy.ndarray, shape=(N, T), float64
        DeepSTARR-like: the noise-free activities (:func:`deepstarr_truth_function`);
        Basset-like: the true probabilities (:func:`basset_truth_function`, T = the number
        of label columns of ``x``'s set, passed by the caller through ``truth.attrs``);
        ChIP-like: the posterior of a ChIP peak (:func:`chip_truth_score`).
    description : str
        What the score is, for the table.
    """
    x = np.asarray(x)
    n = x.shape[0]
    if source == "synthetic_deepstarr":
        return deepstarr_truth_function(truth, n, panel), "noise-free activity"
    if source == "synthetic_basset":
        motifs = load_panel(panel, release)
        n_tasks = int(truth.attrs.get("n_tasks", 8))
        return basset_truth_function(x, motifs, n_tasks), "true probability"
    if source == "synthetic_chip":
        focal = truth.attrs.get("focal", CHIP_DEFAULT_FOCAL)
        return chip_truth_score(x, truth, focal)[:, None], "posterior of a ChIP peak"
    raise ValueError(
        f"source: {source!r} has no known truth function; expected one of {list(ORACLE_SOURCES)}"
    )


def oracle_metrics(
    source: str,
    data_h5: str | os.PathLike,
    truth_tsv: str | os.PathLike,
    panel: Sequence[str] = DEFAULT_PANEL,
    release: str = "JASPAR2022",
    focal: str = CHIP_DEFAULT_FOCAL,
    splits: Sequence[str] = ("valid", "test"),
) -> pd.DataFrame:
    """Metrics of the truth function itself against the noisy labels of each split.

    The ceiling a perfect model of the generator reaches: its labels carry the generator's
    noise (Gaussian for DeepSTARR-like, Bernoulli draws for Basset-like, the overlap of the
    two classes for ChIP-like), so the ceiling is below 1.

    Parameters
    ----------
    source : str
        One of :data:`ORACLE_SOURCES`.
    data_h5 : str or PathLike
        The data set (published layout, either key case).
    truth_tsv : str or PathLike
        Its planted sites: ``split, index, motif, start, end, strand``.
    panel : sequence of str, default=DEFAULT_PANEL
    release : str, default="JASPAR2022"
    focal : str, default="CTCF"
        ChIP-like only: the ChIP-ed factor.
    splits : sequence of str, default=("valid", "test")

    Returns
    -------
    pandas.DataFrame
        :data:`ORACLE_COLUMNS`: the metrics of :mod:`evoaugflow.metrics` (AUROC and AUPR for
        binary tasks; MSE, Pearson and Spearman for regression), per task and ``mean``;
        ``score`` says what the truth function gives.
    """
    from evoaugflow.data import load_dataset
    from evoaugflow.metrics import classification_metrics, regression_metrics

    data = load_dataset(data_h5)
    truth = pd.read_csv(truth_tsv, sep="\t", dtype={"split": str})
    missing = {"split", "index", "motif", "start", "end", "strand"} - set(truth.columns)
    if missing:
        raise ValueError(f"{truth_tsv}: missing columns {sorted(missing)}")
    tables = []
    for split in splits:
        x = getattr(data, f"x_{split}").numpy()
        y = getattr(data, f"y_{split}").numpy()
        part = truth[truth["split"] == split].reset_index(drop=True)
        part.attrs.update(n_tasks=y.shape[1], focal=focal)
        score, description = oracle_scores(source, x, part, panel, release)
        if source == "synthetic_deepstarr":
            table = regression_metrics(y, score)
        else:
            table = classification_metrics(y, score)
        tables.append(table.assign(split=split, score=description))
    return pd.concat(tables, ignore_index=True)[list(ORACLE_COLUMNS)]

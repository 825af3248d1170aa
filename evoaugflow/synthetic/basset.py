"""The Basset-like multi-task binary set: a known motif logic per task, homotypic clusters."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.ndimage import maximum_filter1d
from scipy.special import expit

from evoaugflow.meme import Motif
from evoaugflow.summary import write_tsv
from evoaugflow.synthetic.files import write_h5
from evoaugflow.synthetic.grammar import generate, split_sizes
from evoaugflow.synthetic.motifs import (
    DEFAULT_PANEL,
    MIN_PANEL,
    codes_from_one_hot,
    load_panel,
    motif_threshold,
    one_hot,
    random_codes,
    scan,
    sharpen,
)

# Basset-like tasks (panel indices; see basset_logic). The first ten use only panel motifs that
# a random 600 nt background rarely matches (with DEFAULT_PANEL: CTCF, SPI1, CEBPB, ELK1,
# REST, HNF4A); GATA1, FOS::JUN, YY1 and MAX, short or degenerate, match somewhere in 7-50 %
# of background windows, so with up to 10 tasks they are planted as distractors only. Tasks 11
# and 12 read those four too, so that with n_tasks=12 every planted motif moves some label.
# Probabilities run from P_LOW (logic false) to P_HIGH (logic true), so labels carry a little
# noise even with a perfect model.
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
    "m4 OR m8",
    "m7 AND NOT m1",
)
BASSET_PAIR = (2, 3, 50)
P_LOW, P_HIGH = 0.03, 0.95


def check_n_tasks(n_tasks: int) -> None:
    """Refuse a task count the generator has no logic for (:data:`BASSET_TASKS`)."""
    if not 1 <= int(n_tasks) <= len(BASSET_TASKS):
        raise ValueError(
            f"n_tasks: {n_tasks}; the Basset-like generator knows {len(BASSET_TASKS)} task "
            f"logics (evoaugflow.synthetic.BASSET_TASKS): use 1 to {len(BASSET_TASKS)}"
        )


def basset_pairs(rng, n):
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
        1 to ``len(BASSET_TASKS)``.

    Returns
    -------
    numpy.ndarray, shape=(N, n_tasks)
    """
    presence = np.asarray(presence, dtype=np.float64)
    if presence.ndim != 2 or presence.shape[1] < MIN_PANEL:
        raise ValueError(f"presence: shape {presence.shape}, expected (N, P) with P >= 10")
    check_n_tasks(n_tasks)
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
            any_of(m[4], m[8]),
            m[7] * (1 - m[1]),
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


def basset_causal_motifs(n_tasks: int = 8, task: int | None = None) -> list[int]:
    """Panel indices of the motifs that the first ``n_tasks`` labels (or one) depend on.

    Read off :func:`basset_logic` itself: a motif is causal when setting its presence to 0
    or 1 changes some task's probability for some random presence vector, and the
    :data:`BASSET_PAIR` motifs are causal when the pair's presence does. The other panel
    motifs are planted as distractors only.

    Parameters
    ----------
    n_tasks : int, default=8
        1 to ``len(BASSET_TASKS)``, as in :func:`basset_logic`.
    task : int, optional
        One task (label column), below ``n_tasks``; default None: any of them.

    Returns
    -------
    list of int
        Sorted panel indices.
    """
    columns = slice(None) if task is None else [task]
    if task is not None and not 0 <= task < n_tasks:
        raise ValueError(f"task: {task}; expected 0..{n_tasks - 1} (one of the n_tasks labels)")
    # A fixed probe of the logic, not a draw of any data set or training run.
    probe = np.random.default_rng(0)
    presence, pair = probe.random((256, MIN_PANEL)), probe.random(256)
    base = basset_logic(presence, pair, n_tasks)[:, columns]
    causal = set()
    for value in (0.0, 1.0):
        for index in range(MIN_PANEL):
            changed = presence.copy()
            changed[:, index] = value
            if not np.allclose(basset_logic(changed, pair, n_tasks)[:, columns], base):
                causal.add(index)
        moved = basset_logic(presence, np.full_like(pair, value), n_tasks)[:, columns]
        if not np.allclose(moved, base):
            causal.update(BASSET_PAIR[:2])
    return sorted(causal)


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
        1 to ``len(BASSET_TASKS)``; 11 or more make every panel motif causal.
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
    sizes = split_sizes(n_train, n_valid, n_test)
    check_n_tasks(n_tasks)
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
    planted = [sharpen(motif, instance_sharpness) for motif in motifs]
    rng = np.random.default_rng(seed)
    arrays, truths, record = {}, [], {"seed": seed, "tasks": list(BASSET_TASKS[:n_tasks])}
    for split, n in sizes.items():
        draw = _active_motif_draw(rng.random((n, len(motifs))) < active_rate)
        core, truth = generate(
            rng, n, span, planted, int(n_slots), occupancy, pair_rate, basset_pairs, draw
        )
        codes = random_codes(rng, (n, length))
        codes[:, flank : flank + span] = core
        truth = truth.assign(start=truth["start"] + flank, end=truth["end"] + flank)
        probability = basset_truth_function(codes, motifs, n_tasks)
        labels = (rng.random(probability.shape) < probability).astype(np.float32)
        arrays[f"X_{split}"] = one_hot(codes)
        arrays[f"Y_{split}"] = labels
        truths.append(truth.assign(split=split))
        record[f"n_{split}"] = n
        record[f"positive_rate_{split}"] = [round(float(v), 3) for v in labels.mean(axis=0)]
    write_h5(path_h5, arrays)
    columns = ["split", "index", "motif", "start", "end", "strand"]
    write_tsv(pd.concat(truths, ignore_index=True)[columns], truth_path)
    return record

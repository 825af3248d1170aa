"""The motif grammar generator: background DNA with sampled motif instances planted in it.

Motif instances are *sampled* from the motif's position probability matrix (each position
drawn from its column) and put on a random strand (reverse complement on ``-``). Slots are
laid out as random non-overlapping arrangements of single motifs and motif pairs; the truth
table of what was planted uses 0-based, half-open coordinates.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evoaugflow.meme import Motif
from evoaugflow.synthetic.motifs import random_codes


def sample_instances(rng: np.random.Generator, pfm: np.ndarray, minus: np.ndarray) -> np.ndarray:
    """Instances drawn column by column from ``pfm`` (w, 4); rows with ``minus`` reversed."""
    cumulative = np.cumsum(pfm, axis=1)[:, :3]
    draws = rng.random((len(minus), pfm.shape[0]))
    instances = (draws[:, :, None] > cumulative[None]).sum(-1).astype(np.uint8)
    instances[minus] = 3 - instances[minus, ::-1]
    return instances


def plant(
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
        instances = sample_instances(rng, motif.pfm, minus[selected])
        columns = starts[selected, None] + np.arange(motif.width)
        codes[rows[selected, None], columns] = instances


def truth_frame(motifs, rows, starts, motif_index, minus, row_name="index") -> pd.DataFrame:
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


def generate(
    rng, n, length, motifs, n_slots, occupancy, pair_rate, pair_spec, motif_draw=_uniform_motifs
):
    codes = random_codes(rng, (n, length))
    parts = _layout(rng, n, length, n_slots, occupancy, motifs, pair_rate, pair_spec, motif_draw)
    plant(rng, codes, motifs, *parts)
    return codes, truth_frame(motifs, *parts)


def split_sizes(n_train, n_valid, n_test):
    sizes = {"train": n_train, "valid": n_valid, "test": n_test}
    for split, size in sizes.items():
        if int(size) < 1:
            raise ValueError(f"n_{split}: {size}; expected an int >= 1")
    return {split: int(size) for split, size in sizes.items()}

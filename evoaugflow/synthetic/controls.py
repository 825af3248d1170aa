"""Control tasks: does an augmentation's assumption hold, and does finetuning undo it?

The EvoAug paper argues that insertions and deletions assume that motif spacing does not
matter, inversions that a motif's strand does not matter, translocations and reverse
complements that motif order does not matter, and that finetuning on the original
sequences removes such a bias where the biology disagrees. The control tasks test that
with a known answer.

Every sequence of a control set is background DNA (:data:`evoaugflow.synthetic.BACKGROUND`)
with one or two sites of a pair of motifs, A and B (:data:`CONTROL_MOTIFS`, sampled from
their PFMs raised to :data:`CONTROL_SHARPNESS`, so that every site stands out of the
background). For a ``rule`` in :data:`CONTROL_RULES` one draw of arrangements serves two
tasks that see the *same sequences* and differ only in their labels:

- ``invariant``: 1 when both A and B are present, whatever their arrangement;
- ``dependent``: 1 when both are present *and* arranged as the rule demands:

  ========== ================================== =====================================
  rule       conforming (label 1)               violating (label 0)
  ========== ================================== =====================================
  spacing    gap between the sites in NEAR_GAP  gap in FAR_GAP
  orientation both sites on the same strand     on opposite strands
  order      A 5' of B (forward coordinates)     B 5' of A
  ========== ================================== =====================================

Half the sequences (:data:`CONTROL_SINGLE_RATE`) carry one site only (A or B), label 0 in
both tasks; of the others half conform. The attributes a rule does not test are drawn at
random (strands, order, a gap uniform over both gap ranges), the pair is placed uniformly
in the window. Labels are exact (no noise): :func:`control_truth_function` recovers them
from the sequence by scanning, so the ceiling of every metric is that of the truth
function, printed by the tests (about 1).

A presence-only model scores AUROC about 0.83 on a dependent task (it cannot rank
violating pairs below conforming ones); anything above needs the rule.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from evoaugflow.io import write_tsv
from evoaugflow.meme import Motif
from evoaugflow.synthetic.files import write_h5
from evoaugflow.synthetic.grammar import sample_instances
from evoaugflow.synthetic.motifs import (
    DEFAULT_PANEL,
    codes_from_one_hot,
    load_panel,
    log_odds,
    one_hot,
    random_codes,
    sharpen,
    strand_scores,
)

#: The rules a pair of control tasks tests.
CONTROL_RULES = ("spacing", "orientation", "order")
#: Motifs A and B (names of the motif panel): long, not palindromic, strong.
CONTROL_MOTIFS = ("CTCF", "REST")
#: Exponent applied to the PFMs before sampling sites.
CONTROL_SHARPNESS = 2.0
#: Gap (nt between the end of the first site and the start of the second) of a
#: conforming and of a violating pair under the spacing rule; other rules draw from both.
NEAR_GAP = (0, 10)
FAR_GAP = (25, 60)
#: Fraction of sequences with one site only, and of two-site sequences that conform.
CONTROL_SINGLE_RATE = 0.5
CONTROL_CONFORMING_RATE = 0.5
#: Task names, in table order.
CONTROL_TASKS = ("invariant", "dependent")
#: Arrangement codes in the truth table.
SINGLE, CONFORMING, VIOLATING = "single", "conforming", "violating"


def _check_rule(rule: str) -> None:
    if rule not in CONTROL_RULES:
        raise ValueError(f"rule: {rule!r}; expected one of {list(CONTROL_RULES)}")


def control_motifs(
    panel: Sequence[str] = DEFAULT_PANEL, release: str = "JASPAR2022"
) -> tuple[Motif, Motif]:
    """Motifs A and B (:data:`CONTROL_MOTIFS`) from the panel, as fetched from JASPAR."""
    missing = [name for name in CONTROL_MOTIFS if name not in panel]
    if missing:
        raise ValueError(
            f"motif_panel lacks {missing}: the control tasks plant {list(CONTROL_MOTIFS)}; "
            "add them to motif_panel"
        )
    by_name = {motif.name: motif for motif in load_panel(panel, release)}
    return by_name[CONTROL_MOTIFS[0]], by_name[CONTROL_MOTIFS[1]]


def draw_arrangements(
    rng: np.random.Generator, n: int, length: int, widths: tuple[int, int], rule: str
) -> pd.DataFrame:
    """Draw ``n`` arrangements of sites A and B for ``rule``.

    Parameters
    ----------
    rng : numpy.random.Generator
    n : int
        Sequences.
    length : int
        Window length; must hold both sites and the largest gap.
    widths : (int, int)
        Widths of motifs A and B.
    rule : {"spacing", "orientation", "order"}

    Returns
    -------
    pandas.DataFrame
        One row per sequence: ``arrangement`` (single / conforming / violating),
        ``a_start, b_start`` (-1 where absent), ``a_minus, b_minus`` (bool strands).
    """
    _check_rule(rule)
    width_a, width_b = widths
    if length < width_a + width_b + FAR_GAP[1]:
        raise ValueError(
            f"length: {length}; the control tasks need at least "
            f"{width_a + width_b + FAR_GAP[1]} (both sites and the largest gap)"
        )
    single = rng.random(n) < CONTROL_SINGLE_RATE
    conforming = ~single & (rng.random(n) < CONTROL_CONFORMING_RATE)
    violating = ~single & ~conforming
    # random attributes first, then the tested one set by the arrangement
    a_minus = rng.random(n) < 0.5
    b_minus = rng.random(n) < 0.5
    a_first = rng.random(n) < 0.5
    near = rng.integers(NEAR_GAP[0], NEAR_GAP[1] + 1, n)
    far = rng.integers(FAR_GAP[0], FAR_GAP[1] + 1, n)
    gap = np.where(rng.random(n) < 0.5, near, far)
    if rule == "spacing":
        gap = np.where(conforming, near, np.where(violating, far, gap))
    elif rule == "orientation":
        b_minus = np.where(conforming, a_minus, np.where(violating, ~a_minus, b_minus))
    else:
        a_first = np.where(conforming, True, np.where(violating, False, a_first))
    span = width_a + width_b + gap
    offset = (rng.random(n) * (length - span + 1)).astype(np.int64)
    a_start = np.where(a_first, offset, offset + width_b + gap)
    b_start = np.where(a_first, offset + width_a + gap, offset)
    # single-site sequences: keep A or B, placed anywhere
    keep_a = rng.random(n) < 0.5
    lone_start = (rng.random(n) * (length - max(widths) + 1)).astype(np.int64)
    a_start = np.where(single, np.where(keep_a, lone_start, -1), a_start)
    b_start = np.where(single, np.where(keep_a, -1, lone_start), b_start)
    arrangement = np.where(single, SINGLE, np.where(conforming, CONFORMING, VIOLATING))
    return pd.DataFrame(
        {
            "arrangement": arrangement,
            "a_start": a_start,
            "b_start": b_start,
            "a_minus": a_minus,
            "b_minus": b_minus,
        }
    )


def control_labels(arrangement: Sequence[str] | np.ndarray, dependent: bool) -> np.ndarray:
    """Labels (float32 ``(n,)``) of arrangements: both sites present, and conforming if
    ``dependent``."""
    arrangement = np.asarray(arrangement)
    positive = arrangement == CONFORMING
    if not dependent:
        positive |= arrangement == VIOLATING
    return positive.astype(np.float32)


def plant_arrangements(
    rng: np.random.Generator, arrangements: pd.DataFrame, length: int, motifs: Sequence[Motif]
) -> np.ndarray:
    """Background codes ``(n, length)`` (uint8) with the arrangements' sites written in."""
    codes = random_codes(rng, (len(arrangements), length))
    for motif, key in zip(motifs, ("a", "b"), strict=True):
        starts = arrangements[f"{key}_start"].to_numpy()
        rows = np.flatnonzero(starts >= 0)
        pfm = sharpen(motif, CONTROL_SHARPNESS).pfm
        sites = sample_instances(rng, pfm, arrangements[f"{key}_minus"].to_numpy()[rows])
        codes[rows[:, None], starts[rows, None] + np.arange(motif.width)] = sites
    return codes


def best_sites(codes: np.ndarray, motifs: Sequence[Motif]) -> pd.DataFrame:
    """The best site of A and of B in each sequence, by scanning both strands.

    Returns
    -------
    pandas.DataFrame
        ``a_score, a_start, a_minus, b_score, b_start, b_minus`` per sequence.
    """
    columns = {}
    for motif, key in zip(motifs, ("a", "b"), strict=True):
        forward, reverse = strand_scores(codes, motif)
        both = np.concatenate([forward, reverse], axis=1)
        best = both.argmax(axis=1)
        columns[f"{key}_score"] = both[np.arange(len(both)), best]
        columns[f"{key}_start"] = best % forward.shape[1]
        columns[f"{key}_minus"] = best >= forward.shape[1]
    return pd.DataFrame(columns)


def control_truth_function(
    x: np.ndarray, rule: str, dependent: bool, motifs: Sequence[Motif], threshold: float = 0.5
) -> np.ndarray:
    """The labels of a control task read from sequences alone.

    A motif is present where its best site (either strand) reaches ``threshold`` times
    its expected sharpened-site score; the arrangement of the two best sites is then
    judged by ``rule`` as :func:`draw_arrangements` defines it (a gap between the two
    ranges counts as violating).

    Parameters
    ----------
    x : numpy.ndarray, shape=(N, 4, L)
        One-hot sequences.
    rule : {"spacing", "orientation", "order"}
    dependent : bool
    motifs : (Motif, Motif)
        A and B as planted (:func:`control_motifs`).
    threshold : float, default 0.5

    Returns
    -------
    numpy.ndarray, shape=(N,), float32
    """
    _check_rule(rule)
    sites = best_sites(codes_from_one_hot(x), motifs)
    present = np.ones(len(sites), dtype=bool)
    for motif, key in zip(motifs, ("a", "b"), strict=True):
        expected = float((sharpen(motif, CONTROL_SHARPNESS).pfm * log_odds(motif)[:, :4]).sum())
        present &= sites[f"{key}_score"].to_numpy() >= threshold * expected
    if not dependent:
        return present.astype(np.float32)
    a_start, b_start = sites["a_start"].to_numpy(), sites["b_start"].to_numpy()
    if rule == "spacing":
        a_first = a_start < b_start
        first_end = np.where(a_first, a_start + motifs[0].width, b_start + motifs[1].width)
        gap = np.where(a_first, b_start, a_start) - first_end
        conforming = (gap >= NEAR_GAP[0]) & (gap <= NEAR_GAP[1])
    elif rule == "orientation":
        conforming = sites["a_minus"].to_numpy() == sites["b_minus"].to_numpy()
    else:
        conforming = a_start < b_start
    return (present & conforming).astype(np.float32)


def make_control_benchmark(
    path_h5: str | os.PathLike,
    truth_path: str | os.PathLike,
    panel: Sequence[str] = DEFAULT_PANEL,
    rule: str = "spacing",
    dependent: bool = True,
    n_train: int = 2000,
    n_valid: int = 400,
    n_test: int = 1000,
    length: int = 200,
    seed: int = 0,
    release: str = "JASPAR2022",
) -> dict:
    """Write one control task (see the module docstring).

    The sequences depend on ``seed`` and ``rule`` only: the invariant and the dependent
    task of a rule hold the same X and differ in Y.

    Parameters
    ----------
    path_h5 : str or PathLike
        Output h5: ``X_train, Y_train, X_valid, Y_valid, X_test, Y_test``; X (N, 4, length)
        float32 ACGT, Y (N, 1) float32 in {0, 1}.
    truth_path : str or PathLike
        Output TSV: ``split, index, motif, start, end, strand, arrangement`` (one row per
        planted site).
    panel : sequence of str, default DEFAULT_PANEL
        Must contain :data:`CONTROL_MOTIFS`.
    rule : {"spacing", "orientation", "order"}, default "spacing"
    dependent : bool, default True
    n_train, n_valid, n_test : int, default 2000, 400, 1000
    length : int, default 200
    seed : int, default 0
    release : str, default "JASPAR2022"

    Returns
    -------
    dict
        Split sizes and the fraction of positives per split.
    """
    _check_rule(rule)
    sizes = {"train": n_train, "valid": n_valid, "test": n_test}
    for split, size in sizes.items():
        if int(size) < 2:
            raise ValueError(f"n_{split}: {size}; expected an int >= 2")
    motifs = control_motifs(panel, release)
    rng = np.random.default_rng([int(seed), CONTROL_RULES.index(rule)])
    arrays, truths = {}, []
    record = {"seed": seed, "rule": rule, "dependent": bool(dependent)}
    for split, n in sizes.items():
        arrangements = draw_arrangements(
            rng, int(n), length, (motifs[0].width, motifs[1].width), rule
        )
        codes = plant_arrangements(rng, arrangements, length, motifs)
        labels = control_labels(arrangements["arrangement"], dependent)
        arrays[f"X_{split}"] = one_hot(codes)
        arrays[f"Y_{split}"] = labels[:, None]
        for motif, key in zip(motifs, ("a", "b"), strict=True):
            rows = np.flatnonzero(arrangements[f"{key}_start"].to_numpy() >= 0)
            starts = arrangements[f"{key}_start"].to_numpy()[rows]
            truths.append(
                pd.DataFrame(
                    {
                        "split": split,
                        "index": rows,
                        "motif": motif.name,
                        "start": starts,
                        "end": starts + motif.width,
                        "strand": np.where(arrangements[f"{key}_minus"].to_numpy()[rows], "-", "+"),
                        "arrangement": arrangements["arrangement"].to_numpy()[rows],
                    }
                )
            )
        record[f"n_{split}"] = int(n)
        record[f"positive_fraction_{split}"] = round(float(labels.mean()), 4)
    write_h5(path_h5, arrays)
    truth = pd.concat(truths, ignore_index=True).sort_values(
        ["split", "index", "start"], kind="stable"
    )
    write_tsv(truth, truth_path)
    return record

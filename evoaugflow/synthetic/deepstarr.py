"""The DeepSTARR-like regression set: additive motif effects plus a spacing grammar."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from evoaugflow.summary import write_tsv
from evoaugflow.synthetic.files import write_h5
from evoaugflow.synthetic.grammar import generate, split_sizes
from evoaugflow.synthetic.motifs import DEFAULT_PANEL, load_panel, one_hot, sharpen

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


def deepstarr_causal_motifs(task: int | None = None) -> list[int]:
    """Panel indices of the motifs with an effect on a task, or a place in its grammar.

    ``task`` (0 developmental, 1 housekeeping) picks one; default None: either.
    """
    tasks = range(len(DEEPSTARR_EFFECTS)) if task is None else [task]
    if task is not None and not 0 <= task < len(DEEPSTARR_EFFECTS):
        raise ValueError(f"task: {task}; expected 0..{len(DEEPSTARR_EFFECTS) - 1}")
    effects = np.flatnonzero(np.any(DEEPSTARR_EFFECTS[list(tasks)] != 0, axis=0))
    grammar = {index for spec in DEEPSTARR_GRAMMAR if spec[4] in tasks for index in spec[:2]}
    return sorted({int(index) for index in effects} | grammar)


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
    sizes = split_sizes(n_train, n_valid, n_test)
    if not instance_sharpness > 0:
        raise ValueError(
            f"instance_sharpness: {instance_sharpness}; expected > 0 (1 = sample the PFM)"
        )
    motifs = [sharpen(m, instance_sharpness) for m in load_panel(panel, release)]
    rng = np.random.default_rng(seed)
    arrays, truths, record = {}, [], {"seed": seed}
    for split, n in sizes.items():
        codes, truth = generate(rng, n, length, motifs, 4, 0.6, 0.3, _deepstarr_pairs)
        signal = deepstarr_truth_function(truth, n, panel)
        targets = signal + rng.normal(0.0, DEEPSTARR_NOISE_SD, signal.shape)
        arrays[f"X_{split}"] = one_hot(codes)
        arrays[f"Y_{split}"] = targets.astype(np.float32)
        truths.append(truth.assign(split=split))
        record[f"n_{split}"] = n
        record[f"signal_variance_{split}"] = [round(float(v), 4) for v in signal.var(axis=0)]
    write_h5(path_h5, arrays)
    columns = ["split", "index", "motif", "start", "end", "strand"]
    write_tsv(pd.concat(truths, ignore_index=True)[columns], truth_path)
    record["noise_variance"] = DEEPSTARR_NOISE_SD**2
    return record

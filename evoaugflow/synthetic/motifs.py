"""Motif panel and sequence coding of the synthetic benchmarks.

The panel's JASPAR motifs, their log-odds scoring against the human background, and the
conversions between one-hot DNA and base codes (0..3 for A, C, G, T; 4 for N). Background
DNA is i.i.d. with human base composition (A = T = 0.295, C = G = 0.205, about 41 % GC).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from evoaugflow.jaspar import fetch_motifs
from evoaugflow.meme import Motif

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


def strand_scores(codes: np.ndarray, motif: Motif) -> tuple[np.ndarray, np.ndarray]:
    """Log-odds of a motif at every start position, on each strand.

    Parameters
    ----------
    codes : numpy.ndarray, shape=(N, L), uint8
        Base codes 0..3 for A, C, G, T, 4 for N (scores 0).

    Returns
    -------
    forward, reverse : numpy.ndarray, shape=(N, L - w + 1), float32
        Log-odds of the window starting there read as the motif (forward) and as its
        reverse complement (reverse).
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
    return forward, reverse


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
    return np.maximum(*strand_scores(codes, motif))


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


def random_codes(rng: np.random.Generator, shape) -> np.ndarray:
    return np.searchsorted(np.cumsum(BACKGROUND)[:3], rng.random(shape), side="right").astype(
        np.uint8
    )


def sharpen(motif: Motif, sharpness: float) -> Motif:
    """The motif with every PFM column raised to ``sharpness`` and renormalised."""
    pfm = motif.pfm**sharpness
    return Motif(motif.id, motif.name, pfm / pfm.sum(axis=1, keepdims=True), motif.nsites)

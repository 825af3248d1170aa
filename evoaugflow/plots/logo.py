"""Sequence logos drawn with one compound path per letter.

Logomaker (the field's logo library) builds a ``TextPath`` and a patch for every glyph,
so a grid of 32 filter logos (2,432 glyphs) took about 19 s against 2.4 s here, in the
same figure layout (``benchmarks/logos.py``, 2-core machine). This module places
the glyphs exactly as ``logomaker.Logo`` does with its defaults (``stack_order=
"big_on_top"``, ``flip_below=True``, glyph width 0.95, bold sans letters stretched to
their box but never wider than "E", the "classic" colours, a 0.5 pt baseline), but
outlines each letter once and stacks every instance of it into one path, so a logo is
four patches. ``tests/test_plots.py`` holds the glyph outlines equal to Logomaker's.
"""

from __future__ import annotations

import functools

import numpy as np
from matplotlib.axes import Axes
from matplotlib.font_manager import FontProperties
from matplotlib.patches import PathPatch
from matplotlib.path import Path
from matplotlib.textpath import TextPath

from evoaugflow.meme import ALPHABET

#: Logomaker's "classic" colours.
LETTER_COLORS = {
    "A": (0.0, 0.5, 0.0),
    "C": (0.0, 0.0, 1.0),
    "G": (1.0, 0.65, 0.0),
    "T": (1.0, 0.0, 0.0),
}
#: Width of a glyph's box, in positions (Logomaker's default).
GLYPH_WIDTH = 0.95
#: A glyph is stretched to its box's width, but never wider than this letter would be.
WIDEST_LETTER = "E"
BASELINE_WIDTH = 0.5
_FONT = FontProperties(family="sans", weight="bold")


@functools.cache
def _unit_outline(letter: str, flip: bool) -> tuple[np.ndarray, np.ndarray, float]:
    """A letter's outline in the unit square, its path codes, and its width in the box.

    The width is the fraction of ``GLYPH_WIDTH`` the letter fills: 1 for letters at
    least as wide (relative to their height box) as ``WIDEST_LETTER``, less otherwise.
    """
    path = TextPath((0, 0), letter, size=1, prop=_FONT)
    vertices = path.vertices.copy()
    if flip:
        vertices[:, 1] = -vertices[:, 1]
    extents = Path(vertices, path.codes).get_extents()
    widest = TextPath((0, 0), WIDEST_LETTER, size=1, prop=_FONT).get_extents()
    unit = (vertices - [extents.xmin, extents.ymin]) / [extents.width, extents.height]
    return unit, path.codes, min(1.0, extents.width / widest.width)


def stack(values: np.ndarray) -> dict[str, np.ndarray]:
    """Where each glyph goes: Logomaker's "big on top" stacking of an ``(L, 4)`` matrix.

    At each position the letters are stacked from the most negative value (at the
    bottom, below zero) to the largest (on top), each as tall as its absolute value.

    Returns
    -------
    dict
        ``position``, ``letter`` (index into ACGT), ``floor``, ``ceiling`` and ``flip``
        (drawn upside down: negative values), flat arrays over positions x letters.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2 or values.shape[1] != len(ALPHABET) or not len(values):
        raise ValueError(f"values: shape {values.shape}; expected (L, {len(ALPHABET)}), L >= 1")
    if not np.isfinite(values).all():
        raise ValueError("values: not all finite; a logo needs finite heights")
    order = np.argsort(values, axis=1)
    ordered = np.take_along_axis(values, order, axis=1)
    bottom = np.where(ordered < 0, ordered, 0.0).sum(axis=1, keepdims=True)
    ceiling = bottom + np.cumsum(np.abs(ordered), axis=1)
    floor = ceiling - np.abs(ordered)
    position = np.broadcast_to(np.arange(len(values))[:, None], order.shape)
    return {
        "position": position.ravel(),
        "letter": order.ravel(),
        "floor": floor.ravel(),
        "ceiling": ceiling.ravel(),
        "flip": (ordered < 0).ravel(),
    }


def letter_paths(values: np.ndarray, first_position: int = 0) -> dict[str, Path]:
    """One compound path per letter with every glyph of that letter in the logo.

    Parameters
    ----------
    values : numpy.ndarray, shape=(L, 4)
        Heights (A, C, G, T per position); negative ones are drawn below zero, flipped.
    first_position : int, default 0
        x coordinate of the first position's centre.

    Returns
    -------
    dict {letter: matplotlib.path.Path}
        Letters with no glyph of non-zero height are left out.
    """
    return _paths(stack(values), first_position)


def _paths(placed: dict[str, np.ndarray], first_position: int) -> dict[str, Path]:
    height = placed["ceiling"] - placed["floor"]
    drawn = height > 0
    paths = {}
    for index, letter in enumerate(ALPHABET):
        parts_vertices, parts_codes = [], []
        for flip in (False, True):
            chosen = drawn & (placed["letter"] == index) & (placed["flip"] == flip)
            if not chosen.any():
                continue
            unit, codes, fill = _unit_outline(letter, flip)
            width = GLYPH_WIDTH * fill
            left = placed["position"][chosen] + first_position - width / 2
            x = left[:, None] + unit[None, :, 0] * width
            y = placed["floor"][chosen][:, None] + unit[None, :, 1] * height[chosen][:, None]
            parts_vertices.append(np.stack([x, y], axis=-1).reshape(-1, 2))
            parts_codes.append(np.tile(codes, chosen.sum()))
        if parts_vertices:
            paths[letter] = Path(np.concatenate(parts_vertices), np.concatenate(parts_codes))
    return paths


def draw_logo(ax: Axes, values: np.ndarray, first_position: int = 0) -> None:
    """Draw a logo of an ``(L, 4)`` matrix on ``ax``, as ``logomaker.Logo`` would.

    The axes get the baseline at 0, x limits around the glyphs and y limits from the
    lowest floor to the highest ceiling (callers may set their own after).
    """
    placed = stack(values)
    for letter, path in _paths(placed, first_position).items():
        # add_artist, not add_patch: the limits are set below, from the stacking,
        # without computing the extents of every Bezier curve of every glyph.
        patch = PathPatch(path, facecolor=LETTER_COLORS[letter], edgecolor="none", lw=0)
        patch.set_clip_path(ax.patch)
        ax.add_artist(patch)
    ax.axhline(0.0, color="black", linewidth=BASELINE_WIDTH, zorder=0)
    last = first_position + placed["position"][-1]
    ax.set_xlim(first_position - GLYPH_WIDTH / 2, last + GLYPH_WIDTH / 2)
    low, high = placed["floor"].min(), placed["ceiling"].max()
    if high > low:
        ax.set_ylim(low, high)

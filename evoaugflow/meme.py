"""Motifs as position probability matrices, and the MEME minimal text format (version 4).

A :class:`Motif` holds one matrix, shape ``(w, 4)``, columns in A, C, G, T order, each row
a probability distribution. :func:`write_meme` and :func:`read_meme` move lists of motifs
to and from the minimal MEME format read by Tomtom, FIMO and ``memelite``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evoaugflow.io import write_text_atomic

ALPHABET = "ACGT"
# Rows of a file written with 6 decimals sum to 1 within ~2e-6; hand-made files round
# harder, so the reader and the dataclass accept this much and renormalise exactly.
ROW_SUM_TOLERANCE = 1e-2
_KEY_VALUE = re.compile(r"(\w+)\s*=\s*(\S+)")


@dataclass
class Motif:
    """One motif: a position probability matrix with its identity.

    Parameters
    ----------
    id : str
        Identifier without whitespace (e.g. ``"MA0139.1"``, ``"filter12"``).
    name : str
        Free name (e.g. ``"CTCF"``); may be empty. No whitespace inside.
    pfm : numpy.ndarray, shape=(w, 4)
        Probabilities, columns A, C, G, T; every row sums to 1 (within 1e-2, then
        renormalised exactly). Stored as float64.
    nsites : int, default=20
        Number of sites the matrix was built from (MEME's ``nsites``; Tomtom weighs
        its pseudocount by it).
    """

    id: str
    name: str
    pfm: np.ndarray
    nsites: int = 20

    def __post_init__(self):
        if not self.id or any(ch.isspace() for ch in self.id):
            raise ValueError(
                f"Motif id {self.id!r}: must be non-empty without whitespace; use e.g. 'filter_3'"
            )
        if any(ch.isspace() for ch in self.name):
            raise ValueError(
                f"Motif {self.id} name {self.name!r}: must contain no whitespace; "
                "join words with '_'"
            )
        pfm = np.array(self.pfm, dtype=np.float64)
        if pfm.ndim != 2 or pfm.shape[1] != 4 or pfm.shape[0] < 1:
            raise ValueError(
                f"Motif {self.id} pfm: shape {pfm.shape}, expected (w, 4) with w >= 1 "
                "(columns A, C, G, T); transpose a (4, w) matrix"
            )
        if not np.all(np.isfinite(pfm)) or np.any(pfm < 0):
            raise ValueError(f"Motif {self.id} pfm: entries must be finite and >= 0")
        sums = pfm.sum(axis=1)
        if np.any(np.abs(sums - 1.0) > ROW_SUM_TOLERANCE):
            row = int(np.argmax(np.abs(sums - 1.0)))
            raise ValueError(
                f"Motif {self.id} pfm: row {row} sums to {sums[row]:.4f}, expected 1 "
                f"(within {ROW_SUM_TOLERANCE}); divide counts by their row sum"
            )
        self.pfm = pfm / sums[:, None]
        if int(self.nsites) < 1:
            raise ValueError(f"Motif {self.id} nsites: {self.nsites}, expected an int >= 1")
        self.nsites = int(self.nsites)

    @property
    def width(self) -> int:
        """Number of positions ``w``."""
        return self.pfm.shape[0]


def _background_array(background) -> np.ndarray:
    if background is None:
        return np.full(4, 0.25)
    if isinstance(background, Mapping):
        missing = [base for base in ALPHABET if base not in background]
        if missing:
            raise ValueError(f"background: missing letters {missing}; give all of A, C, G, T")
        values = np.array([background[base] for base in ALPHABET], dtype=np.float64)
    else:
        values = np.asarray(background, dtype=np.float64)
    if values.shape != (4,) or np.any(values <= 0) or abs(values.sum() - 1.0) > ROW_SUM_TOLERANCE:
        raise ValueError(
            f"background: {background!r}; expected 4 positive frequencies for A, C, G, T "
            "summing to 1 (a mapping or a sequence)"
        )
    return values / values.sum()


def write_meme(
    path: str | os.PathLike,
    motifs: Sequence[Motif],
    background: Mapping[str, float] | Sequence[float] | None = None,
) -> None:
    """Write motifs to a MEME minimal format (version 4) file, atomically.

    Parameters
    ----------
    path : str or PathLike
        Output file.
    motifs : sequence of Motif
        At least one motif; ids must be unique.
    background : mapping {letter: frequency} or sequence of 4 floats, optional
        Background letter frequencies, A, C, G, T. Default: uniform 0.25 each.
    """
    if len(motifs) == 0:
        raise ValueError(f"motifs: empty; write_meme({path}) needs at least one Motif")
    ids = [motif.id for motif in motifs]
    duplicates = sorted({motif_id for motif_id in ids if ids.count(motif_id) > 1})
    if duplicates:
        raise ValueError(f"motifs: duplicate ids {duplicates[:5]}; ids must be unique")
    bg = _background_array(background)
    lines = [
        "MEME version 4",
        "",
        f"ALPHABET= {ALPHABET}",
        "",
        "strands: + -",
        "",
        "Background letter frequencies",
        " ".join(f"{base} {freq:.6f}" for base, freq in zip(ALPHABET, bg, strict=True)),
        "",
    ]
    for motif in motifs:
        lines.append(f"MOTIF {motif.id} {motif.name}".rstrip())
        lines.append(
            f"letter-probability matrix: alength= 4 w= {motif.width} nsites= {motif.nsites} E= 0"
        )
        lines.extend(" ".join(f"{value:.6f}" for value in row) for row in motif.pfm)
        lines.append("")
    write_text_atomic(path, "\n".join(lines))


def read_meme(path: str | os.PathLike) -> list[Motif]:
    """Read every motif of a MEME minimal format file.

    Parameters
    ----------
    path : str or PathLike
        A MEME text file (version 4 or later) over the DNA alphabet ACGT.

    Returns
    -------
    list of Motif
        In file order; ``nsites`` is 20 where the matrix line does not give it.

    Raises
    ------
    ValueError
        Naming the file and line when the file is missing, uses another alphabet, holds a
        matrix row that is not 4 probabilities, ends inside a matrix, or has no motif.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"read_meme: file {path} does not exist")
    motifs: list[Motif] = []
    header: tuple[str, str, int] | None = None  # (id, name, line number) awaiting a matrix
    rows: list[list[float]] = []
    width = nsites = 0
    in_matrix = False

    def fail(line_number: int, message: str) -> ValueError:
        return ValueError(f"{path}, line {line_number}: {message}")

    lines = path.read_text().splitlines()
    for line_number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if in_matrix:
            if not line:
                continue
            try:
                row = [float(value) for value in line.split()]
            except ValueError:
                raise fail(
                    line_number,
                    f"motif {header[0]}: expected {width} matrix rows, found {len(rows)} "
                    f"before {line[:40]!r}",
                ) from None
            if len(row) != 4:
                raise fail(line_number, f"matrix row has {len(row)} values, expected 4 (A C G T)")
            rows.append(row)
            if len(rows) == width:
                try:
                    motifs.append(Motif(header[0], header[1], np.array(rows), nsites=nsites))
                except ValueError as error:
                    raise fail(line_number, str(error)) from None
                header, rows, in_matrix = None, [], False
            continue
        if line.startswith("ALPHABET"):
            letters = line.split("=", 1)[-1].strip().split()[0] if "=" in line else ""
            if letters.upper() != ALPHABET:
                raise fail(line_number, f"ALPHABET {letters!r}: only DNA (ACGT) is supported")
        elif line.startswith("MOTIF"):
            fields = line.split()
            if len(fields) < 2:
                raise fail(line_number, "MOTIF line without an id; write 'MOTIF <id> [name]'")
            if header is not None:
                raise fail(line_number, f"motif {header[0]} has no letter-probability matrix")
            header = (fields[1], fields[2] if len(fields) > 2 else "", line_number)
        elif line.startswith("letter-probability matrix"):
            if header is None:
                raise fail(line_number, "letter-probability matrix before any MOTIF line")
            fields = dict(_KEY_VALUE.findall(line))
            try:
                width = int(fields["w"])
                nsites = int(float(fields.get("nsites", 20)))
            except (KeyError, ValueError):
                raise fail(
                    line_number, "matrix line needs 'w= <int>' (and optional 'nsites= <n>')"
                ) from None
            if width < 1:
                raise fail(line_number, f"w= {width}; expected a width >= 1")
            in_matrix = True
    if in_matrix:
        raise fail(len(lines), f"file ends inside motif {header[0]}: {len(rows)} of {width} rows")
    if header is not None:
        raise fail(header[2], f"motif {header[0]} has no letter-probability matrix")
    if not motifs:
        raise fail(len(lines), "no motif found; expected 'MOTIF' blocks with a matrix")
    return motifs

"""Atomic writers of the synthetic sets: h5 arrays, FASTA with its .fai index."""

from __future__ import annotations

import os
from collections.abc import Sequence

import h5py
import numpy as np

from evoaugflow.io import atomic_path, write_text_atomic
from evoaugflow.synthetic.motifs import DNA


def write_h5(path, arrays: dict[str, np.ndarray]) -> None:
    with atomic_path(path, suffix=".h5") as tmp:
        with h5py.File(tmp, "w") as handle:
            for key, value in arrays.items():
                handle.create_dataset(key, data=value)


def write_fasta(path: str | os.PathLike, names: Sequence[str], sequences, line_width=60) -> None:
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

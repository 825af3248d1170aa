"""The synthetic CAGI5-like set: saturation mutagenesis of Basset-like elements, true effects."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from evoaugflow.summary import write_tsv
from evoaugflow.synthetic.basset import basset_pairs, basset_truth_function
from evoaugflow.synthetic.files import write_fasta
from evoaugflow.synthetic.grammar import generate
from evoaugflow.synthetic.motifs import DEFAULT_PANEL, DNA, load_panel, random_codes
from evoaugflow.variants import variant_index


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
    elements, _ = generate(rng, n_elements, element_length, motifs, 3, 1.0, 0.15, basset_pairs)
    out_dir = Path(out_dir)
    centre = variant_index(window)
    names = [f"SYN{k + 1}" for k in range(n_elements)]
    contigs, table, variants_per_element = [], [], {}
    for k, element in enumerate(elements):
        left = 100 if k == 0 else flank
        contig = np.concatenate([random_codes(rng, left), element, random_codes(rng, flank)])
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
        write_tsv(rows, out_dir / f"{names[k]}.tsv", comments=comments)
        variants_per_element[names[k]] = len(rows)
        table.append((names[k], chrom, left, left + element_length, f"{names[k]}.tsv"))
    write_fasta(out_dir / "cagi_genome.fa", [row[1] for row in table], contigs)
    elements_table = pd.DataFrame(table, columns=["element", "chrom", "start", "end", "file"])
    write_tsv(elements_table, out_dir / "elements.tsv")
    return {
        "genome": str(out_dir / "cagi_genome.fa"),
        "elements": str(out_dir / "elements.tsv"),
        "seed": seed,
        "variants": variants_per_element,
    }

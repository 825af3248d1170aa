"""CAGI5-style benchmarks: score saturation-mutagenesis elements, correlate per element."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import torch

from evoaugflow.metrics import pearson, spearman
from evoaugflow.models import PREDICT_BATCH_SIZE
from evoaugflow.summary import write_tsv
from evoaugflow.train import load_model
from evoaugflow.variants.scoring import score_table, score_variant_effects
from evoaugflow.variants.tables import read_cagi_variants
from evoaugflow.variants.windows import SCORABLE_STATUS, load_cagi_onehot


def _correlation(function, x: np.ndarray, y: np.ndarray) -> float:
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return function(x, y)


def cagi_correlations(df: pd.DataFrame) -> pd.DataFrame:
    """Pearson and Spearman correlation of predicted with measured effects per element.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per variant with ``element``, ``value`` (measured) and ``effect``
        (predicted); ``status`` optional (rows outside :data:`SCORABLE_STATUS` are left
        out; ``ref_mismatch`` rows are counted).

    Returns
    -------
    pandas.DataFrame
        One row per element (in order of first appearance): ``element, n_variants,
        n_scored`` (finite effect and value), ``n_ref_mismatch, pearson, spearman``
        (NaN with fewer than 3 scored variants or a constant side); then a row
        ``element="mean"`` with the counts summed and the correlations averaged over the
        elements where they are defined. A ``rc_average`` column follows where ``df``
        has one (True if any variant was scored with strand averaging).

    Raises
    ------
    ValueError
        A missing column.
    """
    missing = [column for column in ("element", "value", "effect") if column not in df.columns]
    if missing:
        raise ValueError(f"df lacks column(s) {missing}; it needs element, value, effect")
    status = df["status"] if "status" in df.columns else pd.Series("ok", index=df.index)
    usable = (
        status.isin(SCORABLE_STATUS)
        & np.isfinite(df["effect"].astype(float))
        & np.isfinite(df["value"].astype(float))
    )
    rows = []
    for element, group in df.groupby("element", sort=False):
        keep = usable.loc[group.index]
        measured = group.loc[keep, "value"].to_numpy(dtype=float)
        predicted = group.loc[keep, "effect"].to_numpy(dtype=float)
        rows.append(
            {
                "element": element,
                "n_variants": len(group),
                "n_scored": int(keep.sum()),
                "n_ref_mismatch": int((status.loc[group.index] == "ref_mismatch").sum()),
                "pearson": _correlation(pearson, predicted, measured),
                "spearman": _correlation(spearman, predicted, measured),
            }
        )
    table = pd.DataFrame(
        rows,
        columns=["element", "n_variants", "n_scored", "n_ref_mismatch", "pearson", "spearman"],
    )
    summary = {
        "element": "mean",
        **{name: int(table[name].sum()) for name in ("n_variants", "n_scored", "n_ref_mismatch")},
        **{name: float(table[name].mean()) for name in ("pearson", "spearman")},
    }
    table = pd.concat([table, pd.DataFrame([summary])], ignore_index=True)
    if "rc_average" in df.columns:
        table["rc_average"] = bool(df["rc_average"].astype(bool).any())
    return table


def score_cagi(
    model: torch.nn.Module,
    augmenter,
    task: str,
    cagi_tables,
    genome,
    length: int = 600,
    batch_size: int = PREDICT_BATCH_SIZE,
    device="auto",
    max_mismatch_frac: float = 0.5,
    rc_average: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score a CAGI5-style saturation-mutagenesis benchmark zero-shot.

    Parameters
    ----------
    model : torch.nn.Module
        Trained model (raw outputs; see :func:`score_variant_effects`).
    augmenter : evoaugflow.augment.Augmenter or None
        The model's augmenter (its ``pad`` is applied), or None.
    task : {"binary", "regression"}
    cagi_tables : pandas.DataFrame or str or PathLike or list of paths
        Variants as from :func:`read_cagi_tsv`; or an ``elements.tsv`` index (see
        :func:`read_cagi_elements`); or one CAGI TSV; or a list of CAGI TSVs.
    genome : pyfaidx.Fasta or str or PathLike
        Genome FASTA of the table's build (hg19 for CAGI5).
    length : int, default=600
        Model input length without insertion padding.
    batch_size : int, default=PREDICT_BATCH_SIZE (256)
    device : {"auto", "cpu", "cuda"} or torch.device, default="auto"
    max_mismatch_frac : float, default=0.5
        See :func:`variant_windows`.
    rc_average : bool, default=False
        Average forward and reverse-complement predictions (see
        :func:`score_variant_effects`).

    Returns
    -------
    variants : pandas.DataFrame
        The variant rows plus ``status, pred_ref, pred_alt, effect`` (NaN where not
        scored) and ``rc_average``.
    per_element : pandas.DataFrame
        :func:`cagi_correlations` of ``variants``.
    """
    variants = score_table(
        model,
        augmenter,
        task,
        read_cagi_variants(cagi_tables),
        genome,
        length,
        batch_size,
        device,
        max_mismatch_frac,
        rc_average,
    )
    return variants, cagi_correlations(variants)


def score_cagi5_file(
    model_path: str | os.PathLike,
    variants_tsv: str | os.PathLike,
    elements_tsv: str | os.PathLike,
    run: dict,
    source: str = "tables",
    tables=None,
    genome: str | os.PathLike | None = None,
    onehot: str | os.PathLike | None = None,
    metadata: str | os.PathLike | None = None,
    device="auto",
    rc_average: bool = False,
    threads: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score a CAGI5-style benchmark under one saved model and write both tables.

    The ``score_cagi5`` rule's work: load the model, score either the published one-hot
    windows (``source="onehot"``: ``onehot`` and ``metadata``, see
    :func:`evoaugflow.variants.windows.load_cagi_onehot`) or the element tables cut from
    a genome (otherwise: ``tables`` and ``genome``, see :func:`score_cagi`), correlate per
    element, and label every per-element row with the run.

    Parameters
    ----------
    model_path : str or PathLike
        A checkpoint of :func:`evoaugflow.train.load_model`.
    variants_tsv, elements_tsv : str or PathLike
        Receive the scored variants and the per-element correlations.
    run : dict
        Columns put first in the per-element table (``dataset, augset, stage, seed``...).
    source : {"tables", "onehot"}, default="tables"
    tables, genome, onehot, metadata
        The inputs of the chosen source.
    device : {"auto", "cpu", "cuda"} or torch.device, default="auto"
    rc_average : bool, default=False
        See :func:`evoaugflow.variants.scoring.score_variant_effects`.
    threads : int, optional
        CPU threads for torch (default None: torch's own choice).

    Returns
    -------
    variants, per_element : pandas.DataFrame
    """
    if threads is not None:
        torch.set_num_threads(int(threads))
    model, augmenter, meta = load_model(model_path)
    length = meta["sequence_length"]
    if source == "onehot":
        ref, alt, variants = load_cagi_onehot(onehot, metadata, length=length)
        effects = score_variant_effects(
            model,
            ref,
            alt,
            meta["task"],
            augmenter=augmenter,
            device=device,
            rc_average=rc_average,
        )
        variants = pd.concat([variants.reset_index(drop=True), effects], axis=1)
        per_element = cagi_correlations(variants)
    else:
        variants, per_element = score_cagi(
            model,
            augmenter,
            meta["task"],
            tables,
            genome,
            length=length,
            device=device,
            rc_average=rc_average,
        )
    for position, (key, value) in enumerate(run.items()):
        per_element.insert(position, key, value)
    print(per_element.to_string())
    write_tsv(variants, variants_tsv)
    write_tsv(per_element, elements_tsv)
    return variants, per_element


def missing_table_message(path: str | os.PathLike, element: str) -> str:
    """What to do when a CAGI5 challenge table is missing (it cannot be downloaded).

    The CAGI5 regulation saturation-mutagenesis data are registered-access
    (genomeinterpretation.org); the ``require_cagi5_table`` rule fails with this message
    instead of a bare MissingInputException.
    """
    return (
        f"ERROR: {path} is missing. The CAGI5 saturation-mutagenesis tables are "
        "registered-access: download the challenge release from https://genomeinterpretation.org "
        f"(CAGI5, 'Regulation saturation mutagenesis'), save element {element} as {path} (the "
        "challenge's TSV layout: '#Chrom Pos Ref Alt Value Confidence'), and run the workflow "
        "again. To skip CAGI5, set analyses.cagi: false."
    )

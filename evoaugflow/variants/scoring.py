"""Variant-effect scoring: a model's predictions on both alleles turned into effects."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import torch

from evoaugflow.models import PREDICT_BATCH_SIZE, TASKS
from evoaugflow.summary import write_tsv
from evoaugflow.train import load_model, resolve_device
from evoaugflow.variants.tables import read_vcf
from evoaugflow.variants.windows import SCORABLE_STATUS, WINDOW_STATUS, variant_windows


def _log_ratio(numerator: np.ndarray, denominator: np.ndarray, epsilon: float) -> np.ndarray:
    """``log(max(numerator, epsilon) / max(denominator, epsilon))``, elementwise."""
    return np.log(np.maximum(numerator, epsilon)) - np.log(np.maximum(denominator, epsilon))


def _pad_pair(augmenter, ref: torch.Tensor, alt: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Apply the evaluation padding to both alleles and check that the flanks agree."""
    ref_padded, alt_padded = augmenter.pad(ref), augmenter.pad(alt)
    if ref_padded.shape != alt_padded.shape or int((ref_padded != alt_padded).sum()) != int(
        (ref != alt).sum()
    ):
        raise ValueError(
            "augmenter.pad gave the reference and alternative windows different padding; "
            "it must be deterministic (seeded by pad_seed) for variant scoring"
        )
    return ref_padded, alt_padded


def _predict(model: torch.nn.Module, x: torch.Tensor, task: str) -> torch.Tensor:
    """``(B, T)`` float32 outputs: sigmoid probabilities for binary tasks, else values."""
    outputs = model(x)
    outputs = outputs.reshape(outputs.shape[0], -1).float()
    return torch.sigmoid(outputs) if task == "binary" else outputs


def score_variant_effects(
    model: torch.nn.Module,
    ref_x,
    alt_x,
    task: str,
    augmenter=None,
    batch_size: int = PREDICT_BATCH_SIZE,
    device="auto",
    epsilon: float = 1e-7,
    per_output: bool = False,
    rc_average: bool = False,
) -> pd.DataFrame:
    """Predict both alleles of each variant and turn the predictions into effects.

    Binary classifiers: ``effect = log(max(mean_t p_alt, eps)) - log(max(mean_t p_ref,
    eps))`` with ``p = sigmoid(logit)`` and the mean over tasks (the paper's score).
    Regressors: ``effect = mean_t (y_alt - y_ref)``. Insertion-trained models get
    ``augmenter.pad`` on both alleles (checked to give both the same flanks). Ref and alt
    of a batch go through the model in one forward pass, in eval mode without gradients.

    Parameters
    ----------
    model : torch.nn.Module
        Maps ``(B, 4, L')`` to raw outputs ``(B, T)`` or ``(B,)``: logits for
        ``"binary"``, values for ``"regression"``. Moved to ``device`` and set to eval
        mode.
    ref_x, alt_x : numpy.ndarray or torch.Tensor, shape=(N, 4, L)
        Reference and alternative windows (same shape).
    task : {"binary", "regression"}
        How outputs are read (sigmoid probabilities or values).
    augmenter : evoaugflow.augment.Augmenter, optional
        The model's augmenter; when given, its ``pad`` (deterministic insertion padding)
        is applied to both alleles. Default None (no padding).
    batch_size : int, default=PREDICT_BATCH_SIZE (256)
        Variants per forward pass (the pass holds 2 * batch_size windows).
    device : {"auto", "cpu", "cuda"} or torch.device, default="auto"
        Where the model runs; "auto" picks CUDA when present.
    epsilon : float, default=1e-7
        Floor on mean probabilities before the log, so that a probability of exactly 0
        gives a finite effect. Unused for regression.
    per_output : bool, default=False
        Also return ``effect_<t>`` per model output ``t`` (log ratio of that output's
        probabilities, or ``alt - ref`` for regression).
    rc_average : bool, default=False
        Average each prediction (probability or value, per task) over the window and
        its reverse complement (channels and positions reversed, after any padding)
        before the effect is computed: the effect then does not depend on the strand
        the windows are written on. Costs a second forward pass.

    Returns
    -------
    pandas.DataFrame
        N rows: ``pred_ref``, ``pred_alt`` (mean over tasks of probability or value),
        ``effect`` (float64), ``rc_average`` (bool, the option used), and ``effect_0 ..
        effect_{T-1}`` when ``per_output``.

    Raises
    ------
    ValueError
        Unknown ``task`` or ``device``, bad shapes, ``batch_size < 1``,
        ``epsilon <= 0``, windows whose (padded) length differs from
        ``model.config["input_length"]`` where the model has one, or an augmenter whose
        padding differs between the alleles.
    """
    if task not in TASKS:
        raise ValueError(f"task={task!r}: must be one of {TASKS}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise ValueError(f"batch_size={batch_size!r}: must be an integer >= 1")
    if batch_size < 1:
        raise ValueError(f"batch_size={batch_size}: must be >= 1")
    if not epsilon > 0:
        raise ValueError(f"epsilon={epsilon}: must be > 0 (e.g. 1e-7)")
    ref_x = torch.as_tensor(ref_x, dtype=torch.float32)
    alt_x = torch.as_tensor(alt_x, dtype=torch.float32)
    if ref_x.ndim != 3 or ref_x.shape[1] != 4 or ref_x.shape != alt_x.shape:
        raise ValueError(
            f"ref_x {tuple(ref_x.shape)} and alt_x {tuple(alt_x.shape)}: must both be "
            "(N, 4, L) one-hot windows of the same shape"
        )
    config = getattr(model, "config", None)
    if isinstance(config, dict) and "input_length" in config:
        length = ref_x.shape[2] if augmenter is None else augmenter.output_length(ref_x.shape[2])
        if length != config["input_length"]:
            raise ValueError(
                f"windows of length {ref_x.shape[2]} reach the model as {length} columns but "
                f"it takes {config['input_length']}: pass the augmenter returned by "
                "train.load_model (its padding makes up the difference) or windows of the "
                "model's length"
            )
    device = resolve_device(device)
    model = model.to(device).eval()
    n_variants = ref_x.shape[0]
    ref_out, alt_out = [], []
    with torch.no_grad():
        for lo in range(0, n_variants, int(batch_size)):
            ref_batch, alt_batch = ref_x[lo : lo + batch_size], alt_x[lo : lo + batch_size]
            if augmenter is not None:
                ref_batch, alt_batch = _pad_pair(augmenter, ref_batch, alt_batch)
            both = torch.cat([ref_batch, alt_batch]).to(device)
            outputs = _predict(model, both, task)
            if rc_average:
                # ACGT order: complementing reverses the channel axis.
                outputs = (outputs + _predict(model, both.flip(dims=(1, 2)), task)) / 2
            outputs = outputs.double().cpu().numpy()
            ref_out.append(outputs[: len(ref_batch)])
            alt_out.append(outputs[len(ref_batch) :])
    n_outputs = ref_out[0].shape[1] if ref_out else 1
    ref_pred = np.concatenate(ref_out) if ref_out else np.empty((0, n_outputs))
    alt_pred = np.concatenate(alt_out) if alt_out else np.empty((0, n_outputs))
    ref_mean, alt_mean = ref_pred.mean(axis=1), alt_pred.mean(axis=1)
    if task == "binary":
        effect = _log_ratio(alt_mean, ref_mean, epsilon)
        output_effects = _log_ratio(alt_pred, ref_pred, epsilon)
    else:
        output_effects = alt_pred - ref_pred
        effect = output_effects.mean(axis=1)
    table = pd.DataFrame({"pred_ref": ref_mean, "pred_alt": alt_mean, "effect": effect})
    table["rc_average"] = bool(rc_average)
    if per_output:
        for output in range(n_outputs):
            table[f"effect_{output}"] = output_effects[:, output]
    return table


def score_table(
    model,
    augmenter,
    task,
    variants,
    genome,
    length,
    batch_size,
    device,
    max_mismatch_frac,
    rc_average=False,
) -> pd.DataFrame:
    """Windows, status and effects for a table with ``chrom, pos, ref, alt`` columns."""
    ref_x, alt_x, status = variant_windows(
        genome,
        variants["chrom"].to_numpy(),
        variants["pos"].to_numpy(),
        variants["ref"].to_numpy(),
        variants["alt"].to_numpy(),
        length=length,
        max_mismatch_frac=max_mismatch_frac,
    )
    scored = np.isin(status, SCORABLE_STATUS)
    effects = score_variant_effects(
        model,
        ref_x[scored],
        alt_x[scored],
        task,
        augmenter,
        batch_size,
        device,
        rc_average=rc_average,
    )
    result = variants.reset_index(drop=True).assign(status=status)
    for column in ("pred_ref", "pred_alt", "effect"):
        result[column] = np.nan
        result.loc[scored, column] = effects[column].to_numpy()
    result["rc_average"] = bool(rc_average)
    return result


def score_vcf(
    model: torch.nn.Module,
    augmenter,
    task: str,
    vcf_path: str | os.PathLike,
    genome,
    length: int = 600,
    batch_size: int = PREDICT_BATCH_SIZE,
    device="auto",
    max_mismatch_frac: float = 0.5,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Score the SNVs of a VCF file.

    Parameters
    ----------
    model, augmenter, task, genome, length, batch_size, device, max_mismatch_frac
        As in :func:`score_cagi`.
    vcf_path : str or PathLike
        Plain or gzipped VCF (see :func:`read_vcf`).

    Returns
    -------
    effects : pandas.DataFrame
        One row per SNV: ``chrom, pos, id, ref, alt, status, pred_ref, pred_alt,
        effect`` (NaN where not scored).
    skipped : dict of str to int
        Alleles not scored, by reason: the non-SNV allele types of :func:`read_vcf`
        (``mnv, indel, symbolic, other``) and the window statuses ``chrom_missing,
        out_of_range, ref_mismatch``; every key present.
    """
    variants, counts = read_vcf(vcf_path)
    effects = score_table(
        model, augmenter, task, variants, genome, length, batch_size, device, max_mismatch_frac
    )
    skipped = {name: count for name, count in counts.items() if name != "snv"}
    for name in WINDOW_STATUS:
        if name not in SCORABLE_STATUS:
            skipped[name] = int((effects["status"] == name).sum())
    return effects, skipped


def score_vcf_file(
    model_path: str | os.PathLike,
    vcf_path: str | os.PathLike,
    genome: str | os.PathLike,
    effects_tsv: str | os.PathLike,
    skipped_tsv: str | os.PathLike,
    device="auto",
    threads: int | None = None,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Score a VCF under one saved model and write the two tables (rule ``score_variants``).

    Parameters
    ----------
    model_path : str or PathLike
        A checkpoint of :func:`evoaugflow.train.load_model`; its task and sequence length
        are used.
    vcf_path, genome
        As in :func:`score_vcf`.
    effects_tsv : str or PathLike
        Receives :func:`score_vcf`'s effects.
    skipped_tsv : str or PathLike
        Receives ``reason, count``: the alleles not scored, by reason.
    device : {"auto", "cpu", "cuda"} or torch.device, default="auto"
    threads : int, optional
        CPU threads for torch (default None: torch's own choice).

    Returns
    -------
    effects, skipped
        As from :func:`score_vcf`.
    """
    if threads is not None:
        torch.set_num_threads(int(threads))
    model, augmenter, meta = load_model(model_path)
    effects, skipped = score_vcf(
        model,
        augmenter,
        meta["task"],
        vcf_path,
        genome,
        length=meta["sequence_length"],
        device=device,
    )
    print(f"{len(effects)} SNVs scored; skipped: {skipped}")
    write_tsv(effects, effects_tsv)
    write_tsv(pd.DataFrame({"reason": list(skipped), "count": list(skipped.values())}), skipped_tsv)
    return effects, skipped

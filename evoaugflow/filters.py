"""First-layer filters as motifs, by activation-based alignment.

For every first-layer filter, the input windows (one filter wide) at which its activation
exceeds ``threshold`` times its largest activation over the whole data set are collected
and averaged into a position probability matrix (REFERENCE.md section 4). The data are
read twice: a first pass finds each filter's maximum, a second accumulates the windows.
Both passes run batch by batch; the windows of a batch are summed with one ``einsum``, so
nothing loops over sites or sequences.

Filters that never fire above their threshold (a ReLU filter that is dead on the data
set) get no motif: they are kept in the ``counts`` array and in the table written by
:func:`write_filter_motifs`, and left out of the MEME file only.

A model without a convolutional first layer (a user's GRU or transformer, say) has no
filters to read: :func:`first_layer_problem` says why, :func:`write_no_filters` writes
empty outputs that carry that reason (a MEME header without motifs and a table without
rows), and :func:`write_no_filter_matches` the empty Tomtom outputs downstream.

:func:`extract_filters` and :func:`match_filters` are the workflow's rules of the same
names: a saved model's filters as motifs, and those motifs matched to JASPAR by Tomtom.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from evoaugflow.attribution import plot_filter_logos
from evoaugflow.data import load_dataset
from evoaugflow.io import atomic_path, write_text_atomic, write_tsv
from evoaugflow.jaspar import fetch_motifs
from evoaugflow.meme import ALPHABET, Motif, read_meme, write_meme
from evoaugflow.models import PREDICT_BATCH_SIZE
from evoaugflow.predict import load_model
from evoaugflow.runtime import model_on, resolve_device
from evoaugflow.tomtom import (
    DEFAULT_EXCLUDE,
    TOMTOM_COLUMNS,
    best_matches,
    filter_summary,
    tomtom,
)

FILTER_ID_PREFIX = "filter"
# The line of an empty filters MEME file that says why it has no motif.
NO_FILTERS_PREFIX = "No filters:"


def filter_id(index: int) -> str:
    """Motif id of first-layer filter ``index`` (``"filter<index>"``)."""
    return f"{FILTER_ID_PREFIX}{index}"


def first_layer_problem(model: torch.nn.Module) -> str | None:
    """Why :func:`filter_motifs` cannot read ``model``'s first layer; None when it can.

    It needs a ``first_conv`` attribute that is an ``nn.Conv1d`` and a ``first_layer(x)``
    method, as the models of :func:`evoaugflow.models.get_model` have.
    """
    name = type(model).__name__
    if not isinstance(getattr(model, "first_conv", None), torch.nn.Conv1d):
        return (
            f"model {name} has no convolutional first layer (no `first_conv` attribute that "
            "is a torch.nn.Conv1d, as evoaugflow.models.get_model models have), so there are "
            "no first-layer filters to read as motifs"
        )
    if not callable(getattr(model, "first_layer", None)):
        return f"model {name} has no `first_layer(x)` method returning (N, filters, L')"
    return None


def _check_inputs(model, x, threshold, batch_size) -> None:
    problem = first_layer_problem(model)
    if problem is not None:
        raise ValueError(f"model: {problem}")
    if not isinstance(x, torch.Tensor) or x.ndim != 3 or x.shape[1] != 4 or x.shape[0] < 1:
        shape = tuple(x.shape) if hasattr(x, "shape") else type(x).__name__
        raise ValueError(f"x: shape {shape}; expected a torch.Tensor of shape (N >= 1, 4, L)")
    if not 0.0 < float(threshold) <= 1.0:
        raise ValueError(
            f"threshold={threshold}: must be in (0, 1], the fraction of each filter's "
            "maximum activation (the paper uses 0.5)"
        )
    if int(batch_size) < 1:
        raise ValueError(f"batch_size={batch_size}: must be an int >= 1")


def _padding(conv: torch.nn.Conv1d) -> tuple[int, int]:
    """Zero padding (left, right) that ``conv`` adds to its input."""
    if conv.stride[0] != 1 or conv.dilation[0] != 1:
        raise ValueError(
            f"model.first_conv: stride {conv.stride[0]}, dilation {conv.dilation[0]}; "
            "activation-based alignment needs stride 1 and dilation 1"
        )
    if conv.padding_mode != "zeros":
        raise ValueError(f"model.first_conv: padding_mode {conv.padding_mode!r}; use 'zeros'")
    width = conv.kernel_size[0]
    if conv.padding == "same":
        # PyTorch puts the odd column of "same" padding on the right.
        return (width - 1) // 2, width - 1 - (width - 1) // 2
    if conv.padding == "valid":
        return 0, 0
    return conv.padding[0], conv.padding[0]


def filter_motifs(
    model: torch.nn.Module,
    x: torch.Tensor,
    threshold: float = 0.5,
    batch_size: int = PREDICT_BATCH_SIZE,
    device: str | torch.device = "auto",
    augmenter=None,
) -> tuple[list[Motif], np.ndarray]:
    """Turn every first-layer filter into a position probability matrix.

    Window ``j`` of the activation covers input columns ``j - pad_left`` to
    ``j - pad_left + w - 1``, where ``pad_left`` is the first convolution's left zero
    padding (``(w - 1) // 2`` for ``padding="same"``). Windows that reach into the zero
    padding are not real sequence and are dropped, even where the filter fires there.

    Parameters
    ----------
    model : torch.nn.Module
        Has ``first_conv`` (``nn.Conv1d``, stride 1, width ``w``) and
        ``first_layer(x)`` returning the activation after convolution, batch norm and
        ReLU, shape ``(N, filters, L')``. Run in eval mode; its mode is restored.
    x : torch.Tensor, shape=(N, 4, L)
        One-hot sequences (e.g. the test set).
    threshold : float, default=0.5
        A window counts as a site when the activation is strictly greater than
        ``threshold`` times the filter's maximum over all of ``x``; in (0, 1].
    batch_size : int, default=models.PREDICT_BATCH_SIZE (256)
        Sequences per forward pass.
    device : {"auto", "cpu", "cuda"} or torch.device, default="auto"
    augmenter : evoaugflow.augment.Augmenter, optional
        For models trained with insertion: ``augmenter.pad`` is applied to ``x`` first,
        so the model sees inputs of its training length. Default None: ``x`` as given.

    Returns
    -------
    motifs : list of Motif
        One per filter with at least one site, in filter order; ``id`` and ``name`` are
        ``"filter<index>"``, ``pfm`` shape ``(w, 4)``, ``nsites`` the number of windows.
    counts : numpy.ndarray, shape=(filters,), dtype=int64
        Sites per filter, 0 for filters without any (those have no motif).
    """
    _check_inputs(model, x, threshold, batch_size)
    device = resolve_device(device)
    conv = model.first_conv
    width = conv.kernel_size[0]
    pad_left, pad_right = _padding(conv)
    if augmenter is not None:
        x = augmenter.pad(x)
    length = x.shape[2]
    n_windows = length + pad_left + pad_right - width + 1
    if n_windows < 1:
        raise ValueError(f"x: length {length} is shorter than the filter width {width}")
    # Activation j is a real window when it starts and ends inside the sequence.
    starts = torch.arange(n_windows, device=device) - pad_left
    inside = (starts >= 0) & (starts + width <= length)

    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), model_on(model, device):

            def batches():
                for start in range(0, x.shape[0], batch_size):
                    yield x[start : start + batch_size].to(device=device, dtype=torch.float32)

            def activations(batch: torch.Tensor) -> torch.Tensor:
                act = model.first_layer(batch)
                if act.ndim != 3 or act.shape[2] != n_windows:
                    raise ValueError(
                        f"model.first_layer: output shape {tuple(act.shape)}; expected "
                        f"(N, filters, {n_windows}) for input length {length} (conv width "
                        f"{width}, padding {pad_left}+{pad_right}, no pooling)"
                    )
                return act

            maximum = None
            for batch in batches():
                batch_max = activations(batch).amax(dim=(0, 2))
                maximum = batch_max if maximum is None else torch.maximum(maximum, batch_max)
            cutoff = threshold * maximum

            n_filters = maximum.shape[0]
            sums = torch.zeros(n_filters, width, 4, dtype=torch.float64, device=device)
            counts = torch.zeros(n_filters, dtype=torch.int64, device=device)
            for batch in batches():
                sites = (activations(batch) > cutoff[None, :, None]) & inside
                # (B, 4, n_windows, w): window j is padded-input columns j .. j + w - 1.
                windows = F.pad(batch, (pad_left, pad_right)).unfold(2, width, 1)
                sums += torch.einsum("bfj,bcjw->fwc", sites.to(batch.dtype), windows).double()
                counts += sites.sum(dim=(0, 2))
    finally:
        model.train(was_training)

    sums, counts = sums.cpu().numpy(), counts.cpu().numpy()
    motifs = []
    for index in np.flatnonzero(counts):
        # Rows of one-hot windows sum to nsites; dividing by the row sum also copes with
        # soft (non one-hot) inputs.
        pfm = sums[index] / sums[index].sum(axis=1, keepdims=True)
        motifs.append(Motif(filter_id(index), filter_id(index), pfm, nsites=int(counts[index])))
    return motifs, counts


def filter_table(counts: np.ndarray) -> pd.DataFrame:
    """One row per first-layer filter, those without sites included.

    Parameters
    ----------
    counts : numpy.ndarray, shape=(filters,)
        Sites per filter, as returned by :func:`filter_motifs`.

    Returns
    -------
    pandas.DataFrame
        Columns ``filter`` (index), ``motif_id``, ``nsites``, ``in_meme`` (False for
        filters without sites, which the MEME file leaves out).
    """
    counts = np.asarray(counts, dtype=np.int64)
    if counts.ndim != 1 or np.any(counts < 0):
        raise ValueError("counts: expected a 1-D array of site counts >= 0 (one per filter)")
    return pd.DataFrame(
        {
            "filter": np.arange(len(counts)),
            "motif_id": [filter_id(index) for index in range(len(counts))],
            "nsites": counts,
            "in_meme": counts > 0,
        }
    )


def write_filter_motifs(
    meme_path: str | os.PathLike,
    table_path: str | os.PathLike,
    motifs: list[Motif],
    counts: np.ndarray,
) -> None:
    """Write the filters' motifs as MEME and the per-filter site table as TSV, atomically.

    Parameters
    ----------
    meme_path : str or PathLike
        MEME file with the motifs of filters that have sites (uniform background).
    table_path : str or PathLike
        TSV of :func:`filter_table`: every filter, with ``nsites`` 0 where it has none.
    motifs, counts
        As returned by :func:`filter_motifs`.

    Raises
    ------
    ValueError
        When no filter has a site (an empty MEME file cannot be searched), or when
        ``motifs`` and ``counts`` disagree.
    """
    table = filter_table(counts)
    expected = table.loc[table["in_meme"], "motif_id"].tolist()
    if [motif.id for motif in motifs] != expected:
        raise ValueError(
            "motifs: ids do not match the filters with sites in counts; pass both "
            "outputs of the same filter_motifs call"
        )
    if not motifs:
        raise ValueError(
            f"motifs: no filter has a site, nothing to write to {meme_path}; lower "
            "threshold or check that the model was trained"
        )
    write_meme(meme_path, motifs)
    write_tsv(table, table_path)


def write_no_filters(meme_path: str | os.PathLike, table_path: str | os.PathLike, reason: str):
    """Write the empty filter outputs of a model whose filters cannot be read, atomically.

    Parameters
    ----------
    meme_path : str or PathLike
        A MEME header without motifs, whose last line is ``"No filters: <reason>"``
        (read back by :func:`no_filters_reason`).
    table_path : str or PathLike
        The :func:`filter_table` columns without rows.
    reason : str
        E.g. :func:`first_layer_problem`'s answer.
    """
    header = ["MEME version 4", "", f"ALPHABET= {ALPHABET}", "", "strands: + -", ""]
    write_text_atomic(meme_path, "\n".join([*header, f"{NO_FILTERS_PREFIX} {reason}", ""]))
    write_tsv(filter_table(np.zeros(0, dtype=np.int64)), table_path)


def no_filters_reason(meme_path: str | os.PathLike) -> str | None:
    """The reason in a MEME file written by :func:`write_no_filters`; None for any other."""
    for line in open(meme_path).read().splitlines():
        if line.startswith(NO_FILTERS_PREFIX):
            return line[len(NO_FILTERS_PREFIX) :].strip()
    return None


def write_no_filter_matches(
    matches_path: str | os.PathLike,
    summary_path: str | os.PathLike,
    logos_path: str | os.PathLike,
    run: dict,
    reason: str,
) -> None:
    """Tomtom outputs of a model without filters: no matches, a summary row, a notice.

    Parameters
    ----------
    matches_path : str or PathLike
        Tomtom table with its columns (:data:`evoaugflow.tomtom.TOMTOM_COLUMNS`) only.
    summary_path : str or PathLike
        One row: ``run`` (dataset, augset, stage, seed, ...), ``n_filters`` 0, hit rate,
        mean best q-value and planted recovery NaN, no matched motifs, and ``note``
        (the reason).
    logos_path : str or PathLike
        A 1200 x 600 PNG that states the reason in place of the filter logos.
    run : dict
        The run's identity columns.
    reason : str
        Why the model has no filters.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    write_tsv(pd.DataFrame(columns=list(TOMTOM_COLUMNS)), matches_path)
    row = dict(run)
    row.update(
        n_filters=0,
        n_with_sites=0,
        hit_rate=np.nan,
        mean_best_q=np.nan,
        n_matched_motifs=0,
        planted_recovery=np.nan,
        planted_recovered="",
        causal_recovery=np.nan,
        causal_recovered="",
        matched_motifs="",
        note=f"{NO_FILTERS_PREFIX} {reason}",
    )
    write_tsv(pd.DataFrame([row]), summary_path)
    figure = plt.figure(figsize=(12, 6), dpi=100)
    figure.suptitle(_logos_title(run))
    figure.text(0.5, 0.5, f"{NO_FILTERS_PREFIX} {reason}", ha="center", va="center", wrap=True)
    with atomic_path(logos_path, suffix=".png") as tmp:
        figure.savefig(tmp, format="png", dpi=100)
    plt.close(figure)


def _logos_title(run: dict) -> str:
    return (
        f"{run.get('dataset')} {run.get('augset')} {run.get('stage')} seed {run.get('seed')}: "
        "first-layer filters"
    )


def extract_filters(
    model_path: str | os.PathLike,
    data_path: str | os.PathLike,
    meme_path: str | os.PathLike,
    table_path: str | os.PathLike,
    split: str = "test",
    threshold: float = 0.5,
    device: str | torch.device = "auto",
    threads: int = 1,
) -> None:
    """A saved model's first-layer filters as motifs, written as MEME and TSV.

    Parameters
    ----------
    model_path, data_path : str or PathLike
        A ``model.pt`` and its data set's h5 file.
    meme_path, table_path : str or PathLike
        Written by :func:`write_filter_motifs`, or by :func:`write_no_filters` for a
        model without a convolutional first layer.
    split : {"train", "valid", "test"}, default "test"
        The sequences the filters are aligned on.
    threshold : float, default 0.5
        See :func:`filter_motifs`.
    device : {"auto", "cpu", "cuda"} or torch.device, default "auto"
    threads : int, default 1
        CPU threads for torch.
    """
    torch.set_num_threads(threads)
    model, augmenter, _ = load_model(model_path)
    problem = first_layer_problem(model)
    if problem is not None:
        # A user model without a convolutional first layer: empty outputs that say why.
        print(f"no filters: {problem}")
        write_no_filters(meme_path, table_path, problem)
        return
    x, _ = load_dataset(data_path).split(split)
    motifs, counts = filter_motifs(
        model, x, threshold=threshold, device=device, augmenter=augmenter
    )
    print(f"{len(counts)} filters, {int((counts > 0).sum())} with sites, {int(counts.sum())} sites")
    write_filter_motifs(meme_path, table_path, motifs, counts)


def _recovered(
    table: pd.DataFrame, motifs: Sequence[str] | None, q_threshold: float, by_release: dict
) -> tuple[float, list[str]]:
    """Fraction of ``motifs`` that some filter matches (q below the cut-off), and which.

    A match counts by factor name, so another JASPAR matrix of the same factor counts;
    names are JASPAR's spelling, in the order given. No motifs: NaN and none.
    """
    if not motifs:
        return np.nan, []
    names = list(dict.fromkeys(motif.name for motif in fetch_motifs(motifs, **by_release)))
    hits = set(table.loc[table["q-value"] < q_threshold, "Target_name"].str.upper())
    recovered = [name for name in names if name.upper() in hits]
    return len(recovered) / len({name.upper() for name in names}), recovered


def match_filters(
    meme_path: str | os.PathLike,
    table_path: str | os.PathLike,
    jaspar_path: str | os.PathLike,
    matches_path: str | os.PathLike,
    summary_path: str | os.PathLike,
    logos_path: str | os.PathLike,
    run: dict,
    q_threshold: float = 0.05,
    exclude: Sequence[str] = DEFAULT_EXCLUDE,
    use_meme_binary: bool = False,
    planted: list[str] | None = None,
    release: str | None = None,
    causal: list[str] | None = None,
) -> dict:
    """Match a model's filter motifs to JASPAR with Tomtom; tables and a logo figure.

    Parameters
    ----------
    meme_path, table_path : str or PathLike
        The outputs of :func:`extract_filters`.
    jaspar_path : str or PathLike
        The JASPAR motifs (MEME format).
    matches_path : str or PathLike
        Written: the Tomtom table (:data:`evoaugflow.tomtom.TOMTOM_COLUMNS`).
    summary_path : str or PathLike
        Written: one row, ``run``'s entries plus ``n_filters``, ``n_with_sites``,
        ``hit_rate``, ``mean_best_q``, ``n_matched_motifs``, ``planted_recovery``,
        ``planted_recovered``, ``causal_recovery``, ``causal_recovered`` and
        ``matched_motifs`` (the names comma-separated).
    logos_path : str or PathLike
        Written: each filter's logo beside its best match.
    run : dict
        The run's identity (dataset, augset, stage, seed, ...).
    q_threshold : float, default 0.05
        Tomtom q-value below which a filter matches.
    exclude, use_meme_binary
        See :func:`evoaugflow.tomtom.tomtom`.
    planted : list of str, optional
        JASPAR names or ids of the motifs planted in a synthetic data set: the summary's
        ``planted_recovery`` is the fraction of them that some filter matches, by factor
        name (another JASPAR matrix of the same factor counts), and
        ``planted_recovered`` names them in the order given. Default None: NaN and "".
    release : str, optional
        The JASPAR release of ``planted`` and ``causal`` (default None:
        :func:`fetch_motifs`'s).
    causal : list of str, optional
        The planted motifs the labels depend on
        (:func:`evoaugflow.synthetic.sources.causal_motifs`): ``causal_recovery`` and
        ``causal_recovered`` as for ``planted``. Distractors, planted but without an
        effect, are left out, so a model can recover all of these. Default None: NaN.

    Returns
    -------
    dict
        The summary row.
    """
    reason = no_filters_reason(meme_path)
    if reason is not None:
        # The model has no filters (see extract_filters): empty matches, a row that says why.
        print(f"no filters: {reason}")
        write_no_filter_matches(matches_path, summary_path, logos_path, run, reason)
        return {**run, "note": f"{NO_FILTERS_PREFIX} {reason}"}
    queries = read_meme(meme_path)
    table = tomtom(
        queries, read_meme(jaspar_path), exclude=exclude, use_meme_binary=use_meme_binary
    )
    filters = pd.read_csv(table_path, sep="\t")
    result = filter_summary(table, filters["motif_id"], q_threshold=q_threshold)
    by_release = {} if release is None else {"release": release}
    recovery, recovered = _recovered(table, planted, q_threshold, by_release)
    causal_recovery, causal_recovered = _recovered(table, causal, q_threshold, by_release)
    row = dict(run)
    row.update(
        n_filters=result["n_filters"],
        n_with_sites=result["n_with_sites"],
        hit_rate=result["hit_rate"],
        mean_best_q=result["mean_best_qvalue"],
        n_matched_motifs=len(result["matched_motifs"]),
        planted_recovery=recovery,
        planted_recovered=",".join(recovered),
        causal_recovery=causal_recovery,
        causal_recovered=",".join(causal_recovered),
        matched_motifs=",".join(result["matched_motifs"]),
    )
    print(row)
    write_tsv(table, matches_path)
    write_tsv(pd.DataFrame([row]), summary_path)
    plot_filter_logos(
        queries, best_matches(table, q_threshold=None), logos_path, title=_logos_title(run)
    )
    return row

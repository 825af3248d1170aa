"""Attribution maps (GradientShap) and sequence-logo figures.

:func:`gradient_shap` runs Captum's GradientShap once per sequence against random DNA
references and applies the gradient correction (REFERENCE.md sections 4 and 7).
:func:`attribution_auroc` scores a map against the known positions of planted motifs.
:func:`plot_attribution_logos` and :func:`plot_filter_logos` draw Logomaker logos.
:func:`attribute_top_sequences` and :func:`plot_attribution_files` are the workflow's
rules attribute and plot_attribution.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, MaxNLocator
from tqdm.auto import tqdm

from evoaugflow.augment_kernels import random_dna
from evoaugflow.data import load_dataset
from evoaugflow.io import atomic_path, write_tsv
from evoaugflow.meme import ALPHABET, Motif
from evoaugflow.metrics import auroc
from evoaugflow.plots.logo import draw_logo
from evoaugflow.predict import load_model
from evoaugflow.runtime import model_on, resolve_device
from evoaugflow.summary import require_columns

#: Size of both logo figures, in inches, at ``DPI``: 1200 x 600 pixels.
LOGO_FIGSIZE_INCHES = (12.0, 6.0)
DPI = 100


def random_references(n_references: int, length: int, seed: int = 0) -> torch.Tensor:
    """Random DNA reference sequences, i.i.d. uniform one-hot columns.

    Parameters
    ----------
    n_references : int
    length : int
    seed : int, default=0
        Seeds the CPU ``torch.Generator`` that draws them.

    Returns
    -------
    torch.Tensor, shape=(n_references, 4, length), float32
    """
    generator = torch.Generator().manual_seed(seed)
    return random_dna(n_references, length, torch.float32, generator, "cpu")


@contextlib.contextmanager
def _global_rngs_seeded(seed: int, device: torch.device) -> Iterator[None]:
    """Seed numpy's and torch's global generators for a block, then restore them.

    Captum draws GradientShap's reference choices and interpolation points from
    ``numpy.random`` and its (zero) noise from torch's global generator; seeding both
    from our own generator makes every call reproducible without leaking state.
    """
    numpy_state = np.random.get_state()
    devices = [device] if device.type == "cuda" else []
    try:
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            np.random.seed(seed % 2**32)
            yield
    finally:
        np.random.set_state(numpy_state)


def gradient_shap(
    model: torch.nn.Module,
    x: torch.Tensor,
    output: int = 0,
    n_references: int = 1000,
    n_samples: int = 100,
    seed: int = 0,
    device: str | torch.device = "auto",
    augmenter=None,
    verbose: bool = False,
) -> np.ndarray:
    """GradientShap attribution maps with the gradient correction.

    One Captum ``GradientShap.attribute`` call per sequence (many sequences in one call
    need far more memory and run slower, REFERENCE.md section 7), each drawing
    ``n_samples`` (reference, interpolation point) pairs from the same
    ``n_references`` random DNA references. The map is then corrected by subtracting,
    at every position, its mean over the 4 channels.

    Parameters
    ----------
    model : torch.nn.Module
        Maps ``(N, 4, L_in)`` to ``(N, T)`` raw outputs (logits or values); run in eval
        mode, its mode is restored.
    x : torch.Tensor, shape=(N, 4, L)
        One-hot sequences to explain.
    output : int, default=0
        Output column that is explained.
    n_references : int, default=1000
        Random DNA references (see :func:`random_references`).
    n_samples : int, default=100
        Random (reference, interpolation point) pairs per sequence.
    seed : int, default=0
        Seeds one CPU ``torch.Generator`` that draws the references and one seed per
        sequence for Captum's draws: the result does not depend on global RNG state.
    device : {"auto", "cpu", "cuda"} or torch.device, default="auto"
    augmenter : evoaugflow.augment.Augmenter, optional
        For models trained with insertion: inputs (and references) get the augmenter's
        deterministic 3' padding (``augmenter.pad``) and the padding columns are dropped
        from the maps. Default None: no padding.
    verbose : bool, default=False
        Show a progress bar.

    Returns
    -------
    numpy.ndarray, shape=(N, 4, L), float32
        Corrected attributions: at every position the 4 channels sum to 0.
    """
    from captum.attr import GradientShap

    if not isinstance(x, torch.Tensor) or x.ndim != 3 or x.shape[1] != 4 or x.shape[0] < 1:
        shape = tuple(x.shape) if hasattr(x, "shape") else type(x).__name__
        raise ValueError(f"x: shape {shape}; expected a torch.Tensor of shape (N >= 1, 4, L)")
    for name, value in (("n_references", n_references), ("n_samples", n_samples)):
        if int(value) < 1:
            raise ValueError(f"{name}={value}: must be an int >= 1")
    device = resolve_device(device)
    length = x.shape[2]
    x_in = (x if augmenter is None else augmenter.pad(x)).to(device=device, dtype=torch.float32)

    generator = torch.Generator().manual_seed(seed)
    references = random_dna(n_references, x_in.shape[2], torch.float32, generator, "cpu")
    references = references.to(device)
    call_seeds = torch.randint(0, 2**62, (x.shape[0],), generator=generator).tolist()

    was_training = model.training
    model.eval()
    try:
        with model_on(model, device):
            with torch.no_grad():
                outputs = model(x_in[:1])
            if outputs.ndim != 2 or not 0 <= output < outputs.shape[1]:
                raise ValueError(
                    f"output={output}: the model's output has shape {tuple(outputs.shape)}; "
                    f"output must index its last axis (0 .. {outputs.shape[-1] - 1})"
                )
            explainer = GradientShap(model)
            maps = np.empty((x.shape[0], 4, length), dtype=np.float32)
            for index in tqdm(range(x.shape[0]), disable=not verbose, desc="GradientShap"):
                with _global_rngs_seeded(call_seeds[index], device):
                    attribution = explainer.attribute(
                        x_in[index : index + 1],
                        baselines=references,
                        n_samples=n_samples,
                        target=output,
                    )
                attribution = attribution[0, :, :length]
                corrected = attribution - attribution.mean(dim=0, keepdim=True)
                maps[index] = corrected.detach().cpu().numpy()
    finally:
        model.train(was_training)
    return maps


def select_top_sequences(y, output: int, n: int) -> np.ndarray:
    """Indices of the ``n`` sequences with the highest activity in output ``output``.

    Parameters
    ----------
    y : numpy.ndarray or torch.Tensor, shape=(N, T)
        Measured activities (e.g. ``y_test``).
    output : int
        Column to rank by.
    n : int
        How many to return, 1 .. N.

    Returns
    -------
    numpy.ndarray, shape=(n,), int64
        Highest activity first; ties keep the data order.
    """
    y = y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else np.asarray(y)
    if y.ndim != 2:
        raise ValueError(f"y: shape {y.shape}; expected (N, T)")
    if not 0 <= output < y.shape[1]:
        raise ValueError(
            f"output={output}: must be in 0 .. {y.shape[1] - 1} (y has {y.shape[1]} columns)"
        )
    if not 1 <= n <= y.shape[0]:
        raise ValueError(f"n={n}: must be in 1 .. {y.shape[0]} (the number of sequences)")
    return np.argsort(-y[:, output], kind="stable")[:n].astype(np.int64)


def attribution_auroc(attr: np.ndarray, truth_mask: np.ndarray) -> float:
    """How well attribution magnitude separates planted-motif positions from the rest.

    The score of a position is the sum over the 4 channels of the absolute (corrected)
    attribution; the AUROC (Mann-Whitney, ties count one half) is computed over all
    positions of all sequences pooled.

    Parameters
    ----------
    attr : numpy.ndarray, shape=(N, 4, L) or (4, L)
        Attribution maps, e.g. from :func:`gradient_shap`.
    truth_mask : numpy.ndarray of bool, shape=(N, L) or (L,)
        True at positions covered by a planted motif.

    Returns
    -------
    float
        0.5 for no information, 1 when every motif position outscores every other.
    """
    attr = np.asarray(attr, dtype=np.float64)
    truth_mask = np.asarray(truth_mask)
    if attr.ndim not in (2, 3) or attr.shape[-2] != 4:
        raise ValueError(f"attr: shape {attr.shape}; expected (N, 4, L) or (4, L)")
    expected = attr.shape[:-2] + attr.shape[-1:]
    if truth_mask.shape != expected:
        raise ValueError(f"truth_mask: shape {truth_mask.shape}; expected {expected} to match attr")
    if truth_mask.dtype != bool:
        raise ValueError(f"truth_mask: dtype {truth_mask.dtype}; expected bool")
    if truth_mask.all() or not truth_mask.any():
        raise ValueError("truth_mask: needs both motif (True) and background (False) positions")
    score = np.abs(attr).sum(axis=-2)
    return auroc(truth_mask.ravel().astype(np.int64), score.ravel())


def _logo_frame(matrix: np.ndarray) -> pd.DataFrame:
    """An ``(L, 4)`` matrix as Logomaker's frame: one row per position, columns A, C, G, T."""
    return pd.DataFrame(matrix, columns=list(ALPHABET))


def _draw_logo(ax, frame: pd.DataFrame) -> None:
    # Logomaker's glyph placement, one path per letter (see evoaugflow.plots.logo).
    draw_logo(ax, frame.to_numpy())
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _new_grid(
    n_rows: int, n_cols: int, layout: str | None = "constrained"
) -> tuple[Figure, np.ndarray]:
    figure = Figure(figsize=LOGO_FIGSIZE_INCHES, dpi=DPI, layout=layout)
    FigureCanvasAgg(figure)
    return figure, figure.subplots(n_rows, n_cols, squeeze=False)


def _save_png(figure: Figure, path: str | os.PathLike) -> Path:
    with atomic_path(path, suffix=".png") as tmp:
        figure.savefig(tmp, format="png", dpi=DPI)
    return Path(path)


def plot_attribution_logos(
    arrays_by_model: Mapping[str, np.ndarray],
    path: str | os.PathLike,
    title: str,
    x: np.ndarray | torch.Tensor | None = None,
) -> Path:
    """Attribution logos of one sequence, one row per model, on a shared y scale.

    Parameters
    ----------
    arrays_by_model : mapping {model label: numpy.ndarray, shape=(4, L)}
        E.g. ``{"baseline": ..., "EvoAug": ..., "EvoAug + finetune": ...}``: corrected
        attribution maps of the same sequence, drawn top to bottom in mapping order.
    path : str or PathLike
        PNG to write (1200 x 600 pixels), atomically.
    title : str
        Figure title (e.g. the sequence and output).
    x : numpy.ndarray or torch.Tensor, shape=(4, L), optional
        The one-hot sequence. When given, each logo shows the observed-base attribution
        ``x * attr`` (one letter per position, its height the attribution of the base
        that is there, as in the paper). Default None: the arrays are drawn as given.

    Returns
    -------
    pathlib.Path
    """
    if not arrays_by_model:
        raise ValueError("arrays_by_model: empty; give {model label: (4, L) array}")
    arrays = {
        label: np.asarray(array, dtype=np.float64) for label, array in arrays_by_model.items()
    }
    shapes = {array.shape for array in arrays.values()}
    if len(shapes) != 1 or next(iter(shapes))[0] != 4 or len(next(iter(shapes))) != 2:
        raise ValueError(f"arrays_by_model: shapes {sorted(shapes)}; expected one shape (4, L)")
    if x is not None:
        x = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
        if x.shape != next(iter(shapes)):
            raise ValueError(f"x: shape {x.shape}; expected {next(iter(shapes))} like the arrays")
        arrays = {label: array * x for label, array in arrays.items()}

    low = min(0.0, min(array.clip(max=0).sum(axis=0).min() for array in arrays.values()))
    high = max(0.0, max(array.clip(min=0).sum(axis=0).max() for array in arrays.values()))
    margin = 0.05 * (high - low) or 1.0
    figure, axes = _new_grid(len(arrays), 1)
    for ax, (label, array) in zip(axes[:, 0], arrays.items(), strict=True):
        _draw_logo(ax, _logo_frame(array.T))
        ax.set_ylim(low - margin, high + margin)
        ax.set_title(label, fontsize=10, loc="left")
        ax.set_ylabel("attribution")
    axes[-1, 0].set_xlabel("position (nt)")
    figure.suptitle(title)
    return _save_png(figure, path)


def plot_filter_logos(
    motifs: Sequence[Motif],
    best_matches: pd.DataFrame,
    path: str | os.PathLike,
    max_filters: int = 32,
    n_cols: int = 8,
    title: str = "First-layer filters and their best JASPAR match",
) -> Path:
    """A grid of filter logos (information content) with their best database match.

    Filters are ordered by the q-value of their best match (matched first, the input
    order among equals); the first ``max_filters`` are drawn. Each panel's title names
    the filter, its number of sites, the best match's name and q-value (or "no match").

    Parameters
    ----------
    motifs : sequence of Motif
        Filter motifs (e.g. from :func:`evoaugflow.filters.filter_motifs`).
    best_matches : pandas.DataFrame
        From :func:`evoaugflow.tomtom.best_matches` (columns ``Query_ID``,
        ``Target_name``, ``q-value``); filters absent from it have no match.
    path : str or PathLike
        PNG to write (1200 x 600 pixels), atomically.
    max_filters : int, default=32
    n_cols : int, default=8
    title : str, default="First-layer filters and their best JASPAR match"

    Returns
    -------
    pathlib.Path
    """
    import logomaker

    motifs = list(motifs)
    if not motifs:
        raise ValueError("motifs: empty; nothing to draw")
    if max_filters < 1 or n_cols < 1:
        raise ValueError(f"max_filters={max_filters}, n_cols={n_cols}: both must be >= 1")
    missing = {"Query_ID", "Target_name", "q-value"} - set(best_matches.columns)
    if missing:
        raise ValueError(
            f"best_matches: missing columns {sorted(missing)}; use tomtom.best_matches"
        )
    best = best_matches.drop_duplicates("Query_ID").set_index("Query_ID")
    q_of = [float(best["q-value"].get(motif.id, np.inf)) for motif in motifs]
    shown = [motifs[index] for index in np.argsort(q_of, kind="stable")[:max_filters]]

    n_rows = -(-len(shown) // n_cols)
    # Fixed margins, not the constrained layout: its tight boxes of 32 panels' ticks
    # took longer than the logos (benchmarks/logos.py).
    figure, axes = _new_grid(n_rows, min(n_cols, len(shown)), layout=None)
    figure.subplots_adjust(left=0.045, right=0.995, bottom=0.08, top=0.86, wspace=0.3, hspace=0.9)
    for ax in axes.ravel()[len(shown) :]:
        ax.set_axis_off()
    for ax, motif in zip(axes.ravel(), shown, strict=False):
        information = logomaker.transform_matrix(
            _logo_frame(motif.pfm), from_type="probability", to_type="information"
        )
        _draw_logo(ax, information)
        ax.set_ylim(0, 2)
        if motif.id in best.index:
            match = f"{best.at[motif.id, 'Target_name']} q={best.at[motif.id, 'q-value']:.1e}"
        else:
            match = "no match"
        ax.set_title(f"{motif.id} (n={motif.nsites})\n{match}", fontsize=7)
        ax.tick_params(labelsize=6)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
        ax.yaxis.set_major_locator(FixedLocator([0, 1, 2]))
    for ax in axes[:, 0]:
        ax.set_ylabel("bits", fontsize=7)
    for ax in axes[-1, :]:
        ax.set_xlabel("position", fontsize=7)
    figure.suptitle(title)
    return _save_png(figure, path)


#: Columns of a truth table that the attribution scores read.
TRUTH_COLUMNS = ("split", "index", "motif", "start", "end")


def read_truth(path: str | os.PathLike) -> pd.DataFrame:
    """A truth TSV of planted sites, checked for :data:`TRUTH_COLUMNS` (the file is named)."""
    sites = pd.read_csv(path, sep="\t")
    require_columns(sites, TRUTH_COLUMNS, f"truth table {path}")
    return sites


def planted_mask(
    truth: str | os.PathLike | pd.DataFrame,
    chosen: np.ndarray,
    length: int,
    labels: Sequence[str] | None = None,
) -> np.ndarray:
    """Positions of planted motifs in the chosen test sequences, from a truth table.

    Parameters
    ----------
    truth : str, PathLike or pandas.DataFrame
        The truth TSV (:func:`read_truth`), or its table: columns ``split``, ``index``,
        ``motif``, ``start``, ``end`` (one row per planted site; rows of other splits
        are ignored).
    chosen : numpy.ndarray, shape=(n,)
        Test-split indices of the sequences, without repeats.
    length : int
        Sequence length L; sites are clipped to ``0 .. L``.
    labels : sequence of str, optional
        Keep only the sites whose ``motif`` label is one of these
        (:func:`evoaugflow.synthetic.causal_site_labels`). Default None: every site.

    Returns
    -------
    numpy.ndarray of bool, shape=(n, L)
    """
    sites = truth if isinstance(truth, pd.DataFrame) else read_truth(truth)
    sites = sites[sites["split"] == "test"]
    if labels is not None:
        sites = sites[sites["motif"].isin(list(labels))]
    row_of = {int(index): row for row, index in enumerate(chosen)}
    sites = sites[sites["index"].isin(list(row_of))]
    mask = np.zeros((len(chosen), length), dtype=bool)
    for site in sites.itertuples():
        mask[row_of[site.index], max(site.start, 0) : min(site.end, length)] = True
    return mask


def attribute_top_sequences(
    model_path: str | os.PathLike,
    data_path: str | os.PathLike,
    arrays_path: str | os.PathLike,
    scores_path: str | os.PathLike,
    run: dict,
    output: int = 0,
    n_sequences: int = 4,
    n_references: int = 1000,
    n_samples: int = 100,
    truth_path: str | os.PathLike | None = None,
    causal: Sequence[str] | None = None,
    device: str | torch.device = "auto",
    threads: int = 1,
) -> float:
    """Explain a saved model's top-activity test sequences and score the maps (rule attribute).

    Parameters
    ----------
    model_path, data_path : str or PathLike
        A ``model.pt`` and its data set's h5 file.
    arrays_path : str or PathLike
        Written: npz with ``attributions`` ``(n, 4, L)``, ``x`` ``(n, 4, L)`` and
        ``index`` ``(n,)`` (test-split indices, highest activity first).
    scores_path : str or PathLike
        Written: a one-row TSV, ``run``'s entries plus ``n_sequences``,
        ``attribution_auroc`` (NaN without planted sites) and ``causal_attribution_auroc``.
    run : dict
        The run's identity (dataset, augset, stage, seed, ...); ``run["seed"]`` seeds
        GradientShap.
    output : int, default 0
        The output column explained and ranked by.
    n_sequences, n_references, n_samples : int
        See :func:`select_top_sequences` and :func:`gradient_shap`.
    truth_path : str or PathLike, optional
        Planted-site table (see :func:`planted_mask`); default None: no score.
    causal : sequence of str, optional
        Truth-table labels of the sites of the motifs that ``output`` depends on
        (:func:`evoaugflow.synthetic.causal_site_labels`): ``causal_attribution_auroc``
        scores the map against those sites only. A correct model gives a motif without
        an effect on ``output`` no attribution, so its sites cap the AUROC over all
        planted sites below 1. Default None: NaN.
    device : {"auto", "cpu", "cuda"} or torch.device, default "auto"
    threads : int, default 1
        CPU threads for torch.

    Returns
    -------
    float
        The attribution AUROC (NaN without a usable truth mask).
    """
    torch.set_num_threads(threads)
    model, augmenter, _ = load_model(model_path)
    data = load_dataset(data_path)
    chosen = select_top_sequences(data.y_test, output, n_sequences)
    x = data.x_test[torch.as_tensor(chosen)]
    attributions = gradient_shap(
        model,
        x,
        output=output,
        n_references=n_references,
        n_samples=n_samples,
        seed=run["seed"],
        device=device,
        augmenter=augmenter,
    )
    score = causal_score = np.nan
    if truth_path:
        truth = read_truth(truth_path)
        mask = planted_mask(truth, chosen, x.shape[-1])
        if mask.any() and not mask.all():
            score = attribution_auroc(attributions, mask)
        if causal:
            mask = planted_mask(truth, chosen, x.shape[-1], labels=causal)
            if mask.any() and not mask.all():
                causal_score = attribution_auroc(attributions, mask)
    print(
        f"{len(chosen)} sequences, attribution AUROC {score}; at the sites of the motifs "
        f"output {output} depends on ({', '.join(causal or []) or 'none given'}): {causal_score}"
    )
    with atomic_path(arrays_path, suffix=".npz") as tmp:
        with open(tmp, "wb") as handle:
            np.savez_compressed(handle, attributions=attributions, x=x.numpy(), index=chosen)
    write_tsv(
        pd.DataFrame(
            [
                dict(
                    run,
                    n_sequences=len(chosen),
                    attribution_auroc=score,
                    causal_attribution_auroc=causal_score,
                )
            ]
        ),
        scores_path,
    )
    return score


def plot_attribution_files(
    paths: Sequence[str | os.PathLike],
    labels: Sequence[str],
    out_path: str | os.PathLike,
    title: str,
) -> Path:
    """Logos of the first sequence's maps of several models (rule plot_attribution).

    Parameters
    ----------
    paths : sequence of str or PathLike
        npz files of :func:`attribute_top_sequences`, one per model, of the same data.
    labels : sequence of str
        One per path, in the same order.
    out_path : str or PathLike
        PNG written.
    title : str
        Figure title; ``{index}`` is replaced by the sequence's test-split index.

    Returns
    -------
    pathlib.Path
    """
    arrays, sequence, index = {}, None, None
    for label, path in zip(labels, paths, strict=True):
        with np.load(path) as saved:
            arrays[label] = saved["attributions"][0]
            sequence = saved["x"][0]
            index = int(saved["index"][0])
    return plot_attribution_logos(arrays, out_path, title=title.format(index=index), x=sequence)

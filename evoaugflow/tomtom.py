"""Tomtom motif comparison with MEME's q-values, and filter-level summaries.

:func:`tomtom` compares query motifs (e.g. first-layer filters) with a database (e.g.
JASPAR 2022 CORE vertebrates) and returns a table in the layout of MEME's ``tomtom -text``
output. By default the p-values come from ``memelite``'s Tomtom (complete scores,
Euclidean column distance, MEME's ``-dist ed``); ``use_meme_binary=True`` runs the MEME
suite's ``tomtom`` instead and parses its output into the same table.

What this module adds to memelite, following MEME's ``tomtom`` (REFERENCE.md section 7):

* **Pseudocount.** Like ``tomtom -motif-pseudo``, every query and target matrix becomes
  ``(pfm * nsites + pseudo * 0.25) / (nsites + pseudo)`` before comparison (uniform
  background). The default ``motif_pseudo=0.1`` is MEME's default; ``motif_pseudo=0`` is
  the setting under which memelite was checked against MEME 5.5.8.
* **Orientations.** Each target is scored in both orientations as two separate entries
  (memelite with ``reverse_complement=False`` on the targets plus their reverse
  complements; the background columns are the same 2N matrices memelite uses with
  ``reverse_complement=True``). Each entry's p-value is corrected for the two strands as
  ``1 - (1 - p) ** 2``.
* **q-values.** Per query, over all 2N strand-corrected entries, with Storey's method:
  see :func:`storey_qvalues`. The better orientation of each target is then reported
  (smaller p-value; ties go to the larger overlap, then to ``+``), with its own q-value,
  and ``E-value = p * N``.

numba compiles memelite's kernels on the first call (about a minute); the compiled code
is cached on disk. When ``NUMBA_CACHE_DIR`` is unset, it is set to a per-user cache,
``$XDG_CACHE_HOME/evoaugflow/numba`` (default ``~/.cache/evoaugflow/numba``), before
memelite is first imported, so that every checkout and every workflow job on a machine
shares one compilation; :func:`warm_up` (run by ``.ci/setup``) does it ahead of time.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from evoaugflow.meme import ALPHABET, Motif, write_meme

DEFAULT_EXCLUDE = ("MA1929.1", "MA0615.1")
TOMTOM_COLUMNS = (
    "Query_ID",
    "Target_ID",
    "Optimal_offset",
    "p-value",
    "E-value",
    "q-value",
    "Overlap",
    "Query_consensus",
    "Target_consensus",
    "Orientation",
    "Target_name",
)
_COMPLEMENT = str.maketrans(ALPHABET, ALPHABET[::-1])


def _memelite_tomtom():
    """memelite's ``tomtom``, imported with numba's on-disk cache in place."""
    user_cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    cache_dir = os.environ.setdefault("NUMBA_CACHE_DIR", str(user_cache / "evoaugflow" / "numba"))
    from numba.core import config

    # numba reads the variable once, when it is first imported; memelite's kernels take
    # their cache folder from the config when memelite is imported, just below.
    config.CACHE_DIR = cache_dir
    from memelite import tomtom

    return tomtom


def apply_pseudocount(motif: Motif, pseudocount: float) -> np.ndarray:
    """MEME's motif pseudocount over a uniform background.

    Parameters
    ----------
    motif : Motif
    pseudocount : float
        Total pseudo-sites spread over A, C, G, T; 0 leaves the matrix unchanged.

    Returns
    -------
    numpy.ndarray, shape=(w, 4)
        ``(pfm * nsites + pseudocount / 4) / (nsites + pseudocount)``.
    """
    return (motif.pfm * motif.nsites + pseudocount * 0.25) / (motif.nsites + pseudocount)


def consensus(pfm: np.ndarray) -> str:
    """Most probable letter per row of a ``(w, 4)`` matrix (the first on ties)."""
    return "".join(ALPHABET[index] for index in np.argmax(pfm, axis=1))


def storey_qvalues(
    pvalues: np.ndarray,
    n_bootstraps: int = 100,
    n_bootstrap_samples: int = 1000,
    n_lambda: int = 100,
    max_lambda: float = 0.5,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Storey q-values per row, with MEME's bootstrap choice of lambda.

    For each row (one query's p-values, m of them):

    1. ``pi0(lambda) = #{p >= lambda} / ((1 - lambda) m)`` on the grid
       ``lambda_i = max_lambda * i / n_lambda``, i = 1..n_lambda (0.005 .. 0.5 by
       default); infinite where no p-value reaches lambda.
    2. ``n_bootstraps`` resamples of ``n_bootstrap_samples`` p-values with replacement;
       for each lambda, the mean squared difference between the resample's
       ``pi0(lambda)`` and the smallest full-data ``pi0`` over the grid (Storey, Taylor
       and Siegmund 2004, as in MEME's ``qvalue.c``). The lambda with the smallest
       error (the first on ties) gives ``pi0``, clipped to [0, 1]. Rows with at most 100
       p-values use ``pi0 = 1``, as MEME does.
    3. ``q`` at rank k (ascending p) is ``min(1, pi0 p m / k)``, then the running
       minimum from the largest p down, so q is monotone in p and ties share a q.

    A resample only enters through how many of its values fall between consecutive
    grid points, so it is drawn as one multinomial count vector over those bins
    (the same distribution as resampling, vectorised over rows and resamples). The
    draws come from ``numpy.random.default_rng(seed)``, so pi0 is reproducible but not
    bit-identical to MEME's, whose resamples use its own generator.

    Parameters
    ----------
    pvalues : numpy.ndarray, shape=(Q, m) or (m,)
        p-values in [0, 1].
    n_bootstraps : int, default=100
    n_bootstrap_samples : int, default=1000
    n_lambda : int, default=100
    max_lambda : float, default=0.5
    seed : int, default=0

    Returns
    -------
    qvalues : numpy.ndarray, same shape as ``pvalues``
    pi0 : numpy.ndarray, shape=(Q,) (a 0-d array for 1-D input)
    """
    p = np.asarray(pvalues, dtype=np.float64)
    one_row = p.ndim == 1
    p = np.atleast_2d(p)
    if p.ndim != 2 or p.shape[1] < 1:
        raise ValueError(f"pvalues: shape {np.shape(pvalues)}; expected (Q, m) or (m,), m >= 1")
    if not np.all((p >= 0) & (p <= 1)):
        raise ValueError("pvalues: every value must be in [0, 1] (NaN is not allowed)")
    if not 0 < max_lambda < 1:
        raise ValueError(f"max_lambda={max_lambda}: must be in (0, 1); MEME uses 0.5")
    for name, value in (
        ("n_bootstraps", n_bootstraps),
        ("n_bootstrap_samples", n_bootstrap_samples),
        ("n_lambda", n_lambda),
    ):
        if int(value) < 1:
            raise ValueError(f"{name}={value}: must be an int >= 1")
    n_rows, m = p.shape
    lambdas = max_lambda * np.arange(1, n_lambda + 1) / n_lambda

    # bins[r, k] = how many p-values of row r reach exactly k grid points (0..n_lambda).
    reached = np.searchsorted(lambdas, p, side="right")
    flat = (np.arange(n_rows)[:, None] * (n_lambda + 1) + reached).ravel()
    bins = np.bincount(flat, minlength=n_rows * (n_lambda + 1)).reshape(n_rows, n_lambda + 1)

    def pi0_on_grid(bin_counts: np.ndarray, total: int) -> np.ndarray:
        # p >= lambda_i  <=>  the value reaches more than i grid points.
        at_or_above = np.cumsum(bin_counts[..., ::-1], axis=-1)[..., ::-1][..., 1:]
        with np.errstate(divide="ignore"):
            return np.where(at_or_above > 0, at_or_above / ((1 - lambdas) * total), np.inf)

    pi0_full = pi0_on_grid(bins, m)
    rng = np.random.default_rng(seed)
    resampled = rng.multinomial(n_bootstrap_samples, bins / m, size=(n_bootstraps, n_rows))
    pi0_boot = pi0_on_grid(resampled, n_bootstrap_samples)
    with np.errstate(invalid="ignore"):
        squared = (pi0_boot - pi0_full.min(axis=1)[None, :, None]) ** 2
    squared[np.isnan(squared)] = np.inf  # inf - inf: no estimate at that lambda
    best = np.argmin(squared.sum(axis=0), axis=1)
    pi0 = np.clip(pi0_full[np.arange(n_rows), best], 0.0, 1.0)
    if m <= 100:
        pi0[:] = 1.0

    order = np.argsort(p, axis=1, kind="stable")
    ranked = np.take_along_axis(p, order, axis=1)
    fdr = np.minimum(1.0, pi0[:, None] * ranked * m / np.arange(1, m + 1))
    q_sorted = np.minimum.accumulate(fdr[:, ::-1], axis=1)[:, ::-1]
    qvalues = np.empty_like(p)
    np.put_along_axis(qvalues, order, q_sorted, axis=1)
    if one_row:
        return qvalues[0], pi0[0]
    return qvalues, pi0


def _check_motifs(name: str, motifs) -> list[Motif]:
    motifs = list(motifs)
    if not motifs or not all(isinstance(motif, Motif) for motif in motifs):
        raise ValueError(f"{name}: expected a non-empty sequence of evoaugflow.meme.Motif")
    ids = [motif.id for motif in motifs]
    if len(set(ids)) != len(ids):
        duplicates = sorted({motif_id for motif_id in ids if ids.count(motif_id) > 1})
        raise ValueError(f"{name}: duplicate ids {duplicates[:5]}; ids must be unique")
    return motifs


def _memelite_table(
    queries: list[Motif], targets: list[Motif], motif_pseudo: float, seed: int, n_jobs: int
) -> pd.DataFrame:
    tomtom_kernel = _memelite_tomtom()
    forward = [apply_pseudocount(motif, motif_pseudo) for motif in targets]
    # memelite wants (4, w) matrices; the reverse complement flips both axes.
    both = [np.ascontiguousarray(pfm.T) for pfm in forward]
    both += [np.ascontiguousarray(pfm.T[::-1, ::-1]) for pfm in forward]
    query_arrays = [np.ascontiguousarray(apply_pseudocount(m, motif_pseudo).T) for m in queries]
    raw_p, _scores, offsets, overlaps, _strands = tomtom_kernel(
        query_arrays, both, n_nearest=None, reverse_complement=False, n_jobs=n_jobs
    )
    n_targets = len(targets)
    p_strands = np.clip(raw_p * (2.0 - raw_p), 0.0, 1.0)
    q_strands, _pi0 = storey_qvalues(p_strands, seed=seed)

    def split(values):
        return values[:, :n_targets], values[:, n_targets:]

    (p_fwd, p_rc), (ov_fwd, ov_rc) = split(p_strands), split(overlaps)
    use_rc = (p_rc < p_fwd) | ((p_rc == p_fwd) & (ov_rc > ov_fwd))

    def pick(values):
        forward_values, rc_values = split(values)
        return np.where(use_rc, rc_values, forward_values)

    n_queries = len(queries)
    target_consensus = np.array([consensus(pfm) for pfm in forward])
    target_consensus_rc = np.array([text[::-1].translate(_COMPLEMENT) for text in target_consensus])
    p_best = pick(p_strands)
    table = pd.DataFrame(
        {
            "Query_ID": np.repeat([motif.id for motif in queries], n_targets),
            "Target_ID": np.tile([motif.id for motif in targets], n_queries),
            "Optimal_offset": pick(offsets).astype(np.int64).ravel(),
            "p-value": p_best.ravel(),
            "E-value": (p_best * n_targets).ravel(),
            "q-value": pick(q_strands).ravel(),
            "Overlap": pick(overlaps).astype(np.int64).ravel(),
            "Query_consensus": np.repeat(
                [consensus(apply_pseudocount(m, motif_pseudo)) for m in queries], n_targets
            ),
            "Target_consensus": np.where(use_rc, target_consensus_rc, target_consensus).ravel(),
            "Orientation": np.where(use_rc, "-", "+").ravel(),
            "Target_name": np.tile([motif.name for motif in targets], n_queries),
        }
    )
    return table


def _meme_binary_table(
    queries: list[Motif], targets: list[Motif], motif_pseudo: float
) -> pd.DataFrame:
    executable = shutil.which("tomtom")
    if executable is None:
        raise ValueError(
            "use_meme_binary=True: the MEME suite's `tomtom` is not on PATH; install the "
            "MEME suite (https://meme-suite.org) or use use_meme_binary=False (memelite)"
        )
    with tempfile.TemporaryDirectory(prefix="evoaugflow_tomtom_") as folder:
        query_path, target_path = Path(folder, "queries.meme"), Path(folder, "targets.meme")
        write_meme(query_path, queries)
        write_meme(target_path, targets)
        # -thresh 1 keeps every pair, so the table is complete like memelite's.
        command = [
            executable, "-no-ssc", "-text", "-verbosity", "1", "-dist", "ed",
            "-min-overlap", "1", "-motif-pseudo", repr(float(motif_pseudo)),
            "-thresh", "1", str(query_path), str(target_path),
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} exited with {result.returncode}: {result.stderr[-2000:]}"
        )
    table = pd.read_csv(
        io.StringIO(result.stdout), sep="\t", comment="#", dtype={"Query_ID": str, "Target_ID": str}
    )
    names = {motif.id: motif.name for motif in targets}
    table["Target_name"] = table["Target_ID"].map(names)
    return table


def tomtom(
    query_motifs: Sequence[Motif],
    target_motifs: Sequence[Motif],
    exclude: Sequence[str] = DEFAULT_EXCLUDE,
    motif_pseudo: float = 0.1,
    q_threshold: float | None = None,
    seed: int = 0,
    use_meme_binary: bool = False,
    n_jobs: int = -1,
) -> pd.DataFrame:
    """Compare every query motif with every target motif, MEME ``tomtom`` style.

    Parameters
    ----------
    query_motifs : sequence of Motif
        E.g. first-layer filters from :func:`evoaugflow.filters.filter_motifs`.
    target_motifs : sequence of Motif
        E.g. the 841 JASPAR 2022 CORE vertebrate motifs. p-values use the target
        columns as background: give a whole database (memelite warns below 25 targets).
    exclude : sequence of str, default=("MA1929.1", "MA0615.1")
        Target IDs removed before comparison (the paper's exclusions); IDs absent from
        ``target_motifs`` are ignored.
    motif_pseudo : float, default=0.1
        MEME's ``-motif-pseudo`` (see the module docstring); >= 0.
    q_threshold : float, optional
        Keep only rows with ``q-value <= q_threshold`` (MEME's ``-thresh``). Default
        None: every query-target pair.
    seed : int, default=0
        Seeds the bootstrap of :func:`storey_qvalues`.
    use_meme_binary : bool, default=False
        Run the MEME suite's ``tomtom`` (``-dist ed -min-overlap 1 -thresh 1``, the same
        pseudocount) instead of memelite; ValueError when it is not on PATH.
    n_jobs : int, default=-1
        numba threads for memelite; -1 uses all.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TOMTOM_COLUMNS`: MEME's ``Query_ID, Target_ID, Optimal_offset,
        p-value, E-value, q-value, Overlap, Query_consensus, Target_consensus,
        Orientation`` plus ``Target_name``. One row per query and target (better
        orientation), queries in input order, each query's rows by ascending p-value.
        ``Optimal_offset`` o aligns query column i with target column i + o (in the
        reported orientation); ``Target_consensus`` is in that orientation.
    """
    queries = _check_motifs("query_motifs", query_motifs)
    excluded = set(exclude)
    targets = [motif for motif in _check_motifs("target_motifs", target_motifs)
               if motif.id not in excluded]  # fmt: skip
    if not targets:
        raise ValueError(f"target_motifs: none left after exclude={sorted(excluded)}")
    if not motif_pseudo >= 0:
        raise ValueError(f"motif_pseudo={motif_pseudo}: must be >= 0 (MEME's default is 0.1)")
    if q_threshold is not None and not 0 < q_threshold <= 1:
        raise ValueError(f"q_threshold={q_threshold}: must be in (0, 1] or None")

    if use_meme_binary:
        table = _meme_binary_table(queries, targets, motif_pseudo)
    else:
        table = _memelite_table(queries, targets, motif_pseudo, seed, n_jobs)
    query_rank = table["Query_ID"].map({motif.id: index for index, motif in enumerate(queries)})
    # Queries in input order; within a query by p-value, then larger overlap first.
    order = np.lexsort((-table["Overlap"].to_numpy(), table["p-value"].to_numpy(), query_rank))
    table = table.take(order)
    if q_threshold is not None:
        table = table[table["q-value"] <= q_threshold]
    return table.loc[:, list(TOMTOM_COLUMNS)].reset_index(drop=True)


def best_matches(table: pd.DataFrame, q_threshold: float | None = 0.05) -> pd.DataFrame:
    """The best target of each query: smallest q-value, then smallest p-value.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`tomtom`.
    q_threshold : float or None, default=0.05
        Queries whose best q-value is not below this have no match and are left out.
        None keeps every query's best row.

    Returns
    -------
    pandas.DataFrame
        One row per (kept) query, in the order queries first appear in ``table``.
    """
    missing = {"Query_ID", "q-value", "p-value"} - set(table.columns)
    if missing:
        raise ValueError(f"table: missing columns {sorted(missing)}; pass the output of tomtom()")
    order = {query: index for index, query in enumerate(pd.unique(table["Query_ID"]))}
    best = (
        table.sort_values(["q-value", "p-value"], kind="stable")
        .drop_duplicates("Query_ID")
        .sort_values("Query_ID", key=lambda ids: ids.map(order))
    )
    if q_threshold is not None:
        best = best[best["q-value"] < q_threshold]
    return best.reset_index(drop=True)


def filter_summary(
    table: pd.DataFrame, filter_ids: Sequence[str], q_threshold: float = 0.05
) -> dict:
    """Hit rate and average best q-value of a set of filters.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`tomtom` for the filters that have sites (queries).
    filter_ids : sequence of str
        Every filter of the layer, those without sites included (e.g.
        ``filter_table(counts)["motif_id"]``): they are the denominator.
    q_threshold : float, default=0.05
        A filter is matched when its best q-value is below this.

    Returns
    -------
    dict
        ``n_filters`` (all), ``n_with_sites`` (those in ``table``), ``n_matched``,
        ``hit_rate = n_matched / n_filters``, ``mean_best_qvalue`` (mean over all filters
        of each one's smallest q-value; a filter without sites, absent from the table,
        counts as q = 1), ``matched_motifs`` (sorted distinct ``Target_name`` of the
        matched filters' best matches) and ``q_threshold``.
    """
    filter_ids = list(filter_ids)
    if not filter_ids:
        raise ValueError("filter_ids: empty; list every filter of the layer")
    unknown = sorted(set(table["Query_ID"]) - set(filter_ids))
    if unknown:
        raise ValueError(
            f"table: queries {unknown[:5]} are not in filter_ids; list every filter of the layer"
        )
    best = best_matches(table, q_threshold=None).set_index("Query_ID")
    best_q = best["q-value"].reindex(filter_ids).fillna(1.0).to_numpy()
    matched = best[best["q-value"] < q_threshold]
    return {
        "n_filters": len(filter_ids),
        "n_with_sites": len(best),
        "n_matched": len(matched),
        "hit_rate": len(matched) / len(filter_ids),
        "mean_best_qvalue": float(best_q.mean()),
        "matched_motifs": sorted(set(matched["Target_name"].astype(str))),
        "q_threshold": q_threshold,
    }


def warm_up() -> float:
    """Compile memelite's numba kernels into the on-disk cache; return the seconds taken.

    A tiny comparison (two random queries against 30 random targets) goes through the
    same kernels, with the same argument types, as a full run, so later runs start warm.
    """
    import time

    rng = np.random.default_rng(0)
    motifs = [
        Motif(f"m{index}", f"m{index}", rng.dirichlet(np.ones(4), size=width))
        for index, width in enumerate([8, 12] + [10] * 30)
    ]
    start = time.perf_counter()
    tomtom(motifs[:2], motifs[2:], exclude=())
    return time.perf_counter() - start

"""Which generator makes each synthetic data-set source of the config (``source:`` key)."""

from __future__ import annotations

import inspect
import os
from collections.abc import Mapping, Sequence

from evoaugflow.synthetic.basset import basset_causal_motifs, make_basset_benchmark
from evoaugflow.synthetic.chip import CHIP_WEAK_SUFFIX, make_chip_benchmark
from evoaugflow.synthetic.controls import make_control_benchmark
from evoaugflow.synthetic.deepstarr import deepstarr_causal_motifs, make_deepstarr_benchmark
from evoaugflow.synthetic.motifs import DEFAULT_PANEL

#: The generator of each synthetic source that writes an h5 data set and its truth TSV
#: directly (``synthetic_chip`` writes a genome and peaks instead: ``make_chip_benchmark``).
DATASET_MAKERS = {
    "synthetic_deepstarr": make_deepstarr_benchmark,
    "synthetic_basset": make_basset_benchmark,
    "synthetic_control": make_control_benchmark,
}
#: Tasks (label columns) of each generator, where its settings do not say.
DATASET_TASKS = {"synthetic_deepstarr": 2, "synthetic_control": 1}


def make_dataset(
    source: str,
    path_h5: str | os.PathLike,
    truth_path: str | os.PathLike,
    panel: Sequence[str] = DEFAULT_PANEL,
    **settings,
) -> dict:
    """Write the data set of one synthetic ``source`` with its generator.

    Parameters
    ----------
    source : {"synthetic_deepstarr", "synthetic_basset", "synthetic_control"}
        A key of :data:`DATASET_MAKERS`.
    path_h5, truth_path : str or PathLike
        The h5 data set and the TSV of planted sites to write.
    panel : sequence of str, default=DEFAULT_PANEL
    **settings
        Further keyword arguments of the generator (``seed``, ``release``, sizes...).

    Returns
    -------
    dict
        The generator's record (split sizes and statistics).
    """
    if source not in DATASET_MAKERS:
        raise ValueError(
            f"source: {source!r} is not made by a data-set generator; expected one of "
            f"{list(DATASET_MAKERS)}"
        )
    return DATASET_MAKERS[source](path_h5, truth_path, panel, **settings)


def generator_setting(source: str, settings: Mapping, name: str):
    """A setting of a synthetic source's generator: the config's value (``settings``, the
    data set's ``synthetic`` mapping), else the generator's own default."""
    if name in settings:
        return settings[name]
    makers = {**DATASET_MAKERS, "synthetic_chip": make_chip_benchmark}
    if source not in makers:
        raise ValueError(f"source: {source!r} has no generator; expected one of {list(makers)}")
    parameters = inspect.signature(makers[source]).parameters
    if name not in parameters:
        raise ValueError(f"{source} has no setting {name!r}; its settings: {list(parameters)}")
    return parameters[name].default


def causal_motifs(
    source: str, panel: Sequence[str], settings: Mapping | None = None, output: int | None = None
) -> list[str]:
    """The planted panel motifs that a synthetic source's labels depend on, in panel order.

    Basset-like: the motifs of its first ``n_tasks`` logics
    (:func:`~evoaugflow.synthetic.basset.basset_causal_motifs`; the rest are distractors).
    DeepSTARR-like: the motifs with an effect or a grammar role (all ten of the default
    panel). ChIP-like: the focal factor (the decoys do not depend on the class).

    Parameters
    ----------
    source : {"synthetic_basset", "synthetic_deepstarr", "synthetic_chip"}
    panel : sequence of str
        The planted panel (``motif_panel`` of the config), in panel order.
    settings : mapping, optional
        The data set's ``synthetic`` settings (``n_tasks``, ``focal``); a setting left
        out takes the generator's default.
    output : int, optional
        One label column (the output an attribution map explains); default None: the
        motifs any label depends on.

    Returns
    -------
    list of str
    """
    settings = settings or {}
    panel = list(panel)
    if source == "synthetic_basset":
        n_tasks = generator_setting(source, settings, "n_tasks")
        return [panel[index] for index in basset_causal_motifs(n_tasks, output)]
    if source == "synthetic_deepstarr":
        return [panel[index] for index in deepstarr_causal_motifs(output)]
    if source == "synthetic_chip":
        if output not in (None, 0):
            raise ValueError(f"output: {output}; the ChIP-like set has one label (0)")
        return [generator_setting(source, settings, "focal")]
    raise ValueError(
        f"source: {source!r} has no planted-motif labels; expected synthetic_basset, "
        "synthetic_deepstarr or synthetic_chip"
    )


def causal_site_labels(
    source: str, panel: Sequence[str], settings: Mapping | None = None, output: int | None = None
) -> list[str]:
    """Truth-table labels of the planted sites that label ``output`` depends on.

    The :func:`causal_motifs`, and for the ChIP-like set also the weak focal instances,
    which its truth table labels ``<focal>_weak`` (:data:`CHIP_WEAK_SUFFIX`). Arguments
    as for :func:`causal_motifs`.
    """
    names = causal_motifs(source, panel, settings, output)
    if source == "synthetic_chip":
        names += [f"{name}{CHIP_WEAK_SUFFIX}" for name in names]
    return names

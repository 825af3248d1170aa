"""Which generator makes each synthetic data-set source of the config (``source:`` key)."""

from __future__ import annotations

import os
from collections.abc import Sequence

from evoaugflow.synthetic.basset import make_basset_benchmark
from evoaugflow.synthetic.controls import make_control_benchmark
from evoaugflow.synthetic.deepstarr import make_deepstarr_benchmark
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

"""Augmentation hyperparameter sweeps: the grid of the paper's panels and an Optuna search.

- :mod:`evoaugflow.sweep.candidates` (torch-free): the grid's candidates, the search
  space and the checks of both, read by the config check;
- :mod:`evoaugflow.sweep.selection`: validation scores, picks and ``best_config.yaml``;
- :mod:`evoaugflow.sweep.search`: the Optuna study (imports torch and optuna; import it
  by name).

The sweep's figures live in :mod:`evoaugflow.plots.sweep`. Importing this package loads
only the candidates; the names of :mod:`~evoaugflow.sweep.selection` load on first use.
"""

from evoaugflow.sweep.candidates import (
    CHOICE_DIMENSION,
    COMBO_PREFIX,
    KINDS,
    LENGTH_AUGMENTATIONS,
    STRENGTH_PARAMETER,
    SWEEP_SPLIT,
    Candidate,
    Dimension,
    parse_candidate_name,
    search_choices,
    search_space,
    spec_from_values,
    spec_problems,
    sweep_candidates,
    sweep_settings,
)

_SELECTION = (
    "apply_fragment",
    "best_config_fragment",
    "fragment_from_spec",
    "grid_picks",
    "pick_best",
    "rank_candidates",
    "require_validation_split",
    "score_candidates",
    "write_config_fragment",
)

__all__ = [
    "CHOICE_DIMENSION",
    "COMBO_PREFIX",
    "KINDS",
    "LENGTH_AUGMENTATIONS",
    "STRENGTH_PARAMETER",
    "SWEEP_SPLIT",
    "Candidate",
    "Dimension",
    "parse_candidate_name",
    "search_choices",
    "search_space",
    "spec_from_values",
    "spec_problems",
    "sweep_candidates",
    "sweep_settings",
    *_SELECTION,
]


def __getattr__(name: str):
    """The names of :mod:`evoaugflow.sweep.selection`, imported when first used."""
    if name in _SELECTION:
        from evoaugflow.sweep import selection

        return getattr(selection, name)
    raise AttributeError(f"module 'evoaugflow.sweep' has no attribute {name!r}")

"""The one table of augmentation parameters: name, type, default and bounds (torch-free).

Both :mod:`evoaugflow.augment` (the classes' defaults and argument checks) and the
workflow's config check (:mod:`evoaugflow.config`) read this table, and a test holds
``workflow/schemas/config.schema.yaml`` to it, so a default or a bound is stated here
and nowhere else.

Defaults are the paper's ChIP-seq / DeepSTARR settings (REFERENCE section 1). Bounds
that depend on the sequence length L are checked by :func:`length_problems`, which the
config check calls with the L read from the data set's h5 header (or its synthetic
settings) before any job runs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Param:
    """One augmentation argument.

    Attributes
    ----------
    name : str
        Argument name (the evoaug package's).
    kind : type
        ``int`` or ``float``.
    default : int or float
    low : int or float
        Smallest allowed value (inclusive).
    high : int or float or None
        Largest allowed value (inclusive), None for no fixed bound.
    length_bound : {"lt", "le"} or None
        Bound relative to the sequence length L: ``"lt"`` means ``value < L``, ``"le"``
        means ``value <= L``; None for none.
    description : str
    """

    name: str
    kind: type
    default: int | float
    low: int | float
    high: int | float | None = None
    length_bound: str | None = None
    description: str = ""


#: Parameters of each augmentation, by config key, in the classes' argument order.
AUGMENT_PARAMS: dict[str, tuple[Param, ...]] = {
    "mutation": (
        Param(
            "mutate_frac",
            float,
            0.05,
            0.0,
            0.75,
            description="Expected fraction of changed positions (0.75 redraws every base).",
        ),
    ),
    "translocation": (
        Param("shift_min", int, 0, 0, description="Smallest absolute circular shift (nt)."),
        Param("shift_max", int, 20, 0, description="Largest absolute circular shift (nt)."),
    ),
    "insertion": (
        Param("insert_min", int, 0, 0, description="Shortest insertion (nt)."),
        Param(
            "insert_max",
            int,
            20,
            0,
            description="Longest insertion (nt); also the columns added to every input.",
        ),
    ),
    "deletion": (
        Param("delete_min", int, 0, 0, description="Shortest deletion (nt)."),
        Param(
            "delete_max",
            int,
            30,
            0,
            length_bound="lt",
            description="Longest deletion (nt); below L so that a base is left.",
        ),
    ),
    "inversion": (
        Param("invert_min", int, 0, 0, description="Shortest inverted window (nt)."),
        Param(
            "invert_max",
            int,
            20,
            0,
            length_bound="le",
            description="Longest inverted window (nt); at most L.",
        ),
    ),
    "rc": (
        Param("rc_prob", float, 0.5, 0.0, 1.0, description="Probability of reverse complement."),
    ),
    "noise": (
        Param(
            "noise_mean",
            float,
            0.0,
            float("-inf"),
            description="Mean of the Gaussian noise added to the one-hot matrix.",
        ),
        Param("noise_std", float, 0.3, 0.0, description="Standard deviation of the noise."),
    ),
}

#: (min, max) argument pairs: the min may not exceed the max.
RANGE_PAIRS: dict[str, tuple[str, str]] = {
    name: (params[0].name, params[1].name)
    for name, params in AUGMENT_PARAMS.items()
    if len(params) == 2 and params[0].name.endswith("_min")
}

#: Composition settings of an Augmenter (:class:`evoaugflow.augment.Augmenter`).
#: ``max_augs_per_seq`` left unset is this many, capped at the number of augmentations.
MAX_AUGS_PER_SEQ_DEFAULT = 2
HARD_AUG_DEFAULT = True
INSERTION_MODES = ("pad", "trim")
INSERTION_MODE_DEFAULT = "pad"


def default_max_augs(n_augmentations: int) -> int:
    """``max_augs_per_seq`` when it is not given: 2, or fewer when fewer are listed."""
    return max(1, min(MAX_AUGS_PER_SEQ_DEFAULT, n_augmentations))


def param(augmentation: str, name: str) -> Param:
    """The table entry of argument ``name`` of ``augmentation``."""
    for entry in AUGMENT_PARAMS[augmentation]:
        if entry.name == name:
            return entry
    raise KeyError(f"{augmentation} has no parameter {name!r}")


def defaults(augmentation: str) -> dict[str, int | float]:
    """Default arguments of one augmentation, e.g. ``{"delete_min": 0, "delete_max": 30}``."""
    return {entry.name: entry.default for entry in AUGMENT_PARAMS[augmentation]}


def length_problems(
    augmentations: dict[str, dict],
    length: int,
    where: str,
    insertion_mode: str = INSERTION_MODE_DEFAULT,
) -> list[str]:
    """Bounds that depend on the sequence length, as ``<key path>: <reason and fix>``.

    Parameters
    ----------
    augmentations : dict
        ``{augmentation: {param: value}}`` (missing values take the defaults).
    length : int
        Sequence length L of the data set.
    where : str
        Key path of ``augmentations`` in the config, used in the messages.
    insertion_mode : {"pad", "trim"}, default "pad"
        With ``"trim"`` an insertion may be at most L long.

    Returns
    -------
    list of str
        Empty when every bound holds.
    """
    problems = []
    for name, values in augmentations.items():
        for entry in AUGMENT_PARAMS[name]:
            value = (values or {}).get(entry.name, entry.default)
            bound = entry.length_bound
            if name == "insertion" and entry.name == "insert_max" and insertion_mode == "trim":
                bound = "le"
            if bound == "lt" and value >= length:
                problems.append(
                    f"{where}.{name}.{entry.name}: {value} must be below the sequence length "
                    f"L={length}; set it to at most {length - 1}"
                )
            elif bound == "le" and value > length:
                problems.append(
                    f"{where}.{name}.{entry.name}: {value} must be at most the sequence length "
                    f"L={length}; set it to at most {length}"
                )
    return problems

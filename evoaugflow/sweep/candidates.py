"""Sweep candidates and the search space, checked without torch.

The paper tuned each augmentation's strength on its own and the number of augmentations
per sequence (hard or soft) on the combination (Figs S1-S5). This module turns a data
set's ``sweep`` config section into

- :class:`Candidate` runs of the full grid (:func:`sweep_candidates`): each swept
  augmentation at each strength, then the combination at each count, soft and hard. Their
  names (``deletion-30``, ``mutation-0.05``, ``combo-3-soft``) are stable, safe as folder
  names and Snakemake wildcards, and :func:`parse_candidate_name` reads them back;
- the search space of the Optuna search (:func:`search_space`): as the grid, one
  augmentation alone or the combination; the range of each augmentation's strength, and
  the combination's counts and hard/soft; :func:`spec_from_values` turns one point of it
  into an Augmenter spec.

Every spec is checked against the bounds of :mod:`evoaugflow.augment_params` here
(:func:`spec_problems`), so that the workflow's config check needs neither torch nor an
Augmenter. The bounds that depend on the sequence length are checked by the config check,
which knows the length.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Integral, Real

from evoaugflow.augment_params import AUGMENT_PARAMS, RANGE_PAIRS
from evoaugflow.stages import BASELINE

#: The parameter a sweep varies for each augmentation (the lower bounds stay as given).
STRENGTH_PARAMETER: dict[str, str] = {
    "translocation": "shift_max",
    "insertion": "insert_max",
    "deletion": "delete_max",
    "inversion": "invert_max",
    "mutation": "mutate_frac",
    "noise": "noise_std",
    "rc": "rc_prob",
}
#: Augmentations whose strength is a length in nucleotides (an integer).
LENGTH_AUGMENTATIONS = ("translocation", "insertion", "deletion", "inversion")

_LENGTHS = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
_FRACTIONS = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35]
#: The paper's sweep ranges (Figs S1-S5); a data set's ``sweep`` section overrides keys.
#: The schema's ``sweep`` description points here; tests/test_config.py holds the two to
#: the same key set.
DEFAULT_SWEEP: dict = {
    "augmentations": {
        "translocation": _LENGTHS,
        "insertion": _LENGTHS,
        "deletion": _LENGTHS,
        "inversion": _LENGTHS,
        "mutation": _FRACTIONS,
        "noise": _FRACTIONS,
        "rc": [0.1, 0.2, 0.3, 0.4, 0.5],
    },
    "combo_augmentations": None,
    "max_augs_per_seq": None,
    "hard_aug": [True, False],
    "finetune": True,
    "metric": None,
}
#: Name prefix of the combination candidates.
COMBO_PREFIX = "combo"
#: Kinds of rows in a score table, in display order.
KINDS = ("baseline", "single", COMBO_PREFIX)
#: The only split a sweep may choose on.
SWEEP_SPLIT = "valid"
#: Names of the search dimensions that are not strengths: what a trial trains (one
#: augmentation alone or the combination), and the combination's count and hard/soft.
CHOICE_DIMENSION = "augment"
COUNT_DIMENSION = "max_augs_per_seq"
HARD_DIMENSION = "hard_aug"
_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class Candidate:
    """One setting of the grid: a single augmentation at one strength, or a combination.

    Attributes
    ----------
    name : str
        ``<augmentation>-<strength>`` (``deletion-30``, ``mutation-0.05``) or
        ``combo-<n>-<hard|soft>``.
    kind : {"single", "combo"}
        ``combo`` combines the swept augmentations at the data set's base strengths.
    augmentation : str or None
        The swept augmentation of a ``single`` candidate, else None.
    strength : int, float or None
        Value of ``STRENGTH_PARAMETER[augmentation]`` for a ``single`` candidate.
    augment_spec : dict
        Augmenter spec in the config's format (``config.augment_spec``).
    """

    name: str
    kind: str
    augmentation: str | None
    strength: int | float | None
    augment_spec: dict

    @property
    def max_augs_per_seq(self) -> int:
        """Augmentations per sequence (1 for a single augmentation)."""
        return self.augment_spec["max_augs_per_seq"]

    @property
    def hard_aug(self) -> bool:
        """True when every sequence gets exactly ``max_augs_per_seq`` augmentations."""
        return self.augment_spec["hard_aug"]


@dataclass(frozen=True)
class Dimension:
    """One dimension of the Optuna search space.

    Attributes
    ----------
    name : str
        ``augment`` (what a trial trains), ``<augmentation>.<strength parameter>`` (e.g.
        ``deletion.delete_max``), ``max_augs_per_seq`` or ``hard_aug``.
    kind : {"int", "float", "categorical"}
    low, high : int or float or None
        Inclusive range of an ``int`` or ``float`` dimension.
    choices : tuple
        Values of a ``categorical`` dimension (empty otherwise).
    when : tuple
        Values of ``augment`` under which this dimension is drawn (empty: always).
    """

    name: str
    kind: str
    low: int | float | None = None
    high: int | float | None = None
    choices: tuple = ()
    when: tuple = ()

    def active(self, choice: str | None) -> bool:
        """Whether a trial that trains ``choice`` (the ``augment`` value) draws this."""
        return not self.when or choice is None or choice in self.when


# --------------------------------------------------------------------------- settings


def _require_int_list(values, where: str, minimum: int) -> list[int]:
    if not isinstance(values, list | tuple) or any(
        isinstance(v, bool) or not isinstance(v, Integral) or v < minimum for v in values
    ):
        raise ValueError(f"{where}: expected a list of integers >= {minimum}, got {values!r}")
    if len(set(values)) != len(values):
        raise ValueError(f"{where}: values repeat in {values!r}; list each once")
    return sorted(int(v) for v in values)


def _strengths(aug: str, values) -> list[int | float]:
    """Validated, sorted strengths of one augmentation (ints for lengths)."""
    where = f"sweep.augmentations.{aug}"
    if aug in LENGTH_AUGMENTATIONS:
        return _require_int_list(values, where, 1)
    if (
        not isinstance(values, list | tuple)
        or not values
        or any(isinstance(v, bool) or not isinstance(v, Real) or not v > 0 for v in values)
    ):
        raise ValueError(
            f"{where}: expected a non-empty list of numbers > 0 ({STRENGTH_PARAMETER[aug]}), "
            f"got {values!r}; a strength of 0 is the baseline, leave it out"
        )
    if len(set(values)) != len(values):
        raise ValueError(f"{where}: values repeat in {values!r}; list each once")
    return sorted(float(v) for v in values)


def sweep_settings(sweep_spec: Mapping | None = None) -> dict:
    """Validate a data set's ``sweep`` section and fill in the defaults.

    Parameters
    ----------
    sweep_spec : mapping or None, default None
        Keys (each optional; ``DEFAULT_SWEEP`` gives the paper's values):

        - ``augmentations``: ``{name: [strengths]}``, the strengths of
          ``STRENGTH_PARAMETER[name]``; integers >= 1 for translocation, insertion,
          deletion and inversion, numbers > 0 otherwise. Given, it replaces the whole
          default mapping. The grid trains each; the search draws from their range.
        - ``combo_augmentations``: augmentations combined (a subset of
          ``augmentations``); None (default) combines all of them.
        - ``max_augs_per_seq``: counts for the combination, each 1..len(combo); None
          (default) is 1..min(5, len(combo)), the paper's 1..5.
        - ``hard_aug``: list of booleans for the combination.
        - ``finetune``: whether sweep runs get the finetune stage (default True).
        - ``metric``: metric to choose by; None is ``auroc`` (binary) or ``pearson``.

        Other keys of the config's ``sweep`` section (``search``) are ignored here.

    Returns
    -------
    dict
        The keys above, strengths sorted ascending, soft before hard.

    Raises
    ------
    ValueError
        Naming the key (``sweep.<key>``), the allowed values and the fix.
    """
    if sweep_spec is None:
        sweep_spec = {}
    if not isinstance(sweep_spec, Mapping):
        raise ValueError(f"sweep: expected a mapping, got {type(sweep_spec).__name__}")
    unknown = sorted(set(sweep_spec) - set(DEFAULT_SWEEP) - {"search"})
    if unknown:
        raise ValueError(f"sweep: unknown keys {unknown}; allowed: {list(DEFAULT_SWEEP)}")
    given = {key: value for key, value in sweep_spec.items() if key in DEFAULT_SWEEP}
    spec = copy.deepcopy(DEFAULT_SWEEP) | copy.deepcopy(given)
    augmentations = spec["augmentations"]
    if not isinstance(augmentations, Mapping) or not augmentations:
        raise ValueError(
            f"sweep.augmentations: expected a mapping name -> list of strengths, got {augmentations!r}"
        )
    bad = sorted(set(augmentations) - set(STRENGTH_PARAMETER))
    if bad:
        raise ValueError(
            f"sweep.augmentations: unknown augmentation(s) {bad}; allowed: {list(STRENGTH_PARAMETER)}"
        )
    spec["augmentations"] = {aug: _strengths(aug, v) for aug, v in augmentations.items()}
    combo = spec["combo_augmentations"]
    if combo is None:
        combo = list(spec["augmentations"])
    if not isinstance(combo, list | tuple) or not set(combo) <= set(spec["augmentations"]):
        raise ValueError(
            f"sweep.combo_augmentations: {combo!r} must be a list drawn from the swept "
            f"augmentations {list(spec['augmentations'])} (or null for all of them)"
        )
    if len(set(combo)) != len(combo) or not combo:
        raise ValueError(f"sweep.combo_augmentations: expected distinct names, got {combo!r}")
    spec["combo_augmentations"] = list(combo)
    counts = spec["max_augs_per_seq"]
    if counts is None:
        counts = list(range(1, min(5, len(combo)) + 1))
    counts = _require_int_list(counts, "sweep.max_augs_per_seq", 1)
    if not counts or counts[-1] > len(combo):
        raise ValueError(
            f"sweep.max_augs_per_seq: {counts} must list counts in 1..{len(combo)} (the "
            "number of combined augmentations); the chosen settings need at least one"
        )
    spec["max_augs_per_seq"] = counts
    hard = spec["hard_aug"]
    if (
        not isinstance(hard, list | tuple)
        or not hard
        or any(not isinstance(v, bool) for v in hard)
        or len(set(hard)) != len(hard)
    ):
        raise ValueError(f"sweep.hard_aug: expected a list of distinct true/false, got {hard!r}")
    # Soft first: the milder setting comes first in every listing.
    spec["hard_aug"] = sorted(hard)
    if not isinstance(spec["finetune"], bool):
        raise ValueError(f"sweep.finetune: expected true or false, got {spec['finetune']!r}")
    if spec["metric"] is not None and not isinstance(spec["metric"], str):
        raise ValueError(f"sweep.metric: expected a metric name or null, got {spec['metric']!r}")
    return spec


def format_strength(value: int | float) -> str:
    """Exact, round-trippable text of a strength: ``30``, ``0.05``."""
    return str(value) if isinstance(value, int) else repr(float(value))


def parse_candidate_name(name: str) -> dict:
    """Read what a candidate (or the baseline) name says about its setting.

    Parameters
    ----------
    name : str
        ``baseline``, ``<augmentation>-<strength>`` or ``combo-<n>-<hard|soft>``.

    Returns
    -------
    dict
        ``kind`` (one of ``KINDS``), ``augmentation`` (None unless single),
        ``parameter`` (the strength parameter, ``max_augs_per_seq`` for combinations,
        None for the baseline), ``strength`` (None unless single),
        ``max_augs_per_seq`` (0 for the baseline, 1 for a single augmentation) and
        ``hard_aug`` (False for the baseline, True for a single augmentation).

    Raises
    ------
    ValueError
        If ``name`` is not such a name.
    """
    if name == BASELINE:
        return {
            "kind": "baseline",
            "augmentation": None,
            "parameter": None,
            "strength": None,
            "max_augs_per_seq": 0,
            "hard_aug": False,
        }
    head, _, rest = str(name).partition("-")
    if head == COMBO_PREFIX:
        match = re.fullmatch(r"([1-9][0-9]*)-(hard|soft)", rest)
        if match:
            return {
                "kind": COMBO_PREFIX,
                "augmentation": None,
                "parameter": COUNT_DIMENSION,
                "strength": None,
                "max_augs_per_seq": int(match[1]),
                "hard_aug": match[2] == "hard",
            }
    elif head in STRENGTH_PARAMETER and rest:
        try:
            strength = int(rest) if head in LENGTH_AUGMENTATIONS else float(rest)
        except ValueError:
            strength = None
        if strength is not None and format_strength(strength) == rest:
            return {
                "kind": "single",
                "augmentation": head,
                "parameter": STRENGTH_PARAMETER[head],
                "strength": strength,
                "max_augs_per_seq": 1,
                "hard_aug": True,
            }
    raise ValueError(
        f"candidate name {name!r} is not a sweep name: expected 'baseline', "
        "'<augmentation>-<strength>' (e.g. deletion-30, mutation-0.05) or "
        "'combo-<n>-<hard|soft>'; keep only sweep runs in the table"
    )


# --------------------------------------------------------------------------- specs


def spec_problems(augment_spec: Mapping, where: str) -> list[str]:
    """Bounds of :mod:`evoaugflow.augment_params` an Augmenter spec breaks (no torch).

    Parameters
    ----------
    augment_spec : mapping
        ``{"augmentations": {name: {param: value}}, "max_augs_per_seq": n, ...}``.
    where : str
        Key path used in the messages.

    Returns
    -------
    list of str
        ``<where>.<augmentation>.<param>: <reason>`` for a value outside its fixed bounds
        or a minimum above its maximum; empty when the spec is valid. Missing values
        take the defaults.
    """
    problems = []
    augmentations = augment_spec["augmentations"]
    for name, values in augmentations.items():
        values = dict(values or {})
        for entry in AUGMENT_PARAMS[name]:
            value = values.get(entry.name, entry.default)
            if value < entry.low or (entry.high is not None and value > entry.high):
                high = "" if entry.high is None else f" and at most {entry.high}"
                problems.append(
                    f"{where}.{name}.{entry.name}: {value} is out of range; it must be at "
                    f"least {entry.low}{high}"
                )
        if name in RANGE_PAIRS:
            low, high = RANGE_PAIRS[name]
            defaults = {entry.name: entry.default for entry in AUGMENT_PARAMS[name]}
            low_value, high_value = values.get(low, defaults[low]), values.get(high, defaults[high])
            if low_value > high_value:
                problems.append(
                    f"{where}.{name}: {low}={low_value} is larger than {high}={high_value}; "
                    f"lower {low} or sweep larger values"
                )
    count = augment_spec.get("max_augs_per_seq", 1)
    if not 1 <= count <= len(augmentations):
        problems.append(
            f"{where}.max_augs_per_seq: {count} must be in 1..{len(augmentations)} "
            "(the number of augmentations)"
        )
    return problems


def _checked(augment_spec: dict, where: str) -> dict:
    problems = spec_problems(augment_spec, where)
    if problems:
        raise ValueError("; ".join(problems))
    return augment_spec


def check_base_params(base_params, what: str = "augment_params") -> Mapping:
    """``base_params`` (a data set's ``augment_params``) as a mapping; None is empty."""
    if base_params is None:
        return {}
    if not isinstance(base_params, Mapping) or any(
        not isinstance(v, Mapping | None) for v in base_params.values()
    ):
        raise ValueError(
            f"{what}: expected a mapping augmentation -> parameter mapping (a data set's "
            f"augment_params), got {base_params!r}"
        )
    return base_params


def _spec(augmentations: dict, count: int, hard: bool) -> dict:
    return {
        "augmentations": augmentations,
        "max_augs_per_seq": count,
        "hard_aug": hard,
        "insertion_mode": "pad",
    }


def sweep_candidates(sweep_spec: Mapping | None, base_params: Mapping | None) -> list[Candidate]:
    """Every candidate of a data set's grid: single augmentations, then combinations.

    Parameters
    ----------
    sweep_spec : mapping or None
        The data set's ``sweep`` section (see :func:`sweep_settings`; None: defaults).
    base_params : mapping or None
        The data set's ``augment_params`` (``{name: {param: value}}``). A single
        candidate takes its augmentation's entry and replaces the strength; the
        ``combo`` candidates use the entries unchanged. Missing entries take the
        defaults of :mod:`evoaugflow.augment_params`.

    Returns
    -------
    list of Candidate
        For each swept augmentation in the order given, one candidate per strength,
        ascending; then ``combo-<n>-<soft|hard>`` for each count ascending, soft first.
        The paper's default spec gives 4 x 10 + 2 x 7 + 5 = 59 single and 10 combination
        candidates.

    Raises
    ------
    ValueError
        For an invalid spec or a strength outside the bounds (e.g. below the base lower
        bound), naming the key.
    """
    spec = sweep_settings(sweep_spec)
    base_params = check_base_params(base_params, "base_params")
    candidates = []
    for aug, strengths in spec["augmentations"].items():
        parameter = STRENGTH_PARAMETER[aug]
        for strength in strengths:
            params = dict(base_params.get(aug) or {}) | {parameter: strength}
            where = f"sweep.augmentations.{aug} ({parameter}={strength})"
            augment_spec = _checked(_spec({aug: params}, 1, True), where)
            name = f"{aug}-{format_strength(strength)}"
            candidates.append(Candidate(name, "single", aug, strength, augment_spec))
    combined = {aug: dict(base_params.get(aug) or {}) for aug in spec["combo_augmentations"]}
    for count in spec["max_augs_per_seq"]:
        for hard in spec["hard_aug"]:
            name = f"{COMBO_PREFIX}-{count}-{'hard' if hard else 'soft'}"
            augment_spec = _checked(_spec(copy.deepcopy(combined), count, hard), f"sweep {name}")
            candidates.append(Candidate(name, COMBO_PREFIX, None, None, augment_spec))
    return candidates


# --------------------------------------------------------------------------- search space


def search_choices(sweep_spec: Mapping | None) -> tuple[str, ...]:
    """What a trial may train, as the grid does: each swept augmentation alone (by name),
    or the combination (``"combo"``) when it combines two or more."""
    spec = sweep_settings(sweep_spec)
    combo = (COMBO_PREFIX,) if len(spec["combo_augmentations"]) > 1 else ()
    return tuple(spec["augmentations"]) + combo


def search_space(sweep_spec: Mapping | None, base_params: Mapping | None) -> list[Dimension]:
    """The dimensions the Optuna search draws from: the grid's choices and ranges.

    Parameters
    ----------
    sweep_spec : mapping or None
        The data set's ``sweep`` section.
    base_params : mapping or None
        The data set's ``augment_params``; both ends of every strength range must give
        a valid augmentation with them (checked here).

    Returns
    -------
    list of Dimension
        First ``augment`` (``categorical``, :func:`search_choices`: one augmentation
        alone or ``combo``) when there is more than one choice; then, per swept
        augmentation with more than one strength listed, its strength from the smallest
        to the largest listed (``int`` for lengths, ``float`` otherwise), drawn when the
        trial trains that augmentation alone or in the combination (``when``); then
        ``max_augs_per_seq`` and ``hard_aug`` of the combination when more than one value
        is listed. A setting with one value is fixed (see :func:`spec_from_values`).
        Optuna draws a dimension only where its ``when`` holds (a conditional space).
    """
    spec = sweep_settings(sweep_spec)
    base_params = check_base_params(base_params, "base_params")
    choices = search_choices(sweep_spec)
    dimensions = []
    if len(choices) > 1:
        dimensions.append(Dimension(CHOICE_DIMENSION, "categorical", choices=choices))
    combo = (COMBO_PREFIX,) if COMBO_PREFIX in choices else ()
    for aug, strengths in spec["augmentations"].items():
        parameter = STRENGTH_PARAMETER[aug]
        for end in (strengths[0], strengths[-1]):
            params = dict(base_params.get(aug) or {}) | {parameter: end}
            _checked(_spec({aug: params}, 1, True), f"sweep.augmentations.{aug}")
        if len(strengths) > 1:
            kind = "int" if aug in LENGTH_AUGMENTATIONS else "float"
            when = (aug,) + (combo if aug in spec["combo_augmentations"] else ())
            name = f"{aug}.{parameter}"
            dimensions.append(Dimension(name, kind, strengths[0], strengths[-1], when=when))
    for name in (COUNT_DIMENSION, HARD_DIMENSION):
        if combo and len(spec[name]) > 1:
            dimensions.append(Dimension(name, "categorical", choices=tuple(spec[name]), when=combo))
    return dimensions


def spec_from_values(
    values: Mapping, sweep_spec: Mapping | None, base_params: Mapping | None
) -> dict:
    """The Augmenter spec of one point of :func:`search_space`.

    Parameters
    ----------
    values : mapping
        ``{dimension name: value}`` (an Optuna trial's ``params``). A setting that is
        not a dimension (one value listed) takes that value; without ``augment`` the
        trial trains the only choice.
    sweep_spec, base_params : mapping or None
        As for :func:`search_space`.

    Returns
    -------
    dict
        Augmenter spec in the config's format, ``insertion_mode: pad``: one augmentation
        at the drawn strength, one per sequence (as the grid's single candidates), or the
        combined augmentations with their base parameters and the drawn strengths,
        ``max_augs_per_seq`` and ``hard_aug``.
    """
    spec = sweep_settings(sweep_spec)
    base_params = check_base_params(base_params, "base_params")
    choices = search_choices(sweep_spec)
    choice = values.get(CHOICE_DIMENSION, choices[0])
    if choice not in choices:
        raise ValueError(f"values: {CHOICE_DIMENSION}={choice!r}; use one of {list(choices)}")
    combined = spec["combo_augmentations"] if choice == COMBO_PREFIX else [choice]
    augmentations = {}
    for aug in combined:
        parameter = STRENGTH_PARAMETER[aug]
        strength = values.get(f"{aug}.{parameter}", spec["augmentations"][aug][0])
        if aug in LENGTH_AUGMENTATIONS:
            strength = int(strength)
        elif not math.isfinite(float(strength)):
            raise ValueError(f"values: {aug}.{parameter}={strength!r} is not finite")
        augmentations[aug] = dict(base_params.get(aug) or {}) | {parameter: strength}
    if choice != COMBO_PREFIX:
        return _checked(_spec(augmentations, 1, True), "values")
    count = int(values.get(COUNT_DIMENSION, spec[COUNT_DIMENSION][0]))
    hard = bool(values.get(HARD_DIMENSION, spec[HARD_DIMENSION][0]))
    return _checked(_spec(augmentations, count, hard), "values")


def check_set_name(set_name: str) -> str:
    """``set_name`` if it is a valid augmentation-set name (letters, digits, ``_.-``)."""
    if not isinstance(set_name, str) or not _NAME_PATTERN.match(set_name):
        raise ValueError(
            f"set_name={set_name!r}: use letters, digits, '_', '.', '-' (not first), e.g. from_sweep"
        )
    return set_name

"""Evolution-inspired augmentations of one-hot DNA and the composer that applies them.

This module holds `Augmenter` (each sequence gets its own random subset of
augmentations, applied in `PRIORITY` order) and hands on the seven augmentations of
:mod:`evoaugflow.augment_ops`; the machinery under both is :mod:`evoaugflow.augment_kernels`.

Every augmentation takes a batch ``x`` of one-hot sequences, shape ``(N, 4, L)``, channel
order A, C, G, T, and returns a new tensor of the same dtype on the same device. All
random draws come from one ``torch.Generator`` (on ``x.device``) passed by the caller, so
the same seed gives the same output, bit for bit on the CPU.

Nothing loops over the sequences of a batch, and the data moves once per call. The
augmentations that move columns (inversion, deletion, translocation, insertion, reverse
complement) and mutation are maps from output columns to columns of
``[x | A | C | G | T]``; they are composed on a small int tensor of shape ``(N, L_out)``
(each a piecewise shift, a window reversal or a scatter, for every row at once, with
identity parameters on the rows that do not get them) and applied by a single
``torch.gather``; noise is added last. All per-row parameters and random bases of a call
come from one integer draw; mutation then draws its site keys and noise its Gaussian
values for the rows that get them only (``mask.nonzero()``, one host synchronisation
each on CUDA), since those draws dominate the cost on the CPU.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from evoaugflow.augment_kernels import (
    apply_plan,
    as_int,
    check_batch,
    check_generator,
    random_dna,
)
from evoaugflow.augment_ops import (
    AUGMENTATIONS,
    Augmentation,
    RandomDeletion,
    RandomInsertion,
    RandomInversion,
    RandomMutation,
    RandomNoise,
    RandomRC,
    RandomTranslocation,
)
from evoaugflow.augment_params import (
    HARD_AUG_DEFAULT,
    INSERTION_MODE_DEFAULT,
    INSERTION_MODES,
    default_max_augs,
)

__all__ = [
    "AUGMENTATIONS",
    "PRIORITY",
    "Augmentation",
    "Augmenter",
    "RandomDeletion",
    "RandomInsertion",
    "RandomInversion",
    "RandomMutation",
    "RandomNoise",
    "RandomRC",
    "RandomTranslocation",
]

#: Order in which the chosen augmentations of a sequence are applied (paper, Methods).
PRIORITY = ("inversion", "deletion", "translocation", "insertion", "rc", "mutation", "noise")


_INSERTION_MODES = INSERTION_MODES
_SPEC_KEYS = ("augmentations", "max_augs_per_seq", "hard_aug", "insertion_mode", "pad_seed")


class Augmenter:
    """Give every sequence its own random subset of augmentations (EvoAug composition).

    For each sequence, the number of augmentations is ``max_augs_per_seq`` (hard) or
    uniform on ``1 .. max_augs_per_seq`` (soft); that many distinct augmentations are
    drawn uniformly without replacement from ``augment_list`` and applied in the fixed
    order of `PRIORITY` (inversion, deletion, translocation, insertion, rc, mutation,
    noise), whatever the order of the list. Labels are never touched.

    Parameters
    ----------
    augment_list : sequence of Augmentation
        Distinct augmentations (at most one per ``name``), at least one.
    max_augs_per_seq : int, optional
        In ``1 .. len(augment_list)``; default ``min(2, len(augment_list))``.
    hard_aug : bool, default=True
        Exactly ``max_augs_per_seq`` per sequence if True, else uniform on 1..max.
    insertion_mode : {"pad", "trim"}, default="pad"
        Only matters with a `RandomInsertion` in the list. ``"pad"`` (the paper): output
        length ``L + insert_max``; sequences that get no insertion get ``insert_max``
        random bases at their 3' end (after any reverse complement, so the padding stays
        at the 3' end), and evaluation inputs need `pad`. ``"trim"``: output length
        ``L`` for models with a fixed input length; an inserted row of length ``L + k``
        loses ``floor(k/2)`` bases at its 5' end and ``ceil(k/2)`` at its 3' end
        (symmetric, like a deletion's padding, so the original centre stays centred),
        with the window shifted where needed so the inserted segment is never cut;
        rows without insertion are unchanged and `pad` is a no-op. Needs
        ``insert_max <= L``.
    pad_seed : int, default=0
        Seed of the evaluation padding drawn by `pad`.

    Notes
    -----
    Mutation after an insertion acts on the padded length ``L + insert_max`` for every
    row (same mutation rate per position); noise also falls on padding columns.
    """

    def __init__(
        self,
        augment_list: Sequence[Augmentation],
        max_augs_per_seq: int | None = None,
        hard_aug: bool = HARD_AUG_DEFAULT,
        insertion_mode: str = INSERTION_MODE_DEFAULT,
        pad_seed: int = 0,
    ):
        augment_list = list(augment_list)
        if not augment_list:
            raise ValueError(
                "augment_list must hold at least one augmentation; "
                "for a baseline use no Augmenter (Augmenter.from_config(None) is None)"
            )
        names = []
        for aug in augment_list:
            if not isinstance(aug, Augmentation):
                raise ValueError(
                    f"augment_list items must be augmentations ({', '.join(AUGMENTATIONS)}), "
                    f"got {aug!r}"
                )
            if aug.name in names:
                raise ValueError(
                    f"augment_list holds {aug.name!r} twice; keep one {type(aug).__name__}"
                )
            names.append(aug.name)
        if max_augs_per_seq is None:
            max_augs_per_seq = default_max_augs(len(augment_list))
        max_augs = as_int("max_augs_per_seq", max_augs_per_seq, 1)
        if max_augs > len(augment_list):
            raise ValueError(
                f"max_augs_per_seq must be in 1..{len(augment_list)} (the number of "
                f"augmentations in augment_list), got {max_augs}"
            )
        if not isinstance(hard_aug, bool):
            raise ValueError(f"hard_aug must be True or False, got {hard_aug!r}")
        if insertion_mode not in _INSERTION_MODES:
            raise ValueError(
                f"insertion_mode must be one of {_INSERTION_MODES}, got {insertion_mode!r}"
            )
        self.augment_list = augment_list
        self.max_augs_per_seq = max_augs
        self.hard_aug = hard_aug
        self.insertion_mode = insertion_mode
        self.pad_seed = as_int("pad_seed", pad_seed)
        # (column in the per-row choice matrix, augmentation), in priority order
        self._ordered = sorted(
            enumerate(augment_list), key=lambda item: PRIORITY.index(item[1].name)
        )
        self._insertion = next((a for a in augment_list if isinstance(a, RandomInsertion)), None)

    @property
    def insert_max(self) -> int:
        """``insert_max`` of the insertion in the list, 0 without one."""
        return 0 if self._insertion is None else self._insertion.insert_max

    @property
    def _pads(self) -> bool:
        return self.insertion_mode == "pad" and self.insert_max > 0

    def output_length(self, length: int) -> int:
        """Length of augmented (and padded) sequences of input length ``length``.

        ``length + insert_max`` in ``"pad"`` mode, ``length`` otherwise.
        """
        length = as_int("length", length, 1)
        return length + self.insert_max if self.insertion_mode == "pad" else length

    def choose(self, n: int, generator=None, device="cpu") -> torch.Tensor:
        """Draw which augmentations each of ``n`` sequences gets.

        Returns
        -------
        torch.Tensor, shape=(n, len(augment_list)), dtype=bool
            ``[s, a]`` is True when sequence ``s`` gets ``augment_list[a]``.
        """
        n_augs, max_augs = len(self.augment_list), self.max_augs_per_seq
        counts = None
        if not self.hard_aug:
            counts = torch.randint(1, max_augs + 1, (n, 1), generator=generator, device=device)
        # The augmentations with the c smallest of i.i.d. uniform keys are a uniform
        # subset of size c; topk lists the smallest max_augs in increasing key order.
        keys = torch.rand(n, n_augs, generator=generator, device=device)
        smallest = keys.topk(max_augs, dim=1, largest=False).indices
        taken = True if counts is None else torch.arange(max_augs, device=device) < counts
        chosen = torch.zeros(n, n_augs, dtype=torch.bool, device=device)
        return chosen.scatter_(1, smallest, taken)

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None):
        """Augment a batch.

        Parameters
        ----------
        x : torch.Tensor, shape=(N, 4, L)
            One-hot sequences (floating dtype).
        generator : torch.Generator, optional
            Source of every random draw, on ``x.device``. Default None: torch's global
            generator of that device.

        Returns
        -------
        torch.Tensor, shape=(N, 4, output_length(L))
            Same dtype and device as ``x``.
        """
        check_batch(x)
        check_generator(generator, x.device)
        chosen = self.choose(x.shape[0], generator, x.device)
        masks = chosen.unbind(1)
        plan = [(aug, masks[column]) for column, aug in self._ordered]
        return apply_plan(x, plan, generator, trim=self.insertion_mode == "trim")

    def pad(self, x: torch.Tensor) -> torch.Tensor:
        """Append the fixed evaluation padding: ``insert_max`` random bases at the 3' end.

        The padding is drawn on the CPU from a generator seeded with ``pad_seed`` made
        afresh at each call, and every row gets the same padding: the result does not
        depend on the call, the batch, the row's position or the device. A no-op (``x``
        itself) without insertion or in ``"trim"`` mode.

        Parameters
        ----------
        x : torch.Tensor, shape=(N, 4, L)

        Returns
        -------
        torch.Tensor, shape=(N, 4, output_length(L))
        """
        check_batch(x)
        if not self._pads:
            return x
        generator = torch.Generator().manual_seed(self.pad_seed)
        padding = random_dna(1, self.insert_max, x.dtype, generator, "cpu").to(x.device)
        return torch.cat([x, padding.expand(x.shape[0], -1, -1)], dim=2)

    def to_config(self) -> dict:
        """The spec that `from_config` turns back into an equal Augmenter."""
        return {
            "augmentations": {aug.name: aug.to_config() for aug in self.augment_list},
            "max_augs_per_seq": self.max_augs_per_seq,
            "hard_aug": self.hard_aug,
            "insertion_mode": self.insertion_mode,
            "pad_seed": self.pad_seed,
        }

    @classmethod
    def from_config(cls, spec: Mapping | None) -> Augmenter | None:
        """Build an Augmenter from a config mapping (see docs/architecture.md).

        Parameters
        ----------
        spec : mapping or None
            ``{"augmentations": {name: {param: value}}, "max_augs_per_seq": ...,
            "hard_aug": ..., "insertion_mode": ..., "pad_seed": ...}``; keys other than
            ``augmentations`` are optional (constructor defaults); a parameter mapping
            may be empty or None (the augmentation's defaults).

        Returns
        -------
        Augmenter or None
            None for ``spec=None`` or an empty ``augmentations`` mapping (the baseline).
        """
        if spec is None:
            return None
        if not isinstance(spec, Mapping):
            raise ValueError(f"augment spec must be a mapping or None, got {type(spec).__name__}")
        unknown = sorted(set(spec) - set(_SPEC_KEYS))
        if unknown:
            raise ValueError(
                f"augment spec has unknown keys {unknown}; allowed: {list(_SPEC_KEYS)}"
            )
        augmentations = spec.get("augmentations") or {}
        if not isinstance(augmentations, Mapping):
            raise ValueError(
                "augment spec key 'augmentations' must map names to parameter mappings, "
                f"got {type(augmentations).__name__}"
            )
        if not augmentations:
            return None
        augment_list = []
        for name, params in augmentations.items():
            if name not in AUGMENTATIONS:
                raise ValueError(
                    f"augment spec: unknown augmentation {name!r}; allowed: {list(AUGMENTATIONS)}"
                )
            aug_cls = AUGMENTATIONS[name]
            params = dict(params or {})
            extra = sorted(set(params) - set(aug_cls._param_names))
            if extra:
                raise ValueError(
                    f"augment spec: {name!r} has unknown parameters {extra}; "
                    f"allowed: {list(aug_cls._param_names)}"
                )
            augment_list.append(aug_cls(**params))
        options = {key: spec[key] for key in _SPEC_KEYS[1:] if key in spec}
        return cls(augment_list, **options)

    def __repr__(self) -> str:
        return (
            f"Augmenter({self.augment_list!r}, max_augs_per_seq={self.max_augs_per_seq}, "
            f"hard_aug={self.hard_aug}, insertion_mode={self.insertion_mode!r}, "
            f"pad_seed={self.pad_seed})"
        )

"""Evolution-inspired augmentations of one-hot DNA and the composer that applies them.

Every augmentation takes a batch ``x`` of one-hot sequences, shape ``(N, 4, L)``, channel
order A, C, G, T, and returns a new tensor of the same dtype on the same device. All
random draws come from one ``torch.Generator`` (on ``x.device``) passed by the caller, so
the same seed gives the same output, bit for bit on the CPU. Nothing loops over the
sequences of a batch: each augmentation draws its per-row parameters as tensors, turns
them into an index tensor and moves the bases with a single ``torch.gather`` (or
``scatter``), on the device of ``x``.

Each augmentation has ``transform(x, generator)`` (every row) and
``apply(x, mask, generator)``, which transforms only the rows where the boolean ``mask``
of shape ``(N,)`` is true (one ``index_select``, the transform of those rows, one
``index_copy``) and leaves the others as they are. ``Augmenter`` uses that to give every
sequence its own subset of augmentations in one batched call per augmentation. On CUDA
the row selection (``mask.nonzero()``) synchronises with the host once per augmentation.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping, Sequence

import torch

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

# Per-row uniform integers are drawn as (huge random integer) mod (range size); with
# 2**48 the modulo bias is below 1e-12 for any sequence length.
_RANDOM_INT_SPAN = 2**48


# ---------------------------------------------------------------------------------------
# validation helpers
# ---------------------------------------------------------------------------------------


def _as_int(name: str, value, low: int = 0) -> int:
    """Return ``value`` as an int >= ``low`` or raise a ValueError naming ``name``."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an integer >= {low}, got the bool {value!r}")
    try:
        value = operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}") from None
    if value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value}")
    return value


def _as_float(name: str, value, low: float = -math.inf, high: float = math.inf) -> float:
    """Return ``value`` as a finite float in ``[low, high]`` or raise a ValueError."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a number in [{low}, {high}], got {value!r}") from None
    value = float(value)
    if not math.isfinite(value) or not low <= value <= high:
        raise ValueError(f"{name} must be a finite number in [{low}, {high}], got {value}")
    return value


def _int_range(min_name: str, min_value, max_name: str, max_value) -> tuple[int, int]:
    """Validate a ``(min, max)`` pair of non-negative integers with ``min <= max``."""
    low = _as_int(min_name, min_value)
    high = _as_int(max_name, max_value)
    if low > high:
        raise ValueError(
            f"{min_name} ({low}) must be <= {max_name} ({high}); lower {min_name} or raise {max_name}"
        )
    return low, high


def _check_batch(x) -> None:
    """Raise a ValueError unless ``x`` is a floating tensor of shape ``(N, 4, L)``."""
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"x must be a torch.Tensor of shape (N, 4, L), got {type(x).__name__}")
    if x.ndim != 3 or x.shape[1] != 4 or x.shape[2] < 1:
        raise ValueError(
            f"x must have shape (N, 4, L) with L >= 1 (one-hot, channels A, C, G, T), "
            f"got {tuple(x.shape)}"
        )
    if not x.is_floating_point():
        raise ValueError(f"x must be a floating-point tensor, got dtype {x.dtype}; use x.float()")


def _check_generator(generator: torch.Generator | None, device: torch.device) -> None:
    """Raise a ValueError when ``generator`` lives on another device than the batch."""
    if generator is None:
        return
    if not isinstance(generator, torch.Generator):
        raise ValueError(
            f"generator must be a torch.Generator or None, got {type(generator).__name__}"
        )
    gen_device = generator.device
    same = gen_device.type == device.type and (
        device.type == "cpu" or (gen_device.index or 0) == (device.index or 0)
    )
    if not same:
        raise ValueError(
            f"generator is on {gen_device} but x is on {device}; "
            f"create it with torch.Generator(device=x.device)"
        )


# ---------------------------------------------------------------------------------------
# random draws and index helpers (all on x.device, all from the one generator)
# ---------------------------------------------------------------------------------------


def _uniform_int(low, high, n: int, generator, device) -> torch.Tensor:
    """Draw ``n`` integers uniform on ``[low, high]`` (inclusive), shape ``(n,)``, int64.

    ``low`` and ``high`` are ints or int64 tensors of shape ``(n,)`` (per-row bounds).
    """
    draw = torch.randint(0, _RANDOM_INT_SPAN, (n,), generator=generator, device=device)
    return low + draw % (high - low + 1)


def _random_dna(n: int, length: int, dtype, generator, device) -> torch.Tensor:
    """I.i.d. uniform one-hot columns, shape ``(n, 4, length)``."""
    bases = torch.randint(0, 4, (n, 1, length), generator=generator, device=device)
    return (bases == torch.arange(4, device=device).view(1, 4, 1)).to(dtype)


def _positions(length: int, device) -> torch.Tensor:
    """Column positions ``0 .. length - 1`` as a ``(1, length)`` int64 row."""
    return torch.arange(length, device=device).unsqueeze(0)


def _gather_columns(x: torch.Tensor, source: torch.Tensor) -> torch.Tensor:
    """``out[n, :, j] = x[n, :, source[n, j]]`` for a ``(N, L_out)`` int64 ``source``."""
    return x.gather(2, source.unsqueeze(1).expand(-1, x.shape[1], -1))


def _gather_with_random(x: torch.Tensor, source: torch.Tensor, n_random: int, generator):
    """Like `_gather_columns`, where ``source >= L`` picks from ``n_random`` random columns.

    Source index ``L + r`` selects random DNA column ``r`` (drawn here, per row), so a
    single gather writes both the kept bases and the random padding.
    """
    n = x.shape[0]
    random_block = _random_dna(n, n_random, x.dtype, generator, x.device)
    return _gather_columns(torch.cat([x, random_block], dim=2), source)


# ---------------------------------------------------------------------------------------
# augmentations
# ---------------------------------------------------------------------------------------


class Augmentation:
    """Base class: ``aug(x, generator=None)`` applies the augmentation to every row.

    Subclasses set ``name`` (the config key), store their parameters under the names
    their constructor takes and implement ``transform(x, generator)``.
    """

    name: str = ""
    _param_names: tuple[str, ...] = ()

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None):
        """Augment every sequence of ``x``.

        Parameters
        ----------
        x : torch.Tensor, shape=(N, 4, L)
            One-hot sequences (floating dtype), channels A, C, G, T.
        generator : torch.Generator, optional
            Source of every random draw; must live on ``x.device``. Default None: the
            global torch generator of that device.

        Returns
        -------
        torch.Tensor, shape=(N, 4, L_out)
            Augmented sequences, same dtype and device as ``x``; ``L_out = L`` except for
            `RandomInsertion` (``L + insert_max``).
        """
        _check_batch(x)
        _check_generator(generator, x.device)
        return self.transform(x, generator)

    def transform(self, x: torch.Tensor, generator) -> torch.Tensor:
        """Augment every row of a validated batch ``x``, shape ``(N, 4, L)``."""
        raise NotImplementedError

    def apply(self, x: torch.Tensor, mask: torch.Tensor, generator, **options) -> torch.Tensor:
        """Augment the rows of ``x`` where ``mask`` is true; keep the other rows.

        Parameters
        ----------
        x : torch.Tensor, shape=(N, 4, L)
        mask : torch.Tensor, shape=(N,), dtype=bool
        generator : torch.Generator or None
        **options
            Passed on to `transform`.

        Returns
        -------
        torch.Tensor, shape=(N, 4, L)
        """
        rows = mask.nonzero().squeeze(1)
        augmented = self.transform(x.index_select(0, rows), generator, **options)
        return x.index_copy(0, rows, augmented)

    def to_config(self) -> dict:
        """Constructor arguments as a plain dict: ``type(self)(**aug.to_config())``."""
        return {key: getattr(self, key) for key in self._param_names}

    def __repr__(self) -> str:
        args = ", ".join(f"{key}={value!r}" for key, value in self.to_config().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and self.to_config() == other.to_config()

    __hash__ = None


class RandomMutation(Augmentation):
    """Set ``k = round(mutate_frac / 0.75 * L)`` distinct positions to random bases.

    A quarter of the random bases equal the original one, so the expected fraction of
    changed bases is ``mutate_frac``. The ``k`` positions are distinct within a row.

    Parameters
    ----------
    mutate_frac : float, default=0.1
        Expected fraction of changed positions, in ``[0, 0.75]`` (0.75 redraws every
        position). Python's ``round`` gives ``k`` (ties to even).
    """

    name = "mutation"
    _param_names = ("mutate_frac",)

    def __init__(self, mutate_frac: float = 0.1):
        self.mutate_frac = _as_float("mutate_frac", mutate_frac, 0.0, 0.75)

    def n_mutations(self, length: int) -> int:
        """Number of mutated positions per sequence of length ``length``."""
        return round(self.mutate_frac / 0.75 * length)

    def transform(self, x, generator):
        return self._mutate_rows(x, torch.arange(x.shape[0], device=x.device), generator)

    def apply(self, x, mask, generator):
        # Writes the new bases straight into the selected rows (no row copy out and back).
        return self._mutate_rows(x, mask.nonzero().squeeze(1), generator)

    def _mutate_rows(self, x, rows, generator):
        """Mutate rows ``rows`` (int64 ``(n,)``) of ``x``; a new tensor."""
        length = x.shape[2]
        k = self.n_mutations(length)
        # The k smallest of i.i.d. uniform keys: k distinct positions, a uniform subset.
        keys = torch.rand(rows.shape[0], length, generator=generator, device=x.device)
        sites = keys.topk(k, dim=1, largest=False, sorted=False).indices
        new_bases = _random_dna(rows.shape[0], k, x.dtype, generator, x.device)
        channels = torch.arange(4, device=x.device).view(1, 4, 1)
        return x.index_put((rows.view(-1, 1, 1), channels, sites.unsqueeze(1)), new_bases)


class RandomTranslocation(Augmentation):
    """Circular roll by ``s`` uniform on ``[-shift_max, -shift_min] U [shift_min, shift_max]``.

    ``out[j] = x[(j - s) mod L]``: positive ``s`` moves bases towards the 3' end. Every
    distinct value of the union is equally likely (with ``shift_min = 0`` the shift 0
    counts once).

    Parameters
    ----------
    shift_min : int, default=0
        Smallest absolute shift, >= 0.
    shift_max : int, default=20
        Largest absolute shift, >= shift_min (may exceed L: the roll wraps).
    """

    name = "translocation"
    _param_names = ("shift_min", "shift_max")

    def __init__(self, shift_min: int = 0, shift_max: int = 20):
        self.shift_min, self.shift_max = _int_range("shift_min", shift_min, "shift_max", shift_max)

    def draw_shifts(self, n: int, generator, device) -> torch.Tensor:
        """Draw ``n`` shifts uniform on the union of both signed ranges, int64 ``(n,)``."""
        n_negative = self.shift_max - self.shift_min + 1  # -shift_max .. -shift_min
        first_positive = max(self.shift_min, 1)  # 0 is already among the negatives
        n_positive = self.shift_max - first_positive + 1
        draw = _uniform_int(0, n_negative + n_positive - 1, n, generator, device)
        return torch.where(
            draw < n_negative, draw - self.shift_max, draw - n_negative + first_positive
        )

    def transform(self, x, generator):
        n, _, length = x.shape
        # reduce the (n,) shifts first so one add wraps the (n, L) index
        shifts = (self.draw_shifts(n, generator, x.device) % length).unsqueeze(1)
        source = _positions(length, x.device) - shifts
        return _gather_columns(x, torch.where(source < 0, source + length, source))


class RandomInsertion(Augmentation):
    """Insert ``k`` uniform on ``[insert_min, insert_max]`` random bases at ``i`` in ``[0, L]``.

    Output length is ``L + insert_max``: the ``insert_max - k`` bases not inserted are
    random DNA split over the flanks, ``floor`` half on the 5' side and the odd one on
    the 3' side.

    Parameters
    ----------
    insert_min : int, default=0
        Shortest insertion, >= 0.
    insert_max : int, default=20
        Longest insertion, >= insert_min; also the number of columns added.
    """

    name = "insertion"
    _param_names = ("insert_min", "insert_max")

    def __init__(self, insert_min: int = 0, insert_max: int = 20):
        self.insert_min, self.insert_max = _int_range(
            "insert_min", insert_min, "insert_max", insert_max
        )

    def transform(self, x, generator, trim: bool = False):
        """Insert into every row; ``trim=True`` keeps the length ``L`` (see `Augmenter`)."""
        n, _, length = x.shape
        if trim and self.insert_max > length:
            raise ValueError(
                f"insert_max ({self.insert_max}) must be <= the sequence length L ({length}) "
                f'with insertion_mode="trim"; lower insert_max or use insertion_mode="pad"'
            )
        device = x.device
        insert_len = _uniform_int(self.insert_min, self.insert_max, n, generator, device)
        insert_at = _uniform_int(0, length, n, generator, device)
        if trim:
            # Drop floor(k/2) bases at the 5' end and ceil(k/2) at the 3' end (the mirror
            # of a deletion's padding, keeps the original centre centred), shifted just
            # enough that the whole inserted segment stays inside the window.
            left_flank = torch.zeros_like(insert_len)
            earliest = (insert_at + insert_len - length).clamp(min=0)
            latest = torch.minimum(insert_at, insert_len)
            offset = torch.maximum(torch.minimum(insert_len // 2, latest), earliest)
            out_length = length
        else:
            left_flank = (self.insert_max - insert_len) // 2
            offset = -left_flank
            out_length = length + self.insert_max
        # v: position in "5' flank | x[:i] | insert | x[i:] | 3' flank" counted from the
        # first base of x. Sources >= L pick random columns in the order they appear.
        v = _positions(out_length, device) + offset.unsqueeze(1)
        i = insert_at.unsqueeze(1)
        k = insert_len.unsqueeze(1)
        a = left_flank.unsqueeze(1)
        source = torch.where(
            v < i,
            torch.where(v < 0, length + a + v, v),
            torch.where(v < i + k, length + a + v - i, torch.where(v < length + k, v - k, a + v)),
        )
        return _gather_with_random(x, source, self.insert_max, generator)

    def apply(self, x, mask, generator, trim: bool = False):
        """Insert into the rows where ``mask``; pad or keep the others.

        ``trim=False``: the other rows get ``insert_max`` random bases at their 3' end,
        output length ``L + insert_max``. ``trim=True``: the other rows are unchanged and
        inserted rows are trimmed back to ``L``.
        """
        if trim:
            return super().apply(x, mask, generator, trim=True)
        n = x.shape[0]
        padded = torch.cat(
            [x, _random_dna(n, self.insert_max, x.dtype, generator, x.device)], dim=2
        )
        rows = mask.nonzero().squeeze(1)
        return padded.index_copy(0, rows, self.transform(x.index_select(0, rows), generator))


class RandomDeletion(Augmentation):
    """Delete ``d`` uniform on ``[delete_min, delete_max]`` contiguous bases; re-pad to L.

    The start is uniform on ``[0, L - d]`` (every start at which the segment fits); the
    sequence closes the gap and gets ``floor(d/2)`` random bases at its 5' end and
    ``ceil(d/2)`` at its 3' end, so the length stays ``L``.

    Parameters
    ----------
    delete_min : int, default=0
        Shortest deletion, >= 0.
    delete_max : int, default=20
        Longest deletion, >= delete_min; must be < L (checked when called).
    """

    name = "deletion"
    _param_names = ("delete_min", "delete_max")

    def __init__(self, delete_min: int = 0, delete_max: int = 20):
        self.delete_min, self.delete_max = _int_range(
            "delete_min", delete_min, "delete_max", delete_max
        )

    def transform(self, x, generator):
        n, _, length = x.shape
        if self.delete_max >= length:
            raise ValueError(
                f"delete_max ({self.delete_max}) must be < the sequence length L ({length}) "
                f"so that a base is left; lower delete_max to at most {length - 1}"
            )
        device = x.device
        delete_len = _uniform_int(self.delete_min, self.delete_max, n, generator, device)
        start = _uniform_int(0, length - delete_len, n, generator, device).unsqueeze(1)
        d = delete_len.unsqueeze(1)
        # t: rank among the kept bases (floor(d/2) random bases come first); kept bases
        # at or after the start skip the d deleted ones. Past the last kept base this
        # runs into the random block (columns L .. L + ceil(d/2) - 1); the negative t of
        # the 5' padding wrap to its last columns, so no random column is used twice.
        t = _positions(length, device) - d // 2
        source = t + d * (t >= start)
        source = torch.where(source < 0, source + length + self.delete_max, source)
        return _gather_with_random(x, source, self.delete_max, generator)


class RandomInversion(Augmentation):
    """Replace a window of ``k`` uniform on ``[invert_min, invert_max]`` bases by its RC.

    The window start is uniform on ``[0, L - k]``.

    Parameters
    ----------
    invert_min : int, default=0
        Shortest window, >= 0.
    invert_max : int, default=20
        Longest window, >= invert_min; must be <= L (checked when called).
    """

    name = "inversion"
    _param_names = ("invert_min", "invert_max")

    def __init__(self, invert_min: int = 0, invert_max: int = 20):
        self.invert_min, self.invert_max = _int_range(
            "invert_min", invert_min, "invert_max", invert_max
        )

    def transform(self, x, generator):
        n, _, length = x.shape
        if self.invert_max > length:
            raise ValueError(
                f"invert_max ({self.invert_max}) must be <= the sequence length L ({length}); "
                f"lower invert_max to at most {length}"
            )
        device = x.device
        window_len = _uniform_int(self.invert_min, self.invert_max, n, generator, device)
        start = _uniform_int(0, length - window_len, n, generator, device).unsqueeze(1)
        end = start + window_len.unsqueeze(1)
        j = _positions(length, device)
        window = (j >= start) & (j < end)
        # One-hot ACGT: the complement is the channel axis reversed.
        gathered = _gather_columns(x, torch.where(window, start + end - 1 - j, j))
        return torch.where(window.unsqueeze(1), gathered.flip(1), gathered)


class RandomRC(Augmentation):
    """Reverse-complement each sequence with probability ``rc_prob``.

    Parameters
    ----------
    rc_prob : float, default=0.5
        Probability in ``[0, 1]``.
    """

    name = "rc"
    _param_names = ("rc_prob",)

    def __init__(self, rc_prob: float = 0.5):
        self.rc_prob = _as_float("rc_prob", rc_prob, 0.0, 1.0)

    def transform(self, x, generator):
        flip = torch.rand(x.shape[0], generator=generator, device=x.device) < self.rc_prob
        return torch.where(flip.view(-1, 1, 1), x.flip((1, 2)), x)


class RandomNoise(Augmentation):
    """Add i.i.d. Gaussian noise ``N(noise_mean, noise_std**2)`` to every element.

    Parameters
    ----------
    noise_mean : float, default=0.0
        Mean of the noise.
    noise_std : float, default=0.2
        Standard deviation, >= 0.
    """

    name = "noise"
    _param_names = ("noise_mean", "noise_std")

    def __init__(self, noise_mean: float = 0.0, noise_std: float = 0.2):
        self.noise_mean = _as_float("noise_mean", noise_mean)
        self.noise_std = _as_float("noise_std", noise_std, 0.0)

    def transform(self, x, generator):
        return self._add_noise(x, torch.arange(x.shape[0], device=x.device), generator)

    def apply(self, x, mask, generator):
        # Adds the noise straight into the selected rows (no row copy out and back).
        return self._add_noise(x, mask.nonzero().squeeze(1), generator)

    def _add_noise(self, x, rows, generator):
        """Add noise to rows ``rows`` (int64 ``(n,)``) of ``x``; a new tensor."""
        noise = torch.empty((rows.shape[0], *x.shape[1:]), dtype=x.dtype, device=x.device)
        noise.normal_(self.noise_mean, self.noise_std, generator=generator)
        return x.index_add(0, rows, noise)


#: Augmentation classes by config key.
AUGMENTATIONS: dict[str, type[Augmentation]] = {
    cls.name: cls
    for cls in (
        RandomInversion,
        RandomDeletion,
        RandomTranslocation,
        RandomInsertion,
        RandomRC,
        RandomMutation,
        RandomNoise,
    )
}

_INSERTION_MODES = ("pad", "trim")
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
    max_augs_per_seq : int, default=2
        In ``1 .. len(augment_list)``.
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
        max_augs_per_seq: int = 2,
        hard_aug: bool = True,
        insertion_mode: str = "pad",
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
        max_augs = _as_int("max_augs_per_seq", max_augs_per_seq, 1)
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
        self.pad_seed = _as_int("pad_seed", pad_seed)
        # (column in the per-row choice matrix, augmentation), in priority order
        self._ordered = sorted(augment_list, key=lambda aug: PRIORITY.index(aug.name))
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
        length = _as_int("length", length, 1)
        return length + self.insert_max if self.insertion_mode == "pad" else length

    def choose(self, n: int, generator=None, device="cpu") -> torch.Tensor:
        """Draw which augmentations each of ``n`` sequences gets.

        Returns
        -------
        torch.Tensor, shape=(n, len(augment_list)), dtype=bool
            ``[s, a]`` is True when sequence ``s`` gets ``augment_list[a]``.
        """
        n_augs = len(self.augment_list)
        if self.hard_aug:
            counts = torch.full((n, 1), self.max_augs_per_seq, device=device)
        else:
            counts = torch.randint(
                1, self.max_augs_per_seq + 1, (n, 1), generator=generator, device=device
            )
        # The rank of an augmentation among i.i.d. uniform keys is a uniform random
        # permutation, so "rank < count" is a uniform subset of that size.
        keys = torch.rand(n, n_augs, generator=generator, device=device)
        order = keys.argsort(dim=1)
        ranks = torch.empty_like(order).scatter_(1, order, _positions(n_augs, device).expand(n, -1))
        return ranks < counts

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
        _check_batch(x)
        _check_generator(generator, x.device)
        chosen = self.choose(x.shape[0], generator, x.device)
        masks = {aug.name: chosen[:, column] for column, aug in enumerate(self.augment_list)}
        for aug in self._ordered:
            mask = masks[aug.name]
            if aug is not self._insertion:
                x = aug.apply(x, mask, generator)
                continue
            if self._pads and "rc" in masks:
                # A row without insertion gets its padding at the 3' end, after its
                # reverse complement; appending padding commutes with reverse-complementing
                # the first L columns, so those rows are flipped here, before padding.
                rc = next(a for a in self.augment_list if a.name == "rc")
                x = rc.apply(x, masks["rc"] & ~mask, generator)
                masks["rc"] = masks["rc"] & mask
            x = aug.apply(x, mask, generator, trim=self.insertion_mode == "trim")
        return x

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
        _check_batch(x)
        if not self._pads:
            return x
        generator = torch.Generator().manual_seed(self.pad_seed)
        padding = _random_dna(1, self.insert_max, x.dtype, generator, "cpu").to(x.device)
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

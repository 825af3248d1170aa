"""Evolution-inspired augmentations of one-hot DNA and the composer that applies them.

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

import math
import operator
from collections.abc import Mapping, Sequence

import torch

from evoaugflow.augment_params import (
    AUGMENT_PARAMS,
    HARD_AUG_DEFAULT,
    INSERTION_MODE_DEFAULT,
    INSERTION_MODES,
    default_max_augs,
    defaults,
    param,
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

# Per-row uniform integers are drawn as (huge random integer) mod (range size); with
# 2**48 the modulo bias is below 1e-12 for any sequence length.
_RANDOM_INT_BITS = 48
_RANDOM_INT_SPAN = 2**_RANDOM_INT_BITS
_BASES_PER_DRAW = _RANDOM_INT_BITS // 2
# Bit of a column code (see _ColumnMap) that marks a complemented column.
_COMPLEMENT_SHIFT = 30
_COMPLEMENT_BIT = 1 << _COMPLEMENT_SHIFT


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


# Defaults and fixed bounds come from the one table in evoaugflow.augment_params.
_DEFAULTS = {name: defaults(name) for name in AUGMENT_PARAMS}


def _names(augmentation: str) -> tuple[str, ...]:
    """Argument names of an augmentation, in the table's order."""
    return tuple(_DEFAULTS[augmentation])


def _table_float(augmentation: str, name: str, value) -> float:
    """Check a float argument against its bounds in the parameter table."""
    entry = param(augmentation, name)
    high = math.inf if entry.high is None else entry.high
    return _as_float(name, value, entry.low, high)


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
# random draws (all on x.device, all from the one generator)
# ---------------------------------------------------------------------------------------


def _raw_draws(n: int, count: int, generator, device) -> torch.Tensor:
    """``count`` raw draws per row, uniform on ``[0, 2**48)``, int64 ``(n, count)``."""
    return torch.randint(0, _RANDOM_INT_SPAN, (n, count), generator=generator, device=device)


def _uniform_int(raw: torch.Tensor, low: int, high: int) -> torch.Tensor:
    """Turn raw draws (see `_raw_draws`) into integers uniform on ``[low, high]``.

    For per-row bounds ``[0, count)`` use ``raw % count`` directly.
    """
    draw = raw % (high - low + 1)
    return draw + low if low else draw


def _unpack_bases(raw: torch.Tensor) -> torch.Tensor:
    """Split raw draws ``(n, c)`` into ``(n, 24 c)`` uniform bases 0..3 (two bits each).

    A draw uniform on ``[0, 2**48)`` holds 48 independent fair bits, so one draw gives
    24 independent uniform bases.
    """
    shifts = torch.arange(0, _RANDOM_INT_BITS, 2, device=raw.device)
    return ((raw.unsqueeze(2) >> shifts) & 3).flatten(1)


def _random_dna(n: int, length: int, dtype, generator, device) -> torch.Tensor:
    """I.i.d. uniform one-hot columns, shape ``(n, 4, length)``."""
    bases = torch.randint(0, 4, (n, 1, length), generator=generator, device=device)
    return (bases == torch.arange(4, device=device).view(1, 4, 1)).to(dtype)


def _selected_rows(active: torch.Tensor | None, n: int, device) -> torch.Tensor:
    """Indices of the rows where ``active`` (bool ``(n,)``, None = all) is true, int64."""
    if active is None:
        return torch.arange(n, device=device)
    return active.nonzero().squeeze(1)


def _where_active(active: torch.Tensor | None, value: torch.Tensor, inactive):
    """``value`` on the active rows and ``inactive`` (the identity's parameter) elsewhere."""
    return value if active is None else torch.where(active, value, inactive)


# ---------------------------------------------------------------------------------------
# the column map: every column-moving augmentation composed on small int tensors
# ---------------------------------------------------------------------------------------


class _ColumnMap:
    """Where each output column of a batch comes from, composed before any data moves.

    ``codes`` (int64, shape ``(N, W)``) gives, for output column ``j`` of row ``n``, a
    column of the table ``[A | C | G | T | x]`` of shape ``(N, 4, 4 + L)``: ``b`` in
    ``0 .. 3`` is the one-hot base ``b`` (how random DNA enters), ``4 + i`` column ``i``
    of ``x``, and bit ``_COMPLEMENT_BIT`` set means the column is complemented.
    Deletion, translocation and insertion shift the column index piecewise, inversion
    and reverse complement reverse a window, mutation overwrites sites: each is one
    gather (or scatter) on ``codes`` for all rows at once, and `take` moves the data once.
    """

    def __init__(self, n: int, length: int, device):
        self.length = length
        self.codes = torch.arange(4, 4 + length, device=device).expand(n, length)
        self.changed = False
        self.complemented = False
        # (padded rows (n,) bool, width before padding) once rows got 3' padding
        self.padding = None

    @property
    def width(self) -> int:
        return self.codes.shape[1]

    def shift(self, width: int, offset, positions=None, jumps=None, front=None, back=None):
        """New ``codes[:, j] = table[:, j + c(j)]`` for ``j < width``.

        ``table`` is ``front | codes | back`` (extra code columns ``(n, F)`` and ``(n, B)``,
        e.g. random bases, or None); the offset ``c`` is ``offset`` (int64 ``(n,)``) at
        column 0 and changes
        by ``jumps[:, p]`` at column ``positions[:, p]`` (int64 ``(n, P)``, positions in
        ``0 .. width``; positions may repeat, a jump at ``width`` has no effect).
        """
        if positions is None:
            source = torch.arange(width, device=offset.device) + offset.unsqueeze(1)
        else:
            # j + c(j) as one cumulative sum: 1 per column, the offset, the jumps.
            steps = torch.ones(offset.shape[0], width + 1, dtype=offset.dtype, device=offset.device)
            steps[:, 0] = offset
            source = steps.scatter_add_(1, positions, jumps).cumsum_(1)[:, :width]
        parts = [part for part in (front, self.codes, back) if part is not None]
        table = parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)
        self.codes = table.gather(1, source)
        self.changed = True

    def reverse_windows(self, start: torch.Tensor, end: torch.Tensor) -> None:
        """Reverse-complement columns ``start .. end - 1`` of each row (int64 ``(n,)``)."""
        n, width = self.codes.shape
        marks = torch.zeros(n, width + 1, dtype=torch.int64, device=start.device)
        ones = torch.ones_like(start)
        marks.scatter_add_(1, torch.stack([start, end], 1), torch.stack([ones, -ones], 1))
        inside = marks.cumsum_(1)[:, :width]  # 1 inside the window, 0 outside
        j = torch.arange(width, device=start.device)
        source = j + inside * ((start + end - 1).unsqueeze(1) - 2 * j)
        self.codes = self.codes.gather(1, source) ^ (inside << _COMPLEMENT_SHIFT)
        self.changed = self.complemented = True

    def reverse_rows(self, flip: torch.Tensor) -> None:
        """Reverse-complement the whole rows where ``flip`` (bool ``(n,)``) is true."""
        flipped = self.codes.flip(1) ^ _COMPLEMENT_BIT
        self.codes = torch.where(flip.unsqueeze(1), flipped, self.codes)
        self.changed = self.complemented = True

    def overwrite(self, rows: torch.Tensor, sites: torch.Tensor, codes: torch.Tensor) -> None:
        """Set columns ``sites`` (int64 ``(r, k)``) of rows ``rows`` (``(r,)``) to ``codes``."""
        new = self.codes.contiguous()  # a copy only while codes is the expanded identity
        new.index_put_((rows.unsqueeze(1), sites), codes)
        self.codes = new
        self.changed = True

    def take(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the map to ``x`` (``(N, 4, L)``): a new ``(N, 4, W)`` tensor."""
        if not self.changed:
            return x.clone()
        n = x.shape[0]
        table = torch.cat([torch.eye(4, dtype=x.dtype, device=x.device).expand(n, 4, 4), x], 2)
        codes = self.codes
        if self.complemented:
            # second half: the complement of every column (one-hot ACGT: channels reversed)
            table = torch.cat([table, table.flip(1)], dim=2)
            half = (codes >> _COMPLEMENT_SHIFT) * (4 + self.length)
            codes = (codes & (_COMPLEMENT_BIT - 1)) + half
        return table.gather(2, codes.unsqueeze(1).expand(-1, 4, -1))


def _augment(x: torch.Tensor, plan, generator, trim: bool = False) -> torch.Tensor:
    """Apply ``plan``, a list of ``(augmentation, active)`` in order, to a batch ``x``.

    ``active`` is a bool ``(N,)`` row mask or None (every row). Every per-row parameter
    and random base comes from one integer draw; mutation and noise then draw their
    site keys and Gaussian values for their rows, in plan order. The column moves of all
    augmentations are composed into one `_ColumnMap` and applied by one gather.
    """
    n, _, length = x.shape
    base_chunks, width = [], length
    for aug, _ in plan:
        base_chunks.append(aug._base_chunks(width))
        width = aug._output_width(width, trim)  # also validates the width
    n_params = sum(aug._n_params for aug, _ in plan)
    chunk_sizes = [size for chunks in base_chunks for size in chunks]
    n_base_draws = -(-sum(chunk_sizes) // _BASES_PER_DRAW)
    raw = _raw_draws(n, n_params + n_base_draws, generator, x.device)
    # one view per parameter and per block of bases (the unused rest last), handed out
    # in plan order
    params = iter(raw[:, :n_params].unbind(1))
    unused = n_base_draws * _BASES_PER_DRAW - sum(chunk_sizes)
    chunks = iter(_unpack_bases(raw[:, n_params:]).split_with_sizes([*chunk_sizes, unused], 1))
    column_map = _ColumnMap(n, length, x.device)
    for (aug, active), aug_chunks in zip(plan, base_chunks, strict=True):
        aug_params = [next(params) for _ in range(aug._n_params)]
        random = [next(chunks) for _ in aug_chunks]
        aug._remap(column_map, active, aug_params, random, generator, trim)
    out = column_map.take(x)
    for aug, active in plan:
        aug._add_values(out, active, generator)
    return out


# ---------------------------------------------------------------------------------------
# augmentations
# ---------------------------------------------------------------------------------------


class Augmentation:
    """Base class: ``aug(x, generator=None)`` applies the augmentation to every row.

    Subclasses set ``name`` (the config key), store their parameters under the names
    their constructor takes and describe their work to `_augment`: ``_n_params`` raw
    draws and ``_base_chunks(width)`` blocks of random bases per row, ``_output_width``,
    ``_remap`` (their change of the column map) and ``_add_values`` (their change of
    the values).
    """

    name: str = ""
    _param_names: tuple[str, ...] = ()
    _n_params: int = 0

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

    def transform(self, x: torch.Tensor, generator, **options) -> torch.Tensor:
        """Augment every row of a validated batch ``x``, shape ``(N, 4, L)``."""
        return _augment(x, [(self, None)], generator, **options)

    def apply(self, x: torch.Tensor, mask: torch.Tensor, generator, **options) -> torch.Tensor:
        """Augment the rows of ``x`` where ``mask`` is true; keep the other rows.

        Parameters
        ----------
        x : torch.Tensor, shape=(N, 4, L)
        mask : torch.Tensor, shape=(N,), dtype=bool
        generator : torch.Generator or None
        **options
            ``trim`` (bool, default False) for `RandomInsertion`, see `Augmenter`.

        Returns
        -------
        torch.Tensor, shape=(N, 4, L_out)
            A new tensor; with `RandomInsertion` and ``trim=False`` the other rows get
            ``insert_max`` random bases at their 3' end.
        """
        return _augment(x, [(self, mask)], generator, **options)

    def _base_chunks(self, width: int) -> tuple[int, ...]:
        """Sizes of the blocks of random bases per row it needs at input width ``width``."""
        return ()

    def _output_width(self, width: int, trim: bool) -> int:
        """Width after this augmentation; raises a ValueError when ``width`` is too short."""
        return width

    def _remap(self, column_map, active, params, random, generator, trim) -> None:
        """Compose this augmentation's column moves into ``column_map`` (default: none).

        ``params`` is a list of ``_n_params`` raw draws (int64 ``(N,)``), ``random`` a
        list of blocks of uniform random bases 0..3 (int64 ``(N, size)``, sizes from
        `_base_chunks`, also their column codes), ``active`` the rows it applies to.
        """

    def _add_values(self, out, active, generator) -> None:
        """Change the values of ``out`` (``(N, 4, W)``) in place (default: nothing)."""

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
    mutate_frac : float, default=0.05
        Expected fraction of changed positions, in ``[0, 0.75]`` (0.75 redraws every
        position). Python's ``round`` gives ``k`` (ties to even).
    """

    name = "mutation"
    _param_names = _names("mutation")

    def __init__(self, mutate_frac: float = _DEFAULTS["mutation"]["mutate_frac"]):
        self.mutate_frac = _table_float("mutation", "mutate_frac", mutate_frac)

    def n_mutations(self, length: int) -> int:
        """Number of mutated positions per sequence of length ``length``."""
        return round(self.mutate_frac / 0.75 * length)

    def _base_chunks(self, width):
        k = self.n_mutations(width)
        return (k,) if k else ()

    def _remap(self, column_map, active, params, random, generator, trim):
        if not random:
            return
        (bases,) = random
        rows = _selected_rows(active, bases.shape[0], bases.device)
        # The k largest of i.i.d. uniform keys: k distinct positions, a uniform subset.
        # Keys only for the mutated rows: after the noise, the costliest draw of a call.
        keys = torch.rand(rows.shape[0], column_map.width, generator=generator, device=rows.device)
        sites = keys.topk(bases.shape[1], dim=1, sorted=False).indices
        column_map.overwrite(rows, sites, bases[rows])


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
    _param_names = _names("translocation")
    _n_params = 1

    def __init__(
        self,
        shift_min: int = _DEFAULTS["translocation"]["shift_min"],
        shift_max: int = _DEFAULTS["translocation"]["shift_max"],
    ):
        self.shift_min, self.shift_max = _int_range("shift_min", shift_min, "shift_max", shift_max)

    def draw_shifts(self, n: int, generator, device) -> torch.Tensor:
        """Draw ``n`` shifts uniform on the union of both signed ranges, int64 ``(n,)``."""
        return self._shifts(_raw_draws(n, 1, generator, device)[:, 0])

    def _shifts(self, raw: torch.Tensor) -> torch.Tensor:
        """Signed shifts from raw draws ``(n,)``."""
        # -shift_max .. -shift_min, then the positive shifts moved down next to them:
        # first_positive .. shift_max become -shift_min + 1 .. (0 is among the negatives)
        first_positive = max(self.shift_min, 1)
        gap = first_positive + self.shift_min - 1
        shift = _uniform_int(raw, -self.shift_max, self.shift_max - gap)
        return torch.where(shift > -self.shift_min, shift + gap, shift) if gap else shift

    def _remap(self, column_map, active, params, random, generator, trim):
        width = column_map.width
        # out[j] = [codes | codes][j + (L - s) mod L]
        offset = _where_active(active, (width - self._shifts(params[0])) % width, 0)
        column_map.shift(width, offset, back=column_map.codes)


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
    _param_names = _names("insertion")
    _n_params = 2

    def __init__(
        self,
        insert_min: int = _DEFAULTS["insertion"]["insert_min"],
        insert_max: int = _DEFAULTS["insertion"]["insert_max"],
    ):
        self.insert_min, self.insert_max = _int_range(
            "insert_min", insert_min, "insert_max", insert_max
        )

    def transform(self, x, generator, trim: bool = False):
        """Insert into every row; ``trim=True`` keeps the length ``L`` (see `Augmenter`)."""
        return super().transform(x, generator, trim=trim)

    def _base_chunks(self, width):
        return (self.insert_max, self.insert_max)

    def _output_width(self, width, trim):
        if not trim:
            return width + self.insert_max
        if self.insert_max > width:
            raise ValueError(
                f"insert_max ({self.insert_max}) must be <= the sequence length L ({width}) "
                f'with insertion_mode="trim"; lower insert_max or use insertion_mode="pad"'
            )
        return width

    def _remap(self, column_map, active, params, random, generator, trim):
        width, insert_max = column_map.width, self.insert_max
        # parametrised by the number of bases not inserted, insert_max - k
        spare = _uniform_int(params[0], 0, insert_max - self.insert_min)
        i = _uniform_int(params[1], 0, width)
        if trim:
            # Drop floor(k/2) bases at the 5' end and ceil(k/2) at the 3' end (the mirror
            # of a deletion's padding, keeps the original centre centred), moved just
            # enough that the whole inserted segment stays inside the window. Other rows
            # insert nothing: the identity.
            k = _where_active(active, insert_max - spare, 0)
            spare = insert_max - k
            earliest = (i + k - width).clamp(min=0)
            offset = torch.maximum(torch.minimum(k >> 1, torch.minimum(i, k)), earliest)
            left, out_width = -offset, width
        else:
            # Rows without insertion get insert_max random bases at their 3' end: an
            # insertion of insert_max bases at position L.
            spare = _where_active(active, spare, 0)
            i = _where_active(active, i, width)
            left, out_width = spare >> 1, width + insert_max
            if active is not None:
                # a later reverse complement leaves that padding at the 3' end
                column_map.padding = (active, width)
        # Output "left flank | x[:i] | insert | x[i:] | right flank" (flanks cut in trim
        # mode) from the table "front | x | back" of insert_max random columns each: the
        # left flank is the end of front, the insert its start, the right flank the
        # start of back, so no random column is used twice.
        start = left + i
        positions = torch.stack([start, start + (insert_max - spare)], dim=1)
        jumps = torch.stack([-insert_max - i, spare + i], dim=1)
        column_map.shift(out_width, insert_max - left, positions, jumps, *random)


class RandomDeletion(Augmentation):
    """Delete ``d`` uniform on ``[delete_min, delete_max]`` contiguous bases; re-pad to L.

    The start is uniform on ``[0, L - d]`` (every start at which the segment fits); the
    sequence closes the gap and gets ``floor(d/2)`` random bases at its 5' end and
    ``ceil(d/2)`` at its 3' end, so the length stays ``L``.

    Parameters
    ----------
    delete_min : int, default=0
        Shortest deletion, >= 0.
    delete_max : int, default=30
        Longest deletion, >= delete_min; must be < L (checked when called).
    """

    name = "deletion"
    _param_names = _names("deletion")
    _n_params = 2

    def __init__(
        self,
        delete_min: int = _DEFAULTS["deletion"]["delete_min"],
        delete_max: int = _DEFAULTS["deletion"]["delete_max"],
    ):
        self.delete_min, self.delete_max = _int_range(
            "delete_min", delete_min, "delete_max", delete_max
        )

    def _base_chunks(self, width):
        return (self.delete_max, self.delete_max)

    def _output_width(self, width, trim):
        if self.delete_max >= width:
            raise ValueError(
                f"delete_max ({self.delete_max}) must be < the sequence length L ({width}) "
                f"so that a base is left; lower delete_max to at most {width - 1}"
            )
        return width

    def _remap(self, column_map, active, params, random, generator, trim):
        width, delete_max = column_map.width, self.delete_max
        d = _where_active(active, _uniform_int(params[0], self.delete_min, delete_max), 0)
        start = params[1] % (width + 1 - d)  # uniform on 0 .. L - d
        left = d >> 1
        # From the table "front | x | back" of delete_max random columns each: the 5'
        # padding is the end of front, contiguous with the kept bases before the
        # deletion; the bases after it skip d columns and run on into back (3' padding).
        positions, jumps = (left + start).unsqueeze(1), d.unsqueeze(1)
        column_map.shift(width, delete_max - left, positions, jumps, *random)


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
    _param_names = _names("inversion")
    _n_params = 2

    def __init__(
        self,
        invert_min: int = _DEFAULTS["inversion"]["invert_min"],
        invert_max: int = _DEFAULTS["inversion"]["invert_max"],
    ):
        self.invert_min, self.invert_max = _int_range(
            "invert_min", invert_min, "invert_max", invert_max
        )

    def _output_width(self, width, trim):
        if self.invert_max > width:
            raise ValueError(
                f"invert_max ({self.invert_max}) must be <= the sequence length L ({width}); "
                f"lower invert_max to at most {width}"
            )
        return width

    def _remap(self, column_map, active, params, random, generator, trim):
        window = _uniform_int(params[0], self.invert_min, self.invert_max)
        window = _where_active(active, window, 0)
        start = params[1] % (column_map.width + 1 - window)  # uniform on 0 .. L - k
        column_map.reverse_windows(start, start + window)


class RandomRC(Augmentation):
    """Reverse-complement each sequence with probability ``rc_prob``.

    Parameters
    ----------
    rc_prob : float, default=0.5
        Probability in ``[0, 1]``.
    """

    name = "rc"
    _param_names = _names("rc")
    _n_params = 1

    def __init__(self, rc_prob: float = _DEFAULTS["rc"]["rc_prob"]):
        self.rc_prob = _table_float("rc", "rc_prob", rc_prob)

    def _remap(self, column_map, active, params, random, generator, trim):
        flip = params[0] < round(self.rc_prob * _RANDOM_INT_SPAN)
        if active is not None:
            flip &= active
        if column_map.padding is None:
            column_map.reverse_rows(flip)
            return
        # rows padded without insertion reverse their first L columns only
        inserted, unpadded_width = column_map.padding
        end = torch.where(flip, torch.where(inserted, column_map.width, unpadded_width), 0)
        column_map.reverse_windows(torch.zeros_like(end), end)


class RandomNoise(Augmentation):
    """Add i.i.d. Gaussian noise ``N(noise_mean, noise_std**2)`` to every element.

    Parameters
    ----------
    noise_mean : float, default=0.0
        Mean of the noise.
    noise_std : float, default=0.3
        Standard deviation, >= 0.
    """

    name = "noise"
    _param_names = _names("noise")

    def __init__(
        self,
        noise_mean: float = _DEFAULTS["noise"]["noise_mean"],
        noise_std: float = _DEFAULTS["noise"]["noise_std"],
    ):
        self.noise_mean = _table_float("noise", "noise_mean", noise_mean)
        self.noise_std = _table_float("noise", "noise_std", noise_std)

    def _add_values(self, out, active, generator):
        # Gaussian draws are the costliest part of a call: only for the rows that get them.
        rows = _selected_rows(active, out.shape[0], out.device)
        noise = torch.empty((rows.shape[0], *out.shape[1:]), dtype=out.dtype, device=out.device)
        noise.normal_(self.noise_mean, self.noise_std, generator=generator)
        out.index_add_(0, rows, noise)


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
        length = _as_int("length", length, 1)
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
        _check_batch(x)
        _check_generator(generator, x.device)
        chosen = self.choose(x.shape[0], generator, x.device)
        masks = chosen.unbind(1)
        plan = [(aug, masks[column]) for column, aug in self._ordered]
        return _augment(x, plan, generator, trim=self.insertion_mode == "trim")

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

"""The machinery under every augmentation: argument checks, random draws, the column map.

Per-row parameters and random bases of a call come from one integer draw
(`raw_draws`); the column moves of all augmentations of a call are composed on a
`_ColumnMap` (an int tensor ``(N, L_out)`` of codes into ``[x | A | C | G | T]``) and
applied by one ``torch.gather`` (`apply_plan`). The augmentations themselves live in
:mod:`evoaugflow.augment_ops`, their composer in :mod:`evoaugflow.augment`.
"""

from __future__ import annotations

import math
import operator

import torch

from evoaugflow.augment_params import AUGMENT_PARAMS, defaults, param

# Per-row uniform integers are drawn as (huge random integer) mod (range size); with
# 2**48 the modulo bias is below 1e-12 for any sequence length.
RANDOM_INT_BITS = 48
RANDOM_INT_SPAN = 2**RANDOM_INT_BITS
_BASES_PER_DRAW = RANDOM_INT_BITS // 2
# Bit of a column code (see _ColumnMap) that marks a complemented column.
_COMPLEMENT_SHIFT = 30
_COMPLEMENT_BIT = 1 << _COMPLEMENT_SHIFT


# ---------------------------------------------------------------------------------------
# validation helpers
# ---------------------------------------------------------------------------------------


def as_int(name: str, value, low: int = 0) -> int:
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


def int_range(min_name: str, min_value, max_name: str, max_value) -> tuple[int, int]:
    """Validate a ``(min, max)`` pair of non-negative integers with ``min <= max``."""
    low = as_int(min_name, min_value)
    high = as_int(max_name, max_value)
    if low > high:
        raise ValueError(
            f"{min_name} ({low}) must be <= {max_name} ({high}); lower {min_name} or raise {max_name}"
        )
    return low, high


# Defaults and fixed bounds come from the one table in evoaugflow.augment_params.
PARAM_DEFAULTS = {name: defaults(name) for name in AUGMENT_PARAMS}


def param_names(augmentation: str) -> tuple[str, ...]:
    """Argument names of an augmentation, in the table's order."""
    return tuple(PARAM_DEFAULTS[augmentation])


def table_float(augmentation: str, name: str, value) -> float:
    """Check a float argument against its bounds in the parameter table."""
    entry = param(augmentation, name)
    high = math.inf if entry.high is None else entry.high
    return _as_float(name, value, entry.low, high)


def check_batch(x) -> None:
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


def check_generator(generator: torch.Generator | None, device: torch.device) -> None:
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


def raw_draws(n: int, count: int, generator, device) -> torch.Tensor:
    """``count`` raw draws per row, uniform on ``[0, 2**48)``, int64 ``(n, count)``."""
    return torch.randint(0, RANDOM_INT_SPAN, (n, count), generator=generator, device=device)


def uniform_int(raw: torch.Tensor, low: int, high: int) -> torch.Tensor:
    """Turn raw draws (see `raw_draws`) into integers uniform on ``[low, high]``.

    For per-row bounds ``[0, count)`` use ``raw % count`` directly.
    """
    draw = raw % (high - low + 1)
    return draw + low if low else draw


def _unpack_bases(raw: torch.Tensor) -> torch.Tensor:
    """Split raw draws ``(n, c)`` into ``(n, 24 c)`` uniform bases 0..3 (two bits each).

    A draw uniform on ``[0, 2**48)`` holds 48 independent fair bits, so one draw gives
    24 independent uniform bases.
    """
    shifts = torch.arange(0, RANDOM_INT_BITS, 2, device=raw.device)
    return ((raw.unsqueeze(2) >> shifts) & 3).flatten(1)


def random_dna(n: int, length: int, dtype, generator, device) -> torch.Tensor:
    """I.i.d. uniform one-hot columns, shape ``(n, 4, length)``."""
    bases = torch.randint(0, 4, (n, 1, length), generator=generator, device=device)
    return (bases == torch.arange(4, device=device).view(1, 4, 1)).to(dtype)


def selected_rows(active: torch.Tensor | None, n: int, device) -> torch.Tensor:
    """Indices of the rows where ``active`` (bool ``(n,)``, None = all) is true, int64."""
    if active is None:
        return torch.arange(n, device=device)
    return active.nonzero().squeeze(1)


def where_active(active: torch.Tensor | None, value: torch.Tensor, inactive):
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


def apply_plan(x: torch.Tensor, plan, generator, trim: bool = False) -> torch.Tensor:
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
    raw = raw_draws(n, n_params + n_base_draws, generator, x.device)
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

"""The seven evolution-inspired augmentations of one-hot DNA, each a small class.

Each describes its work (parameters, random bases, column moves, added values) to
:func:`evoaugflow.augment_kernels.apply_plan`, which applies it to a whole batch at once;
:class:`evoaugflow.augment.Augmenter` composes them per sequence.
"""

from __future__ import annotations

import torch

from evoaugflow.augment_kernels import (
    PARAM_DEFAULTS,
    RANDOM_INT_SPAN,
    apply_plan,
    check_batch,
    check_generator,
    int_range,
    param_names,
    raw_draws,
    selected_rows,
    table_float,
    uniform_int,
    where_active,
)


class Augmentation:
    """Base class: ``aug(x, generator=None)`` applies the augmentation to every row.

    Subclasses set ``name`` (the config key), store their parameters under the names
    their constructor takes and describe their work to `apply_plan`: ``_n_params`` raw
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
        check_batch(x)
        check_generator(generator, x.device)
        return self.transform(x, generator)

    def transform(self, x: torch.Tensor, generator, **options) -> torch.Tensor:
        """Augment every row of a validated batch ``x``, shape ``(N, 4, L)``."""
        return apply_plan(x, [(self, None)], generator, **options)

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
        return apply_plan(x, [(self, mask)], generator, **options)

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
    _param_names = param_names("mutation")

    def __init__(self, mutate_frac: float = PARAM_DEFAULTS["mutation"]["mutate_frac"]):
        self.mutate_frac = table_float("mutation", "mutate_frac", mutate_frac)

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
        rows = selected_rows(active, bases.shape[0], bases.device)
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
    _param_names = param_names("translocation")
    _n_params = 1

    def __init__(
        self,
        shift_min: int = PARAM_DEFAULTS["translocation"]["shift_min"],
        shift_max: int = PARAM_DEFAULTS["translocation"]["shift_max"],
    ):
        self.shift_min, self.shift_max = int_range("shift_min", shift_min, "shift_max", shift_max)

    def draw_shifts(self, n: int, generator, device) -> torch.Tensor:
        """Draw ``n`` shifts uniform on the union of both signed ranges, int64 ``(n,)``."""
        return self._shifts(raw_draws(n, 1, generator, device)[:, 0])

    def _shifts(self, raw: torch.Tensor) -> torch.Tensor:
        """Signed shifts from raw draws ``(n,)``."""
        # -shift_max .. -shift_min, then the positive shifts moved down next to them:
        # first_positive .. shift_max become -shift_min + 1 .. (0 is among the negatives)
        first_positive = max(self.shift_min, 1)
        gap = first_positive + self.shift_min - 1
        shift = uniform_int(raw, -self.shift_max, self.shift_max - gap)
        return torch.where(shift > -self.shift_min, shift + gap, shift) if gap else shift

    def _remap(self, column_map, active, params, random, generator, trim):
        width = column_map.width
        # out[j] = [codes | codes][j + (L - s) mod L]
        offset = where_active(active, (width - self._shifts(params[0])) % width, 0)
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
    _param_names = param_names("insertion")
    _n_params = 2

    def __init__(
        self,
        insert_min: int = PARAM_DEFAULTS["insertion"]["insert_min"],
        insert_max: int = PARAM_DEFAULTS["insertion"]["insert_max"],
    ):
        self.insert_min, self.insert_max = int_range(
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
        spare = uniform_int(params[0], 0, insert_max - self.insert_min)
        i = uniform_int(params[1], 0, width)
        if trim:
            # Drop floor(k/2) bases at the 5' end and ceil(k/2) at the 3' end (the mirror
            # of a deletion's padding, keeps the original centre centred), moved just
            # enough that the whole inserted segment stays inside the window. Other rows
            # insert nothing: the identity.
            k = where_active(active, insert_max - spare, 0)
            spare = insert_max - k
            earliest = (i + k - width).clamp(min=0)
            offset = torch.maximum(torch.minimum(k >> 1, torch.minimum(i, k)), earliest)
            left, out_width = -offset, width
        else:
            # Rows without insertion get insert_max random bases at their 3' end: an
            # insertion of insert_max bases at position L.
            spare = where_active(active, spare, 0)
            i = where_active(active, i, width)
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
    _param_names = param_names("deletion")
    _n_params = 2

    def __init__(
        self,
        delete_min: int = PARAM_DEFAULTS["deletion"]["delete_min"],
        delete_max: int = PARAM_DEFAULTS["deletion"]["delete_max"],
    ):
        self.delete_min, self.delete_max = int_range(
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
        d = where_active(active, uniform_int(params[0], self.delete_min, delete_max), 0)
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
    _param_names = param_names("inversion")
    _n_params = 2

    def __init__(
        self,
        invert_min: int = PARAM_DEFAULTS["inversion"]["invert_min"],
        invert_max: int = PARAM_DEFAULTS["inversion"]["invert_max"],
    ):
        self.invert_min, self.invert_max = int_range(
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
        window = uniform_int(params[0], self.invert_min, self.invert_max)
        window = where_active(active, window, 0)
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
    _param_names = param_names("rc")
    _n_params = 1

    def __init__(self, rc_prob: float = PARAM_DEFAULTS["rc"]["rc_prob"]):
        self.rc_prob = table_float("rc", "rc_prob", rc_prob)

    def _remap(self, column_map, active, params, random, generator, trim):
        flip = params[0] < round(self.rc_prob * RANDOM_INT_SPAN)
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
    _param_names = param_names("noise")

    def __init__(
        self,
        noise_mean: float = PARAM_DEFAULTS["noise"]["noise_mean"],
        noise_std: float = PARAM_DEFAULTS["noise"]["noise_std"],
    ):
        self.noise_mean = table_float("noise", "noise_mean", noise_mean)
        self.noise_std = table_float("noise", "noise_std", noise_std)

    def _add_values(self, out, active, generator):
        # Gaussian draws are the costliest part of a call: only for the rows that get them.
        rows = selected_rows(active, out.shape[0], out.device)
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

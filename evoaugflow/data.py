"""Load the published h5 data sets (train / valid / test splits of one-hot DNA and labels).

Accepted layouts (REFERENCE.md section 5): keys ``X_train, Y_train, X_valid, Y_valid,
X_test, Y_test`` (DeepSTARR, Basset) or their lower-case forms (ChIP-seq files); each
key may use either case. One-hot arrays are ``(N, 4, L)``. An array stored as
``(N, L, 4)`` is transposed when that is unambiguous, i.e. its second axis is not 4 and
its third is. Labels may be float or integer, ``(N,)`` or ``(N, T)``; they are returned
as float32 ``(N, T)``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import torch

SPLITS = ("train", "valid", "test")
DOWNSAMPLE_MODES = ("random", "first")


@dataclass
class SequenceData:
    """The three splits of a data set, as float32 tensors.

    Attributes
    ----------
    x_train, x_valid, x_test : torch.Tensor, shape=(N, 4, L)
        One-hot sequences, channel order A, C, G, T.
    y_train, y_valid, y_test : torch.Tensor, shape=(N, T)
        Labels (0/1 for classification, values for regression).
    path : pathlib.Path or None
        The h5 file the data came from (None for data built in memory).
    sequence_length : int
        L.
    n_tasks : int
        T.
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_valid: torch.Tensor
    y_valid: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    path: Path | None
    sequence_length: int
    n_tasks: int

    def split(self, name: str) -> tuple[torch.Tensor, torch.Tensor]:
        """Return ``(x, y)`` of split ``name`` (``"train"``, ``"valid"`` or ``"test"``)."""
        if name not in SPLITS:
            raise ValueError(f"split={name!r}: choose one of {', '.join(SPLITS)}")
        return getattr(self, f"x_{name}"), getattr(self, f"y_{name}")


def _find_key(handle: h5py.File, path: Path, stem: str) -> str:
    """Return the key for ``stem`` (e.g. ``"x_train"``) in either case, or raise ValueError."""
    for key in (stem, stem[0].upper() + stem[1:]):
        if key in handle:
            return key
    raise ValueError(
        f"{path}: key {stem!r} (or {stem[0].upper() + stem[1:]!r}) is missing; found keys "
        f"{sorted(handle.keys())}. A data set needs x_/y_ (or X_/Y_) keys for each of "
        f"{', '.join(SPLITS)}"
    )


def _read_x(handle: h5py.File, path: Path, key: str, indices: np.ndarray | None) -> np.ndarray:
    """Read one-hot array ``key`` as float32 (N, 4, L), transposing an unambiguous (N, L, 4)."""
    dataset = handle[key]
    if dataset.ndim != 3:
        raise ValueError(
            f"{path}: key {key!r} has shape {dataset.shape}; expected one-hot (N, 4, L)"
        )
    channels_last = dataset.shape[1] != 4 and dataset.shape[2] == 4
    if dataset.shape[1] != 4 and not channels_last:
        raise ValueError(
            f"{path}: key {key!r} has shape {dataset.shape}; expected 4 channels (A, C, G, T) "
            "on axis 1, i.e. (N, 4, L)"
        )
    x = np.asarray(dataset[()] if indices is None else dataset[()][indices], dtype=np.float32)
    return np.ascontiguousarray(x.transpose(0, 2, 1)) if channels_last else x


def _read_y(handle: h5py.File, path: Path, key: str, indices: np.ndarray | None) -> np.ndarray:
    """Read label array ``key`` as float32 (N, T); check that every label is finite."""
    dataset = handle[key]
    if dataset.ndim not in (1, 2):
        raise ValueError(f"{path}: key {key!r} has shape {dataset.shape}; expected (N,) or (N, T)")
    y = np.asarray(dataset[()] if indices is None else dataset[()][indices], dtype=np.float32)
    y = y.reshape(len(y), -1)
    if not np.isfinite(y).all():
        bad = int((~np.isfinite(y)).any(axis=1).sum())
        raise ValueError(
            f"{path}: key {key!r} has {bad} row(s) with NaN or infinite labels; every label "
            "must be finite (remove or impute those rows)"
        )
    return y


def _subsample(n_available: int, downsample: int, mode: str, seed: int) -> np.ndarray:
    """Sorted indices of ``downsample`` training rows out of ``n_available``."""
    if mode == "first":
        return np.arange(downsample)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_available, size=downsample, replace=False))


def load_dataset(
    path: str | os.PathLike,
    downsample: int | None = None,
    downsample_mode: str = "random",
    seed: int = 0,
) -> SequenceData:
    """Load and check an h5 data set.

    Parameters
    ----------
    path : str or PathLike
        h5 file with ``x_train, y_train, x_valid, y_valid, x_test, y_test`` (either case).
    downsample : int, optional
        Keep only this many training sequences (default None: keep all). Validation and
        test splits are never downsampled.
    downsample_mode : {"random", "first"}, default "random"
        ``"random"``: a uniform subset without replacement drawn by
        ``numpy.random.default_rng(seed)``, kept in file order; ``"first"``: the first
        ``downsample`` rows.
    seed : int, default 0
        Seed of the random subset.

    Returns
    -------
    SequenceData
        Float32 tensors, x ``(N, 4, L)`` and y ``(N, T)``.

    Raises
    ------
    ValueError
        When the file is missing or not h5, a key is missing, x and y disagree in N, x
        does not have 4 channels, a label is not finite, a split is empty, splits disagree
        in L or T, or ``downsample`` is out of range.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"data file {path} does not exist: pass the path of an h5 data set")
    if downsample_mode not in DOWNSAMPLE_MODES:
        raise ValueError(
            f"downsample_mode={downsample_mode!r}: choose one of {', '.join(DOWNSAMPLE_MODES)}"
        )
    if downsample is not None and (
        not isinstance(downsample, int | np.integer) or isinstance(downsample, bool)
    ):
        raise ValueError(f"downsample={downsample!r}: expected a positive integer or None")
    try:
        handle = h5py.File(path, "r")
    except OSError as error:
        raise ValueError(f"data file {path} is not a readable h5 file ({error})") from error

    arrays: dict[str, np.ndarray] = {}
    with handle:
        keys = {
            f"{prefix}_{split}": _find_key(handle, path, f"{prefix}_{split}")
            for split in SPLITS
            for prefix in ("x", "y")
        }
        for split in SPLITS:
            x_key, y_key = keys[f"x_{split}"], keys[f"y_{split}"]
            n_x, n_y = handle[x_key].shape[0], handle[y_key].shape[0]
            if n_x != n_y:
                raise ValueError(
                    f"{path}: key {x_key!r} has {n_x} sequences but {y_key!r} has {n_y} "
                    "labels; they must have the same first dimension"
                )
            if n_x == 0:
                raise ValueError(
                    f"{path}: split {split!r} (key {x_key!r}) is empty; every split needs at "
                    "least one sequence"
                )
            indices = None
            if split == "train" and downsample is not None:
                if not 1 <= downsample <= n_x:
                    raise ValueError(
                        f"downsample={downsample} for {path} key {x_key!r}: expected 1.."
                        f"{n_x} (the training split has {n_x} sequences)"
                    )
                indices = _subsample(n_x, int(downsample), downsample_mode, seed)
            arrays[f"x_{split}"] = _read_x(handle, path, x_key, indices)
            arrays[f"y_{split}"] = _read_y(handle, path, y_key, indices)

    lengths = {split: arrays[f"x_{split}"].shape[2] for split in SPLITS}
    tasks = {split: arrays[f"y_{split}"].shape[1] for split in SPLITS}
    for name, per_split in (("sequence length", lengths), ("number of tasks", tasks)):
        if len(set(per_split.values())) != 1:
            raise ValueError(
                f"{path}: the {name} differs between splits ({per_split}); all splits must share it"
            )
    return SequenceData(
        **{key: torch.from_numpy(value) for key, value in arrays.items()},
        path=path.resolve(),
        sequence_length=lengths["train"],
        n_tasks=tasks["train"],
    )

"""Load the published h5 data sets (train / valid / test splits of one-hot DNA and labels).

Accepted layouts (REFERENCE.md section 5): keys ``X_train, Y_train, X_valid, Y_valid,
X_test, Y_test`` (DeepSTARR, Basset) or their lower-case forms (ChIP-seq files); each
key may use either case. One-hot arrays are ``(N, 4, L)``. An array stored as
``(N, L, 4)`` is transposed when that is unambiguous, i.e. its second axis is not 4 and
its third is. Labels may be float or integer, ``(N,)`` or ``(N, T)``; they are returned
as float32 ``(N, T)``.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import torch

from evoaugflow.models import TASKS

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


def find_key(handle: h5py.File, path: Path, stem: str) -> str:
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
            f"{prefix}_{split}": find_key(handle, path, f"{prefix}_{split}")
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


# --------------------------------------------------------------------------- checking
#: Bytes of one chunk read by :func:`check_dataset` (bounded memory for multi-GB files).
CHECK_CHUNK_BYTES = 64 * 2**20


def h5_shape(path: str | os.PathLike) -> tuple[int, int]:
    """Sequence length L and task count T from an h5 data set's header (no data read).

    Parameters
    ----------
    path : str or PathLike
        h5 file in the published layout.

    Returns
    -------
    tuple of int
        ``(L, T)`` of the training split.
    """
    path = Path(path)
    try:
        handle = h5py.File(path, "r")
    except OSError as error:
        raise ValueError(f"data file {path} is not a readable h5 file ({error})") from error
    with handle:
        x = handle[find_key(handle, path, "x_train")]
        y = handle[find_key(handle, path, "y_train")]
        if x.ndim != 3:
            raise ValueError(f"{path}: key {x.name!r} has shape {x.shape}; expected (N, 4, L)")
        length = x.shape[2] if x.shape[1] == 4 else x.shape[1]
        return int(length), int(1 if y.ndim == 1 else np.prod(y.shape[1:]))


def _check_x_chunk(x: np.ndarray) -> dict[str, np.ndarray]:
    """Per-row faults of a chunk of one-hot sequences (N, 4, L)."""
    finite = np.isfinite(x)
    binary = finite & ((x == 0) | (x == 1))
    column_sums = np.where(binary, x, 0).sum(axis=1)
    return {
        "non_finite": ~finite.all(axis=(1, 2)),
        "not_one_hot": ~binary.all(axis=(1, 2)) | (column_sums > 1).any(axis=1),
        "n_columns": (binary.all(axis=1) & (column_sums == 0)).sum(axis=1),
    }


def check_dataset(path: str | os.PathLike, task: str) -> dict:
    """Check every value of an h5 data set in bounded memory, before any training.

    x must be finite and one-hot (0/1, at most one 1 per column; all-zero columns are
    allowed and counted as N); y must be finite, and in {0, 1} for ``task="binary"``.
    The file is read in chunks of about :data:`CHECK_CHUNK_BYTES`, so a multi-GB file is
    checked in bounded memory.

    Parameters
    ----------
    path : str or PathLike
        h5 file in the published layout (see :func:`load_dataset`).
    task : {"binary", "regression"}
        What the labels mean.

    Returns
    -------
    dict
        ``path``, ``task``, ``sequence_length``, ``n_tasks``, ``sha256`` (of every array's
        bytes, in split order) and, per split, ``n``, ``n_fraction`` (fraction of N
        columns) and per task either ``positive_fraction`` (binary) or ``mean`` and
        ``std`` (regression).

    Raises
    ------
    ValueError
        Naming the file, the key, the first bad row and the number of bad rows, and how
        to fix it; also for every fault :func:`load_dataset` reports, except a missing
        test split: that one is recorded as None (a sweep's train/valid-only file), and
        whatever evaluates on test names the missing key when it loads the file.
    """
    if task not in TASKS:
        raise ValueError(f"task={task!r}: choose one of {', '.join(TASKS)}")
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"data file {path} does not exist: pass the path of an h5 data set")
    try:
        handle = h5py.File(path, "r")
    except OSError as error:
        raise ValueError(f"data file {path} is not a readable h5 file ({error})") from error
    digest = hashlib.sha256()
    summary: dict = {"path": str(path), "task": task, "splits": {}}
    shapes = {}
    with handle:
        for split in SPLITS:
            if split == "test" and not any(
                key in handle for key in ("x_test", "X_test", "y_test", "Y_test")
            ):
                # A sweep needs train and valid only (rule hold_out_test); whatever
                # evaluates on test loads the data set and names the missing key.
                summary["splits"]["test"] = None
                print(f"{path}: no test split (x_test/y_test): only a sweep can use this file")
                continue
            x_key = find_key(handle, path, f"x_{split}")
            y_key = find_key(handle, path, f"y_{split}")
            x_set, y_set = handle[x_key], handle[y_key]
            if x_set.ndim != 3 or 4 not in x_set.shape[1:]:
                raise ValueError(
                    f"{path}: key {x_key!r} has shape {x_set.shape}; expected one-hot (N, 4, L)"
                )
            if y_set.ndim not in (1, 2):
                raise ValueError(
                    f"{path}: key {y_key!r} has shape {y_set.shape}; expected (N,) or (N, T)"
                )
            n = x_set.shape[0]
            if n != y_set.shape[0]:
                raise ValueError(
                    f"{path}: key {x_key!r} has {n} sequences but {y_key!r} has "
                    f"{y_set.shape[0]} labels; they must have the same first dimension"
                )
            if n == 0:
                raise ValueError(f"{path}: split {split!r} (key {x_key!r}) is empty")
            channels_last = x_set.shape[1] != 4
            length = x_set.shape[1] if channels_last else x_set.shape[2]
            n_tasks = 1 if y_set.ndim == 1 else y_set.shape[1]
            shapes[split] = (length, n_tasks)
            rows = max(1, CHECK_CHUNK_BYTES // max(1, 4 * length * 4))
            faults = {"non_finite": [0, None], "not_one_hot": [0, None]}
            y_faults = {"non_finite": [0, None], "not_binary": [0, None]}
            n_columns = 0
            y_sum = np.zeros(n_tasks)
            y_sq = np.zeros(n_tasks)
            for start in range(0, n, rows):
                x = np.asarray(x_set[start : start + rows], dtype=np.float32)
                if channels_last:
                    x = x.transpose(0, 2, 1)
                digest.update(np.ascontiguousarray(x).tobytes())
                found = _check_x_chunk(x)
                n_columns += int(found["n_columns"].sum())
                for name in faults:
                    bad = (
                        found[name] if name == "non_finite" else found[name] & ~found["non_finite"]
                    )
                    faults[name][0] += int(bad.sum())
                    if faults[name][1] is None and bad.any():
                        faults[name][1] = start + int(np.flatnonzero(bad)[0])
                y = np.asarray(y_set[start : start + rows], dtype=np.float64).reshape(len(x), -1)
                digest.update(y.astype(np.float32).tobytes())
                y_finite = np.isfinite(y)
                bad_y = {"non_finite": ~y_finite.all(axis=1)}
                if task == "binary":
                    bad_y["not_binary"] = ~((y == 0) | (y == 1) | ~y_finite).all(axis=1)
                for name, bad in bad_y.items():
                    y_faults[name][0] += int(bad.sum())
                    if y_faults[name][1] is None and bad.any():
                        y_faults[name][1] = start + int(np.flatnonzero(bad)[0])
                y_clean = np.where(y_finite, y, 0.0)
                y_sum += y_clean.sum(axis=0)
                y_sq += (y_clean**2).sum(axis=0)
            problems = []
            explain = {
                (x_key, "non_finite"): (
                    "holds NaN or infinite values",
                    "one-hot x must be finite: rebuild the file from the sequences",
                ),
                (x_key, "not_one_hot"): (
                    "is not one-hot (values other than 0/1, or more than one 1 in a column)",
                    "encode each base as one 1 in channels A, C, G, T (N as an all-zero "
                    "column), shape (N, 4, L)",
                ),
                (y_key, "non_finite"): (
                    "holds NaN or infinite labels",
                    "every label must be finite: remove or impute those rows",
                ),
                (y_key, "not_binary"): (
                    "holds labels other than 0 and 1 for a binary task",
                    "use 0/1 labels, or set the data set's task to regression",
                ),
            }
            for key, found_faults in ((x_key, faults), (y_key, y_faults)):
                for name, (count, first) in found_faults.items():
                    if count:
                        what, fix = explain[(key, name)]
                        problems.append(
                            f"{path}: key {key!r} row {first} (0-based; {count} of {n} rows) "
                            f"{what}; fix: {fix}"
                        )
            if problems:
                raise ValueError("\n".join(problems))
            mean = y_sum / n
            record = {
                "n": int(n),
                "n_fraction": n_columns / (n * length),
            }
            if task == "binary":
                record["positive_fraction"] = [round(float(v), 6) for v in mean]
            else:
                std = np.sqrt(np.maximum(y_sq / n - mean**2, 0.0))
                record["mean"] = [round(float(v), 6) for v in mean]
                record["std"] = [round(float(v), 6) for v in std]
            summary["splits"][split] = record
    if len(set(shapes.values())) > 1:
        raise ValueError(
            f"{path}: sequence length and task count differ between splits ({shapes}); all "
            "splits must share them"
        )
    summary["sequence_length"], summary["n_tasks"] = (int(v) for v in shapes["train"])
    summary["sha256"] = digest.hexdigest()
    return summary

"""A train/valid-only view of an h5 data set: what every sweep job reads.

The view holds no data, only links: ``x_train, y_train, x_valid, y_valid`` point into
the data set's file (HDF5 external links, by absolute path), and ``x_test, y_test`` point
at ``x_valid, y_valid``, so that :func:`evoaugflow.data.load_dataset` accepts the file.
The test split of the data set is neither copied nor reachable through it.
"""

from __future__ import annotations

import os
from pathlib import Path

import h5py

from evoaugflow import data as data_lib
from evoaugflow.io import atomic_path

#: The keys a view links to its source, in the published layout's lower-case form.
VIEW_KEYS = ("x_train", "y_train", "x_valid", "y_valid")


def write_train_valid_view(data_path: str | os.PathLike, out_path: str | os.PathLike) -> dict:
    """Write an h5 file that links to the train and valid splits of ``data_path`` only.

    Parameters
    ----------
    data_path : str or PathLike
        An h5 data set with ``x_/y_`` (or ``X_/Y_``) train and valid keys.
    out_path : str or PathLike
        The view to write (atomically).

    Returns
    -------
    dict
        ``{view key: source key}`` for the four linked keys, e.g. ``{"x_train":
        "X_train", ...}``.

    Raises
    ------
    ValueError
        Naming the file and the missing key when a train or valid key is absent.
    """
    source = Path(data_path).resolve()
    with h5py.File(source, "r") as handle:
        keys = {stem: data_lib.find_key(handle, source, stem) for stem in VIEW_KEYS}
    with atomic_path(out_path) as tmp, h5py.File(tmp, "w") as view:
        for stem, key in keys.items():
            view[stem] = h5py.ExternalLink(str(source), f"/{key}")
        view["x_test"] = h5py.SoftLink("/x_valid")
        view["y_test"] = h5py.SoftLink("/y_valid")
        view.attrs["source"] = str(source)
        view.attrs["note"] = "train/valid only: the test keys alias the validation split"
    print(f"{out_path}: links to {keys} in {source}; test keys alias the valid split")
    return keys

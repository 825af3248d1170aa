"""Rule hold_out_test: a train/valid-only view of a data set for the sweep jobs.

The h5 written here holds no data, only links: x_train, y_train, x_valid and y_valid
point into the data set's file (HDF5 external links, by absolute path), and x_test,
y_test point at x_valid, y_valid, so that evoaugflow.data.load_dataset accepts the
file. The test split of the data set is neither copied nor reachable through it.
"""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from pathlib import Path

import h5py

from evoaugflow.io import atomic_path

source = Path(snakemake.input.data).resolve()
with h5py.File(source, "r") as handle:
    keys = {}
    for stem in ("x_train", "y_train", "x_valid", "y_valid"):
        # The published files use x_* (ChIP-seq) or X_* (DeepSTARR, Basset).
        found = [key for key in (stem, stem[0].upper() + stem[1:]) if key in handle]
        if not found:
            raise ValueError(
                f"{source}: key {stem!r} (or its upper-case form) is missing; found "
                f"{sorted(handle.keys())}. A data set needs x_/y_ keys for train and valid"
            )
        keys[stem] = found[0]
with atomic_path(snakemake.output[0]) as tmp, h5py.File(tmp, "w") as view:
    for stem, key in keys.items():
        view[stem] = h5py.ExternalLink(str(source), f"/{key}")
    view["x_test"] = h5py.SoftLink("/x_valid")
    view["y_test"] = h5py.SoftLink("/y_valid")
    view.attrs["source"] = str(source)
    view.attrs["note"] = "train/valid only: the test keys alias the validation split"
print(f"{snakemake.output[0]}: links to {keys} in {source}; test keys alias the valid split")

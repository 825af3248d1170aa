"""The sweep's train/valid-only view: the data it links, and the test split it hides."""

import h5py
import numpy as np
import pytest
import torch

from evoaugflow.data import load_dataset
from evoaugflow.holdout import VIEW_KEYS, write_train_valid_view


def write_source(path, upper=True, skip=None):
    """A small h5 data set in the published layout (X_/Y_ keys when ``upper``)."""
    rng = np.random.default_rng(0)
    with h5py.File(path, "w") as handle:
        for split, n in (("train", 30), ("valid", 10), ("test", 12)):
            tokens = rng.integers(0, 4, size=(n, 20))
            x = np.eye(4, dtype=np.float32)[tokens].transpose(0, 2, 1)
            y = rng.integers(0, 2, size=(n, 2)).astype(np.float32)
            for stem, value in ((f"x_{split}", x), (f"y_{split}", y)):
                if stem == skip:
                    continue
                key = stem[0].upper() + stem[1:] if upper else stem
                handle[key] = value
    return path


@pytest.mark.parametrize("upper", [True, False], ids=["X_keys", "x_keys"])
def test_view_links_train_and_valid_and_aliases_test_to_valid(tmp_path, upper):
    source = write_source(tmp_path / "data.h5", upper=upper)
    view_path = tmp_path / "view" / "train_valid.h5"
    view_path.parent.mkdir()

    keys = write_train_valid_view(source, view_path)

    prefix = str.upper if upper else str.lower
    assert keys == {stem: prefix(stem[0]) + stem[1:] for stem in VIEW_KEYS}
    full, view = load_dataset(source), load_dataset(view_path)
    for split in ("train", "valid"):
        for got, want in zip(view.split(split), full.split(split), strict=True):
            assert torch.equal(got, want)
    # The test split of the view is the validation split, never the source's test split.
    for got, want in zip(view.split("test"), full.split("valid"), strict=True):
        assert torch.equal(got, want)
    assert view.x_test.shape[0] == 10 != full.x_test.shape[0]
    with h5py.File(view_path, "r") as handle:
        targets = {
            key: (type(handle.get(key, getlink=True)).__name__, handle.get(key, getlink=True).path)
            for key in handle
        }
    assert {target for _, target in targets.values()} == {f"/{key}" for key in keys.values()} | {
        "/x_valid",
        "/y_valid",
    }
    assert not any("test" in target.lower() for _, target in targets.values())
    assert not list(tmp_path.glob("view/*.tmp")), "nothing half-written is left"


def test_a_missing_split_key_names_the_file_and_key(tmp_path):
    source = write_source(tmp_path / "data.h5", skip="y_valid")
    out = tmp_path / "train_valid.h5"
    with pytest.raises(ValueError, match=r"data\.h5: key 'y_valid' \(or 'Y_valid'\) is missing"):
        write_train_valid_view(source, out)
    assert not out.exists()


def test_a_file_without_a_test_split_still_gives_a_view(tmp_path):
    source = tmp_path / "data.h5"
    write_source(source, skip="x_test")
    with h5py.File(source, "a") as handle:
        del handle["Y_test"]
    view = tmp_path / "train_valid.h5"
    write_train_valid_view(source, view)
    assert load_dataset(view).x_test.shape == (10, 4, 20)

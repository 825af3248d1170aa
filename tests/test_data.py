"""h5 loading: both key spellings, label shapes, downsampling and every promised error."""

import h5py
import numpy as np
import pytest
import torch

from evoaugflow.data import load_dataset

SIZES = {"train": 30, "valid": 7, "test": 9}


def _one_hot(rng, n, length):
    return np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(n, length))].transpose(0, 2, 1)


def _write(path, upper=False, length=20, n_tasks=2, overrides=None, drop=()):
    """Write a small data set; ``overrides`` replaces arrays by stem (e.g. "y_valid")."""
    rng = np.random.default_rng(0)
    arrays = {}
    for split, n in SIZES.items():
        arrays[f"x_{split}"] = _one_hot(rng, n, length)
        arrays[f"y_{split}"] = rng.integers(0, 2, size=(n, n_tasks)).astype(np.int8)
    arrays.update(overrides or {})
    with h5py.File(path, "w") as handle:
        for stem, array in arrays.items():
            if stem not in drop:
                handle[stem.capitalize() if upper else stem] = array
    return arrays


@pytest.mark.parametrize("upper", [False, True])
def test_loads_both_spellings(tmp_path, upper):
    path = tmp_path / "d.h5"
    arrays = _write(path, upper=upper)
    data = load_dataset(path)
    assert data.sequence_length == 20 and data.n_tasks == 2
    assert data.path == path.resolve()
    for split in SIZES:
        x, y = data.split(split)
        assert x.dtype == torch.float32 and y.dtype == torch.float32
        assert torch.equal(x, torch.from_numpy(arrays[f"x_{split}"]))
        assert torch.equal(y, torch.from_numpy(arrays[f"y_{split}"].astype(np.float32)))
    with pytest.raises(ValueError, match="split='dev'"):
        data.split("dev")


def test_one_dimensional_float_labels_become_columns(tmp_path):
    path = tmp_path / "d.h5"
    labels = {f"y_{s}": np.linspace(-1, 1, n) for s, n in SIZES.items()}
    _write(path, overrides=labels)
    data = load_dataset(path)
    assert data.y_valid.shape == (7, 1) and data.n_tasks == 1
    assert torch.allclose(data.y_valid[:, 0], torch.linspace(-1, 1, 7), atol=1e-6)


def test_channels_last_is_transposed(tmp_path):
    path = tmp_path / "d.h5"
    arrays = _write(path)
    flipped = {f"x_{s}": arrays[f"x_{s}"].transpose(0, 2, 1) for s in SIZES}
    _write(tmp_path / "last.h5", overrides=flipped)
    assert torch.equal(load_dataset(tmp_path / "last.h5").x_test, load_dataset(path).x_test)


def test_downsampling_train_only(tmp_path):
    path = tmp_path / "d.h5"
    arrays = _write(path)
    first = load_dataset(path, downsample=5, downsample_mode="first")
    assert torch.equal(first.x_train, torch.from_numpy(arrays["x_train"][:5]))
    assert len(first.x_valid) == 7 and len(first.x_test) == 9
    random_a = load_dataset(path, downsample=12, seed=3)
    random_b = load_dataset(path, downsample=12, seed=3)
    random_c = load_dataset(path, downsample=12, seed=4)
    assert torch.equal(random_a.x_train, random_b.x_train)
    assert torch.equal(random_a.y_train, random_b.y_train)
    assert not torch.equal(random_a.x_train, random_c.x_train)
    # every kept row is a training row, kept with its own label, no row twice
    full_x = torch.from_numpy(arrays["x_train"]).flatten(1)
    rows = [int(torch.where((full_x == row).all(1))[0][0]) for row in random_a.x_train.flatten(1)]
    assert len(set(rows)) == 12 and rows == sorted(rows)
    assert torch.equal(random_a.y_train, torch.from_numpy(arrays["y_train"][rows]).float())
    assert len(load_dataset(path, downsample=30).x_train) == 30
    with pytest.raises(ValueError, match=r"downsample=31 .*key 'x_train'.*1\.\.30"):
        load_dataset(path, downsample=31)
    with pytest.raises(ValueError, match="downsample_mode"):
        load_dataset(path, downsample=3, downsample_mode="last")


def test_real_rest_file(rest_h5):
    data = load_dataset(rest_h5, downsample=500, seed=0)
    assert data.x_train.shape == (500, 4, 200)
    assert data.x_valid.shape == (1293, 4, 200) and data.y_test.shape == (2588, 1)
    assert torch.all(data.x_test.sum(1) == 1)  # one-hot
    assert set(data.y_train.unique().tolist()) == {0.0, 1.0}


rng = np.random.default_rng(1)
_nan_labels = np.zeros((7, 2), dtype=np.float32)
_nan_labels[3, 1] = np.nan


@pytest.mark.parametrize(
    ("overrides", "drop", "pattern"),
    [
        ({}, ("y_valid",), r"d\.h5: key 'y_valid' .*is missing"),
        ({"y_test": np.zeros((8, 2))}, (), r"d\.h5: key 'x_test' has 9 .*'y_test' has 8"),
        ({"x_train": np.zeros((30, 3, 20), np.float32)}, (), r"d\.h5: key 'x_train' .*4 channels"),
        ({"y_valid": _nan_labels}, (), r"d\.h5: key 'y_valid' has 1 row\(s\) with NaN"),
        (
            {"x_test": np.zeros((0, 4, 20), np.float32), "y_test": np.zeros((0, 2))},
            (),
            r"d\.h5: split 'test' \(key 'x_test'\) is empty",
        ),
        ({"x_valid": _one_hot(rng, 7, 21)}, (), r"d\.h5: the sequence length differs"),
        ({"y_test": np.zeros((9, 3))}, (), r"d\.h5: the number of tasks differs"),
        ({"y_train": np.zeros((30, 2, 2))}, (), r"d\.h5: key 'y_train' has shape"),
    ],
)
def test_bad_files_name_file_and_key(tmp_path, overrides, drop, pattern):
    path = tmp_path / "d.h5"
    _write(path, overrides=overrides, drop=drop)
    with pytest.raises(ValueError, match=pattern):
        load_dataset(path)


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_dataset(tmp_path / "absent.h5")
    (tmp_path / "text.h5").write_text("not h5")
    with pytest.raises(ValueError, match="not a readable h5"):
        load_dataset(tmp_path / "text.h5")


def _broken(kind, rng):
    """A training split with rows 3 and 11 (0-based) broken in one way."""
    x = _one_hot(rng, SIZES["train"], 20)
    y = rng.integers(0, 2, size=(SIZES["train"], 2)).astype(np.float32)
    for row in (3, 11):
        if kind == "nan_x":
            x[row, 0, 5] = np.nan
        elif kind == "codes_x":  # integer codes 0-3 instead of one-hot
            x[row] = np.tile(np.arange(4, dtype=np.float32)[:, None], (1, 20))
        elif kind == "two_bases":
            x[row, :, 7] = 1.0
        elif kind == "nan_y":
            y[row, 1] = np.inf
        elif kind == "labels_0_4":
            y[row, 0] = 4
        elif kind == "gaussian_y":
            y[row, 0] = 0.37
    return {"x_train": x, "y_train": y}


@pytest.mark.parametrize(
    ("kind", "key", "what"),
    [
        ("nan_x", "x_train", "NaN or infinite values"),
        ("codes_x", "x_train", "is not one-hot"),
        ("two_bases", "x_train", "is not one-hot"),
        ("nan_y", "y_train", "NaN or infinite labels"),
        ("labels_0_4", "y_train", "labels other than 0 and 1"),
        ("gaussian_y", "y_train", "labels other than 0 and 1"),
    ],
)
@pytest.mark.parametrize("chunk_rows", [1, 4, 1000])
def test_check_dataset_names_file_key_first_row_and_count(
    tmp_path, monkeypatch, kind, key, what, chunk_rows
):
    from evoaugflow import data as data_module

    # Chunks of 1, 4 and all rows: the first bad row and the count survive chunking.
    monkeypatch.setattr(data_module, "CHECK_CHUNK_BYTES", chunk_rows * 4 * 20 * 4)
    path = tmp_path / "bad.h5"
    _write(path, overrides=_broken(kind, np.random.default_rng(1)))
    with pytest.raises(ValueError) as error:
        data_module.check_dataset(path, "binary")
    message = str(error.value)
    assert f"{path}: key '{key}' row 3 (0-based; 2 of 30 rows)" in message
    assert what in message and "fix:" in message


def test_check_dataset_counts_n_and_summarises(tmp_path):
    from evoaugflow.data import check_dataset

    rng = np.random.default_rng(2)
    x = _one_hot(rng, SIZES["train"], 20)
    x[0, :, :5] = 0.0  # five N columns: allowed, counted
    path = tmp_path / "d.h5"
    arrays = _write(path, overrides={"x_train": x})
    summary = check_dataset(path, "binary")
    assert summary["sequence_length"] == 20 and summary["n_tasks"] == 2
    train = summary["splits"]["train"]
    assert train["n"] == 30 and train["n_fraction"] == pytest.approx(5 / (30 * 20))
    assert train["positive_fraction"] == pytest.approx(arrays["y_train"].mean(axis=0), abs=1e-6)
    # Regression labels: moments instead of class balance; 0.37 is fine there.
    regression = check_dataset(path, "regression")["splits"]["valid"]
    assert regression["mean"] == pytest.approx(arrays["y_valid"].mean(axis=0), abs=1e-6)
    assert regression["std"] == pytest.approx(arrays["y_valid"].std(axis=0), abs=1e-6)
    # The content hash changes with one value and not with a rewrite of the same values.
    first = summary["sha256"]
    _write(path, overrides={"x_train": x})
    assert check_dataset(path, "binary")["sha256"] == first
    x[1, :, 3] = [0, 0, 0, 1] if x[1, 3, 3] == 0 else [1, 0, 0, 0]
    _write(path, overrides={"x_train": x})
    assert check_dataset(path, "binary")["sha256"] != first


def test_check_dataset_of_the_real_rest_file(rest_h5):
    from evoaugflow.data import check_dataset

    summary = check_dataset(rest_h5, "binary")
    assert [summary["splits"][s]["n"] for s in ("train", "valid", "test")] == [9055, 1293, 2588]
    assert summary["splits"]["train"]["n_fraction"] == 0.0
    assert 0.45 < summary["splits"]["train"]["positive_fraction"][0] < 0.55

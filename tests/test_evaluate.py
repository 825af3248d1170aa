"""One evaluation table per model, shared by the grid's and the sweep's evaluation rules."""

import h5py
import numpy as np
import pandas as pd
import pytest
import torch

from evoaugflow.data import load_dataset
from evoaugflow.evaluate import RUN_COLUMNS, evaluate_run
from evoaugflow.holdout import write_train_valid_view
from evoaugflow.models import get_model
from evoaugflow.train import evaluate, train_stage

LENGTH = 40
MOTIF = np.array([0, 1, 2, 3, 3, 2, 1, 0])
RUN = {"dataset": "toy", "augset": "baseline", "stage": "stage1", "seed": 0}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A toy binary data set (a planted motif is the label) and a model trained on it."""
    folder = tmp_path_factory.mktemp("evaluate")
    rng = np.random.default_rng(1)
    with h5py.File(folder / "data.h5", "w") as handle:
        for split, n in (("train", 300), ("valid", 80), ("test", 90)):
            tokens = rng.integers(0, 4, size=(n, LENGTH))
            labels = rng.integers(0, 2, size=n)
            starts = rng.integers(0, LENGTH - len(MOTIF), size=n)
            for row in np.flatnonzero(labels):
                tokens[row, starts[row] : starts[row] + len(MOTIF)] = MOTIF
            handle[f"x_{split}"] = np.eye(4, dtype=np.float32)[tokens].transpose(0, 2, 1)
            handle[f"y_{split}"] = labels[:, None].astype(np.float32)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = get_model("chip", LENGTH, 1, conv_channels=[8, 8, 8], fc_units=[16])
    train_stage(
        model,
        load_dataset(folder / "data.h5"),
        folder / "model",
        task="binary",
        lr=1e-2,
        max_epochs=3,
        batch_size=50,
        seed=0,
        device="cpu",
        verbose=False,
    )
    return folder


def test_table_has_the_identity_and_every_split_of_the_trainer_metrics(trained, tmp_path):
    out = tmp_path / "stage1.tsv"
    table = evaluate_run(
        trained / "model/model.pt",
        trained / "data.h5",
        out,
        RUN | {"train_size": 100},
        device="cpu",
        threads=1,
    )

    assert list(table.columns) == [*RUN_COLUMNS, "split", "metric", "task", "value", "train_size"]
    assert table.split.unique().tolist() == ["valid", "test"]
    data = load_dataset(trained / "data.h5")
    for split in ("valid", "test"):
        rows = table[table.split == split].reset_index(drop=True)
        expected = evaluate(trained / "model/model.pt", data, split=split, device="cpu")
        assert rows.metric.tolist() == expected.metric.tolist()
        assert set(rows.metric) == {"auroc", "aupr"}
        np.testing.assert_array_equal(rows.value.to_numpy(), expected.value.to_numpy())
        assert 0.0 <= rows.value.min() and rows.value.max() <= 1.0
    for key, value in RUN.items():
        assert (table[key] == value).all()
    assert (table.train_size == 100).all()
    written = pd.read_csv(out, sep="\t")
    np.testing.assert_array_equal(written.value.to_numpy(), table.value.to_numpy())
    assert written.columns.tolist() == table.columns.tolist()


def test_sweep_view_scores_the_validation_split_as_the_grid_does(trained, tmp_path):
    """The sweep's evaluation on its train/valid-only view equals the grid's valid rows."""
    view = tmp_path / "train_valid.h5"
    write_train_valid_view(trained / "data.h5", view)
    grid = evaluate_run(
        trained / "model/model.pt",
        trained / "data.h5",
        tmp_path / "grid.tsv",
        RUN,
        device="cpu",
    )
    sweep = evaluate_run(
        trained / "model/model.pt",
        view,
        tmp_path / "sweep.tsv",
        RUN,
        splits=("valid",),
        device="cpu",
    )
    assert sweep.split.unique().tolist() == ["valid"]
    assert sweep.train_size.isna().all()
    pd.testing.assert_frame_equal(sweep, grid[grid.split == "valid"].reset_index(drop=True))
    assert pd.read_csv(tmp_path / "sweep.tsv", sep="\t").train_size.isna().all()


@pytest.mark.parametrize(
    ("run", "splits", "message"),
    [
        ({"dataset": "toy", "augset": "baseline", "seed": 0}, ("valid",), r"missing \['stage'\]"),
        (RUN, (), "name at least one"),
    ],
)
def test_bad_arguments_are_refused_before_writing(trained, tmp_path, run, splits, message):
    out = tmp_path / "x.tsv"
    with pytest.raises(ValueError, match=message):
        evaluate_run(trained / "model/model.pt", trained / "data.h5", out, run, splits=splits)
    assert not out.exists()

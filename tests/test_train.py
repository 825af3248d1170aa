"""Trainer: reproducibility, exact resume after SIGKILL, two stages, saved models, real data."""

import json
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from evoaugflow.augment import Augmenter
from evoaugflow.checkpoint import OUTPUT_FILES
from evoaugflow.data import SequenceData, load_dataset
from evoaugflow.evaluate import evaluate_run
from evoaugflow.models import get_model
from evoaugflow.runtime import DETERMINISTIC_DEFAULT
from evoaugflow.stages import STAGES
from evoaugflow.train import (
    TRAIN_BATCH_SIZE,
    TrainingDiverged,
    evaluate,
    load_model,
    predict,
    resolve_device,
    run,
    train_stage,
)

REPO = Path(__file__).resolve().parents[1]

LENGTH = 64
MOTIF = np.array([0, 1, 2, 3, 3, 2, 1, 0])  # ACGTTGCA planted in positives
AUG_SPEC = {
    "augmentations": {
        "insertion": {"insert_min": 0, "insert_max": 8},
        "translocation": {"shift_min": 0, "shift_max": 6},
        "rc": {"rc_prob": 0.5},
        "mutation": {"mutate_frac": 0.05},
        "noise": {"noise_mean": 0.0, "noise_std": 0.2},
    },
    "max_augs_per_seq": 2,
    "hard_aug": False,
}
TOY = {"conv_channels": [16, 16, 16], "fc_units": [32]}


def toy_data(n_train=400, seed=0):
    """Random one-hot DNA; half the sequences carry MOTIF at a random position (label 1)."""
    rng = np.random.default_rng(seed)
    splits = {}
    for split, n in (("train", n_train), ("valid", 100), ("test", 100)):
        tokens = rng.integers(0, 4, size=(n, LENGTH))
        labels = rng.integers(0, 2, size=n)
        starts = rng.integers(0, LENGTH - len(MOTIF), size=n)
        for row in np.flatnonzero(labels):
            tokens[row, starts[row] : starts[row] + len(MOTIF)] = MOTIF
        x = np.eye(4, dtype=np.float32)[tokens].transpose(0, 2, 1)
        splits[f"x_{split}"] = torch.from_numpy(np.ascontiguousarray(x))
        splits[f"y_{split}"] = torch.from_numpy(labels[:, None].astype(np.float32))
    return SequenceData(**splits, path=None, sequence_length=LENGTH, n_tasks=1)


def toy_model(input_length=LENGTH, seed=0):
    torch.manual_seed(seed)
    return get_model("chip", input_length, 1, **TOY)


def _state(path):
    return torch.load(path, map_location="cpu", weights_only=True)["state_dict"]


def _assert_same_weights(path_a, path_b):
    a, b = _state(path_a), _state(path_b)
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="device='tpu0'"):
        resolve_device("tpu0")


@pytest.mark.skipif(torch.cuda.is_available(), reason="tests the message on a host without CUDA")
def test_cuda_request_without_cuda_fails_loudly(monkeypatch):
    import socket

    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "7")
    with pytest.raises(RuntimeError, match=f"{socket.gethostname()}.*CUDA_VISIBLE_DEVICES=7"):
        resolve_device("cuda")


def test_same_seed_same_run_and_outputs(tmp_path, one_thread):
    data = toy_data()
    kwargs = {
        "task": "binary",
        "lr": 1e-2,
        "max_epochs": 8,
        "batch_size": 50,
        "seed": 3,
        "device": "cpu",
    }
    # differently initialised models: the seed alone decides the starting weights
    summaries = [
        train_stage(toy_model(seed=init), data, tmp_path / run, verbose=False, **kwargs)
        for run, init in (("a", 0), ("b", 1))
    ]
    _assert_same_weights(tmp_path / "a" / "model.pt", tmp_path / "b" / "model.pt")
    histories = [pd.read_csv(tmp_path / run / "history.tsv", sep="\t") for run in ("a", "b")]
    assert list(histories[0].columns) == ["epoch", "lr", "train_loss", "valid_loss", "seconds"]
    assert histories[0].epoch.tolist() == list(range(1, 9))
    pd.testing.assert_frame_equal(
        histories[0].drop(columns="seconds"), histories[1].drop(columns="seconds")
    )
    metrics = [evaluate(tmp_path / run / "model.pt", data, device="cpu") for run in ("a", "b")]
    pd.testing.assert_frame_equal(metrics[0], metrics[1])
    # the motif is learnable: eight epochs separate the classes
    auroc = metrics[0].query("metric == 'auroc' and task == 'mean'").value.iloc[0]
    assert auroc > 0.9
    # a different seed gives a different run
    train_stage(toy_model(), data, tmp_path / "c", verbose=False, **{**kwargs, "seed": 4})
    assert not torch.equal(
        _state(tmp_path / "a" / "model.pt")["conv_blocks.0.0.weight"],
        _state(tmp_path / "c" / "model.pt")["conv_blocks.0.0.weight"],
    )

    params = json.loads((tmp_path / "a" / "params.json").read_text())
    assert params["seed"] == 3 and params["model_config"] == toy_model().config
    assert params["data"]["n_train"] == 400 and params["environment"]["torch_version"]
    record = torch.load(tmp_path / "a" / "model.pt", weights_only=True)
    assert record["format"] == "evoaugflow-model-v1" and record["augment"] is None
    assert record["sequence_length"] == LENGTH and record["task"] == "binary"
    assert summaries[0] == {
        **summaries[1],
        "out_dir": summaries[0]["out_dir"],
        "model_path": summaries[0]["model_path"],
    }


def test_a_seed_gives_the_same_augmented_weights_again_on_every_device(tmp_path, device):
    """On CUDA this holds with deterministic kernels (``deterministic=True``): without
    them two runs of the ChIP model differed by 1.04 in a weight (benchmarks/repro.py)."""
    data = toy_data()
    augmenter = Augmenter.from_config(AUG_SPEC)
    paths = []
    for name in ("a", "b"):
        summary = train_stage(
            toy_model(LENGTH + 8),
            data,
            tmp_path / name,
            task="binary",
            augmenter=augmenter,
            lr=1e-2,
            max_epochs=3,
            batch_size=50,
            device=device,
            deterministic=True,
            verbose=False,
        )
        paths.append(summary["model_path"])
    _assert_same_weights(*paths)
    # Recorded as what took effect: the CPU is deterministic without the switch.
    params = json.loads((tmp_path / "b" / "params.json").read_text())
    assert params["deterministic"] is (device.type == "cuda")
    # The switch is scoped to training: the process's setting is left as it was.
    assert not torch.are_deterministic_algorithms_enabled()


def test_finished_run_returns_and_changed_arguments_restart(tmp_path, one_thread, capsys):
    data = toy_data(n_train=120)
    kwargs = {"task": "binary", "max_epochs": 2, "batch_size": 40, "device": "cpu"}
    first = train_stage(toy_model(), data, tmp_path, **kwargs)
    stamp = (tmp_path / "checkpoint.pt").stat().st_mtime_ns
    # As after `snakemake --forcerun`, which deletes the declared outputs first.
    for name in OUTPUT_FILES:
        (tmp_path / name).unlink()
    capsys.readouterr()
    again = train_stage(toy_model(seed=9), data, tmp_path, **kwargs)
    assert again == first
    assert (tmp_path / "checkpoint.pt").stat().st_mtime_ns == stamp  # no epoch was run
    assert all((tmp_path / name).exists() for name in OUTPUT_FILES)
    assert "finished:" in capsys.readouterr().err
    # Other settings: the checkpoint is set aside and the run starts fresh.
    changed = train_stage(toy_model(), data, tmp_path, **{**kwargs, "lr": 0.01})
    log = capsys.readouterr().err
    assert "restart:" in log and "lr: 0.001 -> 0.01" in log and "epoch 1/2" in log
    assert (tmp_path / "checkpoint.pt.stale").exists()
    assert json.loads((tmp_path / "params.json").read_text())["lr"] == 0.01
    assert changed["epochs_run"] == 2
    assert not torch.equal(
        torch.load(tmp_path / "checkpoint.pt.stale", weights_only=True)["best_state"][
            "conv_blocks.0.0.weight"
        ],
        _state(tmp_path / "model.pt")["conv_blocks.0.0.weight"],
    )


def test_changed_data_content_retrains(tmp_path, one_thread, capsys):
    """Same file name, same parameters, other bytes: the old model is not handed back."""
    kwargs = {"task": "binary", "max_epochs": 2, "batch_size": 40, "device": "cpu"}
    train_stage(toy_model(), toy_data(n_train=120), tmp_path, **kwargs)
    old = _state(tmp_path / "model.pt")
    capsys.readouterr()
    train_stage(toy_model(), toy_data(n_train=120, seed=1), tmp_path, **kwargs)
    log = capsys.readouterr().err
    assert "restart:" in log and "data content changed" in log
    assert not torch.equal(
        old["conv_blocks.0.0.weight"], _state(tmp_path / "model.pt")["conv_blocks.0.0.weight"]
    )
    params = json.loads((tmp_path / "params.json").read_text())
    assert len(params["fingerprint"]["data_sha256"]) == 64
    assert len(params["fingerprint"]["code_sha256"]) == 64


def test_non_finite_loss_stops_without_a_model(tmp_path, one_thread):
    data = toy_data(n_train=120)
    data.y_train[5, 0] = float("nan")
    with pytest.raises(TrainingDiverged, match=r"toyset: stage1 epoch 1 diverged"):
        train_stage(
            toy_model(),
            data,
            tmp_path,
            task="binary",
            max_epochs=2,
            batch_size=40,
            device="cpu",
            verbose=False,
            extra_params={"dataset": "toyset"},
        )
    assert not (tmp_path / "model.pt").exists() and not (tmp_path / "history.tsv").exists()


def test_finetune_keeps_its_starting_weights_when_no_epoch_beats_them(tmp_path, one_thread):
    data = toy_data(n_train=200)
    kwargs = {"task": "binary", "batch_size": 50, "device": "cpu", "verbose": False}
    train_stage(toy_model(), data, tmp_path / "s1", lr=1e-2, max_epochs=6, **kwargs)
    # A learning rate far too large: every finetune epoch is worse than the start.
    summary = train_stage(
        toy_model(),
        data,
        tmp_path / "ft",
        stage="finetune",
        init_from=tmp_path / "s1" / "model.pt",
        lr=5.0,
        max_epochs=2,
        **kwargs,
    )
    assert summary["kept_start"] and summary["best_epoch"] == 0
    assert summary["best_valid_loss"] == summary["start_valid_loss"]
    _assert_same_weights(tmp_path / "s1" / "model.pt", tmp_path / "ft" / "model.pt")
    result = json.loads((tmp_path / "ft" / "params.json").read_text())["result"]
    assert result["kept_start"] and result["best_epoch"] == 0
    # keep_start=False gives the paper's recipe: one of the stage's own epochs.
    paper = train_stage(
        toy_model(),
        data,
        tmp_path / "ft2",
        stage="finetune",
        init_from=tmp_path / "s1" / "model.pt",
        lr=5.0,
        max_epochs=2,
        keep_start=False,
        **kwargs,
    )
    assert paper["best_epoch"] >= 1 and paper["start_valid_loss"] is None


def test_larger_max_epochs_continues_a_finished_run_bit_for_bit(tmp_path, one_thread):
    """Successive halving extends candidates: 2 epochs, then 4, equals 4 straight away."""
    data = toy_data(n_train=120)
    augmenter = Augmenter.from_config(AUG_SPEC)
    kwargs = {"task": "binary", "batch_size": 40, "device": "cpu", "verbose": False}
    length = augmenter.output_length(LENGTH)
    train_stage(
        toy_model(length), data, tmp_path / "direct", augmenter=augmenter, max_epochs=4, **kwargs
    )
    train_stage(
        toy_model(length), data, tmp_path / "steps", augmenter=augmenter, max_epochs=2, **kwargs
    )
    summary = train_stage(
        toy_model(length), data, tmp_path / "steps", augmenter=augmenter, max_epochs=4, **kwargs
    )
    assert summary["epochs_run"] == 4
    _assert_same_weights(tmp_path / "direct" / "model.pt", tmp_path / "steps" / "model.pt")
    direct = pd.read_csv(tmp_path / "direct" / "history.tsv", sep="\t")
    steps = pd.read_csv(tmp_path / "steps" / "history.tsv", sep="\t")
    pd.testing.assert_frame_equal(direct.drop(columns="seconds"), steps.drop(columns="seconds"))
    # A smaller limit than what was run is not silently truncated: the run restarts.
    again = train_stage(
        toy_model(length), data, tmp_path / "steps", augmenter=augmenter, max_epochs=3, **kwargs
    )
    assert again["epochs_run"] == 3 and (tmp_path / "steps" / "checkpoint.pt.stale").exists()


def test_resuming_with_another_thread_count_is_noted(tmp_path, one_thread, capsys):
    """CPU sums depend on the thread count: a run resumed with another count says so."""
    data = toy_data(n_train=120)
    kwargs = {"task": "binary", "batch_size": 40, "device": "cpu"}
    train_stage(toy_model(), data, tmp_path, max_epochs=1, **kwargs)
    train_stage(toy_model(), data, tmp_path, max_epochs=2, **kwargs)
    same = capsys.readouterr().err
    assert "continue:" in same and "CPU threads" not in same
    torch.set_num_threads(2)
    train_stage(toy_model(), data, tmp_path, max_epochs=3, **kwargs)
    note = capsys.readouterr().err
    assert "was written with 1 CPU threads and this run has 2" in note
    assert "not be bit-identical" in note and "train_threads" in note
    params = json.loads((tmp_path / "params.json").read_text())
    assert params["environment"]["num_threads"] == 2
    # Each process that trained is recorded with the epoch it started at.
    where = [(s["first_epoch"], s["num_threads"]) for s in params["trained_in"]]
    assert where == [(1, 1), (2, 1), (3, 2)]
    assert params["trained_in"][0]["torch_version"] == torch.__version__
    # A rerun that trains nothing (outputs deleted, as by --forcerun) keeps that record.
    torch.set_num_threads(1)
    for name in OUTPUT_FILES:
        (tmp_path / name).unlink()
    train_stage(toy_model(), data, tmp_path, max_epochs=3, **kwargs)
    assert "finished:" in capsys.readouterr().err
    again = json.loads((tmp_path / "params.json").read_text())
    assert again["trained_in"] == params["trained_in"]
    assert again["environment"]["num_threads"] == 1


def test_early_stopping_keeps_best_weights(tmp_path, one_thread):
    data = toy_data(n_train=200)
    # validation labels carry no signal, so the validation loss soon stops improving
    data.y_valid = torch.from_numpy(
        np.random.default_rng(5).integers(0, 2, size=(100, 1)).astype(np.float32)
    )
    summary = train_stage(
        toy_model(),
        data,
        tmp_path,
        task="binary",
        lr=1e-2,
        max_epochs=40,
        batch_size=50,
        early_stopping_patience=3,
        lr_patience=1,
        device="cpu",
        verbose=False,
    )
    history = pd.read_csv(tmp_path / "history.tsv", sep="\t")
    assert summary["stopped_early"] and summary["epochs_run"] < 40
    assert summary["epochs_run"] == summary["best_epoch"] + 3 == len(history)
    assert summary["best_epoch"] == history.valid_loss.idxmin() + 1
    # LR only falls, by factor 0.1 steps
    lrs = history.lr.to_numpy()
    assert np.all(np.diff(lrs) <= 0) and lrs[-1] < 1e-2
    assert np.allclose(np.log10(lrs / 1e-2), np.round(np.log10(lrs / 1e-2)))
    # model.pt holds the best epoch's weights: recomputing its validation loss gives it back
    model, augmenter, meta = load_model(tmp_path / "model.pt")
    assert augmenter is None and meta["stage"] == "stage1"
    probs = torch.from_numpy(predict(model, data.x_valid, device="cpu")).double()
    loss = torch.nn.functional.binary_cross_entropy(probs, data.y_valid.double()).item()
    assert loss == pytest.approx(summary["best_valid_loss"], rel=1e-4)


def test_stopping_as_the_rate_drops_is_warned_and_trains_no_lowered_rate(tmp_path, one_thread):
    """early_stopping_patience <= lr_patience + 1: the stage stops when the scheduler
    first lowers the rate, so every epoch ran at the starting rate (issue 15)."""
    data = toy_data(n_train=200)
    data.y_valid = torch.from_numpy(
        np.random.default_rng(5).integers(0, 2, size=(100, 1)).astype(np.float32)
    )
    settings = dict(task="binary", lr=1e-2, max_epochs=40, batch_size=50, device="cpu")
    with pytest.warns(UserWarning, match=r"early_stopping_patience=2 .* never trained"):
        summary = train_stage(
            toy_model(),
            data,
            tmp_path / "trap",
            early_stopping_patience=2,
            lr_patience=1,
            verbose=False,
            **settings,
        )
    history = pd.read_csv(tmp_path / "trap" / "history.tsv", sep="\t")
    assert summary["stopped_early"] and (history.lr == 1e-2).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        train_stage(
            toy_model(),
            data,
            tmp_path / "ok",
            early_stopping_patience=3,
            lr_patience=1,
            verbose=False,
            **settings,
        )
    assert (pd.read_csv(tmp_path / "ok" / "history.tsv", sep="\t").lr < 1e-2).any()


def test_augmented_stage1_then_finetune(tmp_path, device):
    data = toy_data()
    augmenter = Augmenter.from_config(AUG_SPEC)
    padded_length = LENGTH + 8
    with pytest.raises(ValueError, match=f"input_length={padded_length}"):
        train_stage(toy_model(), data, tmp_path / "bad", task="binary", augmenter=augmenter)
    common = {"task": "binary", "batch_size": 50, "device": device, "verbose": False}
    stage1 = train_stage(
        toy_model(padded_length),
        data,
        tmp_path / "pre",
        augmenter=augmenter,
        lr=1e-2,
        max_epochs=8,
        **common,
    )
    pre_model, pre_aug, pre_meta = load_model(stage1["model_path"], device=device)
    assert pre_aug.to_config() == augmenter.to_config()
    assert pre_meta["model_config"]["input_length"] == padded_length

    with pytest.raises(ValueError, match="init_from"):
        train_stage(toy_model(padded_length), data, tmp_path / "x", stage="finetune", **common)
    with pytest.raises(ValueError, match="augmenter=None"):
        train_stage(
            toy_model(padded_length),
            data,
            tmp_path / "x",
            stage="finetune",
            init_from=stage1["model_path"],
            augmenter=augmenter,
            **common,
        )
    # a tiny learning rate leaves the loaded stage-1 weights (almost) unchanged
    finetune = train_stage(
        toy_model(padded_length, seed=1),
        data,
        tmp_path / "fine",
        stage="finetune",
        init_from=stage1["model_path"],
        lr=1e-9,
        max_epochs=1,
        **common,
    )
    fine_model, fine_aug, fine_meta = load_model(finetune["model_path"], device=device)
    assert fine_meta["stage"] == "finetune" and fine_aug.to_config() == augmenter.to_config()
    assert fine_meta["model_config"]["input_length"] == padded_length
    assert torch.allclose(fine_model.first_conv.weight, pre_model.first_conv.weight, atol=1e-6)
    params = json.loads((tmp_path / "fine" / "params.json").read_text())
    assert params["augment"] is None and params["pad_augment"] == augmenter.to_config()

    # prediction pads deterministically: same input, same output; unpadded input is refused
    first = predict(fine_model, data.x_test, device=device, augmenter=fine_aug)
    again = predict(fine_model, data.x_test, device=device, augmenter=fine_aug)
    assert np.array_equal(first, again)
    other_batches = predict(
        fine_model, data.x_test, batch_size=7, device=device, augmenter=fine_aug
    )
    assert np.allclose(first, other_batches, atol=1e-6)
    assert first.shape == (100, 1) and ((first > 0) & (first < 1)).all()
    with torch.no_grad():
        logits = fine_model(fine_aug.pad(data.x_test).to(device)).cpu().numpy()
    assert np.allclose(first, 1 / (1 + np.exp(-logits)), atol=1e-6)
    with pytest.raises(ValueError, match="pass the augmenter"):
        predict(fine_model, data.x_test, device=device)
    table = evaluate(finetune["model_path"], data, device=device)
    assert table.query("metric == 'auroc' and task == 'mean'").value.iloc[0] > 0.8


def test_regression_task_uses_mse_and_regression_metrics(tmp_path, one_thread):
    data = toy_data(n_train=200)
    # label: motif presence plus a GC-content term, as a continuous value
    for split in ("train", "valid", "test"):
        x, y = data.split(split)
        gc = x[:, 1:3].sum(dim=(1, 2), keepdim=False)[:, None] / LENGTH
        setattr(data, f"y_{split}", torch.cat([y + gc, 2 * gc], dim=1))
    data.n_tasks = 2
    torch.manual_seed(0)
    model = get_model("deepstarr", LENGTH, 2, conv_channels=[16, 8, 8, 8], fc_units=[16, 16])
    summary = train_stage(
        model,
        data,
        tmp_path,
        task="regression",
        lr=1e-2,
        max_epochs=3,
        batch_size=50,
        device="cpu",
        verbose=False,
    )
    params = json.loads((tmp_path / "params.json").read_text())
    assert params["loss"] == "mse"
    table = evaluate(tmp_path / "model.pt", data, split="valid", device="cpu")
    assert set(table.metric) == {"mse", "pearson", "spearman"}
    assert list(table.task.unique()) == ["0", "1", "mean"]
    values = predict(model, data.x_valid, device="cpu")  # raw values, no sigmoid
    mse = ((values - data.y_valid.numpy()) ** 2).mean()
    assert mse == pytest.approx(summary["best_valid_loss"], rel=1e-4)
    assert table.query("metric == 'mse' and task == 'mean'").value.iloc[0] == pytest.approx(
        mse, rel=1e-4
    )


def test_bad_arguments(tmp_path):
    data = toy_data(n_train=50)
    with pytest.raises(ValueError, match="task='multiclass'"):
        train_stage(toy_model(), data, tmp_path, task="multiclass")
    with pytest.raises(ValueError, match="model was built for task 'binary'"):
        train_stage(toy_model(), data, tmp_path, task="regression")
    with pytest.raises(ValueError, match="bf16=True needs a CUDA device"):
        train_stage(toy_model(), data, tmp_path, task="binary", device="cpu", bf16=True)
    with pytest.raises(ValueError, match="batch_size=1"):
        train_stage(toy_model(), data, tmp_path, task="binary", batch_size=1)
    with pytest.raises(ValueError, match="n_tasks=2"):
        train_stage(get_model("chip", LENGTH, 2, **TOY), data, tmp_path, task="binary")
    with pytest.raises(ValueError, match="model file .* does not exist"):
        load_model(tmp_path / "absent.pt")


RESUME_SCRIPT = """
import sys
import torch
torch.set_num_threads(1)
sys.path.insert(0, {tests!r})
from test_train import AUG_SPEC, LENGTH, toy_data, toy_model
from evoaugflow.augment import Augmenter
from evoaugflow.train import train_stage
train_stage(toy_model(LENGTH + 8), toy_data(n_train=800), sys.argv[1], task="binary",
            augmenter=Augmenter.from_config(AUG_SPEC), lr=1e-2, max_epochs=12, batch_size=40,
            early_stopping_patience=12, seed=11, device="cpu", verbose=True)
"""


def test_resume_after_sigkill_is_bit_identical(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(RESUME_SCRIPT.format(tests=str(Path(__file__).parent)))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    subprocess.run([sys.executable, script, straight], check=True, env=env, capture_output=True)

    log = tmp_path / "killed.log"
    with open(log, "w") as stderr:
        process = subprocess.Popen([sys.executable, script, killed], env=env, stderr=stderr)
    deadline = time.monotonic() + 120
    while "epoch 2/12" not in log.read_text():
        assert process.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    # Nothing that looks final is left by a killed run.
    assert not any((killed / name).exists() for name in OUTPUT_FILES)
    state = torch.load(killed / "checkpoint.pt", weights_only=True)
    assert not state["finished"], "killed too late to test resuming"
    done = len(state["history"])
    assert 2 <= done < 12

    result = subprocess.run(
        [sys.executable, script, killed], check=True, env=env, capture_output=True, text=True
    )
    assert f"epoch {done + 1}/12" in result.stderr and f"epoch {done}/12" not in result.stderr
    assert f"resume: {killed / 'checkpoint.pt'} after epoch {done}" in result.stderr
    _assert_same_weights(straight / "model.pt", killed / "model.pt")
    final = [torch.load(d / "checkpoint.pt", weights_only=True) for d in (straight, killed)]
    for key in final[0]["model"]:
        assert torch.equal(final[0]["model"][key], final[1]["model"][key]), key
    losses = [[(h["train_loss"], h["valid_loss"]) for h in s["history"]] for s in final]
    assert losses[0] == losses[1] and len(losses[0]) == 12


@pytest.mark.slow
def test_rest_baseline_reaches_auroc(rest_h5, tmp_path, one_thread):
    """Real data, baseline ChIP CNN, 4 epochs (about a minute on one thread).

    Measured with this recipe: seed 0 keeps epoch 2 and reaches test AUROC 0.827; the
    reference package's baseline reaches 0.856 / 0.878 after up to 30 epochs. The bound
    sits below both and far above chance (0.5).
    """
    data = load_dataset(rest_h5)
    model = get_model("chip", data.sequence_length, data.n_tasks)
    summary = train_stage(
        model, data, tmp_path, task="binary", max_epochs=4, seed=0, device="cpu", verbose=False
    )
    table = evaluate(tmp_path / "model.pt", data, device="cpu")
    auroc = table.query("metric == 'auroc' and task == '0'").value.iloc[0]
    assert summary["best_valid_loss"] < 0.56
    assert auroc >= 0.8, table


def test_on_epoch_hook_stops_the_stage_and_is_recorded(tmp_path, one_thread, capsys):
    data = toy_data(n_train=120)
    kwargs = {"task": "binary", "max_epochs": 4, "batch_size": 40, "device": "cpu"}
    calls = []

    def watch(epoch, score):
        calls.append((epoch, score))
        return False

    # A hook that never stops changes nothing: same weights as a run without it.
    train_stage(toy_model(), data, tmp_path / "plain", verbose=False, **kwargs)
    watched = train_stage(toy_model(), data, tmp_path / "watched", on_epoch=watch, **kwargs)
    _assert_same_weights(tmp_path / "plain" / "model.pt", tmp_path / "watched" / "model.pt")
    history = pd.read_csv(tmp_path / "watched" / "history.tsv", sep="\t")
    # Called after every epoch with the epoch and minus its validation loss (history.tsv
    # keeps 8 significant digits).
    assert [epoch for epoch, _ in calls] == history.epoch.tolist() == [1, 2, 3, 4]
    np.testing.assert_allclose([score for _, score in calls], -history.valid_loss, rtol=1e-7)
    assert watched["stopped_by"] == "max_epochs"
    capsys.readouterr()

    def stop_at_1(epoch, score):
        return epoch == 1

    stopped = train_stage(toy_model(), data, tmp_path / "stopped", on_epoch=stop_at_1, **kwargs)
    assert "stopped: on_epoch asked to stop after epoch 1" in capsys.readouterr().err
    assert stopped["epochs_run"] == 1 and stopped["best_epoch"] == 1
    assert stopped["stopped_by"] == "on_epoch" and stopped["stopped_early"]
    params = json.loads((tmp_path / "stopped" / "params.json").read_text())
    assert params["stopped_by"] == "on_epoch" and params["result"]["epochs_run"] == 1
    assert len(pd.read_csv(tmp_path / "stopped" / "history.tsv", sep="\t")) == 1
    # The stopped epoch is epoch 1 of the full run, bit for bit.
    first = torch.load(tmp_path / "stopped" / "model.pt", weights_only=True)
    assert first["best_epoch"] == 1
    # Rerun, even with a larger limit and no hook, a stopped stage stays stopped.
    again = train_stage(
        toy_model(), data, tmp_path / "stopped", **{**kwargs, "max_epochs": 6}, verbose=False
    )
    assert again["epochs_run"] == 1 and again["stopped_by"] == "on_epoch"


def test_on_epoch_metric_hands_the_hook_the_validation_metric(tmp_path, one_thread):
    """With on_epoch_metric the hook sees the epoch's validation AUROC (the sweep's
    pruning signal), while the best epoch still follows the loss."""
    data = toy_data(n_train=120)
    kwargs = {"task": "binary", "max_epochs": 1, "batch_size": 40, "device": "cpu"}
    seen = []
    result = train_stage(
        toy_model(),
        data,
        tmp_path / "auroc",
        on_epoch=lambda epoch, score: seen.append(score) is not None,
        on_epoch_metric="auroc",
        verbose=False,
        **kwargs,
    )
    table = evaluate(result["model_path"], data, split="valid", device="cpu")
    expected = table.query("metric == 'auroc' and task == 'mean'")["value"].iloc[0]
    assert seen == [pytest.approx(expected, abs=1e-6)] and 0 <= seen[0] <= 1
    # A metric of the other task kind is refused before training.
    with pytest.raises(ValueError, match=r"on_epoch_metric='pearson' does not fit task 'binary'"):
        train_stage(toy_model(), data, tmp_path / "bad", on_epoch_metric="pearson", **kwargs)
    assert not (tmp_path / "bad" / "checkpoint.pt").exists()


def _write_h5(path, data):
    import h5py

    with h5py.File(path, "w") as handle:
        for split in ("train", "valid", "test"):
            handle[f"x_{split}"] = getattr(data, f"x_{split}").numpy()
            handle[f"y_{split}"] = getattr(data, f"y_{split}").numpy()


def test_run_trains_both_stages_of_a_grid_cell_from_its_params(tmp_path, one_thread):
    """run(params) as the workflow calls it: the augmenter comes from params["augment"]."""
    _write_h5(tmp_path / "toy.h5", toy_data(n_train=120))
    spec = {**AUG_SPEC, "max_augs_per_seq": 1, "insertion_mode": "pad"}
    params = {
        "dataset": "toyset",
        "augset": "combo",
        "seed": 2,
        "stage": "stage1",
        "model": "chip",
        "model_kwargs": TOY,
        "task": "binary",
        "train_size": 100,
        "augment": spec,
        "recipe": {"max_epochs": 2, "batch_size": 40, "lr": 1e-3},
        "device": "cpu",
        "data_seed": 0,
    }
    stage1 = run(params, tmp_path / "toy.h5", tmp_path / "train")
    recorded = json.loads((tmp_path / "train" / "params.json").read_text())
    assert recorded["stage"] == "stage1" and recorded["augment"]["max_augs_per_seq"] == 1
    assert recorded["data"]["n_train"] == 100 and recorded["batch_size"] == 40
    assert recorded["extra_params"] == {
        "dataset": "toyset",
        "augset": "combo",
        "train_size": 100,
        "data_seed": 0,
    }
    assert stage1["epochs_run"] == 2
    # The same cell through train_stage directly gives the same weights.
    data = load_dataset(tmp_path / "toy.h5", downsample=100, seed=0)
    augmenter = Augmenter.from_config(spec)
    model = get_model("chip", augmenter.output_length(LENGTH), 1, task="binary", **TOY)
    train_stage(
        model, data, tmp_path / "direct", task="binary", augmenter=augmenter, seed=2,
        device="cpu", verbose=False, max_epochs=2, batch_size=40,
        extra_params=recorded["extra_params"],
    )  # fmt: skip
    _assert_same_weights(tmp_path / "train" / "model.pt", tmp_path / "direct" / "model.pt")

    finetune = {**params, "stage": "finetune", "recipe": {"max_epochs": 1, "batch_size": 40}}
    with pytest.raises(ValueError, match="needs init"):
        run(finetune, tmp_path / "toy.h5", tmp_path / "finetune")
    identity = {"dataset": "toyset", "augset": "combo", "stage": "finetune", "seed": 2}
    for bad in (None, {"dataset": "toyset", "augset": "combo", "stage": "finetune"}):
        with pytest.raises(ValueError, match=r"identity: missing \[.*'seed'\]"):
            run(
                finetune, tmp_path / "toy.h5", tmp_path / "no", init=stage1["model_path"],
                evaluation=tmp_path / "no.tsv", identity=bad,
            )  # fmt: skip
        assert not (tmp_path / "no").exists()  # refused before any training
    table = tmp_path / "evaluate" / "finetune.tsv"
    run(
        finetune, tmp_path / "toy.h5", tmp_path / "finetune", init=stage1["model_path"],
        evaluation=table, identity={**identity, "train_size": 100},
    )  # fmt: skip
    # The job's own metrics are those a separate evaluation of the kept model gives.
    written = pd.read_csv(table, sep="\t")
    assert list(written["split"].unique()) == ["valid", "test"]
    assert set(written["metric"]) == {"auroc", "aupr"} and (written["train_size"] == 100).all()
    evaluate_run(
        tmp_path / "finetune" / "model.pt", tmp_path / "toy.h5", tmp_path / "again.tsv",
        {**identity, "train_size": 100},
    )  # fmt: skip
    assert table.read_bytes() == (tmp_path / "again.tsv").read_bytes()
    _, pad, meta = load_model(tmp_path / "finetune" / "model.pt")
    # padded like the stage-1 model
    assert meta["stage"] == "finetune" and pad.to_config() == augmenter.to_config()
    recorded = json.loads((tmp_path / "finetune" / "params.json").read_text())
    assert recorded["augment"] is None and recorded["init_from"] == stage1["model_path"]


def _cell_params(augset, augment):
    """What the workflow's train_params gives a stage-1 job of a toy grid cell (seed 1)."""
    return {
        "dataset": "toyset", "augset": augset, "seed": 1, "stage": "stage1",
        "model": "chip", "model_kwargs": TOY, "task": "binary", "train_size": None,
        "augment": augment, "recipe": {"max_epochs": 2, "batch_size": 40}, "device": "cpu",
        "data_seed": 0,
    }  # fmt: skip


def test_a_failed_evaluation_loses_no_training(tmp_path, one_thread, capsys):
    """The training job evaluates last: when that fails, Snakemake deletes the job's
    outputs, and the rerun rebuilds them from the finished checkpoint without training."""
    _write_h5(tmp_path / "toy.h5", toy_data(n_train=120))
    params = _cell_params("baseline", None)
    out, table = tmp_path / "train", tmp_path / "stage1.tsv"
    identity = {"dataset": "toyset", "augset": "baseline", "stage": "stage1", "seed": 1}
    # The table cannot be written: its folder's name is taken by a file.
    (tmp_path / "blocked").write_text("")
    with pytest.raises(OSError):
        run(params, tmp_path / "toy.h5", out, evaluation=tmp_path / "blocked" / "stage1.tsv",
            identity=identity)  # fmt: skip
    assert "start:" in capsys.readouterr().err
    first = (out / "model.pt").read_bytes()
    for name in OUTPUT_FILES:  # what Snakemake removes
        (out / name).unlink()
    run(params, tmp_path / "toy.h5", out, evaluation=table, identity=identity)
    log = capsys.readouterr().err
    assert "finished:" in log and "start:" not in log  # nothing trained again
    assert (out / "model.pt").read_bytes() == first
    assert set(pd.read_csv(table, sep="\t")["split"]) == {"valid", "test"}


def test_a_moved_project_reuses_its_finished_runs(tmp_path, one_thread, capsys):
    """A results folder copied or moved elsewhere: the data file and the stage-1 model
    that a finetune starts from have other paths, the same contents; rerunning the
    training jobs there trains nothing (only the contents are checked)."""
    first = tmp_path / "first"
    first.mkdir()
    _write_h5(first / "toy.h5", toy_data(n_train=120))
    params = _cell_params("evoaug", AUG_SPEC)
    tuned = {**params, "stage": "finetune", "recipe": {"max_epochs": 1, "batch_size": 40}}

    def both_stages(root):
        run(params, root / "toy.h5", root / "train")
        run(tuned, root / "toy.h5", root / "finetune", init=root / "train" / "model.pt")

    both_stages(first)
    moved = tmp_path / "moved"
    first.rename(moved)
    models = {stage: (moved / stage / "model.pt").read_bytes() for stage in ("train", "finetune")}
    for stage in models:  # what `snakemake --forcerun` removes before each job
        for name in OUTPUT_FILES:
            (moved / stage / name).unlink()
    capsys.readouterr()
    both_stages(moved)
    log = capsys.readouterr().err
    assert log.count("finished:") == 2 and "start:" not in log and "restart:" not in log
    for stage, before in models.items():
        assert (moved / stage / "model.pt").read_bytes() == before
    # The new paths are recorded; a changed content still restarts.
    record = json.loads((moved / "finetune" / "params.json").read_text())
    assert record["data"]["path"] == str(moved / "toy.h5")
    assert record["init_from"] == str((moved / "train" / "model.pt").resolve())
    _write_h5(moved / "toy.h5", toy_data(n_train=120, seed=5))
    run(params, moved / "toy.h5", moved / "train")
    assert "data content changed" in capsys.readouterr().err


def test_training_batch_default_is_the_schemas():
    import inspect

    import yaml

    schema = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())
    stages = schema["properties"]["training"]["properties"]
    for stage in STAGES:
        assert stages[stage]["properties"]["batch_size"]["default"] == TRAIN_BATCH_SIZE == 100
    signature = inspect.signature(train_stage).parameters
    assert signature["batch_size"].default == TRAIN_BATCH_SIZE
    # The deterministic-kernels switch: one default, the library's, which the schema states.
    assert schema["properties"]["deterministic"]["default"] is DETERMINISTIC_DEFAULT is False
    assert signature["deterministic"].default is DETERMINISTIC_DEFAULT
    assert signature["stage"].default == STAGES[0] == "stage1"

"""Bring your own model: the two-stage trainer, records and reloading with user models."""

import numpy as np
import pytest
import torch
from byo_models import SmallGRU, TinyTransformer
from test_train import AUG_SPEC, LENGTH, toy_data
from torch import nn

from evoaugflow.augment import Augmenter
from evoaugflow.models import (
    build_model,
    check_model,
    check_model_kwargs,
    import_model_class,
    reset_model,
)
from evoaugflow.train import evaluate, load_model, predict, train_stage

RECIPE = {"max_epochs": 2, "batch_size": 50, "verbose": False, "device": "cpu"}
USER_MODELS = {
    "byo_models:SmallGRU": {"hidden": 8},
    "byo_models:TinyTransformer": {"d_model": 8, "n_heads": 2},
}


def _weights(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("class_path", list(USER_MODELS))
def test_user_model_two_stages_and_reload(tmp_path, one_thread, class_path):
    data = toy_data(n_train=150)
    augmenter = Augmenter.from_config(AUG_SPEC)  # with insertion: inputs are L + 8 long
    length = augmenter.output_length(LENGTH)
    model = build_model(class_path, length, 1, **USER_MODELS[class_path])
    stage1 = train_stage(
        model, data, tmp_path / "s1", task="binary", augmenter=augmenter, seed=3, **RECIPE
    )
    assert stage1["epochs_run"] == 2
    record = torch.load(tmp_path / "s1" / "model.pt", weights_only=True)
    assert record["model_config"] == {
        "class": class_path,
        "kwargs": USER_MODELS[class_path],
        "input_length": length,
        "n_tasks": 1,
    }

    reloaded, pad_augmenter, meta = load_model(tmp_path / "s1" / "model.pt")
    assert type(reloaded).__name__ == class_path.split(":")[1]
    assert meta["task"] == reloaded.task == "binary"
    assert pad_augmenter.to_config() == augmenter.to_config()
    for key, value in _weights(model).items():
        assert torch.equal(reloaded.state_dict()[key], value), key

    finetuned, _, _ = load_model(tmp_path / "s1" / "model.pt")
    stage2 = train_stage(
        finetuned,
        data,
        tmp_path / "s2",
        task="binary",
        stage="finetune",
        init_from=tmp_path / "s1" / "model.pt",
        lr=1e-4,
        seed=3,
        **RECIPE,
    )
    assert stage2["stage"] == "finetune"
    model2, pad2, _ = load_model(tmp_path / "s2" / "model.pt")
    scores = predict(model2, data.x_test, device="cpu", augmenter=pad2)
    assert scores.shape == (len(data.x_test), 1)
    assert np.all((scores > 0) & (scores < 1))
    # finetuning moved the weights away from stage 1
    assert any(
        not torch.equal(a, b)
        for a, b in zip(model2.state_dict().values(), reloaded.state_dict().values(), strict=True)
    )
    metrics = evaluate(tmp_path / "s2" / "model.pt", data, device="cpu")
    assert set(metrics["metric"]) == {"auroc", "aupr"}


def test_user_model_seed_sets_the_run(tmp_path, one_thread):
    """Starting weights come from the seed, not from how the caller built the model."""
    data = toy_data(n_train=100)
    runs = []
    for construction_seed, folder in ((0, "a"), (99, "b")):
        torch.manual_seed(construction_seed)
        model = build_model("byo_models:TinyTransformer", LENGTH, 1, d_model=8, n_heads=2)
        train_stage(model, data, tmp_path / folder, task="binary", seed=5, **RECIPE)
        runs.append(torch.load(tmp_path / folder / "model.pt", weights_only=True)["state_dict"])
    assert runs[0].keys() == runs[1].keys()
    for key in runs[0]:
        assert torch.equal(runs[0][key], runs[1][key]), key


def test_instance_without_record_needs_the_instance_to_reload(tmp_path, one_thread):
    data = toy_data(n_train=100)
    torch.manual_seed(0)
    model = SmallGRU(n_tasks=1, hidden=4)  # not built by build_model: no spec
    train_stage(model, data, tmp_path / "run", task="regression", seed=1, **RECIPE)
    with pytest.raises(ValueError, match="load_model\\(path, model=YourClass"):
        load_model(tmp_path / "run" / "model.pt")
    reloaded, _, meta = load_model(tmp_path / "run" / "model.pt", model=SmallGRU(1, hidden=4))
    assert meta["model_config"]["class"] == "byo_models:SmallGRU"
    assert meta["model_config"]["kwargs"] is None
    expected = predict(model, data.x_test, device="cpu", task="regression")
    np.testing.assert_array_equal(predict(reloaded, data.x_test, device="cpu"), expected)


def test_probe_names_the_mismatch(tmp_path):
    data = toy_data(n_train=20)
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2, 1\)"):
        train_stage(SmallGRU(n_tasks=3), data, tmp_path, task="binary", **RECIPE)
    built_for_other_length = build_model("byo_models:TinyTransformer", LENGTH + 8, 1)
    with pytest.raises(ValueError, match=f"input_length={LENGTH}"):
        train_stage(built_for_other_length, data, tmp_path, task="binary", **RECIPE)
    with pytest.raises(ValueError, match="failed on a \\(2, 4, 64\\) batch"):
        check_model(TinyTransformer(LENGTH + 8, 1), LENGTH, 1)
    assert not (tmp_path / "model.pt").exists()


def test_reset_model_refuses_parameters_it_cannot_reset():
    class BareParameter(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(torch.ones(1))
            self.head = nn.Linear(4, 1)

    model = BareParameter()
    before = _weights(model)
    with pytest.raises(ValueError, match=r"\(model\) \(BareParameter\).*reset_parameters"):
        reset_model(model)
    for key, value in before.items():  # nothing half-reset
        assert torch.equal(model.state_dict()[key], value)


def test_reset_model_covers_attention_projections():
    model = TinyTransformer(16, 1, d_model=8)
    torch.manual_seed(1)
    reset_model(model)
    first = _weights(model)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(1.0)
    torch.manual_seed(1)
    reset_model(model)
    for key, value in first.items():
        assert torch.equal(model.state_dict()[key], value), key


def test_class_path_and_kwargs_checks():
    assert import_model_class("byo_models:SmallGRU") is SmallGRU
    with pytest.raises(ValueError, match="package.module:Class"):
        import_model_class("byo_models.SmallGRU")
    with pytest.raises(ValueError, match="'no_such_module' does not import"):
        import_model_class("no_such_module:Model")
    with pytest.raises(ValueError, match="no torch.nn.Module subclass named 'Missing'"):
        import_model_class("byo_models:Missing")
    check_model_kwargs("byo_models:SmallGRU", {"hidden": 4})
    check_model_kwargs("chip", {"fc_units": [8]})
    with pytest.raises(ValueError, match=r"\['width'\] do not fit byo_models:SmallGRU.*hidden"):
        check_model_kwargs("byo_models:SmallGRU", {"width": 4})
    with pytest.raises(ValueError, match="input_length.*leave them out"):
        check_model_kwargs("byo_models:TinyTransformer", {"input_length": 4})
    with pytest.raises(ValueError, match="not settings of 'chip'"):
        check_model_kwargs("chip", {"hidden": 4})

"""Bring your own model: the two-stage trainer, records and reloading with user models."""

import os
import resource
import shutil
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from byo_models import SmallGRU, TinyTransformer
from test_train import AUG_SPEC, LENGTH, toy_data
from torch import nn
from workflow_helpers import job_counts, png_size, snakemake

from evoaugflow import config as grid
from evoaugflow.attribution import gradient_shap
from evoaugflow.augment import Augmenter
from evoaugflow.filters import (
    filter_motifs,
    first_layer_problem,
    no_filters_reason,
    write_no_filter_matches,
    write_no_filters,
)
from evoaugflow.models import (
    MODEL_CLASS_PATTERN,
    build_model,
    check_model,
    check_model_kwargs,
    get_model,
    import_model_class,
    reset_model,
)
from evoaugflow.runtime import _glibc
from evoaugflow.summary import TIDY_COLUMNS
from evoaugflow.train import evaluate, fast_cpu_steps, load_model, predict, train_stage
from evoaugflow.variants import score_variant_effects

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
        keep_start=False,  # always one of its own epochs: the weights must have moved
        **RECIPE,
    )
    assert stage2["stage"] == "finetune" and stage2["best_epoch"] >= 1
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


def test_variant_scoring_and_attribution_take_a_user_model(tmp_path, one_thread):
    """The analyses downstream of training need only the forward pass."""
    data = toy_data(n_train=100)
    augmenter = Augmenter.from_config(AUG_SPEC)
    model = build_model("byo_models:SmallGRU", augmenter.output_length(LENGTH), 1, hidden=4)
    train_stage(model, data, tmp_path, task="binary", augmenter=augmenter, **RECIPE)
    reloaded, pad_augmenter, _ = load_model(tmp_path / "model.pt")
    ref = data.x_test[:6]
    alt = ref.clone()
    alt[:, :, LENGTH // 2] = torch.tensor([0.0, 0.0, 0.0, 1.0])  # T at the centre
    effects = score_variant_effects(reloaded, ref, alt, "binary", augmenter=pad_augmenter)
    assert len(effects) == 6 and np.isfinite(effects["effect"]).all()
    identical = score_variant_effects(reloaded, ref, ref, "binary", augmenter=pad_augmenter)
    assert (identical["effect"] == 0).all()
    attributions = gradient_shap(
        reloaded, ref[:2], output=0, n_references=8, n_samples=4, augmenter=pad_augmenter
    )
    assert attributions.shape == (2, 4, LENGTH) and np.isfinite(attributions).all()


class DenormalProbe(nn.Module):
    """A linear model that notes, at each training forward pass, whether a denormal
    float survives a multiplication (it does not while denormals are flushed)."""

    def __init__(self, n_tasks: int = 1):
        super().__init__()
        self.head = nn.Linear(4, n_tasks)
        self.survived = []

    def forward(self, x):
        if self.training:
            self.survived.append(bool(torch.tensor([1e-39]) * 1.0 != 0))
        return self.head(x.mean(dim=2))


def test_training_flushes_denormals_and_restores_the_default(tmp_path):
    assert bool(torch.tensor([1e-39]) * 1.0 != 0)  # torch's default: denormals kept
    model = DenormalProbe()
    train_stage(model, toy_data(n_train=100), tmp_path, task="binary", **RECIPE)
    assert model.survived and not any(model.survived)
    assert bool(torch.tensor([1e-39]) * 1.0 != 0)


def _page_faults_per_allocation(n_bytes, repeats=4):
    """Minor page faults per allocation and zero-fill of an n_bytes tensor."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(repeats):
        torch.zeros(n_bytes // 4)
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / repeats


@pytest.mark.skipif(_glibc() is None, reason="the C library is not glibc")
def test_fast_cpu_steps_reuses_large_blocks():
    """Outside, a 64 MiB block is mapped and zero-filled page by page at every
    allocation; inside, the freed block is reused."""
    n_bytes = 64 * 2**20
    assert (
        _page_faults_per_allocation(n_bytes) > 1000
    )  # thousands of page faults (the kernel may use larger pages)
    with fast_cpu_steps():
        _page_faults_per_allocation(n_bytes)  # the first one grows the heap
        # steady state: the heap left by earlier tests may need one more growth first
        assert min(_page_faults_per_allocation(n_bytes) for _ in range(3)) < 100
    assert (
        _page_faults_per_allocation(n_bytes) > 1000
    )  # thousands of page faults (the kernel may use larger pages)


def test_filter_analysis_explains_a_model_without_conv_first_layer(tmp_path):
    gru = SmallGRU(n_tasks=1)
    reason = first_layer_problem(gru)
    assert "SmallGRU has no convolutional first layer" in reason
    assert first_layer_problem(get_model("chip", 64, 1, conv_channels=[8, 8, 8])) is None
    with pytest.raises(ValueError, match="no convolutional first layer"):
        filter_motifs(gru, torch.zeros(2, 4, 64))
    write_no_filters(tmp_path / "f.meme", tmp_path / "f.tsv", reason)
    assert no_filters_reason(tmp_path / "f.meme") == reason
    table = pd.read_csv(tmp_path / "f.tsv", sep="\t")
    assert table.empty and list(table.columns) == ["filter", "motif_id", "nsites", "in_meme"]
    run = {"dataset": "d", "augset": "a", "stage": "stage1", "seed": 0}
    paths = [tmp_path / "m.tsv", tmp_path / "s.tsv", tmp_path / "logos.png"]
    write_no_filter_matches(*paths, run, reason)
    assert pd.read_csv(paths[0], sep="\t").empty
    summary = pd.read_csv(paths[1], sep="\t")
    assert set(TIDY_COLUMNS["filters"]) <= set(summary.columns)
    assert summary["n_filters"].tolist() == [0] and summary["hit_rate"].isna().all()
    assert png_size(paths[2]) == (1200, 600)


# ---------------------------------------------------------------------------------------
# the workflow with a model class
# ---------------------------------------------------------------------------------------

TESTS = Path(__file__).resolve().parent
SCHEMA = TESTS.parent / "workflow" / "schemas" / "config.schema.yaml"


def byo_config(h5_path, model="byo_models:SmallGRU", model_kwargs=None):
    return {
        "seeds": [0],
        "training": {
            "stage1": {"max_epochs": 2, "batch_size": 100},
            "finetune": {"max_epochs": 1, "batch_size": 100},
        },
        "augment_sets": {
            "baseline": {"augmentations": [], "finetune": False},
            "evoaug": {"augmentations": ["insertion", "rc", "mutation"], "max_augs_per_seq": 2},
        },
        "datasets": {
            "rest_gru": {
                "source": "h5",
                "path": str(h5_path),
                "model": model,
                "model_kwargs": {"hidden": 4} if model_kwargs is None else model_kwargs,
                "task": "binary",
                "augment_sets": ["baseline", "evoaug"],
                "analyses": {"filters": True, "attribution": True},
                "attribution": {"n_sequences": 2, "n_references": 20, "n_samples": 4},
            }
        },
    }


def test_schema_pattern_is_the_library_pattern():
    schema = yaml.safe_load(SCHEMA.read_text())
    model = schema["properties"]["datasets"]["additionalProperties"]["properties"]["model"]
    assert model["anyOf"][1]["pattern"] == MODEL_CLASS_PATTERN


@pytest.mark.parametrize(
    ("model", "model_kwargs", "message"),
    [
        ("byo_models.SmallGRU", {}, r"datasets\.rest_gru\.model: 'byo_models\.SmallGRU' is not"),
        ("no_such_module:Model", {}, r"datasets\.rest_gru\.model: .*does not import"),
        ("byo_models:Missing", {}, r"datasets\.rest_gru\.model: .*no torch.nn.Module subclass"),
        ("byo_models:SmallGRU", {"width": 4}, r"datasets\.rest_gru\.model_kwargs: .*hidden"),
        ("chip", {"hidden": 4}, r"datasets\.rest_gru\.model_kwargs: .*not settings of 'chip'"),
    ],
)
def test_config_names_a_bad_model_class_or_kwargs(tmp_path, model, model_kwargs, message):
    config = byo_config(tmp_path / "data.h5", model, model_kwargs)
    with pytest.raises(ValueError, match=message):
        grid.validate_config(config, SCHEMA)


def test_config_accepts_a_model_class(tmp_path):
    config = grid.validate_config(byo_config(tmp_path / "data.h5"), SCHEMA)
    assert config["datasets"]["rest_gru"]["model"] == "byo_models:SmallGRU"


@pytest.mark.slow
def test_workflow_trains_and_analyses_a_user_model(tmp_path, rest_h5, monkeypatch):
    """Real REST sequences (a slice) through train, finetune, metrics, attribution and a
    filter analysis that explains why a GRU has no filters."""
    h5_path = tmp_path / "rest_small.h5"
    sizes = {"train": 300, "valid": 100, "test": 100}
    with h5py.File(rest_h5) as source, h5py.File(h5_path, "w") as target:
        for split, n in sizes.items():
            for prefix in ("x", "y"):
                target[f"{prefix}_{split}"] = source[f"{prefix}_{split}"][:n]
    (tmp_path / "byo.yaml").write_text(yaml.safe_dump(byo_config(h5_path)))
    # Snakemake jobs import the class from the user's folder, on PYTHONPATH.
    user = tmp_path / "user"
    user.mkdir()
    shutil.copy2(TESTS / "byo_models.py", user / "byo_models.py")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(user), str(TESTS.parent)]))
    result = snakemake(tmp_path, "--cores", "2", "--configfile", "byo.yaml")
    assert result.returncode == 0, result.stderr[-5000:]

    for stage_dir in ("train/rest_gru/evoaug/0", "finetune/rest_gru/evoaug/0"):
        record = torch.load(tmp_path / "results" / stage_dir / "model.pt", weights_only=True)
        assert record["model_config"] == {
            "class": "byo_models:SmallGRU",
            "kwargs": {"hidden": 4},
            "input_length": 200 + 20,  # insertion pads by the default insert_max
            "n_tasks": 1,
        }
    metrics = pd.read_csv(tmp_path / "results/summary/metrics.tsv", sep="\t")
    runs = metrics[metrics["dataset"] == "rest_gru"]
    assert set(zip(runs["augset"], runs["stage"], strict=True)) == {
        ("baseline", "stage1"),
        ("evoaug", "stage1"),
        ("evoaug", "finetune"),
    }
    assert runs.loc[runs["metric"] == "auroc", "value"].between(0, 1).all()

    filters = tmp_path / "results/filters/rest_gru/evoaug/0/finetune"
    assert "no convolutional first layer" in (filters / "filters.meme").read_text()
    assert pd.read_csv(filters / "filters.tsv", sep="\t").empty
    summary = pd.read_csv(filters / "summary.tsv", sep="\t")
    assert summary["n_filters"].tolist() == [0]
    assert "SmallGRU has no convolutional first layer" in summary["note"][0]
    assert png_size(filters / "filter_logos.png") == (1200, 600)
    attribution = sorted((tmp_path / "results/attribution/rest_gru").rglob("attributions.npz"))
    assert len(attribution) == 3  # one per trained model
    with np.load(attribution[0]) as arrays:
        assert arrays["attributions"].shape == (2, 4, 200)

    # The user's module is part of the code the training jobs run: a comment in it
    # changes nothing, an edit of its code retrains (and reruns what depends on it).
    module = user / "byo_models.py"
    module.write_text(module.read_text() + "\n# tried a wider GRU, kept this one\n")
    dry = snakemake(tmp_path, "-n", "--configfile", "byo.yaml")
    assert dry.returncode == 0 and "Nothing to be done" in dry.stdout, dry.stderr[-3000:]
    module.write_text(module.read_text() + "\nDEFAULT_HIDDEN = 4\n")
    dry = snakemake(tmp_path, "-n", "--configfile", "byo.yaml")
    assert dry.returncode == 0, dry.stderr[-3000:]
    assert "Job stats:" in dry.stdout, "an edit of the model's code must retrain it"
    planned = job_counts(dry.stdout)
    assert planned["train_model"] == 1 and planned["train_and_finetune"] == 1
    assert "Params have changed since last execution" in dry.stdout
    # ... and the rerun trains again instead of handing back the old model's weights.
    result = snakemake(tmp_path, "--cores", "2", "--configfile", "byo.yaml")
    assert result.returncode == 0, result.stderr[-5000:]
    log = (tmp_path / "logs/train_model/rest_gru/baseline/0.log").read_text()
    assert "not reused because it was made with other settings (training code changed)" in log

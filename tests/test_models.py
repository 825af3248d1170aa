"""Architectures: parameter counts computed by hand, output shapes, config round trip."""

import pytest
import torch

from evoaugflow.models import MODEL_NAMES, get_model, reset_model


def _conv(c_in, c_out, width):
    """Bias-free convolution followed by batch norm (scale and shift)."""
    return c_in * c_out * width + 2 * c_out


def _fc(n_in, n_out):
    """Bias-free linear layer followed by batch norm."""
    return n_in * n_out + 2 * n_out


def _expected_params(name, input_length, n_tasks):
    """Parameter count from the paper's layer sizes (REFERENCE.md section 3)."""
    if name == "basset":
        flat = 200 * (input_length // 3 // 4 // 2)
        return (
            _conv(4, 300, 19)
            + _conv(300, 200, 11)
            + _conv(200, 200, 7)
            + _fc(flat, 1000)
            + _fc(1000, 1000)
            + 1000 * n_tasks
            + n_tasks
        )
    if name == "deepstarr":
        flat = 120 * (input_length // 2 // 2 // 2 // 2)
        return (
            _conv(4, 256, 7)
            + _conv(256, 60, 3)
            + _conv(60, 60, 5)
            + _conv(60, 120, 3)
            + _fc(flat, 256)
            + _fc(256, 256)
            + 256 * n_tasks
            + n_tasks
        )
    flat = 128 * (input_length // 4 // 4 // 2)
    return (
        _conv(4, 64, 7)
        + _conv(64, 96, 5)
        + _conv(96, 128, 5)
        + _fc(flat, 256)
        + 256 * n_tasks
        + n_tasks
    )


@pytest.mark.parametrize(
    ("name", "input_length", "n_tasks"),
    [
        ("basset", 600, 164),
        ("basset", 630, 161),  # 600 + insert_max 30
        ("deepstarr", 249, 2),
        ("deepstarr", 269, 2),  # 249 + 20
        ("chip", 200, 1),
        ("chip", 220, 1),
        ("chip", 232, 3),
    ],
)
def test_paper_sizes(name, input_length, n_tasks):
    torch.manual_seed(0)
    model = get_model(name, input_length, n_tasks)
    n_params = sum(p.numel() for p in model.parameters())
    assert n_params == _expected_params(name, input_length, n_tasks)
    model.eval()
    x = torch.rand(3, 4, input_length)
    assert model(x).shape == (3, n_tasks)
    first_channels = {"basset": 300, "deepstarr": 256, "chip": 64}[name]
    assert model.first_layer(x).shape == (3, first_channels, input_length)
    assert model.first_conv.weight.shape[:2] == (first_channels, 4)


def test_known_flat_widths():
    # Written out once so that a wrong pooling order cannot hide in the helper above.
    assert get_model("basset", 600, 1).fc_blocks[1].in_features == 200 * 25
    assert get_model("deepstarr", 249, 2).fc_blocks[1].in_features == 120 * 15
    assert get_model("chip", 200, 1).fc_blocks[1].in_features == 128 * 6
    assert get_model("chip", 220, 1).fc_blocks[1].in_features == 128 * 6
    assert get_model("basset", 630, 1).fc_blocks[1].in_features == 200 * 26


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_config_rebuilds_same_model(name):
    """A model rebuilt from its config takes its weights and computes the same outputs."""
    n_blocks = len(get_model(name, 256, 2).conv_blocks)
    model = get_model(name, 256, 2, conv_channels=[8] * n_blocks, task="regression")
    torch.manual_seed(1)
    reset_model(model)
    torch.manual_seed(2)  # other starting weights: only load_state_dict can make them equal
    rebuilt = get_model(**model.config)
    shapes = {k: v.shape for k, v in model.state_dict().items()}
    assert shapes == {k: v.shape for k, v in rebuilt.state_dict().items()}
    x = torch.eye(4)[torch.randint(0, 4, (5, 256))].transpose(1, 2)
    model.eval()
    rebuilt.eval()
    with torch.no_grad():
        assert not torch.equal(model(x), rebuilt(x))
        rebuilt.load_state_dict(model.state_dict())
        torch.testing.assert_close(rebuilt(x), model(x), rtol=0, atol=0)
    assert rebuilt.task == "regression" and model(x).shape == (5, 2)


def test_narrowing_kwargs_and_task(device):
    model = get_model(
        "chip", 100, 2, conv_channels=[8, 8, 16], fc_units=[32], dropout=0.1, conv_dropout=0.0
    ).to(device)
    assert model.config["conv_channels"] == [8, 8, 16]
    assert model.task == "binary"
    assert get_model("deepstarr", 249, 2).task == "regression"
    # chip: a dropout module inside each conv block only when conv_dropout > 0
    assert not any(isinstance(m, torch.nn.Dropout) for m in model.conv_blocks.modules())
    chip = get_model("chip", 200, 1)
    assert sum(isinstance(m, torch.nn.Dropout) for m in chip.modules()) == 4
    # conv, batch norm, max pool, ReLU, then dropout
    kinds = [type(m).__name__ for m in chip.conv_blocks[0]]
    assert kinds == ["Conv1d", "BatchNorm1d", "WindowMaxPool1d", "ReLU", "Dropout"]
    assert chip.conv_blocks[0][4].p == 0.2 and chip.fc_blocks[4].p == 0.5
    x = torch.rand(5, 4, 100, device=device)
    model.eval()
    assert model(x).shape == (5, 2)
    assert model.first_layer(x).min() >= 0  # after ReLU


def test_forward_returns_logits_not_probabilities():
    torch.manual_seed(1)
    model = get_model("chip", 200, 1).eval()
    with torch.no_grad():
        model.fc_blocks[-1].bias.fill_(10.0)
        out = model(torch.rand(4, 4, 200))
    assert (out > 1).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "resnet"}, "unknown"),
        ({"input_length": 10}, "too short"),
        ({"n_tasks": 0}, "n_tasks"),
        ({"dropout": 1.0}, "dropout"),
        ({"conv_widths": [7, 5]}, "one entry per block"),
        ({"conv_channels": [64, 0, 128]}, "conv_channels"),
        ({"filters": 3}, "unknown keyword"),
        ({"task": "multiclass"}, "task"),
    ],
)
def test_bad_arguments(kwargs, message):
    args = {"name": "chip", "input_length": 200, "n_tasks": 1, **kwargs}
    with pytest.raises(ValueError, match=message):
        get_model(**args)


def test_reset_parameters_is_seeded_default_initialisation():
    torch.manual_seed(1)
    model = get_model("deepstarr", 249, 2)
    torch.manual_seed(2)
    same = get_model("deepstarr", 249, 2)
    with torch.no_grad():
        model.fc_blocks[-1].bias.fill_(3.0)
        model.conv_blocks[1][1].running_mean.fill_(5.0)
    # the seed alone decides the fresh weights, whatever the model held before
    for each in (model, same):
        torch.manual_seed(0)
        each.reset_parameters()
    for key, value in model.state_dict().items():
        assert torch.equal(value, same.state_dict()[key]), key
    assert torch.equal(model.conv_blocks[1][1].running_mean, torch.zeros(60))
    # PyTorch's default: uniform with bound 1 / sqrt(fan_in), fan_in = 256 * 3 here
    weight = model.conv_blocks[1][0].weight
    bound = 1 / (256 * 3) ** 0.5
    assert weight.abs().max() <= bound
    assert weight.std().item() == pytest.approx(bound / 3**0.5, rel=0.02)


def _paper_order_forward(model, x):
    """The same network with each block in the textbook order: conv, batch norm, ReLU,
    nn.MaxPool1d, dropout (what GenomicCNN ran before it pooled first)."""
    for block in model.conv_blocks:
        conv, batch_norm, pool = block[0], block[1], block[2]
        x = torch.nn.functional.max_pool1d(torch.relu(batch_norm(conv(x))), pool.kernel_size)
        for extra in block[4:]:
            x = extra(x)
    return model.fc_blocks(x)


@pytest.mark.parametrize(("name", "length", "n_tasks"), [("basset", 630, 3), ("chip", 221, 1)])
def test_pool_before_relu_trains_bit_for_bit_like_the_paper_order(name, length, n_tasks):
    # Monotone ReLU and max commute exactly; the gradient of a window whose maximum is
    # not positive is zero either way, and a tie goes to the first maximal position in
    # both poolings. The zero padding at the end (an insertion's pad) makes exact ties.
    kwargs = {"conv_channels": [16, 8, 8], "fc_units": [12]}
    generator = torch.Generator().manual_seed(0)
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (6, length), generator=generator), 4)
    x = x.float().transpose(1, 2).contiguous()
    x[:, :, -30:] = 0.0
    y = torch.rand(6, n_tasks, generator=generator)
    grads = []
    for forward in (lambda model, x: model(x), _paper_order_forward):
        torch.manual_seed(3)
        model = get_model(name, length, n_tasks, **kwargs)
        torch.manual_seed(4)  # the same dropout masks (chip has dropout in its blocks)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(forward(model, x), y)
        loss.backward()
        grads.append([loss.detach()] + [p.grad for p in model.parameters()])
    for ours, paper in zip(*grads, strict=True):
        assert torch.equal(ours, paper)
    # and the pool is nn.MaxPool1d's floor mode: odd lengths lose their last positions
    pool = get_model(name, length, n_tasks, **kwargs).conv_blocks[0][2]
    z = torch.randn(2, 3, 20)
    assert torch.equal(pool(z), torch.nn.functional.max_pool1d(z, pool.kernel_size))

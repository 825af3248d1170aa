"""Training-step time of the convolution blocks: pool then ReLU against ReLU then pool.

GenomicCNN's blocks run conv, batch norm, max pool (``WindowMaxPool1d``, a reshape and a
max), ReLU. The textbook order is conv, batch norm, ReLU, ``nn.MaxPool1d``: the same
numbers bit for bit (tests/test_models.py), more work. This times one optimiser step
(forward, backward, Adam) of each model of the default run, at its batch size and
sequence length, in both orders, on one CPU thread, alternating the two in rounds so
that both see the same machine load, and prints the median seconds per 2,000 sequences
(one epoch of the default run's training sets) and the ratio. The clock is the
process's CPU time (one torch thread), which other processes on a shared machine do
not inflate.

Usage::

    python benchmarks/conv_block.py [--rounds 5] [--steps 10]
"""

import argparse
import statistics
import time

import torch
from torch import nn

from evoaugflow.models import get_model

# name, input length (with the insertion padding of the default run), tasks, batch,
# model_kwargs: the default config's three data sets.
MODELS = (
    ("basset", 630, 8, 64, {"conv_channels": [64, 32, 32], "fc_units": []}),
    ("deepstarr", 269, 2, 32, {"conv_channels": [64, 60, 60, 60], "fc_units": [64, 64]}),
    ("chip", 220, 1, 100, {}),
)


def textbook_order(model: nn.Module) -> nn.Module:
    """The same model with every block as conv, batch norm, ReLU, nn.MaxPool1d."""
    for block in model.conv_blocks:
        block[2], block[3] = nn.ReLU(), nn.MaxPool1d(block[2].kernel_size)
    return model


def step_seconds(model, x, y, steps):
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.BCEWithLogitsLoss() if model.task == "binary" else nn.MSELoss()

    def step():
        optimiser.zero_grad()
        loss_fn(model(x), y).backward()
        optimiser.step()

    step()  # warm-up
    start = time.process_time()
    for _ in range(steps):
        step()
    return (time.process_time() - start) / steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, 1 thread, {args.rounds} rounds of {args.steps} steps")
    print("model      batch  length  textbook_s  ours_s  ratio  (CPU seconds per 2,000 sequences)")
    for name, length, n_tasks, batch, kwargs in MODELS:
        generator = torch.Generator().manual_seed(0)
        x = nn.functional.one_hot(torch.randint(0, 4, (batch, length), generator=generator), 4)
        x = x.float().transpose(1, 2).contiguous()
        y = torch.rand(batch, n_tasks, generator=generator)
        models = {
            "textbook": textbook_order(get_model(name, length, n_tasks, **kwargs)),
            "ours": get_model(name, length, n_tasks, **kwargs),
        }
        times = {key: [] for key in models}
        for _ in range(args.rounds):
            for key, model in models.items():
                times[key].append(step_seconds(model, x, y, args.steps) * 2000 / batch)
        old, new = (statistics.median(times[key]) for key in ("textbook", "ours"))
        print(f"{name:<10} {batch:>5} {length:>7} {old:>11.2f} {new:>7.2f} {old / new:>6.2f}")


if __name__ == "__main__":
    main()

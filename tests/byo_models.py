"""Small user models (not evoaugflow's) for the bring-your-own-model tests.

Importable as ``byo_models:SmallGRU`` and ``byo_models:TinyTransformer`` when this folder
is on ``PYTHONPATH`` (pytest puts it there; the workflow test exports it for Snakemake
jobs). Both map one-hot ``(N, 4, L)`` to ``(N, n_tasks)`` and have no ``config``.
"""

import torch
from torch import nn


class SmallGRU(nn.Module):
    """Pointwise embedding, a bidirectional GRU, mean over positions, linear head.

    Works at any input length, so only the probe's output width can catch a mismatch.
    """

    def __init__(self, n_tasks: int, hidden: int = 8):
        super().__init__()
        self.embed = nn.Conv1d(4, hidden, kernel_size=1)
        self.gru = nn.GRU(hidden, hidden, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * hidden, n_tasks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        states, _ = self.gru(self.embed(x).transpose(1, 2))
        return self.head(states.mean(dim=1))


class TinyTransformer(nn.Module):
    """Linear embedding plus a learned position table, one encoder block, mean, head.

    The position table fixes the input length, which the probe checks.
    """

    def __init__(self, input_length: int, n_tasks: int, d_model: int = 16, n_heads: int = 2):
        super().__init__()
        self.embed = nn.Linear(4, d_model)
        self.position = nn.Embedding(input_length, d_model)
        self.block = nn.TransformerEncoderLayer(
            d_model, n_heads, dim_feedforward=2 * d_model, dropout=0.1, batch_first=True
        )
        self.head = nn.Linear(d_model, n_tasks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = self.embed(x.transpose(1, 2)) + self.position.weight
        return self.head(self.block(hidden).mean(dim=1))

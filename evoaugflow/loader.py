"""Augmented batches for your own training loop: wrap tensors, a data set or a DataLoader.

:class:`AugmentedLoader` has the shape of evoaug2's ``RobustLoader`` (wrap the data,
iterate augmented batches, ``disable_augmentations()`` for finetuning,
``enable_augmentations()`` to switch back), but it augments whole batches, after they
are collated and moved to their device, with :class:`evoaugflow.augment.Augmenter`:
no per-sequence Python, no worker processes needed for speed, and GPU batches are
augmented on the GPU. Every random draw of the loader (the batch order it draws and
every augmentation) comes from one ``torch.Generator`` seeded with ``seed``, so two
loaders built alike give the same batches, bit for bit on the CPU.

Example::

    loader = AugmentedLoader((x_train, y_train), augmenter, batch_size=100, seed=0)
    for epoch in range(n_epochs):
        for x, y in loader:          # x: (100, 4, L + insert_max), augmented
            ...
    loader.disable_augmentations()  # finetune: padded, unaugmented batches
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset, default_collate

from evoaugflow.augment import Augmenter
from evoaugflow.train import TRAIN_BATCH_SIZE

__all__ = ["AugmentedLoader"]


def _positive_int(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name}={value!r}: expected an integer >= {minimum}")
    return value


class AugmentedLoader:
    """Iterate batches whose sequences are augmented afresh at every pass.

    Parameters
    ----------
    data : tuple of torch.Tensor, torch.utils.data.Dataset or torch.utils.data.DataLoader
        ``(x, y, ...)`` tensors with x of shape ``(N, 4, L)`` (batched here, and moved to
        ``device``), a map-style data set whose items are ``(x_i, y_i, ...)`` with x_i
        ``(4, L)`` (batched here with ``default_collate``; a ``TensorDataset`` is
        indexed as whole tensors), or a DataLoader whose batches are such tuples (its
        own sampler, workers and collation are used; ``batch_size``, ``shuffle`` and
        ``drop_last`` must then be left at their defaults).
    augmenter : Augmenter or mapping or None
        The augmentation, or its config (see :meth:`Augmenter.from_config`). None:
        batches pass unchanged (a baseline with the same interface).
    batch_size : int, default evoaugflow.train.TRAIN_BATCH_SIZE (100, the paper's)
        Sequences per batch (tensors and data sets only).
    shuffle : bool, default True
        Draw a new batch order at every pass from the loader's generator (tensors and
        data sets only).
    drop_last : bool, default False
        Leave out a final batch smaller than ``batch_size`` (tensors and data sets only).
    seed : int, default 0
        Seed of the loader's generator.
    device : str or torch.device, optional
        Move every batch here before augmenting it (default None: leave batches where
        the data are). The generator lives on this device (or on the data's).

    Attributes
    ----------
    generator : torch.Generator
        The one source of randomness; its state can be saved and restored
        (``generator.get_state()`` / ``set_state``) to resume a loop.
    augmenting : bool
        Whether batches are augmented (True after construction).

    Notes
    -----
    Only the first element of a batch (the sequences) is touched; labels and any other
    elements are yielded as they come. With insertion in ``"pad"`` mode augmented
    batches are ``L + insert_max`` long, and so are disabled ones: the augmenter's
    deterministic padding keeps the model's input length (evoaug2 returns length L; use
    ``insertion_mode: trim`` for that).
    """

    def __init__(
        self,
        data,
        augmenter: Augmenter | Mapping | None,
        *,
        batch_size: int = TRAIN_BATCH_SIZE,
        shuffle: bool = True,
        drop_last: bool = False,
        seed: int = 0,
        device: str | torch.device | None = None,
    ):
        if isinstance(augmenter, Mapping):
            augmenter = Augmenter.from_config(augmenter)
        if augmenter is not None and not isinstance(augmenter, Augmenter):
            raise ValueError(
                f"augmenter must be an evoaugflow Augmenter, its config mapping or None, got "
                f"{type(augmenter).__name__}"
            )
        self.augmenter = augmenter
        self.batch_size = _positive_int("batch_size", batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.seed = _positive_int("seed", seed, minimum=0)
        self.augmenting = True
        self._loader = self._tensors = self._dataset = None
        if isinstance(data, DataLoader):
            if (batch_size, shuffle, drop_last) != (TRAIN_BATCH_SIZE, True, False):
                raise ValueError(
                    "data is a DataLoader: set batch_size, shuffle and drop_last on it, not "
                    "on AugmentedLoader"
                )
            self._loader = data
            data_device = torch.device("cpu")
        elif isinstance(data, TensorDataset) or isinstance(data, tuple | list):
            tensors = tuple(data.tensors if isinstance(data, TensorDataset) else data)
            if not tensors or not all(isinstance(t, torch.Tensor) for t in tensors):
                raise ValueError("data: a tuple of tensors (x, y, ...) needs at least x")
            if any(len(t) != len(tensors[0]) for t in tensors):
                raise ValueError(
                    f"data: tensors of different lengths {[len(t) for t in tensors]}; each "
                    "needs one row per sequence"
                )
            self._tensors = tensors
            data_device = tensors[0].device
        elif isinstance(data, Dataset):
            self._dataset = data
            data_device = torch.device("cpu")
        else:
            raise ValueError(
                "data must be a tuple of tensors (x, y, ...), a torch Dataset or a "
                f"DataLoader, got {type(data).__name__}"
            )
        self.device = None if device is None else torch.device(device)
        self.generator = torch.Generator(device=self.device or data_device)
        self.generator.manual_seed(self.seed)

    def disable_augmentations(self) -> None:
        """Yield unaugmented batches from now on (padded to the augmented length)."""
        self.augmenting = False

    def enable_augmentations(self) -> None:
        """Yield augmented batches from now on (the default)."""
        self.augmenting = True

    def _n_items(self) -> int:
        return len(self._tensors[0]) if self._tensors is not None else len(self._dataset)

    def __len__(self) -> int:
        """Batches per pass."""
        if self._loader is not None:
            return len(self._loader)
        n = self._n_items()
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _batches(self):
        """Raw batches, as tuples, in this pass's order."""
        if self._loader is not None:
            for batch in self._loader:
                yield tuple(batch) if isinstance(batch, tuple | list) else (batch,)
            return
        n = self._n_items()
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator, device=self.generator.device)
        else:
            order = torch.arange(n, device=self.generator.device)
        for batch in range(len(self)):
            index = order[batch * self.batch_size : (batch + 1) * self.batch_size]
            if self._tensors is not None:
                yield tuple(t[index.to(t.device)] for t in self._tensors)
            else:
                items = default_collate([self._dataset[i] for i in index.tolist()])
                yield tuple(items) if isinstance(items, tuple | list) else (items,)

    def __iter__(self):
        """Yield ``(x, y, ...)``: x ``(B, 4, augmenter.output_length(L))``, the rest as given."""
        for x, *rest in self._batches():
            if not isinstance(x, torch.Tensor) or x.ndim != 3 or x.shape[1] != 4:
                shape = tuple(x.shape) if hasattr(x, "shape") else type(x).__name__
                raise ValueError(
                    f"a batch's first element has shape {shape}; expected one-hot (B, 4, L)"
                )
            if self.device is not None:
                x = x.to(self.device, non_blocking=True)
                rest = [r.to(self.device, non_blocking=True) for r in rest]
            if self.augmenter is not None:
                x = x.float() if not x.is_floating_point() else x
                if self.augmenting:
                    x = self.augmenter(x, generator=self.generator)
                else:
                    x = self.augmenter.pad(x)
            yield (x, *rest)

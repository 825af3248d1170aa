"""AugmentedLoader: augmented batches for user loops, reproducible for a seed."""

import pytest
import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset

from evoaugflow.augment import Augmenter
from evoaugflow.loader import AugmentedLoader

LENGTH, N, INSERT_MAX = 50, 70, 6
SPEC = {
    "augmentations": {
        "insertion": {"insert_min": 0, "insert_max": INSERT_MAX},
        "deletion": {"delete_min": 0, "delete_max": 5},
        "rc": {"rc_prob": 0.5},
        "mutation": {"mutate_frac": 0.1},
        "noise": {"noise_mean": 0.0, "noise_std": 0.1},
    },
    "max_augs_per_seq": 2,
    "hard_aug": True,
}


def one_hot(n=N, length=LENGTH, seed=0, device="cpu"):
    generator = torch.Generator().manual_seed(seed)
    bases = torch.randint(0, 4, (n, length), generator=generator)
    x = torch.nn.functional.one_hot(bases, 4).transpose(1, 2).float().contiguous()
    # labels that name their sequence, so a batch's pairing can be checked
    y = torch.arange(n, dtype=torch.float32).unsqueeze(1)
    return x.to(device), y.to(device)


class ItemDataset(Dataset):
    """A plain map-style data set of (x_i, y_i) pairs."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.x)

    def __getitem__(self, index):
        return self.x[index], self.y[index]


def collect(loader):
    return [tuple(t.clone() for t in batch) for batch in loader]


def test_tensor_batches_shapes_labels_and_order(device):
    x, y = one_hot(device=device)
    loader = AugmentedLoader((x, y), SPEC, batch_size=32, seed=1)
    batches = collect(loader)
    assert len(loader) == len(batches) == 3
    assert [len(b[0]) for b in batches] == [32, 32, 6]
    seen = torch.cat([b[1] for b in batches]).flatten().long()
    assert sorted(seen.tolist()) == list(range(N))  # every sequence once, shuffled
    assert seen.tolist() != list(range(N))
    for xb, yb in batches:
        assert xb.shape[1:] == (4, LENGTH + INSERT_MAX)
        assert xb.device == x.device and xb.dtype == torch.float32
        # labels travel with their own sequences, untouched
        assert torch.equal(yb, y[yb.flatten().long()])
    # augmented: not the padded originals
    xb, yb = batches[0]
    padded = Augmenter.from_config(SPEC).pad(x[yb.flatten().long()])
    assert not torch.equal(xb, padded)
    assert (xb != padded).any(dim=(1, 2)).all()  # hard_aug: every sequence changed


def test_same_seed_same_batches_other_seed_other_batches(device):
    x, y = one_hot(device=device)
    first = collect(AugmentedLoader((x, y), SPEC, batch_size=32, seed=5))
    again = collect(AugmentedLoader((x, y), SPEC, batch_size=32, seed=5))
    other = collect(AugmentedLoader((x, y), SPEC, batch_size=32, seed=6))
    for a, b in zip(first, again, strict=True):
        assert all(torch.equal(s, t) for s, t in zip(a, b, strict=True))
    assert not torch.equal(first[0][0], other[0][0])
    # a second pass draws new order and augmentations
    loader = AugmentedLoader((x, y), SPEC, batch_size=32, seed=5)
    pass_one, pass_two = collect(loader), collect(loader)
    assert not torch.equal(pass_one[0][0], pass_two[0][0])


def test_disabled_is_padding_only_and_can_be_enabled_again():
    x, y = one_hot()
    augmenter = Augmenter.from_config(SPEC)
    loader = AugmentedLoader((x, y), augmenter, batch_size=32, shuffle=False, seed=0)
    loader.disable_augmentations()
    batches = collect(loader)
    assert torch.equal(torch.cat([b[0] for b in batches]), augmenter.pad(x))
    assert torch.equal(torch.cat([b[1] for b in batches]), y)
    loader.enable_augmentations()
    assert not torch.equal(collect(loader)[0][0], batches[0][0])


def test_wraps_a_torch_dataloader_and_a_dataset():
    x, y = one_hot()
    data_loader = DataLoader(
        TensorDataset(x, y), batch_size=16, shuffle=True, generator=torch.Generator().manual_seed(2)
    )
    loader = AugmentedLoader(data_loader, SPEC, seed=3)
    batches = collect(loader)
    assert len(loader) == len(batches) == 5
    assert all(b[0].shape[1:] == (4, LENGTH + INSERT_MAX) for b in batches)
    assert sorted(torch.cat([b[1] for b in batches]).flatten().tolist()) == list(range(N))

    from_items = collect(AugmentedLoader(ItemDataset(x, y), SPEC, batch_size=32, seed=4))
    from_tensors = collect(AugmentedLoader(TensorDataset(x, y), SPEC, batch_size=32, seed=4))
    # same seed, same order and augmentations whether items are collated or indexed
    for a, b in zip(from_items, from_tensors, strict=True):
        assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_without_augmenter_and_drop_last():
    x, y = one_hot()
    loader = AugmentedLoader((x,), None, batch_size=32, shuffle=False, drop_last=True)
    batches = collect(loader)
    assert len(loader) == 2 and [len(b) for b in batches] == [1, 1]
    assert torch.equal(torch.cat([b[0] for b in batches]), x[:64])


def test_bad_input_is_named():
    x, y = one_hot()
    with pytest.raises(ValueError, match="batch_size=0"):
        AugmentedLoader((x, y), SPEC, batch_size=0)
    with pytest.raises(ValueError, match="different lengths"):
        AugmentedLoader((x, y[:5]), SPEC)
    with pytest.raises(ValueError, match="set batch_size, shuffle and drop_last on it"):
        AugmentedLoader(DataLoader(TensorDataset(x, y)), SPEC, batch_size=8)
    with pytest.raises(ValueError, match="Augmenter"):
        AugmentedLoader((x, y), "mutation")
    with pytest.raises(ValueError, match=r"shape \(70, 50\)"):
        next(iter(AugmentedLoader((x[:, 0], y), SPEC, batch_size=N)))


def test_default_batch_is_the_trainers():
    from evoaugflow.train import TRAIN_BATCH_SIZE

    x, y = torch.zeros(250, 4, 20), torch.zeros(250, 1)
    x[:, 0] = 1
    loader = AugmentedLoader((x, y), None, seed=0)
    assert loader.batch_size == TRAIN_BATCH_SIZE == 100
    assert [len(b[0]) for b in loader] == [100, 100, 50]

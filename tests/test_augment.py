"""Tests of evoaugflow.augment: exact formulas, distributions, composition, edge cases."""

import numpy as np
import pytest
import torch
from scipy import stats

from evoaugflow.augment import (
    AUGMENTATIONS,
    Augmenter,
    RandomDeletion,
    RandomInsertion,
    RandomInversion,
    RandomMutation,
    RandomNoise,
    RandomRC,
    RandomTranslocation,
)

# Chi-square tests use fixed seeds, so they pass or fail deterministically; the 1e-3
# threshold keeps them far from the edge for a correct implementation while any
# systematic bias at these sample sizes gives p-values many orders of magnitude lower.
P_MIN = 1e-3
BASE = 10  # encoded columns hold BASE + 4 * position + channel; random DNA holds 0/1


def gen(device, seed=0):
    return torch.Generator(device=device).manual_seed(seed)


def one_hot(seqs, device="cpu", dtype=torch.float32):
    """Strings of ACGT -> tensor (N, 4, L)."""
    index = torch.tensor([["ACGT".index(b) for b in s] for s in seqs])
    return torch.nn.functional.one_hot(index, 4).transpose(1, 2).to(device, dtype)


def decode(x):
    """Tensor (N, 4, L) one-hot -> strings."""
    return ["".join("ACGT"[i] for i in row) for row in x.argmax(1).tolist()]


def random_one_hot(n, length, device, seed=1, dtype=torch.float32):
    bases = torch.randint(0, 4, (n, length), generator=torch.Generator().manual_seed(seed))
    return torch.nn.functional.one_hot(bases, 4).transpose(1, 2).to(device, dtype)


def encoded(n, length, device):
    """x[s, c, j] = BASE + 4 j + c: every column says where it came from and its channels."""
    j = torch.arange(length).view(1, 1, -1)
    c = torch.arange(4).view(1, 4, 1)
    return (BASE + 4 * j + c).expand(n, 4, length).to(device, torch.float64).clone()


def sources(out):
    """Decode an augmented encoded batch.

    Returns numpy arrays (N, L_out): source position (-1 for random DNA) and whether the
    column was complemented; asserts every random column is valid one-hot.
    """
    out = out.double().cpu()
    random = out.max(1).values < BASE
    rand_cols = out.permute(0, 2, 1)[random]
    assert torch.all(rand_cols.sum(1) == 1) and torch.all((rand_cols == 0) | (rand_cols == 1))
    first = out[:, 0, :] - BASE
    source = torch.where(random, -1, torch.div(first, 4, rounding_mode="floor")).long()
    flipped = ~random & (first.remainder(4) == 3)
    return source.numpy(), flipped.numpy()


def chi2_uniform(values, support):
    """p-value of the chi-square test that ``values`` are uniform on ``support``."""
    values = np.asarray(values)
    assert set(np.unique(values)) <= set(support), "values outside the support"
    counts = np.array([(values == v).sum() for v in support])
    return stats.chisquare(counts).pvalue


def assert_one_hot(x):
    assert torch.all((x == 0) | (x == 1))
    assert torch.all(x.sum(1) == 1)


ALL_AUGS = [
    RandomMutation(0.1),
    RandomTranslocation(0, 5),
    RandomInsertion(0, 5),
    RandomDeletion(0, 5),
    RandomInversion(0, 5),
    RandomRC(0.5),
    RandomNoise(0.0, 0.2),
]


# ---------------------------------------------------------------------------------------
# exact formulas on crafted inputs
# ---------------------------------------------------------------------------------------


def test_rc_known_answer(device):
    x = one_hot(["ACGTT", "GATTACA"[:5]], device)
    out = RandomRC(1.0)(x, gen(device))
    assert decode(out) == ["AACGT", "TAATC"]
    assert torch.equal(RandomRC(0.0)(x, gen(device)), x)


def test_translocation_is_circular_roll(device):
    n, length = 400, 30
    out = RandomTranslocation(0, 7)(encoded(n, length, device), gen(device))
    source, flipped = sources(out)
    assert not flipped.any() and (source >= 0).all()
    shifts = (-source[:, 0]) % length  # out[0] = x[(0 - s) mod L]
    j = np.arange(length)
    np.testing.assert_array_equal(source, (j[None] - shifts[:, None]) % length)
    signed = np.where(shifts > length // 2, shifts - length, shifts)
    assert signed.min() == -7 and signed.max() == 7


@pytest.mark.parametrize("shift_min,shift_max", [(0, 3), (2, 5), (4, 4)])
def test_translocation_shift_distribution(shift_min, shift_max):
    shifts = RandomTranslocation(shift_min, shift_max).draw_shifts(30_000, gen("cpu"), "cpu")
    support = sorted(set(range(-shift_max, -shift_min + 1)) | set(range(shift_min, shift_max + 1)))
    assert chi2_uniform(shifts.numpy(), support) > P_MIN


def test_insertion_layout_and_flank_split(device):
    n, length, insert_max = 3000, 40, 7
    out = RandomInsertion(1, insert_max)(encoded(n, length, device), gen(device))
    assert out.shape == (n, 4, length + insert_max)
    source, flipped = sources(out)
    assert not flipped.any()
    lengths, positions, odd_remainders = [], [], 0
    for row in source:  # test-side bookkeeping, not the code under test
        kept = row[row >= 0]
        np.testing.assert_array_equal(kept, np.arange(length))  # originals, in order
        where = np.flatnonzero(row >= 0)
        gaps = np.flatnonzero(np.diff(where) > 1)
        if len(gaps) == 0:  # inserted at i = 0 or i = L: flanks and insert are adjacent
            continue
        (g,) = gaps
        left, k = where[0], where[g + 1] - where[g] - 1
        right = len(row) - 1 - where[-1]
        assert left == (insert_max - k) // 2  # floor half 5'
        assert right == insert_max - k - left  # the odd one 3'
        odd_remainders += (insert_max - k) % 2
        lengths.append(k)
        positions.append(g + 1)  # bases of x before the insertion
    assert len(lengths) > 0.9 * n and 0.3 * n < odd_remainders < 0.7 * n
    assert chi2_uniform(lengths, range(1, insert_max + 1)) > P_MIN
    assert chi2_uniform(positions, range(1, length)) > P_MIN


def test_deletion_layout(device):
    n, length, delete_max = 3000, 40, 9
    out = RandomDeletion(0, delete_max)(encoded(n, length, device), gen(device))
    assert out.shape == (n, 4, length)
    source, flipped = sources(out)
    assert not flipped.any()
    sizes, last_start = [], {}
    for row in source:
        kept = row[row >= 0]
        d = length - len(kept)
        sizes.append(d)
        where = np.flatnonzero(row >= 0)
        np.testing.assert_array_equal(where, np.arange(d // 2, d // 2 + length - d))
        missing = np.setdiff1d(np.arange(length), kept)
        if d:  # one contiguous deleted segment, the rest in order
            np.testing.assert_array_equal(missing, np.arange(missing[0], missing[0] + d))
            last_start[d] = max(last_start.get(d, 0), missing[0])
        assert np.all(np.diff(kept) > 0)
    assert chi2_uniform(sizes, range(delete_max + 1)) > P_MIN
    # a short deletion may start anywhere it fits, up to L - d
    assert last_start[1] == length - 1 and last_start[delete_max] == length - delete_max


def test_deletion_start_uniform_over_valid_positions():
    length, d = 20, 6
    out = RandomDeletion(d, d)(encoded(20_000, length, "cpu"), gen("cpu"))
    source, _ = sources(out)
    starts = [np.setdiff1d(np.arange(length), row[row >= 0])[0] for row in source]
    assert chi2_uniform(starts, range(length - d + 1)) > P_MIN


def test_inversion_window(device):
    n, length, invert_max = 3000, 30, 8
    out = RandomInversion(0, invert_max)(encoded(n, length, device), gen(device))
    source, flipped = sources(out)
    assert (source >= 0).all()
    sizes = []
    for row, flip in zip(source, flipped, strict=True):
        window = np.flatnonzero(flip)
        sizes.append(len(window))
        outside = np.setdiff1d(np.arange(length), window)
        np.testing.assert_array_equal(row[outside], outside)
        if len(window):
            s, e = window[0], window[-1] + 1
            np.testing.assert_array_equal(window, np.arange(s, e))  # contiguous
            np.testing.assert_array_equal(row[s:e], np.arange(e - 1, s - 1, -1))  # reversed
    assert chi2_uniform(sizes, range(invert_max + 1)) > P_MIN
    # complement: every channel of a flipped column runs backwards (T, G, C, A)
    x = encoded(1, length, device)
    full = RandomInversion(length, length)(x, gen(device))
    assert torch.equal(full, x.flip((1, 2)))


def test_inversion_start_uniform():
    length, k = 15, 4
    _, flipped = sources(RandomInversion(k, k)(encoded(20_000, length, "cpu"), gen("cpu")))
    assert chi2_uniform(flipped.argmax(1), range(length - k + 1)) > P_MIN


# ---------------------------------------------------------------------------------------
# distributions of mutation, rc and noise
# ---------------------------------------------------------------------------------------


def test_mutation_count_and_fraction(device):
    n, length, frac = 2000, 200, 0.15
    aug = RandomMutation(frac)
    k = aug.n_mutations(length)
    assert k == 40
    # distinct positions: exactly k columns replaced by random one-hot in each row
    source, _ = sources(aug(encoded(n, length, device), gen(device)))
    assert np.all((source < 0).sum(1) == k)
    positions = np.flatnonzero((source < 0).ravel()) % length
    assert chi2_uniform(positions, range(length)) > P_MIN
    x = random_one_hot(n, length, device)
    out = aug(x, gen(device))
    assert_one_hot(out)
    changed = (out != x).any(1).float().mean().item()
    assert abs(changed - frac) < 0.003
    new_bases = out.argmax(1)[(out != x).any(1)].cpu().numpy()
    assert chi2_uniform(new_bases, range(4)) > P_MIN


def test_mutation_rounds_to_zero_is_identity(device):
    x = random_one_hot(10, 100, device)
    aug = RandomMutation(0.003)  # 0.003 / 0.75 * 100 = 0.4 -> 0
    assert aug.n_mutations(100) == 0
    assert torch.equal(aug(x, gen(device)), x)


def test_rc_probability(device):
    x = encoded(20_000, 6, device)
    out = RandomRC(0.3)(x, gen(device))
    flipped = (out[:, 0, 0] != x[:, 0, 0]).float().mean().item()
    assert abs(flipped - 0.3) < 0.015
    rows = out[:, 0, 0] != x[:, 0, 0]
    assert torch.equal(out[rows], x[rows].flip((1, 2)))
    assert torch.equal(out[~rows], x[~rows])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_noise_moments(device, dtype):
    x = random_one_hot(500, 100, device, dtype=dtype)
    out = RandomNoise(0.5, 0.3)(x, gen(device))
    delta = (out - x).double()
    assert out.dtype == dtype
    assert abs(delta.mean().item() - 0.5) < 0.005
    assert abs(delta.std().item() - 0.3) < 0.005
    assert abs(stats.skew(delta.cpu().numpy().ravel())) < 0.03
    assert torch.equal(RandomNoise(0.0, 0.0)(x, gen(device)), x)


# ---------------------------------------------------------------------------------------
# the composer
# ---------------------------------------------------------------------------------------


def test_hard_choice_exact_count_and_uniform(device):
    augs = [RandomRC(), RandomNoise(), RandomMutation(), RandomTranslocation()]
    chosen = Augmenter(augs, max_augs_per_seq=2).choose(12_000, gen(device), device).cpu()
    assert torch.all(chosen.sum(1) == 2)
    pairs = [tuple(np.flatnonzero(row)) for row in chosen.numpy()]
    support = sorted(set(pairs))
    assert len(support) == 6
    codes = [support.index(p) for p in pairs]
    assert chi2_uniform(codes, range(6)) > P_MIN
    per_aug = chosen.float().mean(0)
    assert torch.all((per_aug - 0.5).abs() < 0.02)


def test_soft_counts_uniform(device):
    augs = [RandomRC(), RandomNoise(), RandomMutation(), RandomTranslocation(), RandomDeletion()]
    chosen = Augmenter(augs, 3, hard_aug=False).choose(15_000, gen(device), device).cpu()
    assert chi2_uniform(chosen.sum(1).numpy(), [1, 2, 3]) > P_MIN
    assert chi2_uniform(np.flatnonzero(chosen.numpy().ravel()) % 5, range(5)) > P_MIN
    single = Augmenter(augs, 1, hard_aug=False).choose(500, gen(device), device)
    assert torch.all(single.sum(1) == 1)


def test_priority_order_deletion_before_translocation(device):
    length = 20
    # list in the wrong order on purpose: translocation must still come after deletion
    aug = Augmenter([RandomTranslocation(5, 5), RandomDeletion(4, 4)], max_augs_per_seq=2)
    source, _ = sources(aug(encoded(200, length, device), gen(device)))
    ends = np.array([0, 1, length - 2, length - 1])  # deletion's random columns
    for row in source:
        random_cols = set(np.flatnonzero(row < 0))
        assert random_cols in ({*((ends + 5) % length)}, {*((ends - 5) % length)})


def test_priority_order_mutation_before_noise(device):
    # noise with mean 5 and std 0 after mutation leaves no plain 0/1 column
    aug = Augmenter([RandomNoise(5.0, 0.0), RandomMutation(0.5)], max_augs_per_seq=2)
    out = aug(random_one_hot(50, 40, device), gen(device))
    assert torch.all(out >= 5)


def test_padding_of_rows_without_insertion_stays_3prime(device):
    n, length, insert_max = 400, 12, 4
    aug = Augmenter([RandomRC(1.0), RandomInsertion(insert_max, insert_max)], 1)
    out = aug(encoded(n, length, device), gen(device))
    assert out.shape == (n, 4, length + insert_max) == (n, 4, aug.output_length(length))
    source, flipped = sources(out)
    rc_rows = flipped.any(1)
    assert 0.4 < rc_rows.mean() < 0.6
    # reverse complement first, then insert_max random bases at the 3' end
    np.testing.assert_array_equal(
        source[rc_rows, :length], np.tile(np.arange(length)[::-1], (rc_rows.sum(), 1))
    )
    assert np.all(source[rc_rows, length:] == -1) and flipped[rc_rows, :length].all()
    # inserted rows: originals in order with insert_max random bases among them
    kept = source[~rc_rows]
    assert np.all((kept < 0).sum(1) == insert_max)
    np.testing.assert_array_equal(
        kept[kept >= 0].reshape(-1, length), np.tile(np.arange(length), ((~rc_rows).sum(), 1))
    )


def test_every_row_padded_when_insertion_in_list(device):
    aug = Augmenter([RandomInsertion(0, 6), RandomTranslocation(1, 3), RandomMutation(0.1)], 1)
    x = random_one_hot(300, 25, device)
    out = aug(x, gen(device))
    assert out.shape == (300, 4, 31)
    assert_one_hot(out)


def replay_choice(aug, n, device, seed=0):
    """Which augmentations each row gets in ``aug(x, gen(device, seed))``.

    The composer draws its choice first, so `Augmenter.choose` on an equal generator
    replays it. Returns a numpy bool array (n, len(aug.augment_list)).
    """
    return aug.choose(n, gen(device, seed), device).cpu().numpy()


def test_composer_moves_only_the_chosen_rows(device):
    # Every row gets exactly one of three column moves; each row must show its own move
    # (and the 3' padding when it got no insertion), with the right parameter law.
    n, length, d, k = 3000, 30, 4, 3
    aug = Augmenter([RandomDeletion(d, d), RandomTranslocation(1, 6), RandomInsertion(k, k)], 1)
    chosen = replay_choice(aug, n, device)
    source, flipped = sources(aug(encoded(n, length, device), gen(device)))
    assert not flipped.any() and np.all(chosen.sum(1) == 1)
    j = np.arange(length)
    starts, shifts, insert_at = [], [], []
    for row, (deleted, rolled, inserted) in zip(source, chosen, strict=True):
        if inserted:  # k = insert_max: no flanks, the k random bases in one block
            random_cols = np.flatnonzero(row < 0)
            np.testing.assert_array_equal(
                random_cols, np.arange(random_cols[0], random_cols[0] + k)
            )
            np.testing.assert_array_equal(row[row >= 0], j)
            insert_at.append(random_cols[0])
            continue
        assert np.all(row[length:] == -1)  # padding at the 3' end
        body = row[:length]
        if deleted:
            assert np.all(body[: d // 2] == -1) and np.all(body[length - (d - d // 2) :] == -1)
            kept = body[d // 2 : length - (d - d // 2)]
            start = np.setdiff1d(j, kept)[0]
            np.testing.assert_array_equal(kept, np.setdiff1d(j, np.arange(start, start + d)))
            starts.append(start)
        else:
            assert rolled
            shift = (-body[0]) % length
            np.testing.assert_array_equal(body, (j - shift) % length)
            shifts.append(shift if shift <= length // 2 else shift - length)
    assert min(len(starts), len(shifts), len(insert_at)) > 0.3 * n
    assert chi2_uniform(starts, range(length - d + 1)) > P_MIN
    assert chi2_uniform(shifts, [*range(-6, 0), *range(1, 7)]) > P_MIN
    assert chi2_uniform(insert_at, range(length + 1)) > P_MIN


def test_composer_mutation_then_noise_on_chosen_rows(device):
    n, length = 600, 30
    mutation = RandomMutation(0.25)
    k = mutation.n_mutations(length)
    aug = Augmenter([RandomNoise(5.0, 0.0), mutation, RandomRC(0.0)], 2)
    chosen = replay_choice(aug, n, device)
    x = encoded(n, length, device)
    out = aug(x, gen(device))
    noised, mutated = (torch.as_tensor(chosen[:, c], device=device) for c in (0, 1))
    plain = ~noised & ~mutated
    assert torch.equal(out[plain], x[plain])  # RC with probability 0 moves nothing
    assert torch.equal(out[noised & ~mutated], x[noised & ~mutated] + 5)
    # mutated rows: exactly k random columns, the rest in place; noise added after
    source, _ = sources(out[mutated] - 5 * noised[mutated].view(-1, 1, 1))
    assert np.all((source < 0).sum(1) == k)
    np.testing.assert_array_equal(
        np.where(source < 0, np.arange(length), source),
        np.tile(np.arange(length), (len(source), 1)),
    )
    assert 0 < chosen[:, 0].mean() < 1 and (chosen[:, 0] & chosen[:, 1]).any()


def test_rc_after_insertion_reverses_the_whole_row(device):
    n, length, insert_max = 900, 12, 4
    aug = Augmenter([RandomRC(1.0), RandomInsertion(insert_max, insert_max)], 2, hard_aug=False)
    chosen = replay_choice(aug, n, device)
    source, flipped = sources(aug(encoded(n, length, device), gen(device)))
    reverse = np.arange(length)[::-1]
    for row, flips, (rc, inserted) in zip(source, flipped, chosen, strict=True):
        kept = row[row >= 0]
        np.testing.assert_array_equal(kept, reverse if rc else np.arange(length))
        assert np.array_equal(flips, (row >= 0) & rc)
        random_cols = np.flatnonzero(row < 0)
        assert len(random_cols) == insert_max
        if not inserted:  # reverse complement first, then the 3' padding
            np.testing.assert_array_equal(random_cols, np.arange(length, length + insert_max))
    both = chosen.all(1)
    assert 0.2 * n < both.sum() < 0.8 * n


def test_apply_changes_only_masked_rows(device):
    n, length = 60, 20
    x = random_one_hot(n, length, device)
    mask = torch.arange(n, device=device) % 3 == 0
    for aug in (
        RandomDeletion(2, 5),
        RandomTranslocation(1, 4),
        RandomInversion(2, 5),
        RandomRC(1.0),
        RandomMutation(0.3),
        RandomNoise(0.0, 1.0),
    ):
        out = aug.apply(x, mask, gen(device))
        assert torch.equal(out[~mask], x[~mask]), aug.name
        assert not torch.equal(out[mask], x[mask]), aug.name
    out = RandomInsertion(2, 2).apply(x, mask, gen(device))
    assert out.shape == (n, 4, length + 2)
    assert torch.equal(out[~mask, :, :length], x[~mask])
    assert_one_hot(out)


def test_random_bases_uniform_and_independent(device):
    # all rows padded (mask all false): 24 random bases per row, packed two bits each
    n, length, width = 2000, 10, 24
    out = RandomInsertion(0, width).apply(
        random_one_hot(n, length, device),
        torch.zeros(n, dtype=torch.bool, device=device),
        gen(device),
    )
    assert_one_hot(out)
    bases = out[:, :, length:].argmax(1).cpu().numpy()
    assert chi2_uniform(bases.ravel(), range(4)) > P_MIN
    pairs = 4 * bases[:, :-1] + bases[:, 1:]  # neighbours: the bit fields are independent
    assert chi2_uniform(pairs.ravel(), range(16)) > P_MIN
    rows = 4 * bases[:-1, 0] + bases[1:, 0]  # same field of consecutive rows
    assert chi2_uniform(rows, range(16)) > P_MIN


def test_trim_mode_keeps_length_and_insertion(device):
    n, length, k = 2000, 30, 6
    aug = Augmenter([RandomInsertion(k, k)], 1, insertion_mode="trim")
    assert aug.output_length(length) == length
    source, _ = sources(aug(encoded(n, length, device), gen(device)))
    assert np.all((source < 0).sum(1) == k)  # the whole insertion is visible
    middle = 0
    for row in source:
        kept = row[row >= 0]
        np.testing.assert_array_equal(kept, np.arange(kept[0], kept[0] + length - k))
        where = np.flatnonzero(row < 0)
        np.testing.assert_array_equal(where, np.arange(where[0], where[0] + k))  # contiguous
        if k // 2 <= where[0] <= length - k - (k - k // 2):  # insertion away from the ends
            middle += 1
            assert kept[0] == k // 2  # floor(k/2) trimmed at 5', ceil(k/2) at 3'
    assert middle > 0.5 * n
    x = random_one_hot(4, length, device)
    assert aug.pad(x) is x


def test_pad_is_deterministic(device):
    aug = Augmenter([RandomInsertion(0, 8), RandomRC()], 1, pad_seed=3)
    x = random_one_hot(5, 20, device)
    padded = aug.pad(x)
    assert padded.shape == (5, 4, 28)
    assert torch.equal(padded[:, :, :20], x)
    assert_one_hot(padded)
    assert torch.equal(padded, aug.pad(x))
    assert torch.equal(padded[:2], aug.pad(x[:2]))  # independent of the batch
    same_seed = Augmenter.from_config(aug.to_config())
    assert torch.equal(same_seed.pad(x), padded)
    other = Augmenter([RandomInsertion(0, 8)], 1, pad_seed=4)
    assert not torch.equal(other.pad(x), padded)
    assert torch.equal(padded.cpu(), aug.pad(x.cpu()))  # same on every device
    plain = Augmenter([RandomRC()], 1)
    assert plain.pad(x) is x and plain.insert_max == 0 and plain.output_length(20) == 20


def test_config_round_trip():
    spec = {
        "augmentations": {name: cls().to_config() for name, cls in AUGMENTATIONS.items()},
        "max_augs_per_seq": 3,
        "hard_aug": False,
        "insertion_mode": "pad",
        "pad_seed": 7,
    }
    aug = Augmenter.from_config(spec)
    assert aug.to_config() == spec
    assert Augmenter.from_config(aug.to_config()).to_config() == spec
    assert aug.insert_max == 20 and aug.output_length(100) == 120
    assert Augmenter.from_config(None) is None
    assert Augmenter.from_config({"augmentations": {}}) is None
    partial = Augmenter.from_config({"augmentations": {"rc": None, "noise": {"noise_std": 0.3}}})
    assert partial.augment_list == [RandomRC(), RandomNoise(0.0, 0.3)]
    assert partial.max_augs_per_seq == 2 and partial.hard_aug


# ---------------------------------------------------------------------------------------
# reproducibility, dtypes, devices, edge cases
# ---------------------------------------------------------------------------------------


def full_augmenter(hard=True):
    return Augmenter(
        [RandomNoise(0, 0.1), RandomMutation(0.1), RandomRC(), RandomInversion(0, 4)]
        + [RandomInsertion(0, 5), RandomDeletion(0, 5), RandomTranslocation(0, 5)],
        max_augs_per_seq=3,
        hard_aug=hard,
    )


@pytest.mark.parametrize(
    "aug", ALL_AUGS + [full_augmenter()], ids=lambda a: getattr(a, "name", "augmenter")
)
def test_same_seed_same_output(device, aug):
    x = random_one_hot(64, 30, device)
    first = aug(x, gen(device, 5))
    assert torch.equal(first, aug(x, gen(device, 5)))
    if not (isinstance(aug, RandomRC) and x.shape[0] == 0):
        assert not torch.equal(first, aug(x, gen(device, 6)))


@pytest.mark.parametrize("dtype", [torch.float16, torch.float32, torch.float64])
@pytest.mark.parametrize(
    "aug", ALL_AUGS + [full_augmenter(False)], ids=lambda a: getattr(a, "name", "augmenter")
)
def test_dtype_device_and_one_hot_preserved(device, dtype, aug):
    x = random_one_hot(32, 30, device, dtype=dtype)
    out = aug(x, gen(device))
    assert out.dtype == dtype and out.device == x.device
    length = 35 if getattr(aug, "insert_max", 0) else 30
    assert out.shape == (32, 4, length)
    if not isinstance(aug, RandomNoise | Augmenter):
        assert_one_hot(out)
    assert torch.equal(x, random_one_hot(32, 30, device, dtype=dtype))  # input untouched


@pytest.mark.parametrize(
    "aug", ALL_AUGS + [full_augmenter()], ids=lambda a: getattr(a, "name", "augmenter")
)
def test_empty_batch(device, aug):
    out = aug(torch.zeros(0, 4, 30, device=device), gen(device))
    assert out.shape == (0, 4, 35 if getattr(aug, "insert_max", 0) else 30)


@pytest.mark.parametrize(
    "aug",
    [
        RandomTranslocation(0, 3),
        RandomInsertion(0, 2),
        RandomDeletion(0, 0),
        RandomInversion(0, 1),
        RandomRC(1.0),
        RandomMutation(0.75),
        RandomNoise(0, 0.1),
    ],
    ids=lambda a: a.name,
)
def test_length_one(device, aug):
    x = one_hot(["C", "G"], device)
    out = aug(x, gen(device))
    assert out.shape == (2, 4, 1 + getattr(aug, "insert_max", 0))
    if isinstance(aug, RandomTranslocation | RandomDeletion):
        assert torch.equal(out, x)
    if isinstance(aug, RandomRC):
        assert decode(out) == ["G", "C"]


def test_zero_size_ranges_are_identity(device):
    x = random_one_hot(20, 15, device)
    for aug in (
        RandomDeletion(0, 0),
        RandomInsertion(0, 0),
        RandomInversion(0, 0),
        RandomTranslocation(0, 0),
    ):
        assert torch.equal(aug(x, gen(device)), x)
    soft_one = Augmenter([RandomDeletion(0, 0), RandomInsertion(0, 0)], 1, hard_aug=False)
    assert torch.equal(soft_one(x, gen(device)), x)


def test_generator_none_uses_global_seed():
    x = random_one_hot(8, 20, "cpu")
    torch.manual_seed(11)
    first = full_augmenter()(x)
    torch.manual_seed(11)
    assert torch.equal(first, full_augmenter()(x))


# ---------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda: RandomMutation(-0.1), "mutate_frac"),
        (lambda: RandomMutation(0.8), r"mutate_frac.*\[0.0, 0.75\]"),
        (lambda: RandomTranslocation(-1, 3), "shift_min"),
        (lambda: RandomTranslocation(4, 3), r"shift_min \(4\) must be <= shift_max"),
        (lambda: RandomInsertion(0, -2), "insert_max"),
        (lambda: RandomInsertion(3, 2), "insert_min"),
        (lambda: RandomInsertion(0, 2.5), "insert_max must be an integer"),
        (lambda: RandomDeletion(5, 1), "delete_min"),
        (lambda: RandomInversion(0, True), "invert_max"),
        (lambda: RandomRC(1.5), r"rc_prob.*\[0.0, 1.0\]"),
        (lambda: RandomRC(-0.1), "rc_prob"),
        (lambda: RandomNoise(0.0, -1.0), "noise_std"),
        (lambda: RandomNoise(float("nan"), 1.0), "noise_mean"),
        (lambda: Augmenter([RandomRC(), RandomRC(0.2)], 1), "'rc' twice"),
        (lambda: Augmenter([RandomRC(), RandomNoise()], 3), r"max_augs_per_seq must be in 1..2"),
        (lambda: Augmenter([RandomRC(), RandomNoise()], 0), "max_augs_per_seq"),
        (lambda: Augmenter([], 1), "augment_list"),
        (lambda: Augmenter(["rc"], 1), "augment_list"),
        (lambda: Augmenter([RandomRC()], 1, insertion_mode="crop"), "insertion_mode"),
        (lambda: Augmenter([RandomRC()], 1, hard_aug="yes"), "hard_aug"),
        (
            lambda: Augmenter.from_config({"augmentations": {"flip": {}}}),
            "unknown augmentation 'flip'",
        ),
        (
            lambda: Augmenter.from_config({"augmentations": {"rc": {"p": 1}}}),
            r"unknown parameters \['p'\]",
        ),
        (lambda: Augmenter.from_config({"augmentations": {"rc": {}}, "seed": 1}), "unknown keys"),
        (lambda: Augmenter.from_config([1]), "mapping"),
    ],
)
def test_bad_settings_raise(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_call_time_errors(device):
    x = random_one_hot(4, 10, device)
    with pytest.raises(
        ValueError, match=r"delete_max \(10\) must be < the sequence length L \(10\)"
    ):
        RandomDeletion(0, 10)(x, gen(device))
    with pytest.raises(ValueError, match=r"invert_max \(11\) must be <= the sequence length"):
        RandomInversion(0, 11)(x, gen(device))
    with pytest.raises(ValueError, match='insert_max .* insertion_mode="trim"'):
        Augmenter([RandomInsertion(0, 11)], 1, insertion_mode="trim")(x, gen(device))
    with pytest.raises(ValueError, match=r"x must have shape \(N, 4, L\)"):
        RandomRC()(x[:, :3], gen(device))
    with pytest.raises(ValueError, match=r"x must have shape"):
        RandomRC()(x[0], gen(device))
    with pytest.raises(ValueError, match="floating-point"):
        RandomRC()(x.long(), gen(device))
    with pytest.raises(ValueError, match="generator must be a torch.Generator"):
        RandomRC()(x, 3)
    with pytest.raises(ValueError, match="length"):
        Augmenter([RandomRC()], 1).output_length(0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_generator_on_other_device_raises():
    x = random_one_hot(4, 10, "cuda")
    with pytest.raises(ValueError, match="torch.Generator\\(device=x.device\\)"):
        RandomRC()(x, torch.Generator())

import warnings

import numpy as np
import pytest
import torch
from torch.utils.data import BatchSampler, RandomSampler, Subset

from sklrnn.utils._dataset import (
    BatchDataset,
    BatchLoader,
    PermutationBatches,
    sequence_lengths,
)


def test_permutation_batches_match_torchs_random_sampler():
    # Same permutation as DataLoader(shuffle=True), so switching loaders
    # left every seeded training run unchanged.
    torch.manual_seed(3)
    expected = list(BatchSampler(RandomSampler(range(50)), 8, drop_last=False))
    torch.manual_seed(3)
    batches = [batch.tolist() for batch in PermutationBatches(50, 8, shuffle=True)]
    assert batches == expected


@pytest.mark.parametrize("drop_last, n_batches", [(False, 7), (True, 6)])
def test_permutation_batches_cover_every_row_once(drop_last, n_batches):
    sampler = PermutationBatches(50, 8, shuffle=False, drop_last=drop_last)
    batches = list(sampler)
    assert len(sampler) == len(batches) == n_batches
    rows = np.concatenate(batches)
    assert rows.tolist() == list(range(len(rows)))
    assert len(rows) == (48 if drop_last else 50)


def test_loader_yields_whole_batches_of_tensors():
    X = np.arange(60, dtype=np.float32).reshape(20, 3, 1)
    y = np.arange(20)
    loader = BatchLoader(BatchDataset(X, y), batch_size=8, shuffle=True)
    seen = []
    for Xb, yb in loader:
        assert isinstance(Xb, torch.Tensor) and Xb.shape[1:] == (3, 1)
        np.testing.assert_array_equal(Xb[:, 0, 0].numpy(), 3 * yb.numpy())
        seen.extend(yb.tolist())
    assert sorted(seen) == list(range(20))
    assert [len(yb) for _, yb in loader] == [8, 8, 4]


def test_read_only_input_predicts_without_torchs_warning():
    # pandas' copy-on-write arrays and memory maps are read-only.
    from sklrnn import LSTMRegressor

    X = np.random.RandomState(0).normal(size=(40, 5, 1)).astype(np.float32)
    y = X[:, -1, 0].copy()
    X.setflags(write=False)
    reg = LSTMRegressor(hidden_size=4, max_epochs=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reg.fit(X, y).predict(X)


def _ragged(lengths):
    lengths = np.asarray(lengths)
    x = np.zeros((len(lengths), lengths.max(), 1), dtype=np.float32)
    for row, n in zip(x, lengths):
        row[:n] = 1.0
    return {"x": x, "lengths": lengths}


@pytest.mark.parametrize("step_targets", [False, True])
def test_ragged_batch_is_cut_to_its_longest_sequence(step_targets):
    X = _ragged([3, 9, 2, 5])
    y = np.arange(4 * 9).reshape(4, 9) if step_targets else np.arange(4)
    dataset = BatchDataset(X, y, step_targets=step_targets)
    Xb, yb = dataset.__getitems__([0, 2, 3])
    assert Xb["x"].shape == (3, 5, 1)
    assert Xb["lengths"].tolist() == [3, 2, 5]
    assert yb.shape == ((3, 5) if step_targets else (3,))


def test_bucketed_batches_hold_sequences_of_similar_length():
    lengths = np.random.RandomState(0).randint(1, 1000, size=400)

    def padded_steps(sampler):
        return sum(lengths[batch].max() * len(batch) for batch in sampler)

    torch.manual_seed(0)
    plain = padded_steps(PermutationBatches(400, 16, shuffle=True))
    bucketed = PermutationBatches(400, 16, shuffle=True, lengths=lengths)
    batches = list(bucketed)
    assert len(batches) == len(bucketed) == 25
    assert sorted(np.concatenate(batches).tolist()) == list(range(400))
    assert padded_steps(batches) < 0.6 * plain
    # Batches still meet different sequences from epoch to epoch.
    assert {tuple(b) for b in batches} != {tuple(b) for b in bucketed}


def test_bucketed_batches_drop_a_random_remainder():
    # drop_last leaves out rows drawn at random, not the longest ones.
    lengths = np.arange(100)
    dropped = set(range(100))
    for seed in range(5):
        torch.manual_seed(seed)
        sampler = PermutationBatches(
            100, 8, shuffle=True, drop_last=True, lengths=lengths
        )
        batches = list(sampler)
        assert len(batches) == 12 and all(len(batch) == 8 for batch in batches)
        dropped &= set(range(100)) - set(np.concatenate(batches).tolist())
    assert not dropped


def test_bucketed_batches_follow_torchs_seed():
    lengths = np.random.RandomState(0).randint(1, 50, size=100)
    epochs = []
    for _ in range(2):
        torch.manual_seed(5)
        sampler = PermutationBatches(100, 8, shuffle=True, lengths=lengths)
        epochs.append([batch.tolist() for batch in sampler])
    assert epochs[0] == epochs[1]


def test_loader_buckets_shuffled_ragged_data_through_a_subset():
    # skorch's validation split hands the loader a torch Subset.
    X = _ragged(np.arange(1, 41))
    dataset = Subset(BatchDataset(X, np.arange(40)), np.arange(0, 40, 2))
    assert sequence_lengths(dataset).tolist() == list(range(1, 41, 2))
    loader = BatchLoader(dataset, batch_size=5, shuffle=True)
    widths = [(Xb["x"].shape[1], Xb["lengths"].max().item()) for Xb, _ in loader]
    assert all(width == longest for width, longest in widths)
    # 20 sequences sorted into 4 batches: each batch spans 5 neighbours.
    for Xb, _ in loader:
        assert np.ptp(Xb["lengths"].numpy()) == 8
    assert sequence_lengths(BatchDataset(X["x"], np.arange(40))) is None

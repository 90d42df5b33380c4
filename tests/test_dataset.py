import warnings

import numpy as np
import pytest
import torch
from torch.utils.data import BatchSampler, RandomSampler

from sklrnn.utils._dataset import BatchDataset, BatchLoader, PermutationBatches


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

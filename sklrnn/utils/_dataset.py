"""A skorch dataset and data loader that move whole batches, not single rows.

torch's DataLoader fetches a batch with one ``__getitems__`` call when the
dataset has it; indexing the arrays once per batch instead of once per row
removes most of the per-batch overhead at small and large batch sizes alike,
and the fancy index copies only the batch out of read-only window views.
`BatchLoader` draws each batch's indices as one slice of a permutation
rather than one Python int at a time.
"""

import numpy as np
import torch
from skorch.dataset import Dataset
from torch.utils.data import DataLoader


def first_array(data):
    """The steps array of net inputs: the array itself, or a dict's ``x``."""
    return data["x"] if isinstance(data, dict) else data


def as_tensors(data):
    if isinstance(data, dict):
        return {key: as_tensors(value) for key, value in data.items()}
    data = np.ascontiguousarray(data)
    if not data.flags.writeable:
        # Read-only memory (pandas' copy-on-write arrays, memory maps): torch
        # warns on it, so the batch is copied; the rest stays shared.
        data = data.copy()
    return torch.from_numpy(data)


def take_rows(data, indices):
    if isinstance(data, dict):
        return {key: take_rows(value, indices) for key, value in data.items()}
    return data[indices]


def _as_slice(indices):
    """A slice for consecutive indices (prediction batches), else the indices:
    slicing a C-contiguous array gives a view, fancy indexing a copy."""
    start, stop = int(indices[0]), int(indices[-1]) + 1
    if stop - start == len(indices) and (np.diff(indices) == 1).all():
        return slice(start, stop)
    return indices


class BatchDataset(Dataset):
    """`skorch.dataset.Dataset` over numpy arrays (or dicts of them), batch-wise."""

    def __getitems__(self, indices):
        n_rows = len(indices)
        indices = _as_slice(np.asarray(indices))
        X = as_tensors(take_rows(self.X, indices))
        if self.y is None:
            y = torch.zeros(n_rows)
        else:
            y = as_tensors(take_rows(self.y, indices))
        return X, y


def batch_collate(batch):
    """The batch is assembled by `BatchDataset.__getitems__`; pass it through."""
    return batch


class PermutationBatches:
    """Batch sampler: consecutive slices of a permutation of ``range(n)``.

    The permutation is drawn exactly as `torch.utils.data.RandomSampler`
    draws it (a generator seeded from torch's global RNG), so training sees
    the same batches in the same order, without yielding indices one by one.
    """

    def __init__(self, n_samples, batch_size, shuffle, drop_last=False):
        self.n_samples = n_samples
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last

    def __len__(self):
        if self.drop_last:
            return self.n_samples // self.batch_size
        return -(-self.n_samples // self.batch_size)

    def __iter__(self):
        if self.shuffle:
            seed = int(torch.empty((), dtype=torch.int64).random_().item())
            generator = torch.Generator().manual_seed(seed)
            order = torch.randperm(self.n_samples, generator=generator).numpy()
        else:
            order = np.arange(self.n_samples)
        for batch in range(len(self)):
            yield order[batch * self.batch_size : (batch + 1) * self.batch_size]


class BatchLoader(DataLoader):
    """A `~torch.utils.data.DataLoader` over `PermutationBatches`.

    Takes the arguments skorch passes to its iterators (``batch_size``,
    ``shuffle``, ``drop_last`` and the DataLoader's others) and yields the
    batches `BatchDataset.__getitems__` assembles.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, **kwargs):
        kwargs.setdefault("collate_fn", batch_collate)
        sampler = PermutationBatches(len(dataset), batch_size, shuffle, drop_last)
        super().__init__(dataset, batch_sampler=sampler, **kwargs)

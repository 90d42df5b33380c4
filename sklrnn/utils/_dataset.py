"""A skorch dataset that hands the DataLoader whole batches, not single rows.

torch's DataLoader fetches a batch with one ``__getitems__`` call when the
dataset has it; indexing the arrays once per batch instead of once per row
removes most of the per-batch overhead at small and large batch sizes alike,
and the fancy index copies only the batch out of read-only window views.
"""

import numpy as np
import torch
from skorch.dataset import Dataset


def _to_tensor(data):
    if isinstance(data, dict):
        return {key: _to_tensor(value) for key, value in data.items()}
    return torch.from_numpy(np.ascontiguousarray(data))


def _take(data, indices):
    if isinstance(data, dict):
        return {key: _take(value, indices) for key, value in data.items()}
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
        X = _to_tensor(_take(self.X, indices))
        if self.y is None:
            y = torch.zeros(n_rows)
        else:
            y = _to_tensor(_take(self.y, indices))
        return X, y


def batch_collate(batch):
    """The batch is assembled by `BatchDataset.__getitems__`; pass it through."""
    return batch


def batch_tensors(data, indices):
    """Tensors of the rows ``indices`` (a slice gives views) of arrays or dicts."""
    return _to_tensor(_take(data, indices))

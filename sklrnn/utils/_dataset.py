"""A skorch dataset and data loader that move whole batches, not single rows.

torch's DataLoader fetches a batch with one ``__getitems__`` call when the
dataset has it; indexing the arrays once per batch instead of once per row
removes most of the per-batch overhead at small and large batch sizes alike,
and the fancy index copies only the batch out of read-only window views.
`BatchLoader` draws each batch's indices as one slice of a permutation
rather than one Python int at a time.

Ragged training data (a dict of padded steps ``x`` and their ``lengths``)
is batched by length: each batch is cut to its own longest sequence, and
shuffled batches are drawn from groups of similar length, so a batch of
short reviews does not carry the padding of the longest one in the corpus.
"""

import numpy as np
import torch
from skorch.dataset import Dataset
from torch.utils.data import DataLoader, Subset

#: Batches per group sorted by length when shuffling ragged data: large
#: enough that a batch finds sequences of similar length, small enough that
#: the batches still mix different sequences from epoch to epoch.
BUCKET_BATCHES = 50


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
    """`skorch.dataset.Dataset` over numpy arrays (or dicts of them), batch-wise.

    A ragged batch (``X`` a dict with ``lengths``) is cut to its longest
    sequence, and so is ``y`` when ``step_targets`` (one target per step).
    """

    def __init__(self, X, y=None, length=None, step_targets=False):
        super().__init__(X, y, length)
        self.step_targets = step_targets

    def __getitems__(self, indices):
        n_rows = len(indices)
        indices = _as_slice(np.asarray(indices))
        X = take_rows(self.X, indices)
        y = None if self.y is None else take_rows(self.y, indices)
        if isinstance(X, dict) and "lengths" in X:
            longest = int(X["lengths"].max())
            X = {**X, "x": X["x"][:, :longest]}
            if self.step_targets:
                y = y[:, :longest]
        y = torch.zeros(n_rows) if y is None else as_tensors(y)
        return as_tensors(X), y


def batch_collate(batch):
    """The batch is assembled by `BatchDataset.__getitems__`; pass it through."""
    return batch


def sequence_lengths(dataset):
    """The ``lengths`` of a ragged dataset's sequences (also through a
    `torch.utils.data.Subset`, as skorch's validation split makes), or None."""
    indices = None
    if isinstance(dataset, Subset):
        dataset, indices = dataset.dataset, np.asarray(dataset.indices)
    X = getattr(dataset, "X", None)
    if not isinstance(X, dict) or "lengths" not in X:
        return None
    lengths = np.asarray(X["lengths"])
    return lengths if indices is None else lengths[indices]


class PermutationBatches:
    """Batch sampler: consecutive slices of a permutation of ``range(n)``.

    The permutation is drawn exactly as `torch.utils.data.RandomSampler`
    draws it (a generator seeded from torch's global RNG), so training sees
    the same batches in the same order, without yielding indices one by one.

    Given the sequences' ``lengths`` (ragged data), shuffled batches are
    bucketed: the permutation is cut into groups of `BUCKET_BATCHES`
    batches, each group sorted by length and sliced into batches, and the
    batches are drawn in a random order. A batch then holds sequences of
    similar length, while which sequences meet in a batch still changes from
    epoch to epoch.
    """

    def __init__(self, n_samples, batch_size, shuffle, drop_last=False, lengths=None):
        self.n_samples = n_samples
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.lengths = lengths

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
        batches = range(len(self))
        if self.shuffle and self.lengths is not None:
            order = self._bucketed(order)
            batches = torch.randperm(len(self), generator=generator).tolist()
        for batch in batches:
            yield order[batch * self.batch_size : (batch + 1) * self.batch_size]

    def _bucketed(self, order):
        """``order`` sorted by length within each group of batches; rows that
        ``drop_last`` leaves out stay at the end, drawn at random."""
        group_size = BUCKET_BATCHES * self.batch_size
        kept = min(len(order), len(self) * self.batch_size)
        groups = []
        for start in range(0, kept, group_size):
            group = order[start : min(start + group_size, kept)]
            groups.append(group[np.argsort(self.lengths[group], kind="stable")])
        return np.concatenate([*groups, order[kept:]])


class BatchLoader(DataLoader):
    """A `~torch.utils.data.DataLoader` over `PermutationBatches`.

    Takes the arguments skorch passes to its iterators (``batch_size``,
    ``shuffle``, ``drop_last`` and the DataLoader's others) and yields the
    batches `BatchDataset.__getitems__` assembles.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, **kwargs):
        kwargs.setdefault("collate_fn", batch_collate)
        lengths = sequence_lengths(dataset) if shuffle else None
        sampler = PermutationBatches(
            len(dataset), batch_size, shuffle, drop_last, lengths=lengths
        )
        super().__init__(dataset, batch_sampler=sampler, **kwargs)

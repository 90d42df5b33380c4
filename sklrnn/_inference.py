"""The one way sklrnn runs a fitted net forward: batch after batch, in
evaluation mode, without gradients, on the estimator's device and threads.

Every estimator's prediction and the generator's prompt reading and scoring
go through `forward_batches`. Batches are sliced out of the arrays directly
rather than through skorch's ``forward`` and its DataLoader: the slices are
views, and this measured 20-25 % faster on the MNIST-shaped workload.
"""

import contextlib

import numpy as np
import torch
from skorch.utils import to_device

from sklrnn.utils._dataset import as_tensors, first_array, take_rows
from sklrnn.utils._threads import step_size
from sklrnn.utils._torch import torch_context
from sklrnn.utils._validation import pad_sequences

STEP_BUDGET = 2**16  # sequences x steps per torch call when reading texts


@contextlib.contextmanager
def evaluating(net, n_threads=None):
    """The net's module in evaluation mode, with inference mode and the
    estimator's threads, for the block; its training mode is put back after."""
    module = net.module_
    was_training = module.training
    module.train(False)
    try:
        size = step_size(module, prediction_batch_size(net), training=False)
        with torch_context(device=net.device, n_threads=n_threads, size=size):
            with torch.inference_mode():
                yield module
    finally:
        module.train(was_training)


def prediction_batch_size(net):
    """Rows per prediction batch: skorch's ``iterator_valid__batch_size`` when
    given (``net_kwargs``), else the training ``batch_size``."""
    return int(getattr(net, "iterator_valid__batch_size", net.batch_size))


def row_batches(inputs, batch_size):
    """Consecutive slices (views) of the rows of an array or a dict of arrays."""
    for start in range(0, len(first_array(inputs)), batch_size):
        yield take_rows(inputs, slice(start, start + batch_size))


def length_groups(lengths, step_budget):
    """Indices of sequences grouped by similar length, each group at most
    ``step_budget`` padded steps (or one sequence)."""
    order = np.argsort(lengths, kind="stable")
    group, longest = [], 0
    for i in order:
        if group and max(longest, lengths[i]) * (len(group) + 1) > step_budget:
            yield np.array(group)
            group, longest = [], 0
        group.append(i)
        longest = max(longest, lengths[i])
    yield np.array(group)


def forward_batches(module, net, batches, *, step_budget=None):
    """Run ``module`` (inside `evaluating`) over each batch of ``batches``
    (arrays, or dicts of ``x`` and ``lengths``).

    Yields ``(batch_index, first_step, outputs, state)`` per batch. With
    ``step_budget``
    a batch of ``n`` sequences is read ``step_budget // n`` steps at a time,
    carrying the recurrent state from slice to slice (for long texts whose
    outputs would not fit in memory at once), and each slice is yielded;
    batches are then plain arrays of causally read steps (no ``lengths``).
    """
    for index, batch in enumerate(batches):
        batch = to_device(as_tensors(batch), net.device)
        if step_budget is None:
            if isinstance(batch, dict):
                yield index, 0, module(**batch), None
            else:
                yield index, 0, module(batch), None
            continue
        size, state = max(1, step_budget // len(batch)), None
        for start in range(0, batch.shape[1], size):
            outputs, state = module(
                batch[:, start : start + size], state=state, return_state=True
            )
            yield index, start, outputs, state


def predict_outputs(net, inputs, n_threads=None):
    """The module's outputs for all rows of ``inputs``, as one CPU tensor.

    The outputs go into one tensor allocated with the first batch: a list of
    small per-batch outputs kept alive between the batches' large short-lived
    buffers fragmented the heap, and peak memory over a million windows grew
    from 0.5 GB to 2-4 GB.
    """
    batches = row_batches(inputs, prediction_batch_size(net))
    outputs, start = None, 0
    with evaluating(net, n_threads) as module:
        for *_, output, _ in forward_batches(module, net, batches):
            if outputs is None:
                n_rows = len(first_array(inputs))
                outputs = output.new_empty((n_rows, *output.shape[1:]))
            outputs[start : start + len(output)] = output
            start += len(output)
    return outputs.cpu()


# Causal readers of token sequences (the generator's texts) -------------------


def _padded_ids(rows, fill=0):
    return pad_sequences(rows, dtype=np.int64, fill=fill)[0]


def _read_texts(net, sequences, n_threads):
    """Read 1-D input-id sequences, grouped by length and in slices of steps
    carrying the state; yield ``(group, first_step, outputs, state)``."""
    groups = list(length_groups([len(seq) for seq in sequences], STEP_BUDGET))
    batches = (_padded_ids([sequences[i] for i in group]) for group in groups)
    with evaluating(net, n_threads) as module:
        for index, start, outputs, state in forward_batches(
            module, net, batches, step_budget=STEP_BUDGET
        ):
            yield groups[index], start, outputs, state


def last_step_outputs(net, sequences, n_threads=None):
    """The outputs (float64) at the last step of each 1-D input-id sequence."""
    last = np.array([len(seq) for seq in sequences]) - 1
    result = None
    for group, start, outputs, _ in _read_texts(net, sequences, n_threads):
        if result is None:
            result = np.empty((len(sequences), outputs.shape[-1]))
        ends = last[group]
        here = np.flatnonzero((ends >= start) & (ends < start + outputs.shape[1]))
        result[group[here]] = outputs[here, ends[here] - start].cpu().double().numpy()
    return result


def final_state(net, sequence, n_threads=None):
    """The recurrent state after reading one 1-D input-id sequence."""
    *_, (_, _, _, state) = _read_texts(net, [sequence], n_threads)
    return state


def total_log_likelihood(net, inputs, targets, n_threads=None):
    """Sum of ``log softmax(outputs)[target]`` over every step of 1-D
    input-id sequences and their target columns (float64)."""
    total = 0.0
    for group, start, outputs, _ in _read_texts(net, inputs, n_threads):
        if start == 0:
            padded = _padded_ids([targets[i] for i in group], fill=-1)
            group_targets = torch.as_tensor(padded, device=outputs.device)
        target = group_targets[:, start : start + outputs.shape[1]]
        log_proba = torch.log_softmax(outputs, dim=-1)
        picked = log_proba.gather(-1, target.clamp(min=0)[..., None])[..., 0]
        total += picked[target >= 0].double().sum().item()
    return total

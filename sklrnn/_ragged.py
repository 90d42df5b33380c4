"""Ragged batches through the dense recurrent kernels, without packing.

On the CPU, torch's packed path records autograd nodes for every step's
shrinking batch, and its backward pass costs several times its forward: a
bidirectional GRU(32) over 16 reviews of 200 words took 66 ms forward and
backward packed against 45 ms dense (1 thread). A ragged batch gives the
same results through the dense kernels when every sequence is read from its
first real step: the forward direction reads the padded batch as it is (the
padding comes after the real steps and never reaches them), the backward
direction reads each sequence reversed within its own length, and the final
state of a sequence is its output at its last real step.

That holds for the cells whose state is their output, the GRU and the tanh
RNN, read here by the fused layers of `sklrnn._fused` (where those do not
apply, the batch is packed); the LSTM's cell state at a sequence's last step
is not an output, so the LSTM keeps the packed path.
Padding costs compute, so a batch whose padded steps exceed `MAX_PADDING`
times its real steps is packed too, and so is every batch read without
gradients: without a backward pass the packed layer is as fast (1,000 ragged
digits through a 2-layer bidirectional GRU(32): 94 ms packed, 100 ms dense).
"""

import torch

from sklrnn._fused import fused_applies, fused_direction, run_layers

#: Padded steps (batch x longest) per real step beyond which packing is
#: cheaper than reading the padding densely (the dense path is 1.5-2.4 times
#: as fast per step at the classifier's sizes).
MAX_PADDING = 2.0


def dense_applies(rnn, x, lengths):
    """True when `run_dense` stands in for the packed ``rnn`` over padded
    ``x`` of true ``lengths``: where the fused layer applies to a GRU or a
    tanh RNN (`sklrnn._fused.fused_applies`), recording gradients, with
    padding at most `MAX_PADDING` times the real steps."""
    return (
        torch.is_grad_enabled()
        and fused_applies(rnn, x)
        and x.shape[0] * x.shape[1] <= MAX_PADDING * int(lengths.sum())
    )


def run_dense(rnn, x, lengths, state=None):
    """What ``rnn`` returns for the packed ``x`` of true ``lengths`` (outputs
    padded with zeros, as `pad_packed_sequence` gives them, and the state at
    each sequence's last real step), computed densely; see `dense_applies`.

    Examples
    --------
    >>> import torch
    >>> from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
    >>> gru = torch.nn.GRU(3, 4, batch_first=True, bidirectional=True)
    >>> x, lengths = torch.randn(2, 5, 3), torch.tensor([5, 2])
    >>> packed = pack_padded_sequence(x, lengths, True, enforce_sorted=False)
    >>> outputs, h_n = gru(packed)
    >>> outputs = pad_packed_sequence(outputs, True, total_length=5)[0]
    >>> dense_outputs, dense_h_n = run_dense(gru, x, lengths)
    >>> torch.allclose(dense_outputs, outputs, atol=1e-6)
    True
    >>> torch.allclose(dense_h_n, h_n, atol=1e-6)
    True
    """
    batch, n_steps = x.shape[:2]
    lengths = lengths.to(x.device)
    steps = torch.arange(n_steps, device=x.device)
    real = steps[None, :] < lengths[:, None]
    # Each sequence reversed within its length, its padding left at the end;
    # reordering twice gives the sequence back.
    order = torch.where(real, lengths[:, None] - 1 - steps[None, :], steps[None, :])
    last = (lengths - 1).view(batch, 1, 1)

    def reverse(sequences):
        return sequences.gather(1, order[..., None].expand(-1, -1, sequences.shape[2]))

    fused = fused_direction(rnn)

    def run_direction(x, w_ih, w_hh, b_ih, b_hh, h0):
        outputs, _ = fused(x, w_ih, w_hh, b_ih, b_hh, h0)
        final = outputs.gather(1, last.expand(-1, 1, outputs.shape[2])).squeeze(1)
        return outputs, final

    outputs, h_n = run_layers(rnn, x, state, run_direction, reverse)
    return outputs * real.unsqueeze(-1), h_n

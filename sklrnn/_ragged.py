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
RNN (through `sklrnn._fused` where it applies); the LSTM's cell state at a
sequence's last step is not an output, so the LSTM keeps the packed path.
Padding costs compute, so a batch whose padded steps exceed `MAX_PADDING`
times its real steps is packed too, and so is every batch read without
gradients: without a backward pass the packed layer is as fast (1,000 ragged
digits through a 2-layer bidirectional GRU(32): 94 ms packed, 100 ms dense).
"""

import torch
from torch import nn
from torch.nn import functional as F

from sklrnn._fused import _TanhLayer, fused_applies

#: Padded steps (batch x longest) per real step beyond which packing is
#: cheaper than reading the padding densely (the dense path is 1.5-2.4 times
#: as fast per step at the classifier's sizes).
MAX_PADDING = 2.0


def dense_applies(rnn, x, lengths):
    """True when `run_dense` stands in for the packed ``rnn`` over padded
    ``x`` of true ``lengths``: a batch-first GRU or tanh RNN on the CPU,
    recording gradients, whose padding is at most `MAX_PADDING` times the
    real steps."""
    return (
        torch.is_grad_enabled()
        and type(rnn) in (nn.GRU, nn.RNN)
        and rnn.mode in ("GRU", "RNN_TANH")
        and rnn.batch_first
        and rnn.bias
        and x.device.type == "cpu"
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
    directions = 2 if rnn.bidirectional else 1
    batch, n_steps = x.shape[:2]
    if state is None:
        state = x.new_zeros(rnn.num_layers * directions, batch, rnn.hidden_size)
    lengths = lengths.to(x.device)
    steps = torch.arange(n_steps, device=x.device)
    real = steps[None, :] < lengths[:, None]
    # Reversing each sequence within its length (padding stays at the end);
    # applying it twice gives the sequence back.
    reverse = torch.where(real, lengths[:, None] - 1 - steps[None, :], steps[None, :])
    last = (lengths - 1).view(batch, 1, 1)
    layer_input, finals = x, []
    for layer in range(rnn.num_layers):
        if layer and rnn.dropout and rnn.training:
            layer_input = F.dropout(layer_input, rnn.dropout, training=True)
        outputs = []
        for direction in range(directions):
            suffix = f"_l{layer}" + ("_reverse" if direction else "")
            sequence = _reorder(layer_input, reverse) if direction else layer_input
            out = _one_direction(
                rnn, suffix, sequence, state[layer * directions + direction]
            )
            finals.append(out.gather(1, last.expand(-1, 1, out.shape[2])).squeeze(1))
            outputs.append(_reorder(out, reverse) if direction else out)
        layer_input = torch.cat(outputs, dim=-1) if directions == 2 else outputs[0]
    return layer_input * real.unsqueeze(-1), torch.stack(finals)


def _reorder(sequences, order):
    return sequences.gather(1, order.unsqueeze(-1).expand(-1, -1, sequences.shape[2]))


def _one_direction(rnn, suffix, x, h0):
    """Outputs of one layer and direction of ``rnn`` over batch-first ``x``."""
    w_ih, w_hh, b_ih, b_hh = (
        getattr(rnn, name + suffix)
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    )
    if rnn.mode == "RNN_TANH" and fused_applies(rnn, x):
        outputs, _ = _TanhLayer.apply(x.transpose(0, 1), w_ih, b_ih + b_hh, w_hh, h0)
        return outputs.transpose(0, 1)
    kernel = torch.gru if rnn.mode == "GRU" else torch.rnn_tanh
    outputs, _ = kernel(
        x, h0[None], [w_ih, w_hh, b_ih, b_hh], True, 1, 0.0, rnn.training, False, True
    )
    return outputs

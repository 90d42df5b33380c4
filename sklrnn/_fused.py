"""Fused tanh and GRU recurrences for the CPU: one autograd node per layer.

`torch.nn.RNN` and `torch.nn.GRU` record autograd nodes at every time step,
and on a long sequence of small matrices their backward pass spends more
time in the autograd engine than in arithmetic. Here each layer and
direction is one `torch.autograd.Function`:

- the input projection of all steps is one matrix product;
- the forward loop does per step one matrix product and the gates'
  arithmetic, in place in preallocated buffers;
- the backward loop walks the steps in chunks that stay in the cache
  (`CHUNK_SIZE`): per chunk one pass for the gates' derivatives, per step a
  few multiplies and one matrix product, and per chunk one product for its
  share of the weights' gradients.

``tanh(x)`` is computed as ``2 * sigmoid(2 * x) - 1``: torch's CPU `tanh` is
about five times slower than its `sigmoid`. The results are `torch.nn.RNN`'s
and `torch.nn.GRU`'s up to float rounding (tested on every direction and
depth).

Forward and backward of one GRU layer took 1.15-1.8 times less than torch's
(1 thread, batch 16-128, hidden 30-256, 8-500 steps; 1.5 at the classifier's
default shape, 1.8 over 200-word reviews). Without gradients torch's GRU is
faster (its inference loop runs in C++), so prediction keeps it. The LSTM is
not fused: torch runs it through oneDNN, which the same construction (in the
project's history) did not beat.
"""

import torch
from torch import nn
from torch.nn import functional as F

#: Floats of the gradients (steps x batch x hidden, times 3 gates for the
#: GRU) the backward pass takes at a time: a chunk of about a megabyte stays
#: in the cache from its gates' derivatives through its share of the
#: weights' gradients (measured on the cosine workload: 15 ms a batch against
#: 20 ms over all steps at once).
CHUNK_SIZE = 2**18


def fused_applies(rnn, x):
    """True when `run_fused` stands in for ``rnn(x)``: a tanh `nn.RNN`, or a
    `nn.GRU` while gradients are recorded, on a CPU float tensor (the GPU
    keeps torch's cuDNN kernels; ragged batches reach the layer direction by
    direction through `sklrnn._ragged`). Without gradients torch's GRU is
    faster: its inference loop runs in C++."""
    return (
        (type(rnn) is nn.RNN and rnn.mode == "RNN_TANH")
        or (type(rnn) is nn.GRU and torch.is_grad_enabled())
    ) and (
        rnn.batch_first
        and rnn.bias
        and x.device.type == "cpu"
        and x.dtype in (torch.float32, torch.float64)
    )


def run_fused(rnn, x, state=None):
    """``rnn(x, state)`` for a batch-first tanh `nn.RNN` or `nn.GRU`,
    computed by the fused layers; see `fused_applies`.

    Returns ``(outputs, h_n)`` shaped as the module returns them. Dropout
    between layers is drawn from torch's generator as the module's is, but
    in another order: results are reproducible, not equal to the module's.

    Examples
    --------
    >>> import torch
    >>> rnn = torch.nn.RNN(3, 5, batch_first=True)
    >>> x = torch.randn(2, 7, 3)
    >>> outputs, h_n = run_fused(rnn, x)
    >>> torch.allclose(outputs, rnn(x)[0], atol=1e-6)
    True
    >>> gru = torch.nn.GRU(3, 5, batch_first=True)
    >>> torch.allclose(run_fused(gru, x)[0], gru(x)[0], atol=1e-6)
    True
    """
    return run_layers(rnn, x, state, fused_direction(rnn), lambda s: s.flip(1))


def fused_direction(rnn):
    """The fused ``run_direction`` of `run_layers` for ``rnn``'s cell."""
    return gru_direction if rnn.mode == "GRU" else tanh_direction


def tanh_direction(x, w_ih, w_hh, b_ih, b_hh, h0):
    """One layer and direction of the tanh RNN over batch-first ``x`` by the
    fused layer: its outputs and final state (a ``run_direction`` of
    `run_layers`)."""
    outputs, last = _TanhLayer.apply(x.transpose(0, 1), w_ih, b_ih + b_hh, w_hh, h0)
    return outputs.transpose(0, 1), last


def run_layers(rnn, x, state, run_direction, reverse):
    """Every layer and direction of the batch-first ``rnn`` over ``x``, one
    direction at a time: ``run_direction(x, w_ih, w_hh, b_ih, b_hh, h0)``
    returns a direction's outputs and final state, ``reverse`` reverses the
    steps that the backward direction reads (and its outputs back).

    Returns ``(outputs, h_n)`` as the module does; dropout between layers is
    drawn from torch's generator in training.
    """
    directions = 2 if rnn.bidirectional else 1
    if state is None:
        state = x.new_zeros(rnn.num_layers * directions, x.shape[0], rnn.hidden_size)
    layer_input, finals = x, []
    for layer in range(rnn.num_layers):
        if layer and rnn.dropout and rnn.training:
            layer_input = F.dropout(layer_input, rnn.dropout, training=True)
        outputs = []
        for direction in range(directions):
            suffix = f"_l{layer}" + ("_reverse" if direction else "")
            weights = [
                getattr(rnn, name + suffix)
                for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
            ]
            sequence = reverse(layer_input) if direction else layer_input
            out, last = run_direction(
                sequence, *weights, state[layer * directions + direction]
            )
            finals.append(last)
            outputs.append(reverse(out) if direction else out)
        layer_input = torch.cat(outputs, dim=-1) if directions == 2 else outputs[0]
    return layer_input, torch.stack(finals)


class _TanhLayer(torch.autograd.Function):
    """``h[t] = tanh(x[t] @ w_ih.T + bias + h[t - 1] @ w_hh.T)`` over the
    steps of time-major ``x``.

    The loop keeps ``s = (h + 1) / 2 = sigmoid(2 * pre-activation)``, so that
    a step is one product and one sigmoid: with ``h = 2 * s - 1``, twice the
    pre-activation is ``2 * (x @ w_ih.T + bias - w_hh.sum(1)) + s @ (4 *
    w_hh).T``, whose first term is one product over all steps.
    """

    @staticmethod
    def forward(ctx, x, w_ih, bias, w_hh, h0):
        n_steps, batch, _ = x.shape
        inputs = x.reshape(n_steps * batch, -1)
        # hiddens[0] is h0, hiddens[t + 1] the output of step t; each step
        # adds its recurrent product to its share of the input term in place.
        hiddens = x.new_empty((n_steps + 1, *h0.shape))
        torch.add(h0, 1, out=hiddens[0]).mul_(0.5)
        # A univariate series' projection is faster as a broadcast multiply-add
        # than as a matrix product with an inner dimension of one.
        project = torch.addcmul if inputs.shape[1] == 1 else torch.addmm
        project(
            bias.sub(w_hh.sum(dim=1)).mul_(2),
            inputs,
            w_ih.t().mul(2),
            out=hiddens[1:].view(n_steps * batch, -1),
        )
        s = hiddens.unbind(0)
        weight = w_hh.t().mul(4)
        for t in range(n_steps):
            s[t + 1].addmm_(s[t], weight).sigmoid_()
        torch.add(hiddens.new_full((), -1.0), hiddens, alpha=2, out=hiddens)
        hiddens[0] = h0
        ctx.save_for_backward(inputs, w_ih, hiddens, w_hh)
        # The final state is an output of its own: when only it is read ("last"
        # pooling), the outputs get no gradient at all, not a tensor of zeros.
        ctx.set_materialize_grads(False)
        return hiddens[1:], hiddens[-1].clone()

    @staticmethod
    def backward(ctx, grad_outputs, grad_last):
        inputs, w_ih, hiddens, w_hh = ctx.saved_tensors
        outputs = hiddens[1:]
        n_steps, batch, hidden = outputs.shape
        inputs = inputs.view(n_steps, batch, -1)
        steps_per_chunk = max(1, CHUNK_SIZE // (batch * hidden))
        grad_pre = torch.empty_like(outputs)
        derivative = torch.empty_like(outputs[:steps_per_chunk])
        grad_h = (
            torch.zeros_like(hiddens[0]) if grad_last is None else grad_last.clone()
        )
        grad_w_ih = torch.zeros_like(w_ih)
        grad_w_hh = torch.zeros_like(w_hh)
        grad_bias = outputs.new_zeros(hidden)
        one = outputs.new_ones(())
        # Backwards in chunks of steps that stay in the cache: each chunk's
        # tanh derivatives before its steps, its share of the weights'
        # gradients after them.
        for stop in range(n_steps, 0, -steps_per_chunk):
            start = max(0, stop - steps_per_chunk)
            chunk = slice(start, stop)
            slope = derivative[: stop - start]
            torch.addcmul(one, outputs[chunk], outputs[chunk], value=-1, out=slope)
            if grad_outputs is None:
                # Only the final state has a gradient ("last" pooling).
                for t in range(stop - 1, start - 1, -1):
                    torch.mul(grad_h, slope[t - start], out=grad_pre[t])
                    torch.mm(grad_pre[t], w_hh, out=grad_h)
            else:
                torch.mul(grad_outputs[chunk], slope, out=grad_pre[chunk])
                for t in range(stop - 1, start - 1, -1):
                    grad_pre[t].addcmul_(grad_h, slope[t - start])
                    torch.mm(grad_pre[t], w_hh, out=grad_h)
            grad_chunk = grad_pre[chunk].flatten(0, 1)
            grad_w_hh.addmm_(grad_chunk.t(), hiddens[chunk].flatten(0, 1))
            grad_w_ih.addmm_(grad_chunk.t(), inputs[chunk].flatten(0, 1))
            grad_bias.add_(grad_chunk.sum(dim=0))
        grad_x = None
        if ctx.needs_input_grad[0]:
            grad_x = (grad_pre.flatten(0, 1) @ w_ih).view(n_steps, batch, -1)
        return grad_x, grad_w_ih, grad_bias, grad_w_hh, grad_h


def gru_direction(x, w_ih, w_hh, b_ih, b_hh, h0):
    """One layer and direction of the GRU over batch-first ``x`` by the fused
    layer: its outputs and final state (a ``run_direction`` of `run_layers`)."""
    hidden = h0.shape[-1]
    # The new gate's recurrent bias sits inside the reset gate's product; the
    # reset and update gates' join the input projection.
    input_bias = b_ih + torch.cat([b_hh[: 2 * hidden], b_hh.new_zeros(hidden)])
    projected = F.linear(x.transpose(0, 1), w_ih, input_bias)
    outputs = _GRULayer.apply(projected, w_hh, b_hh[2 * hidden :], h0)
    return outputs.transpose(0, 1), outputs[-1]


def _tanh_(x):
    """tanh in place, as ``2 * sigmoid(2 * x) - 1`` (see the module's note)."""
    return x.mul_(2).sigmoid_().mul_(2).sub_(1)


class _GRULayer(torch.autograd.Function):
    """The GRU's recurrence over the steps of time-major ``projected`` (the
    input projection with the input biases and the reset and update gates'
    recurrent biases), gates in torch's order (reset, update, new); ``b_hn``
    is the new gate's recurrent bias.

    Per step: ``r, z = sigmoid(p_rz + h @ [w_hr; w_hz].T)``, ``n = tanh(p_n +
    r * (h @ w_hn.T + b_hn))``, ``h = n + z * (h - n)``.
    """

    @staticmethod
    def forward(ctx, projected, w_hh, b_hn, h0):
        n_steps, batch, width = projected.shape
        hidden = width // 3
        # recurrent[t] is step t's recurrent product (with b_hn on the new
        # gate), gates[t] its reset and update gates, new[t] its candidate.
        recurrent = torch.cat([b_hn.new_zeros(2 * hidden), b_hn])
        recurrent = recurrent.expand(n_steps, batch, width).contiguous()
        gates = projected.new_empty((n_steps, batch, 2 * hidden))
        new = projected.new_empty((n_steps, batch, hidden))
        hiddens = projected.new_empty((n_steps + 1, batch, hidden))
        hiddens[0] = h0
        weight = w_hh.t()
        reset, update = gates.chunk(2, dim=2)
        steps = zip(
            projected[..., : 2 * hidden].unbind(0),
            projected[..., 2 * hidden :].unbind(0),
            recurrent.unbind(0),
            recurrent[..., : 2 * hidden].unbind(0),
            recurrent[..., 2 * hidden :].unbind(0),
            gates.unbind(0),
            reset.unbind(0),
            update.unbind(0),
            new.unbind(0),
            hiddens.unbind(0),
            hiddens[1:].unbind(0),
        )
        for p_rz, p_n, rec, rec_rz, rec_n, gate, r, z, n, h, h_next in steps:
            rec.addmm_(h, weight)
            torch.add(p_rz, rec_rz, out=gate).sigmoid_()
            _tanh_(torch.addcmul(p_n, r, rec_n, out=n))
            torch.lerp(n, h, z, out=h_next)
        ctx.save_for_backward(recurrent[..., 2 * hidden :], gates, new, hiddens, w_hh)
        return hiddens[1:]

    @staticmethod
    def backward(ctx, grad_outputs):
        recurrent_new, gates, new, hiddens, w_hh = ctx.saved_tensors
        n_steps, batch, hidden = new.shape
        steps_per_chunk = max(1, CHUNK_SIZE // (batch * 3 * hidden))
        # grad_projected: the gates' pre-activations, reset and update parts
        # shared with grad_recurrent, which holds the new gate's recurrent
        # product's gradient in its last part.
        grad_projected = gates.new_empty((n_steps, batch, 3 * hidden))
        grad_recurrent = torch.empty_like(grad_projected[:steps_per_chunk])
        factors = gates.new_empty((3, steps_per_chunk, batch, hidden))
        grad_h = torch.zeros_like(hiddens[0])
        grad_w_hh = torch.zeros_like(w_hh)
        grad_b_hn = new.new_zeros(hidden)
        # Backwards in chunks of steps that stay in the cache: each chunk's
        # gate derivatives before its steps, its share of the recurrent
        # weights' gradient after them.
        for stop in range(n_steps, 0, -steps_per_chunk):
            start = max(0, stop - steps_per_chunk)
            chunk = slice(start, stop)
            r, z = gates[chunk].chunk(2, dim=2)
            n = new[chunk]
            to_new, to_update, to_reset = factors[:, : stop - start]
            # d new / d pre-activation, times (1 - z); d h / d z times z's
            # sigmoid derivative; d n's pre-activation / d r times r's.
            torch.mul(1 - z, 1 - n * n, out=to_new)
            torch.mul((hiddens[chunk] - n) * z, 1 - z, out=to_update)
            torch.mul(recurrent_new[chunk] * r, 1 - r, out=to_reset)
            grad_chunk = grad_recurrent[: stop - start]
            steps = zip(
                grad_outputs[chunk].unbind(0),
                grad_projected[chunk, :, 2 * hidden :].unbind(0),
                grad_chunk.unbind(0),
                grad_chunk[..., :hidden].unbind(0),
                grad_chunk[..., hidden : 2 * hidden].unbind(0),
                grad_chunk[..., 2 * hidden :].unbind(0),
                to_new.unbind(0),
                to_update.unbind(0),
                to_reset.unbind(0),
                r.unbind(0),
                z.unbind(0),
            )
            for step in reversed(list(steps)):
                grad_out, grad_n, grad_rec, grad_r, grad_z, grad_rec_n, *rest = step
                to_n, to_z, to_r, r_t, z_t = rest
                grad_h.add_(grad_out)
                torch.mul(grad_h, to_n, out=grad_n)
                torch.mul(grad_h, to_z, out=grad_z)
                torch.mul(grad_n, to_r, out=grad_r)
                torch.mul(grad_n, r_t, out=grad_rec_n)
                grad_h.mul_(z_t).addmm_(grad_rec, w_hh)
            grad_projected[chunk, :, : 2 * hidden] = grad_chunk[..., : 2 * hidden]
            flat = grad_chunk.flatten(0, 1)
            grad_w_hh.addmm_(flat.t(), hiddens[chunk].flatten(0, 1))
            grad_b_hn.add_(flat[:, 2 * hidden :].sum(dim=0))
        return grad_projected, grad_w_hh, grad_b_hn, grad_h

"""A fused recurrence for training on the CPU: one autograd node per layer.

`torch.nn.LSTM` and friends record several autograd nodes per time step, and
on a long sequence of small matrices the backward pass spends more time in
the autograd engine than in arithmetic. Here each layer and direction is one
`torch.autograd.Function`:

- the input projection of all steps is one matrix product (ordinary autograd,
  outside the function);
- the forward loop does per step only the recurrent product and the gate
  arithmetic, in place in preallocated buffers;
- the backward loop does per step only the gate derivatives and one matrix
  product; the recurrent weights' gradient is one product over all steps.

The results are those of the torch modules up to float rounding (tested to
1e-5 on every cell, direction and depth). `tanh` is computed as
``2 * sigmoid(2 * x) - 1``: torch's CPU `tanh` is several times slower than
its `sigmoid`, and one `sigmoid` call then serves every gate of a step.

The torch modules stay the reference path: `fused_applies` says when this one
is used (training on the CPU, sequences of equal length).
"""

import torch
from torch import nn
from torch.nn import functional as F


def fused_applies(rnn, x):
    """True when `run_fused` can stand in for ``rnn(x)``: a CPU float tensor
    that needs gradients for training (inference keeps torch's loop, which
    records no graph)."""
    return (
        x.device.type == "cpu"
        and x.dtype in (torch.float32, torch.float64)
        and torch.is_grad_enabled()
        and (x.requires_grad or rnn.weight_hh_l0.requires_grad)
    )


def run_fused(rnn, x, state=None):
    """``rnn(x, state)`` for a batch-first `nn.RNN`/`nn.LSTM`/`nn.GRU`
    (``batch_first=True``, tanh for `nn.RNN`), computed by the fused layers.

    Returns ``(outputs, state)`` shaped as the module returns them.
    """
    is_lstm = isinstance(rnn, nn.LSTM)
    directions = 2 if rnn.bidirectional else 1
    batch, hidden = x.shape[0], rnn.hidden_size
    if state is None:
        zeros = x.new_zeros(rnn.num_layers * directions, batch, hidden)
        state = (zeros, zeros) if is_lstm else zeros
    h0, c0 = state if is_lstm else (state, None)
    layer_input = x.transpose(0, 1)  # time-major from here on
    final_h, final_c = [], []
    for layer in range(rnn.num_layers):
        if layer and rnn.dropout and rnn.training:
            layer_input = F.dropout(layer_input, rnn.dropout, training=True)
        outputs = []
        for direction in range(directions):
            suffix = f"_l{layer}" + ("_reverse" if direction else "")
            index = layer * directions + direction
            steps = layer_input.flip(0) if direction else layer_input
            out, h_n, c_n = _run_layer(
                rnn, suffix, steps, h0[index], None if c0 is None else c0[index]
            )
            outputs.append(out.flip(0) if direction else out)
            final_h.append(h_n)
            final_c.append(c_n)
        layer_input = outputs[0] if directions == 1 else torch.cat(outputs, dim=-1)
    h_n = torch.stack(final_h)
    state = (h_n, torch.stack(final_c)) if is_lstm else h_n
    return layer_input.transpose(0, 1), state


def _run_layer(rnn, suffix, steps, h0, c0):
    """One layer in one direction over time-major ``steps``; returns the
    outputs, the final hidden state and (LSTM) the final cell state."""
    w_ih = getattr(rnn, "weight_ih" + suffix)
    w_hh = getattr(rnn, "weight_hh" + suffix)
    b_ih = getattr(rnn, "bias_ih" + suffix, None)
    b_hh = getattr(rnn, "bias_hh" + suffix, None)
    hidden = rnn.hidden_size
    if isinstance(rnn, nn.GRU):
        # The candidate's recurrent bias sits inside the reset gate's product,
        # so only the reset and update parts join the input projection.
        if b_hh is None:
            b_hn = steps.new_zeros(hidden)
        else:
            b_ih = b_ih + torch.cat([b_hh[: 2 * hidden], b_hh.new_zeros(hidden)])
            b_hn = b_hh[2 * hidden :]
        projected = F.linear(steps, w_ih, b_ih)
        out = _GRURecurrence.apply(projected, w_hh, b_hn, h0)
        return out, out[-1], None
    bias = None if b_ih is None else b_ih + b_hh
    projected = F.linear(steps, w_ih, bias)
    if isinstance(rnn, nn.LSTM):
        out, c_n = _LSTMRecurrence.apply(projected, w_hh, h0, c0)
        return out, out[-1], c_n
    if rnn.nonlinearity != "tanh":
        raise ValueError("the fused recurrence computes tanh cells only")
    out = _TanhRecurrence.apply(projected, w_hh, h0)
    return out, out[-1], None


def _tanh_(x):
    """tanh in place, as ``2 * sigmoid(2 * x) - 1`` (see the module's note)."""
    return x.mul_(2).sigmoid_().mul_(2).sub_(1)


class _TanhRecurrence(torch.autograd.Function):
    """``h[t] = tanh(projected[t] + h[t - 1] @ w_hh.T)`` over all steps.

    The loop keeps ``s = (h + 1) / 2 = sigmoid(2 * pre-activation)`` so a step
    is one product and one sigmoid: ``2 * (projected + h @ w.T) = 2 * projected
    - 2 * w.sum(1) + s @ (4 * w).T``.
    """

    @staticmethod
    def forward(ctx, projected, w_hh, h0):
        n_steps = projected.shape[0]
        weight = w_hh.t().mul(4)
        # hiddens[0] is h0, hiddens[t + 1] the output of step t; each step
        # adds its recurrent product to its shifted input projection in place.
        hiddens = projected.new_empty((n_steps + 1, *h0.shape))
        torch.add(h0, 1, out=hiddens[0]).mul_(0.5)
        torch.mul(projected, 2, out=hiddens[1:]).sub_(2 * w_hh.sum(dim=1))
        s = hiddens.unbind(0)
        for t in range(n_steps):
            s[t + 1].addmm_(s[t], weight).sigmoid_()
        hiddens.mul_(2).sub_(1)
        hiddens[0] = h0
        ctx.save_for_backward(hiddens, w_hh)
        return hiddens[1:]

    @staticmethod
    def backward(ctx, grad_outputs):
        hiddens, w_hh = ctx.saved_tensors
        outputs = hiddens[1:]
        derivative = torch.addcmul(outputs.new_ones(()), outputs, outputs, value=-1)
        grad_pre = grad_outputs * derivative
        steps = list(zip(grad_pre.unbind(0), derivative.unbind(0)))
        grad_h = torch.zeros_like(hiddens[0])
        for grad_step, derivative_step in reversed(steps):
            grad_step.addcmul_(grad_h, derivative_step)
            torch.mm(grad_step, w_hh, out=grad_h)
        grad_w = grad_pre.flatten(0, 1).t() @ hiddens[:-1].flatten(0, 1)
        return grad_pre, grad_w, grad_h


class _LSTMRecurrence(torch.autograd.Function):
    """The LSTM over all steps, gates in torch's order (input, forget, cell,
    output). Returns the outputs and the final cell state."""

    @staticmethod
    def forward(ctx, projected, w_hh, h0, c0):
        n_steps, batch, _ = projected.shape
        hidden = h0.shape[-1]
        cell_gate = slice(2 * hidden, 3 * hidden)
        # The cell gate is a tanh: scaling its pre-activation by two lets
        # one sigmoid over all four gates compute it (see `_tanh_`).
        scaled = projected.clone()
        scaled[..., cell_gate].mul_(2)
        weight = w_hh.clone()
        weight[cell_gate].mul_(2)
        weight = weight.t()
        gates = projected.new_empty((n_steps, batch, 4 * hidden))
        cells = projected.new_empty((n_steps + 1, batch, hidden))
        hiddens = projected.new_empty((n_steps + 1, batch, hidden))
        tanh_cells = projected.new_empty((n_steps, batch, hidden))
        cells[0] = c0
        hiddens[0] = h0
        for t in range(n_steps):
            gate = torch.addmm(scaled[t], hiddens[t], weight, out=gates[t])
            gate.sigmoid_()
            i, f, g, o = gate.chunk(4, dim=1)
            g.mul_(2).sub_(1)
            torch.mul(f, cells[t], out=cells[t + 1]).addcmul_(i, g)
            torch.mul(cells[t + 1], 2, out=tanh_cells[t]).sigmoid_().mul_(2).sub_(1)
            torch.mul(o, tanh_cells[t], out=hiddens[t + 1])
        ctx.save_for_backward(gates, cells, hiddens, tanh_cells, w_hh)
        return hiddens[1:], cells[-1]

    @staticmethod
    def backward(ctx, grad_outputs, grad_cell):
        gates, cells, hiddens, tanh_cells, w_hh = ctx.saved_tensors
        n_steps, batch, width = gates.shape
        hidden = width // 4
        i, f, g, o = gates.chunk(4, dim=2)
        # Everything that does not depend on the incoming gradient, for all
        # steps at once; the loop then does six small operations per step.
        to_output = tanh_cells * o * (1 - o)
        to_cell = o * (1 - tanh_cells * tanh_cells)
        to_gates = torch.cat(
            [g * i * (1 - i), cells[:-1] * f * (1 - f), i * (1 - g * g)], dim=2
        ).view(n_steps, batch, 3, hidden)
        grad_gates = torch.empty_like(gates)
        grad_h = torch.zeros_like(hiddens[0])
        grad_c = grad_cell.clone()
        for t in range(n_steps - 1, -1, -1):
            grad_h.add_(grad_outputs[t])
            torch.mul(grad_h, to_output[t], out=grad_gates[t, :, 3 * hidden :])
            grad_c.addcmul_(grad_h, to_cell[t])
            torch.mul(
                to_gates[t],
                grad_c[:, None],
                out=grad_gates[t, :, : 3 * hidden].view(batch, 3, hidden),
            )
            grad_c.mul_(f[t])
            torch.mm(grad_gates[t], w_hh, out=grad_h)
        grad_w = grad_gates.flatten(0, 1).t() @ hiddens[:-1].flatten(0, 1)
        return grad_gates, grad_w, grad_h, grad_c


class _GRURecurrence(torch.autograd.Function):
    """The GRU over all steps, gates in torch's order (reset, update, new);
    ``projected`` holds the input projection with the input biases and the
    reset and update gates' recurrent biases, ``b_hn`` the new gate's."""

    @staticmethod
    def forward(ctx, projected, w_hh, b_hn, h0):
        n_steps, batch, width = projected.shape
        hidden = width // 3
        recurrent_bias = torch.cat([b_hn.new_zeros(2 * hidden), b_hn])
        weight = w_hh.t()
        # Per step: the recurrent product, the reset and update gates (their
        # input part is in place already), the new gate, the interpolation.
        recurrent = recurrent_bias.expand(n_steps, batch, width).clone()
        reset_update = projected[..., : 2 * hidden].clone()
        new = projected.new_empty((n_steps, batch, hidden))
        hiddens = projected.new_empty((n_steps + 1, batch, hidden))
        hiddens[0] = h0
        steps = zip(
            recurrent.unbind(0),
            reset_update.unbind(0),
            new.unbind(0),
            projected[..., 2 * hidden :].unbind(0),
            hiddens.unbind(0),
            hiddens[1:].unbind(0),
        )
        for rec, gate, n, projected_new, h, h_next in steps:
            rec.addmm_(h, weight)
            gate.add_(rec[:, : 2 * hidden]).sigmoid_()
            r, z = gate.chunk(2, dim=1)
            _tanh_(torch.mul(r, rec[:, 2 * hidden :], out=n).add_(projected_new))
            torch.lerp(n, h, z, out=h_next)
        ctx.save_for_backward(recurrent, reset_update, new, hiddens, w_hh)
        return hiddens[1:]

    @staticmethod
    def backward(ctx, grad_outputs):
        recurrent, reset_update, new, hiddens, w_hh = ctx.saved_tensors
        n_steps, batch, width = recurrent.shape
        hidden = width // 3
        r, z = reset_update.chunk(2, dim=2)
        to_new = (1 - z) * (1 - new * new)
        to_update = (hiddens[:-1] - new) * z * (1 - z)
        to_reset = recurrent[..., 2 * hidden :] * r * (1 - r)
        # grad_recurrent: the reset, update and new gates' recurrent
        # pre-activations; the new gate's input part is grad_new.
        grad_recurrent = torch.empty_like(recurrent)
        grad_new = torch.empty_like(new)
        grad_h = torch.zeros_like(hiddens[0])
        steps = list(
            zip(
                grad_outputs.unbind(0),
                grad_new.unbind(0),
                grad_recurrent.unbind(0),
                to_new.unbind(0),
                to_update.unbind(0),
                to_reset.unbind(0),
                r.unbind(0),
                z.unbind(0),
            )
        )
        for grad_out, grad_n, grad_rec, to_n, to_z, to_r, r_t, z_t in reversed(steps):
            grad_h.add_(grad_out)
            torch.mul(grad_h, to_n, out=grad_n)
            torch.mul(grad_h, to_z, out=grad_rec[:, hidden : 2 * hidden])
            torch.mul(grad_n, r_t, out=grad_rec[:, 2 * hidden :])
            torch.mul(grad_n, to_r, out=grad_rec[:, :hidden])
            grad_h.mul_(z_t).addmm_(grad_rec, w_hh)
        grad_projected = torch.cat([grad_recurrent[..., : 2 * hidden], grad_new], dim=2)
        grad_w = grad_recurrent.flatten(0, 1).t() @ hiddens[:-1].flatten(0, 1)
        grad_b_hn = grad_recurrent[..., 2 * hidden :].sum(dim=(0, 1))
        return grad_projected, grad_w, grad_b_hn, grad_h

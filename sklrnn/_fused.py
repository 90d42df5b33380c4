"""A fused tanh recurrence for the CPU: one autograd node per layer.

`torch.nn.RNN` records autograd nodes at every time step, and on a long
sequence of small matrices its backward pass spends more time in the autograd
engine than in arithmetic. Here each layer and direction is one
`torch.autograd.Function`:

- the input projection of all steps is one matrix product, written into
  the buffer of the states;
- the forward loop does per step one matrix product and one sigmoid, in
  place in that buffer;
- the backward loop does per step the derivative of tanh, a multiply (and
  an add when the outputs, not only the final state, have a gradient) and
  one matrix product; the weights' gradients are one product over all
  steps.

``tanh(x)`` is computed as ``2 * sigmoid(2 * x) - 1``: torch's CPU `tanh` is
about five times slower than its `sigmoid`. The results are `torch.nn.RNN`'s
up to float rounding (tested on every direction and depth).

Only the tanh cell is fused. The same construction for the LSTM and the GRU
(in the project's history) was measured slower than torch's own layers:
torch runs the LSTM through oneDNN, and the GRU's extra gate arithmetic is
bound by memory traffic, not by the autograd engine.
"""

import torch
from torch import nn
from torch.nn import functional as F


def fused_applies(rnn, x):
    """True when `run_fused` stands in for ``rnn(x)``: a tanh `nn.RNN` on a
    CPU float tensor of equal-length sequences (ragged input keeps torch's
    packed path, the GPU torch's cuDNN kernels)."""
    return (
        type(rnn) is nn.RNN
        and rnn.nonlinearity == "tanh"
        and rnn.batch_first
        and rnn.bias
        and x.device.type == "cpu"
        and x.dtype in (torch.float32, torch.float64)
    )


def run_fused(rnn, x, state=None):
    """``rnn(x, state)`` for a batch-first tanh `nn.RNN`, computed by the
    fused layers; see `fused_applies`.

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
    """
    directions = 2 if rnn.bidirectional else 1
    if state is None:
        state = x.new_zeros(rnn.num_layers * directions, x.shape[0], rnn.hidden_size)
    layer_input = x.transpose(0, 1)  # time-major from here on
    finals = []
    for layer in range(rnn.num_layers):
        if layer and rnn.dropout and rnn.training:
            layer_input = F.dropout(layer_input, rnn.dropout, training=True)
        outputs = []
        for direction in range(directions):
            suffix = f"_l{layer}" + ("_reverse" if direction else "")
            out, last = _TanhLayer.apply(
                layer_input.flip(0) if direction else layer_input,
                getattr(rnn, "weight_ih" + suffix),
                getattr(rnn, "bias_ih" + suffix) + getattr(rnn, "bias_hh" + suffix),
                getattr(rnn, "weight_hh" + suffix),
                state[layer * directions + direction],
            )
            finals.append(last)
            outputs.append(out.flip(0) if direction else out)
        layer_input = torch.cat(outputs, dim=-1) if directions == 2 else outputs[0]
    return layer_input.transpose(0, 1), torch.stack(finals)


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
        hiddens.mul_(2).sub_(1)
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
        one = outputs.new_ones(())
        grad_pre = torch.empty_like(outputs)
        derivative = torch.empty_like(hiddens[0])
        grad_h = (
            torch.zeros_like(hiddens[0]) if grad_last is None else grad_last.clone()
        )
        # Only the final state has a gradient when the outputs are not read
        # ("last" pooling): then a step has no output gradient to add.
        if grad_outputs is None:
            grad_steps = [None] * len(outputs)
        else:
            grad_steps = grad_outputs.unbind(0)
        steps = list(zip(grad_pre.unbind(0), grad_steps, outputs.unbind(0)))
        for grad_step, grad_out, h in reversed(steps):
            torch.addcmul(one, h, h, value=-1, out=derivative)  # 1 - h**2
            if grad_out is None:
                torch.mul(grad_h, derivative, out=grad_step)
            else:
                torch.add(grad_out, grad_h, out=grad_step).mul_(derivative)
            torch.mm(grad_step, w_hh, out=grad_h)
        grad_pre = grad_pre.flatten(0, 1)
        grad_x = None
        if ctx.needs_input_grad[0]:
            grad_x = (grad_pre @ w_ih).view(*outputs.shape[:2], -1)
        grad_w_ih = grad_pre.t() @ inputs
        grad_w_hh = grad_pre.t() @ hiddens[:-1].flatten(0, 1)
        return grad_x, grad_w_ih, grad_pre.sum(dim=0), grad_w_hh, grad_h

"""`sklrnn._modules.RecurrentModule` written as ONNX nodes, in inference mode.

The recurrent layers become ONNX's own ``LSTM``, ``GRU`` and ``RNN``
operators, one per layer, whose ``sequence_lens`` input reads ragged batches
as torch's packed sequences do. Dropout is the identity at inference and is
left out; each convolution block's batch normalisation is folded into its
convolution.
"""

import numpy as np
from onnx import TensorProto
from torch import nn

# torch stacks the gates of weight_ih/weight_hh as i, f, g, o (LSTM) and
# r, z, n (GRU); ONNX as i, o, f, c and z, r, h.
_GATE_ORDER = {nn.LSTM: [0, 3, 1, 2], nn.GRU: [1, 0, 2], nn.RNN: [0]}
_OPERATOR = {nn.LSTM: "LSTM", nn.GRU: "GRU", nn.RNN: "RNN"}


def _numpy(tensor):
    return tensor.detach().cpu().double().numpy()


def _gates(matrix, order):
    """Reorder the gate blocks stacked along the first axis."""
    chunks = np.split(matrix, len(order))
    return np.concatenate([chunks[i] for i in order])


def _layer_weights(rnn, layer):
    """ONNX's ``W``, ``R`` and ``B`` of one layer of a torch recurrent module,
    directions stacked on the first axis."""
    order = _GATE_ORDER[type(rnn)]
    suffixes = ["", "_reverse"] if rnn.bidirectional else [""]
    W, R, B = [], [], []
    for suffix in suffixes:
        params = {
            name: _numpy(getattr(rnn, f"{name}_l{layer}{suffix}"))
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        }
        W.append(_gates(params["weight_ih"], order))
        R.append(_gates(params["weight_hh"], order))
        B.append(
            np.concatenate(
                [_gates(params["bias_ih"], order), _gates(params["bias_hh"], order)]
            )
        )
    return np.stack(W), np.stack(R), np.stack(B)


def write_recurrent(g, rnn, x, sequence_lens=None, initial_state=None):
    """The stacked recurrent layers over steps-first ``x``.

    Parameters
    ----------
    g : GraphWriter
    rnn : torch.nn.LSTM, torch.nn.GRU or torch.nn.RNN
        With ``batch_first=True`` and biases.
    x : str
        ``(steps, batch, features)`` float input.
    sequence_lens : str or None
        ``(batch,)`` int32 true lengths; None when every step is real.
    initial_state : list or None
        Per layer, ``(h0,)`` or ``(h0, c0)`` of shape ``(directions, batch,
        hidden)``; None starts from zeros.

    Returns
    -------
    outputs : str
        ``(steps, batch, directions * hidden)``, zero on padded steps.
    final_states : list
        Per layer, ``(h_n,)`` or ``(h_n, c_n)`` of shape ``(directions,
        batch, hidden)``.
    """
    kind = type(rnn)
    attributes = {
        "hidden_size": rnn.hidden_size,
        "direction": "bidirectional" if rnn.bidirectional else "forward",
    }
    if kind is nn.GRU:
        attributes["linear_before_reset"] = 1  # torch's GRU
    n_states = 2 if kind is nn.LSTM else 1
    if initial_state and sequence_lens is None:
        # An initial state comes after sequence_lens: give every row all steps.
        n_steps = g.op("Cast", g.dim(x, 0), to=TensorProto.INT32)
        sequence_lens = g.op("Expand", n_steps, g.dim(x, 1))
    final_states = []
    for layer in range(rnn.num_layers):
        W, R, B = (
            g.constant(array, name)
            for array, name in zip(_layer_weights(rnn, layer), "WRB")
        )
        state = list(initial_state[layer]) if initial_state else [None] * n_states
        Y, *states = g.op(
            _OPERATOR[kind],
            x,
            W,
            R,
            B,
            sequence_lens,
            *state,
            n_outputs=1 + n_states,
            **attributes,
        )
        final_states.append(states)
        # (steps, directions, batch, hidden) -> (steps, batch, directions * hidden)
        x = g.op("Transpose", Y, perm=[0, 2, 1, 3])
        x = g.op("Reshape", x, g.ints(0, 0, -1))
    return x, final_states


def _write_frontend(g, frontend, x, lengths):
    """Convolution blocks and max pooling over ``(batch, steps, features)``;
    returns ``(batch, channels, steps)`` and the pooled lengths."""
    x = g.op("Transpose", x, perm=[0, 2, 1])
    mask = None
    if lengths is not None:
        mask = g.op(
            "Cast",
            g.op("Unsqueeze", g.step_mask(lengths, g.dim(x, 2)), g.ints(1)),
            to=TensorProto.FLOAT,
        )
    for block in frontend.blocks:
        pad, conv, norm, _ = block
        left, right = pad.padding
        # BatchNorm in evaluation mode is an affine map of each channel.
        gain = _numpy(norm.weight) / np.sqrt(_numpy(norm.running_var) + norm.eps)
        weight = _numpy(conv.weight) * gain[:, None, None]
        bias = (_numpy(conv.bias) - _numpy(norm.running_mean)) * gain + _numpy(
            norm.bias
        )
        if mask is not None:
            x = g.op("Mul", x, mask)
        x = g.op(
            "Conv",
            x,
            g.constant(weight, "conv_W"),
            g.constant(bias, "conv_B"),
            pads=[left, right],
        )
        x = g.op("Relu", x)
    if mask is not None:
        x = g.op("Mul", x, mask)
    size = frontend.pool_size
    if size > 1:
        x = g.op("MaxPool", x, kernel_shape=[size], strides=[size], ceil_mode=1)
        if lengths is not None:
            lengths = g.op(
                "Div",
                g.op("Add", lengths, g.constant(np.int64(size - 1))),
                g.constant(np.int64(size)),
            )
    return g.op("Transpose", x, perm=[0, 2, 1]), lengths


def token_lengths(g, ids):
    """The length of each row of 0-padded token ids: the position of its last
    non-zero id plus one, as `sklrnn.utils._validation.validate_tokens`."""
    nonzero = g.op(
        "Cast",
        g.op("Not", g.op("Equal", ids, g.constant(np.int64(0)))),
        to=TensorProto.INT64,
    )
    reverse = g.op(
        "Slice",
        nonzero,
        g.ints(-1),
        g.ints(np.iinfo(np.int64).min),
        g.ints(1),
        g.ints(-1),
    )
    last = g.op("ArgMax", reverse, axis=1, keepdims=0)
    return g.op("Sub", g.op("Squeeze", g.dim(ids, 1), g.ints(0)), last)


def write_module(g, module, x, lengths=None):
    """The outputs of ``module`` (a fitted `RecurrentModule`) for ``x``.

    Parameters
    ----------
    g : GraphWriter
    module : sklrnn._modules.RecurrentModule
    x : str
        ``(batch, steps, features)`` float, or ``(batch, steps)`` int64 token
        ids when the module has an embedding.
    lengths : str or None
        ``(batch,)`` int64 true lengths; None when every step is real.

    Returns
    -------
    outputs : str
        ``(batch, outputs)`` float with pooling, else ``(batch, steps,
        outputs)``.
    """
    if module.embedding is not None:
        x = _write_embedding(g, module.embedding, x)
    if module.frontend is not None:
        x, lengths = _write_frontend(g, module.frontend, x, lengths)
    steps_first = g.op("Transpose", x, perm=[1, 0, 2])
    sequence_lens = None
    if lengths is not None:
        sequence_lens = g.op("Cast", lengths, to=TensorProto.INT32)
    outputs, final_states = write_recurrent(g, module.rnn, steps_first, sequence_lens)
    if module.pooling is None:
        outputs = _write_head(g, module.head, outputs)
        return g.op("Transpose", outputs, perm=[1, 0, 2])
    pooled = _write_pooling(g, module.pooling, outputs, final_states, lengths)
    return _write_head(g, module.head, pooled)


def _write_embedding(g, embedding, ids):
    """The embedding vectors of int64 token ``ids`` (any shape)."""
    return g.op("Gather", g.constant(_numpy(embedding.weight), "embedding"), ids)


def _write_head(g, head, x):
    """The linear head over the last axis of ``x``."""
    weight = g.constant(_numpy(head.weight).T, "head_W")
    return g.op(
        "Add", g.op("MatMul", x, weight), g.constant(_numpy(head.bias), "head_B")
    )


def _write_pooling(g, pooling, outputs, final_states, lengths):
    """One vector per sequence from ``(steps, batch, features)`` outputs."""
    if pooling == "last":
        h_n = final_states[-1][0]  # (directions, batch, hidden)
        h_n = g.op("Transpose", h_n, perm=[1, 0, 2])
        return g.op("Reshape", h_n, g.ints(0, -1))
    axis = g.ints(0)
    if lengths is None:
        reduce = "ReduceMean" if pooling == "mean" else "ReduceMax"
        return g.op(reduce, outputs, axis, keepdims=0)
    mask = g.step_mask(lengths, g.dim(outputs, 0))  # (batch, steps)
    mask = g.op("Unsqueeze", g.op("Transpose", mask, perm=[1, 0]), g.ints(2))
    if pooling == "mean":
        weights = g.op("Cast", mask, to=TensorProto.FLOAT)
        total = g.op("ReduceSum", g.op("Mul", outputs, weights), axis, keepdims=0)
        return g.op("Div", total, g.op("ReduceSum", weights, axis, keepdims=0))
    masked = g.op("Where", mask, outputs, g.constant(np.float32(-np.inf)))
    return g.op("ReduceMax", masked, axis, keepdims=0)


def write_step(g, module, input_ids, state):
    """One step of a token model: logits and the next state.

    ``input_ids`` is ``(batch,)`` int64, ``state`` a list of ``(layers,
    batch, hidden)`` tensors (h, and c for an LSTM). Returns the ``(batch,
    outputs)`` logits and the new state tensors.
    """
    x = _write_embedding(g, module.embedding, input_ids)
    x = g.op("Unsqueeze", x, g.ints(0))  # one step: (1, batch, features)
    initial = [
        [g.op("Slice", s, g.ints(layer), g.ints(layer + 1), g.ints(0)) for s in state]
        for layer in range(module.rnn.num_layers)
    ]
    outputs, final_states = write_recurrent(g, module.rnn, x, None, initial)
    new_state = [
        g.op("Concat", *[states[i] for states in final_states], axis=0)
        for i in range(len(state))
    ]
    last = g.op("Squeeze", outputs, g.ints(0))
    return _write_head(g, module.head, last), new_state

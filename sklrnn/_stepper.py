"""A numpy stepper that runs a trained token model one token at a time, for
text generation."""

import contextlib
import functools

import numpy as np
import torch
from threadpoolctl import ThreadpoolController
from torch import nn


def _sigmoid_gates(cell):
    """Number of leading gate blocks that go through a sigmoid."""
    return {"lstm": 3, "gru": 2, "rnn": 0}[cell]


@functools.cache
def _blas_controller():
    """threadpoolctl's view of the loaded BLAS libraries, found once."""
    return ThreadpoolController()


def _saturating_exp():
    """A gate far into saturation overflows ``exp`` to inf, and 1 / (1 + inf)
    is the sigmoid's limit, 0: the overflow is expected, not worth a warning."""
    return np.errstate(over="ignore")


def _transposed(matrix):
    """A C-contiguous transposed copy (torch transposes faster than numpy)."""
    return torch.from_numpy(np.ascontiguousarray(matrix)).T.contiguous().numpy()


def _gumbel(random_state, size):
    """Standard Gumbel noise as float32: ``-log(E)`` with ``E = -log(U)``
    exponential, faster than `numpy.random.RandomState.gumbel`.

    ``E`` is computed in float64, where it is never 0 (``U < 1``); ``U = 0``
    gives ``-inf``, which is never drawn.
    """
    with np.errstate(divide="ignore"):
        noise = np.log(random_state.random_sample(size))
        noise = np.negative(noise, out=noise).astype(np.float32)
        np.log(noise, out=noise)
    return np.negative(noise, out=noise)


class RecurrentStepper:
    """Run a token-input `RecurrentModule` one token at a time, in numpy.

    Sampling text is a loop of tiny steps: one matrix-vector product per layer
    and a few operations on vectors of ``hidden_size`` numbers. At that size a
    torch call costs more in dispatch than in arithmetic, so the stepper reads
    the module's weights once into numpy arrays laid out for the loop:

    - the embedding times the first layer's input weights, plus the biases,
      is a table of gate pre-activations with one row per token: reading a
      token costs a row lookup, not an embedding and a product;
    - the sigmoid gates (the LSTM's input, forget and output gates, put side
      by side; the GRU's reset and update gates) have their weights negated,
      so that they come out of ``1 / (1 + exp(gates))`` with no negation
      per step; numpy's ``exp`` is twice as fast as its ``tanh``;
    - with one layer, the output layer's weights sit beside the
      recurrent weights, so a single matrix-vector product gives the logits
      of the current state and the recurrent part of the next step's gates;
    - the output layer is divided by the temperature once, and sampling is the
      Gumbel-max trick: ``argmax(logits / temperature + gumbel_noise)`` draws
      from ``softmax(logits / temperature)``, with the noise of a whole block
      of steps drawn in one call.

    Every step writes into buffers allocated once; the matrix-vector
    products run on one BLAS thread. Dropout is off, as in ``module.eval()``.

    Parameters
    ----------
    module : RecurrentModule
        A unidirectional module with an embedding and ``pooling=None``.
    temperature : float, default=1.0
        Divides the logits before sampling.
    """

    def __init__(self, module, temperature=1.0):
        rnn = module.rnn
        if module.embedding is None or rnn.bidirectional:
            raise ValueError("RecurrentStepper needs a unidirectional token model.")
        self.cell = {nn.LSTM: "lstm", nn.GRU: "gru", nn.RNN: "rnn"}[type(rnn)]
        if self.cell == "rnn" and rnn.nonlinearity != "tanh":
            raise ValueError("RecurrentStepper supports the tanh RNN only.")
        self.hidden_size = hidden = rnn.hidden_size
        self.num_layers = rnn.num_layers
        with torch.inference_mode():
            weights = {
                name: param.detach().to("cpu", torch.float32).numpy()
                for name, param in rnn.named_parameters()
            }
            emb = module.embedding.weight.detach().to("cpu", torch.float32).numpy()
            head_w = module.head.weight.detach().to("cpu", torch.float32).numpy()
            head_b = module.head.bias.detach().to("cpu", torch.float32).numpy()
        n_gates = {"lstm": 4, "gru": 3, "rnn": 1}[self.cell]
        n_rows = n_gates * hidden
        order = np.arange(n_rows)
        if self.cell == "lstm":  # torch's i, f, g, o -> i, f, o, g
            order = np.r_[
                : 2 * hidden, 3 * hidden : 4 * hidden, 2 * hidden : 3 * hidden
            ]
        scale = np.ones((n_rows, 1), dtype=np.float32)
        scale[: _sigmoid_gates(self.cell) * hidden] = -1.0
        bias_ih, bias_hh = weights["bias_ih_l0"][order], weights["bias_hh_l0"][order]
        # The product in torch: numpy's BLAS threads would spin on after it,
        # taking a core from the torch prompt read that follows.
        table = (
            torch.from_numpy(emb) @ torch.from_numpy(weights["weight_ih_l0"][order]).T
        ).numpy() + bias_ih
        if self.cell == "gru":  # n's recurrent bias is multiplied by r
            table[:, : 2 * hidden] += bias_hh[: 2 * hidden]
            self._bias_hn = bias_hh[2 * hidden :].copy()
        else:
            table += bias_hh
        self._table = np.ascontiguousarray(table * scale[:, 0], dtype=np.float32)
        # Transposed, (inputs, outputs): the products are ``state @ weight``,
        # which BLAS runs faster than ``weight @ state`` on torch's layout.
        # With one layer the output layer sits beside the recurrent weights,
        # for the single product per step.
        n_outputs = head_w.shape[0]
        rows = np.empty((n_rows + n_outputs, hidden), dtype=np.float32)
        np.multiply(weights["weight_hh_l0"][order], scale, out=rows[:n_rows])
        np.divide(head_w, temperature, out=rows[n_rows:])
        self._stacked = _transposed(rows)
        self._n_gates = n_rows
        self._head_b = (head_b / temperature).astype(np.float32)
        self._upper = [
            self._upper_layer(weights, layer, order, scale)
            for layer in range(1, self.num_layers)
        ]
        self.n_outputs = n_outputs
        size = self.num_layers * hidden
        self._h = np.zeros(size, dtype=np.float32)  # the layers side by side
        self._c = np.zeros(size, dtype=np.float32)  # LSTM cell states
        self._build_loop()

    def _upper_layer(self, weights, layer, order, scale):
        """Weights acting on ``[h_below, h_own]`` and the bias, for a layer > 0."""
        w_ih = weights[f"weight_ih_l{layer}"][order]
        w_hh = weights[f"weight_hh_l{layer}"][order]
        b_ih = weights[f"bias_ih_l{layer}"][order]
        b_hh = weights[f"bias_hh_l{layer}"][order]
        if self.cell != "gru":
            stacked = np.concatenate([w_ih, w_hh], axis=1) * scale
            return _transposed(stacked), (b_ih + b_hh) * scale[:, 0]
        # GRU: four blocks [r, z, n from the input, n from the recurrence],
        # because the recurrent part of n is multiplied by r before the sum.
        h = self.hidden_size
        w = np.zeros((4 * h, 2 * h), dtype=np.float32)
        w[: 3 * h, :h] = w_ih
        w[: 2 * h, h:] = w_hh[: 2 * h]
        w[3 * h :, h:] = w_hh[2 * h :]
        bias = np.concatenate(
            [b_ih[: 2 * h] + b_hh[: 2 * h], b_ih[2 * h :], b_hh[2 * h :]]
        )
        scale4 = np.concatenate([scale, np.ones((h, 1), dtype=np.float32)])
        return _transposed(w * scale4), (bias * scale4[:, 0]).astype(np.float32)

    def _update(self, gates, h, c, first):
        """Return ``update(inputs)``: finish a layer's step from its ``gates``.

        ``gates`` holds the recurrent product; ``inputs`` is the input part
        (a token's table row for the first layer, the bias for the others).
        Every call writes into preallocated buffers; nothing is allocated.
        """
        hidden = self.hidden_size
        tanh, exp, add, mul, sub = np.tanh, np.exp, np.add, np.multiply, np.subtract
        reciprocal = np.reciprocal
        # An array, not the scalar 1: numpy converts a Python scalar on every
        # call, which costs as much as the addition itself.
        ones = np.ones(_sigmoid_gates(self.cell) * hidden, dtype=np.float32)
        scratch = np.empty(hidden, dtype=np.float32)
        if self.cell == "rnn":

            def update(inputs):
                add(gates, inputs, gates)
                tanh(gates, h)

        elif self.cell == "lstm":
            ifo, i, f = gates[: 3 * hidden], gates[:hidden], gates[hidden : 2 * hidden]
            o, g = gates[2 * hidden : 3 * hidden], gates[3 * hidden :]

            def update(inputs):
                add(gates, inputs, gates)
                exp(ifo, ifo)  # sigmoid of the negated pre-activations
                add(ifo, ones, ifo)
                reciprocal(ifo, ifo)
                tanh(g, g)
                mul(c, f, c)
                mul(i, g, scratch)
                add(c, scratch, c)
                tanh(c, h)
                mul(h, o, h)

        else:  # gru
            rz, r, z = gates[: 2 * hidden], gates[:hidden], gates[hidden : 2 * hidden]
            n = gates[2 * hidden :] if first else gates[3 * hidden :]
            bias_hn = self._bias_hn

            def update(inputs):
                if first:  # gates: recurrent [r, z, n]; inputs: input [r, z, n]
                    add(rz, inputs[: 2 * hidden], rz)
                    add(n, bias_hn, n)
                    n_in = inputs[2 * hidden :]
                else:  # gates: [r, z, n input, n recurrent]; inputs: their bias
                    add(gates, inputs, gates)
                    n_in = gates[2 * hidden : 3 * hidden]
                exp(rz, rz)  # sigmoid of the negated pre-activations
                add(rz, ones, rz)
                reciprocal(rz, rz)
                mul(n, r, n)
                add(n, n_in, n)
                tanh(n, n)
                sub(h, n, h)  # h = n + z * (h - n)
                mul(h, z, h)
                add(h, n, h)

        return update

    def _build_loop(self):
        """Make ``self._prepare()`` and ``self._advance(row)``.

        ``_prepare`` puts the current state's logits (divided by the
        temperature, without the bias) in ``self._logits``; ``_advance`` reads
        one input, given as its table row. With one layer, ``_prepare``'s
        single product also gives the recurrent part of the next step.
        """
        hidden, dot = self.hidden_size, np.dot
        n_gates = self._n_gates
        h0, c0 = self._h[:hidden], self._c[:hidden]
        top = self._h[(self.num_layers - 1) * hidden :]
        upper = []
        for layer, (weight, bias) in enumerate(self._upper, start=1):
            gates = np.empty(weight.shape[1], dtype=np.float32)
            source = self._h[(layer - 1) * hidden : (layer + 1) * hidden]
            h, c = (
                state[layer * hidden : (layer + 1) * hidden]
                for state in (self._h, self._c)
            )
            upper.append(
                (source, weight, bias, gates, self._update(gates, h, c, False))
            )
        if self.num_layers == 1:
            out = np.empty(self._stacked.shape[1], dtype=np.float32)
            gates0, self._logits = out[:n_gates], out[n_gates:]
            prepare = functools.partial(dot, h0, self._stacked, out=out)
            advance = self._update(gates0, h0, c0, True)
        else:
            gates0 = np.empty(n_gates, dtype=np.float32)
            self._logits = logits = np.empty(self.n_outputs, dtype=np.float32)
            update0 = self._update(gates0, h0, c0, True)
            w_hh0 = np.ascontiguousarray(self._stacked[:, :n_gates])
            head_w = np.ascontiguousarray(self._stacked[:, n_gates:])
            prepare = functools.partial(dot, top, head_w, out=logits)

            def advance(row):
                dot(h0, w_hh0, out=gates0)
                update0(row)
                for source, weight, bias, gates, update in upper:
                    dot(source, weight, out=gates)
                    update(bias)

        self._gates0 = gates0
        self._prepare, self._advance = prepare, advance

    def reset(self):
        """Set every layer's state to zero, as at the start of a sequence."""
        self._h[:] = 0.0
        self._c[:] = 0.0
        self._gates0[:] = 0.0  # a prepared recurrent product of the zero state

    def load_state(self, state):
        """Take the state that the module's ``rnn`` returned for a batch of one."""
        if isinstance(state, tuple):
            self._c[:] = state[1][:, 0].reshape(-1).cpu().numpy()
            state = state[0]
        self._h[:] = state[:, 0].reshape(-1).cpu().numpy()

    def read(self, input_ids):
        """Advance the state over a sequence of input token ids."""
        with _saturating_exp():
            for token in input_ids:
                self._prepare()
                self._advance(self._table[token])

    def logits(self):
        """Logits of the current state, divided by the temperature."""
        self._prepare()
        return self._logits + self._head_b

    def sample(
        self,
        n_steps,
        random_state,
        *,
        inputs_of_outputs,
        top_k=None,
        restart_output=None,
        restart_input=0,
        block=1024,
    ):
        """Draw ``n_steps`` outputs, reading each one back as the next input.

        Parameters
        ----------
        n_steps : int
            Number of outputs to draw.
        random_state : numpy.random.RandomState
            Source of the Gumbel noise; the only randomness used.
        inputs_of_outputs : ndarray of int
            The input token id that stands for each output.
        top_k : int or None, default=None
            Draw among the ``top_k`` most likely outputs only.
        restart_output : int or None, default=None
            After this output the state is reset and ``restart_input`` is
            read, as at the start of a new sequence (a line break, say).
        restart_input : int, default=0
            Input read after a restart.
        block : int, default=1024
            Steps whose noise is drawn in one call.

        Returns
        -------
        outputs : ndarray of shape (n_steps,), dtype int64
        """
        # Views of the table's rows; a list indexes faster than an array.
        rows = [self._table[i] for i in inputs_of_outputs]
        restart_row = self._table[restart_input]
        restart_output = -1 if restart_output is None else restart_output
        prepare, advance, logits = self._prepare, self._advance, self._logits
        bias, n_out = self._head_b, self.n_outputs
        k = None if top_k is None or top_k >= n_out else int(top_k)
        outputs, add = np.empty(n_steps, dtype=np.int64), np.add
        # One BLAS thread: a matrix-vector product this small only loses time
        # waiting for a second thread, all the more when the cores are busy.
        blas = _blas_controller().limit(limits=1, user_api="blas")
        with blas, _saturating_exp():
            for start in range(0, n_steps, block):
                noise = _gumbel(random_state, (min(block, n_steps - start), k or n_out))
                if k is None:
                    noise += bias
                for t, noise_row in enumerate(noise, start):
                    prepare()
                    if k is None:
                        add(logits, noise_row, logits)
                        out = logits.argmax()
                    else:
                        scores = logits + bias
                        best = np.argpartition(scores, -k)[-k:]
                        out = best[(scores[best] + noise_row).argmax()]
                    outputs[t] = out
                    if out == restart_output:
                        self.reset()
                        advance(restart_row)
                    else:
                        advance(rows[out])
        return outputs


@contextlib.contextmanager
def cached_stepper(generator, temperature=1.0):
    """A `RecurrentStepper` of a fitted generator's module, kept on the
    generator (``_stepper_cache``) for later calls with the same temperature:
    building one costs as much as 40 steps. The generator's `fit` drops it.

    The stepper is taken out of the cache while in use, so a concurrent call
    builds its own rather than share the state.
    """
    cached_temperature, stepper = generator.__dict__.pop("_stepper_cache", (None, None))
    if cached_temperature != temperature:
        stepper = RecurrentStepper(generator.net_.module_, temperature)
    try:
        yield stepper
    finally:
        generator._stepper_cache = (temperature, stepper)

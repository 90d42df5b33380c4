"""Plain torch modules behind the estimators; no scikit-learn in here."""

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from sklrnn._fused import fused_applies, run_fused
from sklrnn._ragged import dense_applies, run_dense

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}
IGNORE_INDEX = -100  # target of a padded step: torch's cross-entropy skips it


def init_recurrent_weights(rnn):
    """Keras' initialisation: Glorot inputs, orthogonal recurrence, zero biases.

    The LSTM forget gate starts with a bias of one so that early training
    keeps its memory; PyTorch's default uniform initialisation trains the
    tutorials' models to a much worse loss in the same number of epochs.
    """
    gates = {nn.LSTM: 4, nn.GRU: 3}.get(type(rnn), 1)
    hidden = rnn.hidden_size
    with torch.no_grad():
        for name, param in rnn.named_parameters():
            if name.startswith("weight_ih"):
                nn.init.xavier_uniform_(param)
            elif name.startswith("weight_hh"):
                for gate in range(gates):
                    nn.init.orthogonal_(param[gate * hidden : (gate + 1) * hidden])
            elif name.startswith("bias"):
                param.zero_()
                if isinstance(rnn, nn.LSTM) and name.startswith("bias_ih"):
                    param[hidden : 2 * hidden] = 1.0  # gate order i, f, g, o


def step_mask(lengths, n_steps):
    """``(batch, steps, 1)`` booleans: True on the real steps of each sequence."""
    steps = torch.arange(n_steps, device=lengths.device)
    return (steps[None, :] < lengths[:, None]).unsqueeze(-1)


class ConvFrontEnd(nn.Module):
    """Convolution blocks over the steps (LSTM-FCN's recipe), then max pooling.

    Each block is Conv1d (zero-padded to keep the steps), BatchNorm and ReLU.
    Padded steps are zeroed before and after every block, so they reach no real
    step through the next kernel; since ReLU outputs are never negative, a zero
    never wins the max pooling either, and padding cannot change a result.
    ``pool_size`` steps become one (the last window may be shorter), which
    shortens long sequences before the recurrent layer reads them.
    """

    def __init__(self, input_size, channels, kernel_size, pool_size=1):
        super().__init__()
        layers = []
        for width in channels:
            # Zero padding on both sides keeps the number of steps (torch's
            # "same", which warns on even kernels).
            left = (kernel_size - 1) // 2
            layers.append(
                nn.Sequential(
                    nn.ConstantPad1d((left, kernel_size - 1 - left), 0.0),
                    nn.Conv1d(input_size, width, kernel_size),
                    nn.BatchNorm1d(width),
                    nn.ReLU(),
                )
            )
            input_size = width
        self.blocks = nn.ModuleList(layers)
        self.pool_size = pool_size
        self.output_size = input_size

    def forward(self, x, lengths=None):
        """Map ``(batch, steps, features)`` to ``(batch, steps / pool_size,
        channels)``; return it with the new lengths (None stays None)."""
        mask = None
        if lengths is not None:
            lengths = lengths.to(x.device)
            mask = step_mask(lengths, x.shape[1]).transpose(1, 2)
        x = x.transpose(1, 2)  # Conv1d reads (batch, features, steps)
        for block in self.blocks:
            if mask is not None:
                x = x * mask
            x = block(x)
        if mask is not None:
            x = x * mask
        if self.pool_size > 1:
            x = nn.functional.max_pool1d(x, self.pool_size, ceil_mode=True)
            if lengths is not None:
                lengths = torch.div(
                    lengths + self.pool_size - 1, self.pool_size, rounding_mode="floor"
                )
        return x.transpose(1, 2), lengths


class RecurrentModule(nn.Module):
    """Input dropout, a convolutional front-end, a stacked LSTM/GRU/RNN,
    pooling over steps, a linear head.

    Parameters
    ----------
    input_size : int
        Features per step (ignored when ``num_embeddings`` is set).
    output_size : int
        Width of the linear head.
    cell : {"lstm", "gru", "rnn"}
        Recurrent cell; ``"rnn"`` is the tanh Elman cell.
    hidden_size, num_layers, bidirectional, dropout
        As in `torch.nn.LSTM`; ``dropout`` also applies to the inputs.
    pooling : {"last", "mean", "max"} or None
        How the steps' outputs become one vector per sequence. ``"last"``
        takes each direction's final state at the sequence's true end. None
        keeps one output per step (sequence tagging).
    num_embeddings, embedding_dim : int or None
        When set, inputs are token ids fed through an embedding.
    conv_channels : sequence of int
        Output channels of the convolution blocks before the recurrent
        layer; empty for none.
    conv_kernel_size : int
        Kernel width (steps) of every convolution block.
    pool_size : int
        Max pooling factor after the convolution blocks (1: none).
    fused : bool
        Run the ``"rnn"`` cell, and the ``"gru"`` in training, through
        `sklrnn._fused` where it applies (CPU): 1.15-2.0 times faster than
        torch's layers; and read ragged batches of these cells densely in
        training (`sklrnn._ragged`) instead of packing them. False always
        runs torch's layer, packed for ragged batches; the ``"lstm"`` always
        does.
    """

    def __init__(
        self,
        input_size,
        output_size,
        cell="lstm",
        hidden_size=32,
        num_layers=1,
        bidirectional=False,
        dropout=0.0,
        pooling="last",
        num_embeddings=None,
        embedding_dim=None,
        conv_channels=(),
        conv_kernel_size=5,
        pool_size=1,
        fused=True,
    ):
        super().__init__()
        self.fused = fused
        self.embedding = None
        if num_embeddings is not None:
            self.embedding = nn.Embedding(num_embeddings, embedding_dim, padding_idx=0)
            input_size = embedding_dim
        self.input_dropout = nn.Dropout(dropout) if dropout else nn.Identity()
        self.frontend = None
        if conv_channels:
            self.frontend = ConvFrontEnd(
                input_size, conv_channels, conv_kernel_size, pool_size
            )
            input_size = self.frontend.output_size
        self.rnn = CELLS[cell](
            input_size,
            hidden_size,
            num_layers=num_layers,
            batch_first=True,
            bidirectional=bidirectional,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        init_recurrent_weights(self.rnn)
        self.pooling = pooling
        self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), output_size)

    def forward(self, x, lengths=None, state=None, return_state=False):
        """Outputs of the head for a batch of sequences.

        ``x`` is ``(batch, steps, features)``, or ``(batch, steps)`` token ids;
        ``lengths`` the true steps of padded sequences (None: all real).
        ``state`` is the recurrent layers' state to start from (None: zeros),
        as returned with ``return_state=True``, which gives ``(outputs,
        state)``: reading a long sequence in slices of steps, carrying the
        state, gives the outputs of reading it whole.
        """
        if self.embedding is not None:
            x = self.embedding(x)
        x = self.input_dropout(x)
        if self.frontend is not None:
            x, lengths = self.frontend(x, lengths)
        if lengths is None:
            if self.fused and fused_applies(self.rnn, x):
                outputs, state = run_fused(self.rnn, x, state)
            else:
                outputs, state = self.rnn(x, state)
            mask = None
        else:
            if self.fused and dense_applies(self.rnn, x, lengths):
                outputs, state = run_dense(self.rnn, x, lengths, state)
            else:
                packed = pack_padded_sequence(
                    x, lengths.cpu(), batch_first=True, enforce_sorted=False
                )
                outputs, state = self.rnn(packed, state)
                outputs, _ = pad_packed_sequence(
                    outputs, batch_first=True, total_length=x.shape[1]
                )
            mask = step_mask(lengths.to(x.device), x.shape[1])
        if self.pooling is None:
            outputs = self.head(outputs)
        else:
            outputs = self.head(self._pool(outputs, state, mask))
        return (outputs, state) if return_state else outputs

    def _pool(self, outputs, state, mask):
        if self.pooling == "last":
            h_n = state[0] if isinstance(state, tuple) else state
            if not self.rnn.bidirectional:
                return h_n[-1]
            return torch.cat([h_n[-2], h_n[-1]], dim=-1)
        if self.pooling == "mean":
            if mask is None:
                return outputs.mean(dim=1)
            return (outputs * mask).sum(dim=1) / mask.sum(dim=1)
        if mask is not None:
            outputs = outputs.masked_fill(~mask, float("-inf"))
        return outputs.max(dim=1).values


class StepCrossEntropy(nn.CrossEntropyLoss):
    """Cross-entropy over every step of ``(batch, steps, classes)`` logits.

    Targets of padded steps are ``ignore_index`` (`IGNORE_INDEX`), so
    padding never enters the loss.
    """

    def forward(self, logits, target):
        return super().forward(logits.flatten(0, 1), target.flatten())


class PinballLoss(nn.Module):
    """The pinball (quantile) loss, averaged over samples and outputs.

    For a residual ``r = target - prediction`` it is ``quantile * r`` when
    ``r >= 0`` and ``(quantile - 1) * r`` otherwise: minimised by the
    ``quantile``-quantile of the target (the median for 0.5, where it is half
    the absolute error).
    """

    def __init__(self, quantile=0.5):
        super().__init__()
        self.quantile = quantile

    def forward(self, prediction, target):
        residual = target - prediction
        return torch.maximum(
            self.quantile * residual, (self.quantile - 1) * residual
        ).mean()

"""Ragged batches read densely give what torch's packed layers give."""

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from sklrnn import _ragged
from sklrnn._modules import RecurrentModule
from sklrnn._ragged import dense_applies, run_dense


def _packed(rnn, x, lengths, h0):
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    outputs, h_n = rnn(packed, h0)
    outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=x.shape[1])
    return outputs, h_n


def _outputs_and_gradients(forward, rnn, x, lengths, h0):
    for tensor in [*rnn.parameters(), x, h0]:
        tensor.grad = None
    outputs, h_n = forward(rnn, x, lengths, h0)
    loss = (outputs**2).sum() + (1.3 * h_n).sum() + (h_n**2).sum()
    loss.backward()
    gradients = [p.grad.clone() for p in rnn.parameters()]
    return [outputs.detach(), h_n.detach(), *gradients, x.grad, h0.grad]


@pytest.mark.parametrize("cell", [nn.GRU, nn.RNN])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_matches_the_packed_layer(cell, num_layers, bidirectional):
    torch.manual_seed(0)
    rnn = cell(3, 5, num_layers, batch_first=True, bidirectional=bidirectional)
    rnn = rnn.double()
    directions = 2 if bidirectional else 1
    x = torch.randn(4, 7, 3, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(
        num_layers * directions, 4, 5, dtype=torch.float64, requires_grad=True
    )
    lengths = torch.tensor([7, 3, 1, 6])

    expected = _outputs_and_gradients(_packed, rnn, x, lengths, h0)
    got = _outputs_and_gradients(run_dense, rnn, x, lengths, h0)

    for want, have in zip(expected, got):
        assert have.shape == want.shape
        torch.testing.assert_close(have, want, rtol=1e-12, atol=1e-12)


def test_padding_never_reaches_a_result():
    torch.manual_seed(1)
    gru = nn.GRU(2, 4, batch_first=True, bidirectional=True)
    x = torch.randn(3, 6, 2)
    lengths = torch.tensor([6, 2, 4])
    outputs, h_n = run_dense(gru, x, lengths)
    noisy = x.clone()
    for row, length in enumerate(lengths):
        noisy[row, length:] = 1e3
    noisy_outputs, noisy_h_n = run_dense(gru, noisy, lengths)
    torch.testing.assert_close(noisy_outputs, outputs)
    torch.testing.assert_close(noisy_h_n, h_n)
    assert (outputs[1, 2:] == 0).all()


def test_dropout_between_layers_is_reproducible():
    gru = nn.GRU(3, 5, 2, batch_first=True, dropout=0.5).train()
    x, lengths = torch.randn(4, 6, 3), torch.tensor([6, 2, 5, 3])
    torch.manual_seed(3)
    first, _ = run_dense(gru, x, lengths)
    torch.manual_seed(3)
    second, _ = run_dense(gru, x, lengths)
    torch.testing.assert_close(first, second, rtol=0, atol=0)


def test_applies_to_gru_and_tanh_rnn_with_little_padding():
    x = torch.randn(4, 10, 3)
    full = torch.tensor([10, 10, 10, 10])
    gru = nn.GRU(3, 5, batch_first=True)
    assert dense_applies(gru, x, full)
    assert dense_applies(nn.RNN(3, 5, batch_first=True), x, full)
    assert not dense_applies(nn.LSTM(3, 5, batch_first=True), x, full)
    assert not dense_applies(
        nn.RNN(3, 5, batch_first=True, nonlinearity="relu"), x, full
    )
    assert not dense_applies(nn.GRU(3, 5), x, full)  # time-major module
    # 40 padded steps for 14 real ones: more than MAX_PADDING times.
    assert not dense_applies(gru, x, torch.tensor([10, 2, 1, 1]))
    with torch.no_grad():  # prediction: no backward pass to save
        assert not dense_applies(gru, x, full)


@pytest.mark.parametrize("cell", ["gru", "rnn"])
@pytest.mark.parametrize("pooling", ["last", "mean", "max", None])
def test_module_reads_ragged_batches_as_when_packed(cell, pooling, monkeypatch):
    torch.manual_seed(0)
    params = dict(cell=cell, hidden_size=6, num_layers=2, bidirectional=True)
    dense = RecurrentModule(3, 2, pooling=pooling, **params).double()
    packed = RecurrentModule(3, 2, pooling=pooling, fused=False, **params).double()
    packed.load_state_dict(dense.state_dict())
    x = torch.randn(5, 7, 3, dtype=torch.float64)
    lengths = torch.tensor([7, 3, 5, 1, 6])
    want = packed(x, lengths)
    torch.testing.assert_close(dense(x, lengths), want, rtol=1e-12, atol=1e-12)
    # With too much padding the module packs the batch itself.
    monkeypatch.setattr(_ragged, "MAX_PADDING", 1.0)
    torch.testing.assert_close(dense(x, lengths), want, rtol=1e-12, atol=1e-12)

"""The fused tanh and GRU recurrences compute what torch.nn.RNN and
torch.nn.GRU compute."""

import numpy as np
import pytest
import torch
from torch import nn

from sklrnn import LSTMRegressor, SequenceClassifier
from sklrnn import _fused as fused_module
from sklrnn._fused import fused_applies, run_fused
from sklrnn._modules import RecurrentModule


def _outputs_and_gradients(forward, rnn, x, h0, state_only=False):
    """Outputs, final state and the gradients of every parameter, the input
    and the initial state for a loss that reads both outputs and state, or
    the state only (as "last" pooling does)."""
    for tensor in [*rnn.parameters(), x, h0]:
        tensor.grad = None
    outputs, h_n = forward(x, h0)
    loss = (1.7 * h_n).sum() + (h_n**2).sum()
    if not state_only:
        loss = loss + (outputs**2).sum()
    loss.backward()
    gradients = [p.grad.clone() for p in rnn.parameters()]
    return [outputs.detach(), h_n.detach(), *gradients, x.grad, h0.grad]


@pytest.mark.parametrize("num_layers", [1, 2, 3])
@pytest.mark.parametrize("input_size", [1, 3])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("state_only", [False, True])
@pytest.mark.parametrize("cell", [nn.RNN, nn.GRU])
def test_matches_torch_rnn(
    num_layers, input_size, bidirectional, dtype, state_only, cell
):
    torch.manual_seed(0)
    rnn = cell(input_size, 5, num_layers, batch_first=True, bidirectional=bidirectional)
    rnn = rnn.to(dtype)
    directions = 2 if bidirectional else 1
    x = torch.randn(4, 9, input_size, dtype=dtype, requires_grad=True)
    h0 = torch.randn(num_layers * directions, 4, 5, dtype=dtype, requires_grad=True)

    expected = _outputs_and_gradients(rnn, rnn, x, h0, state_only)
    fused = lambda x, h: run_fused(rnn, x, h)  # noqa: E731
    got = _outputs_and_gradients(fused, rnn, x, h0, state_only)

    tolerance = 1e-5 if dtype == torch.float32 else 1e-12
    for want, have in zip(expected, got):
        assert have.shape == want.shape
        torch.testing.assert_close(have, want, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("steps_per_chunk", [1, 2, 4])
@pytest.mark.parametrize("state_only", [False, True])
@pytest.mark.parametrize("cell, gates", [(nn.RNN, 1), (nn.GRU, 3)])
def test_backward_in_chunks_of_steps(
    monkeypatch, steps_per_chunk, state_only, cell, gates
):
    """The backward pass walks the steps in chunks (the last one shorter when
    the steps do not divide): every chunking gives torch's gradients."""
    # A chunk holds CHUNK_SIZE floats of batch 4 x gates x hidden 5 per step.
    monkeypatch.setattr(fused_module, "CHUNK_SIZE", steps_per_chunk * 4 * gates * 5)
    torch.manual_seed(2)
    rnn = cell(3, 5, 2, batch_first=True, bidirectional=True).double()
    x = torch.randn(4, 9, 3, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(4, 4, 5, dtype=torch.float64, requires_grad=True)
    expected = _outputs_and_gradients(rnn, rnn, x, h0, state_only)
    fused = lambda x, h: run_fused(rnn, x, h)  # noqa: E731
    got = _outputs_and_gradients(fused, rnn, x, h0, state_only)
    for want, have in zip(expected, got):
        torch.testing.assert_close(have, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("input_size", [1, 2])
@pytest.mark.parametrize("cell", [nn.RNN, nn.GRU])
def test_zero_state_by_default_and_long_sequences(input_size, cell):
    torch.manual_seed(1)
    rnn = cell(input_size, 8, batch_first=True)
    x = torch.randn(3, 400, input_size)
    outputs, h_n = run_fused(rnn, x)
    want_outputs, want_h_n = rnn(x)
    torch.testing.assert_close(outputs, want_outputs, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(h_n, want_h_n, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("cell", [nn.RNN, nn.GRU])
def test_dropout_between_layers_is_reproducible(cell):
    rnn = cell(3, 5, 2, batch_first=True, dropout=0.5).train()
    x = torch.randn(4, 6, 3)
    torch.manual_seed(3)
    first, _ = run_fused(rnn, x)
    torch.manual_seed(3)
    second, _ = run_fused(rnn, x)
    torch.testing.assert_close(first, second, rtol=0, atol=0)
    without, _ = run_fused(rnn.eval(), x)
    assert not torch.allclose(first, without)


def test_applies_to_tanh_rnn_and_gru_in_training_on_cpu_only():
    x = torch.randn(2, 3, 4)
    assert fused_applies(nn.RNN(4, 5, batch_first=True), x)
    assert not fused_applies(nn.RNN(4, 5, batch_first=True, nonlinearity="relu"), x)
    assert not fused_applies(nn.RNN(4, 5), x)  # time-major module
    assert fused_applies(nn.GRU(4, 5, batch_first=True), x)
    with torch.no_grad():  # prediction: torch's GRU is faster there
        assert not fused_applies(nn.GRU(4, 5, batch_first=True), x)
        assert fused_applies(nn.RNN(4, 5, batch_first=True), x)
    assert not fused_applies(nn.LSTM(4, 5, batch_first=True), x)
    assert not fused_applies(nn.RNN(4, 5, batch_first=True), x.double().half())


@pytest.mark.parametrize("pooling", ["last", "mean", "max", None])
@pytest.mark.parametrize("cell", ["rnn", "gru"])
def test_module_gives_the_same_with_and_without_fusion(pooling, cell):
    torch.manual_seed(0)
    fused = RecurrentModule(
        3, 2, cell=cell, hidden_size=6, bidirectional=True, pooling=pooling
    )
    plain = RecurrentModule(
        3,
        2,
        cell=cell,
        hidden_size=6,
        bidirectional=True,
        pooling=pooling,
        fused=False,
    )
    plain.load_state_dict(fused.state_dict())
    x = torch.randn(5, 7, 3)
    torch.testing.assert_close(fused(x), plain(x), rtol=1e-5, atol=1e-6)
    # Ragged input: the fused module reads it densely in training, the other
    # packs it.
    lengths = torch.tensor([7, 3, 5, 1, 6])
    torch.testing.assert_close(fused(x, lengths), plain(x, lengths))


@pytest.mark.parametrize("cell", ["rnn", "gru"])
def test_fitted_estimator_matches_torch_path(cell):
    """Training through the fused layer ends where torch's layer ends, up to
    float rounding, and is reproducible under random_state."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 12, 2)).astype(np.float32)
    y = X[:, -3:, 0].sum(axis=1)
    params = dict(cell=cell, hidden_size=8, max_epochs=3, random_state=0)
    fused = LSTMRegressor(**params).fit(X, y)
    again = LSTMRegressor(**params).fit(X, y)
    plain = LSTMRegressor(**params, net_kwargs={"module__fused": False}).fit(X, y)
    np.testing.assert_array_equal(fused.predict(X), again.predict(X))
    np.testing.assert_allclose(fused.predict(X), plain.predict(X), atol=1e-4)


def test_classifier_with_rnn_cell_learns():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 10, 1)).astype(np.float32)
    y = (X[:, :, 0].mean(axis=1) > 0).astype(int)
    model = SequenceClassifier(
        cell="rnn", conv_channels=(), max_epochs=30, random_state=0
    )
    assert model.fit(X, y).score(X, y) > 0.9

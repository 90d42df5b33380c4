"""LSTMRegressor's ``loss``: squared, absolute, Huber and quantile (pinball)."""

import io

import numpy as np
import pytest
import torch
from sklearn.metrics import mean_pinball_loss
from sklearn.utils._param_validation import InvalidParameterError
from torch import nn

from sklrnn import LSTMRegressor, load_weights, save_weights
from sklrnn._modules import PinballLoss

LOSSES = ["squared_error", "absolute_error", "huber", "quantile"]
TINY = dict(hidden_size=4, max_epochs=2, batch_size=16, random_state=0)


def signal_data(n_samples, seed, noise="changing"):
    """Rows of 6 steps in [-1, 1]; y depends on the last two steps, plus
    normal noise whose scale grows from 0.1 to 1 with the last step (or a
    constant 0.1 with ``noise="small"``)."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(-1, 1, size=(n_samples, 6))
    scale = 0.1 + 0.45 * (X[:, -1] + 1) if noise == "changing" else 0.1
    y = np.sin(2 * X[:, -1]) + 0.5 * X[:, -2] + scale * rng.normal(size=n_samples)
    return X, y


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("n_outputs", [1, 2])
def test_each_loss_trains_and_predicts(loss, n_outputs):
    X, y = signal_data(48, 0)
    if n_outputs == 2:  # a second output in very different units
        y = np.column_stack([y, 1e4 * y - 3e5])
    reg = LSTMRegressor(loss=loss, **TINY).fit(X, y)
    pred = reg.predict(X)
    assert pred.shape == y.shape
    assert np.isfinite(pred).all()
    assert np.isfinite(reg.history_[:, "train_loss"]).all()
    assert np.isfinite(reg.score(X, y))


def test_quantile_0_9_covers_nine_in_ten_held_out_targets():
    # Noise from 0.1 to 1: a constant offset over the mean would cover far
    # more of the quiet half than of the noisy half; the quantile adapts.
    # Seeds 0 to 11 (data and model) gave 0.886 to 0.934 overall, 0.867 to
    # 0.940 in each half.
    X, y = signal_data(1200, 0)
    X_test, y_test = signal_data(1000, 100)
    reg = LSTMRegressor(
        loss="quantile", quantile=0.9, hidden_size=8, max_epochs=20, random_state=0
    ).fit(X, y)
    below = y_test <= reg.predict(X_test)
    assert 0.85 <= below.mean() <= 0.95
    quiet = X_test[:, -1] < 0
    assert 0.8 <= below[quiet].mean() <= 0.97
    assert 0.8 <= below[~quiet].mean() <= 0.97


def test_quantile_of_each_output_in_its_own_units():
    # Standardising is affine per column: the quantile maps back to each
    # output's units.
    X, y = signal_data(1200, 1)
    X_test, y_test = signal_data(1000, 101)
    Y, Y_test = (np.column_stack([v, -50.0 * v + 1e3]) for v in (y, y_test))
    reg = LSTMRegressor(
        loss="quantile", quantile=0.9, hidden_size=8, max_epochs=20, random_state=1
    ).fit(X, Y)
    below = (Y_test <= reg.predict(X_test)).mean(axis=0)
    assert np.all((0.85 <= below) & (below <= 0.95)), below


def test_absolute_error_resists_outliers_that_pull_squared_error():
    X, y = signal_data(400, 0, noise="small")
    X_test, y_test = signal_data(400, 100, noise="small")
    y = y.copy()
    y[np.random.RandomState(0).choice(len(y), 20, replace=False)] += 50.0
    errors = {}
    for loss in ["squared_error", "absolute_error", "huber"]:
        reg = LSTMRegressor(loss=loss, hidden_size=8, max_epochs=20, random_state=0)
        errors[loss] = np.abs(reg.fit(X, y).predict(X_test) - y_test).mean()
    # 5 % of outliers of +50 shift the mean by 2.5; seeds 0 to 3 gave a
    # held-out mean absolute error of 2.2 to 2.8 for squared_error, 0.16 to
    # 0.18 for absolute_error, 0.57 to 0.98 for huber.
    assert errors["squared_error"] > 1.5
    assert errors["absolute_error"] < 0.3
    assert errors["huber"] < errors["squared_error"] / 2


@pytest.mark.parametrize(
    "params, criterion, attributes",
    [
        ({}, nn.MSELoss, {}),
        ({"loss": "absolute_error"}, nn.L1Loss, {}),
        ({"loss": "huber"}, nn.HuberLoss, {"delta": 1.35}),
        ({"loss": "huber", "epsilon": np.float32(0.5)}, nn.HuberLoss, {"delta": 0.5}),
        ({"loss": "quantile"}, PinballLoss, {"quantile": 0.5}),
        ({"loss": "quantile", "quantile": 0.1}, PinballLoss, {"quantile": 0.1}),
    ],
)
def test_parameters_reach_the_torch_loss(params, criterion, attributes):
    X, y = signal_data(16, 0)
    reg = LSTMRegressor(**{**TINY, "max_epochs": 1}, **params).fit(X, y)
    assert type(reg.net_.criterion_) is criterion
    for name, value in attributes.items():
        assert getattr(reg.net_.criterion_, name) == pytest.approx(value)
        assert type(getattr(reg.net_.criterion_, name)) is float


@pytest.mark.parametrize("quantile", [0.1, 0.5, 0.9])
def test_pinball_loss_is_scikit_learns(quantile):
    rng = np.random.RandomState(0)
    target, prediction = rng.normal(size=(2, 30, 3))
    loss = PinballLoss(quantile)(torch.tensor(prediction), torch.tensor(target))
    expected = mean_pinball_loss(target, prediction, alpha=quantile)
    assert loss.item() == pytest.approx(expected)
    if quantile == 0.5:
        l1 = nn.L1Loss()(torch.tensor(prediction), torch.tensor(target))
        assert loss.item() == pytest.approx(l1.item() / 2)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"loss": "foo"}, "'loss' parameter"),
        ({"loss": "quantile", "quantile": 1.0}, "'quantile' parameter"),
        ({"quantile": 0.0}, "'quantile' parameter"),
        ({"loss": "huber", "epsilon": 0}, "'epsilon' parameter"),
        ({"epsilon": -1.0}, "'epsilon' parameter"),
    ],
)
def test_bad_loss_parameters_are_refused(params, match):
    X, y = signal_data(16, 0)
    with pytest.raises(InvalidParameterError, match=match):
        LSTMRegressor(**TINY, **params).fit(X, y)


@pytest.mark.parametrize(
    "change",
    [{"loss": "absolute_error"}, {"quantile": 0.9}, {"loss": "huber"}],
)
def test_warm_start_refuses_a_changed_loss(change):
    X, y = signal_data(16, 0)
    reg = LSTMRegressor(loss="quantile", warm_start=True, **TINY).fit(X, y)
    before = reg.predict(X)
    with pytest.raises(ValueError, match=r"warm_start=True.*loss"):
        reg.set_params(**change).fit(X, y)
    # Refused before training: the estimator is as it was.
    np.testing.assert_array_equal(reg.predict(X), before)
    assert reg.n_iter_ == TINY["max_epochs"]


def test_warm_start_ignores_unused_loss_parameters():
    X, y = signal_data(16, 0)
    reg = LSTMRegressor(loss="huber", warm_start=True, **TINY).fit(X, y)
    reg.set_params(quantile=0.9).fit(X, y)  # quantile: not used by huber
    assert reg.n_iter_ == 2 * TINY["max_epochs"]
    with pytest.raises(ValueError, match=r"warm_start=True.*loss"):
        reg.set_params(epsilon=2.0).fit(X, y)


def test_quantile_model_survives_save_and_load():
    X, y = signal_data(16, 0)
    reg = LSTMRegressor(loss="quantile", quantile=0.8, **TINY).fit(X, y)
    buffer = io.BytesIO()
    save_weights(reg, buffer)
    buffer.seek(0)
    loaded = load_weights(buffer)
    assert loaded.get_params()["quantile"] == 0.8
    assert isinstance(loaded.net_.criterion_, PinballLoss)
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))

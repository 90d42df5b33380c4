import io
import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError
from skorch.callbacks import Callback

from sklrnn import LSTMRegressor
from sklrnn.datasets import load_airline, make_cosine
from sklrnn.preprocessing import SlidingWindowTransformer, make_windows

FAST = dict(hidden_size=8, max_epochs=3, batch_size=16, random_state=0)


@pytest.fixture(scope="module")
def cosine_windows():
    return make_windows(make_cosine(n_samples=260, random_state=0), window=10)


@pytest.fixture(scope="module")
def fitted(cosine_windows):
    X, y = cosine_windows
    return LSTMRegressor(**FAST).fit(X, y)


def test_learns_the_cosine_wave(cosine_windows):
    X, y = cosine_windows
    reg = LSTMRegressor(hidden_size=16, max_epochs=20, random_state=0).fit(X, y)
    assert reg.score(X, y) > 0.9
    assert reg.n_iter_ == 20
    losses = reg.history_[:, "train_loss"]
    assert losses[-1] < losses[0] / 5


def test_predictions_in_target_units(cosine_windows):
    X, y = cosine_windows
    reg = LSTMRegressor(**FAST).fit(X, 1000 * y + 5000)
    y_pred = reg.predict(X)
    assert y_pred.dtype == np.float64
    assert abs(y_pred.mean() - 5000) < 300
    assert y_pred.std() > 100


def test_multi_output_horizon():
    X, y = make_windows(make_cosine(n_samples=200, random_state=0), 10, horizon=3)
    reg = LSTMRegressor(**FAST).fit(X, y)
    assert reg.predict(X).shape == (len(X), 3)
    single = LSTMRegressor(**FAST).fit(X, y[:, :1])
    assert single.predict(X).shape == (len(X), 1)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_cells_and_directions(cosine_windows, cell, bidirectional):
    X, y = cosine_windows
    reg = LSTMRegressor(
        cell=cell, bidirectional=bidirectional, num_layers=2, dropout=0.1, **FAST
    ).fit(X, y)
    assert isinstance(reg.net_.module_.rnn, torch.nn.modules.rnn.RNNBase)
    assert reg.net_.module_.rnn.mode.startswith(cell.upper())
    assert np.isfinite(reg.predict(X)).all()


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd", "rmsprop", "adagrad"])
def test_optimizer_names(cosine_windows, optimizer):
    X, y = cosine_windows
    reg = LSTMRegressor(optimizer=optimizer, **FAST).fit(X, y)
    assert type(reg.net_.optimizer_).__name__.lower() == optimizer


def test_optimizer_class(cosine_windows):
    X, y = cosine_windows
    reg = LSTMRegressor(optimizer=torch.optim.NAdam, **FAST).fit(X, y)
    assert isinstance(reg.net_.optimizer_, torch.optim.NAdam)


def test_same_seed_same_predictions(cosine_windows):
    X, y = cosine_windows
    first = LSTMRegressor(dropout=0.2, **FAST).fit(X, y).predict(X)
    second = LSTMRegressor(dropout=0.2, **FAST).fit(X, y).predict(X)
    other = LSTMRegressor(dropout=0.2, **{**FAST, "random_state": 1}).fit(X, y)
    np.testing.assert_array_equal(first, second)
    assert not np.allclose(first, other.predict(X))


def test_fit_leaves_torch_global_state_alone(cosine_windows):
    X, y = cosine_windows
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    LSTMRegressor(**FAST).fit(X, y)
    np.testing.assert_array_equal(torch.rand(3), expected)
    tiny = torch.tensor([1e-40]) * 1.0
    assert tiny.item() != 0.0, "flush-denormal mode leaked out of fit"


def test_clone_is_unfitted_with_same_params(fitted):
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params()
    assert not hasattr(copy, "net_")


@pytest.mark.parametrize("dump", ["pickle", "joblib"])
def test_persistence_round_trip(fitted, cosine_windows, dump):
    X, _ = cosine_windows
    if dump == "pickle":
        restored = pickle.loads(pickle.dumps(fitted))
    else:
        buffer = io.BytesIO()
        joblib.dump(fitted, buffer)
        buffer.seek(0)
        restored = joblib.load(buffer)
    np.testing.assert_array_equal(restored.predict(X), fitted.predict(X))


def test_ragged_input(cosine_windows):
    X, y = cosine_windows
    ragged = [X[i, : 5 + i % 6] for i in range(len(X))]
    reg = LSTMRegressor(**FAST).fit(ragged, y)
    alone = reg.predict([ragged[3]])
    batched = reg.predict(ragged[:10])
    np.testing.assert_allclose(alone[0], batched[3], rtol=1e-5, atol=1e-6)


def test_3d_and_2d_input_agree(cosine_windows):
    X, y = cosine_windows
    flat = LSTMRegressor(**FAST).fit(X, y)
    deep = LSTMRegressor(**FAST).fit(X[:, :, np.newaxis], y)
    np.testing.assert_allclose(flat.predict(X), deep.predict(X[:, :, None]))
    assert flat.n_features_in_ == X.shape[1]
    assert deep.n_features_in_ == 1
    # Sequences of another length are fine after a 3-D fit.
    assert deep.predict(X[:, :4, None]).shape == (len(X),)


def test_lag_dataframe_is_read_as_sequences():
    series = pd.DataFrame(
        {"a": make_cosine(80, random_state=0), "b": make_cosine(80, random_state=1)}
    )
    windows = SlidingWindowTransformer(window=5).fit(series)
    X3 = windows.transform(series)
    frame = windows.set_output(transform="pandas").transform(series)
    y = np.roll(series["a"].to_numpy(), -1)
    from_frame = LSTMRegressor(**FAST).fit(frame, y)
    from_array = LSTMRegressor(**FAST).fit(X3, y)
    assert from_frame.n_features_in_ == frame.shape[1]
    assert list(from_frame.feature_names_in_) == list(frame.columns)
    assert from_frame.net_.module_.rnn.input_size == X3.shape[2]
    np.testing.assert_allclose(from_frame.predict(frame), from_array.predict(X3))


def test_pipeline_in_grid_search_with_time_series_split():
    series = load_airline().to_numpy(dtype=float)
    X, y = series[:-1].reshape(-1, 1), series[1:]
    pipe = make_pipeline(
        StandardScaler(),
        SlidingWindowTransformer(window=3),
        LSTMRegressor(hidden_size=4, max_epochs=2, random_state=0),
    )
    grid = GridSearchCV(
        pipe,
        {
            "slidingwindowtransformer__window": [3, 6],
            "lstmregressor__hidden_size": [4, 8],
        },
        cv=TimeSeriesSplit(n_splits=3),
    ).fit(X, y)
    assert len(grid.cv_results_["params"]) == 4
    assert np.isfinite(grid.cv_results_["mean_test_score"]).all()
    assert grid.predict(X).shape == y.shape
    scores = cross_val_score(clone(pipe), X, y, cv=TimeSeriesSplit(n_splits=2))
    assert scores.shape == (2,)


def test_early_stopping_holds_out_the_tail_and_restores_best(cosine_windows):
    X, y = cosine_windows
    reg = LSTMRegressor(
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=2,
        **{**FAST, "max_epochs": 200, "lr": 0.05},
    ).fit(X, y)
    assert reg.n_iter_ < 200
    n_valid = int(np.ceil(0.2 * len(X)))
    assert reg.history_[-1, "valid_batch_count"] * FAST["batch_size"] >= n_valid
    # The restored weights are those of the best epoch: their loss on the
    # last 20 % of the samples is the best validation loss in the history.
    tail = slice(len(X) - n_valid, None)
    scaled = reg._standardise(reg.predict(X[tail]).reshape(-1, 1))
    target = reg._standardise(y[tail].reshape(-1, 1))
    tail_loss = np.mean((scaled - target) ** 2)
    np.testing.assert_allclose(tail_loss, min(reg.history_[:, "valid_loss"]), rtol=1e-3)


def test_early_stopping_needs_training_data():
    X, y = np.ones((1, 4)), np.ones(1)
    with pytest.raises(ValueError, match="leaves none to train on"):
        LSTMRegressor(early_stopping=True, **FAST).fit(X, y)


def test_warm_start_continues_training(cosine_windows):
    X, y = cosine_windows
    reg = LSTMRegressor(warm_start=True, **FAST).fit(X, y)
    first_losses = list(reg.history_[:, "train_loss"])
    reg.fit(X, y)
    assert reg.n_iter_ == 2 * FAST["max_epochs"]
    assert reg.history_[-1, "train_loss"] < first_losses[0]
    with pytest.raises(ValueError, match="warm_start=True"):
        reg.fit(X[:, :, None].repeat(2, axis=2), y)


def test_warm_start_uses_changed_loop_settings(cosine_windows):
    X, y = cosine_windows
    reg = LSTMRegressor(warm_start=True, **FAST).fit(X, y)
    reg.set_params(max_epochs=3, batch_size=7, lr=1e-4).fit(X, y)
    assert reg.n_iter_ == FAST["max_epochs"] + 3
    assert reg.history_[-1, "train_batch_count"] == -(-len(X) // 7)
    optimizer = reg.net_.optimizer_
    assert optimizer.param_groups[0]["lr"] == 1e-4
    assert optimizer.state  # continued, not rebuilt
    reg.set_params(hidden_size=9)
    with pytest.raises(ValueError, match=r"warm_start=True.*\['hidden_size'\]"):
        reg.fit(X, y)


def test_verbose_prints_epochs(cosine_windows, capsys):
    X, y = cosine_windows
    LSTMRegressor(verbose=1, **FAST).fit(X, y)
    out = capsys.readouterr().out
    assert "train_loss" in out
    assert out.count("\n") >= FAST["max_epochs"]


class _EpochCounter(Callback):
    def initialize(self):
        self.epochs = 0
        self.max_grad_norm = 0.0
        return self

    def on_grad_computed(self, net, named_parameters, **kwargs):
        norms = [p.grad.norm() for _, p in named_parameters if p.grad is not None]
        self.max_grad_norm = max(self.max_grad_norm, torch.stack(norms).norm().item())

    def on_epoch_end(self, net, **kwargs):
        self.epochs += 1


def test_callbacks_pass_through_and_gradient_clip(cosine_windows):
    X, y = cosine_windows
    counter = _EpochCounter()
    LSTMRegressor(gradient_clip=0.01, callbacks=[counter], **FAST).fit(X, y)
    assert counter.epochs == FAST["max_epochs"]
    assert counter.max_grad_norm <= 0.01 * 1.001


def test_device_auto_is_cpu_without_gpu(cosine_windows):
    X, y = cosine_windows
    reg = LSTMRegressor(device="auto", **FAST).fit(X, y)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert reg.net_.device == expected


@pytest.mark.skipif(torch.cuda.is_available(), reason="machine has a GPU")
def test_cuda_without_gpu_is_a_clear_error(cosine_windows):
    X, y = cosine_windows
    with pytest.raises(ValueError, match="no CUDA device"):
        LSTMRegressor(device="cuda", **FAST).fit(X, y)


# Bad input ------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, match",
    [
        ({"cell": "transformer"}, "'cell' parameter"),
        ({"optimizer": "adamax"}, "'optimizer' parameter"),
        ({"hidden_size": 0}, "'hidden_size' parameter"),
        ({"dropout": 1.0}, "'dropout' parameter"),
        ({"validation_fraction": 1.0}, "'validation_fraction' parameter"),
        ({"gradient_clip": -1.0}, "'gradient_clip' parameter"),
        ({"device": "tpu"}, "'device' parameter"),
    ],
)
def test_invalid_parameters(cosine_windows, params, match):
    X, y = cosine_windows
    with pytest.raises(InvalidParameterError, match=match):
        LSTMRegressor(**{**FAST, **params}).fit(X, y)


def _with(array, index, value):
    array = np.array(array, dtype=float)
    array[index] = value
    return array


@pytest.mark.parametrize(
    "make_X, error, match",
    [
        (lambda X: _with(X, (0, 0), np.nan), ValueError, "NaN"),
        (lambda X: _with(X, (1, 2), np.inf), ValueError, "infinity"),
        (lambda X: _with(X[:, :, None], (0, 0, 0), np.nan), ValueError, "NaN"),
        (lambda X: X[:, 0], ValueError, "Reshape your data"),
        (lambda X: X[:, :, None, None], ValueError, "4 dimension"),
        (lambda X: X[:0], ValueError, "0 sample"),
        (lambda X: X[:, :0, None], ValueError, "0 time steps"),
        (lambda X: [X[0], X[1][:0]], ValueError, "no time steps"),
        (lambda X: X.astype(str).astype(object) + "x", ValueError, "convert"),
    ],
)
def test_bad_X_in_fit(cosine_windows, make_X, error, match):
    X, y = cosine_windows
    bad = make_X(X)
    before = pickle.dumps(bad)
    with pytest.raises(error, match=match):
        LSTMRegressor(**FAST).fit(bad, y[: len(bad)])
    assert pickle.dumps(bad) == before, "input was modified"


def test_bad_y(cosine_windows):
    X, y = cosine_windows
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        LSTMRegressor(**FAST).fit(X, y[:-1])
    with pytest.raises(ValueError, match="NaN"):
        LSTMRegressor(**FAST).fit(X, _with(y, 0, np.nan))
    with pytest.raises(ValueError, match="requires y"):
        LSTMRegressor(**FAST).fit(X, None)


def test_predict_before_fit(cosine_windows):
    from sklearn.exceptions import NotFittedError

    X, _ = cosine_windows
    with pytest.raises(NotFittedError):
        LSTMRegressor().predict(X)


def test_feature_count_must_match_fit(fitted, cosine_windows):
    X, _ = cosine_windows
    with pytest.raises(ValueError, match="X has 9 features, but LSTMRegressor"):
        fitted.predict(X[:, :9])
    deep = LSTMRegressor(**FAST).fit(X[:, :, None], cosine_windows[1])
    with pytest.raises(ValueError, match="2 features per time step"):
        deep.predict(np.stack([X, X], axis=2))


def test_input_dataframe_not_modified():
    series = pd.DataFrame({"x": make_cosine(60, random_state=0)})
    frame = SlidingWindowTransformer(window=4).set_output(transform="pandas")
    X = frame.fit_transform(series)
    y = pd.Series(np.roll(series["x"].to_numpy(), -1))
    X_before, y_before = X.copy(), y.copy()
    LSTMRegressor(**FAST).fit(X, y).predict(X)
    pd.testing.assert_frame_equal(X, X_before)
    pd.testing.assert_series_equal(y, y_before)


@pytest.mark.parametrize("factor", [1e-300, 1e200, 1e300])
def test_huge_and_tiny_targets_train_like_unit_ones(factor):
    # The target is standardised without squaring it: y.std() of values
    # near 1e200 overflows, of values near 1e-300 underflows to 0.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(48, 5))
    y = X.sum(axis=1)
    params = dict(hidden_size=4, max_epochs=2, batch_size=16, random_state=0)
    expected = LSTMRegressor(**params).fit(X, y).predict(X)
    y_pred = LSTMRegressor(**params).fit(X, y * factor).predict(X)
    assert np.isfinite(y_pred).all()
    np.testing.assert_allclose(y_pred / factor, expected, rtol=1e-6)


# scikit-learn's finiteness check sums y, which overflows for +-1.5e308.
@pytest.mark.filterwarnings("ignore:invalid value encountered in reduce")
def test_targets_of_mixed_huge_and_tiny_magnitudes():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(48, 5))
    y = np.c_[X.sum(axis=1) * 1e300, X.sum(axis=1) * 1e-300]
    y[::2, 0] *= 1e-300  # half the first column tiny
    reg = LSTMRegressor(hidden_size=4, max_epochs=2, batch_size=16, random_state=0)
    y_pred = reg.fit(X, y).predict(X)
    assert np.isfinite(y_pred).all()
    peak = np.abs(y).max(axis=0)
    assert (np.abs(y_pred) <= 2 * peak).all()
    assert (np.abs(y_pred) > 0).all()
    # Opposite signs near the float64 limit: y - mean would overflow.
    y = np.where(X[:, 0] > 0, 1.5e308, -1.5e308)
    assert np.isfinite(reg.fit(X, y).predict(X)).all()


def test_warm_start_on_a_target_beyond_the_learned_scale_is_refused():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(32, 5))
    reg = LSTMRegressor(hidden_size=4, max_epochs=1, warm_start=True, random_state=0)
    reg.fit(X, X.sum(axis=1) * 1e-30)
    with pytest.raises(ValueError, match="too large for the scale learned"):
        reg.fit(X, X.sum(axis=1) * 1e30)


def test_normalize_y_false_trains_on_the_target_as_given():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(48, 5))
    y = 0.1 * X.sum(axis=1) + 0.3
    params = dict(hidden_size=4, max_epochs=2, batch_size=16, random_state=0)
    reg = LSTMRegressor(normalize_y=False, **params).fit(X, y)
    # The network's outputs are the predictions, in y's units ...
    module = reg.net_.module_.eval()
    with torch.no_grad():
        outputs = module(torch.as_tensor(X[..., None], dtype=torch.float32))
    np.testing.assert_allclose(reg.predict(X), outputs.numpy().ravel(), rtol=1e-6)
    # ... and the loss is in those units: the same first batch, from the same
    # weights, against the target and against the standardised target.
    standardised = LSTMRegressor(**params).fit(X, y)
    first = {
        name: model.history_[0, "batches", 0, "train_loss"]
        for name, model in [("raw", reg), ("standardised", standardised)]
    }
    assert first["raw"] < 0.5 * first["standardised"]


def test_warm_start_refuses_a_changed_normalize_y():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(32, 5))
    y = X.sum(axis=1)
    reg = LSTMRegressor(hidden_size=4, max_epochs=1, warm_start=True, random_state=0)
    before = reg.fit(X, y).predict(X)
    with pytest.raises(ValueError, match=r"warm_start=True.*normalize_y"):
        reg.set_params(normalize_y=False).fit(X, y)
    np.testing.assert_array_equal(reg.predict(X), before)
    reg.set_params(normalize_y=True).fit(X, y)
    assert reg.n_iter_ == 2


def test_normalize_y_false_survives_save_and_load():
    from sklrnn import load_weights, save_weights

    rng = np.random.RandomState(0)
    X = rng.normal(size=(32, 5))
    y = X.sum(axis=1)
    reg = LSTMRegressor(
        normalize_y=False, hidden_size=4, max_epochs=1, random_state=0
    ).fit(X, y)
    buffer = io.BytesIO()
    save_weights(reg, buffer)
    buffer.seek(0)
    loaded = load_weights(buffer)
    assert loaded.get_params()["normalize_y"] is False
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))
    # A warm start of the loaded model keeps training on y as given.
    loaded.set_params(warm_start=True).fit(X, y)
    assert loaded.n_iter_ == 2

"""Diverging, interrupted, checkpointed and resumed training."""

import re
import subprocess
import sys
import time
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback, Checkpoint, LoadInitState

from sklrnn import CharLSTMGenerator, LSTMRegressor, SequenceClassifier

FAST = dict(hidden_size=8, max_epochs=4, batch_size=16, random_state=0)


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(96, 6)).astype(np.float32)
    return X, X.sum(axis=1)


def test_diverging_training_is_an_error_not_nan_predictions(data):
    X, y = data
    est = LSTMRegressor(optimizer="sgd", lr=1e6, gradient_clip=None, **FAST)
    with pytest.raises(ValueError, match=r"Training diverged.*Lower the learning"):
        est.fit(X * 1000, y)
    with pytest.raises(NotFittedError):
        est.predict(X)
    assert not [key for key in vars(est) if key.endswith("_")]


TEXT = "the cat sat on the mat. the dog sat on the log. " * 4


def _exploding(name, X, y, **params):
    """An estimator and its fit arguments."""
    if name == "CharLSTMGenerator":
        model = CharLSTMGenerator(hidden_size=8, max_epochs=2, window=8, **params)
        return model.set_params(random_state=0), (TEXT,)
    if name == "SequenceClassifier":
        return SequenceClassifier(**FAST, **params), (X, y > 0)
    return LSTMRegressor(**FAST, **params), (X, y)


@pytest.mark.parametrize(
    "name", ["LSTMRegressor", "SequenceClassifier", "CharLSTMGenerator"]
)
@pytest.mark.parametrize(
    "params, scale",
    [(dict(lr=1e6), 1), (dict(optimizer="sgd", lr=1e6, gradient_clip=None), 1000)],
    ids=["adam", "sgd"],
)
def test_exploding_finite_loss_is_divergence(name, data, params, scale):
    # A far too large lr blows the loss up by orders of magnitude without
    # making it NaN: that is divergence too, not a model to predict with.
    X, y = data
    est, fit_args = _exploding(name, X * scale, y, **params)
    with pytest.raises(ValueError, match=r"Training diverged") as info:
        est.fit(*fit_args)
    message = str(info.value)
    assert re.search(r"grew from \S+ to \S+ in epoch \d\.", message), message
    for setting in ("lr=1000000.0", "scale the inputs", "gradient_clip="):
        assert setting in message
    with pytest.raises(NotFittedError):
        check_is_fitted(est)
    assert not [key for key in vars(est) if key.endswith("_")]


def test_no_divergence_on_healthy_training(data):
    X, y = data
    # A target fit perfectly (a constant): the loss is almost 0 and wobbles
    # by many times that, also in a warm start, which is not divergence.
    linear = np.tile(np.linspace(-1, 1, 6, dtype=np.float32), (96, 1))
    reg = LSTMRegressor(warm_start=True, **{**FAST, "max_epochs": 30, "lr": 0.05})
    reg.fit(linear, linear[:, -1])
    reg.fit(linear, linear[:, -1])  # warm start from a loss near 0
    assert reg.history_[-1, "train_loss"] < 1e-2
    # A high learning rate whose loss rises for a while (here 0.7 to about
    # 10) is bad training but not runaway; it stays an estimator to fit.
    clf = SequenceClassifier(lr=2.0, lr_schedule="cosine", **FAST).fit(X, y > 0)
    losses = clf.history_[:, "train_loss"]
    assert max(losses) > 3 * clf.history_[0, "batches"][0]["train_loss"]
    # Early stopping on the same data.
    LSTMRegressor(early_stopping=True, n_iter_no_change=2, **FAST).fit(X, y)


class _InterruptAt(Callback):
    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise KeyboardInterrupt


def test_ctrl_c_keeps_the_weights_reached(data):
    X, y = data
    reg = LSTMRegressor(callbacks=[_InterruptAt(2)], **{**FAST, "max_epochs": 50})
    with pytest.warns(
        UserWarning, match=r"interrupted \(KeyboardInterrupt\) in epoch 2 "
    ):
        reg.fit(X, y)
    check_is_fitted(reg)
    assert reg.n_iter_ == 2
    assert np.isfinite(reg.predict(X)).all()
    assert reg.score(X, y) > -1


def test_early_stopping_is_not_reported_as_an_interrupt(data):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reg = LSTMRegressor(
            early_stopping=True,
            n_iter_no_change=1,
            tol=0.9,
            **{**FAST, "max_epochs": 50},
        ).fit(X, y)
    assert reg.n_iter_ < 50


class _InterruptIn(Callback):
    """Raises KeyboardInterrupt in ``hook`` the ``call``-th time it runs."""

    def __init__(self, hook, call=1):
        self.hook = hook
        self.call = call
        self.calls = 0

    def _maybe_interrupt(self):
        self.calls += 1
        if self.calls == self.call:
            raise KeyboardInterrupt

    def initialize(self):
        if self.hook == "initialize":
            self._maybe_interrupt()
        return super().initialize()

    def on_train_begin(self, net, **kwargs):
        if self.hook == "on_train_begin":
            self._maybe_interrupt()


@pytest.mark.parametrize("hook", ["initialize", "on_train_begin"])
def test_ctrl_c_before_the_first_epoch_leaves_the_estimator_as_it_was(data, hook):
    X, y = data
    reg = LSTMRegressor(callbacks=[_InterruptIn(hook)], **FAST)
    with pytest.raises(KeyboardInterrupt):
        reg.fit(X, y)
    with pytest.raises(NotFittedError):
        check_is_fitted(reg)
    with pytest.raises(NotFittedError):
        reg.predict(X)
    assert not [key for key in vars(reg) if key.endswith("_")]
    # An interrupted refit (warm_start=False) keeps the model of the last fit.
    reg = LSTMRegressor(callbacks=[_InterruptIn(hook, call=2)], **FAST).fit(X, y)
    before = reg.predict(X)
    with pytest.raises(KeyboardInterrupt, match="") as interrupted:
        reg.fit(X, y)
    assert "left as it was before fit" in str(interrupted.value.__notes__)
    np.testing.assert_array_equal(reg.predict(X), before)


def test_ctrl_c_before_the_first_epoch_of_a_warm_start_keeps_the_fit(data):
    X, y = data
    interrupt = _InterruptIn("on_train_begin", call=2)
    reg = LSTMRegressor(warm_start=True, callbacks=[interrupt], **FAST).fit(X, y)
    before = reg.predict(X)
    attributes = {key: value for key, value in vars(reg).items() if key.endswith("_")}
    with pytest.raises(KeyboardInterrupt):
        reg.fit(X, y)
    check_is_fitted(reg)
    assert {key: value for key, value in vars(reg).items() if key.endswith("_")} == (
        attributes
    )
    assert reg.n_iter_ == len(reg.history_) == FAST["max_epochs"]
    np.testing.assert_array_equal(reg.predict(X), before)
    reg.fit(X, y)  # and it can still continue
    assert reg.n_iter_ == 2 * FAST["max_epochs"]


def test_checkpoint_and_resume(data, tmp_path):
    X, y = data
    first = LSTMRegressor(
        callbacks=[Checkpoint(dirname=tmp_path, monitor="train_loss_best")], **FAST
    ).fit(X, y)
    assert (tmp_path / "params.pt").exists()
    checkpoint = Checkpoint(dirname=tmp_path, monitor="train_loss_best")
    resumed = LSTMRegressor(
        callbacks=[checkpoint, LoadInitState(checkpoint)], **FAST
    ).fit(X, y)
    # The resumed run starts from the saved weights, optimizer and history.
    assert resumed.n_iter_ == 2 * FAST["max_epochs"]
    resumed_first_loss = resumed.history_[FAST["max_epochs"], "train_loss"]
    fresh_first_loss = first.history_[0, "train_loss"]
    assert resumed_first_loss < fresh_first_loss
    np.testing.assert_allclose(
        resumed_first_loss, first.history_[-1, "train_loss"], rtol=0.5
    )


class _ThreadProbe(Callback):
    def on_epoch_begin(self, net, **kwargs):
        self.threads = torch.get_num_threads()


@pytest.mark.parametrize("n_threads", [1, 2])
def test_n_threads_is_scoped_to_fit_and_predict(data, n_threads):
    X, y = data
    before = torch.get_num_threads()
    probe = _ThreadProbe()
    reg = LSTMRegressor(n_threads=n_threads, callbacks=[probe], **FAST).fit(X, y)
    assert probe.threads == n_threads
    assert torch.get_num_threads() == before
    reg.predict(X)
    assert torch.get_num_threads() == before


def test_small_network_trains_on_one_thread_by_default(data, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    X, y = data
    before = torch.get_num_threads()
    probe = _ThreadProbe()
    LSTMRegressor(callbacks=[probe], **FAST).fit(X, y)
    assert probe.threads == 1
    assert torch.get_num_threads() == before


def test_a_busy_process_is_seen_and_takes_a_thread_back(monkeypatch):
    from sklrnn._modules import RecurrentModule
    from sklrnn.utils import _threads
    from sklrnn.utils._threads import CoreMeter, ShareCores

    if CoreMeter()._read() is None:
        pytest.skip("no /proc/stat: the load of other processes is not read")
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    monkeypatch.setattr(_threads, "_cores", lambda: 2)
    # What ShareCores reads of a skorch net: an LSTM(256) at batch size 128.
    net = SimpleNamespace(
        module_=RecurrentModule(8, 1, hidden_size=256), batch_size=128
    )
    callback = ShareCores()
    before = torch.get_num_threads()
    try:
        callback.on_train_begin(net)
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        try:
            time.sleep(0.5)
            meter_reading = CoreMeter()
            time.sleep(0.3)
            assert meter_reading.busy_elsewhere() > 0.5
            torch.set_num_threads(2)
            callback.on_epoch_begin(net)
            assert torch.get_num_threads() == 1
        finally:
            busy.kill()
            busy.wait()
    finally:
        torch.set_num_threads(before)


def test_default_threads_stay_within_the_workers_share(monkeypatch):
    from sklrnn.utils._threads import choose_threads

    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert choose_threads(None, size=100.0) == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "64")
    assert 1 <= choose_threads(None, size=100.0) <= 64
    assert choose_threads(None, size=0.9) == 1


def test_flush_denormal_does_not_leak_into_torchs_thread_pool(data):
    X, y = data
    LSTMRegressor(n_threads=2, **FAST).fit(X, y)
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        tiny = torch.full((4_000_000,), 1e-40)  # float32 subnormals
        assert int(((tiny * 1.0) == 0).sum()) == 0
    finally:
        torch.set_num_threads(previous)


def test_threading_backend_matches_sequential_fits(data):
    from joblib import Parallel, delayed

    X, y = data

    def fit_predict(seed):
        return LSTMRegressor(**{**FAST, "random_state": seed}).fit(X, y).predict(X)

    sequential = [fit_predict(seed) for seed in range(4)]
    threaded = Parallel(n_jobs=2, backend="threading")(
        delayed(fit_predict)(seed) for seed in range(4)
    )
    for a, b in zip(sequential, threaded):
        np.testing.assert_array_equal(a, b)


def test_a_refused_warm_start_leaves_the_fitted_model_as_it_was(data):
    X, y = data
    reg = LSTMRegressor(**FAST, warm_start=True).fit(X[:, :, None], y)
    before = reg.predict(X[:, :, None])
    wider = np.concatenate([X[:, :, None], X[:, :, None]], axis=2)
    with pytest.raises(ValueError, match="warm_start=True"):
        reg.fit(wider, y)
    assert reg.n_features_in_ == 1
    np.testing.assert_array_equal(reg.predict(X[:, :, None]), before)


def test_a_refused_warm_start_keeps_the_classifiers_front_end(data):
    X, y = data
    clf = SequenceClassifier(**FAST, conv_channels=(4,), pool_size=2)
    clf.set_params(warm_start=True).fit(X, y > 0)
    before = clf.predict_proba(X)
    with pytest.raises(ValueError, match="changed since it was built"):
        clf.set_params(conv_channels=(4, 4), pool_size=3).fit(X, y > 0)
    assert (clf.conv_channels_, clf.pool_size_) == ((4,), 2)
    np.testing.assert_array_equal(clf.predict_proba(X), before)


def test_a_diverged_warm_start_leaves_no_blown_up_weights(data):
    X, y = data
    reg = LSTMRegressor(**FAST, warm_start=True).fit(X, y)
    reg.set_params(optimizer="sgd", lr=1e6, gradient_clip=None)
    with pytest.raises(ValueError, match="Training diverged"):
        reg.fit(X * 1000, y)
    with pytest.raises(NotFittedError):
        reg.predict(X)


def test_a_failed_refit_keeps_the_previous_model(data):
    X, y = data
    reg = LSTMRegressor(**FAST).fit(X, y)
    before = reg.predict(X)
    with pytest.raises(ValueError, match="Training diverged"):
        reg.set_params(optimizer="sgd", lr=1e6, gradient_clip=None).fit(X * 1000, y)
    np.testing.assert_array_equal(reg.predict(X), before)

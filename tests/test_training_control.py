"""Diverging, interrupted, checkpointed and resumed training."""

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from skorch.callbacks import Callback, Checkpoint, LoadInitState

from sklrnn import LSTMRegressor, SequenceClassifier

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


def test_huge_but_finite_loss_is_not_divergence(data):
    # Cross-entropy of a classifier blown up by a huge learning rate grows
    # without becoming NaN: predictions stay valid probabilities.
    X, y = data
    clf = SequenceClassifier(optimizer="sgd", lr=1e6, gradient_clip=None, **FAST)
    proba = clf.fit(X * 1000, y > 0).predict_proba(X)
    assert np.isfinite(proba).all()


class _InterruptAt(Callback):
    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise KeyboardInterrupt


def test_ctrl_c_keeps_the_weights_reached(data):
    X, y = data
    reg = LSTMRegressor(callbacks=[_InterruptAt(2)], **{**FAST, "max_epochs": 50})
    reg.fit(X, y)
    assert reg.n_iter_ == 2
    assert np.isfinite(reg.predict(X)).all()
    assert reg.score(X, y) > -1


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


def test_default_threads_follow_the_workers_share(monkeypatch):
    from sklrnn.utils._torch import resolve_n_threads

    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert resolve_n_threads(None) == 3
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert resolve_n_threads(None) >= 1


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

"""Parallel model selection: GridSearchCV(n_jobs=2), a Dask cluster, and the
torch threads each worker trains with."""

import os
from unittest import mock

import joblib
import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import Callback

from sklrnn import LSTMRegressor, SequenceClassifier
from sklrnn.datasets import load_airline
from sklrnn.preprocessing import SlidingWindowTransformer
from sklrnn.utils._threads import choose_threads

# Every process trains with one torch thread, parent and workers alike. The
# same seed gives the same model bit for bit only at the same thread count:
# torch splits a reduction (a matrix product, a gradient sum over the batch)
# into one chunk per thread and adds the partial sums in a different order
# for a different count, so the last bits of float32 rounding differ and
# training carries the difference forward epoch after epoch. n_jobs=1 in this
# process and n_jobs=2 in loky or Dask workers then only differ in where the
# fits run, which must not change a score.
ONE_THREAD = dict(n_threads=1, random_state=0)


def _airline_search():
    series = load_airline().to_numpy(dtype=float)
    X, y = series[:-1].reshape(-1, 1), series[1:]
    pipe = make_pipeline(
        StandardScaler(),
        SlidingWindowTransformer(window=3),
        LSTMRegressor(hidden_size=4, max_epochs=3, batch_size=16, **ONE_THREAD),
    )
    grid = {
        "slidingwindowtransformer__window": [3, 6],
        "lstmregressor__hidden_size": [4, 8],
    }
    return pipe, grid, TimeSeriesSplit(n_splits=3), X, y


def _classifier_search():
    # Sequences labelled by the sign of their sum: the label needs every step.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(90, 6, 2)).astype(np.float32)
    y = np.where(X.sum(axis=(1, 2)) > 0, "up", "down")
    clf = SequenceClassifier(hidden_size=4, max_epochs=4, batch_size=16, **ONE_THREAD)
    grid = {"hidden_size": [4, 8], "lr": [0.005, 0.05]}
    return clf, grid, 3, X, y


SEARCHES = {
    "airline_pipeline": _airline_search,
    "sequence_classifier": _classifier_search,
}


def _scores(search):
    results = search.cv_results_
    keys = ["mean_test_score"] + [
        f"split{i}_test_score" for i in range(search.n_splits_)
    ]
    return {key: results[key] for key in keys}


def _assert_same_search(search, reference):
    assert search.best_params_ == reference.best_params_
    assert search.cv_results_["params"] == reference.cv_results_["params"]
    expected = _scores(reference)
    for key, scores in _scores(search).items():
        assert np.isfinite(scores).all()
        assert_allclose(scores, expected[key], rtol=1e-9, atol=1e-12, err_msg=key)


@pytest.fixture(scope="module", params=sorted(SEARCHES))
def search_and_reference(request):
    """A search's estimator, grid, cv and data, with its n_jobs=1 result."""
    estimator, grid, cv, X, y = SEARCHES[request.param]()
    reference = GridSearchCV(estimator, grid, cv=cv, n_jobs=1).fit(X, y)
    return (estimator, grid, cv, X, y), reference


def test_n_jobs_2_matches_n_jobs_1(search_and_reference):
    (estimator, grid, cv, X, y), reference = search_and_reference
    search = GridSearchCV(estimator, grid, cv=cv, n_jobs=2).fit(X, y)
    _assert_same_search(search, reference)
    assert search.predict(X).shape == reference.predict(X).shape


def _worker_threads():
    return os.environ.get("OMP_NUM_THREADS"), choose_threads(None)


@pytest.fixture(scope="module")
def dask_client():
    """A real two-process Dask cluster on the loopback, closed after the module."""
    pytest.importorskip("distributed")
    from distributed import Client, LocalCluster

    # Without conftest.py's OMP_NUM_THREADS the workers get Dask's own
    # default. A LocalCluster's nannies run in this process and write their
    # worker settings (OMP_NUM_THREADS=1, ...) into its environment:
    # patch.dict puts the environment back afterwards.
    with mock.patch.dict(os.environ):
        os.environ.pop("OMP_NUM_THREADS", None)
        with (
            LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client


def test_dask_workers_get_one_thread_each(dask_client):
    # Dask's nannies start each worker with OMP_NUM_THREADS=1 unless the
    # environment sets it, so sklrnn's default n_threads=None gives one torch
    # thread per worker.
    workers = dask_client.run(_worker_threads)
    assert sorted(workers.values()) == [("1", 1), ("1", 1)]


def test_dask_local_cluster_matches_n_jobs_1(dask_client, search_and_reference):
    (estimator, grid, cv, X, y), reference = search_and_reference
    from distributed import get_task_stream

    with get_task_stream(dask_client) as tasks:
        with joblib.parallel_config(backend="dask"):
            search = GridSearchCV(estimator, grid, cv=cv).fit(X, y)
    assert tasks.data, "the fits did not run on the Dask workers"
    _assert_same_search(search, reference)
    # GridSearchCV refits the best candidate in this process; it is usable.
    predictions = search.predict(X)
    assert predictions.shape == (len(X),)
    if predictions.dtype.kind == "f":
        assert np.isfinite(predictions).all()
    assert_allclose(
        search.best_estimator_.score(X, y), reference.best_estimator_.score(X, y)
    )


class _ThreadRecorder(Callback):
    """Records torch's intra-op thread count at every training batch."""

    def initialize(self):
        self.threads = []
        return self

    def on_batch_begin(self, net, training=False, **kwargs):
        if training:
            self.threads.append(torch.get_num_threads())


def _fit_and_record(seed):
    recorder = _ThreadRecorder()
    X = np.random.RandomState(seed).normal(size=(32, 5, 1))
    LSTMRegressor(
        hidden_size=4,
        max_epochs=2,
        batch_size=16,
        random_state=seed,
        callbacks=[recorder],
    ).fit(X, X[:, -1, 0])
    # What the same worker would give a network large enough for threads.
    large = choose_threads(None, size=100.0)
    threads = sorted(set(recorder.threads))
    return os.environ.get("OMP_NUM_THREADS"), threads, large, os.getpid()


@pytest.mark.parametrize("inner_max_num_threads", [None, 2])
def test_loky_workers_train_with_their_share_of_threads(
    monkeypatch, inner_max_num_threads
):
    # conftest.py pins OMP_NUM_THREADS=1 for the test process, and loky
    # workers inherit a value the parent has. Unset, loky gives each of
    # n_jobs workers cpu_count // n_jobs threads (1 each on two cores), or
    # inner_max_num_threads when the user sets it: sklrnn's default
    # n_threads=None must stay within that share, and train a small network
    # on one thread.
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    share = inner_max_num_threads or max(1, joblib.cpu_count() // 2)
    before = torch.get_num_threads()
    torch.set_num_threads(3)  # a parent setting the workers must not see
    try:
        with joblib.parallel_config(
            backend="loky", inner_max_num_threads=inner_max_num_threads
        ):
            results = joblib.Parallel(n_jobs=2)(
                joblib.delayed(_fit_and_record)(seed) for seed in range(4)
            )
        assert torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(before)
    assert {pid for *_, pid in results}.isdisjoint({os.getpid()})
    for omp, threads, large, _ in results:
        assert omp == str(share)
        assert threads == [1]
        assert 1 <= large <= share

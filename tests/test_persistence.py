"""pickle, joblib and the weights-only format for every estimator."""

import io
import pickle

import numpy as np
import pandas as pd
import pytest
import torch

from sklrnn import (
    LSTMRegressor,
    SequenceClassifier,
    SequenceTagger,
    load_weights,
    save_weights,
)
from sklrnn.preprocessing import SlidingWindowTransformer

FAST = dict(hidden_size=6, max_epochs=2, batch_size=16, random_state=0)
rng = np.random.RandomState(0)
X3 = rng.normal(size=(40, 5, 2)).astype(np.float32)
RAGGED = [rng.normal(size=(n, 2)).astype(np.float32) for n in rng.randint(2, 9, 40)]

CASES = {
    "regressor": (LSTMRegressor(**FAST), X3, X3.sum(axis=(1, 2))),
    "regressor-multi": (LSTMRegressor(**FAST), X3, X3[:, -1, :]),
    "classifier-strings": (
        SequenceClassifier(class_weight="balanced", **FAST),
        RAGGED,
        np.array(["a", "b", "c", "a"] * 10),
    ),
    "classifier-tokens": (
        SequenceClassifier(embedding_dim=4, bidirectional=True, **FAST),
        [rng.randint(1, 20, size=n) for n in rng.randint(2, 9, 40)],
        np.arange(40) % 2,
    ),
    "tagger": (
        SequenceTagger(**FAST),
        RAGGED,
        [np.where(seq[:, 0] > 0, "p", "n") for seq in RAGGED],
    ),
}


def _predictions(estimator, X):
    out = estimator.predict(X)
    return np.concatenate([np.ravel(p) for p in out]) if isinstance(out, list) else out


@pytest.fixture(scope="module", params=list(CASES))
def fitted(request):
    estimator, X, y = CASES[request.param]
    return estimator.fit(X, y), X


def test_weights_only_round_trip(fitted, tmp_path):
    estimator, X = fitted
    path = tmp_path / "model.pt"
    save_weights(estimator, path)
    # The file loads with torch's safe unpickler, which runs no code.
    torch.load(path, weights_only=True)
    loaded = load_weights(path)
    assert type(loaded) is type(estimator)
    assert loaded.get_params() == estimator.get_params()
    np.testing.assert_array_equal(_predictions(loaded, X), _predictions(estimator, X))
    assert loaded.n_iter_ == estimator.n_iter_
    assert len(loaded.history_) == len(estimator.history_)


def test_pickle_round_trip(fitted):
    estimator, X = fitted
    restored = pickle.loads(pickle.dumps(estimator))
    np.testing.assert_array_equal(_predictions(restored, X), _predictions(estimator, X))


def test_feature_names_survive():
    series = pd.DataFrame({"load": rng.normal(size=50)})
    windows = SlidingWindowTransformer(window=4).set_output(transform="pandas")
    X = windows.fit_transform(series)
    reg = LSTMRegressor(**FAST).fit(X, rng.normal(size=50))
    buffer = io.BytesIO()
    save_weights(reg, buffer)
    buffer.seek(0)
    loaded = load_weights(buffer)
    assert list(loaded.feature_names_in_) == list(X.columns)
    with pytest.raises(ValueError, match="feature names"):
        loaded.predict(X.rename(columns=str.upper))


def test_not_a_weights_file(tmp_path):
    path = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(2)}, path)
    with pytest.raises(ValueError, match="not a file written by sklrnn"):
        load_weights(path)


def test_pickled_object_is_refused(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"format": "sklrnn-weights/1", "payload": _Evil()}, path)
    with pytest.raises(Exception, match="Weights only load failed"):
        load_weights(path)


class _Evil:
    def __reduce__(self):
        return (print, ("this would run on load",))

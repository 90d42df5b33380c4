"""SequenceTagger, including the properties scikit-learn's checks cannot test
with their one-label-per-sample targets (see tests/_instances.py)."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV

from sklrnn import SequenceTagger

FAST = dict(hidden_size=16, max_epochs=25, batch_size=16, random_state=0)


def _running_sign(n=120, seed=0, ragged=True):
    """Each step's label is the sign of the running sum: it needs the past."""
    rng = np.random.RandomState(seed)
    lengths = rng.randint(4, 16, size=n) if ragged else np.full(n, 10)
    X = [rng.normal(size=(length, 1)).astype(np.float32) for length in lengths]
    y = [np.where(np.cumsum(seq[:, 0]) > 0, "pos", "neg") for seq in X]
    return X, y


@pytest.fixture(scope="module")
def fitted():
    X, y = _running_sign()
    return SequenceTagger(**FAST).fit(X, y), X, y


def test_learns_labels_that_depend_on_the_past(fitted):
    tagger, X, y = fitted
    assert list(tagger.classes_) == ["neg", "pos"]
    assert tagger.score(X, y) > 0.85
    X_new, y_new = _running_sign(seed=1)
    assert tagger.score(X_new, y_new) > 0.8


def test_output_lengths_follow_the_input(fitted):
    tagger, X, _ = fitted
    predicted = tagger.predict(X)
    assert [len(labels) for labels in predicted] == [len(seq) for seq in X]
    proba = tagger.predict_proba(X[:3])
    for seq, p in zip(X[:3], proba):
        assert p.shape == (len(seq), 2)
        np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)


def test_padding_never_changes_a_prediction(fitted):
    tagger, X, _ = fitted
    alone = [tagger.predict_proba([seq])[0] for seq in X[:5]]
    batched = tagger.predict_proba(X[:5])
    for a, b in zip(alone, batched):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_equal_length_arrays_in_and_out():
    X, y = _running_sign(ragged=False)
    X3, y2 = np.stack(X), np.stack(y)
    tagger = SequenceTagger(**{**FAST, "max_epochs": 3}).fit(X3, y2)
    assert tagger.predict(X3).shape == y2.shape
    assert tagger.predict_proba(X3).shape == (*y2.shape, 2)
    assert tagger.predict(X3[:, :, 0]).shape == y2.shape  # 2-D: univariate


def test_fit_returns_self_and_keeps_params_and_input(fitted):
    _, X, y = fitted
    tagger = SequenceTagger(**{**FAST, "max_epochs": 2})
    params = tagger.get_params()
    X_copy, y_copy = [seq.copy() for seq in X], [labels.copy() for labels in y]
    assert tagger.fit(X, y) is tagger
    assert tagger.get_params() == params
    for a, b in zip(X, X_copy):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(y, y_copy):
        np.testing.assert_array_equal(a, b)
    assert tagger.n_features_in_ == 1


def test_idempotent_fit_pickle_and_clone(fitted):
    tagger, X, y = fitted
    again = clone(tagger).fit(X, y)
    np.testing.assert_array_equal(
        np.concatenate(again.predict_proba(X)), np.concatenate(tagger.predict_proba(X))
    )
    restored = pickle.loads(pickle.dumps(tagger))
    for a, b in zip(restored.predict(X), tagger.predict(X)):
        np.testing.assert_array_equal(a, b)


def test_grid_search_uses_the_step_accuracy(fitted):
    _, X, y = fitted
    grid = GridSearchCV(
        SequenceTagger(**{**FAST, "max_epochs": 2}),
        {"cell": ["gru", "lstm"]},
        cv=2,
    ).fit(X, y)
    scores = grid.cv_results_["mean_test_score"]
    assert len(scores) == 2 and np.all((scores > 0) & (scores <= 1))


def test_bad_input(fitted):
    tagger, X, y = fitted
    with pytest.raises(ValueError, match="one label per step"):
        SequenceTagger(**FAST).fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="Sequence 0 has"):
        SequenceTagger(**FAST).fit(X, [labels[:-1] for labels in y])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        SequenceTagger(**FAST).fit(X, y[:-1])
    with pytest.raises(ValueError, match="at least 2 classes"):
        SequenceTagger(**FAST).fit(X, [np.zeros(len(seq)) for seq in X])
    with pytest.raises(ValueError, match="requires y"):
        SequenceTagger(**FAST).fit(X, None)
    bad = [seq.copy() for seq in X]
    bad[2][1, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        SequenceTagger(**FAST).fit(bad, y)
    with pytest.raises(ValueError, match="2 features per time step"):
        tagger.predict([np.ones((3, 2))])
    with pytest.raises(NotFittedError):
        SequenceTagger().predict(X)

"""TextTokenizer -> SequenceClassifier: a pipeline from raw strings to labels."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline

from sklrnn import SequenceClassifier
from sklrnn.preprocessing import TextTokenizer

KEYWORDS = {
    "summer": ["sun", "beach", "Warm", "swim"],
    "winter": ["snow", "ice", "Cold", "ski"],
    "autumn": ["leaves", "rain", "Wind", "harvest"],
}
FILLER = ["the", "a", "day", "was", "very", "it", "and", "we", "so", "then"]


def make_texts(n_samples, seed=0):
    """Short sentences of filler words around one or two keywords of the label."""
    rng = np.random.RandomState(seed)
    labels = np.array(sorted(KEYWORDS))[np.arange(n_samples) % len(KEYWORDS)]
    texts = []
    for label in labels:
        words = list(rng.choice(FILLER, size=rng.randint(2, 7)))
        for keyword in rng.choice(KEYWORDS[label], size=rng.randint(1, 3)):
            words.insert(rng.randint(len(words) + 1), keyword)
        texts.append(" ".join(words) + rng.choice(["", ".", "!", "?"]))
    return texts, labels


def make_pipe(**params):
    classifier = SequenceClassifier(
        embedding_dim=8, hidden_size=8, max_epochs=15, lr=0.02, random_state=0
    )
    return make_pipeline(TextTokenizer(level="word"), classifier).set_params(**params)


@pytest.fixture(scope="module")
def data():
    return make_texts(90)


@pytest.fixture(scope="module")
def fitted(data):
    texts, labels = data
    return make_pipe().fit(texts, labels)


def test_fits_strings_with_string_labels(data, fitted):
    texts, labels = data
    assert isinstance(texts, list) and isinstance(texts[0], str)
    assert_array_equal(fitted.classes_, ["autumn", "summer", "winter"])
    classifier = fitted[-1]
    assert classifier.vocabulary_size_ == fitted[0].vocabulary_size_
    predictions = fitted.predict(texts)
    assert predictions.dtype == labels.dtype
    assert set(predictions) <= set(labels)
    assert fitted.score(texts, labels) >= 0.9


def test_generalises_to_new_sentences(fitted):
    texts, labels = make_texts(60, seed=1)
    assert fitted.score(texts, labels) >= 0.75  # chance is 1/3


def test_predict_proba_rows_sum_to_one(data, fitted):
    texts, _ = data
    proba = fitted.predict_proba(texts)
    assert proba.shape == (len(texts), 3)
    assert np.all((proba >= 0) & (proba <= 1))
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert_array_equal(fitted.classes_[proba.argmax(axis=1)], fitted.predict(texts))


def test_unseen_words_at_predict_time(fitted):
    tokenizer = fitted[0]
    texts = [
        "zebra quantum sun",  # two unseen words and a keyword
        "xylophone marmalade",  # only unseen words
        "",  # no token at all
        "SNOW snow snow ski ice!!",  # known words, new case and punctuation
    ]
    ids = tokenizer.transform(texts)
    assert ids[0][0] == ids[0][1] == TextTokenizer.OOV_ID
    assert_array_equal(ids[1], [TextTokenizer.OOV_ID] * 2)
    assert_array_equal(ids[2], [TextTokenizer.OOV_ID])
    predictions = fitted.predict(texts)
    assert predictions.shape == (4,)
    assert set(predictions) <= set(fitted.classes_)
    assert_allclose(fitted.predict_proba(texts).sum(axis=1), 1.0, rtol=1e-6)
    assert predictions[3] == "winter"


def test_sentence_predicted_alike_alone_or_with_longer_ones(data, fitted):
    texts, _ = data
    short = "a warm day"
    long_ones = [" ".join(texts) for _ in range(3)]
    alone = fitted.predict_proba([short])
    batched = fitted.predict_proba(long_ones + [short])
    assert_allclose(batched[-1:], alone, atol=1e-6)


def test_grid_search_over_both_steps(data):
    texts, labels = data
    grid = {
        "texttokenizer__lowercase": [True, False],
        "sequenceclassifier__hidden_size": [4, 8],
    }
    search = GridSearchCV(
        make_pipe(), grid, cv=StratifiedKFold(n_splits=2, shuffle=True, random_state=0)
    )
    search.fit(texts, labels)
    assert len(search.cv_results_["params"]) == 4
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert set(search.best_params_) == set(grid)
    best, best_params = search.best_estimator_, search.best_params_
    assert best[0].lowercase == best_params["texttokenizer__lowercase"]
    assert best[-1].hidden_size == best_params["sequenceclassifier__hidden_size"]
    assert search.score(texts, labels) > 1 / 3
    assert_array_equal(search.classes_, ["autumn", "summer", "winter"])


def test_clone_and_pickle_round_trip(data, fitted):
    texts, labels = data
    new_texts, _ = make_texts(30, seed=2)
    refitted = clone(fitted).fit(texts, labels)
    assert_array_equal(refitted.predict(new_texts), fitted.predict(new_texts))
    assert_allclose(refitted.predict_proba(new_texts), fitted.predict_proba(new_texts))

    restored = pickle.loads(pickle.dumps(fitted))
    assert_array_equal(restored.predict(new_texts), fitted.predict(new_texts))
    assert_array_equal(
        restored.predict_proba(new_texts), fitted.predict_proba(new_texts)
    )
    assert restored[0].vocabulary_ == fitted[0].vocabulary_

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import _NotAnArray

from sklrnn import SequenceClassifier

FAST = dict(hidden_size=8, max_epochs=15, batch_size=16, random_state=0)


def _sign_of_sum(n=160, steps=6, seed=0):
    """Sequences labelled by the sign of their sum: needs every step."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, steps, 1)).astype(np.float32)
    y = np.where(X.sum(axis=(1, 2)) > 0, "up", "down")
    return X, y


def _ragged(n=120, seed=0):
    """Ragged sequences labelled by whether they contain a spike."""
    rng = np.random.RandomState(seed)
    X, y = [], []
    for i in range(n):
        seq = rng.normal(scale=0.1, size=(rng.randint(3, 15), 2)).astype(np.float32)
        label = i % 2
        if label:
            seq[rng.randint(len(seq)), 0] += 3.0
        X.append(seq)
        y.append(label)
    return X, np.array(y)


@pytest.fixture(scope="module")
def fitted():
    X, y = _sign_of_sum()
    return SequenceClassifier(**FAST).fit(X, y), X, y


def test_string_labels_and_probabilities(fitted):
    clf, X, y = fitted
    assert list(clf.classes_) == ["down", "up"]
    assert set(clf.predict(X)) <= {"down", "up"}
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert clf.score(X, y) > 0.85
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])


def test_multiclass():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(150, 5, 1)).astype(np.float32)
    y = np.digitize(X[:, :, 0].mean(axis=1), [-0.25, 0.25])
    clf = SequenceClassifier(**{**FAST, "max_epochs": 30}).fit(X, y)
    assert clf.predict_proba(X).shape == (150, 3)
    assert clf.score(X, y) > 0.7


def test_class_weight_shifts_predictions():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 4, 1)).astype(np.float32)
    y = np.where(rng.uniform(size=200) < 0.1, "rare", "common")  # noise labels
    # Without convolution blocks the small network cannot memorise the noise
    # labels, so the class weights decide what it predicts.
    small = {**FAST, "conv_channels": None}
    plain = SequenceClassifier(**small).fit(X, y)
    balanced = SequenceClassifier(class_weight="balanced", **small).fit(X, y)
    heavy = SequenceClassifier(class_weight={"rare": 20.0, "common": 1.0}, **small)
    heavy.fit(X, y)
    share = {
        name: np.mean(model.predict(X) == "rare")
        for name, model in [("plain", plain), ("balanced", balanced), ("heavy", heavy)]
    }
    assert share["plain"] < share["balanced"] <= share["heavy"]
    assert share["heavy"] > 0.5


@pytest.mark.parametrize("pooling", ["last", "mean", "max"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_ragged_batching_invariance(pooling, bidirectional):
    X, y = _ragged()
    clf = SequenceClassifier(pooling=pooling, bidirectional=bidirectional, **FAST).fit(
        X, y
    )
    batched = clf.predict_proba(X)
    alone = np.vstack([clf.predict_proba([seq]) for seq in X[:10]])
    np.testing.assert_allclose(alone, batched[:10], rtol=1e-5, atol=1e-6)
    assert clf.score(X, y) > 0.8


def test_tail_of_a_long_sequence_is_not_truncated():
    X, y = _ragged()
    clf = SequenceClassifier(**FAST).fit(X, y)
    rng = np.random.RandomState(1)
    long = rng.normal(scale=0.1, size=(400, 2)).astype(np.float32)
    spiked = long.copy()
    spiked[-1, 0] += 3.0  # only the very last step differs
    proba = clf.predict_proba([long, spiked, X[0]])
    assert not np.allclose(proba[0], proba[1])


def test_padded_2d_and_3d_input(fitted):
    clf, X, y = fitted
    flat = SequenceClassifier(**FAST).fit(X[:, :, 0], y)
    assert flat.n_features_in_ == X.shape[1]
    assert flat.predict(X[:5, :, 0]).shape == (5,)


def test_token_input_with_embedding():
    rng = np.random.RandomState(0)
    # Label: does token 7 occur? Sequences of ids 2..9, ragged.
    X = [rng.randint(2, 10, size=rng.randint(2, 12)) for _ in range(200)]
    y = np.array([int(7 in seq) for seq in X])
    clf = SequenceClassifier(embedding_dim=8, **{**FAST, "max_epochs": 25}).fit(X, y)
    assert clf.vocabulary_size_ == 10
    assert clf.score(X, y) > 0.9
    # The same sequences padded with 0 into a 2-D array predict the same.
    padded = np.zeros((len(X), max(map(len, X))), dtype=np.int64)
    for row, seq in zip(padded, X):
        row[: len(seq)] = seq
    np.testing.assert_allclose(clf.predict_proba(padded), clf.predict_proba(X))
    # Ids never seen in fit are read as the out-of-vocabulary id 1.
    unseen = clf.predict_proba([np.array([2, 3, 50])])
    oov = clf.predict_proba([np.array([2, 3, 1])])
    np.testing.assert_allclose(unseen, oov)


def _with_rare_tokens(n=200, seed=0):
    """Ids 2..9 labelled by whether 7 occurs; each sequence also ends with an
    id of its own (10, 11, ...), found in no other sequence."""
    rng = np.random.RandomState(seed)
    X = [rng.randint(2, 10, size=rng.randint(2, 12)) for _ in range(n)]
    y = np.array([int(7 in seq) for seq in X])
    X = [np.append(seq, 10 + i) for i, seq in enumerate(X)]
    return X, y


def _embedding(clf):
    return clf.net_.module_.embedding.weight.detach().numpy().copy()


def test_ids_in_one_training_sequence_are_read_as_out_of_vocabulary():
    X, y = _with_rare_tokens()
    before = [seq.copy() for seq in X]
    params = dict(embedding_dim=8, **{**FAST, "max_epochs": 5})
    clf = SequenceClassifier(**params).fit(X, y)
    for seq, original in zip(X, before):
        np.testing.assert_array_equal(seq, original)
    assert clf.vocabulary_size_ == 10 + len(X)
    embedding = _embedding(clf)
    # The rare ids share the out-of-vocabulary id's embedding, which trained.
    np.testing.assert_array_equal(embedding[10:], np.tile(embedding[1], (len(X), 1)))
    untrained = clone(clf).set_params(max_epochs=1, lr=1e-12).fit(X, y)
    initial = _embedding(untrained)
    assert np.abs(embedding[1] - initial[1]).max() > 0.01
    first = clf.predict_proba([np.array([7, 3, 10])])
    np.testing.assert_allclose(first, clf.predict_proba([np.array([7, 3, 1])]))
    # An id seen in two sequences keeps an embedding of its own.
    X[1][-1] = 10
    twice = _embedding(SequenceClassifier(**params).fit(X, y))
    assert not np.allclose(twice[10], twice[1])


def test_min_token_sequences_1_keeps_every_id():
    X, y = _with_rare_tokens()
    params = dict(embedding_dim=8, **{**FAST, "max_epochs": 5})
    kept = SequenceClassifier(min_token_sequences=1, **params).fit(X, y)
    embedding = _embedding(kept)
    assert len(np.unique(embedding[10:].round(6), axis=0)) == len(X)
    # The out-of-vocabulary id never occurred, so its embedding never trained.
    untrained = SequenceClassifier(min_token_sequences=1, **params)
    untrained.set_params(max_epochs=1, lr=1e-12).fit(X, y)
    initial = _embedding(untrained)
    np.testing.assert_allclose(embedding[1], initial[1], atol=1e-6)


def test_warm_start_keeps_the_embeddings_an_earlier_fit_trained():
    X, y = _with_rare_tokens(n=100)
    X[1][-1] = 10  # id 10 in two sequences: trained in the first fit
    params = dict(embedding_dim=8, warm_start=True, **{**FAST, "max_epochs": 5})
    clf = SequenceClassifier(vocabulary_size=10 + len(X), **params).fit(X, y)
    first = _embedding(clf)
    assert not np.allclose(first[10], first[1])
    # The second fit sees id 10 once (rare there) and id 11 in no sequence.
    X_again = [seq[:-1] for seq in X]
    X_again[0] = np.append(X_again[0], 10)
    clf.fit(X_again, y)
    second = _embedding(clf)
    assert not np.allclose(second[10], second[1])
    # Ids no fit trained on still share the out-of-vocabulary embedding.
    np.testing.assert_array_equal(second[11:], np.tile(second[1], (len(X) - 1, 1)))


def test_warm_start_from_a_model_without_the_record_keeps_every_embedding():
    X, y = _with_rare_tokens(n=100)
    params = dict(embedding_dim=8, warm_start=True, **{**FAST, "max_epochs": 5})
    clf = SequenceClassifier(vocabulary_size=10 + len(X), **params).fit(X, y)
    del clf._trained_ids  # as in a model saved before the record existed
    before = _embedding(clf)
    # The refit holds none of ids 10 and up, and the out-of-vocabulary id.
    clf.fit([np.append(seq[:-1], 1) for seq in X], y)
    after = _embedding(clf)
    assert not np.allclose(after[1], before[1])
    # Ids 10 and up, absent from the refit, kept their embeddings rather than
    # take the one the out-of-vocabulary id learnt in it.
    np.testing.assert_array_equal(after[10:], before[10:])


def test_token_input_without_len_like_numeric_input():
    # An array-like with only __array__ (no len()) is read through np.asarray,
    # as numeric input is.
    rng = np.random.RandomState(0)
    X = rng.randint(1, 6, size=(24, 5))
    y = np.arange(24) % 2
    params = dict(embedding_dim=2, hidden_size=4, max_epochs=1, random_state=0)
    clf = SequenceClassifier(**params).fit(_NotAnArray(X), y)
    expected = SequenceClassifier(**params).fit(X, y).predict_proba(X)
    np.testing.assert_allclose(clf.predict_proba(_NotAnArray(X)), expected)


def test_token_input_errors():
    clf = SequenceClassifier(embedding_dim=4, vocabulary_size=5, **FAST)
    with pytest.raises(ValueError, match="token id 9"):
        clf.fit([np.array([1, 9]), np.array([2])], [0, 1])
    with pytest.raises(TypeError, match="integer token ids"):
        clf.fit([np.array([1.5, 2.0]), np.array([2.0])], [0, 1])
    with pytest.raises(ValueError, match="non-negative"):
        clf.fit([np.array([1, -2]), np.array([2])], [0, 1])
    with pytest.raises(ValueError, match="Sequence 1 of X has no tokens"):
        clf.fit([np.array([1, 2]), np.array([], dtype=int)], [0, 1])


def test_early_stopping_is_stratified_and_restores_best():
    X, y = _sign_of_sum(n=200)
    clf = SequenceClassifier(
        early_stopping=True, n_iter_no_change=3, **{**FAST, "max_epochs": 100}
    ).fit(X, y)
    assert clf.n_iter_ < 100
    assert "valid_loss" in clf.history_[-1]


def test_same_seed_same_model_and_pickle(fitted):
    clf, X, y = fitted
    again = SequenceClassifier(**FAST).fit(X, y)
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    assert not hasattr(clone(clf), "classes_")


def test_grid_search(fitted):
    _, X, y = fitted
    grid = GridSearchCV(
        SequenceClassifier(**{**FAST, "max_epochs": 3}),
        {"cell": ["gru", "rnn"], "pooling": ["last", "mean"]},
        cv=2,
    ).fit(X, y)
    assert len(grid.cv_results_["params"]) == 4


def test_bad_input(fitted):
    clf, X, y = fitted
    with pytest.raises(ValueError, match="at least 2 classes"):
        SequenceClassifier(**FAST).fit(X, np.full(len(X), "up"))
    with pytest.raises(ValueError, match="Unknown label type"):
        SequenceClassifier(**FAST).fit(X, np.linspace(0, 1, len(X)))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        SequenceClassifier(**FAST).fit(X, y[:-1])
    with pytest.raises(ValueError, match="2 features per time step"):
        clf.predict(np.concatenate([X, X], axis=2))
    with pytest.raises(NotFittedError):
        SequenceClassifier().predict_proba(X)
    with pytest.raises(InvalidParameterError, match="'pooling' parameter"):
        SequenceClassifier(pooling="attention").fit(X, y)
    with pytest.raises(InvalidParameterError, match="'class_weight' parameter"):
        SequenceClassifier(class_weight="auto").fit(X, y)
    with pytest.raises(ValueError, match="NaN"):
        bad = X.copy()
        bad[0, 0, 0] = np.nan
        SequenceClassifier(**FAST).fit(bad, y)


# Convolutional front-end, pooling and schedule ------------------------------------


def _bump_series(n=48, steps=120, seed=0):
    """Long noisy univariate series labelled by the shape they hold, anywhere
    in the series: a narrow spike or a wide hump of the same height."""
    rng = np.random.RandomState(seed)
    t = np.arange(steps)
    y = np.arange(n) % 2
    centres = rng.randint(15, steps - 15, n)
    widths = np.where(y == 1, 2.0, 8.0)
    X = np.exp(-0.5 * ((t[None, :] - centres[:, None]) / widths[:, None]) ** 2)
    X = X + rng.normal(scale=0.3, size=X.shape)
    return X.astype(np.float32), y


def test_defaults_learn_long_series():
    X, y = _bump_series(seed=0)
    X_test, y_test = _bump_series(seed=1)
    # The defaults but for fewer epochs, to keep the test short.
    clf = SequenceClassifier(max_epochs=30, random_state=0).fit(X, y)
    assert clf.pool_size_ == 7  # 120 steps // 16
    assert clf.score(X_test, y_test) >= 0.9


@pytest.mark.parametrize(
    "params, steps, expected",
    [
        ({}, 100, 6),
        ({}, 20, 1),
        ({"pool_size": 2}, 20, 2),
        ({"conv_channels": None, "pool_size": 4}, 100, 1),
    ],
)
def test_pool_size(params, steps, expected):
    X = np.random.RandomState(0).normal(size=(20, steps, 1)).astype(np.float32)
    clf = SequenceClassifier(max_epochs=1, **params).fit(X, np.arange(20) % 2)
    assert clf.pool_size_ == expected


def test_auto_pool_size_takes_the_median_length_of_ragged_input():
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(n, 1)) for n in [40, 64, 70, 300, 500]]
    clf = SequenceClassifier(max_epochs=1).fit(X, [0, 1, 0, 1, 0])
    assert clf.pool_size_ == 70 // 16


def test_auto_conv_channels_for_numbers_but_not_for_tokens():
    X, y = _sign_of_sum(n=40)
    numeric = SequenceClassifier(**{**FAST, "max_epochs": 1}).fit(X, y)
    assert numeric.conv_channels_ == (64, 64, 64)
    assert len(numeric.net_.module_.frontend.blocks) == 3
    tokens = [np.array([2, 3, 4]), np.array([5, 6])] * 10
    text = SequenceClassifier(embedding_dim=4, **{**FAST, "max_epochs": 1})
    text.fit(tokens, [0, 1] * 10)
    assert text.conv_channels_ == () and text.net_.module_.frontend is None
    explicit = SequenceClassifier(embedding_dim=4, conv_channels=(3,), **FAST)
    assert explicit.set_params(max_epochs=1).fit(
        tokens, [0, 1] * 10
    ).conv_channels_ == (3,)


@pytest.mark.parametrize("conv_channels", [None, ()])
def test_without_conv_channels_the_steps_go_straight_to_the_rnn(conv_channels):
    X, y = _sign_of_sum()
    clf = SequenceClassifier(conv_channels=conv_channels, **FAST).fit(X, y)
    assert clf.net_.module_.frontend is None
    assert clf.score(X, y) > 0.8


@pytest.mark.parametrize("conv_channels", [(64, 0), (8, 2.5), (True,), ("8",)])
def test_conv_channels_must_be_positive_ints(conv_channels):
    X, y = _sign_of_sum(n=20)
    with pytest.raises(ValueError, match=r"conv_channels must hold positive ints"):
        SequenceClassifier(conv_channels=conv_channels, **FAST).fit(X, y)


def test_conv_channels_and_kernel_size_shape_the_blocks():
    X, y = _sign_of_sum(n=40)
    clf = SequenceClassifier(conv_channels=[5, 7], conv_kernel_size=3, **FAST)
    convs = [block[1] for block in clf.fit(X, y).net_.module_.frontend.blocks]
    assert [conv.out_channels for conv in convs] == [5, 7]
    assert [conv.kernel_size for conv in convs] == [(3,), (3,)]
    assert clf.conv_channels == [5, 7]  # the parameter is not modified


def test_cosine_lr_schedule_anneals_over_the_epochs():
    X, y = _sign_of_sum(n=40)
    clf = SequenceClassifier(lr=0.01, **FAST).fit(X, y)
    lrs = np.array(clf.history_[:, "event_lr"])
    epochs = np.arange(FAST["max_epochs"])
    expected = 0.005 * (1 + np.cos(np.pi * epochs / FAST["max_epochs"]))
    np.testing.assert_allclose(lrs, expected, rtol=1e-6)


def test_constant_lr_schedule():
    X, y = _sign_of_sum(n=40)
    clf = SequenceClassifier(lr_schedule="constant", lr=0.01, **FAST).fit(X, y)
    assert "event_lr" not in clf.history_[-1]
    assert clf.net_.optimizer_.param_groups[0]["lr"] == 0.01


def test_warm_start_anneals_afresh_over_the_new_epochs():
    X, y = _sign_of_sum()
    clf = SequenceClassifier(warm_start=True, **FAST).fit(X, y)
    clf.set_params(max_epochs=4, lr=0.002).fit(X, y)
    assert clf.n_iter_ == FAST["max_epochs"] + 4
    lrs = clf.history_[-4:, "event_lr"]
    np.testing.assert_allclose(lrs, 0.001 * (1 + np.cos(np.pi * np.arange(4) / 4)))
    assert clf.score(X, y) > 0.8


@pytest.mark.parametrize(
    "n_samples, batch_size, expected",
    [(50, 16, 100), (270, 16, 59), (1347, 16, 20), (100_000, 16, 20), (None, 16, 100)],
)
def test_auto_max_epochs_trains_about_a_thousand_batches(
    n_samples, batch_size, expected
):
    clf = SequenceClassifier(batch_size=batch_size)
    assert clf._epochs(n_samples) == expected


def test_auto_max_epochs_sets_the_epochs_and_the_schedule():
    X, y = _sign_of_sum(n=40)
    clf = SequenceClassifier(hidden_size=4, batch_size=40, conv_channels=[4])
    clf.fit(X, y)
    assert clf.n_iter_ == 100  # one batch per epoch: the upper bound
    assert dict(clf.net_.callbacks_)["lr_schedule"].lr_scheduler_.T_max == 100


def test_files_saved_before_the_front_end_still_load():
    """A classifier saved by sklrnn 0.1.0 (no convolution blocks, constant
    learning rate) loads as the network it was."""
    from pathlib import Path

    from sklrnn import load_weights

    data = Path(__file__).parent / "data"
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 6, 2)).astype(np.float32)
    clf = load_weights(data / "classifier_0.1.0.pt")
    assert clf.conv_channels is None and clf.lr_schedule == "constant"
    expected = np.load(data / "classifier_0.1.0_proba.npy")
    np.testing.assert_allclose(clf.predict_proba(X), expected, rtol=1e-6)

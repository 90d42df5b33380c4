"""Property tests (hypothesis): windowing, transformers' round trips, and that
a sequence's prediction does not depend on the ragged batch it comes in."""

from functools import cache

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal

from sklrnn import LSTMRegressor, SequenceClassifier, SequenceTagger
from sklrnn.preprocessing import (
    SequenceScaler,
    SlidingWindowTransformer,
    TextTokenizer,
    make_windows,
)

FLOAT_DTYPES = st.sampled_from([np.float32, np.float64])


def finite(dtype, bound=1e6):
    width = 32 if dtype == np.float32 else 64
    return st.floats(-bound, bound, width=width, allow_subnormal=False)


@st.composite
def float_series(draw, min_steps=1, max_steps=40):
    """A 1-D or 2-D float series, possibly a strided (non-contiguous) view."""
    dtype = draw(FLOAT_DTYPES)
    n_steps = draw(st.integers(min_steps, max_steps))
    n_features = draw(st.sampled_from([None, 1, 3]))
    step = draw(st.sampled_from([1, 2]))
    shape = (n_steps * step,) + (() if n_features is None else (n_features,))
    base = draw(arrays(dtype, shape, elements=finite(dtype)))
    return base, base[::step]


# make_windows ---------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    window=st.integers(1, 8),
    horizon=st.integers(1, 4),
    stride=st.integers(1, 5),
)
def test_make_windows_shapes_alignment_and_read_only_views(
    data, window, horizon, stride
):
    base, series = data.draw(float_series(min_steps=window + horizon))
    n_steps = len(series)
    X, y = make_windows(series, window, horizon=horizon, stride=stride)

    n_windows = (n_steps - window - horizon) // stride + 1
    features = series.shape[1:]
    assert X.shape == (n_windows, window) + features
    assert y.shape == (n_windows,) + (() if horizon == 1 else (horizon,)) + features
    assert X.dtype == y.dtype == series.dtype
    for i in range(n_windows):
        start = i * stride
        assert_array_equal(X[i], series[start : start + window])
        after = series[start + window : start + window + horizon]
        assert_array_equal(y[i], after[0] if horizon == 1 else after)
    # Zero-copy, read-only views of the caller's own memory.
    assert np.shares_memory(X, base) and np.shares_memory(y, base)
    assert not X.flags.writeable and not y.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        X[0] = 0


# SlidingWindowTransformer -----------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    n_features=st.integers(1, 3),
    add_indicator=st.booleans(),
)
def test_sliding_windows_rows_steps_and_padding(data, n_features, add_indicator):
    dtype = data.draw(FLOAT_DTYPES)
    n_fit = data.draw(st.integers(1, 15))
    window = data.draw(st.integers(1, n_fit))
    n_steps = data.draw(st.integers(1, 20))  # transform: shorter than window too
    elements = finite(dtype)
    fit_series = data.draw(arrays(dtype, (n_fit, n_features), elements=elements))
    X = data.draw(arrays(dtype, (n_steps, n_features), elements=elements))
    fill_value = data.draw(finite(dtype))

    swt = SlidingWindowTransformer(
        window=window, fill_value=fill_value, add_indicator=add_indicator
    ).fit(fit_series)
    out = swt.transform(X)

    assert out.shape == (n_steps, window, n_features + add_indicator)
    assert out.dtype == dtype
    assert_array_equal(out[:, -1, :n_features], X)  # row t ends at step t
    # Step k of row t is step t - window + 1 + k of the series, or padding.
    source = np.arange(n_steps)[:, None] - window + 1 + np.arange(window)[None, :]
    before_start = source < 0
    assert_array_equal(out[:, :, :n_features][~before_start], X[source[~before_start]])
    assert (out[:, :, :n_features][before_start] == dtype(fill_value)).all()
    if add_indicator:
        assert_array_equal(out[:, :, -1], before_start.astype(dtype))

    frame = swt.set_output(transform="pandas").transform(X)
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == list(swt.get_feature_names_out())
    assert_array_equal(frame.to_numpy(), out.reshape(n_steps, -1))


# SequenceScaler ------------------------------------------------------------------


def assert_round_trip(back, X, largest):
    """float32 steps: allow a few float32 ulps of the largest value of all
    sequences (the mean, subtracted and added back, is as large as that)."""
    assert_allclose(back, X, rtol=0, atol=1e-6 * max(largest, 1e-30))


@settings(max_examples=40, deadline=None)
@given(
    data=st.data(),
    shape=st.tuples(st.integers(1, 5), st.integers(1, 6), st.integers(1, 3)),
    with_mean=st.booleans(),
    with_std=st.booleans(),
)
def test_scaler_round_trip_3d(data, shape, with_mean, with_std):
    dtype = data.draw(FLOAT_DTYPES)
    X = data.draw(arrays(dtype, shape, elements=finite(dtype, 1e4)))
    scaler = SequenceScaler(with_mean=with_mean, with_std=with_std).fit(X)
    back = scaler.inverse_transform(scaler.transform(X))
    assert back.shape == X.shape
    assert_round_trip(back, X, float(np.max(np.abs(X))))


@settings(max_examples=40, deadline=None)
@given(
    data=st.data(),
    lengths=st.lists(st.integers(1, 6), min_size=1, max_size=5),
    n_features=st.integers(1, 3),
    with_mean=st.booleans(),
    with_std=st.booleans(),
)
def test_scaler_round_trip_ragged(data, lengths, n_features, with_mean, with_std):
    dtype = data.draw(FLOAT_DTYPES)
    one_d = n_features == 1 and data.draw(st.booleans())
    lengths = lengths + [max(lengths) + 1]  # at least two lengths: ragged
    X = [
        data.draw(
            arrays(
                dtype,
                (n,) if one_d else (n, n_features),
                elements=finite(dtype, 1e4),
            )
        )
        for n in lengths
    ]
    scaler = SequenceScaler(with_mean=with_mean, with_std=with_std).fit(X)
    back = scaler.inverse_transform(scaler.transform(X))
    assert isinstance(back, list) and len(back) == len(X)
    largest = max(float(np.max(np.abs(seq))) for seq in X)
    for seq_back, seq in zip(back, X):
        assert seq_back.shape == seq.shape
        assert_round_trip(seq_back, seq, largest)


# TextTokenizer ------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    fit_docs=st.lists(st.text(min_size=1, max_size=15), min_size=1, max_size=4),
)
def test_char_tokenizer_round_trips_docs_of_the_fitted_alphabet(data, fit_docs):
    tokenizer = TextTokenizer(level="char", lowercase=False).fit(fit_docs)
    alphabet = sorted(set("".join(fit_docs)))
    docs = data.draw(
        st.lists(st.text(alphabet=alphabet, min_size=1, max_size=20), max_size=5).map(
            lambda docs: docs or [alphabet[0]]
        )
    )
    ids = tokenizer.transform(docs)
    assert all(seq.min() >= 2 for seq in ids)  # no padding, nothing unknown
    assert tokenizer.inverse_transform(ids) == docs


# Ragged batching invariance ------------------------------------------------------

N_STEP_FEATURES = 2
BATCH_TOL = dict(rtol=0, atol=1e-6)


def _training_data():
    rng = np.random.RandomState(0)
    X = [
        rng.normal(size=(n, N_STEP_FEATURES)).astype(np.float32)
        for n in rng.randint(1, 12, size=40)
    ]
    sums = np.array([seq[:, 0].sum() for seq in X])
    steps = [np.where(np.cumsum(seq[:, 0]) > 0, "up", "down") for seq in X]
    return X, sums, steps


@cache
def fitted(name, **params):
    """Small models, fitted once per module and shared by the examples."""
    X, sums, steps = _training_data()
    common = dict(hidden_size=6, max_epochs=2, batch_size=8, random_state=0)
    if name == "classifier":
        return SequenceClassifier(**common, **params).fit(X, sums > 0)
    if name == "regressor":
        return LSTMRegressor(**common, **params).fit(X, np.tanh(sums))
    return SequenceTagger(**common, **params).fit(X, steps)


def sequence(length):
    elements = st.floats(-3, 3, width=32)
    return arrays(np.float32, (length, N_STEP_FEATURES), elements=elements)


@st.composite
def sequence_in_a_batch(draw):
    """A sequence, and a batch of other sequences of any lengths holding it."""
    seq = draw(st.integers(1, 12).flatmap(sequence))
    others = draw(st.lists(st.integers(1, 16).flatmap(sequence), max_size=6))
    position = draw(st.integers(0, len(others)))
    return seq, others[:position] + [seq] + others[position:], position


CLASSIFIERS = [
    dict(pooling="last", conv_channels=None),
    dict(pooling="mean", bidirectional=True),
    dict(pooling="max", cell="gru"),
    # Convolution blocks and pooling 3 steps into 1: padding stays masked.
    dict(pooling="mean", pool_size=3),
    dict(pooling="last", pool_size=3, conv_kernel_size=4),
]


@pytest.mark.parametrize(
    "params", CLASSIFIERS, ids=lambda p: "-".join(map(str, p.values()))
)
@settings(max_examples=25, deadline=None)
@given(example=sequence_in_a_batch())
def test_classifier_proba_does_not_depend_on_the_batch(params, example):
    seq, batch, position = example
    clf = fitted("classifier", **params)
    alone = clf.predict_proba([seq])[0]
    assert_allclose(clf.predict_proba(batch)[position], alone, **BATCH_TOL)
    assert_allclose(clf.predict_proba(seq[None])[0], alone, **BATCH_TOL)


@settings(max_examples=30, deadline=None)
@given(example=sequence_in_a_batch())
def test_regressor_prediction_does_not_depend_on_the_batch(example):
    seq, batch, position = example
    reg = fitted("regressor", bidirectional=True)
    alone = reg.predict([seq])[0]
    assert_allclose(reg.predict(batch)[position], alone, **BATCH_TOL)
    assert_allclose(reg.predict(seq[None])[0], alone, **BATCH_TOL)


@settings(max_examples=30, deadline=None)
@given(example=sequence_in_a_batch())
def test_tagger_step_proba_does_not_depend_on_the_batch(example):
    seq, batch, position = example
    tagger = fitted("tagger", bidirectional=True)
    alone = tagger.predict_proba([seq])[0]
    assert alone.shape == (len(seq), 2)
    assert_allclose(tagger.predict_proba(batch)[position], alone, **BATCH_TOL)
    assert_allclose(tagger.predict_proba(seq[None])[0], alone, **BATCH_TOL)

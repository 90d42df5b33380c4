"""Tests for SequenceScaler: statistics over all steps, forms kept, errors."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from sklrnn.preprocessing._scaler import SequenceScaler
from sklrnn.preprocessing._sliding import SlidingWindowTransformer


def make_3d(n_samples=6, n_timesteps=5, n_features=3, dtype=np.float64):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_samples, n_timesteps, n_features))
    # Features on different scales and offsets.
    return (X * [1.0, 10.0, 0.1][:n_features] + [5.0, -3.0, 100.0][:n_features]).astype(
        dtype
    )


def make_ragged(lengths=(3, 8, 1, 5), n_features=2, dtype=np.float64):
    rng = np.random.default_rng(1)
    return [
        (rng.normal(size=(length, n_features)) * [2.0, 0.5] + [1.0, -4.0]).astype(dtype)
        for length in lengths
    ]


def make_table(n_samples=7, n_timesteps=4):
    rng = np.random.default_rng(2)
    return rng.normal(loc=3.0, scale=2.0, size=(n_samples, n_timesteps))


def make_lag_frame(window=3):
    rng = np.random.default_rng(3)
    series = pd.DataFrame(
        rng.normal(size=(15, 2)) * [1.0, 10.0] + [0.0, 5.0], columns=["a", "b"]
    )
    windower = SlidingWindowTransformer(window=window, add_indicator=False)
    return windower.set_output(transform="pandas").fit_transform(series)


def forms():
    """Every input form with the shape its output must have."""
    ragged = make_ragged()
    ragged_1d = [np.array([1.0, 2.0, 4.0]), np.array([3.0]), np.array([0.0, 5.0])]
    return {
        "3d": make_3d(),
        "ragged": ragged,
        "ragged_1d": ragged_1d,
        "mixed": [np.array([1.0, 2.0, 4.0]), np.array([[3.0], [7.0]])],
        "table": make_table(),
        "table_frame": pd.DataFrame(make_table(), columns=["s0", "s1", "s2", "s3"]),
        "lag_frame": make_lag_frame(),
    }


FORMS = list(forms())


def as_float32(X):
    """`X` as the scaler reads it (float32), in float64 for exact references."""
    return np.asarray(X, dtype=np.float32).astype(np.float64)


def expected_output(X):
    """`X` in the form of the output: lag DataFrames come out as 3-D windows."""
    X = np.asarray(X)
    if X.shape == make_lag_frame().shape:
        return X.reshape(len(X), -1, 2)
    return X


def test_3d_standardises_each_feature_over_all_steps():
    X = make_3d()
    Xt = SequenceScaler().fit_transform(X)
    assert Xt.shape == X.shape
    steps = Xt.reshape(-1, X.shape[2])
    assert_allclose(steps.mean(axis=0), 0.0, atol=1e-5)
    assert_allclose(steps.std(axis=0), 1.0, rtol=1e-5)


def test_3d_equals_standard_scaler_on_stacked_steps():
    X = make_3d()
    scaler = SequenceScaler().fit(X)
    # The scaler reads float32, which rounds the feature at offset 100.
    reference = StandardScaler().fit(as_float32(X).reshape(-1, 3))
    assert_allclose(scaler.mean_, reference.mean_, rtol=1e-6)
    assert_allclose(scaler.var_, reference.var_, rtol=1e-5)
    assert_allclose(scaler.scale_, reference.scale_, rtol=1e-5)
    assert scaler.n_samples_seen_ == 6 * 5
    assert scaler.n_features_in_ == 3
    expected = reference.transform(as_float32(X).reshape(-1, 3)).reshape(X.shape)
    assert_allclose(scaler.transform(X), expected, rtol=1e-5, atol=1e-5)


def test_3d_transform_accepts_other_lengths():
    scaler = SequenceScaler().fit(make_3d(n_timesteps=5))
    X_long = as_float32(make_3d(n_samples=2, n_timesteps=9))
    Xt = scaler.transform(X_long)
    assert Xt.shape == (2, 9, 3)
    assert_allclose(Xt, (X_long - scaler.mean_) / scaler.scale_, rtol=1e-5, atol=1e-6)


def test_ragged_statistics_are_over_all_steps_so_long_sequences_weigh_more():
    X = make_ragged(lengths=(2, 10))
    scaler = SequenceScaler().fit(X)
    steps = np.concatenate(X)
    assert_allclose(scaler.mean_, steps.mean(axis=0), rtol=1e-6)
    assert_allclose(scaler.var_, steps.var(axis=0), rtol=1e-5)
    assert scaler.n_samples_seen_ == 12
    # Not the mean of the per-sequence means.
    mean_of_means = np.mean([seq.mean(axis=0) for seq in X], axis=0)
    assert not np.allclose(scaler.mean_, mean_of_means)
    assert_allclose(
        np.concatenate(scaler.transform(X)),
        StandardScaler().fit_transform(steps),
        rtol=1e-5,
        atol=1e-5,
    )


def test_ragged_output_keeps_the_shape_of_each_sequence():
    X = [np.array([1.0, 2.0, 4.0]), np.array([[3.0], [7.0]]), np.array([0.5])]
    Xt = SequenceScaler().fit_transform(X)
    assert isinstance(Xt, list)
    assert [seq.shape for seq in Xt] == [(3,), (2, 1), (1,)]
    flat = np.concatenate([seq.ravel() for seq in Xt])
    assert_allclose(flat.mean(), 0.0, atol=1e-6)
    assert_allclose(flat.std(), 1.0, rtol=1e-5)


def test_ragged_after_3d_fit():
    scaler = SequenceScaler().fit(make_3d(n_features=2))
    X = make_ragged(n_features=2)
    Xt = scaler.transform(X)
    for seq, seq_t in zip(X, Xt):
        assert seq_t.shape == seq.shape
        assert_allclose(seq_t, (seq - scaler.mean_) / scaler.scale_, rtol=1e-5)


def test_2d_table_has_one_mean_and_std_over_all_values():
    X = make_table()
    scaler = SequenceScaler().fit(X)
    assert scaler.mean_.shape == scaler.scale_.shape == (1,)
    assert_allclose(scaler.mean_, [X.mean()], rtol=1e-6)
    assert_allclose(scaler.scale_, [X.std()], rtol=1e-5)
    assert scaler.n_samples_seen_ == X.size
    assert scaler.n_features_in_ == X.shape[1]
    Xt = scaler.transform(X)
    assert Xt.shape == X.shape
    assert_allclose(Xt, (X - X.mean()) / X.std(), rtol=1e-5, atol=1e-5)
    # Unlike StandardScaler, the columns (time steps) are not scaled apart.
    assert not np.allclose(Xt.mean(axis=0), 0.0, atol=1e-3)


def test_list_of_equal_length_1d_sequences_is_a_table():
    X = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    Xt = SequenceScaler().fit_transform(X)
    assert isinstance(Xt, np.ndarray)
    assert Xt.shape == (2, 3)
    assert_allclose(Xt, (np.array(X) - 3.5) / np.std(X), rtol=1e-5)


def test_lag_frame_is_scaled_per_feature_and_comes_out_as_windows():
    frame = make_lag_frame(window=3)
    scaler = SequenceScaler().fit(frame)
    windows = frame.to_numpy().reshape(len(frame), 3, 2)
    reference = SequenceScaler().fit(windows)
    assert_allclose(scaler.mean_, reference.mean_, rtol=1e-6)
    assert_allclose(scaler.scale_, reference.scale_, rtol=1e-6)
    assert scaler.n_features_in_ == 6
    assert_array_equal(scaler.feature_names_in_, frame.columns)
    # A flat array would lose the names that tell the features apart.
    Xt = scaler.transform(frame)
    assert isinstance(Xt, np.ndarray)
    assert Xt.shape == (len(frame), 3, 2)
    assert_allclose(Xt, reference.transform(windows))
    assert_array_equal(scaler.get_feature_names_out(), frame.columns)
    assert_allclose(scaler.inverse_transform(Xt), windows, rtol=1e-5, atol=1e-5)


def test_set_output_pandas_wraps_2d_output():
    frame = make_lag_frame()
    frame.index = frame.index + 100
    scaler = SequenceScaler().set_output(transform="pandas")
    out = scaler.fit_transform(frame)
    assert isinstance(out, pd.DataFrame)
    assert_array_equal(out.columns, frame.columns)
    assert_array_equal(out.index, frame.index)
    # Same values as the default 3-D output, flattened step-major.
    windows = SequenceScaler().fit_transform(frame)
    assert_allclose(out.to_numpy(), windows.reshape(len(frame), -1))
    # The lag names survive, so the scaled frame is read as windows again.
    assert_allclose(
        scaler.inverse_transform(out),
        frame.to_numpy().reshape(windows.shape),
        rtol=1e-5,
        atol=1e-5,
    )

    table = pd.DataFrame(make_table(), columns=["s0", "s1", "s2", "s3"])
    out = SequenceScaler().set_output(transform="pandas").fit_transform(table)
    assert_array_equal(out.columns, table.columns)


def test_inverse_transform_of_array_output_does_not_warn_about_names():
    for frame in [make_lag_frame(), pd.DataFrame(make_table(), columns=list("abcd"))]:
        scaler = SequenceScaler().fit(frame)
        Xt = scaler.transform(frame)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            scaler.inverse_transform(Xt)


def test_in_a_pipeline_after_sliding_windows():
    rng = np.random.default_rng(5)
    series = pd.DataFrame(rng.normal(size=(30, 2)) * [1.0, 50.0], columns=["a", "b"])
    pipeline = make_pipeline(
        SlidingWindowTransformer(window=4).set_output(transform="pandas"),
        SequenceScaler(),
    )
    windows = pipeline.fit_transform(series)
    assert windows.shape == (30, 4, 3)  # a, b and the padding indicator
    steps = windows.reshape(-1, 3)
    assert_allclose(steps.mean(axis=0), 0.0, atol=1e-5)
    assert_allclose(steps.std(axis=0), 1.0, rtol=1e-5)

    frame = pipeline.set_output(transform="pandas").fit_transform(series)
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns[:3]) == ["a[t-3]", "b[t-3]", "padding[t-3]"]
    assert_allclose(frame.to_numpy(), windows.reshape(30, -1), rtol=1e-6)


@pytest.mark.parametrize("X", [make_3d(), make_ragged()], ids=["3d", "ragged"])
def test_set_output_pandas_rejects_3d_and_ragged_output(X):
    scaler = SequenceScaler().set_output(transform="pandas").fit(X)
    with pytest.raises(ValueError, match="only wrap 2-D output"):
        scaler.transform(X)


def test_get_feature_names_out_of_3d_fit_names_step_features():
    scaler = SequenceScaler().fit(make_3d(n_features=3))
    assert_array_equal(scaler.get_feature_names_out(), ["x0", "x1", "x2"])


@pytest.mark.parametrize("form", FORMS)
def test_output_has_the_form_of_the_input(form):
    X = forms()[form]
    Xt = SequenceScaler().fit_transform(X)
    if isinstance(X, list):
        assert isinstance(Xt, list)
        assert [seq.shape for seq in Xt] == [np.shape(seq) for seq in X]
        assert all(seq.dtype == np.float32 for seq in Xt)
    else:
        assert isinstance(Xt, np.ndarray)
        assert Xt.shape == expected_output(X).shape
        assert Xt.dtype == np.float32


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("with_mean", [True, False])
@pytest.mark.parametrize("with_std", [True, False])
def test_inverse_transform_round_trip(form, with_mean, with_std):
    X = forms()[form]
    scaler = SequenceScaler(with_mean=with_mean, with_std=with_std).fit(X)
    X_back = scaler.inverse_transform(scaler.transform(X))
    if isinstance(X, list):
        assert [seq.shape for seq in X_back] == [np.shape(seq) for seq in X]
        for seq, seq_back in zip(X, X_back):
            assert_allclose(seq_back, seq, rtol=1e-5, atol=1e-5)
    else:
        expected = expected_output(X)
        assert X_back.shape == expected.shape
        assert_allclose(X_back, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("form", FORMS + ["3d_float32", "ragged_float32"])
def test_input_is_not_modified(form):
    if form == "3d_float32":
        # validate_sequences returns the caller's own float32 array.
        X = make_3d(dtype=np.float32)
    elif form == "ragged_float32":
        X = make_ragged(dtype=np.float32)
    else:
        X = forms()[form]
    if isinstance(X, list):
        copy = [np.array(seq, copy=True) for seq in X]
    else:
        copy = X.copy()
    scaler = SequenceScaler().fit(X)
    scaler.transform(X)
    scaler.inverse_transform(X)
    if isinstance(X, list):
        for seq, seq_copy in zip(X, copy):
            assert_array_equal(seq, seq_copy)
    elif isinstance(X, pd.DataFrame):
        pd.testing.assert_frame_equal(X, copy)
    else:
        assert_array_equal(X, copy)


def test_with_mean_false_only_scales():
    X = make_3d()
    scaler = SequenceScaler(with_mean=False).fit(X)
    steps = as_float32(X).reshape(-1, 3)
    assert_allclose(scaler.scale_, steps.std(axis=0), rtol=1e-5)
    assert_allclose(scaler.transform(X), as_float32(X) / steps.std(axis=0), rtol=1e-5)


def test_with_std_false_only_centres():
    X = make_3d()
    scaler = SequenceScaler(with_std=False).fit(X)
    steps = as_float32(X).reshape(-1, 3)
    assert scaler.scale_ is None
    assert_allclose(scaler.mean_, steps.mean(axis=0), rtol=1e-12)
    assert_allclose(
        scaler.transform(X), as_float32(X) - steps.mean(axis=0), rtol=1e-5, atol=1e-6
    )


def test_without_mean_and_std_is_identity_and_matches_standard_scaler():
    X = make_3d()
    scaler = SequenceScaler(with_mean=False, with_std=False).fit(X)
    reference = StandardScaler(with_mean=False, with_std=False).fit(X.reshape(-1, 3))
    assert scaler.mean_ is reference.mean_ is None
    assert scaler.var_ is reference.var_ is None
    assert scaler.scale_ is reference.scale_ is None
    assert scaler.n_samples_seen_ == 30
    assert_allclose(scaler.transform(X), X, rtol=1e-6)


def test_constant_feature_gets_scale_one():
    X = make_3d(n_features=2)
    X[:, :, 1] = 7.0
    scaler = SequenceScaler().fit(X)
    assert scaler.scale_[1] == 1.0
    assert scaler.var_[1] == 0.0
    assert_array_equal(scaler.transform(X)[:, :, 1], 0.0)


def test_statistics_are_float64_and_accurate_for_large_offsets():
    rng = np.random.default_rng(4)
    X = (1e4 + rng.normal(size=(50, 20, 1))).astype(np.float32)
    scaler = SequenceScaler().fit(X)
    assert scaler.mean_.dtype == scaler.var_.dtype == np.float64
    exact = X.astype(np.float64).reshape(-1)
    assert_allclose(scaler.mean_, [exact.mean()], rtol=1e-12)
    assert_allclose(scaler.var_, [exact.var()], rtol=1e-6)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("form", ["3d", "ragged", "table"])
def test_nan_and_inf_are_rejected(bad, form):
    X = forms()[form]
    if isinstance(X, list):
        X = [seq.copy() for seq in X]
        X[1][2, 0] = bad
    else:
        X = X.copy()
        X[(1, 2, 0)[: X.ndim]] = bad
    with pytest.raises(ValueError, match="NaN|infinity"):
        SequenceScaler().fit(X)
    scaler = SequenceScaler().fit(forms()[form])
    with pytest.raises(ValueError, match="NaN|infinity"):
        scaler.transform(X)


def test_empty_list_is_rejected():
    with pytest.raises(ValueError, match="X is an empty list"):
        SequenceScaler().fit([])


def test_zero_length_sequence_in_ragged_list_is_rejected():
    X = [np.ones((3, 2)), np.ones((0, 2))]
    with pytest.raises(ValueError, match="Sequence 1 of X has no time steps"):
        SequenceScaler().fit(X)
    scaler = SequenceScaler().fit(make_ragged())
    with pytest.raises(ValueError, match="Sequence 1 of X has no time steps"):
        scaler.transform(X)


@pytest.mark.parametrize(
    "X_fit, X_other",
    [
        (make_3d(n_features=2), make_3d(n_features=3)),
        (make_3d(n_features=2), make_ragged(n_features=2)[0][:, :1][np.newaxis]),
        (make_ragged(n_features=2), [np.ones((4, 3)), np.ones((2, 3))]),
        (make_3d(n_features=2), make_table()),
    ],
    ids=["3d", "3d-vs-1-feature", "ragged", "3d-vs-table"],
)
def test_features_per_step_must_match_fit(X_fit, X_other):
    scaler = SequenceScaler().fit(X_fit)
    with pytest.raises(ValueError, match="features per time step"):
        scaler.transform(X_other)
    with pytest.raises(ValueError, match="features per time step"):
        scaler.inverse_transform(X_other)


def test_table_columns_must_match_a_table_fit():
    scaler = SequenceScaler().fit(make_table(n_timesteps=4))
    with pytest.raises(ValueError, match="X has 5 features, but SequenceScaler"):
        scaler.transform(make_table(n_timesteps=5))


def test_no_features_per_step_is_rejected():
    with pytest.raises(ValueError, match="0 feature"):
        SequenceScaler().fit(np.zeros((3, 4, 0)))


def test_wrong_number_of_dimensions_is_rejected():
    with pytest.raises(ValueError, match="X has 1 dimension"):
        SequenceScaler().fit(np.ones(5))
    with pytest.raises(ValueError, match="X has 4 dimension"):
        SequenceScaler().fit(np.ones((2, 3, 4, 5)))


@pytest.mark.parametrize("method", ["transform", "inverse_transform"])
def test_not_fitted(method):
    with pytest.raises(NotFittedError, match="SequenceScaler instance is not fitted"):
        getattr(SequenceScaler(), method)(make_3d())


@pytest.mark.parametrize(
    "params, name",
    [({"with_mean": "yes"}, "with_mean"), ({"with_std": 1}, "with_std")],
)
def test_bad_parameters(params, name):
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
        SequenceScaler(**params).fit(make_3d())


def test_tags():
    tags = SequenceScaler().__sklearn_tags__()
    assert tags.input_tags.three_d_array
    assert not tags.input_tags.allow_nan
    assert tags.transformer_tags.preserves_dtype == ["float32"]


@settings(max_examples=25, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 6), min_size=1, max_size=5),
    n_features=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_ragged_round_trip_property(lengths, n_features, seed):
    rng = np.random.default_rng(seed)
    X = [rng.normal(3.0, 2.0, size=(length, n_features)) for length in lengths]
    X.append(rng.normal(size=(7, n_features)))  # always ragged
    scaler = SequenceScaler().fit(X)
    Xt = scaler.transform(X)
    steps = np.concatenate(Xt).astype(np.float64)
    assert_allclose(steps.mean(axis=0), 0.0, atol=1e-5)
    for seq, seq_back in zip(X, scaler.inverse_transform(Xt)):
        assert seq_back.shape == seq.shape
        assert_allclose(seq_back, seq, rtol=1e-5, atol=1e-5)

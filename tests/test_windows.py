"""Tests for make_windows: values, shapes, zero-copy views and bad input."""

import tracemalloc

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

from sklrnn.preprocessing._windows import make_windows

SHAPES = [(23,), (23, 3)]
PARAMS = [(1, 1, 1), (3, 1, 1), (3, 2, 1), (4, 3, 2), (5, 1, 3), (7, 3, 10)]


def reference_windows(series, window, horizon=1, stride=1):
    """The tutorials' create_dataset loop, with horizon and stride."""
    series = np.asarray(series)
    X, y = [], []
    for start in range(0, len(series) - window - horizon + 1, stride):
        X.append(series[start : start + window])
        target = series[start + window : start + window + horizon]
        y.append(target[0] if horizon == 1 else target)
    return np.array(X), np.array(y)


def root_array(array):
    """The array that owns the memory behind a chain of views."""
    while array.base is not None:
        array = array.base
        if not isinstance(array, np.ndarray):
            # as_strided keeps the original array behind a DummyArray.
            array = array.base
    return array


def make_series(shape, dtype=np.float64):
    return np.random.default_rng(0).normal(size=shape).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("window, horizon, stride", PARAMS)
def test_matches_reference_loop(shape, dtype, window, horizon, stride):
    series = make_series(shape, dtype)
    X, y = make_windows(series, window, horizon=horizon, stride=stride)
    X_ref, y_ref = reference_windows(series, window, horizon, stride)
    assert X.shape == X_ref.shape
    assert y.shape == y_ref.shape
    assert X.dtype == y.dtype == dtype
    assert_array_equal(X, X_ref)
    assert_array_equal(y, y_ref)


@pytest.mark.parametrize(
    "shape, horizon, X_shape, y_shape",
    [
        ((10,), 1, (7, 3), (7,)),
        ((10,), 2, (6, 3), (6, 2)),
        ((10, 4), 1, (7, 3, 4), (7, 4)),
        ((10, 4), 2, (6, 3, 4), (6, 2, 4)),
        ((10, 1), 1, (7, 3, 1), (7, 1)),
    ],
)
def test_shapes(shape, horizon, X_shape, y_shape):
    X, y = make_windows(make_series(shape), window=3, horizon=horizon)
    assert X.shape == X_shape
    assert y.shape == y_shape


@pytest.mark.parametrize("window, horizon", [(9, 1), (5, 5), (1, 9)])
def test_series_exactly_long_enough_gives_one_window(window, horizon):
    X, y = make_windows(np.arange(10.0), window, horizon=horizon)
    assert len(X) == len(y) == 1
    assert_array_equal(X[0], np.arange(window))


def test_last_horizon_steps_are_only_targets():
    X, y = make_windows(np.arange(10.0), window=3, horizon=2, stride=1)
    assert X.max() == 7.0
    assert y.max() == 9.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
def test_float_arrays_give_read_only_views(shape, dtype):
    series = make_series(shape, dtype)
    X, y = make_windows(series, window=4, horizon=2, stride=3)
    for out in (X, y):
        assert np.shares_memory(out, series)
        assert root_array(out) is series
        assert not out.flags.writeable


def test_non_contiguous_float_input_is_still_viewed():
    series = make_series((40, 3))[::2, ::2]
    X, y = make_windows(series, window=3)
    assert np.shares_memory(X, series)
    assert_array_equal(X, reference_windows(series, 3)[0])


def test_input_is_not_modified():
    series = make_series((30, 2))
    original = series.copy()
    X, y = make_windows(series, window=5, horizon=2)
    assert_array_equal(series, original)
    assert series.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        X[0, 0, 0] = 1.0


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, bool])
def test_integer_input_becomes_float64(dtype):
    series = np.arange(12).astype(dtype)
    X, y = make_windows(series, window=3)
    assert X.dtype == y.dtype == np.float64
    assert_array_equal(X, reference_windows(series.astype(float), 3)[0])


@pytest.mark.parametrize(
    "convert",
    [list, pd.Series, lambda a: a.astype(object)],
    ids=["list", "series", "object"],
)
def test_univariate_containers(convert):
    series = np.arange(12.0)
    X, y = make_windows(convert(series), window=4, horizon=2)
    X_ref, y_ref = reference_windows(series, 4, 2)
    assert_array_equal(X, X_ref)
    assert_array_equal(y, y_ref)


def test_dataframe_input():
    series = make_series((15, 2), np.float32)
    frame = pd.DataFrame(series, columns=["a", "b"])
    X, y = make_windows(frame, window=4)
    assert X.dtype == np.float32
    X_ref, y_ref = reference_windows(series, 4)
    assert_array_equal(X, X_ref)
    assert_array_equal(y, y_ref)


def test_float32_pandas_series_keeps_dtype():
    X, y = make_windows(pd.Series(np.arange(8, dtype=np.float32)), window=2)
    assert X.dtype == y.dtype == np.float32


def test_windows_of_a_long_series_need_no_extra_memory():
    series = np.zeros(1_000_000, dtype=np.float32)
    tracemalloc.start()
    try:
        X, y = make_windows(series, window=500)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert X.shape == (999_500, 500)
    assert peak < 10 * 2**20
    assert np.shares_memory(X, series)
    assert root_array(X) is series
    assert root_array(y) is series


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_values_raise(bad):
    series = np.arange(10.0)
    series[4] = bad
    with pytest.raises(ValueError, match="NaN or infinite.*drop or fill"):
        make_windows(series, window=3)


def test_nullable_pandas_missing_value_raises():
    series = pd.Series([1.0, None, 3.0, 4.0], dtype="Float64")
    with pytest.raises(ValueError, match="NaN or infinite"):
        make_windows(series, window=2)


@pytest.mark.parametrize(
    "series, described",
    [(np.float64(3.0), "a scalar"), (np.zeros((4, 3, 2)), r"shape \(4, 3, 2\)")],
)
def test_wrong_ndim_raises(series, described):
    with pytest.raises(ValueError, match=rf"1-D .* or 2-D .*got {described}"):
        make_windows(series, window=1)


@pytest.mark.parametrize("series", [[], np.empty((0, 2)), np.empty((5, 0))])
def test_empty_series_raises(series):
    with pytest.raises(ValueError, match="series is empty.*at least window"):
        make_windows(series, window=1)


@pytest.mark.parametrize("name", ["window", "horizon", "stride"])
@pytest.mark.parametrize("value", [0, -2])
def test_parameters_below_one_raise(name, value):
    params = {"window": 2, name: value}
    with pytest.raises(ValueError, match=f"{name} must be at least 1, got"):
        make_windows(np.arange(10.0), **params)


@pytest.mark.parametrize("name", ["window", "horizon", "stride"])
@pytest.mark.parametrize("value", [2.0, "3", True, None])
def test_non_integer_parameters_raise_type_error(name, value):
    params = {"window": 2, name: value}
    with pytest.raises(TypeError, match=f"{name} must be an integer"):
        make_windows(np.arange(10.0), **params)


def test_numpy_integer_parameters_are_accepted():
    X, y = make_windows(np.arange(10.0), np.int64(3), np.int32(2), np.uint8(2))
    assert X.shape == (3, 3)


def test_series_too_short_raises():
    msg = (
        r"window=500 plus horizon=1 needs at least 501 steps but the series "
        r"has 300; use a shorter window or a longer series"
    )
    with pytest.raises(ValueError, match=msg):
        make_windows(np.zeros(300), window=500)


@pytest.mark.parametrize(
    "series, dtype",
    [
        (np.array(["a", "b", "c"]), "<U1"),
        (np.array(["1.0", "x"], dtype=object), "object"),
        (np.array([1j, 2j, 3j]), "complex128"),
        (pd.Series(["a", "b", "c"], dtype=object), "object"),
    ],
)
def test_non_numeric_data_raises(series, dtype):
    with pytest.raises(ValueError, match=f"must hold numbers, got dtype {dtype}"):
        make_windows(series, window=1)


@settings(max_examples=50, deadline=None)
@given(
    n_steps=st.integers(2, 40),
    n_features=st.sampled_from([None, 1, 3]),
    window=st.integers(1, 10),
    horizon=st.integers(1, 5),
    stride=st.integers(1, 7),
)
def test_matches_reference_for_any_valid_parameters(
    n_steps, n_features, window, horizon, stride
):
    shape = (n_steps,) if n_features is None else (n_steps, n_features)
    series = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    if window + horizon > n_steps:
        with pytest.raises(ValueError, match="needs at least"):
            make_windows(series, window, horizon, stride)
        return
    X, y = make_windows(series, window, horizon, stride)
    X_ref, y_ref = reference_windows(series, window, horizon, stride)
    assert len(X) == len(range(0, n_steps - window - horizon + 1, stride))
    assert_array_equal(X, X_ref)
    assert_array_equal(y, y_ref)

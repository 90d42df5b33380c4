"""Tests for SlidingWindowTransformer: windows, padding, output formats, errors."""

import tracemalloc

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal
from sklearn import config_context
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from sklrnn.preprocessing._sliding import SlidingWindowTransformer
from sklrnn.utils._lags import parse_lag_columns


def reference_windows(series, window, fill_value=0.0, add_indicator=True):
    """Row t: the `window` steps ending at t, padded before the series starts."""
    series = np.asarray(series, dtype=float)
    n_steps, n_features = series.shape
    rows = []
    for t in range(n_steps):
        steps = []
        for s in range(t - window + 1, t + 1):
            padded = s < 0
            values = [fill_value] * n_features if padded else list(series[s])
            steps.append(values + [float(padded)] if add_indicator else values)
        rows.append(steps)
    return np.array(rows)


def make_series(n_steps=12, n_features=2, dtype=np.float64):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n_steps, n_features)).astype(dtype)


@pytest.mark.parametrize("window", [1, 2, 5, 12])
@pytest.mark.parametrize("n_features", [1, 3])
@pytest.mark.parametrize("add_indicator", [True, False])
def test_matches_reference(window, n_features, add_indicator):
    series = make_series(12, n_features)
    transformer = SlidingWindowTransformer(
        window=window, fill_value=-1.5, add_indicator=add_indicator
    )
    windows = transformer.fit_transform(series)
    expected = reference_windows(series, window, -1.5, add_indicator)
    assert windows.shape == (12, window, n_features + add_indicator)
    assert_array_equal(windows, expected)


def test_row_t_ends_at_step_t_and_padding_is_flagged():
    series = make_series(10, 2)
    windows = SlidingWindowTransformer(window=4).fit_transform(series)
    for t in range(10):
        n_pad = max(0, 3 - t)
        assert_array_equal(windows[t, n_pad:, :2], series[max(0, t - 3) : t + 1])
        assert_array_equal(windows[t, :n_pad, :2], 0.0)
        assert_array_equal(windows[t, :, 2], [1.0] * n_pad + [0.0] * (4 - n_pad))


@pytest.mark.parametrize(
    "dtype, expected", [(np.float32, np.float32), (np.float64, np.float64)]
)
def test_float_dtype_is_preserved(dtype, expected):
    windows = SlidingWindowTransformer(window=3).fit_transform(make_series(dtype=dtype))
    assert windows.dtype == expected


def test_integer_input_becomes_float64():
    series = np.arange(10).reshape(5, 2)
    windows = SlidingWindowTransformer(window=2).fit_transform(series)
    assert windows.dtype == np.float64
    assert_array_equal(windows, reference_windows(series, 2))


def test_output_is_a_read_only_view_and_input_untouched():
    series = make_series()
    original = series.copy()
    windows = SlidingWindowTransformer(window=3).fit_transform(series)
    assert not windows.flags.writeable
    assert not np.shares_memory(windows, series)
    assert_array_equal(series, original)


def test_transform_memory_grows_with_steps_not_window():
    series = np.ones((1_000_000, 1), dtype=np.float32)
    transformer = SlidingWindowTransformer(window=500).fit(series[:1000])
    tracemalloc.start()
    try:
        windows = transformer.transform(series)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert windows.shape == (1_000_000, 500, 2)
    indicator_bytes = series.shape[0] * series.itemsize
    assert peak < 3 * series.nbytes + indicator_bytes


def test_shorter_series_than_window_in_transform():
    transformer = SlidingWindowTransformer(window=5).fit(make_series(12, 2))
    last_step = make_series(12, 2)[-1:]
    windows = transformer.transform(last_step)
    assert windows.shape == (1, 5, 3)
    assert_array_equal(windows, reference_windows(last_step, 5))


def test_feature_names_default_and_from_input_features():
    transformer = SlidingWindowTransformer(window=2).fit(make_series(5, 2))
    assert list(transformer.get_feature_names_out()) == [
        "x0[t-1]",
        "x1[t-1]",
        "padding[t-1]",
        "x0[t]",
        "x1[t]",
        "padding[t]",
    ]
    names = transformer.set_params(add_indicator=False).get_feature_names_out(
        ["a", "b"]
    )
    assert list(names) == ["a[t-1]", "b[t-1]", "a[t]", "b[t]"]


def test_feature_names_from_dataframe_round_trip_through_lag_parser():
    frame = pd.DataFrame(make_series(6, 2), columns=["temp", "wind"])
    transformer = SlidingWindowTransformer(window=3).fit(frame)
    assert_array_equal(transformer.feature_names_in_, ["temp", "wind"])
    names = transformer.get_feature_names_out()
    assert names.dtype == object
    assert parse_lag_columns(names) == (["temp", "wind", "padding"], 3)
    with pytest.raises(ValueError, match="input_features is not equal"):
        transformer.get_feature_names_out(["a", "b"])


def test_pandas_output_is_flat_with_feature_names():
    index = pd.date_range("2024-01-01", periods=8, freq="D")
    frame = pd.DataFrame(make_series(8, 2), columns=["a", "b"], index=index)
    transformer = SlidingWindowTransformer(window=3)
    windows = transformer.fit_transform(frame)
    out = transformer.set_output(transform="pandas").fit_transform(frame)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(transformer.get_feature_names_out())
    assert out.index.equals(index)
    assert_array_equal(out.to_numpy(), windows.reshape(8, -1))
    assert out["a[t]"].tolist() == frame["a"].tolist()
    assert out["padding[t-2]"].tolist() == [1.0, 1.0] + [0.0] * 6


def test_global_pandas_output_config_is_flat_too():
    series = make_series(6, 1)
    with config_context(transform_output="pandas"):
        out = SlidingWindowTransformer(window=2).fit_transform(series)
    assert isinstance(out, pd.DataFrame)
    assert out.shape == (6, 4)


def test_window_longer_than_series_in_fit_raises():
    with pytest.raises(ValueError, match=r"window=6 is longer than the series \(5"):
        SlidingWindowTransformer(window=6).fit(make_series(5, 2))


@pytest.mark.parametrize(
    "series",
    [np.arange(5.0), pd.Series(np.arange(5.0)), [1.0, 2.0, 3.0]],
    ids=["array", "series", "list"],
)
def test_1d_input_raises(series):
    with pytest.raises(ValueError, match=r"2-D.*reshape\(-1, 1\).*DataFrame"):
        SlidingWindowTransformer(window=2).fit(series)
    transformer = SlidingWindowTransformer(window=2).fit(make_series(5, 1))
    with pytest.raises(ValueError, match=r"reshape\(-1, 1\)"):
        transformer.transform(series)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_input_raises(bad):
    series = make_series(6, 2)
    series[3, 1] = bad
    with pytest.raises(ValueError, match="NaN|infinity"):
        SlidingWindowTransformer(window=2).fit(series)
    transformer = SlidingWindowTransformer(window=2).fit(make_series(6, 2))
    with pytest.raises(ValueError, match="NaN|infinity"):
        transformer.transform(series)


def test_transform_before_fit_raises():
    with pytest.raises(NotFittedError):
        SlidingWindowTransformer().transform(make_series())


def test_feature_count_differs_from_fit_raises():
    transformer = SlidingWindowTransformer(window=2).fit(make_series(6, 2))
    with pytest.raises(ValueError, match="3 features.*expecting 2"):
        transformer.transform(make_series(6, 3))


@pytest.mark.parametrize(
    "params",
    [
        {"window": 0},
        {"window": 2.5},
        {"fill_value": "zero"},
        {"add_indicator": "yes"},
    ],
)
def test_bad_parameters_raise_in_fit(params):
    transformer = SlidingWindowTransformer(**params)
    with pytest.raises(InvalidParameterError, match="parameter of Sliding"):
        transformer.fit(make_series())


def test_get_params_and_clone():
    transformer = SlidingWindowTransformer(window=4, fill_value=-1.0)
    assert transformer.get_params() == {
        "window": 4,
        "fill_value": -1.0,
        "add_indicator": True,
    }
    copy = clone(transformer.fit(make_series())).set_params(window=2)
    assert copy.window == 2
    assert transformer.window == 4
    assert not hasattr(copy, "n_features_in_")


def test_tags():
    tags = SlidingWindowTransformer().__sklearn_tags__()
    assert tags.input_tags.allow_nan is False
    assert tags.input_tags.two_d_array is True
    assert tags.requires_fit is True


def test_a_column_named_padding_clashes_with_the_indicator():
    import pandas as pd

    frame = pd.DataFrame({"padding": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match="named 'padding'"):
        SlidingWindowTransformer(window=2).fit(frame)
    SlidingWindowTransformer(window=2, add_indicator=False).fit(frame)

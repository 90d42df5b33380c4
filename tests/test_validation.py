import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import BaseEstimator

from sklrnn.preprocessing import SlidingWindowTransformer
from sklrnn.utils._validation import pad_sequences, validate_sequences


def _frame_of_windows(n_features=2, window=3):
    series = pd.DataFrame(np.arange(20.0 * n_features).reshape(20, n_features))
    series.columns = [f"f{i}" for i in range(n_features)]
    windows = SlidingWindowTransformer(window=window, add_indicator=False)
    return windows.fit(series).transform(series), windows.set_output(
        transform="pandas"
    ).transform(series)


def test_lag_frame_is_read_as_3d():
    array, frame = _frame_of_windows()
    est = BaseEstimator()
    sequences = validate_sequences(est, frame, reset=True)
    np.testing.assert_array_equal(sequences, array)
    assert est.n_features_in_ == frame.shape[1]


def test_lag_frame_after_a_3d_fit():
    array, frame = _frame_of_windows()
    est = BaseEstimator()
    validate_sequences(est, array, reset=True)
    np.testing.assert_array_equal(validate_sequences(est, frame, reset=False), array)


def test_3d_fit_accepts_other_lengths_but_not_other_features():
    est = BaseEstimator()
    validate_sequences(est, np.zeros((4, 5, 2)), reset=True)
    assert validate_sequences(est, np.zeros((3, 9, 2)), reset=False).shape[1] == 9
    with pytest.raises(ValueError, match="3 features per time step"):
        validate_sequences(est, np.zeros((3, 5, 3)), reset=False)


@pytest.mark.parametrize("shape", [(3, 0, 2), (3, 4, 0)])
def test_empty_steps_or_features_fail_before_any_state(shape):
    est = BaseEstimator()
    with pytest.raises(ValueError, match="0 time steps or 0 features"):
        validate_sequences(est, np.zeros(shape), reset=True)
    assert not hasattr(est, "n_features_in_")


def test_empty_list():
    with pytest.raises(ValueError, match="X is an empty list"):
        validate_sequences(BaseEstimator(), [], reset=True)


def test_ragged_lists():
    est = BaseEstimator()
    ragged = [np.ones(3), np.ones(5)]
    sequences = validate_sequences(est, ragged, reset=True)
    assert [seq.shape for seq in sequences] == [(3, 1), (5, 1)]
    with pytest.raises(ValueError, match="different numbers of features"):
        validate_sequences(est, [np.ones((2, 1)), np.ones((2, 2))], reset=True)
    padded, lengths = pad_sequences(sequences)
    assert padded.shape == (2, 5, 1) and lengths.tolist() == [3, 5]
    assert padded[0, 3:].sum() == 0


def test_list_of_equal_rows_is_a_table():
    est = BaseEstimator()
    assert validate_sequences(est, [[1, 2], [3, 4]], reset=True).shape == (2, 2, 1)


@pytest.mark.parametrize("X", [["hi there", "bye now"], "hi there"])
def test_text_points_to_the_tokenizer(X):
    from sklrnn.utils._validation import validate_tokens

    with pytest.raises(TypeError, match="TextTokenizer"):
        validate_sequences(BaseEstimator(), X, reset=True)
    with pytest.raises(TypeError, match="TextTokenizer"):
        validate_tokens(BaseEstimator(), X, reset=True)


@pytest.mark.parametrize("bad, message", [(np.nan, "NaN"), (np.inf, "infinity")])
@pytest.mark.parametrize("shape", [(6, 4), (6, 4, 2)])
def test_non_finite_values_get_scikit_learns_error(bad, message, shape):
    X = np.ones(shape, dtype=np.float32)
    X[3, 1] = bad
    with pytest.raises(ValueError, match=f"Input X contains {message}"):
        validate_sequences(BaseEstimator(), X, reset=True)
    X.setflags(write=False)  # read-only input (window views) takes numpy's check
    with pytest.raises(ValueError, match=f"Input X contains {message}"):
        validate_sequences(BaseEstimator(), X, reset=True)


def test_finite_values_whose_sum_overflows_are_accepted():
    X = np.full((4, 3, 1), 3e38, dtype=np.float32)  # sums to inf in float32
    np.testing.assert_array_equal(validate_sequences(BaseEstimator(), X, reset=True), X)


def test_assume_finite_skips_the_check():
    X = np.full((4, 3, 1), np.nan, dtype=np.float32)
    with sklearn.config_context(assume_finite=True):
        assert np.isnan(validate_sequences(BaseEstimator(), X, reset=True)).all()


def test_reversed_and_strided_views_are_checked():
    X = np.arange(24, dtype=np.float32).reshape(6, 4)
    for view in (X[::-1], X[:, ::2]):
        np.testing.assert_array_equal(
            validate_sequences(BaseEstimator(), view, reset=True)[..., 0], view
        )
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        validate_sequences(BaseEstimator(), X[::-1], reset=True)

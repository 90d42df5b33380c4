"""Standardise the features of sequences over all their time steps."""

import warnings

import numpy as np
from sklearn.base import (
    BaseEstimator,
    OneToOneFeatureMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.preprocessing import StandardScaler
from sklearn.utils._set_output import _get_output_config
from sklearn.utils.validation import check_is_fitted

from sklrnn.utils._lags import parse_lag_columns
from sklrnn.utils._validation import input_ndim, validate_sequences

# ufunc keywords for float32 steps and float64 statistics: compute in float64,
# buffered (no float64 copy of the data), and write float32. A mean rounded to
# float32 would shift every scaled value of a feature whose mean is large
# compared with its spread (1e-4 for a mean of 100 and a spread of 0.1).
_FLOAT64 = {"dtype": np.float64, "casting": "same_kind"}


class SequenceScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Standardise each feature of a step over all steps of all sequences.

    Feature ``j`` is centred and scaled by the mean and standard deviation
    of feature ``j`` taken over every time step of every sequence. This is
    :class:`~sklearn.preprocessing.StandardScaler` for input it cannot take:
    3-D arrays ``(n_samples, n_timesteps, n_features)`` and ragged lists of
    sequences of different lengths.

    Parameters
    ----------
    with_mean : bool, default=True
        Whether to subtract the mean.

    with_std : bool, default=True
        Whether to divide by the standard deviation.

    Attributes
    ----------
    mean_ : ndarray of shape (n_step_features,) or None
        Mean of each feature of a step, over all steps seen in `fit`. None
        when both `with_mean` and `with_std` are False.

    scale_ : ndarray of shape (n_step_features,) or None
        Standard deviation of each feature of a step, 1.0 where it is zero.
        None when `with_std` is False.

    var_ : ndarray of shape (n_step_features,) or None
        Variance of each feature of a step. None when both `with_mean` and
        `with_std` are False.

    n_samples_seen_ : int
        Number of time steps seen in `fit`, summed over all sequences (not
        the number of sequences).

    n_features_in_ : int
        Number of features seen during `fit`: the number of columns of a 2-D
        table, else the number of features per step.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during `fit`. Defined only when `X` has
        feature names that are all strings.

    See Also
    --------
    sklearn.preprocessing.StandardScaler : Standardise each column of a
        2-D table separately.
    SlidingWindowTransformer : Turn a series into windows, one per step.

    Notes
    -----
    ``n_step_features`` is the number of features of one time step: the last
    axis of a 3-D array or of the sequences of a ragged list, the number of
    features of a lag DataFrame written by `SlidingWindowTransformer`, and 1
    for a 2-D table ``(n_samples, n_timesteps)``.

    A 2-D table holds univariate sequences: its columns are the time steps of
    one variable, so they share one mean and one standard deviation, taken
    over all values of the table. This differs on purpose from
    :class:`~sklearn.preprocessing.StandardScaler`, which scales each column
    by itself and so would give every time step of a window its own scale.

    Every step counts once, so in a ragged list a long sequence weighs more
    in the statistics than a short one. The input is read as float32, the
    statistics are accumulated and applied in float64, and the output is
    float32, the precision the sklrnn networks use.

    `transform` and `inverse_transform` return the form they are given: a
    2-D table gives a 2-D array of the same shape, a 3-D array a 3-D array,
    and a ragged list a list of arrays with the shapes of its sequences (a
    1-D sequence stays 1-D). A list of equal-length 1-D sequences is a 2-D
    table, not a ragged list. A lag DataFrame, whose columns are the (step,
    feature) names written by `SlidingWindowTransformer`, gives its windows
    as a 3-D array ``(n_samples, window, n_features)``, as
    `SlidingWindowTransformer` does by default: a flat array would lose the
    column names that say which column is which feature, and the next
    estimator would read it as univariate sequences.

    Under ``set_output(transform="pandas")``, `transform` returns a DataFrame
    with the input's columns for a 2-D table or a lag DataFrame (named by
    `get_feature_names_out`, the lag names stay readable as windows); 3-D
    and ragged output cannot be a DataFrame and raise an error. The input is
    never modified.

    Examples
    --------
    >>> import numpy as np
    >>> from sklrnn.preprocessing import SequenceScaler
    >>> X = np.array([[[0.0, 10.0], [2.0, 10.0]],
    ...               [[4.0, 10.0], [6.0, 10.0]]])
    >>> scaler = SequenceScaler().fit(X)
    >>> scaler.mean_
    array([ 3., 10.])
    >>> scaler.scale_
    array([2.236..., 1.        ])
    >>> scaler.transform(X)[1]
    array([[0.4472..., 0.        ],
           [1.3416..., 0.        ]], dtype=float32)
    >>> ragged = [np.array([1.0, 2.0, 3.0]), np.array([5.0])]
    >>> [seq.shape for seq in SequenceScaler().fit_transform(ragged)]
    [(3,), (1,)]
    """

    _parameter_constraints: dict = {
        "with_mean": ["boolean"],
        "with_std": ["boolean"],
    }

    def __init__(self, with_mean=True, with_std=True):
        self.with_mean = with_mean
        self.with_std = with_std

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Compute the mean and standard deviation of each step feature.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
(n_samples, n_timesteps, n_features), DataFrame, or list of array-like
            Sequences: a 2-D table of univariate sequences, a lag DataFrame,
            a 3-D array, or a ragged list of 1-D or 2-D sequences.

        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted scaler.
        """
        sequences = validate_sequences(self, X, reset=True)
        scaler = StandardScaler(with_mean=self.with_mean, with_std=self.with_std)
        # sklearn accumulates float32 input in float64.
        scaler.fit(_stack_steps(sequences))
        self.mean_ = scaler.mean_
        self.var_ = scaler.var_
        self.scale_ = scaler.scale_
        self.n_samples_seen_ = int(scaler.n_samples_seen_)
        return self

    def transform(self, X):
        """Standardise the sequences.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
(n_samples, n_timesteps, n_features), DataFrame, or list of array-like
            Sequences with the features per step seen in `fit`; any number
            of steps, except that a 2-D table after a fit on a 2-D table
            keeps the fitted columns.

        Returns
        -------
        X_scaled : ndarray, list of ndarray or DataFrame
            float32 sequences in the form of `X` (see Notes); a DataFrame
            for 2-D tables and lag DataFrames under a pandas output.
        """
        check_is_fitted(self)
        flat = _get_output_config("transform", self)["dense"] != "default"
        if flat and input_ndim(X) != 2:
            raise ValueError(
                "SequenceScaler can only wrap 2-D output in a DataFrame, but X "
                "is 3-D or a ragged list of sequences. Use "
                'set_output(transform="default") for such input, or pass a '
                "2-D table or a lag DataFrame."
            )
        shift, scale = self._shift_and_scale()

        def scale_steps(steps):
            out = np.subtract(steps, shift, out=np.empty_like(steps), **_FLOAT64)
            return np.divide(out, scale, out=out, **_FLOAT64)

        return self._apply(X, scale_steps, flat=flat)

    def inverse_transform(self, X):
        """Undo the standardisation.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
(n_samples, n_timesteps, n_features), DataFrame, or list of array-like
            Standardised sequences, in any form `transform` accepts.

        Returns
        -------
        X_original : ndarray or list of ndarray
            float32 sequences in the original units, in the form of `X`
            (see Notes).
        """
        check_is_fitted(self)
        shift, scale = self._shift_and_scale()

        def unscale_steps(steps):
            out = np.multiply(steps, scale, out=np.empty_like(steps), **_FLOAT64)
            return np.add(out, shift, out=out, **_FLOAT64)

        with warnings.catch_warnings():
            # The output of `transform` is an array without column names (3-D
            # for a lag DataFrame): like StandardScaler.inverse_transform, take
            # it back without warning that its names are missing.
            warnings.filterwarnings(
                "ignore", message="X does not have valid feature names"
            )
            return self._apply(X, unscale_steps, flat=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.input_tags.allow_nan = False
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

    def _shift_and_scale(self):
        """float64 offset and divisor of every step feature."""
        n_features = self._n_step_features
        shift = self.mean_ if self.with_mean else np.zeros(n_features)
        scale = self.scale_ if self.with_std else np.ones(n_features)
        return shift, scale

    def _apply(self, X, func, flat):
        """Validate `X`, apply `func` to its steps, return the form of `X`.

        `func` returns a new float32 array: the steps may be the caller's
        own array, so they are never written to.
        """
        sequences = validate_sequences(self, X, reset=False)
        if isinstance(sequences, list):
            # Give each sequence back the shape it came with (1-D stays 1-D).
            return [
                func(seq).reshape(np.shape(item)) for seq, item in zip(sequences, X)
            ]
        result = func(sequences)
        if input_ndim(X) == 2 and (flat or not _has_lag_columns(X)):
            # 2-D tables, and lag DataFrames to be wrapped: flat, step-major,
            # the columns in the order of the input.
            return result.reshape(result.shape[0], -1)
        return result


def _stack_steps(sequences):
    """All steps of all sequences as one ``(total_steps, n_features)`` array."""
    if isinstance(sequences, list):
        return np.concatenate(sequences)
    n_samples, n_timesteps, n_features = sequences.shape
    return sequences.reshape(n_samples * n_timesteps, n_features)


def _has_lag_columns(X):
    """Whether `X` is a DataFrame of windows flattened to lag columns."""
    return parse_lag_columns(getattr(X, "columns", [])) is not None

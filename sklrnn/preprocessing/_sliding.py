"""A transformer that turns each time step into the window ending at it."""

from numbers import Integral, Real

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils._set_output import _get_output_config
from sklearn.utils.validation import (
    FLOAT_DTYPES,
    _check_feature_names_in,
    check_is_fitted,
    validate_data,
)

from sklrnn.utils._lags import lag_column_names
from sklrnn.utils._validation import input_ndim


class SlidingWindowTransformer(TransformerMixin, BaseEstimator):
    """Replace each time step by the window of steps that ends at it.

    The input is one series as a table, one row per time step, oldest first.
    Row ``t`` of the output is the window of the last `window` steps up to
    and including step ``t``. Steps before the start of the series are
    padding. The number of rows never changes.

    Parameters
    ----------
    window : int, default=10
        Number of steps in each window, at least 1. Must not exceed the
        number of steps seen in `fit`.

    fill_value : float, default=0.0
        Value of every feature on the padded steps before the series starts.

    add_indicator : bool, default=True
        Whether to append a ``"padding"`` feature to every step: 1.0 on padded
        steps, 0.0 on real ones.

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during `fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during `fit`. Defined only when `X` has
        feature names that are all strings.

    See Also
    --------
    make_windows : Cut a series into ``(X, y)`` windows and their targets,
        one sample per complete window.

    Notes
    -----
    By default `transform` returns an array of shape
    ``(n_steps, window, n_features + add_indicator)``, which the sklrnn
    estimators read as one sequence per row. It is a read-only view of a
    padded copy of the series, so it needs memory for ``n_steps + window - 1``
    steps, not for ``n_steps * window``. Under
    ``set_output(transform="pandas")`` the windows are flattened instead to
    one column per (step, feature), named by `get_feature_names_out`, e.g.
    ``"x0[t-1]"``, ``"x0[t]"``, oldest step first; the estimators read those
    columns back as sequences.

    The first ``window - 1`` rows reach back before the series starts. Their
    missing steps hold `fill_value`, which may also be a real value of the
    data; the ``"padding"`` indicator lets a recurrent network tell the two
    apart.

    Because it keeps one row per time step, this transformer sits in a
    :class:`~sklearn.pipeline.Pipeline` next to scalers and models, rows stay
    aligned with ``y``, and `window` is an ordinary parameter that
    :class:`~sklearn.model_selection.GridSearchCV` can tune. Row ``t``
    depends on the rows before it, so transform whole, ordered series: the
    rows of a shuffled or split series get different windows.

    Examples
    --------
    >>> import numpy as np
    >>> from sklrnn.preprocessing import SlidingWindowTransformer
    >>> series = np.array([[1.0], [2.0], [3.0]])
    >>> windows = SlidingWindowTransformer(window=2).fit_transform(series)
    >>> windows.shape
    (3, 2, 2)
    >>> windows[0]
    array([[0., 1.],
           [1., 0.]])
    >>> windows[2]
    array([[2., 0.],
           [3., 0.]])
    >>> SlidingWindowTransformer(window=2).fit(series).get_feature_names_out()
    array(['x0[t-1]', 'padding[t-1]', 'x0[t]', 'padding[t]'], dtype=object)
    """

    _parameter_constraints: dict = {
        "window": [Interval(Integral, 1, None, closed="left")],
        "fill_value": [Real],
        "add_indicator": ["boolean"],
    }

    def __init__(self, window=10, fill_value=0.0, add_indicator=True):
        self.window = window
        self.fill_value = fill_value
        self.add_indicator = add_indicator

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the series and record its features.

        Parameters
        ----------
        X : array-like of shape (n_steps, n_features)
            The series, one row per time step, oldest first.

        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        X = self._validate_series(X, reset=True)
        if self.add_indicator and "padding" in getattr(self, "feature_names_in_", []):
            raise ValueError(
                "X has a column named 'padding', the name of the padding "
                "indicator this transformer adds; rename the column or set "
                "add_indicator=False."
            )
        n_steps = X.shape[0]
        if self.window > n_steps:
            # "1 sample" is the wording check_fit2d_1sample looks for.
            steps, samples = (
                ("step", "sample") if n_steps == 1 else ("steps", "samples")
            )
            raise ValueError(
                f"window={self.window} is longer than the series ({n_steps} "
                f"{steps}: X has {n_steps} {samples}, one per time step); use "
                f"window <= {n_steps} or fit on a longer series."
            )
        return self

    def transform(self, X):
        """Replace each step by the window that ends at it.

        Parameters
        ----------
        X : array-like of shape (n_steps, n_features)
            The series, one row per time step, oldest first. It may be
            shorter than `window`: the windows then hold more padding.

        Returns
        -------
        X_windows : ndarray of shape (n_steps, window, n_features_out)
            Read-only windows, ``n_features_out = n_features_in_ +
            add_indicator``, in the float dtype of `X`. Under a pandas (or
            polars) output, a DataFrame of shape
            ``(n_steps, window * n_features_out)`` instead.
        """
        check_is_fitted(self)
        X = self._validate_series(X, reset=False)
        padded = self._pad(X)
        # (n_steps, n_features_out, window) -> (n_steps, window, n_features_out)
        windows = sliding_window_view(padded, self.window, axis=0).transpose(0, 2, 1)
        if _get_output_config("transform", self)["dense"] != "default":
            # Containers are 2-D: flatten step-major, as get_feature_names_out.
            return windows.reshape(X.shape[0], -1)
        return windows

    def get_feature_names_out(self, input_features=None):
        """Names of the flattened output columns, one per (step, feature).

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names. If None, `feature_names_in_` is used if
            defined, else ``["x0", "x1", ...]``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``window * (n_features_in_ + add_indicator)`` names, oldest step
            first and all features of a step together, e.g.
            ``["x0[t-1]", "padding[t-1]", "x0[t]", "padding[t]"]``.
        """
        check_is_fitted(self, "n_features_in_")
        features = list(_check_feature_names_in(self, input_features))
        if self.add_indicator:
            features.append("padding")
        return np.asarray(lag_column_names(features, self.window), dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def _validate_series(self, X, reset):
        if input_ndim(X) == 1:
            raise ValueError(
                "X must be 2-D (n_steps, n_features), one row per time step, "
                "but got a 1-D series. Reshape your data with X.reshape(-1, 1) "
                "if it has a single feature, or pass a DataFrame."
            )
        return validate_data(
            self, X, reset=reset, dtype=FLOAT_DTYPES, ensure_all_finite=True
        )

    def _pad(self, X):
        """Return the series after ``window - 1`` padded steps, with indicator."""
        n_pad = self.window - 1
        n_features = X.shape[1]
        padded = np.empty(
            (n_pad + X.shape[0], n_features + int(self.add_indicator)), dtype=X.dtype
        )
        padded[:n_pad, :n_features] = self.fill_value
        padded[n_pad:, :n_features] = X
        if self.add_indicator:
            padded[:n_pad, n_features] = 1.0
            padded[n_pad:, n_features] = 0.0
        return padded

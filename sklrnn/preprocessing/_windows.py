"""Cut one series into supervised ``(X, y)`` windows, as zero-copy views.

`make_windows` is the tutorials' ``create_dataset``. It is a function, not a
transformer, because it changes the number of samples: ``n_steps`` rows become
one sample per complete window.
"""

from numbers import Integral

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def make_windows(series, window, horizon=1, stride=1):
    """Split a series into input windows and the values that follow them.

    Window ``i`` covers steps ``i * stride`` to ``i * stride + window - 1``
    and its target is the next ``horizon`` steps. Only windows with a
    complete target are kept, so the last ``horizon`` steps of the series
    appear only as targets, never inside an input window.

    Parameters
    ----------
    series : array-like of shape (n_steps,) or (n_steps, n_features)
        The series, oldest step first: a list, a NumPy array, a pandas
        Series (univariate) or a DataFrame (one column per feature).
        Integer values are converted to float64; float dtypes are kept.

    window : int
        Number of steps in each input window, at least 1.

    horizon : int, default=1
        Number of steps to predict after each window, at least 1.

    stride : int, default=1
        Steps between the starts of consecutive windows, at least 1.

    Returns
    -------
    X : ndarray of shape (n_windows, window) or (n_windows, window, n_features)
        The input windows: 2-D for a 1-D series (one value per step, which
        the sklrnn estimators read as univariate sequences), 3-D for a 2-D
        series.

    y : ndarray
        The value(s) after each window. For a 1-D series, shape
        ``(n_windows,)`` if ``horizon == 1``, else ``(n_windows, horizon)``.
        For a 2-D series, ``(n_windows, n_features)`` if ``horizon == 1``,
        else ``(n_windows, horizon, n_features)``.

    See Also
    --------
    SlidingWindowTransformer : One window per time step, keeping the number of
        rows, for use inside a Pipeline.

    Notes
    -----
    ``n_windows`` is the number of starts ``s = 0, stride, 2 * stride, ...``
    with ``s + window + horizon <= n_steps``.

    When ``series`` is already a NumPy array of a float dtype, ``X`` and ``y``
    are read-only views of it (no copy), so windowing a million-step series
    costs almost no memory whatever the window. Copy them (``X.copy()``)
    before writing to them. Other input is converted to an array once.

    Examples
    --------
    >>> import numpy as np
    >>> from sklrnn.preprocessing import make_windows
    >>> X, y = make_windows(np.arange(6.0), window=3)
    >>> X
    array([[0., 1., 2.],
           [1., 2., 3.],
           [2., 3., 4.]])
    >>> y
    array([3., 4., 5.])
    >>> X, y = make_windows(np.arange(12.0).reshape(6, 2), window=2, horizon=2)
    >>> X.shape, y.shape
    ((3, 2, 2), (3, 2, 2))
    """
    window = _check_positive_int(window, "window")
    horizon = _check_positive_int(horizon, "horizon")
    stride = _check_positive_int(stride, "stride")
    values = _as_float_series(series)
    _check_length(values.shape[0], window, horizon)

    # One view of every (window + horizon) span; X and y are slices of it.
    spans = sliding_window_view(values, window + horizon, axis=0)[::stride]
    if values.ndim == 2:
        # (n_windows, n_features, span) -> (n_windows, span, n_features)
        spans = np.moveaxis(spans, -1, 1)
    X, y = spans[:, :window], spans[:, window:]
    if horizon == 1:
        y = y[:, 0]
    return X, y


def _check_positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(
            f"{name} must be an integer, got {value!r} of type "
            f"{type(value).__name__}; pass a whole number such as {name}=1."
        )
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {name}={value}.")
    return int(value)


def _as_float_series(series):
    """Return the series as a 1-D or 2-D float array, copying only if needed."""
    values = np.asarray(series)
    if values.ndim not in (1, 2):
        shape = "a scalar" if values.ndim == 0 else f"shape {values.shape}"
        raise ValueError(
            "series must be 1-D (n_steps,) or 2-D (n_steps, n_features), "
            f"got {shape}; pass one series at a time, with one row per time step."
        )
    values = _as_float(values)
    if values.size == 0:
        raise ValueError(
            f"series is empty (shape {values.shape}); pass a series with at "
            "least window + horizon steps and at least one feature."
        )
    if not np.isfinite(values).all():
        raise ValueError(
            "series contains NaN or infinite values; drop or fill them "
            "(e.g. pandas' interpolate() or ffill()) before making windows."
        )
    return values


def _as_float(values):
    if values.dtype.kind == "f":
        return values
    if values.dtype.kind in "iub":
        return values.astype(np.float64)
    if values.dtype.kind == "O":
        try:
            return values.astype(np.float64)
        except (TypeError, ValueError):
            pass
    raise ValueError(
        f"series must hold numbers, got dtype {values.dtype}; convert it to "
        "floats first (e.g. pandas.to_numeric) or drop the non-numeric columns."
    )


def _check_length(n_steps, window, horizon):
    needed = window + horizon
    if needed > n_steps:
        raise ValueError(
            f"window={window} plus horizon={horizon} needs at least {needed} "
            f"steps but the series has {n_steps}; use a shorter window or a "
            "longer series."
        )

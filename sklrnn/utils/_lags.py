"""Names of the flat (feature, lag) columns that encode windows in a DataFrame.

`SlidingWindowTransformer` writes them under ``set_output(transform="pandas")``
and every estimator reads them back as sequences, so the naming lives here,
in one place both sides import.
"""

import re

import numpy as np

_LAG_COLUMN = re.compile(r"^(?P<feature>.+)\[t(?:-(?P<lag>\d+))?\]$")


def lag_column_names(feature_names, window):
    """Column names of windows flattened step-major: oldest step first.

    Examples
    --------
    >>> lag_column_names(["x0"], 3)
    ['x0[t-2]', 'x0[t-1]', 'x0[t]']
    """
    return [
        f"{feature}[t-{lag}]" if lag else f"{feature}[t]"
        for lag in range(window - 1, -1, -1)
        for feature in feature_names
    ]


def parse_lag_columns(columns):
    """Recover ``(features, window)`` from lag column names, or None.

    Returns None unless the columns are exactly the names `lag_column_names`
    would give for some features and window, in that order: anything else is
    an ordinary table of univariate sequences.

    Examples
    --------
    >>> parse_lag_columns(["a[t-1]", "b[t-1]", "a[t]", "b[t]"])
    (['a', 'b'], 2)
    >>> parse_lag_columns(["a", "b"]) is None
    True
    """
    columns = [str(column) for column in columns]
    matches = [_LAG_COLUMN.match(column) for column in columns]
    if not columns or not all(matches):
        return None
    features = list(dict.fromkeys(match["feature"] for match in matches))
    window, remainder = divmod(len(columns), len(features))
    if remainder or lag_column_names(features, window) != columns:
        return None
    return features, window


def unflatten_lags(X, n_features):
    """Reshape a flat ``(n, window * n_features)`` array to 3-D windows."""
    X = np.asarray(X)
    return X.reshape(X.shape[0], -1, n_features)

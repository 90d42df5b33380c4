"""Checking sequence input: 2-D tables, 3-D arrays, lag DataFrames, ragged lists.

Every estimator's input goes through `validate_sequences`, which returns float32
sequences in one of two forms: a 3-D array ``(n_samples, n_timesteps,
n_features)`` or, for ragged input, a list of 2-D ``(n_timesteps_i,
n_features)`` arrays. It sets ``n_features_in_`` and ``feature_names_in_`` the
scikit-learn way and rejects bad input with a message that names the fix.
"""

import numbers

import numpy as np
import torch
from sklearn import get_config
from sklearn.utils import assert_all_finite
from sklearn.utils.validation import _check_feature_names, check_array, validate_data

from sklrnn.utils._lags import parse_lag_columns, unflatten_lags

_DTYPE = np.float32


def input_ndim(X):
    """The number of dimensions of ``X`` as given, without validating it; None
    for nested lists numpy cannot stack (ragged).

    Examples
    --------
    >>> input_ndim([[1, 2], [3, 4]]), input_ndim([[1, 2], [3]])
    (2, None)
    """
    ndim = getattr(X, "ndim", None)
    if ndim is not None:
        return ndim
    try:  # np.asarray, not np.ndim: array-likes may refuse numpy's functions
        return np.asarray(X).ndim
    except ValueError:
        return None


def _is_ragged(X):
    """A list or tuple of array-likes whose elements are sequences themselves.

    A list of equal-length lists of numbers is an ordinary 2-D table; a list of
    2-D arrays, or of 1-D arrays of different lengths, is a ragged batch.
    """
    if not isinstance(X, (list, tuple)) or len(X) == 0:
        return False
    if any(getattr(item, "ndim", 1) == 2 for item in X):
        return True
    lengths = {len(item) for item in X if hasattr(item, "__len__")}
    has_scalars = any(isinstance(item, (numbers.Number, str)) for item in X)
    return not has_scalars and len(lengths) > 1


def _check_ragged(X, name):
    sequences = []
    for i, item in enumerate(X):
        if hasattr(item, "__len__") and len(item) == 0:
            raise ValueError(
                f"Sequence {i} of X has no time steps. Drop empty sequences "
                "before calling the estimator; every sequence needs at least "
                "one step."
            )
        seq = check_array(
            item,
            dtype=_DTYPE,
            ensure_2d=False,
            input_name=f"X[{i}]",
            estimator=name,
        )
        if seq.ndim == 1:
            seq = seq.reshape(-1, 1)
        elif seq.ndim != 2:
            raise ValueError(
                f"Sequence {i} of X has {seq.ndim} dimensions; each sequence of "
                "a ragged list must be 1-D (one feature) or 2-D "
                "(n_timesteps, n_features)."
            )
        sequences.append(seq)
    n_features = {seq.shape[1] for seq in sequences}
    if len(n_features) > 1:
        raise ValueError(
            f"The sequences of X have different numbers of features per step "
            f"({sorted(n_features)}); every sequence needs the same features."
        )
    return sequences


def _assert_finite(X, name):
    """scikit-learn's finiteness check, with its first pass summed by torch.

    A sum is finite only if every value is, so a finite sum clears ``X``;
    anything else (including a sum that overflows) goes to scikit-learn's
    exact check, which raises its usual error. torch sums on all its
    intra-op threads where numpy uses one: 3-4x faster on the 31 MB of a
    10,000-sequence MNIST-shaped predict, where numpy's pass was 7 % of the
    call. Other arrays (read-only window views, reversed or strided ones)
    stay with numpy: torch warns on read-only memory and refuses negative
    strides.
    """
    if get_config()["assume_finite"]:
        return
    contiguous = X.flags.c_contiguous and X.flags.writeable
    if contiguous and torch.isfinite(torch.from_numpy(X).sum()):
        return
    assert_all_finite(X, allow_nan=False, estimator_name=name, input_name="X")


def _check_n_step_features(estimator, n_features, reset):
    if reset:
        estimator._n_step_features = n_features
        return
    expected = estimator._n_step_features
    if n_features != expected:
        raise ValueError(
            f"X has {n_features} features per time step, but "
            f"{type(estimator).__name__} was fitted with {expected}. Pass "
            "sequences with the same features as in fit."
        )


def validate_sequences(estimator, X, *, reset):
    """Check ``X`` and return float32 sequences: a 3-D array or a ragged list.

    Accepted input:

    - a 2-D table ``(n_samples, n_timesteps)``: univariate sequences; its
      columns are the estimator's ``n_features_in_`` as in scikit-learn;
    - a DataFrame whose columns are the lag names written by
      `SlidingWindowTransformer` (``"x[t-1]", "x[t]"``): read back as
      ``(n_samples, window, n_features)``;
    - a 3-D array ``(n_samples, n_timesteps, n_features)``;
    - a list of 1-D or 2-D arrays of different lengths (ragged).

    ``n_features_in_`` is the number of columns for 2-D tables and the
    number of features per step otherwise. Sequences may have any number of
    steps, except 2-D tables after a fit on a 2-D table, which must keep the
    fitted number of columns (scikit-learn's feature-count contract).

    Parameters
    ----------
    estimator : estimator instance
        Receives ``n_features_in_``, ``feature_names_in_`` when ``reset``.
    X : array-like, DataFrame or list of array-like
        The sequences.
    reset : bool
        True in ``fit``; False afterwards, to check against the fitted input.

    Returns
    -------
    sequences : ndarray of shape (n_samples, n_timesteps, n_features) or list
        float32 sequences; a list of 2-D arrays for ragged input.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.base import BaseEstimator
    >>> est = BaseEstimator()
    >>> validate_sequences(est, np.zeros((5, 3)), reset=True).shape
    (5, 3, 1)
    >>> est.n_features_in_
    3
    """
    name = type(estimator).__name__
    _reject_text(X, name)
    if isinstance(X, (list, tuple)) and len(X) == 0:
        raise ValueError(
            f"X is an empty {type(X).__name__}; pass at least one sequence."
        )
    if _is_ragged(X):
        sequences = _check_ragged(X, name)
        _check_feature_names(estimator, X, reset=reset)
        n_features = sequences[0].shape[1]
        _check_n_step_features(estimator, n_features, reset)
        if reset:
            estimator.n_features_in_ = n_features
            estimator._fitted_on_table = False
        return sequences

    lags = parse_lag_columns(getattr(X, "columns", []))
    ndim = input_ndim(X)
    if ndim == 3:
        X = check_array(
            X,
            dtype=_DTYPE,
            allow_nd=True,
            ensure_all_finite=False,
            estimator=name,
            input_name="X",
        )
        _assert_finite(X, name)
        if 0 in X.shape[1:]:
            raise ValueError(
                f"X has shape {X.shape}: sequences of 0 time steps or 0 features "
                "per step. Every sequence needs at least one step and one feature."
            )
        _check_feature_names(estimator, X, reset=reset)
        _check_n_step_features(estimator, X.shape[2], reset)
        if reset:
            estimator.n_features_in_ = X.shape[2]
            estimator._fitted_on_table = False
        return X
    if ndim == 2 and not (reset or estimator._fitted_on_table):
        # Fitted on 3-D or ragged input: a 2-D table is univariate sequences
        # of any length, not a table with a fixed column count.
        X = check_array(
            X, dtype=_DTYPE, ensure_all_finite=False, estimator=name, input_name="X"
        )
        _assert_finite(X, name)
        n_step_features = len(lags[0]) if lags else 1
        _check_n_step_features(estimator, n_step_features, reset)
        return unflatten_lags(X, n_step_features)
    if ndim != 2:
        described = (
            "rows of different shapes" if ndim is None else f"{ndim} dimension(s)"
        )
        raise ValueError(
            f"X has {described}, but {name} expects sequences: a 2-D "
            "array (n_samples, n_timesteps) of univariate sequences, a 3-D "
            "array (n_samples, n_timesteps, n_features), or a list of 2-D "
            "arrays. Reshape your data: turn a single series into windows with "
            "make_windows or SlidingWindowTransformer."
        )
    X = validate_data(estimator, X, reset=reset, dtype=_DTYPE, ensure_all_finite=False)
    _assert_finite(X, name)
    n_step_features = len(lags[0]) if lags else 1
    _check_n_step_features(estimator, n_step_features, reset)
    if reset:
        estimator._fitted_on_table = True
    return unflatten_lags(X, n_step_features)


def pad_sequences(sequences, dtype=_DTYPE, fill=0):
    """Pad a ragged list with ``fill`` at the end; return ``(padded, lengths)``.

    2-D sequences give a 3-D array, 1-D sequences (token ids) a 2-D one.

    Examples
    --------
    >>> import numpy as np
    >>> padded, lengths = pad_sequences([np.ones((2, 1)), np.ones((3, 1))])
    >>> padded.shape, lengths.tolist()
    ((2, 3, 1), [2, 3])
    """
    lengths = np.array([len(seq) for seq in sequences], dtype=np.int64)
    step_shape = sequences[0].shape[1:]
    padded = np.full((len(sequences), lengths.max(), *step_shape), fill, dtype=dtype)
    for row, seq in zip(padded, sequences):
        row[: len(seq)] = seq
    return padded, lengths


def _reject_text(X, name):
    """Strings where numbers or token ids belong: point to TextTokenizer."""
    first = X[0] if isinstance(X, (list, tuple)) and len(X) else None
    if isinstance(X, str) or isinstance(first, str):
        raise TypeError(
            f"X holds text, but {name} takes numbers or token ids. Turn text "
            "into token ids with sklrnn.preprocessing.TextTokenizer, e.g. "
            "make_pipeline(TextTokenizer(), SequenceClassifier(embedding_dim=32))."
        )


def validate_tokens(estimator, X, *, reset):
    """Check token ids; return ``(padded, lengths)`` as int64 arrays.

    ``X`` is a list of 1-D sequences of integer ids, or a 2-D integer array
    padded at the end with id 0. Id 0 is padding, so a sequence's length is
    the position of its last non-zero id plus one.

    Examples
    --------
    >>> from sklearn.base import BaseEstimator
    >>> padded, lengths = validate_tokens(
    ...     BaseEstimator(), [[4, 2, 7], [3]], reset=True
    ... )
    >>> padded.tolist(), lengths.tolist()
    ([[4, 2, 7], [3, 0, 0]], [3, 1])
    """
    if not hasattr(X, "__len__"):  # an array-like with only __array__
        X = np.asarray(X)
    name = type(estimator).__name__
    _reject_text(X, name)
    if len(X) == 0:
        raise ValueError(
            f"{name} with embedding_dim set takes sequences of integer token "
            "ids, e.g. from TextTokenizer; got an empty input or a string."
        )
    if hasattr(X, "ndim") and X.ndim == 2 or not _is_ragged(X):
        padded = np.asarray(X)
        if padded.ndim != 2:
            raise ValueError(
                f"Token ids must be a list of 1-D sequences or a 2-D array "
                f"padded with 0; got an array with {padded.ndim} dimension(s)."
            )
        nonzero = padded != 0
        lengths = np.where(
            nonzero.any(axis=1), padded.shape[1] - np.argmax(nonzero[:, ::-1], 1), 0
        )
        sequences = None
    else:
        sequences = [np.asarray(seq) for seq in X]
        if any(seq.ndim != 1 for seq in sequences):
            raise ValueError(
                "Each sequence of token ids must be 1-D (one id per step)."
            )
        lengths = np.array([len(seq) for seq in sequences])
    dtypes = {seq.dtype for seq in sequences} if sequences else {padded.dtype}
    if not all(np.issubdtype(dtype, np.integer) for dtype in dtypes):
        raise TypeError(
            f"embedding_dim is set, so {name} expects integer token ids (e.g. "
            f"from TextTokenizer), but X has dtype {sorted(map(str, dtypes))}. "
            "Unset embedding_dim to read X as numeric sequences."
        )
    if (lengths == 0).any():
        raise ValueError(
            f"Sequence {int(np.argmin(lengths))} of X has no tokens; every "
            "sequence needs at least one."
        )
    if sequences is not None:
        padded, _ = pad_sequences(sequences, dtype=np.int64)
    padded = padded.astype(np.int64, copy=False)
    if (padded < 0).any():
        raise ValueError("Token ids must be non-negative; id 0 is padding.")
    _check_feature_names(estimator, X, reset=reset)
    if reset:
        estimator.n_features_in_ = 1
        estimator._n_step_features = 1
        estimator._fitted_on_table = False
    return padded, lengths.astype(np.int64)

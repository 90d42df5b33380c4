"""The inputs of an exported model, chosen from a sample of ``X``."""

import numpy as np
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType, Int64TensorType
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from sklrnn._generator import CharLSTMGenerator
from sklrnn.preprocessing import TextTokenizer
from sklrnn.utils._validation import _is_ragged

# The opset written by default: onnxruntime 1.15 (2023) and later run it.
TARGET_OPSET = 18


def _steps(estimator):
    if isinstance(estimator, Pipeline):
        return [step for _, est in estimator.steps for step in _steps(est)]
    return [estimator]


def onnx_inputs(estimator, X):
    """The exported model's inputs, as skl2onnx's ``initial_types``.

    Parameters
    ----------
    estimator : estimator or Pipeline
        Fitted.
    X : array-like, list of array-like or None
        A sample of the input: its form (2-D, 3-D, ragged, token ids) and
        number of features choose the inputs. Ignored for
        `~sklrnn.CharLSTMGenerator`.

    Returns
    -------
    initial_types : list of (str, skl2onnx type)
        Pass them to `skl2onnx.convert_sklearn` as ``initial_types``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklrnn.onnx import onnx_inputs
    >>> from sklrnn.preprocessing import SequenceScaler
    >>> ragged = [np.ones((3, 2)), np.ones((5, 2))]
    >>> scaler = SequenceScaler().fit(ragged)
    >>> [(name, kind.shape) for name, kind in onnx_inputs(scaler, ragged)]
    [('X', [None, None, 2]), ('lengths', [None])]
    """
    steps = _steps(estimator)
    first, last = steps[0], steps[-1]
    if any(isinstance(step, TextTokenizer) for step in steps):
        raise ValueError(
            "TextTokenizer has no ONNX form: tokenising text stays in Python. "
            "Export the classifier alone, e.g. sklrnn.to_onnx(pipeline[-1], "
            "pipeline[:-1].transform(texts[:2])), and feed it the token ids "
            "TextTokenizer gives."
        )
    if isinstance(last, CharLSTMGenerator):
        module = last.net_.module_
        layers, hidden = module.rnn.num_layers, module.rnn.hidden_size
        states = ["h", "c"] if module.rnn.mode == "LSTM" else ["h"]
        return [("input_id", Int64TensorType([None]))] + [
            (name, FloatTensorType([layers, None, hidden])) for name in states
        ]
    if X is None:
        raise ValueError(
            "to_onnx needs a sample of the input X to choose the model's "
            "inputs (its form and number of features), e.g. X_train[:2]."
        )
    if getattr(last, "embedding_dim", None) is not None and first is last:
        return [("X", Int64TensorType([None, None]))]
    if _is_ragged(X):
        n_features = np.asarray(X[0]).reshape(len(X[0]), -1).shape[1]
        return [
            ("X", FloatTensorType([None, None, n_features])),
            ("lengths", Int64TensorType([None])),
        ]
    X = np.asarray(X)
    if X.ndim == 3:
        return [("X", FloatTensorType([None, None, X.shape[2]]))]
    if X.ndim != 2:
        raise ValueError(
            f"X has {X.ndim} dimension(s); pass a sample of the input the "
            "model takes: a 2-D table or series, a 3-D array of sequences, "
            "or a list of 2-D sequences."
        )
    fixed_columns = getattr(first, "_fitted_on_table", True)
    return [("X", FloatTensorType([None, X.shape[1] if fixed_columns else None]))]


def convert(estimator, X=None, *, target_opset=None):
    """`sklrnn.to_onnx`, once the optional packages are imported."""
    for step in _steps(estimator):
        check_is_fitted(step)
    return convert_sklearn(
        estimator,
        name=type(estimator).__name__,
        initial_types=onnx_inputs(estimator, X),
        target_opset=target_opset or TARGET_OPSET,
    )

"""`to_onnx`: a fitted estimator or pipeline as one ONNX graph."""


def to_onnx(estimator, X=None, *, target_opset=None):
    """Convert a fitted estimator or pipeline to an ONNX model.

    The graph computes what ``predict``, ``predict_proba`` or ``transform``
    computes, data handling included: the windowing, the scalers, the
    network and the regressor's target units. It runs in onnxruntime
    without torch, skorch or sklrnn. Needs the optional extra
    ``pip install "sklrnn[onnx]"``.

    Parameters
    ----------
    estimator : estimator or Pipeline
        Fitted: `LSTMRegressor`, `SequenceClassifier`, `SequenceTagger`,
        `CharLSTMGenerator`, `~sklrnn.preprocessing.SlidingWindowTransformer`,
        `~sklrnn.preprocessing.SequenceScaler`, or a
        :class:`~sklearn.pipeline.Pipeline` of them with scikit-learn steps
        that skl2onnx converts (scalers, for instance).
    X : array-like, list of array-like or None, default=None
        A few rows of the input, in the form ``predict`` receives: they
        choose the model's inputs (see Notes), and are not stored. Not used
        for `CharLSTMGenerator`.
    target_opset : int or None, default=None
        The ONNX opset to write; None writes opset 18 (onnxruntime 1.15 and
        later). At least 18.

    Returns
    -------
    model : onnx.ModelProto
        Save it with ``model.SerializeToString()`` or `onnx.save`.

    Notes
    -----
    Inputs and outputs of the model, by the form of ``X``:

    - 3-D ``(batch, steps, features)``: one float32 input ``"X"`` with
      any number of rows and steps.
    - 2-D: ``"X"`` of shape ``(batch, columns)``, univariate sequences or lag
      columns, as ``predict`` reads them; for a pipeline that starts with
      `~sklrnn.preprocessing.SlidingWindowTransformer` (or a scaler before
      it), the raw series ``(n_steps, n_features)``, with one prediction per
      step, as ``predict`` gives.
    - a ragged list of sequences: ``"X"`` padded at the end to
      ``(batch, steps, features)`` and an int64 ``"lengths"`` ``(batch,)``;
      padded steps never change a result.
    - token ids (``embedding_dim`` set): int64 ``"X"`` ``(batch, steps)``
      padded with id 0, lengths taken from the last non-zero id, as
      ``predict`` does. Tokenising text stays in Python: export the
      classifier alone and feed it what `TextTokenizer` gives.
    - `CharLSTMGenerator`: one step of the language model. Inputs: int64
      ``"input_id"`` ``(batch,)`` (the input id of a character is its
      `vocabulary_` column plus one; 0 starts a text) and the state ``"h"``
      (and ``"c"`` for an LSTM) of shape ``(num_layers, batch,
      hidden_size)``, zeros at the start. Outputs: ``"logits"`` over
      `vocabulary_` and the next state (``"h_out"``, ``"c_out"``).

    The regressor's output ``"variable"`` is in the target's units, of
    shape ``(batch,)`` or ``(batch, n_outputs)`` as ``predict``. The
    classifier's outputs are ``"label"`` (from `classes_`, strings included)
    and ``"probabilities"`` ``(batch, n_classes)``, a tensor (no ZipMap);
    the tagger's are per step, padded steps included. The computation is in
    float32, whatever the input's float type.

    Importing `sklrnn.onnx` registers the same converters with skl2onnx, so
    that `skl2onnx.to_onnx` converts pipelines holding sklrnn's estimators
    too.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from sklrnn import LSTMRegressor, to_onnx
    >>> from sklrnn.datasets import make_cosine
    >>> from sklrnn.preprocessing import make_windows
    >>> X, y = make_windows(make_cosine(n_samples=200, random_state=0), window=10)
    >>> reg = LSTMRegressor(hidden_size=8, max_epochs=2, random_state=0).fit(X, y)
    >>> model = to_onnx(reg, X[:2])
    >>> session = ort.InferenceSession(model.SerializeToString())
    >>> [inp.name for inp in session.get_inputs()]
    ['X']
    >>> (predicted,) = session.run(None, {"X": X[:5].astype(np.float32)})
    >>> np.allclose(predicted, reg.predict(X[:5]), rtol=1e-5, atol=1e-6)
    True
    """
    from sklrnn.onnx._export import convert

    return convert(estimator, X, target_opset=target_opset)

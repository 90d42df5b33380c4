"""ONNX export: the graph computes what the estimator computes (onnxruntime)."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklrnn import (
    CharLSTMGenerator,
    LSTMRegressor,
    SequenceClassifier,
    SequenceTagger,
    to_onnx,
)
from sklrnn.datasets import load_airline
from sklrnn.preprocessing import (
    SequenceScaler,
    SlidingWindowTransformer,
    TextTokenizer,
)
from sklrnn.utils._validation import pad_sequences

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("skl2onnx")

TINY = {"hidden_size": 6, "max_epochs": 2, "random_state": 0}


def run(model, **feeds):
    """The outputs of an exported model in onnxruntime, by name."""
    session = ort.InferenceSession(model.SerializeToString())
    names = [output.name for output in session.get_outputs()]
    return dict(zip(names, session.run(None, feeds)))


def sequences(n=24, steps=9, features=2, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, steps, features)).astype(np.float32)
    return X, X[:, :, 0].sum(axis=1) > 0


def ragged(n=24, features=2, seed=0):
    rng = np.random.RandomState(seed)
    X = [rng.normal(size=(k, features)) for k in rng.randint(3, 40, size=n)]
    return X, np.array(["up" if seq[:, 0].sum() > 0 else "down" for seq in X])


def padded(X):
    x, lengths = pad_sequences([np.asarray(seq, np.float32) for seq in X])
    return {"X": x, "lengths": lengths}


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("num_layers", [1, 3])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("pooling", ["last", "mean", "max"])
def test_classifier_matches_predict_proba(cell, num_layers, bidirectional, pooling):
    X, y = sequences()
    clf = SequenceClassifier(
        cell=cell,
        num_layers=num_layers,
        bidirectional=bidirectional,
        pooling=pooling,
        conv_channels=None,
        **TINY,
    ).fit(X, y)
    out = run(to_onnx(clf, X[:2]), X=X)
    assert_allclose(out["probabilities"], clf.predict_proba(X), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(out["label"], clf.predict(X))


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("pooling", ["last", "mean", "max"])
def test_ragged_classifier_with_convolutions_matches(cell, pooling):
    # The default front-end: convolution blocks, then max pooling by 2 here.
    X, y = ragged()
    clf = SequenceClassifier(
        cell=cell, pooling=pooling, conv_channels=(4, 4), pool_size=2, **TINY
    ).fit(X, y)
    out = run(to_onnx(clf, X[:2]), **padded(X))
    assert_allclose(out["probabilities"], clf.predict_proba(X), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(out["label"], clf.predict(X))
    assert out["label"].dtype.kind in "OU"  # string labels stay strings


def test_default_classifier_two_layer_bidirectional_gru():
    X, y = sequences(steps=70)
    labels = np.where(y, 7, -3)
    clf = SequenceClassifier(num_layers=2, max_epochs=2, random_state=0).fit(X, labels)
    assert clf.pool_size_ > 1 and clf.conv_channels_  # defaults: conv, pooled
    model = to_onnx(clf, X[:2])
    out = run(model, X=X[:5])
    assert_allclose(
        out["probabilities"], clf.predict_proba(X[:5]), rtol=1e-5, atol=1e-6
    )
    assert out["label"].dtype == np.int64
    np.testing.assert_array_equal(out["label"], clf.predict(X[:5]))
    # Any number of steps: the steps axis is dynamic.
    longer = np.concatenate([X[:3], X[:3]], axis=1)
    assert_allclose(
        run(model, X=longer)["probabilities"],
        clf.predict_proba(longer),
        rtol=1e-5,
        atol=1e-6,
    )


def test_token_classifier_exports_its_embedding():
    rng = np.random.RandomState(0)
    X = [rng.randint(1, 30, size=k) for k in rng.randint(2, 12, size=40)]
    y = [int(seq.sum() % 2) for seq in X]
    clf = SequenceClassifier(embedding_dim=4, **TINY).fit(X, y)
    ids, _ = pad_sequences(X, dtype=np.int64)
    ids[0, 0] = 99  # beyond the vocabulary: read as the unknown id
    out = run(to_onnx(clf, ids[:2]), X=ids)
    assert_allclose(out["probabilities"], clf.predict_proba(ids), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_regressor_returns_the_target_units(cell):
    X, _ = sequences(n=40)
    y = np.c_[X.sum(axis=(1, 2)), X[:, -1, 0]] * 100 + 500  # two outputs
    reg = LSTMRegressor(cell=cell, num_layers=2, bidirectional=True, **TINY)
    reg.fit(X, y)
    out = run(to_onnx(reg, X[:2]), X=X)["variable"]
    assert out.shape == (40, 2)
    assert_allclose(out, reg.predict(X), rtol=1e-5)


def test_regressor_fitted_on_a_table_of_windows():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 8))
    y = X.sum(axis=1)
    reg = LSTMRegressor(**TINY).fit(X, y)
    out = run(to_onnx(reg, X[:2]), X=X.astype(np.float32))["variable"]
    assert out.shape == (30,)
    assert_allclose(out, reg.predict(X), rtol=1e-5, atol=1e-5)


def test_airline_pipeline_takes_the_raw_series():
    series = load_airline().to_numpy().reshape(-1, 1)
    X, y = series[:-1], series[1:, 0]
    pipe = make_pipeline(
        StandardScaler(), SlidingWindowTransformer(window=12), LSTMRegressor(**TINY)
    ).fit(X, y)
    out = run(to_onnx(pipe, X[:24]), X=X.astype(np.float32))["variable"]
    assert out.shape == (len(X),)  # one prediction per step, as predict
    assert_allclose(out, pipe.predict(X), rtol=1e-5)


def test_skl2onnx_converts_pipelines_once_sklrnn_onnx_is_imported():
    import skl2onnx

    import sklrnn.onnx  # noqa: F401  (registers the converters)

    X, y = ragged()
    pipe = make_pipeline(SequenceScaler(), SequenceClassifier(**TINY)).fit(X, y)
    inputs = sklrnn.onnx.onnx_inputs(pipe, X)
    model = skl2onnx.convert_sklearn(pipe, initial_types=inputs, target_opset=18)
    out = run(model, **padded(X))
    assert_allclose(out["probabilities"], pipe.predict_proba(X), rtol=1e-5, atol=1e-6)

    X3, y3 = sequences()
    reg = LSTMRegressor(**TINY).fit(X3, y3.astype(float))
    out = run(skl2onnx.to_onnx(reg, X3[:2]), X=X3)["variable"]
    assert_allclose(out, reg.predict(X3), rtol=1e-5, atol=1e-6)
    # A float64 sample gives a float64 input, cast to float32 inside.
    X64 = X3.astype(np.float64)
    out = run(skl2onnx.to_onnx(reg, X64[:2]), X=X64)["variable"]
    assert_allclose(out, reg.predict(X3), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("form", ["3d", "ragged", "table"])
def test_sequence_scaler_matches_transform(form):
    X, _ = sequences()
    if form == "ragged":
        X, _ = ragged()
    if form == "table":
        X = X[:, :, 0]
    scaler = SequenceScaler().fit(X)
    if form == "ragged":
        out = run(to_onnx(scaler, X[:2]), **padded(X))
        for seq, row, n in zip(scaler.transform(X), out["variable"], out["lengths"]):
            assert_allclose(row[:n], seq, rtol=1e-5, atol=1e-6)
        return
    out = run(to_onnx(scaler, X[:2]), X=X)["variable"]
    assert_allclose(out, scaler.transform(X), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("add_indicator", [True, False])
def test_sliding_window_matches_transform(add_indicator):
    series = np.random.RandomState(0).normal(size=(20, 3))
    windows = SlidingWindowTransformer(
        window=5, fill_value=-1.0, add_indicator=add_indicator
    ).fit(series)
    out = run(to_onnx(windows, series[:2]), X=series.astype(np.float32))
    assert_allclose(out["variable"], windows.transform(series), rtol=1e-6)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_tagger_labels_every_step(cell):
    X, _ = ragged(features=1)
    y = [np.where(np.cumsum(seq[:, 0]) > 0, "up", "down") for seq in X]
    tagger = SequenceTagger(cell=cell, bidirectional=True, **TINY).fit(X, y)
    out = run(to_onnx(tagger, X[:2]), **padded(X))
    lengths = padded(X)["lengths"]
    for labels, proba, n, expected_labels, expected_proba in zip(
        out["label"],
        out["probabilities"],
        lengths,
        tagger.predict(X),
        tagger.predict_proba(X),
    ):
        np.testing.assert_array_equal(labels[:n], expected_labels)
        assert_allclose(proba[:n], expected_proba, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_generator_step_model_writes_the_same_text(cell):
    text = "the cat sat on the mat. the dog sat on the log. " * 20
    gen = CharLSTMGenerator(
        cell=cell,
        num_layers=2,
        hidden_size=16,
        embedding_dim=8,
        window=30,
        max_epochs=3,
        random_state=0,
    ).fit(text)
    session = ort.InferenceSession(to_onnx(gen).SerializeToString())
    state_names = [inp.name for inp in session.get_inputs()][1:]
    chars = np.array(sorted(gen.vocabulary_, key=gen.vocabulary_.get))
    state = {name: np.zeros((2, 1, 16), np.float32) for name in state_names}
    input_ids = [0] + [gen.vocabulary_[c] + 1 for c in "the "]
    written = []
    for _ in range(100):
        for input_id in input_ids:
            logits, *new_state = session.run(
                None, {"input_id": np.array([input_id]), **state}
            )
            state = dict(zip(state_names, new_state))
        best = int(np.argmax(logits[0]))
        written.append(chars[best])
        input_ids = [best + 1]
    expected = gen.generate(100, prompt="the ", top_k=1)
    assert "".join(written) == expected


def test_tokenizer_in_a_pipeline_is_refused_with_the_way_out():
    texts = ["good film", "bad film", "good", "bad"] * 5
    pipe = make_pipeline(
        TextTokenizer(), SequenceClassifier(embedding_dim=4, **TINY)
    ).fit(texts, [1, 0, 1, 0] * 5)
    with pytest.raises(ValueError, match="TextTokenizer has no ONNX form"):
        to_onnx(pipe, texts[:2])


def test_unfitted_and_missing_sample_are_refused():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        to_onnx(LSTMRegressor(), np.zeros((2, 3, 1)))
    X, y = sequences()
    reg = LSTMRegressor(**TINY).fit(X, y.astype(float))
    with pytest.raises(ValueError, match="needs a sample of the input X"):
        to_onnx(reg)


def _python(code, tmp_path):
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        capture_output=True,
        text=True,
    )


def test_exported_models_run_where_torch_cannot_be_imported(tmp_path):
    """The issue's three: the airline pipeline, a 2-layer bidirectional GRU
    classifier and a ragged classifier, run by onnxruntime alone."""
    series = load_airline().to_numpy().reshape(-1, 1)
    pipe = make_pipeline(
        StandardScaler(), SlidingWindowTransformer(window=12), LSTMRegressor(**TINY)
    ).fit(series[:-1], series[1:, 0])
    X, y = sequences()
    gru = SequenceClassifier(
        cell="gru", num_layers=2, bidirectional=True, dropout=0.3, **TINY
    ).fit(X, y)
    X_ragged, y_ragged = ragged()
    clf = SequenceClassifier(**TINY).fit(X_ragged, y_ragged)
    cases = {
        "airline": (pipe, series, {"X": series.astype(np.float32)}, pipe.predict),
        "gru": (gru, X, {"X": X}, gru.predict_proba),
        "ragged": (clf, X_ragged, padded(X_ragged), clf.predict_proba),
    }
    for name, (model, data, feed, _) in cases.items():
        (tmp_path / f"{name}.onnx").write_bytes(
            to_onnx(model, data).SerializeToString()
        )
        np.savez(tmp_path / f"{name}_in.npz", **feed)
    result = _python(
        """
        import sys
        for name in ("torch", "skorch", "sklrnn", "sklearn"):
            sys.modules[name] = None  # any import of them fails
        import numpy as np
        import onnxruntime as ort
        for name in ("airline", "gru", "ragged"):
            session = ort.InferenceSession(f"{name}.onnx")
            outputs = session.run(None, dict(np.load(f"{name}_in.npz")))
            np.save(f"{name}_out.npy", outputs[-1])  # values or probabilities
        try:
            import torch
        except ImportError:
            print("no torch")
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "no torch"
    for name, (_, data, _, method) in cases.items():
        exported = np.load(tmp_path / f"{name}_out.npy")
        assert_allclose(exported, method(data), rtol=1e-5, atol=1e-6, err_msg=name)


def test_sklrnn_imports_no_onnx_package_and_names_the_extra(tmp_path):
    result = _python(
        """
        import sys
        import sklrnn
        assert not {"onnx", "skl2onnx", "onnxruntime"} & set(sys.modules)
        sys.modules["skl2onnx"] = None  # as if the extra were not installed
        try:
            sklrnn.to_onnx(sklrnn.LSTMRegressor(), None)
        except ImportError as error:
            print(error)
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert 'pip install "sklrnn[onnx]"' in result.stdout

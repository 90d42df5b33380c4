"""Prediction latency of exported models: onnxruntime against ``predict``.

    pip install -e ".[onnx]"
    python benchmarks/deploy.py              # all rows, ~1 min
    python benchmarks/deploy.py --repeats 5  # fewer timed calls

For each fitted model, one call on a single sequence and one on 1,000
sequences (the airline pipeline: one call on the whole series), timed with
``predict`` (or ``predict_proba``) and with an onnxruntime session of the
model `sklrnn.to_onnx` exported; the table gives the median of the timed
calls, their ratio (``predict`` over onnxruntime: above 1, onnxruntime is
faster), the largest difference between the two outputs, and the export
time. Both use their defaults for threads: sklrnn's policy (``n_threads``)
and onnxruntime's session (all cores). The data are real: scikit-learn's
8x8 digits read row by row (cut to ragged lengths for the ragged model), the
airline series, and windows of a noisy cosine.
"""

import argparse
import statistics
import time

import numpy as np
import onnxruntime as ort
from sklearn.datasets import load_digits
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklrnn import LSTMRegressor, SequenceClassifier, to_onnx
from sklrnn.datasets import load_airline, make_cosine
from sklrnn.preprocessing import SlidingWindowTransformer, make_windows
from sklrnn.utils._validation import pad_sequences


def median_seconds(call, repeats):
    call()  # warm-up: first-call allocations and thread start-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cases():
    """(name, fitted model, predict method, batches by size, onnx feed)."""
    digits = load_digits()
    rows = (digits.data / 16.0).reshape(-1, 8, 8).astype(np.float32)
    labels = digits.target
    clf = SequenceClassifier(max_epochs=3, random_state=0).fit(rows, labels)
    yield "classifier defaults (digits)", clf, clf.predict_proba, rows, None

    rng = np.random.RandomState(0)
    cut = [row[: rng.randint(4, 9)] for row in rows]
    gru = SequenceClassifier(
        num_layers=2, conv_channels=None, max_epochs=3, random_state=0
    ).fit(cut, labels)
    yield "2-layer bi-GRU, ragged (digits)", gru, gru.predict_proba, cut, "ragged"

    series = make_cosine(n_samples=1100, step=0.1, noise=0.05, random_state=0)
    X, y = make_windows(series, window=50)
    reg = LSTMRegressor(max_epochs=3, random_state=0).fit(X, y)
    yield "LSTMRegressor, 50-step windows", reg, reg.predict, X, None

    passengers = load_airline().to_numpy().reshape(-1, 1)
    pipe = make_pipeline(
        StandardScaler(),
        SlidingWindowTransformer(window=12),
        LSTMRegressor(max_epochs=20, random_state=0),
    ).fit(passengers[:-1], passengers[1:, 0])
    yield "airline pipeline (whole series)", pipe, pipe.predict, passengers, "series"


def feeds(data, kind):
    if kind == "ragged":
        x, lengths = pad_sequences([np.asarray(seq, np.float32) for seq in data])
        return {"X": x, "lengths": lengths}
    return {"X": np.asarray(data, np.float32)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    header = (
        f"{'model':34} {'rows':>5} {'predict ms':>11} {'onnxrt ms':>10} "
        f"{'ratio':>6} {'max |diff|':>10} {'export s':>9}"
    )
    print(header)
    print("-" * len(header))
    for name, model, method, data, kind in cases():
        start = time.perf_counter()
        exported = to_onnx(model, data[:2] if kind != "series" else data)
        export_seconds = time.perf_counter() - start
        session = ort.InferenceSession(exported.SerializeToString())
        output = 1 if session.get_outputs()[0].name == "label" else 0
        sizes = [len(data)] if kind == "series" else [1, 1000]
        for size in sizes:
            batch = data[:size]
            feed = feeds(batch, kind)
            diff = np.max(np.abs(session.run(None, feed)[output] - method(batch)))
            repeats = args.repeats * (10 if size == 1 else 1)
            mine = median_seconds(lambda: method(batch), repeats)
            onnx = median_seconds(lambda: session.run(None, feed), repeats)
            print(
                f"{name:34} {size:5d} {mine * 1e3:11.2f} {onnx * 1e3:10.2f} "
                f"{mine / onnx:6.1f} {diff:10.1e} {export_seconds:9.2f}"
            )


if __name__ == "__main__":
    main()

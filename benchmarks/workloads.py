"""The tutorial workloads written with sklrnn; one JSON line per run on stdout.

Each workload mirrors a plain-PyTorch reference script in the shared bench
folder (``BENCH_DIR``, default ``../shared/bench`` next to the repository):
same data helpers, model sizes, batch sizes, epochs and thread count.

    python benchmarks/workloads.py W1 --epochs 100

``digits`` has no reference script: it is the under-load row's fit (see
``run.py --load``). With ``BENCH_DEFAULT_THREADS=1`` in the environment the
thread pinning of the shared helpers is skipped, so sklrnn runs with its own
default thread count (``n_threads=None``).
"""

import argparse
import json
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

BENCH_DIR = Path(
    os.environ.get(
        "BENCH_DIR", Path(__file__).resolve().parents[2] / "shared" / "bench"
    )
)
sys.path.insert(0, str(BENCH_DIR))

from common import set_thread_env  # noqa: E402

# The under-load rows measure sklrnn's own thread choice: no pinning then.
DEFAULT_THREADS = os.environ.get("BENCH_DEFAULT_THREADS") == "1"
if not DEFAULT_THREADS:
    set_thread_env()

import numpy as np  # noqa: E402
import torch  # noqa: E402
from common import (  # noqa: E402
    Region,
    airline_data,
    cosine_data,
    median,
    mnist_like,
    pin_torch,
    rmse_passengers,
    shakespeare_text,
)
from sklearn.datasets import load_digits  # noqa: E402
from skorch.callbacks import Callback  # noqa: E402

from sklrnn import (  # noqa: E402
    CharLSTMGenerator,
    LSTMRegressor,
    SequenceClassifier,
)
from sklrnn.preprocessing import SlidingWindowTransformer, make_windows  # noqa: E402

VERSIONS = (
    {"torch": torch.__version__, "torch_threads": torch.get_num_threads()}
    if DEFAULT_THREADS
    else pin_torch()
)


def _timed_epochs(estimator, X, y, epochs):
    """One warm-up epoch, then one ``fit`` of ``epochs`` epochs.

    The reference times each epoch of one training loop and reports the
    median. A user fits once for all epochs, so sklrnn is timed the same
    way: the median of skorch's epoch timer, plus the fit's fixed costs
    (input checks, target encoding, set-up) spread over its epochs.
    """
    estimator.set_params(max_epochs=1, warm_start=True)
    t0 = time.perf_counter()
    estimator.fit(X, y)
    warm = time.perf_counter() - t0
    estimator.set_params(max_epochs=epochs)
    with Region() as region:
        t0 = time.perf_counter()
        estimator.fit(X, y)
        wall = time.perf_counter() - t0
    durations = estimator.history_[-epochs:, "dur"]
    fixed = max(wall - sum(durations), 0.0)
    return warm, [d + fixed / epochs for d in durations], fixed, region


def _predict_ratio(estimator, X, batch_size, repeats=9):
    """Median seconds of ``predict`` and of the bare module over the same
    batches, after one warm-up call of each; the order of the two alternates
    so neither always runs on a cache the other warmed."""
    module = estimator.net_.module_.eval()
    tensor = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))
    if tensor.ndim == 2:
        tensor = tensor.unsqueeze(-1)

    def plain():
        with torch.inference_mode():
            torch.cat(
                [
                    module(tensor[i : i + batch_size])
                    for i in range(0, len(X), batch_size)
                ]
            )

    calls = {"ours": lambda: estimator.predict(X), "plain": plain}
    timings = {"ours": [], "plain": []}
    for repeat in range(repeats + 1):
        order = ("ours", "plain") if repeat % 2 else ("plain", "ours")
        for name in order:
            t0 = time.perf_counter()
            calls[name]()
            timings[name].append(time.perf_counter() - t0)
    return median(timings["ours"][1:]), median(timings["plain"][1:])


def _predict_record(estimator, X, batch_size, skip):
    """The ``predict_s`` and ``module_predict_s`` fields, or none if ``skip``."""
    if skip:
        return {}
    ours, plain = _predict_ratio(estimator, X, batch_size)
    return {"predict_s": round(ours, 4), "module_predict_s": round(plain, 4)}


def w1(args):
    d = airline_data(look_back=1)
    # The reference builds its model and optimizer before its timer starts;
    # a throw-away fit here pays the same one-off imports (torch's optimizer
    # machinery loads torch._dynamo on first use) outside the timed region.
    LSTMRegressor(hidden_size=4, max_epochs=1).fit(d["trX"][:4], d["trY"][:4])
    # The tutorial's training, pinned: its min-max scaled target as the loss
    # sees it (normalize_y=False; sklrnn's default standardises it, which
    # changes how the network extrapolates to the test years' higher
    # levels), MSE, Adam at 1e-3, batch 1, shuffled, all training months
    # (no validation split), no gradient clipping.
    reg = LSTMRegressor(
        hidden_size=4,
        normalize_y=False,
        loss="squared_error",
        optimizer="adam",
        lr=1e-3,
        max_epochs=args.epochs,
        batch_size=1,
        early_stopping=False,
        gradient_clip=None,
        random_state=args.seed,
    )
    with Region() as region:
        reg.fit(d["trX"], d["trY"])
    return {
        "fit_s": round(region.s, 4),
        "s_per_epoch": round(region.s / args.epochs, 5),
        "test_rmse": round(
            rmse_passengers(d["scaler"], d["teY"], reg.predict(d["teX"])), 3
        ),
        **region.info("fit_"),
    }


def w2(args):
    X, y, X_test, y_test = cosine_data()
    reg = LSTMRegressor(
        cell="rnn",
        hidden_size=64,
        batch_size=100,
        lr=1e-3,
        gradient_clip=None,
        random_state=args.seed,
    )
    warm, times, fixed, region = _timed_epochs(reg, X, y, args.epochs)
    return {
        "warmup_epoch_s": round(warm, 4),
        "epoch_s_median": round(median(times), 4),
        "fit_fixed_s": round(fixed, 4),
        **_predict_record(reg, X_test, 100, args.no_predict),
        "test_mse": float(np.mean((reg.predict(X_test) - y_test) ** 2)),
        **region.info("timed_"),
    }


def w5(args):
    X, y = mnist_like()
    # The reference's network, LSTM(30) -> Dense(10), not the classifier's
    # default front-end and bidirectional GRU, so both time the same work.
    clf = SequenceClassifier(
        cell="lstm",
        bidirectional=False,
        conv_channels=None,
        pooling="last",
        lr_schedule="constant",
        hidden_size=30,
        batch_size=128,
        lr=1e-3,
        optimizer="rmsprop",
        net_kwargs={"optimizer__alpha": 0.9, "optimizer__eps": 1e-7},
        gradient_clip=None,
        random_state=args.seed,
    )
    warm, times, fixed, region = _timed_epochs(clf, X, y, args.epochs)
    return {
        "warmup_epoch_s": round(warm, 4),
        "epoch_s_median": round(median(times), 4),
        "fit_fixed_s": round(fixed, 4),
        **_predict_record(clf, X, 128, args.no_predict),
        **region.info("timed_"),
    }


class _ThreadCount(Callback):
    """Records the torch threads a fit trains with (sklrnn sets them)."""

    def on_train_begin(self, net, **kwargs):
        self.threads = torch.get_num_threads()


def digits(args):
    """One fit of an LSTM(64) reading sklearn's 8x8 digits row by row: 40
    epochs, batch 32, all 1,797 images. The classifier's default front-end
    (convolution blocks, bidirectional GRU, mean pooling, cosine schedule,
    gradient clipping) is pinned off, so this is a plain LSTM(64) -> Linear."""
    data = load_digits()
    X = (data.images / 16).astype(np.float32)
    y = data.target
    params = {
        "cell": "lstm",
        "bidirectional": False,
        "conv_channels": None,
        "pooling": "last",
        "lr_schedule": "constant",
        "gradient_clip": None,
        "hidden_size": 64,
        "batch_size": 32,
        "random_state": args.seed,
    }
    # As in W1: a throw-away fit pays the one-off imports outside the timer.
    SequenceClassifier(**params, max_epochs=1).fit(X[:64], y[:64])
    threads = _ThreadCount()
    clf = SequenceClassifier(**params, max_epochs=args.epochs, callbacks=[threads])
    with Region() as region:
        clf.fit(X, y)
    return {
        "fit_s": round(region.s, 4),
        "fit_threads": threads.threads,
        "epochs": args.epochs,
        "n_samples": len(X),
        "train_accuracy": round(float(clf.score(X, y)), 4),
        **region.info("fit_"),
    }


def _char_model(seed, max_epochs):
    """The W3 model: embedding 32, LSTM(256), dropout 0.2, Adam(1e-3), batch
    128, 100-step chunks of the first 200,000 characters of tiny-shakespeare,
    a target at every step. sklrnn's dropout acts on the embedded inputs, the
    reference's on the LSTM outputs before the head (a little more work)."""
    text = shakespeare_text(200_000)[0]
    model = CharLSTMGenerator(
        window=100,
        embedding_dim=32,
        hidden_size=256,
        dropout=0.2,
        batch_size=128,
        lr=1e-3,
        gradient_clip=None,
        max_epochs=max_epochs,
        random_state=seed,
    )
    return model, text


def w3(args):
    """Many-to-many training; an epoch is 2,000 chunks of 100 characters."""
    model, text = _char_model(args.seed, args.epochs)
    warm, times, fixed, region = _timed_epochs(model, text, None, args.epochs)
    n_sequences = -(-len(text) // model.window)
    epoch_s = median(times)
    return {
        "warmup_epoch_s": round(warm, 4),
        "epoch_s_median": round(epoch_s, 4),
        "fit_fixed_s": round(fixed, 4),
        "sequences_per_epoch": n_sequences,
        "s_per_sequence": epoch_s / n_sequences,
        "target_chars_per_s": round(len(text) / epoch_s, 1),
        "train_loss_last": round(float(model.history_[-1, "train_loss"]), 4),
        **region.info("timed_"),
    }


def w4(args, reps=15):
    """500 characters after a 100-character prompt, prompt reading included,
    from the W3 model after one epoch (speed does not depend on training)."""
    model, text = _char_model(args.seed, 1)
    model.fit(text)
    prompt = text[:100]
    model.generate(500, prompt=prompt, random_state=0)  # warm-up
    times = []
    for rep in range(reps):
        t0 = time.perf_counter()
        model.generate(500, prompt=prompt, random_state=rep)
        times.append(time.perf_counter() - t0)
    return {
        "n_chars": 500,
        "generate_s": [round(t, 5) for t in times],
        "generate_s_median": median(times),
        "chars_per_s": round(500 / median(times), 1),
    }


def w6(args):
    n, window = args.steps, 500
    series = np.random.RandomState(0).normal(size=n).astype(np.float32)
    tracemalloc.start()
    X, y = make_windows(series, window)
    windows_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.reset_peak()
    sliding = SlidingWindowTransformer(window=window).fit_transform(series[:, None])
    sliding_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    del sliding
    reg = LSTMRegressor(hidden_size=8, max_epochs=1, batch_size=256, random_state=0)
    reg.fit(X[:2000], y[:2000])
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    predictions = reg.predict(X)
    predict_s = time.perf_counter() - t0
    return {
        "steps": n,
        "window": window,
        "series_mb": round(series.nbytes / 2**20, 2),
        "windows_as_copy_mb": round(X.shape[0] * window * 4 / 2**20, 1),
        "make_windows_peak_mb": round(windows_mb, 2),
        "sliding_transform_peak_mb": round(sliding_mb, 2),
        "predict_s": round(predict_s, 2),
        "predicted": int(len(predictions)),
        "peak_rss_mb": round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
        ),
        "rss_before_predict_mb": round(rss_before, 1),
    }


def _median_seconds(step, min_s):
    """Median seconds of ``step()``: at least ``min_s`` seconds and 10 timed
    runs, after three warm-ups."""
    times = []
    while len(times) < 13 or sum(times[3:]) < min_s:
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return median(times[3:])


def _lstm_gemms(shape, input_grad):
    """One training step's matrix products of an LSTM layer and nothing else
    (no gate arithmetic): the input projection of all steps in one product,
    per step the recurrent product forward and the state gradient backward,
    then the weight gradients (and the input's) in one product each."""
    batch, steps, hidden = shape["B"], shape["T"], shape["H"]
    x = torch.randn(batch * steps, shape["I"])
    w_ih, w_hh = torch.randn(4 * hidden, shape["I"]), torch.randn(4 * hidden, hidden)
    gates = torch.empty(batch * steps, 4 * hidden)
    states = torch.randn(steps, batch, hidden)
    step_out = torch.empty(batch, 4 * hidden)
    step_grad = torch.empty(batch, hidden)
    grad_ih, grad_hh, grad_x = torch.empty_like(w_ih), torch.empty_like(w_hh), None
    if input_grad:
        grad_x = torch.empty_like(x)

    def step():
        torch.mm(x, w_ih.T, out=gates)
        for t in range(steps):
            torch.mm(states[t], w_hh.T, out=step_out)
        gate_grads = gates.view(steps, batch, 4 * hidden)
        for t in range(steps):
            torch.mm(gate_grads[t], w_hh, out=step_grad)
        torch.mm(gates.T, states.view(batch * steps, hidden), out=grad_hh)
        torch.mm(gates.T, x, out=grad_ih)
        if grad_x is not None:
            torch.mm(gates, w_ih, out=grad_x)

    return step


def lstm_layer(args, min_s=3.0):
    """torch's ``nn.LSTM`` alone (oneDNN on CPU), forward and backward, at the
    W3 and W5 shapes of ``w6_floor.py``: what any model built on it spends
    before its head, loss, optimizer and data. W3 reads an embedding and its
    loss every step's output, so the input's gradient is computed too; W5
    reads data and its loss the last state only, as the W5 model's does.

    ``*_gemms_*`` time the same step's matrix products alone
    (`_lstm_gemms`): what an LSTM computed with this machine's GEMMs takes
    at least, however its gate arithmetic is written."""
    from w6_floor import W3, W5

    record = {}
    for name, shape, many_to_many in (("W3", W3, True), ("W5", W5, False)):
        lstm = torch.nn.LSTM(shape["I"], shape["H"], batch_first=True)
        x = torch.randn(shape["B"], shape["T"], shape["I"], requires_grad=many_to_many)

        def layer_step():
            outputs, (h_n, _) = lstm(x)
            (outputs if many_to_many else h_n).sum().backward()

        for label, step in (
            ("", layer_step),
            ("gemms_", _lstm_gemms(shape, input_grad=many_to_many)),
        ):
            batch_s = _median_seconds(step, min_s)
            per_sample = batch_s / shape["B"]
            record[f"{name}_{label}batch_s"] = round(batch_s, 5)
            record[f"{name}_{label}s_per_sample"] = per_sample
            record[f"{name}_{label}pass_s"] = round(per_sample * shape["n"], 4)
    return record


WORKLOADS = {
    "W1": w1,
    "W2": w2,
    "W3": w3,
    "W4": w4,
    "W5": w5,
    "W6": w6,
    "digits": digits,
    "lstm_layer": lstm_layer,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("workload", choices=sorted(WORKLOADS))
    parser.add_argument(
        "--epochs", type=int, default=None, help="default 3; digits: 40"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument(
        "--no-predict",
        action="store_true",
        help="W2, W5: skip the predict timings (the under-load rows)",
    )
    args = parser.parse_args()
    if args.epochs is None:
        args.epochs = 40 if args.workload == "digits" else 3
    record = {
        "workload": args.workload,
        "impl": "sklrnn",
        **WORKLOADS[args.workload](args),
    }
    record["versions"] = VERSIONS
    print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()

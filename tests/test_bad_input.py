"""The bad-input matrix: every public estimator and transformer, every bad input.

Each case calls one public method with one bad input and expects a
`ValueError`, `TypeError`, `NotFittedError` or `InvalidParameterError` whose
message names the problem, raised by sklrnn's (or scikit-learn's) validation
and not from inside torch. Cases that fit get a skorch callback recording
``on_train_begin``: the error must come before any training starts. Every
input, failing or not, must be left exactly as it was passed (values, dtype,
shape, writeability), for NumPy arrays, lists of arrays and DataFrames alike.

`CASES` is a plain list, so the table of the issue note can be printed from
it: ``python -m tests.test_bad_input``.
"""

import copy
import re
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import has_fit_parameter
from skorch.callbacks import Callback

import sklrnn
from sklrnn import LSTMRegressor, SequenceClassifier, SequenceTagger
from sklrnn.preprocessing import (
    SequenceScaler,
    SlidingWindowTransformer,
    TextTokenizer,
    make_windows,
)

TINY = dict(hidden_size=4, max_epochs=1, batch_size=8, random_state=0)
N_SAMPLES, N_STEPS = 12, 5
LENGTHS = (3, 5, 4, 6, 2, 5, 3, 4, 6, 5, 2, 3)
MODELS = {
    "LSTMRegressor": LSTMRegressor,
    "SequenceClassifier": SequenceClassifier,
    "SequenceTagger": SequenceTagger,
}
NAN, INF = np.nan, np.inf


class TrainBeginRecorder(Callback):
    """Records every ``on_train_begin``: nothing may record for a bad input."""

    def __init__(self, log):
        self.log = log

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.log.append(type(net).__name__)


# Clean data, built afresh for every case ------------------------------------


def seqs(n_features=1, n_samples=N_SAMPLES):
    rng = np.random.RandomState(0)
    return rng.normal(size=(n_samples, N_STEPS, n_features)).astype(np.float32)


def table(n_columns=N_STEPS):
    return seqs()[:, :n_columns, 0].astype(np.float64)


def ragged(n_features=1):
    rng = np.random.RandomState(1)
    return [rng.normal(size=(n, n_features)) for n in LENGTHS]


def lag_frame(feature="x0"):
    columns = [
        f"{feature}[t-{lag}]" if lag else f"{feature}[t]" for lag in range(4, -1, -1)
    ]
    return pd.DataFrame(table(), columns=columns)


def tokens():
    rng = np.random.RandomState(2)
    return [rng.randint(1, 9, size=n) for n in LENGTHS]


def series(n_steps=20, n_features=1):
    return np.random.RandomState(3).normal(size=(n_steps, n_features))


def target(name, X):
    """A valid y for model `name` and the clean sequences `X`."""
    n = len(X)
    if name == "LSTMRegressor":
        return np.linspace(-1.0, 1.0, n)
    if name == "SequenceClassifier":
        return np.array(["no", "yes"] * (n // 2) + ["no"] * (n % 2))
    if isinstance(X, list):
        return [np.arange(len(seq)) % 2 for seq in X]
    return (np.arange(np.shape(X)[1])[None, :] + np.arange(n)[:, None]) % 2


def put(X, index, value):
    """A float64 copy of `X` with ``X[index] = value``."""
    X = np.array(X, dtype=np.float64)
    X[index] = value
    return X


def ragged_with(index, item):
    X = ragged()
    X[index] = item
    return X


DOCS = ["the cat sat", "a dog ran", "the dog sat", "a cat ran"]


@cache
def fitted(name, form="3d"):
    """A tiny fitted estimator, shared by the cases that need one (never mutated)."""
    if name == "SequenceClassifier(embedding_dim)":
        X = tokens()
        return SequenceClassifier(embedding_dim=2, **TINY).fit(
            X, target("SequenceClassifier", X)
        )
    if name in MODELS:
        X = {"3d": seqs, "table": table, "frame": lag_frame}[form]()
        return MODELS[name](**TINY).fit(X, target(name, X))
    if name == "SlidingWindowTransformer":
        X = pd.DataFrame({"a": series()[:, 0]}) if form == "frame" else series()
        return SlidingWindowTransformer(window=3).fit(X)
    if name == "SequenceScaler":
        return SequenceScaler().fit(seqs())
    if name == "TextTokenizer":
        return TextTokenizer().fit(DOCS)
    raise KeyError(name)


# Cases ------------------------------------------------------------------------


@dataclass
class Case:
    """One cell of the matrix: `run(*inputs(), callbacks=[...])` must raise."""

    target: str
    method: str
    bad: str
    inputs: object  # () -> tuple of the arguments, built afresh
    run: object  # (*inputs, callbacks) -> anything; must raise
    error: type
    match: str
    xfail: str = ""

    @property
    def id(self):
        slug = re.sub(r"[^\w+-]+", "_", self.bad).strip("_")
        return f"{self.target}.{self.method}-{slug}"


CASES = []


def add(target, method, bad, inputs, run, error, match, xfail=""):
    CASES.append(Case(target, method, bad, inputs, run, error, match, xfail))


def model(name, callbacks, **params):
    return MODELS[name](**{**TINY, **params}, callbacks=callbacks)


NOT_FITTED = "is not fitted yet"

# The three estimators: fit ------------------------------------------------------

for name in MODELS:

    def fit_case(bad, make_X, error, match, make_y=None, xfail="", name=name, **params):
        def inputs():
            return make_X(), (make_y or (lambda: target(name, seqs())))()

        def run(X, y, callbacks):
            return model(name, callbacks, **params).fit(X, y)

        add(name, "fit", bad, inputs, run, error, match, xfail)

    fit_case(
        "NaN", lambda: put(seqs(), (0, 1, 0), NAN), ValueError, "Input X contains NaN"
    )
    fit_case(
        "+inf", lambda: put(seqs(), (2, 0, 0), INF), ValueError, "X contains infinity"
    )
    fit_case(
        "-inf", lambda: put(seqs(), (2, 0, 0), -INF), ValueError, "X contains infinity"
    )
    fit_case(
        "value too large for float32 (1e39)",
        lambda: put(seqs(), (0, 0, 0), 1e39),
        ValueError,
        "too large for dtype\\('float32'\\)",
    )
    fit_case(
        "NaN in a ragged list",
        lambda: ragged_with(1, put(ragged()[1], (0, 0), NAN)),
        ValueError,
        r"Input X\[1\] contains NaN",
    )
    fit_case(
        "NaN in a lag DataFrame",
        lambda: lag_frame().mask(lag_frame() > 1.5),
        ValueError,
        "Input X contains NaN",
    )
    fit_case(
        "wrong ndim (1-D)", lambda: seqs()[:, 0, 0], ValueError, "X has 1 dimension"
    )
    fit_case(
        "wrong ndim (4-D)", lambda: seqs()[..., None], ValueError, "X has 4 dimension"
    )
    fit_case("wrong ndim (scalar)", lambda: 3.0, ValueError, "X has 0 dimension")
    fit_case("empty (0 samples)", lambda: seqs()[:0], ValueError, "0 sample")
    fit_case("empty (list)", lambda: [], ValueError, "X is an empty list")
    fit_case("empty (0 time steps)", lambda: seqs()[:, :0], ValueError, "0 time steps")
    fit_case(
        "zero-length sequence in a ragged list",
        lambda: ragged_with(3, np.empty((0, 1))),
        ValueError,
        "Sequence 3 of X has no time steps",
    )
    fit_case(
        "ragged list: features differ",
        lambda: ragged_with(0, np.ones((3, 2))),
        ValueError,
        "different numbers of features per step",
    )
    fit_case(
        "X/y length mismatch",
        seqs,
        ValueError,
        r"inconsistent numbers of samples: \[12, 11\]",
        make_y=lambda name=name: target(name, seqs())[:-1],
    )
    fit_case(
        "strings in X",
        lambda: np.full((N_SAMPLES, N_STEPS, 1), "x"),
        ValueError,
        "could not convert string to float",
    )
    fit_case(
        "strings in a DataFrame",
        lambda: lag_frame().astype(object).where(lag_frame() < 1, "high"),
        ValueError,
        "could not convert string to float",
    )
    fit_case(
        "y is None", seqs, ValueError, "requires y to be passed", make_y=lambda: None
    )

# Targets and settings that only some estimators have.
fit_y = [
    ("LSTMRegressor", "NaN in y", put(np.linspace(0, 1, 12), 3, NAN), "y contains NaN"),
    (
        "LSTMRegressor",
        "+inf in y",
        put(np.linspace(0, 1, 12), 3, INF),
        "y contains infinity",
    ),
    ("LSTMRegressor", "wrong y ndim (3-D)", np.zeros((12, 1, 1)), "dim 3"),
    ("SequenceClassifier", "single class", np.array(["no"] * 12), "at least 2 classes"),
    (
        "SequenceClassifier",
        "NaN in y",
        put(np.arange(12) % 2, 3, NAN),
        "y contains NaN",
    ),
    (
        "SequenceClassifier",
        "wrong y ndim (2-D)",
        np.zeros((12, 2)),
        "y should be a 1d array",
    ),
    ("SequenceTagger", "single class", np.zeros((12, N_STEPS)), "at least 2 classes"),
    (
        "SequenceTagger",
        "NaN in y",
        put(np.ones((12, N_STEPS)), (0, 1), NAN),
        "y contains NaN",
    ),
    (
        "SequenceTagger",
        "wrong y ndim (1-D)",
        np.arange(12) % 2,
        "needs one label per step",
    ),
    (
        "SequenceTagger",
        "labels per step: length mismatch",
        np.zeros((12, N_STEPS - 1)),
        "Sequence 0 has 5 steps but its labels have shape",
    ),
]
for name, bad, y_bad, match in fit_y:
    add(
        name,
        "fit",
        bad,
        lambda y_bad=y_bad: (seqs(), y_bad.copy()),
        lambda X, y, callbacks, name=name: model(name, callbacks).fit(X, y),
        ValueError,
        match,
    )

add(
    "LSTMRegressor",
    "fit",
    "strings in y",
    lambda: (seqs(), np.array(list("abcdefghijkl"))),
    lambda X, y, callbacks: model("LSTMRegressor", callbacks).fit(X, y),
    ValueError,
    "could not convert string to float",
)

add(
    "SequenceClassifier",
    "fit",
    "missing label (None) in y",
    lambda: (seqs(), np.array(["no", "yes"] * 5 + ["no", None], dtype=object)),
    lambda X, y, callbacks: model("SequenceClassifier", callbacks).fit(X, y),
    ValueError,
    "missing labels",
)
add(
    "SequenceTagger",
    "fit",
    "missing label (None) in y",
    lambda: (seqs(), [np.array(["a", "b", None, "a", "b"], dtype=object)] * 12),
    lambda X, y, callbacks: model("SequenceTagger", callbacks).fit(X, y),
    ValueError,
    "missing labels",
)

# early_stopping holds out validation_fraction; too few samples must fail
# before training, naming the setting.
for name, n, xfail in [
    ("LSTMRegressor", 1, ""),
    ("SequenceClassifier", 4, ""),
    ("SequenceTagger", 1, ""),
]:
    add(
        name,
        "fit",
        "too few samples for early_stopping",
        lambda n=n, name=name: (seqs(n_samples=n), target(name, seqs(n_samples=n))),
        lambda X, y, callbacks, name=name: model(
            name, callbacks, early_stopping=True
        ).fit(X, y),
        ValueError,
        "early_stopping=True.*validation_fraction",
        xfail,
    )

# The three estimators: predict, predict_proba, score -----------------------------

for name in MODELS:
    methods = ["predict"] + ([] if name == "LSTMRegressor" else ["predict_proba"])
    for method in methods:

        def predict_case(
            bad, make_X, error, match, form="3d", name=name, method=method
        ):
            def run(X, callbacks):
                return getattr(fitted(name, form), method)(X)

            add(name, method, bad, lambda: (make_X(),), run, error, match)

        predict_case(
            "NaN", lambda: put(seqs(), (1, 2, 0), NAN), ValueError, "X contains NaN"
        )
        predict_case(
            "+inf", lambda: put(seqs(), (1, 2, 0), INF), ValueError, "infinity"
        )
        predict_case(
            "-inf", lambda: put(seqs(), (1, 2, 0), -INF), ValueError, "infinity"
        )
        predict_case(
            "NaN in a ragged list",
            lambda: ragged_with(0, put(ragged()[0], (1, 0), NAN)),
            ValueError,
            r"Input X\[0\] contains NaN",
        )
        predict_case(
            "wrong ndim (1-D)", lambda: seqs()[0, :, 0], ValueError, "1 dimension"
        )
        predict_case(
            "wrong ndim (4-D)", lambda: seqs()[..., None], ValueError, "4 dimension"
        )
        predict_case("empty (0 samples)", lambda: seqs()[:0], ValueError, "0 sample")
        predict_case("empty (list)", lambda: [], ValueError, "X is an empty list")
        predict_case(
            "empty (0 time steps)", lambda: seqs()[:, :0], ValueError, "0 time steps"
        )
        predict_case(
            "zero-length sequence in a ragged list",
            lambda: ragged_with(2, np.empty((0, 1))),
            ValueError,
            "Sequence 2 of X has no time steps",
        )
        predict_case(
            "feature count (3-D)",
            lambda: seqs(n_features=2),
            ValueError,
            f"X has 2 features per time step, but {name} was fitted with 1",
        )
        predict_case(
            "feature count (ragged)",
            lambda: ragged(n_features=3),
            ValueError,
            f"X has 3 features per time step, but {name} was fitted with 1",
        )
        predict_case(
            "feature count (table)",
            lambda: table(n_columns=4),
            ValueError,
            f"X has 4 features, but {name} is expecting 5 features",
            form="table",
        )
        predict_case(
            "feature names differ from fit",
            lambda: lag_frame(feature="z"),
            ValueError,
            "feature names should match those that were passed during fit",
            form="frame",
        )
        predict_case(
            "strings in X",
            lambda: np.full((2, N_STEPS, 1), "x"),
            ValueError,
            "could not convert string to float",
        )
        add(
            name,
            method,
            "before fit",
            lambda: (seqs(),),
            lambda X, callbacks, name=name, method=method: getattr(
                MODELS[name](**TINY), method
            )(X),
            NotFittedError,
            NOT_FITTED,
        )

    add(
        name,
        "score",
        "X/y length mismatch",
        lambda name=name: (seqs(), target(name, seqs())[:-1]),
        lambda X, y, callbacks, name=name: fitted(name).score(X, y),
        ValueError,
        "inconsistent numbers of samples",
    )

add(
    "SequenceTagger",
    "score",
    "labels per step: length mismatch",
    lambda: (seqs()[:1], np.zeros((1, 1))),
    lambda X, y, callbacks: fitted("SequenceTagger").score(X, y),
    ValueError,
    "labels have shape",
)

# SequenceClassifier with embedding_dim: integer token ids ------------------------

EMB = "SequenceClassifier(embedding_dim)"


def token_fit_case(bad, make_X, error, match, make_y=None, **params):
    def inputs():
        return make_X(), (make_y or (lambda: target("SequenceClassifier", tokens())))()

    def run(X, y, callbacks):
        params_ = {"embedding_dim": 2, **params}
        return SequenceClassifier(**TINY, **params_, callbacks=callbacks).fit(X, y)

    add(EMB, "fit", bad, inputs, run, error, match)


token_fit_case(
    "NaN", lambda: [put(t, 0, NAN) for t in tokens()], TypeError, "integer token ids"
)
token_fit_case(
    "strings in X", lambda: [np.array(["a", "b"])] * 12, TypeError, "integer token ids"
)
token_fit_case(
    "negative ids", lambda: [-t for t in tokens()], ValueError, "must be non-negative"
)
token_fit_case(
    "wrong ndim (3-D)", lambda: np.ones((12, 3, 1), int), ValueError, "3 dim"
)
token_fit_case("wrong ndim (1-D)", lambda: np.ones(12, int), ValueError, "1 dim")
token_fit_case("empty (list)", lambda: [], ValueError, "got an empty input")
token_fit_case(
    "zero-length sequence in a ragged list",
    lambda: tokens()[:5] + [np.array([], dtype=int)] + tokens()[6:],
    ValueError,
    "Sequence 5 of X has no tokens",
)
token_fit_case(
    "ids >= vocabulary_size",
    tokens,
    ValueError,
    "X holds token id 8, but vocabulary_size=5",
    vocabulary_size=5,
)
token_fit_case(
    "X/y length mismatch",
    tokens,
    ValueError,
    "inconsistent numbers of samples",
    make_y=lambda: target("SequenceClassifier", tokens())[:-1],
)
token_fit_case(
    "single class", tokens, ValueError, "at least 2 classes", make_y=lambda: ["a"] * 12
)
for bad, make_X, error, match in [
    ("negative ids", lambda: [np.array([3, -1])], ValueError, "non-negative"),
    ("NaN", lambda: [np.array([3.0, NAN])], TypeError, "integer token ids"),
    ("empty (list)", lambda: [], ValueError, "got an empty input"),
]:
    add(
        EMB,
        "predict",
        bad,
        lambda make_X=make_X: (make_X(),),
        lambda X, callbacks: fitted(EMB).predict(X),
        error,
        match,
    )
add(
    EMB,
    "predict",
    "before fit",
    lambda: (tokens(),),
    lambda X, callbacks: SequenceClassifier(embedding_dim=2).predict(X),
    NotFittedError,
    NOT_FITTED,
)

# SlidingWindowTransformer -----------------------------------------------------

SWT = "SlidingWindowTransformer"


def swt_case(method, bad, make_X, error, match, form="array", **params):
    def run(X, callbacks):
        if method == "fit":
            return SlidingWindowTransformer(**{"window": 3, **params}).fit(X)
        return getattr(fitted(SWT, form), method)(X)

    add(SWT, method, bad, lambda: (make_X(),), run, error, match)


for method in ["fit", "transform"]:
    swt_case(
        method, "NaN", lambda: put(series(), (4, 0), NAN), ValueError, "X contains NaN"
    )
    swt_case(
        method, "+inf", lambda: put(series(), 4, INF), ValueError, "X contains inf"
    )
    swt_case(
        method, "-inf", lambda: put(series(), 4, -INF), ValueError, "X contains inf"
    )
    swt_case(
        method,
        "NaN in a DataFrame",
        lambda: pd.DataFrame({"a": put(series()[:, 0], 2, NAN)}),
        ValueError,
        "X contains NaN",
        form="frame",
    )
    swt_case(
        method, "wrong ndim (1-D)", lambda: series()[:, 0], ValueError, "X must be 2-D"
    )
    swt_case(method, "wrong ndim (3-D)", lambda: series()[None], ValueError, "dim 3")
    swt_case(method, "empty (0 steps)", lambda: series()[:0], ValueError, "0 sample")
    swt_case(
        method,
        "strings",
        lambda: np.full((20, 1), "x"),
        ValueError,
        "could not convert string to float",
    )
swt_case(
    "fit",
    "ragged rows",
    lambda: [[1.0], [2.0], []],
    ValueError,
    "inhomogeneous shape",
)
swt_case(
    "fit",
    "window > series",
    lambda: series(n_steps=4),
    ValueError,
    "window=5 is longer than the series",
    window=5,
)
swt_case(
    "transform",
    "feature count",
    lambda: series(n_features=2),
    ValueError,
    "X has 2 features, but SlidingWindowTransformer is expecting 1",
)
swt_case(
    "transform",
    "feature names differ from fit",
    lambda: pd.DataFrame({"b": series()[:, 0]}),
    ValueError,
    "feature names should match",
    form="frame",
)
for method in ["transform", "get_feature_names_out"]:
    add(
        SWT,
        method,
        "before fit",
        lambda method=method: (series(),) if method == "transform" else (),
        lambda *X, callbacks, method=method: getattr(
            SlidingWindowTransformer(), method
        )(*X),
        NotFittedError,
        NOT_FITTED,
    )

# SequenceScaler ---------------------------------------------------------------

SCALER = "SequenceScaler"


def scaler_case(method, bad, make_X, error, match):
    def run(X, callbacks):
        if method == "fit":
            return SequenceScaler().fit(X)
        return getattr(fitted(SCALER), method)(X)

    add(SCALER, method, bad, lambda: (make_X(),), run, error, match)


for method in ["fit", "transform", "inverse_transform"]:
    scaler_case(
        method, "NaN", lambda: put(seqs(), (0, 1, 0), NAN), ValueError, "X contains NaN"
    )
    scaler_case(
        method, "+inf", lambda: put(seqs(), (0, 1, 0), INF), ValueError, "infinity"
    )
    scaler_case(
        method, "-inf", lambda: put(seqs(), (0, 1, 0), -INF), ValueError, "infinity"
    )
    scaler_case(
        method,
        "NaN in a ragged list",
        lambda: ragged_with(1, put(ragged()[1], (0, 0), NAN)),
        ValueError,
        r"Input X\[1\] contains NaN",
    )
    scaler_case(
        method,
        "NaN in a lag DataFrame",
        lambda: lag_frame().mask(lag_frame() > 1.5),
        ValueError,
        "X contains NaN",
    )
    scaler_case(
        method, "wrong ndim (1-D)", lambda: seqs()[0, :, 0], ValueError, "1 dimension"
    )
    scaler_case(
        method, "wrong ndim (4-D)", lambda: seqs()[..., None], ValueError, "4 dimension"
    )
    scaler_case(method, "empty (0 samples)", lambda: seqs()[:0], ValueError, "0 sample")
    scaler_case(method, "empty (list)", lambda: [], ValueError, "X is an empty list")
    scaler_case(
        method,
        "zero-length sequence in a ragged list",
        lambda: ragged_with(3, np.empty((0, 1))),
        ValueError,
        "Sequence 3 of X has no time steps",
    )
    scaler_case(
        method,
        "strings",
        lambda: np.full((2, N_STEPS, 1), "x"),
        ValueError,
        "could not convert string to float",
    )
    if method != "fit":
        scaler_case(
            method,
            "feature count",
            lambda: seqs(n_features=2),
            ValueError,
            "X has 2 features per time step, but SequenceScaler was fitted with 1",
        )
        add(
            SCALER,
            method,
            "before fit",
            lambda: (seqs(),),
            lambda X, callbacks, method=method: getattr(SequenceScaler(), method)(X),
            NotFittedError,
            NOT_FITTED,
        )

# TextTokenizer ----------------------------------------------------------------

TOK = "TextTokenizer"


def tokenizer_case(method, bad, make_X, error, match):
    def run(X, callbacks):
        if method == "fit":
            return TextTokenizer().fit(X)
        return getattr(fitted(TOK), method)(X)

    add(TOK, method, bad, lambda: (make_X(),), run, error, match)


for method in ["fit", "transform"]:
    tokenizer_case(
        method,
        "NaN document",
        lambda: pd.Series(["a cat", None]),
        TypeError,
        "document at position 1 is of type float",
    )
    tokenizer_case(
        method,
        "wrong dtype (numbers)",
        lambda: np.arange(3),
        TypeError,
        "document at position 0 is of type int64",
    )
    tokenizer_case(
        method,
        "wrong ndim (2-D)",
        lambda: np.array([["a cat"], ["a dog"]]),
        ValueError,
        "got an input with 2 dimensions",
    )
    tokenizer_case(
        method,
        "wrong ndim (single string)",
        lambda: "a cat",
        ValueError,
        "got a single string",
    )
    tokenizer_case(method, "empty (list)", lambda: [], ValueError, "X is empty")
tokenizer_case(
    "fit",
    "no token in any document",
    lambda: ["", "  "],
    ValueError,
    "vocabulary is empty",
)
for bad, make_X, match in [
    ("NaN", lambda: [np.array([2.0, NAN])], "must be integers"),
    ("+inf", lambda: [np.array([2.0, INF])], "must be integers"),
    ("strings", lambda: [np.array(["cat"])], "must be integers"),
    ("ids out of range", lambda: [np.array([2, 99])], "Token id 99 .* is out of range"),
    ("negative ids", lambda: [np.array([-1])], "Token id -1 .* is out of range"),
    ("wrong ndim (1-D)", lambda: np.array([2, 3]), "got a single 1-D array of ids"),
    ("wrong ndim (3-D)", lambda: np.ones((1, 2, 2), int), "must be 1-D"),
]:
    tokenizer_case("inverse_transform", bad, make_X, ValueError, match)
for method in ["transform", "inverse_transform"]:
    add(
        TOK,
        method,
        "before fit",
        lambda: (DOCS,),
        lambda X, callbacks, method=method: getattr(TextTokenizer(), method)(X),
        NotFittedError,
        NOT_FITTED,
    )

# make_windows ---------------------------------------------------------------------

MW = "make_windows"


def windows_case(bad, make_series, error, match, **params):
    def run(s, callbacks):
        return make_windows(s, **{"window": 3, **params})

    add(MW, "make_windows", bad, lambda: (make_series(),), run, error, match)


windows_case("NaN", lambda: put(np.arange(10.0), 4, NAN), ValueError, "NaN or infinite")
windows_case(
    "+inf", lambda: put(np.arange(10.0), 4, INF), ValueError, "NaN or infinite"
)
windows_case(
    "-inf", lambda: put(np.arange(10.0), 4, -INF), ValueError, "NaN or infinite"
)
windows_case(
    "NaN in a DataFrame",
    lambda: pd.DataFrame({"a": put(np.arange(10.0), 4, NAN)}),
    ValueError,
    "NaN or infinite",
)
windows_case("wrong ndim (scalar)", lambda: 3.0, ValueError, "got a scalar")
windows_case("wrong ndim (3-D)", lambda: np.ones((10, 2, 2)), ValueError, "got shape")
windows_case("empty", lambda: np.array([]), ValueError, "series is empty")
windows_case(
    "empty (0 features)", lambda: np.ones((10, 0)), ValueError, "series is empty"
)
windows_case(
    "ragged list", lambda: [[1.0, 2.0], [3.0]], ValueError, "inhomogeneous shape"
)
windows_case(
    "window > series",
    lambda: np.arange(5.0),
    ValueError,
    "window=6 plus horizon=1 needs at least 7 steps",
    window=6,
)
windows_case(
    "strings", lambda: np.array(list("abcdefgh")), ValueError, "must hold numbers"
)
windows_case(
    "strings in a DataFrame",
    lambda: pd.DataFrame({"a": np.arange(8.0), "b": list("abcdefgh")}),
    ValueError,
    "must hold numbers",
)
for bad, params, error, match in [
    ("window=0", dict(window=0), ValueError, "window must be at least 1"),
    ("window=1.5", dict(window=1.5), TypeError, "window must be an integer"),
    ("window=None", dict(window=None), TypeError, "window must be an integer"),
    ("horizon=0", dict(horizon=0), ValueError, "horizon must be at least 1"),
    ("stride=True", dict(stride=True), TypeError, "stride must be an integer"),
]:
    windows_case(
        f"invalid parameter ({bad})", lambda: np.arange(10.0), error, match, **params
    )

# CharLSTMGenerator (text in; only once it is exported) ---------------------------

GEN = "CharLSTMGenerator"
CHAR_GENERATOR = getattr(sklrnn, GEN, None)
GEN_TINY = dict(TINY, embedding_dim=2, window=8)
TEXT = "the cat sat on the mat. " * 3


def generator(callbacks=None, **params):
    return CHAR_GENERATOR(**{**GEN_TINY, **params}, callbacks=callbacks)


@cache
def fitted_generator():
    return generator().fit(TEXT)


def warm_refit(X, callbacks):
    gen = generator(callbacks, warm_start=True).fit(TEXT)
    callbacks[0].log.clear()  # the first fit trained; the refit must not
    return gen.fit(X)


if CHAR_GENERATOR is not None:
    for bad, X, error, match, params in [
        ("empty (list)", [], ValueError, "X is empty", {}),
        ("empty (text)", "", ValueError, "no characters to learn from", {}),
        ("zero-length documents only", ["", ""], ValueError, "no characters", {}),
        (
            "no character left after strip_punctuation",
            "..!!",
            ValueError,
            "no characters to learn from once lowercase/strip_punctuation",
            dict(strip_punctuation=True),
        ),
        ("wrong ndim (2-D)", np.array([["ab"], ["cd"]]), ValueError, "2 dim", {}),
        ("wrong dtype (numbers)", [1, 2], TypeError, "position 0 is of type int", {}),
        ("wrong dtype (bytes)", b"abc", TypeError, "decode it to str", {}),
        (
            "NaN document",
            pd.Series(["abc", None]),
            TypeError,
            "position 1 is of type float",
            {},
        ),
        (
            "too few samples for early_stopping",
            "ab",
            ValueError,
            "early_stopping=True.*validation_fraction",
            dict(early_stopping=True),
        ),
    ]:
        add(
            GEN,
            "fit",
            bad,
            lambda X=X: (copy.deepcopy(X),),
            lambda X, callbacks, params=params: generator(callbacks, **params).fit(X),
            error,
            match,
        )
    add(
        GEN,
        "fit",
        "unknown characters in a warm-started fit",
        lambda: ("xyz",),
        warm_refit,
        ValueError,
        "3 character\\(s\\) that are not in vocabulary_",
    )
    for method in ["predict", "predict_proba", "score"]:
        for bad, X, error, match in [
            ("empty (list)", [], ValueError, "X is empty"),
            ("wrong ndim (2-D)", np.array([["a"]]), ValueError, "2 dimensions"),
            ("NaN document", ["the", NAN], TypeError, "position 1 is of type float"),
            ("unknown characters", ["xyz"], ValueError, "not in vocabulary_"),
        ]:
            add(
                GEN,
                method,
                bad,
                lambda X=X: (copy.deepcopy(X),),
                lambda X, callbacks, method=method: getattr(fitted_generator(), method)(
                    X
                ),
                error,
                match,
            )
        add(
            GEN,
            method,
            "before fit",
            lambda: (["the"],),
            lambda X, callbacks, method=method: getattr(generator(), method)(X),
            NotFittedError,
            NOT_FITTED,
        )
    add(
        GEN,
        "predict",
        "wrong ndim (single string)",
        lambda: ("the",),
        lambda X, callbacks: fitted_generator().predict(X),
        ValueError,
        "got a single string; wrap it in a list",
    )
    add(
        GEN,
        "score",
        "empty (text)",
        lambda: ("",),
        lambda X, callbacks: fitted_generator().score(X),
        ValueError,
        "no characters to score",
    )
    for bad, kwargs, error, match, xfail in [
        ("n_chars=0", dict(n_chars=0), ValueError, "n_chars == 0", ""),
        ("n_chars=1.5", dict(n_chars=1.5), TypeError, "n_chars must be an", ""),
        ("temperature=0", dict(temperature=0), ValueError, "temperature == 0", ""),
        (
            "temperature=NaN",
            dict(temperature=NAN),
            ValueError,
            "temperature must be a finite number",
            "",
        ),
        ("n_chars=True", dict(n_chars=True), TypeError, "n_chars must be an int", ""),
        ("top_k=0", dict(top_k=0), ValueError, "top_k == 0", ""),
        ("top_k=True", dict(top_k=True), TypeError, "top_k must be an int", ""),
        ("prompt not a str", dict(prompt=5), TypeError, "prompt must be a str", ""),
        (
            "unknown characters",
            dict(prompt="xyz"),
            ValueError,
            "not in vocabulary_",
            "",
        ),
    ]:
        add(
            GEN,
            "generate",
            f"invalid argument ({bad})",
            lambda kwargs=kwargs: (kwargs,),
            lambda kwargs, callbacks: fitted_generator().generate(
                **{"n_chars": 5, "random_state": 0, **kwargs}
            ),
            error,
            match,
            xfail,
        )
    add(
        GEN,
        "generate",
        "before fit",
        lambda: (),
        lambda callbacks: generator().generate(5),
        NotFittedError,
        NOT_FITTED,
    )

# Invalid parameters: every constrained parameter, one bad value each ---------------

BAD_VALUES = {
    "cell": "transformer",
    "hidden_size": 0,
    "num_layers": 0,
    "bidirectional": "yes",
    "dropout": 1.0,
    "max_epochs": 0,
    "batch_size": 0,
    "lr": 0.0,
    "optimizer": "adamax",
    "gradient_clip": 0.0,
    "early_stopping": "yes",
    "validation_fraction": 1.0,
    "n_iter_no_change": 0,
    "tol": -1.0,
    "device": "tpu",
    "n_threads": 0,
    "random_state": "0",
    "verbose": "loud",
    "callbacks": "print",
    "warm_start": "yes",
    "net_kwargs": ["lr"],
    "loss": "foo",
    "epsilon": 0.0,
    "quantile": 1.0,
    "normalize_y": "yes",
    "pooling": "sum",
    "conv_channels": "64",
    "conv_kernel_size": 0,
    "pool_size": "half",
    "lr_schedule": "step",
    "class_weight": "auto",
    "embedding_dim": 0,
    "vocabulary_size": 1,
    "min_token_sequences": 0,
    "window": 0,
    "fill_value": "zero",
    "add_indicator": "yes",
    "with_mean": "yes",
    "with_std": None,
    "level": "byte",
    "lowercase": "yes",
    "strip_punctuation": "yes",
    "max_vocab": 0,
    "min_frequency": 0,
    "sequences": "words",
    "handle_unknown": "replace",
}
PARAM_FITS = {
    **{
        name: (cls, lambda name=name: (seqs(), target(name, seqs())))
        for name, cls in MODELS.items()
    },
    SWT: (SlidingWindowTransformer, lambda: (series(),)),
    SCALER: (SequenceScaler, lambda: (seqs(),)),
    TOK: (TextTokenizer, lambda: (DOCS,)),
}
if CHAR_GENERATOR is not None:
    PARAM_FITS[GEN] = (CHAR_GENERATOR, lambda: (TEXT,))
for name, (cls, fit_inputs) in PARAM_FITS.items():
    for param in cls._parameter_constraints:
        if param not in BAD_VALUES or param not in cls().get_params():
            continue  # a test below fails for such a parameter
        value = BAD_VALUES[param]
        if name in (*MODELS, GEN) and param != "callbacks":
            params = {**(GEN_TINY if name == GEN else TINY), param: value}

            def run(*args, callbacks, cls=cls, params=params):
                return cls(**params, callbacks=callbacks).fit(*args)

        else:

            def run(*args, callbacks, cls=cls, param=param, value=value):
                return cls(**{param: value}).fit(*args)

        add(
            name,
            "fit",
            f"invalid parameter ({param}={value!r})",
            fit_inputs,
            run,
            InvalidParameterError,
            f"The '{param}' parameter of {name} must be",
        )


# Tests ----------------------------------------------------------------------------


def _leaves(obj, path="input"):
    """Every array, frame and scalar inside `obj`, with where it sits."""
    if isinstance(obj, (list, tuple)):
        yield path, type(obj), len(obj)
        for i, item in enumerate(obj):
            yield from _leaves(item, f"{path}[{i}]")
    elif isinstance(obj, np.ndarray):
        yield path, "flags", (obj.flags.writeable, obj.dtype, obj.shape)
        yield path, "array", obj
    else:
        yield path, type(obj), obj


def snapshot(inputs):
    """A deep copy to compare against, with the arrays' flags recorded."""
    return [(path, kind, copy.deepcopy(value)) for path, kind, value in _leaves(inputs)]


def assert_unchanged(inputs, before):
    after = list(_leaves(inputs))
    assert [(p, k) for p, k, _ in after] == [(p, k) for p, k, _ in before]
    for (path, kind, now), (_, _, then) in zip(after, before):
        if kind == "array":
            np.testing.assert_array_equal(now, then, err_msg=f"{path} was modified")
        elif kind is pd.DataFrame:
            pd.testing.assert_frame_equal(now, then, check_exact=True, obj=path)
        elif kind is pd.Series:
            pd.testing.assert_series_equal(now, then, check_exact=True, obj=path)
        elif isinstance(then, float) and np.isnan(then):
            assert np.isnan(now), f"{path} was modified"
        else:
            assert now == then, f"{path} was modified"


def _param(case):
    marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.filterwarnings(
    # numpy's warnings on the way to the errors under test (1e39 to float32,
    # NaN labels to int)
    "ignore:overflow encountered in cast:RuntimeWarning",
    "ignore:invalid value encountered in cast:RuntimeWarning",
)
@pytest.mark.parametrize("case", [_param(case) for case in CASES])
def test_bad_input(case):
    log = []
    inputs = case.inputs()
    before = snapshot(inputs)
    with pytest.raises(case.error, match=case.match) as info:
        case.run(*inputs, callbacks=[TrainBeginRecorder(log)])
    assert not log, "the error came after training had started"
    raised_in = str(info.traceback[-1].path)
    assert "/torch/" not in raised_in, f"raised inside torch: {raised_in}"
    assert_unchanged(inputs, before)


@pytest.mark.parametrize("name", [*MODELS, "CharLSTMGenerator"])
def test_fit_arguments_it_does_not_take_name_the_class(name):
    if name == "CharLSTMGenerator":
        est, args = generator(), (DOCS,)
    else:
        est, args = MODELS[name](**TINY), (seqs(), target(name, seqs()))
    with pytest.raises(
        TypeError,
        match=rf"^{name}\.fit\(\) got an unexpected keyword argument "
        r"'sample_weight'; sklrnn estimators do not support sample weights",
    ):
        est.fit(*args, sample_weight=np.ones(len(args[0])))
    with pytest.raises(TypeError, match=rf"^{name}\.fit\(\).*positional"):
        est.fit(*args, None, None)
    assert has_fit_parameter(est, "sample_weight") is False


def test_every_constrained_parameter_is_in_the_matrix():
    for name, (cls, _) in PARAM_FITS.items():
        ids = {case.bad for case in CASES if case.target == name}
        for param in set(cls._parameter_constraints) & set(cls().get_params()):
            assert any(bad.startswith(f"invalid parameter ({param}=") for bad in ids), (
                f"{name}: no bad value for {param!r} in BAD_VALUES"
            )


@pytest.mark.parametrize("name", PARAM_FITS)
def test_constraints_are_the_init_parameters(name):
    cls = PARAM_FITS[name][0]
    assert set(cls._parameter_constraints) == set(cls().get_params())


def test_the_recorder_sees_training_start():
    """The control: a good fit does call on_train_begin, once."""
    log = []
    X = seqs()
    LSTMRegressor(**TINY, callbacks=[TrainBeginRecorder(log)]).fit(
        X, target("LSTMRegressor", X)
    )
    assert log == ["NeuralNet"]


# The converse: valid values of a numpy scalar type, as a grid of np.arange or
# np.linspace hands them to GridSearchCV, pass the constraints and must train.

NUMPY_PARAMS = [
    ("LSTMRegressor", dict(hidden_size=np.int64(3)), ""),
    ("LSTMRegressor", dict(num_layers=np.int64(2)), ""),
    ("LSTMRegressor", dict(batch_size=np.int64(4)), ""),
    ("LSTMRegressor", dict(max_epochs=np.int64(1)), ""),
    ("LSTMRegressor", dict(bidirectional=np.bool_(True)), ""),
    ("LSTMRegressor", dict(lr=np.float32(0.01), dropout=np.float64(0.1)), ""),
    (
        "LSTMRegressor",
        dict(early_stopping=np.bool_(True), n_iter_no_change=np.int64(2)),
        "",
    ),
    ("SequenceClassifier", dict(embedding_dim=np.int64(3)), ""),
    ("SequenceClassifier", dict(embedding_dim=2, vocabulary_size=np.int64(20)), ""),
]
if CHAR_GENERATOR is not None:
    NUMPY_PARAMS += [
        (GEN, dict(hidden_size=np.int64(3)), ""),
        (GEN, dict(embedding_dim=np.int64(3)), ""),
        (GEN, dict(window=np.int64(3), batch_size=4), ""),
    ]


@pytest.mark.parametrize(
    "name, params",
    [
        pytest.param(
            name,
            params,
            id=f"{name}-{'-'.join(params)}",
            marks=[pytest.mark.xfail(strict=True, reason=bug)] if bug else [],
        )
        for name, params, bug in NUMPY_PARAMS
    ],
)
def test_numpy_scalar_parameters_are_accepted(name, params):
    if name == GEN:
        assert np.isfinite(generator(**params).fit(TEXT).score(TEXT))
        return
    X = tokens() if "embedding_dim" in params else seqs()
    y = target(name, seqs())
    est = MODELS[name](**{**TINY, **params}).fit(X, y)
    assert np.isfinite(est.score(X, y))


# Good input is never modified in place either ------------------------------------


def _read_only(X):
    X = np.array(X)
    X.flags.writeable = False
    return X


GOOD_FORMS = {
    "3d": lambda name: (seqs(), target(name, seqs())),
    "table": lambda name: (table(), target(name, table())),
    "ragged": lambda name: (ragged(), target(name, ragged())),
    "ragged 1-D": lambda name: (
        [seq[:, 0] for seq in ragged()],
        target(name, ragged()),
    ),
    "lag frame + pandas y": lambda name: (
        lag_frame(),
        pd.Series(target(name, table()))
        if name != "SequenceTagger"
        else target(name, table()),
    ),
    "read-only windows": lambda name: (
        _read_only(seqs()),
        _read_only(target(name, seqs())),
    ),
}


@pytest.mark.parametrize("form", GOOD_FORMS)
@pytest.mark.parametrize("name", MODELS)
def test_good_input_is_not_modified_by_estimators(name, form):
    X, y = GOOD_FORMS[form](name)
    before = snapshot((X, y))
    est = MODELS[name](**TINY).fit(X, y)
    est.predict(X)
    est.score(X, y)
    if hasattr(est, "predict_proba"):
        est.predict_proba(X)
    assert_unchanged((X, y), before)


def _padded_tokens():
    padded = np.zeros((len(LENGTHS), max(LENGTHS)), dtype=np.int64)
    for row, seq in zip(padded, tokens()):
        row[: len(seq)] = seq
    return padded


@pytest.mark.parametrize("make_X", [tokens, _padded_tokens], ids=["list", "padded"])
def test_good_input_is_not_modified_by_token_classifier(make_X):
    X, y = make_X(), list(target("SequenceClassifier", tokens()))
    before = snapshot((X, y))
    SequenceClassifier(embedding_dim=2, **TINY).fit(X, y).predict_proba(X)
    assert_unchanged((X, y), before)


@pytest.mark.parametrize(
    "make_X",
    [series, lambda: pd.DataFrame(series(n_features=2), columns=["a", "b"])],
    ids=["array", "DataFrame"],
)
@pytest.mark.parametrize("output", ["default", "pandas"])
def test_good_input_is_not_modified_by_sliding_windows(make_X, output):
    X = make_X()
    before = snapshot(X)
    swt = SlidingWindowTransformer(window=3).set_output(transform=output)
    swt.fit_transform(X)
    swt.transform(X)
    assert_unchanged(X, before)


@pytest.mark.parametrize(
    "make_X", [seqs, table, ragged, lag_frame, lambda: _read_only(seqs())]
)
def test_good_input_is_not_modified_by_scaler(make_X):
    X = make_X()
    before = snapshot(X)
    scaler = SequenceScaler().fit(X)
    scaler.transform(X)
    scaler.inverse_transform(X)
    assert_unchanged(X, before)


@pytest.mark.parametrize("make_docs", [lambda: list(DOCS), lambda: pd.Series(DOCS)])
def test_good_input_is_not_modified_by_tokenizer(make_docs):
    docs = make_docs()
    before = snapshot(docs)
    tokenizer = TextTokenizer(level="char").fit(docs)
    ids = tokenizer.transform(docs)
    ids_before = snapshot(ids)
    tokenizer.inverse_transform(ids)
    assert_unchanged(docs, before)
    assert_unchanged(ids, ids_before)


@pytest.mark.parametrize(
    "make_series",
    [
        lambda: np.arange(10.0),
        lambda: np.arange(10),
        lambda: pd.DataFrame({"a": np.arange(10.0), "b": np.arange(10)}),
        lambda: list(range(10)),
    ],
    ids=["float", "int", "DataFrame", "list"],
)
def test_good_input_is_not_modified_by_make_windows(make_series):
    s = make_series()
    before = snapshot(s)
    X, y = make_windows(s, window=3)
    assert not X.flags.writeable and not y.flags.writeable
    assert_unchanged(s, before)


@pytest.mark.skipif(CHAR_GENERATOR is None, reason="sklrnn.CharLSTMGenerator not there")
def test_char_generator_tiny_temperature_is_greedy_not_nan():
    text = "hello world. " * 20
    gen = generator(hidden_size=8, embedding_dim=4, window=16, max_epochs=5, lr=0.02)
    gen.fit(text)
    greedy = gen.generate(20, prompt="hel", temperature=1e-6, random_state=0)
    tiny = gen.generate(20, prompt="hel", temperature=1e-300, random_state=0)
    assert tiny == greedy


@pytest.mark.skipif(CHAR_GENERATOR is None, reason="sklrnn.CharLSTMGenerator not there")
@pytest.mark.parametrize(
    "make_docs",
    [lambda: TEXT, lambda: TEXT.split("."), lambda: pd.Series(TEXT.split("."))],
    ids=["str", "list", "Series"],
)
def test_good_input_is_not_modified_by_char_generator(make_docs):
    docs = make_docs()
    before = snapshot(docs)
    gen = generator().fit(docs)
    gen.score(docs)
    prompts = ["the c", "a"]
    gen.predict_proba(prompts)
    assert_unchanged(docs, before)
    assert prompts == ["the c", "a"]


def _outcome(case):
    try:
        case.run(*case.inputs(), callbacks=[TrainBeginRecorder([])])
    except Exception as error:
        message = " ".join(str(error).split())
        return type(error).__name__, message[:80] + ("…" * (len(message) > 80))
    return "no error", ""


if __name__ == "__main__":  # print the matrix for the issue note
    import warnings

    warnings.simplefilter("ignore")
    rows = {}  # (estimator, bad input) -> {method: outcome}
    for case in CASES:
        bad = "invalid parameter" if case.bad.startswith("invalid par") else case.bad
        error, message = _outcome(case)
        cell = error + (" (xfail: bug)" if case.xfail else "")
        row = rows.setdefault((case.target, bad), {"methods": {}, "message": message})
        row["methods"].setdefault(case.method, cell)
        if bad == "invalid parameter":
            row.setdefault("params", {})[case.bad[19:-1]] = None
    print("| estimator | bad input | method: error | message starts |")
    print("|---|---|---|---|")
    for (target, bad), row in rows.items():
        if "params" in row:
            names = dict.fromkeys(p.split("=")[0] for p in row["params"])
            bad = f"invalid parameter ({', '.join(names)})"
        cells = "; ".join(f"{m}: {e}" for m, e in row["methods"].items())
        print(f"| {target} | {bad} | {cells} | {row['message'].replace('|', '/')} |")

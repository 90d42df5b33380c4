"""pickle, joblib and the weights-only format for every estimator."""

import io
import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklrnn import (
    CharLSTMGenerator,
    LSTMRegressor,
    SequenceClassifier,
    SequenceTagger,
    load_weights,
    save_weights,
)
from sklrnn.preprocessing import SlidingWindowTransformer

DATA = Path(__file__).parent / "data"
FAST = dict(hidden_size=6, max_epochs=2, batch_size=16, random_state=0)
rng = np.random.RandomState(0)
X3 = rng.normal(size=(40, 5, 2)).astype(np.float32)
RAGGED = [rng.normal(size=(n, 2)).astype(np.float32) for n in rng.randint(2, 9, 40)]
TEXT = "the cat sat on the mat. " * 4

CASES = {
    "regressor": (LSTMRegressor(**FAST), X3, X3.sum(axis=(1, 2))),
    "regressor-multi": (LSTMRegressor(**FAST), X3, X3[:, -1, :]),
    "classifier-strings": (
        SequenceClassifier(class_weight="balanced", **FAST),
        RAGGED,
        np.array(["a", "b", "c", "a"] * 10),
    ),
    "classifier-tokens": (
        SequenceClassifier(embedding_dim=4, bidirectional=True, **FAST),
        [rng.randint(1, 20, size=n) for n in rng.randint(2, 9, 40)],
        np.arange(40) % 2,
    ),
    "classifier-conv": (
        SequenceClassifier(conv_channels=[4], lr_schedule="cosine", **FAST),
        X3,
        np.arange(40) % 2,
    ),
    "tagger": (
        SequenceTagger(**FAST),
        RAGGED,
        [np.where(seq[:, 0] > 0, "p", "n") for seq in RAGGED],
    ),
    "generator": (
        CharLSTMGenerator(embedding_dim=4, window=12, **FAST),
        [TEXT],
        None,
    ),
}


def _predictions(estimator, X):
    if isinstance(estimator, CharLSTMGenerator):
        return estimator.predict_proba(["the cat", "on the m"])
    out = estimator.predict(X)
    return np.concatenate([np.ravel(p) for p in out]) if isinstance(out, list) else out


@pytest.fixture(scope="module", params=list(CASES))
def fitted(request):
    estimator, X, y = CASES[request.param]
    return estimator.fit(X, y), X


def test_weights_only_round_trip(fitted, tmp_path):
    estimator, X = fitted
    path = tmp_path / "model.sklrnn"
    save_weights(estimator, path)
    loaded = load_weights(path)
    assert type(loaded) is type(estimator)
    assert loaded.get_params() == estimator.get_params()
    np.testing.assert_array_equal(_predictions(loaded, X), _predictions(estimator, X))
    assert loaded.n_iter_ == estimator.n_iter_
    assert list(loaded.history_) == json.loads(json.dumps(list(estimator.history_)))


def test_file_holds_no_pickle(fitted):
    """JSON, and weights that torch's restricted unpickler reads."""
    estimator, _ = fitted
    buffer = io.BytesIO()
    save_weights(estimator, buffer)
    with zipfile.ZipFile(buffer) as archive:
        assert sorted(archive.namelist()) == [
            "estimator.json",
            "history.json",
            "module.pt",
        ]
        header = json.loads(archive.read("estimator.json"))
        json.loads(archive.read("history.json"))
        state = torch.load(io.BytesIO(archive.read("module.pt")), weights_only=True)
    assert header["format"] == "sklrnn-weights/2"
    assert header["estimator"] == type(estimator).__name__
    assert set(state) == set(estimator.net_.module_.state_dict())


def test_pickle_round_trip(fitted):
    estimator, X = fitted
    restored = pickle.loads(pickle.dumps(estimator))
    np.testing.assert_array_equal(_predictions(restored, X), _predictions(estimator, X))


def test_path_and_file_object(tmp_path):
    X = X3
    estimator = LSTMRegressor(**FAST).fit(X, X.sum(axis=(1, 2)))
    path = tmp_path / "model.sklrnn"
    with open(path, "wb") as file:
        save_weights(estimator, file)
    with open(path, "rb") as file:
        from_file = load_weights(file)
    from_str = load_weights(str(path))
    for loaded in (from_file, from_str):
        np.testing.assert_array_equal(loaded.predict(X), estimator.predict(X))


def test_feature_names_survive():
    series = pd.DataFrame({"load": rng.normal(size=50)})
    windows = SlidingWindowTransformer(window=4).set_output(transform="pandas")
    X = windows.fit_transform(series)
    reg = LSTMRegressor(**FAST).fit(X, rng.normal(size=50))
    buffer = io.BytesIO()
    save_weights(reg, buffer)
    buffer.seek(0)
    loaded = load_weights(buffer)
    assert list(loaded.feature_names_in_) == list(X.columns)
    with pytest.raises(ValueError, match="feature names"):
        loaded.predict(X.rename(columns=str.upper))


# Files written by earlier versions ------------------------------------------


def test_format_1_regressor_still_loads():
    """Written by save_weights before it wrote zip archives (format 1, commit
    d3a6520): LSTMRegressor(hidden_size=4, max_epochs=3, batch_size=16,
    random_state=0).fit(X, X.sum(axis=(1, 2)))."""
    X = np.random.RandomState(0).normal(size=(30, 6, 2)).astype(np.float32)
    reg = load_weights(DATA / "regressor_format1.pt")
    assert isinstance(reg, LSTMRegressor) and reg.hidden_size == 4
    expected = np.load(DATA / "regressor_format1_pred.npy")
    np.testing.assert_allclose(reg.predict(X), expected, rtol=1e-6)
    assert reg.n_iter_ == len(reg.history_) == 3


def test_format_1_generator_still_loads():
    """Format 1: CharLSTMGenerator(hidden_size=4, embedding_dim=4, window=12,
    max_epochs=2, random_state=0).fit("the cat sat on the mat. " * 4)."""
    gen = load_weights(DATA / "generator_format1.pt")
    assert isinstance(gen, CharLSTMGenerator)
    expected = np.load(DATA / "generator_format1_proba.npy")
    np.testing.assert_allclose(
        gen.predict_proba(["the cat", "on the m"]), expected, rtol=1e-6
    )


def test_0_1_0_classifier_still_loads():
    """Format 1 from sklrnn 0.1.0, before the convolution blocks."""
    X = np.random.RandomState(0).normal(size=(40, 6, 2)).astype(np.float32)
    clf = load_weights(DATA / "classifier_0.1.0.pt")
    assert clf.conv_channels is None and clf.conv_channels_ == ()
    expected = np.load(DATA / "classifier_0.1.0_proba.npy")
    np.testing.assert_allclose(clf.predict_proba(X), expected, rtol=1e-6)


# What save_weights and load_weights refuse ---------------------------------


def test_pipeline_is_refused_by_name():
    X, y = X3[:, :, 0], X3.sum(axis=(1, 2))
    pipe = make_pipeline(StandardScaler(), LSTMRegressor(**FAST)).fit(X, y)
    with pytest.raises(TypeError, match=r"takes an sklrnn estimator.*pipe\[-1\]"):
        save_weights(pipe, io.BytesIO())
    with pytest.raises(TypeError, match="not a StandardScaler"):
        save_weights(pipe[0], io.BytesIO())
    buffer = io.BytesIO()
    save_weights(pipe[-1], buffer)  # what the message suggests
    buffer.seek(0)
    loaded = load_weights(buffer)
    np.testing.assert_array_equal(loaded.predict(pipe[0].transform(X)), pipe.predict(X))


def test_subclass_is_refused():
    """load_weights could not rebuild it: it only builds the classes it knows."""

    class MyRegressor(LSTMRegressor):
        pass

    reg = MyRegressor(**FAST).fit(X3, X3.sum(axis=(1, 2)))
    with pytest.raises(TypeError, match="not a MyRegressor"):
        save_weights(reg, io.BytesIO())


def test_unfitted_estimator_is_refused():
    with pytest.raises(NotFittedError):
        save_weights(LSTMRegressor(), io.BytesIO())


def _archive(header, members=("module.pt", "history.json")):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("estimator.json", json.dumps(header))
        for name in members:
            archive.writestr(name, b"")
    buffer.seek(0)
    return buffer


def test_unknown_estimator_is_refused():
    header = {"format": "sklrnn-weights/2", "estimator": "os.system"}
    with pytest.raises(ValueError, match="unknown estimator 'os.system'"):
        load_weights(_archive(header))


def test_incomplete_archive_is_refused():
    header = {"format": "sklrnn-weights/2", "estimator": "LSTMRegressor"}
    with pytest.raises(ValueError, match=r"lacks \['module.pt'\]"):
        load_weights(_archive(header, members=["history.json"]))


def test_unknown_format_is_refused():
    header = {"format": "sklrnn-weights/99", "estimator": "LSTMRegressor"}
    with pytest.raises(ValueError, match="sklrnn-weights/99"):
        load_weights(_archive(header))


@pytest.mark.parametrize(
    "content",
    [b"not a zip archive", b"PK\x03\x04 truncated", None],
    ids=["text", "broken-zip", "other-torch-file"],
)
def test_not_a_weights_file(tmp_path, content):
    path = tmp_path / "other.pt"
    if content is None:
        torch.save({"weights": torch.zeros(2)}, path)
    else:
        path.write_bytes(content)
    with pytest.raises(ValueError, match="not a file written by sklrnn"):
        load_weights(path)


def test_pickled_object_is_refused(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"format": "sklrnn-weights/1", "payload": _Evil()}, path)
    with pytest.raises(Exception, match="Weights only load failed"):
        load_weights(path)


def test_weights_stay_weights_only_whatever_the_file_says():
    """A file cannot switch skorch's loader to full unpickling."""
    estimator = LSTMRegressor(**FAST).fit(X3, X3.sum(axis=(1, 2)))
    evil = io.BytesIO()
    torch.save({"payload": _Evil()}, evil)
    buffer = io.BytesIO()
    save_weights(estimator, buffer)
    with zipfile.ZipFile(buffer) as archive:
        header = json.loads(archive.read("estimator.json"))
        history = archive.read("history.json")
    header["params"]["net_kwargs"] = {"torch_load_kwargs": {"weights_only": False}}
    forged = io.BytesIO()
    with zipfile.ZipFile(forged, "w") as archive:
        archive.writestr("estimator.json", json.dumps(header))
        archive.writestr("history.json", history)
        archive.writestr("module.pt", evil.getvalue())
    forged.seek(0)
    with pytest.raises(Exception, match="Weights only load failed"):
        load_weights(forged)


class _Evil:
    def __reduce__(self):
        return (print, ("this would run on load",))

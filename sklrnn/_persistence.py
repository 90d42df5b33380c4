"""Saving fitted estimators as weights and plain data, safe to load from anyone.

Unpickling runs code: a pickle or joblib file from an untrusted source can do
anything on the machine that loads it. `save_weights` writes a zip archive of
JSON and the network's weights, and `load_weights` reads the weights through
skorch with ``torch.load(weights_only=True)``, which refuses anything but
tensors and plain containers.

Format ``sklrnn-weights/2`` (a zip archive):

- ``estimator.json``: the format, the estimator's class name, the sklrnn
  version that wrote it, the constructor parameters and the fitted attributes
  (arrays and tuples encoded by `_to_plain`);
- ``module.pt``: the module's state dict, written by skorch's
  ``NeuralNet.save_params(f_params=...)``;
- ``history.json``: the training history, in skorch's history format.

The weights are a torch file, not safetensors: skorch's safetensors option
needs a package sklrnn does not depend on, and skorch loads torch files with
``weights_only=True``, which is already safe.

Format ``sklrnn-weights/1``, written by sklrnn 0.1.0 and until format 2, was
one ``torch.save``'d dict of plain data and tensors; `load_weights` still
reads it.
"""

import io
import json
import os
import zipfile

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted
from skorch.history import History

from sklrnn._classifier import SequenceClassifier
from sklrnn._generator import CharLSTMGenerator
from sklrnn._regressor import LSTMRegressor
from sklrnn._tagger import SequenceTagger
from sklrnn.utils._torch import OPTIMIZERS, resolve_device

FORMAT = "sklrnn-weights/2"
FORMAT_1 = "sklrnn-weights/1"
_HEADER, _MODULE, _HISTORY = "estimator.json", "module.pt", "history.json"

# The classes a file may name: load_weights builds nothing else.
_ESTIMATORS = {
    cls.__name__: cls
    for cls in (LSTMRegressor, SequenceClassifier, SequenceTagger, CharLSTMGenerator)
}

# Parameters and fitted attributes added after files were first written, with
# the values that rebuild the network such an older file holds.
_ADDED_PARAMS = {
    "LSTMRegressor": {
        "loss": "squared_error",
        "epsilon": 1.35,
        "quantile": 0.5,
        "normalize_y": True,
    },
    "SequenceClassifier": {
        "conv_channels": None,
        "pool_size": 1,
        "lr_schedule": "constant",
    },
}
_ADDED_FITTED = {
    "LSTMRegressor": {"_y_normalized": True},
    # None: which token ids trained is unknown, so a warm start keeps them all.
    "SequenceClassifier": {"conv_channels_": (), "pool_size_": 1, "_trained_ids": None},
}


def _to_plain(value):
    """Fitted attribute or parameter -> JSON data (also what format 1's
    ``torch.load(weights_only=True)`` accepts)."""
    if isinstance(value, np.ndarray):
        return {"__ndarray__": _to_plain(value.tolist()), "dtype": value.dtype.str}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("cannot save a dict with non-string keys as JSON")
        return {key: _to_plain(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return {"__tuple__": [_to_plain(item) for item in value]}
    if isinstance(value, list):
        return [_to_plain(item) for item in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot save a {type(value).__name__} weights-only")


def _from_plain(value):
    if isinstance(value, dict) and "__ndarray__" in value:
        return np.asarray(value["__ndarray__"], dtype=np.dtype(value["dtype"]))
    if isinstance(value, dict) and "__tuple__" in value:
        return tuple(_from_plain(item) for item in value["__tuple__"])
    if isinstance(value, dict):
        return {key: _from_plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_from_plain(item) for item in value]
    return value


def _plain_params(estimator):
    """Constructor parameters that can be stored without pickling objects."""
    params = estimator.get_params(deep=False)
    names = {cls: name for name, cls in OPTIMIZERS.items()}
    optimizer = params.get("optimizer")
    if optimizer is not None and not isinstance(optimizer, str):
        params["optimizer"] = names.get(optimizer, "adam")
    params["callbacks"] = None  # callbacks are code; they only matter in fit
    if not isinstance(params.get("random_state"), (int, type(None))):
        params["random_state"] = None
    try:
        return _to_plain(params)
    except TypeError as error:
        raise TypeError(
            f"Parameter values of {type(estimator).__name__} {error}; "
            "use pickle or joblib for this estimator."
        ) from None


def save_weights(estimator, path):
    """Save a fitted sklrnn estimator without pickle.

    The file is a zip archive of JSON (the estimator's class name, parameters
    and fitted attributes, and the training history) and the network's
    weights as written by skorch's ``save_params``. `load_weights` reads the
    weights with ``torch.load(weights_only=True)``, so loading a file from an
    untrusted source cannot run code. Callbacks are not saved, and an
    optimizer given as a class is saved as ``"adam"`` unless it is one of the
    named optimizers; both only matter for further training.

    Parameters
    ----------
    estimator : fitted LSTMRegressor, SequenceClassifier, SequenceTagger or \
CharLSTMGenerator
        The model to save. Anything else, a
        :class:`~sklearn.pipeline.Pipeline` included, raises a ``TypeError``:
        save a pipeline's final sklrnn step with ``save_weights(pipe[-1],
        path)`` (and the other steps' fitted attributes in a plain format),
        or pickle the whole pipeline if you will only load it yourself.
    path : str or path-like or file-like
        Where to write it; a file object must be opened for binary writing.

    Raises
    ------
    TypeError
        If ``estimator`` is not one of the sklrnn estimators above.
    sklearn.exceptions.NotFittedError
        If ``estimator`` is not fitted.

    See Also
    --------
    load_weights : Read the file back.

    Examples
    --------
    >>> import io, numpy as np
    >>> from sklrnn import LSTMRegressor, save_weights, load_weights
    >>> X, y = np.random.RandomState(0).normal(size=(20, 5)), np.arange(20.0)
    >>> reg = LSTMRegressor(hidden_size=4, max_epochs=2, random_state=0).fit(X, y)
    >>> buffer = io.BytesIO()
    >>> save_weights(reg, buffer)
    >>> _ = buffer.seek(0)
    >>> bool(np.all(load_weights(buffer).predict(X) == reg.predict(X)))
    True
    """
    from sklrnn import __version__

    name = type(estimator).__name__
    if _ESTIMATORS.get(name) is not type(estimator):
        raise TypeError(
            f"save_weights takes an sklrnn estimator ({', '.join(_ESTIMATORS)}), "
            f"not a {name}. For a pipeline, save its final step with "
            "save_weights(pipe[-1], path), or pickle the whole pipeline if only "
            "you will load it."
        )
    check_is_fitted(estimator, "net_")
    params = set(estimator.get_params(deep=False))
    skipped = {"net_", "history_", "_sklearn_version"}
    fitted = {
        key: value
        # What pickle keeps, so caches rebuilt on demand are left out.
        for key, value in estimator.__getstate__().items()
        if key not in params and key not in skipped
    }
    header = {
        "format": FORMAT,
        "estimator": name,
        "sklrnn_version": __version__,
        "params": _plain_params(estimator),
        "fitted": _to_plain(fitted),
    }
    module = io.BytesIO()
    estimator.net_.save_params(f_params=module)
    # Numbers a callback recorded as numpy or torch scalars become floats,
    # which skorch's JSON history writer needs.
    history = History(json.loads(json.dumps(list(estimator.history_), default=float)))
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(_HEADER, json.dumps(header))
        archive.writestr(_MODULE, module.getvalue())
        history.to_file(io.TextIOWrapper(archive.open(_HISTORY, "w"), "utf-8"))


def load_weights(path, *, device="cpu"):
    """Load an estimator saved by `save_weights`, running no code from the file.

    Reads files of every sklrnn release, including the single-tensor-file
    format written before the zip archive.

    Parameters
    ----------
    path : str or path-like or file-like
        A file written by `save_weights`; a file object must be opened for
        binary reading and be seekable.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where to put the network; a model trained on a GPU loads on the CPU.

    Returns
    -------
    estimator : LSTMRegressor, SequenceClassifier, SequenceTagger or \
CharLSTMGenerator
        Fitted, ready to predict.

    Raises
    ------
    ValueError
        If the file was not written by `save_weights`, or names an estimator
        this version of sklrnn cannot load.

    See Also
    --------
    save_weights : Write such a file.
    """
    start = path.tell() if hasattr(path, "read") else None
    try:
        with zipfile.ZipFile(path) as archive:
            if _HEADER in archive.namelist():
                return _load_archive(archive, path, device)
    except zipfile.BadZipFile:
        raise ValueError(
            f"{_source(path)} is not a file written by sklrnn.save_weights."
        ) from None
    # torch.save writes zip archives too: a format 1 file.
    if start is not None:
        path.seek(start)
    return _load_format_1(path, device)


def _load_archive(archive, path, device):
    try:
        header = json.loads(archive.read(_HEADER))
    except ValueError:
        header = None
    fmt = header.get("format") if isinstance(header, dict) else None
    if not isinstance(fmt, str) or not fmt.startswith("sklrnn-weights/"):
        raise ValueError(
            f"{_source(path)} is not a file written by sklrnn.save_weights."
        )
    if fmt != FORMAT:
        raise ValueError(
            f"{_source(path)} has format {fmt!r}; this sklrnn reads {FORMAT!r} "
            f"and {FORMAT_1!r}. A newer sklrnn may read it."
        )
    missing = sorted({_MODULE, _HISTORY} - set(archive.namelist()))
    if missing:
        raise ValueError(f"{_source(path)} is incomplete: it lacks {missing}.")
    name, params, fitted = (
        header.get(key) for key in ("estimator", "params", "fitted")
    )
    estimator = _estimator_for_weights(name, params, fitted, path, device)
    net = estimator.net_
    # The parameters come from the file: its net_kwargs must not switch skorch
    # to full unpickling for the weights.
    torch_load_kwargs = net.torch_load_kwargs
    net.torch_load_kwargs = {"weights_only": True}
    try:
        net.load_params(
            f_params=io.BytesIO(archive.read(_MODULE)),
            f_history=io.TextIOWrapper(archive.open(_HISTORY), "utf-8"),
        )
    finally:
        net.torch_load_kwargs = torch_load_kwargs
    estimator.history_ = net.history
    return estimator


def _load_format_1(path, device):
    payload = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT_1:
        raise ValueError(
            f"{_source(path)} is not a file written by sklrnn.save_weights."
        )
    estimator = _estimator_for_weights(
        payload["estimator"], payload["params"], payload["fitted"], path, device
    )
    estimator.net_.module_.load_state_dict(payload["module"])
    estimator.net_.history.extend(payload["history"])
    estimator.history_ = estimator.net_.history
    return estimator


def _estimator_for_weights(name, params, fitted, path, device):
    """The estimator a file names, with its parameters and fitted attributes
    and an initialized net for the file's weights."""
    if not isinstance(name, str) or name not in _ESTIMATORS:
        raise ValueError(
            f"{_source(path)} holds an unknown estimator {name!r}; load_weights "
            f"loads {', '.join(_ESTIMATORS)}."
        )
    params = {**_ADDED_PARAMS.get(name, {}), **_from_plain(params or {})}
    estimator = _ESTIMATORS[name](**params)
    estimator.set_params(device=device)
    fitted = {**_ADDED_FITTED.get(name, {}), **_from_plain(fitted or {})}
    for key, value in fitted.items():
        setattr(estimator, key, value)
    estimator.net_ = estimator._initialized_net(resolve_device(device))
    return estimator


def _source(path):
    """The file, for error messages."""
    if isinstance(path, (str, os.PathLike)):
        return repr(os.fspath(path))
    return "The file"

"""Saving fitted estimators as weights and plain data, safe to load from anyone.

Unpickling runs code: a pickle or joblib file from an untrusted source can do
anything on the machine that loads it. `save_weights` writes only tensors,
numbers, strings, lists and dicts, and `load_weights` reads them back with
``torch.load(weights_only=True)``, which refuses anything else.
"""

import json

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from sklrnn.utils._torch import OPTIMIZERS, resolve_device

FORMAT = "sklrnn-weights/1"

# Parameters and fitted attributes added after files of FORMAT were first
# written, with the values that rebuild the network such an older file holds.
_ADDED_PARAMS = {
    "SequenceClassifier": {
        "conv_channels": None,
        "pool_size": 1,
        "lr_schedule": "constant",
    },
}
_ADDED_FITTED = {"SequenceClassifier": {"conv_channels_": (), "pool_size_": 1}}


def _to_plain(value):
    """Fitted attribute -> what ``torch.load(weights_only=True)`` accepts."""
    if isinstance(value, np.ndarray):
        return {"__ndarray__": value.tolist(), "dtype": value.dtype.str}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
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

    The file holds the estimator's parameters, its fitted attributes as plain
    data and the network's weights as tensors; `load_weights` reads it with
    ``torch.load(weights_only=True)``, so loading a file from an untrusted
    source cannot run code. Callbacks are not saved, and an optimizer given as
    a class is saved as ``"adam"`` unless it is one of the named optimizers;
    both only matter for further training.

    Parameters
    ----------
    estimator : fitted sklrnn estimator
        The model to save.
    path : str or path-like or file-like
        Where to write it.

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
    check_is_fitted(estimator, "net_")
    params = set(estimator.get_params(deep=False))
    skipped = {"net_", "history_"}
    fitted = {
        key: value
        for key, value in vars(estimator).items()
        if key not in params and key not in skipped
    }
    history = json.loads(json.dumps(list(estimator.history_), default=float))
    module = estimator.net_.module_.state_dict()
    torch.save(
        {
            "format": FORMAT,
            "estimator": type(estimator).__name__,
            "params": _plain_params(estimator),
            "fitted": _to_plain(fitted),
            "history": history,
            "module": {key: tensor.detach().cpu() for key, tensor in module.items()},
        },
        path,
    )


def load_weights(path, *, device="cpu"):
    """Load an estimator saved by `save_weights`, running no code from the file.

    Parameters
    ----------
    path : str or path-like or file-like
        A file written by `save_weights`.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where to put the network; a model trained on a GPU loads on the CPU.

    Returns
    -------
    estimator : sklrnn estimator
        Fitted, ready to predict.

    See Also
    --------
    save_weights : Write such a file.
    """
    from sklrnn.utils.discovery import all_estimators

    payload = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"{path!r} is not a file written by sklrnn.save_weights.")
    classes = dict(all_estimators())
    name = payload["estimator"]
    if name not in classes:
        raise ValueError(f"{path!r} holds an unknown estimator {name!r}.")
    params = {**_ADDED_PARAMS.get(name, {}), **_from_plain(payload["params"])}
    estimator = classes[name](**params)
    estimator.set_params(device=device)
    fitted = {**_ADDED_FITTED.get(name, {}), **_from_plain(payload["fitted"])}
    for key, value in fitted.items():
        setattr(estimator, key, value)
    device = resolve_device(device)
    estimator.net_ = estimator._build_net(None, None, 0, device)
    estimator.net_.initialize()
    estimator.net_.module_.load_state_dict(payload["module"])
    estimator.net_.history.extend(payload["history"])
    estimator.history_ = estimator.net_.history
    return estimator

"""Find sklrnn's public estimators, so tests check every one of them."""

import inspect
import pkgutil
from importlib import import_module

from sklearn.base import BaseEstimator

import sklrnn


def all_estimators():
    """Return ``(name, class)`` for every public, concrete sklrnn estimator.

    Examples
    --------
    >>> from sklrnn.utils.discovery import all_estimators
    >>> "LSTMRegressor" in dict(all_estimators())
    True
    """
    found = {}
    for module_info in pkgutil.walk_packages(sklrnn.__path__, "sklrnn."):
        if ".tests" in module_info.name:
            continue
        module = import_module(module_info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(cls, BaseEstimator)
                and cls.__module__.startswith("sklrnn.")
                and not name.startswith("_")
                and not inspect.isabstract(cls)
            ):
                found[name] = cls
    return sorted(found.items())

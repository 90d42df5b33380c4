"""Labels to class indices, for the classifier and the tagger."""

import numpy as np
from sklearn.utils.multiclass import check_classification_targets


def encode_labels(classes, labels):
    """Return the index of each label in the sorted ``classes``.

    Examples
    --------
    >>> encode_labels(np.array(["a", "b"]), np.array(["b", "a", "b"])).tolist()
    [1, 0, 1]
    """
    labels = np.asarray(labels)
    indices = np.searchsorted(classes, labels)
    known = (indices < len(classes)) & (
        classes[np.minimum(indices, len(classes) - 1)] == labels
    )
    if not known.all():
        unknown = sorted(set(labels[~known].tolist()))
        raise ValueError(
            f"y contains labels not seen in the first fit: {unknown[:5]}. With "
            "warm_start=True the classes are fixed; set warm_start=False to "
            "learn new ones."
        )
    return indices.astype(np.int64)


def check_no_missing_labels(labels):
    """Refuse None or NaN among labels, naming where they are.

    Examples
    --------
    >>> check_no_missing_labels(np.array(["a", None], dtype=object))
    Traceback (most recent call last):
    ...
    ValueError: y has missing labels (None or NaN) at positions [1]; ...
    """
    labels = np.asarray(labels)
    if labels.dtype.kind != "O":
        return
    missing = [i for i, label in enumerate(labels) if label is None or label != label]
    if missing:
        raise ValueError(
            f"y has missing labels (None or NaN) at positions {missing[:10]}; "
            "drop those samples or give them a label."
        )


def learn_classes(estimator, labels, unit="samples"):
    """Check ``labels`` and set ``estimator.classes_`` (kept on a warm start).

    ``unit`` names what carries a label in the error message.
    """
    check_no_missing_labels(labels)
    check_classification_targets(labels)
    if not (estimator.warm_start and hasattr(estimator, "classes_")):
        estimator.classes_ = np.unique(labels)
    if len(estimator.classes_) < 2:
        raise ValueError(
            f"{type(estimator).__name__} needs {unit} of at least 2 classes to "
            f"learn from; y has only 1 class ({estimator.classes_[0]})."
        )

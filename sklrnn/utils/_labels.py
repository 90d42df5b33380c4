"""Labels to class indices, for the classifier and the tagger."""

import numpy as np


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

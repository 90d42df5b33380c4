"""SequenceTagger: one label for every step of every sequence."""

import numpy as np
from scipy.special import softmax
from skorch.dataset import ValidSplit

from sklrnn._base import _BaseRNN
from sklrnn._modules import IGNORE_INDEX, StepCrossEntropy
from sklrnn.utils._dataset import first_array
from sklrnn.utils._docstring import fill_doc
from sklrnn.utils._labels import encode_labels, learn_classes


def _step_counts(inputs):
    if isinstance(inputs, dict):
        return inputs["lengths"]
    return np.full(len(inputs), inputs.shape[1])


def _checked_labels(y, counts):
    """``y`` as per-sequence label arrays, one label per step of ``X``."""
    labels = _label_sequences(y)
    if len(labels) != len(counts):
        raise ValueError(
            f"Found input variables with inconsistent numbers of samples: "
            f"X has {len(counts)} sequences, y has {len(labels)}."
        )
    for i, (seq_labels, n_steps) in enumerate(zip(labels, counts)):
        if seq_labels.shape != (n_steps,):
            raise ValueError(
                f"Sequence {i} has {n_steps} steps but its labels have shape "
                f"{seq_labels.shape}; SequenceTagger needs one label per step."
            )
    return labels


def _label_sequences(y):
    """``y`` as a list of 1-D label arrays, one per sequence."""
    if y is None:
        raise ValueError(
            "SequenceTagger requires y to be passed, but the target y is None."
        )
    if isinstance(y, (list, tuple)):
        return [np.asarray(labels) for labels in y]
    y = np.asarray(y)
    if y.ndim != 2:
        raise ValueError(
            f"y has {y.ndim} dimension(s), but SequenceTagger needs one label "
            "per step: a 2-D array (n_samples, n_timesteps) or a list of 1-D "
            "label arrays, one per sequence."
        )
    return list(y)


@fill_doc
class SequenceTagger(_BaseRNN):
    """Recurrent network that labels every step of every sequence.

    The many-to-many, synchronised case: per-frame labels of a video, the
    activity at each reading of a sensor, the tag of each token. Sequences may
    differ in length; padded steps are masked out of the loss and out of the
    predictions. With ``bidirectional=True`` each step's label may depend on
    the steps after it too.

    Parameters
    ----------
    {common_parameters}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The step labels.

    {common_attributes}

    See Also
    --------
    SequenceClassifier : One label per sequence.

    Examples
    --------
    >>> import numpy as np
    >>> from sklrnn import SequenceTagger
    >>> rng = np.random.RandomState(0)
    >>> X = [rng.normal(size=(n, 1)) for n in rng.randint(5, 15, size=100)]
    >>> y = [np.where(np.cumsum(seq[:, 0]) > 0, "up", "down") for seq in X]
    >>> tagger = SequenceTagger(hidden_size=16, max_epochs=30, random_state=0)
    >>> predicted = tagger.fit(X, y).predict(X[:2])
    >>> [len(labels) for labels in predicted] == [len(X[0]), len(X[1])]
    True
    >>> tagger.score(X, y) > 0.8
    True
    """

    _step_targets = True

    def _encode_target(self, y, inputs):
        labels = _checked_labels(y, _step_counts(inputs))
        learn_classes(self, np.concatenate(labels), unit="steps")
        n_steps = first_array(inputs).shape[1]
        encoded = np.full((len(labels), n_steps), IGNORE_INDEX, dtype=np.int64)
        for row, seq_labels in zip(encoded, labels):
            row[: len(seq_labels)] = encode_labels(self.classes_, seq_labels)
        return encoded, len(self.classes_)

    def _module_params(self):
        return {**super()._module_params(), "module__pooling": None}

    def _criterion(self, y_encoded):
        return StepCrossEntropy, {"ignore_index": IGNORE_INDEX}

    def _validation_split(self, n_samples, y, seed):
        return ValidSplit(self.validation_fraction, random_state=seed)

    def _per_sequence(self, X, decode):
        """Decode the per-step outputs and cut them to each sequence's length."""
        outputs, inputs = self._infer(X)
        values = decode(outputs)
        if not isinstance(inputs, dict):
            return values
        return [row[:n] for row, n in zip(values, inputs["lengths"])]

    def predict_proba(self, X):
        """Probability of each label at each step.

        Parameters
        ----------
        X : array-like or list of array-like
            Sequences, in any form ``fit`` accepts.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_timesteps, n_classes) or list
            For ragged input, a list of ``(n_timesteps_i, n_classes)`` arrays.
        """
        return self._per_sequence(X, lambda outputs: softmax(outputs, axis=-1))

    def predict(self, X):
        """Most likely label of each step.

        Parameters
        ----------
        X : array-like or list of array-like
            Sequences, in any form ``fit`` accepts.

        Returns
        -------
        y_pred : ndarray of shape (n_samples, n_timesteps) or list
            Labels from `classes_`; for ragged input a list of 1-D arrays,
            one per sequence, as long as the sequence.
        """
        return self._per_sequence(
            X, lambda outputs: self.classes_[np.argmax(outputs, axis=-1)]
        )

    def score(self, X, y):
        """Accuracy over all steps of all sequences.

        Parameters
        ----------
        X : array-like or list of array-like
            Sequences.
        y : array-like of shape (n_samples, n_timesteps) or list of array-like
            True labels, one per step.

        Returns
        -------
        score : float
            Share of steps labelled correctly.
        """
        predicted = self.predict(X)
        labels = _checked_labels(y, [len(p) for p in predicted])
        hits = np.concatenate([p == t for p, t in zip(predicted, labels)])
        return float(np.mean(hits))

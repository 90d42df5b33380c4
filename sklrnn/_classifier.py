"""SequenceClassifier: one label per sequence, numeric or token input."""

from numbers import Integral

import numpy as np
import torch
from scipy.special import softmax
from sklearn.base import ClassifierMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.validation import column_or_1d
from skorch.callbacks import LRScheduler
from skorch.dataset import ValidSplit
from torch import nn
from torch.optim.lr_scheduler import CosineAnnealingLR

from sklrnn._base import _BaseRNN
from sklrnn._engine import store_init_params
from sklrnn.utils._docstring import fill_doc
from sklrnn.utils._labels import encode_labels, learn_classes
from sklrnn.utils._text import OOV_ID, rare_token_mask
from sklrnn.utils._validation import validate_tokens

AUTO_CONV_CHANNELS = (64, 64, 64)
AUTO_POOL_STEPS = 16
# max_epochs="auto": about this many optimizer steps, within these epochs.
AUTO_EPOCH_STEPS = 1000
AUTO_EPOCHS = (20, 100)
_POSITIVE_INT = Interval(Integral, 1, None, closed="left")


def _check_conv_channels(conv_channels):
    """Every entry of ``conv_channels`` must be a positive int."""
    if conv_channels == "auto":
        return
    for width in conv_channels or ():
        if isinstance(width, bool) or not isinstance(width, Integral) or width < 1:
            raise ValueError(
                "conv_channels must hold positive ints, one per convolution "
                f"block, e.g. (64, 64, 64); got {conv_channels!r}. Pass None "
                "for no convolution blocks."
            )


@fill_doc
class SequenceClassifier(ClassifierMixin, _BaseRNN):
    """Recurrent network classifier: one label per sequence.

    Reads each sequence with an LSTM, GRU or plain RNN (by default numeric steps
    pass convolution blocks first, then a bidirectional GRU), pools the steps
    into one vector and maps it to class probabilities. Sequences may differ in
    length: a ragged list is packed, so padding never changes a prediction and
    nothing is truncated. With ``embedding_dim`` set, the input is integer token
    ids (e.g. from `~sklrnn.preprocessing.TextTokenizer`) fed through an
    embedding layer.

    Parameters
    ----------
    pooling : {"last", "mean", "max"}, default="mean"
        How the steps' outputs become one vector: the final state of each
        direction, or the mean or maximum over the real (unpadded) steps.

    conv_channels : tuple of int, "auto" or None, default="auto"
        Output channels of the convolution blocks (Conv1d, BatchNorm, ReLU)
        that read the steps before the recurrent layer, as in LSTM-FCN; None
        or ``()`` feeds the steps to the recurrent layer directly. ``"auto"``
        is ``(64, 64, 64)`` for numeric sequences and no blocks for token
        ids (``embedding_dim`` set), where the blocks made short sentences
        generalise worse. Padding of ragged input is masked in every block.

    conv_kernel_size : int, default=7
        Width, in steps, of every convolution kernel.

    pool_size : int or "auto", default="auto"
        After the convolution blocks, every ``pool_size`` steps are max-pooled
        into one, so the recurrent layer reads a shorter sequence. ``"auto"``
        takes the median training length divided by 16 (at least 1): a
        150-step series is read as 17 steps, a 24-step one unpooled. Ignored
        without convolution blocks.

    lr_schedule : {"cosine", "constant"}, default="cosine"
        ``"cosine"`` anneals the learning rate from ``lr`` towards zero over
        the epochs of each ``fit`` (`torch.optim.lr_scheduler.CosineAnnealingLR`,
        one step per epoch; a warm start anneals afresh); ``"constant"`` keeps
        it at ``lr``.

    max_epochs : int or "auto", default="auto"
        Passes over the training data. ``"auto"`` trains for about 1,000
        minibatches, within 20 to 100 epochs: 100 epochs of 50 samples,
        20 epochs of 1,500.

    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in the loss, as in scikit-learn's classifiers:
        ``{label: weight}``, or ``"balanced"`` for weights inversely
        proportional to the class frequencies.

    embedding_dim : int or None, default=None
        When set, ``X`` holds integer token ids, embedded in this many
        dimensions. Id 0 is padding.

    vocabulary_size : int or None, default=None
        Number of token ids the embedding holds (largest id + 1). None takes
        it from the data in ``fit``. Ids at or above it in ``predict`` are
        read as the out-of-vocabulary id 1, as `TextTokenizer` writes them.

    min_token_sequences : int, default=2
        With ``embedding_dim`` set, token ids found in fewer training
        sequences than this are read as the out-of-vocabulary id 1 in
        ``fit``, and their embeddings are set to its embedding after it.
        An id seen in one text only learns that text's label; read as out of
        vocabulary it teaches the network what to make of the words
        ``predict`` has never seen (which `TextTokenizer` writes as id 1).
        1 keeps every id. A warm start keeps the embeddings of the ids an
        earlier fit trained, however rare they are in the new data.

    {common_parameters}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.

    vocabulary_size_ : int
        Number of token ids of the embedding (only with ``embedding_dim``).

    conv_channels_ : tuple of int
        The convolution blocks' channels used; empty for none.

    pool_size_ : int
        The pooling factor used (1 without convolution blocks).

    {common_attributes}

    See Also
    --------
    sklrnn.preprocessing.TextTokenizer : Text to token ids for this classifier.
    sklearn.neural_network.MLPClassifier : The feed-forward counterpart.

    Notes
    -----
    The defaults (convolution blocks, a bidirectional GRU, mean pooling, a
    cosine learning-rate schedule, batches of 16) were chosen on the UCR/UEA
    sets GunPoint, ItalyPowerDemand, ArrowHead, BasicMotions and
    JapaneseVowels and on digits read row by row; ``benchmarks/quality.py``
    measures them. ``conv_channels=None`` gives a plain recurrent network.

    With ``early_stopping=True`` the validation data are a stratified
    ``validation_fraction`` of the samples, drawn with ``random_state``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklrnn import SequenceClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 8, 1)).astype(np.float32)
    >>> y = np.where(X[:, :, 0].sum(axis=1) > 0, "up", "down")
    >>> clf = SequenceClassifier(hidden_size=8, max_epochs=20, random_state=0)
    >>> clf.fit(X, y).classes_
    array(['down', 'up'], dtype='<U4')
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    >>> clf.score(X, y) > 0.8
    True
    """

    _parameter_constraints: dict = {
        **_BaseRNN._parameter_constraints,
        "pooling": [StrOptions({"last", "mean", "max"})],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "embedding_dim": [Interval(Integral, 1, None, closed="left"), None],
        "vocabulary_size": [Interval(Integral, 2, None, closed="left"), None],
        "min_token_sequences": [_POSITIVE_INT],
        "conv_channels": [tuple, list, StrOptions({"auto"}), None],
        "conv_kernel_size": [Interval(Integral, 1, None, closed="left")],
        "pool_size": [_POSITIVE_INT, StrOptions({"auto"})],
        "lr_schedule": [StrOptions({"constant", "cosine"})],
        "max_epochs": [_POSITIVE_INT, StrOptions({"auto"})],
    }

    def __init__(
        self,
        *,
        pooling="mean",
        class_weight=None,
        embedding_dim=None,
        vocabulary_size=None,
        min_token_sequences=2,
        conv_channels="auto",
        conv_kernel_size=7,
        pool_size="auto",
        lr_schedule="cosine",
        cell="gru",
        hidden_size=32,
        num_layers=1,
        bidirectional=True,
        dropout=0.0,
        max_epochs="auto",
        batch_size=16,
        lr=0.003,
        optimizer="adam",
        gradient_clip=5.0,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        device="cpu",
        n_threads=None,
        random_state=None,
        verbose=0,
        callbacks=None,
        warm_start=False,
        net_kwargs=None,
    ):
        store_init_params(self, locals())

    def _validate_input(self, X, reset):
        inputs = self._validate_sequences(X, reset)
        if reset:
            self.conv_channels_ = self._learn_conv_channels()
            self.pool_size_ = self._learn_pool_size(inputs)
        return inputs

    def _learn_conv_channels(self):
        _check_conv_channels(self.conv_channels)
        if self.conv_channels == "auto":
            return () if self.embedding_dim is not None else AUTO_CONV_CHANNELS
        return tuple(int(width) for width in self.conv_channels or ())

    def _learn_pool_size(self, inputs):
        """The front-end's pooling factor: ``pool_size``, or with "auto" the
        factor that leaves the recurrent layer about `AUTO_POOL_STEPS` steps
        of a median-length training sequence."""
        if not self.conv_channels_:
            return 1
        if self.pool_size != "auto":
            return int(self.pool_size)
        if isinstance(inputs, dict):
            steps = float(np.median(inputs["lengths"]))
        else:
            steps = inputs.shape[1]
        return max(1, int(steps // AUTO_POOL_STEPS))

    def _validate_sequences(self, X, reset):
        if self.embedding_dim is None:
            return super()._validate_input(X, reset)
        padded, lengths = validate_tokens(self, X, reset=reset)
        largest = int(padded.max())
        if reset:
            if self.vocabulary_size is not None and largest >= self.vocabulary_size:
                raise ValueError(
                    f"X holds token id {largest}, but vocabulary_size="
                    f"{self.vocabulary_size} allows ids below it. Raise "
                    "vocabulary_size or leave it None to take it from the data."
                )
            self.vocabulary_size_ = self.vocabulary_size or max(largest + 1, 2)
        elif largest >= self.vocabulary_size_:
            padded = np.where(padded >= self.vocabulary_size_, OOV_ID, padded)
        return {"x": padded, "lengths": lengths}

    def _module_params(self):
        params = {**super()._module_params(), "module__pooling": self.pooling}
        if self.conv_channels_:
            params["module__conv_channels"] = self.conv_channels_
            params["module__conv_kernel_size"] = int(self.conv_kernel_size)
            params["module__pool_size"] = int(self.pool_size_)
        if self.embedding_dim is not None:
            params["module__num_embeddings"] = int(self.vocabulary_size_)
            params["module__embedding_dim"] = int(self.embedding_dim)
        return params

    def _encode_target(self, y, inputs):
        y = column_or_1d(y, warn=True)
        learn_classes(self, y)
        return encode_labels(self.classes_, y), len(self.classes_)

    def _train(self, inputs, y_encoded, reuse):
        if self.embedding_dim is None:
            return super()._train(inputs, y_encoded, reuse)
        trained = self._ids_trained_before(reuse)
        # Rare ids are read as out of vocabulary, unless an earlier fit (of a
        # warm start) trained them.
        is_rare = rare_token_mask(
            inputs["x"], self.vocabulary_size_, int(self.min_token_sequences)
        )
        is_rare &= ~trained
        ids = np.where(is_rare[inputs["x"]], OOV_ID, inputs["x"])
        fitted = super()._train({**inputs, "x": ids}, y_encoded, reuse)
        trained |= np.bincount(ids.ravel(), minlength=self.vocabulary_size_) > 0
        trained[: OOV_ID + 1] = True
        # Ids no fit has trained on get the out-of-vocabulary embedding.
        weight = self.net_.module_.embedding.weight
        with torch.no_grad():
            weight[torch.as_tensor(np.flatnonzero(~trained))] = weight[OOV_ID].clone()
        self._trained_ids = trained
        return fitted

    def _ids_trained_before(self, reuse):
        """Boolean mask of the token ids the fitted network trained on: none
        for a new network, all for a warm start from a file that predates
        this record."""
        previous = getattr(self, "_trained_ids", None) if reuse else None
        if previous is None:
            return np.full(self.vocabulary_size_, reuse)
        if len(previous) != self.vocabulary_size_:
            # Refused by the warm start's own check of the embedding's size.
            return np.zeros(self.vocabulary_size_, dtype=bool)
        return previous.copy()

    def _criterion(self, y_encoded):
        if self.class_weight is None or y_encoded is None:
            return nn.CrossEntropyLoss, {}
        weights = compute_class_weight(
            self.class_weight, classes=self.classes_, y=self.classes_[y_encoded]
        )
        return nn.CrossEntropyLoss, {
            "weight": torch.as_tensor(weights, dtype=torch.float32)
        }

    def _epochs(self, n_samples):
        if self.max_epochs != "auto":
            return int(self.max_epochs)
        if n_samples is None:  # a loaded model: no training data to size it
            return AUTO_EPOCHS[1]
        batches = -(-n_samples // int(self.batch_size))
        low, high = AUTO_EPOCHS
        return int(np.clip(-(-AUTO_EPOCH_STEPS // batches), low, high))

    def _training_callbacks(self, epochs):
        if self.lr_schedule == "constant":
            return []
        # last_epoch=-1: every fit, warm starts included, anneals afresh from
        # lr (skorch would otherwise resume the curve from the history).
        cosine = LRScheduler(policy=CosineAnnealingLR, T_max=epochs, last_epoch=-1)
        return [("lr_schedule", cosine)]

    def _schedule_params(self, epochs):
        if self.lr_schedule == "constant":
            return {}
        return {"callbacks__lr_schedule__T_max": epochs}

    def _validation_split(self, n_samples, y, seed):
        return ValidSplit(self.validation_fraction, stratified=True, random_state=seed)

    def predict_proba(self, X):
        """Probability of each class for each sequence.

        Parameters
        ----------
        X : array-like or list of array-like
            Sequences, in any form ``fit`` accepts.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Class probabilities, columns in the order of `classes_`.
        """
        return softmax(self._forward(X), axis=1)

    def predict(self, X):
        """Most likely class of each sequence.

        Parameters
        ----------
        X : array-like or list of array-like
            Sequences, in any form ``fit`` accepts.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from `classes_`.
        """
        outputs = self._forward(X)
        return self.classes_[np.argmax(outputs, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # A 2-D table is read as univariate sequences, one step per column;
        # tabular data with no order in its columns is not what it is for.
        tags.classifier_tags.poor_score = True
        if self.embedding_dim is not None:
            tags.input_tags.three_d_array = False
        return tags

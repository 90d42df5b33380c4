"""The training engine every sklrnn estimator shares: a trained skorch net.

`_RNNEngine` holds the parameters of the network and of its training, builds
a skorch net around `RecurrentModule`, seeds torch and trains it, and runs the
fitted net forward. What an estimator reads (sequences, documents), what it
predicts and which loss it trains are the subclasses' part: the sequence
estimators derive from `sklrnn._base._BaseRNN`, the text generator from this
class directly.
"""

import contextlib
import functools
import inspect
import warnings
from abc import ABC, abstractmethod
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, StrOptions
from skorch import NeuralNet
from skorch.callbacks import EarlyStopping, GradientNormClipping, ProgressBar

from sklrnn._callbacks import DivergenceGuard, TrainingDiverged
from sklrnn._inference import predict_outputs
from sklrnn._modules import CELLS, RecurrentModule
from sklrnn.utils._dataset import BatchDataset, BatchLoader
from sklrnn.utils._threads import ShareCores
from sklrnn.utils._torch import (
    OPTIMIZERS,
    resolve_device,
    resolve_optimizer,
    seed_from_random_state,
    torch_context,
)


def _silent(*args, **kwargs):
    pass


def named_fit(fit):
    """Decorate ``fit`` so that arguments it does not take are refused in the
    name of the estimator's class, not of the base class defining ``fit``.

    Python names the function's ``__qualname__`` (``_BaseRNN.fit()``); a
    ``sample_weight`` gets a word on why. The signature seen by `inspect`
    (and by scikit-learn's ``has_fit_parameter``) is unchanged.
    """
    signature = inspect.signature(fit)

    @functools.wraps(fit)
    def wrapper(estimator, *args, **kwargs):
        try:
            signature.bind(estimator, *args, **kwargs)
        except TypeError as error:
            name = f"{type(estimator).__name__}.fit()"
            if "sample_weight" in kwargs:
                raise TypeError(
                    f"{name} got an unexpected keyword argument 'sample_weight'; "
                    "sklrnn estimators do not support sample weights yet. "
                    "Resample the training data, or use class_weight where the "
                    "estimator has it."
                ) from None
            raise TypeError(f"{name}: {error}") from None
        return fit(estimator, *args, **kwargs)

    return wrapper


def store_init_params(estimator, arguments):
    """Store each constructor argument, unchanged, as the attribute of the
    same name, as scikit-learn requires of ``__init__``; ``arguments`` is the
    constructor's ``locals()``. Every estimator lists its parameters, with
    its own defaults, in its signature; this spares it the assignments."""
    for name in type(estimator)._get_param_names():
        setattr(estimator, name, arguments[name])


def _warn_if_interrupted(net, first_epoch):
    """Warn when a KeyboardInterrupt (Ctrl+C, or a callback) stopped training.

    skorch's ``partial_fit`` catches it and returns as if training had ended;
    only the history tells: fewer epochs than ``max_epochs``, or a last epoch
    that never ended, without an early stop to explain it.
    """
    history = net.history
    trained = len(history) - first_epoch
    unfinished = trained > 0 and "train_loss" not in history[-1]
    early_stop = any(
        isinstance(callback, EarlyStopping) and callback.misses_ >= callback.patience
        for _, callback in net.callbacks_
    )
    if (trained < net.max_epochs or unfinished) and not early_stop:
        warnings.warn(
            f"Training was interrupted (KeyboardInterrupt) in epoch {len(history)} "
            f"after {trained - unfinished} of the {net.max_epochs} epochs of this "
            "fit; the estimator keeps the weights reached so far.",
            UserWarning,
            stacklevel=6,  # the call of fit: through _train, fit and two wrappers
        )


class _RNNEngine(BaseEstimator, ABC):
    """Parameters, training loop and forward pass shared by every estimator.

    Subclasses define ``__init__`` with every parameter and its default;
    `store_init_params` assigns them.
    """

    #: One target per step (cut with the steps of a ragged batch).
    _step_targets = False

    _parameter_constraints: dict = {
        "cell": [StrOptions(set(CELLS))],
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "optimizer": [StrOptions(set(OPTIMIZERS)), callable],
        "gradient_clip": [Interval(Real, 0, None, closed="neither"), None],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "device": [StrOptions({"cpu", "cuda", "auto"})],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callbacks": [list, None],
        "warm_start": ["boolean"],
        "net_kwargs": [dict, None],
    }

    # Hooks of the subclasses -------------------------------------------------

    @abstractmethod
    def _module_params(self):
        """Return the ``module__*`` arguments of the skorch net."""

    @abstractmethod
    def _criterion(self, y_encoded):
        """Return the torch loss class and its keyword arguments for training
        on ``y_encoded`` (None for a net built to load weights into)."""

    @abstractmethod
    def _validation_split(self, n_samples, y, seed):
        """Return the skorch ``train_split`` holding out data for early stopping."""

    # Training ----------------------------------------------------------------

    @contextlib.contextmanager
    def _fitting(self):
        """Undo what a failed `fit` changed: the estimator is left as it was
        before the call, fitted or not, whatever fails (bad data, a refused
        warm start, an interrupt before the first epoch, a diverged loss).

        A warm start trains the fitted network in place: once an epoch of it
        has begun, the weights from before cannot be put back, so a failure
        leaves the estimator unfitted instead.
        """
        before = dict(vars(self))
        try:
            yield
        except BaseException as error:
            trained_in_place = (
                "net_" in before
                and getattr(self, "net_", None) is before["net_"]
                and len(self.net_.history) > before.get("n_iter_", 0)
            )
            params = self._get_param_names()
            vars(self).clear()
            if not trained_in_place:
                vars(self).update(before)
            else:  # the parameters only
                vars(self).update({key: before[key] for key in params})
            if isinstance(error, KeyboardInterrupt):
                error.add_note(
                    f"sklrnn: {type(self).__name__}.fit was interrupted; the "
                    "estimator is left "
                    + ("unfitted." if trained_in_place else "as it was before fit.")
                )
            raise

    def _train(self, inputs, y_encoded, reuse):
        """Seed, build the net (unless ``reuse``) and train it on net inputs and
        encoded targets; the part of `fit` after the data are checked."""
        if reuse:
            self._check_same_network()
        device = resolve_device(self.device)
        seed = seed_from_random_state(self.random_state)
        with torch_context(seed, device, self.n_threads):
            if reuse:
                # warm_start continues with the current loop settings; skorch
                # applies a new lr to the optimizer without resetting its state.
                epochs = self._epochs(len(y_encoded))
                self.net_.set_params(
                    max_epochs=epochs,
                    batch_size=int(self.batch_size),
                    lr=float(self.lr),
                    **self._schedule_params(epochs),
                )
            else:
                self.net_ = self._build_net(len(y_encoded), y_encoded, seed, device)
            first_epoch = len(self.net_.history) if reuse else 0
            try:
                self.net_.partial_fit(inputs, y_encoded)
            except TrainingDiverged as diverged:
                self._raise_diverged(*diverged.args)
        _warn_if_interrupted(self.net_, first_epoch)
        self.history_ = self.net_.history
        self.n_iter_ = len(self.history_)
        return self

    def _check_same_network(self):
        """warm_start continues the fitted network: refuse changed shapes."""
        changed = sorted(
            key.removeprefix("module__")
            for key, value in self._module_params().items()
            if getattr(self.net_, key) != value
        )
        if changed:
            raise ValueError(
                f"warm_start=True continues the fitted network, but {changed} "
                "changed since it was built; set warm_start=False to train a new "
                "network with the new settings."
            )

    def _raise_diverged(self, loss, epoch, start):
        """Say what to change; `_fitting` discards the diverged weights."""
        raise ValueError(
            f"Training diverged: the training loss grew from {start:.4g} to "
            f"{loss:.4g} in epoch {epoch}. "
            f"Lower the learning rate (lr={self.lr}), scale the inputs (e.g. "
            "StandardScaler or SequenceScaler), or clip the gradients "
            f"(gradient_clip={self.gradient_clip}). The diverged weights are "
            "discarded: the estimator is left as it was before this fit, or "
            "unfitted after a warm start."
        )

    def _epochs(self, n_samples):
        """Epochs of one call to `fit` on ``n_samples`` samples (None: unknown)."""
        return int(self.max_epochs)

    def _training_callbacks(self, epochs):
        """skorch callbacks a subclass adds to training (e.g. a schedule)."""
        return []

    def _schedule_params(self, epochs):
        """Net parameters that restart the subclass's callbacks for a warm
        start of ``epochs`` epochs."""
        return {}

    def _build_net(self, n_samples, y_encoded, seed, device):
        epochs = self._epochs(n_samples)
        callbacks = [("divergence_guard", DivergenceGuard())]
        callbacks.extend(self._training_callbacks(epochs))
        if self.gradient_clip is not None:
            callbacks.append(
                ("gradient_clip", GradientNormClipping(self.gradient_clip))
            )
        train_split = None
        if self.early_stopping and n_samples is not None:
            train_split = self._validation_split(n_samples, y_encoded, seed)
            self._check_split(train_split, n_samples, y_encoded)
            stopper = EarlyStopping(
                patience=self.n_iter_no_change,
                threshold=self.tol,
                load_best=True,
                sink=print if self.verbose else _silent,
            )
            callbacks.append(("early_stopping", stopper))
        if self.n_threads is None:
            callbacks.append(("share_cores", ShareCores()))
        if self.verbose:
            callbacks.append(("progress_bar", ProgressBar()))
        callbacks.extend(self.callbacks or [])
        criterion, criterion_params = self._criterion(y_encoded)
        return NeuralNet(
            module=RecurrentModule,
            **self._module_params(),
            criterion=criterion,
            **{f"criterion__{key}": value for key, value in criterion_params.items()},
            optimizer=resolve_optimizer(self.optimizer),
            lr=float(self.lr),
            max_epochs=epochs,
            batch_size=int(self.batch_size),
            dataset=BatchDataset,
            dataset__step_targets=self._step_targets,
            iterator_train=BatchLoader,
            iterator_train__shuffle=True,
            iterator_valid=BatchLoader,
            train_split=train_split,
            callbacks=callbacks,
            predict_nonlinearity=None,
            warm_start=True,
            verbose=self.verbose,
            device=device,
            **(self.net_kwargs or {}),
        )

    def _initialized_net(self, device):
        """An initialized, untrained net on ``device`` for the fitted attributes
        already set, for `load_weights` to load saved weights into."""
        return self._build_net(None, None, 0, device).initialize()

    def _check_split(self, train_split, n_samples, y_encoded):
        """Try the early-stopping split now, so a failure comes before training
        and names the settings to change."""
        try:
            train_split(np.arange(n_samples), y_encoded)
        except ValueError as error:
            raise ValueError(
                f"early_stopping=True cannot hold out validation_fraction="
                f"{self.validation_fraction} of {n_samples} samples: {error} Pass "
                "more samples, change validation_fraction or set "
                "early_stopping=False."
            ) from None

    # Inference ---------------------------------------------------------------

    def _predict_outputs(self, inputs):
        """The fitted network's raw outputs for validated ``inputs``, float64."""
        return (
            predict_outputs(self.net_, inputs, self.n_threads)
            .numpy()
            .astype(np.float64)
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.device != "cpu"
        return tags

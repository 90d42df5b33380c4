"""LSTMRegressor: one or several real values from each sequence."""

from numbers import Real

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.model_selection import PredefinedSplit
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_y, check_array
from skorch.dataset import ValidSplit
from torch import nn

from sklrnn._base import _BaseRNN
from sklrnn._engine import store_init_params
from sklrnn._modules import PinballLoss
from sklrnn.utils._docstring import fill_doc

LOSSES = ("squared_error", "absolute_error", "huber", "quantile")


def tail_split(n_samples, fraction):
    """A skorch split that holds out the *last* ``fraction`` of the samples.

    Windows of one series overlap and follow each other in time; validating on
    a shuffled or leading fold would let the model see the future.
    """
    n_valid = int(np.ceil(fraction * n_samples))
    if n_samples - n_valid < 1:
        raise ValueError(
            f"early_stopping=True holds out validation_fraction="
            f"{fraction} of {n_samples} samples, which leaves none to train "
            "on. Pass more samples or a smaller validation_fraction."
        )
    test_fold = np.full(n_samples, -1)
    test_fold[n_samples - n_valid :] = 0
    return ValidSplit(PredefinedSplit(test_fold))


def _location_scale(y_2d):
    """Mean and standard deviation of each column, safe for any finite y.

    Computed on ``y / max|y|``, then scaled back: ``y.std()`` squares the
    values, which overflows from about 1e154 and underflows below 1e-154. A
    (numerically) constant column gets the scale ``max|y|`` (1 for zeros),
    so that it standardises to about 0.
    """
    peak = np.abs(y_2d).max(axis=0)
    peak = np.where(peak > 0, peak, 1.0)
    unit = y_2d / peak
    mean = unit.mean(axis=0) * peak
    std = unit.std(axis=0)
    constant = std <= 10 * np.finfo(np.float64).eps
    return mean, np.where(constant, 1.0, std) * peak


@fill_doc
class LSTMRegressor(RegressorMixin, _BaseRNN):
    """Recurrent network regressor: sequences in, one or several values out.

    Reads each sequence with an LSTM, GRU or plain RNN and maps the final state
    to the target through a linear layer. The target is standardised
    internally (unless ``normalize_y=False``); predictions come back in the
    target's own units.

    Parameters
    ----------
    loss : {"squared_error", "absolute_error", "huber", "quantile"}, \
default="squared_error"
        The loss trained on, with scikit-learn's names: ``"squared_error"``
        predicts the conditional mean, ``"absolute_error"`` the conditional
        median (robust to outliers in ``y``), ``"huber"`` is squared near the
        prediction and absolute beyond ``epsilon`` (robust, and smooth where
        it matters), and ``"quantile"`` predicts the conditional
        ``quantile``, e.g. the edges of a prediction interval. With several
        outputs, the loss is averaged over them.

    epsilon : float, default=1.35
        Where the ``"huber"`` loss turns from squared to absolute, in units of
        the target's standard deviation (the target is standardised
        internally; in the target's own units with ``normalize_y=False``):
        1.35 is `~sklearn.linear_model.HuberRegressor`'s default,
        whose ``epsilon`` is relative to a robust scale estimate it learns
        instead. Huge outliers inflate the standard deviation, and with it
        this threshold: lower ``epsilon`` for them. Used only with
        ``loss="huber"``.

    quantile : float, default=0.5
        The quantile predicted with ``loss="quantile"``, strictly between 0
        and 1, as in `~sklearn.ensemble.HistGradientBoostingRegressor`; 0.5
        is the median. Used only with ``loss="quantile"``.

    normalize_y : bool, default=True
        Train on the target standardised per output (its mean subtracted,
        divided by its standard deviation), and map predictions back, as
        `~sklearn.gaussian_process.GaussianProcessRegressor` does with
        ``normalize_y=True``. This lets a target in any units train with the
        default ``lr``. False trains on ``y`` as given, in its own units: for
        a target you scaled yourself, e.g. to [0, 1] as a Keras or PyTorch
        script does, whose loss and results you want to reproduce. The two
        can train different models, not only in different units: a small
        target, standardised, asks for larger weights, and the network's
        saturating units then extrapolate differently beyond the training
        targets. The Keras airline tutorial's ``LSTM(4)`` matches the test
        error of the tutorial's own training loop only with
        ``normalize_y=False``.

    {common_parameters}

    Attributes
    ----------
    {common_attributes}

    See Also
    --------
    sklrnn.preprocessing.SlidingWindowTransformer : Windows of a series, one
        row per time step, to forecast with this regressor in a Pipeline.
    sklrnn.preprocessing.make_windows : ``(X, y)`` windows of a series.
    sklearn.neural_network.MLPRegressor : The feed-forward counterpart.

    Notes
    -----
    With ``early_stopping=True`` the validation data are the *last*
    ``validation_fraction`` of the samples in the order given, since windows
    of a series are not independent; the validation loss is the ``loss``
    trained on.

    ``score`` is the R² of the predictions whatever the ``loss``, as in
    scikit-learn's regressors; for a quantile model, measure instead the
    share of targets below the predictions, or
    `~sklearn.metrics.mean_pinball_loss`.

    The standardisation of the target is an affine map, so a median or a
    quantile learned on the standardised target is the same quantile in the
    target's units.

    With ``warm_start=True``, changing ``loss``, ``epsilon`` (with
    ``"huber"``), ``quantile`` (with ``"quantile"``) or ``normalize_y``
    between fits raises a ``ValueError``, as changing the network does; the
    target's mean and scale stay those of the first fit.

    Examples
    --------
    >>> from sklrnn import LSTMRegressor
    >>> from sklrnn.datasets import make_cosine
    >>> from sklrnn.preprocessing import make_windows
    >>> X, y = make_windows(make_cosine(n_samples=300, random_state=0), window=20)
    >>> reg = LSTMRegressor(hidden_size=8, max_epochs=5, random_state=0).fit(X, y)
    >>> reg.predict(X[:2]).shape
    (2,)
    >>> round(reg.score(X, y), 1) > 0.5
    True
    """

    _parameter_constraints: dict = {
        **_BaseRNN._parameter_constraints,
        "loss": [StrOptions(set(LOSSES))],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "quantile": [Interval(Real, 0, 1, closed="neither")],
        "normalize_y": ["boolean"],
    }

    def __init__(
        self,
        *,
        loss="squared_error",
        epsilon=1.35,
        quantile=0.5,
        normalize_y=True,
        cell="lstm",
        hidden_size=32,
        num_layers=1,
        bidirectional=False,
        dropout=0.0,
        max_epochs=100,
        batch_size=32,
        lr=0.005,
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

    def _encode_target(self, y, inputs):
        y = _check_y(y, multi_output=True, y_numeric=True, estimator=self)
        y = check_array(y, dtype=np.float64, ensure_2d=False, input_name="y")
        if y.ndim > 2:
            raise ValueError(
                f"y has {y.ndim} dimensions; LSTMRegressor takes y of shape "
                "(n_samples,) or (n_samples, n_outputs)."
            )
        self._y_is_1d = y.ndim == 1
        y_2d = y.reshape(len(y), -1)
        if not (self.warm_start and hasattr(self, "_y_mean")):
            if self.normalize_y:
                self._y_mean, self._y_scale = _location_scale(y_2d)
            else:
                self._y_mean = np.zeros(y_2d.shape[1])
                self._y_scale = np.ones(y_2d.shape[1])
            self._y_normalized = bool(self.normalize_y)
        elif getattr(self, "_y_normalized", True) != bool(self.normalize_y):
            raise ValueError(
                f"warm_start=True continues the fitted network, but "
                f"normalize_y={self.normalize_y} differs from the first fit's; "
                "set warm_start=False to train a new network on the target "
                "in the new units."
            )
        with np.errstate(over="ignore"):
            y_encoded = self._standardise(y_2d).astype(np.float32)
        if not np.isfinite(y_encoded).all():
            raise ValueError(
                "y is too large for the scale learned in the first fit (warm "
                "start): standardised, it overflows float32. Set "
                "warm_start=False to learn the scale of this y."
            )
        return y_encoded, y_2d.shape[1]

    def _standardise(self, y_2d):
        """The target in the units the network is trained on."""
        # Divided before subtracting: y - mean overflows for values of
        # opposite signs near the float64 limit.
        return y_2d / self._y_scale - self._y_mean / self._y_scale

    def _criterion(self, y_encoded):
        # float(): a numpy scalar from a parameter grid passes the constraints.
        if self.loss == "absolute_error":
            return nn.L1Loss, {}
        if self.loss == "huber":
            return nn.HuberLoss, {"delta": float(self.epsilon)}
        if self.loss == "quantile":
            return PinballLoss, {"quantile": float(self.quantile)}
        return nn.MSELoss, {}

    def _check_same_network(self):
        """warm_start continues training on the same loss: refuse a change."""
        super()._check_same_network()
        criterion, params = self._criterion(None)
        if self.net_.criterion is not criterion or any(
            getattr(self.net_, f"criterion__{key}", None) != value
            for key, value in params.items()
        ):
            raise ValueError(
                f"warm_start=True continues the fitted network, but loss="
                f"{self.loss!r} (or its epsilon or quantile) differs from the "
                "loss it was trained on; set warm_start=False to train a new "
                "network with the new loss."
            )

    def _validation_split(self, n_samples, y, seed):
        return tail_split(n_samples, self.validation_fraction)

    def predict(self, X):
        """Predict the target of each sequence.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
(n_samples, n_timesteps, n_features), or list of array-like
            Sequences, in any form ``fit`` accepts.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions in the units of the ``y`` seen in ``fit``.
        """
        outputs = self._forward(X)
        y_pred = outputs * self._y_scale + self._y_mean
        return y_pred.ravel() if self._y_is_1d else y_pred

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        # A 2-D table is read as univariate sequences, one step per column; a
        # small network trained briefly fits tabular data with no order in its
        # columns poorly, which is not what it is for.
        tags.regressor_tags.poor_score = True
        return tags

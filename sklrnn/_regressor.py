"""LSTMRegressor: one or several real values from each sequence."""

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.model_selection import PredefinedSplit
from sklearn.utils.validation import _check_y, check_array
from skorch.dataset import ValidSplit
from torch import nn

from sklrnn._base import _BaseRNN
from sklrnn.utils._docstring import fill_doc


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
    internally; predictions come back in the target's own units.

    Parameters
    ----------
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
    of a series are not independent.

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
            self._y_mean, self._y_scale = _location_scale(y_2d)
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
        return nn.MSELoss, {}

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

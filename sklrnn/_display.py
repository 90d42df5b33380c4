"""Plots of fitted sklrnn estimators, in scikit-learn's Display style.

Each Display stores the numbers to plot; ``from_estimator`` (or
``from_predictions``) computes them and calls `plot`, which draws on a
matplotlib Axes and keeps the artists as attributes ending in ``_``.
matplotlib is imported only inside `plot`, so sklrnn does not need it.
"""

import numpy as np
from sklearn.utils.validation import check_consistent_length, check_is_fitted


def _pyplot():
    """Import matplotlib's pyplot, or say how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            "Plotting needs matplotlib: pip install matplotlib, or "
            'pip install "sklrnn[plot]".'
        ) from error
    return plt


def _axes(ax):
    """``ax`` itself, or a new figure's Axes when ``ax`` is None."""
    if ax is None:
        _, ax = _pyplot().subplots()
    return ax


def _as_x(index, n_samples):
    """Values of the x axis: ``index`` as plottable values, or 0, 1, ..."""
    if index is None:
        return np.arange(n_samples)
    if hasattr(index, "to_timestamp"):  # pandas PeriodIndex: plot its dates
        index = index.to_timestamp()
    x = np.asarray(index)
    if x.shape != (n_samples,):
        raise ValueError(
            f"index has shape {x.shape}, but there are {n_samples} values to "
            "plot; pass one index value per sample."
        )
    return x


def _check_interval(y_interval, pred_shape):
    """``y_interval`` as a float array of shape ``pred_shape + (2,)``, or None."""
    if y_interval is None:
        return None
    y_interval = np.asarray(y_interval, dtype=float)
    if y_interval.shape != (*pred_shape, 2):
        raise ValueError(
            f"y_interval has shape {y_interval.shape}, but y_pred has shape "
            f"{pred_shape}; pass one (lower, upper) pair per prediction, of "
            f"shape {(*pred_shape, 2)}."
        )
    return y_interval


class TrainingHistoryDisplay:
    """Training (and validation) loss per epoch of a fitted sklrnn estimator.

    Create it with `from_estimator`; the constructor takes the numbers to
    plot, and `plot` draws them.

    Parameters
    ----------
    train_loss : array-like of shape (n_epochs,)
        Training loss of each epoch.

    valid_loss : array-like of shape (n_epochs,) or None, default=None
        Validation loss of each epoch, e.g. with ``early_stopping=True``.

    estimator_name : str or None, default=None
        Name of the estimator, used in the title.

    Attributes
    ----------
    lines_ : list of matplotlib Line2D
        The training loss line, then the validation loss line if any.

    ax_ : matplotlib Axes
        Axes with the curves.

    figure_ : matplotlib Figure
        Figure containing the curves.

    See Also
    --------
    ForecastDisplay : Actual values against predictions.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklrnn import LSTMRegressor, TrainingHistoryDisplay
    >>> from sklrnn.datasets import make_cosine
    >>> from sklrnn.preprocessing import make_windows
    >>> X, y = make_windows(make_cosine(200, random_state=0), window=10)
    >>> reg = LSTMRegressor(hidden_size=4, max_epochs=3, early_stopping=True,
    ...                     random_state=0).fit(X, y)
    >>> display = TrainingHistoryDisplay.from_estimator(reg)
    >>> [line.get_label() for line in display.lines_]
    ['training loss', 'validation loss']
    """

    def __init__(self, *, train_loss, valid_loss=None, estimator_name=None):
        self.train_loss = train_loss
        self.valid_loss = valid_loss
        self.estimator_name = estimator_name

    def plot(self, ax=None, *, name=None, log_scale=False):
        """Draw the loss curves.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Axes to draw on; None creates a new figure.

        name : str or None, default=None
            Name for the title; None uses `estimator_name`.

        log_scale : bool, default=False
            Use a logarithmic loss axis.

        Returns
        -------
        display : TrainingHistoryDisplay
            Object that stores the plotted artists.
        """
        ax = _axes(ax)
        train_loss = np.asarray(self.train_loss, dtype=float)
        epochs = np.arange(1, len(train_loss) + 1)
        self.lines_ = ax.plot(epochs, train_loss, marker=".", label="training loss")
        if self.valid_loss is not None:
            valid_loss = np.asarray(self.valid_loss, dtype=float)
            self.lines_ += ax.plot(
                epochs, valid_loss, marker=".", label="validation loss"
            )
        if log_scale:
            ax.set_yscale("log")
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # whole epochs
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        name = self.estimator_name if name is None else name
        ax.set_title("Training history" if name is None else f"{name}: training")
        ax.legend()
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, name=None, log_scale=False):
        """Plot the loss per epoch recorded in ``estimator.history_``.

        The validation loss is drawn when the estimator recorded one (with
        ``early_stopping=True``, or a skorch ``train_split`` passed through
        ``net_kwargs``).

        Parameters
        ----------
        estimator : fitted sklrnn estimator
            Any estimator with a skorch ``history_``, e.g. `LSTMRegressor`.
            A `~sklearn.pipeline.Pipeline` is read through its last step.

        ax : matplotlib Axes or None, default=None
            Axes to draw on; None creates a new figure.

        name : str or None, default=None
            Name for the title; None uses the estimator's class name.

        log_scale : bool, default=False
            Use a logarithmic loss axis.

        Returns
        -------
        display : TrainingHistoryDisplay
            Object that stores the plotted artists.
        """
        if hasattr(estimator, "steps"):  # a Pipeline: the network is last
            estimator = estimator[-1]
        check_is_fitted(estimator, "history_")
        history = estimator.history_
        train_loss = [epoch.get("train_loss", np.nan) for epoch in history]
        valid_loss = [epoch.get("valid_loss") for epoch in history]
        if any(loss is None for loss in valid_loss):
            valid_loss = None
        display = cls(
            train_loss=train_loss,
            valid_loss=valid_loss,
            estimator_name=type(estimator).__name__,
        )
        return display.plot(ax=ax, name=name, log_scale=log_scale)


class ForecastDisplay:
    """Actual values and predictions, as two lines over time.

    Create it with `from_estimator` or `from_predictions`; the constructor
    takes the numbers to plot, and `plot` draws them. A 2-D target (several
    outputs, e.g. a forecast ``horizon``) gives one pair of lines per output.
    Given a prediction interval (``y_interval``), it also shades the band
    between its lower and upper bounds.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Actual values.

    y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Predicted values.

    index : array-like of shape (n_samples,) or None, default=None
        Values of the x axis, e.g. dates; a pandas ``PeriodIndex`` is drawn
        as dates. None numbers the samples 0, 1, ...

    estimator_name : str or None, default=None
        Label of the predictions; None labels them ``"predicted"``.

    y_interval : array-like of shape (n_samples, 2) or \
            (n_samples, n_outputs, 2), default=None
        Lower and upper bound of a prediction interval around each
        prediction, e.g. from sktime's ``predict_interval`` or from two
        quantile models; None draws no band. Its shape is the shape of
        ``y_pred`` followed by 2.

    interval_label : str or None, default=None
        Legend label of the band, e.g. ``"90% interval"`` when its coverage
        is known; None labels it ``"interval"``.

    Attributes
    ----------
    actual_lines_ : list of matplotlib Line2D
        One line of actual values per output.

    predicted_lines_ : list of matplotlib Line2D
        One line of predictions per output.

    interval_bands_ : list of matplotlib PolyCollection
        One shaded band per output, drawn by ``fill_between``; empty when
        there is no ``y_interval``.

    ax_ : matplotlib Axes
        Axes with the lines.

    figure_ : matplotlib Figure
        Figure containing the lines.

    See Also
    --------
    TrainingHistoryDisplay : Loss per epoch.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklrnn import ForecastDisplay
    >>> y_true = np.sin(np.arange(20) / 3)
    >>> display = ForecastDisplay.from_predictions(y_true, 0.9 * y_true)
    >>> len(display.actual_lines_), len(display.predicted_lines_)
    (1, 1)
    >>> display.ax_.get_legend_handles_labels()[1]
    ['actual', 'predicted']

    With a band from the predictions minus and plus 0.2:

    >>> y_interval = np.c_[0.9 * y_true - 0.2, 0.9 * y_true + 0.2]
    >>> display = ForecastDisplay.from_predictions(
    ...     y_true, 0.9 * y_true, y_interval=y_interval, interval_label="80% interval"
    ... )
    >>> display.ax_.get_legend_handles_labels()[1]
    ['actual', 'predicted', '80% interval']
    """

    def __init__(
        self,
        *,
        y_true,
        y_pred,
        index=None,
        estimator_name=None,
        y_interval=None,
        interval_label=None,
    ):
        self.y_true = y_true
        self.y_pred = y_pred
        self.index = index
        self.estimator_name = estimator_name
        self.y_interval = y_interval
        self.interval_label = interval_label

    def plot(self, ax=None, *, name=None):
        """Draw the actual values, the predictions and the interval, if any.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Axes to draw on; None creates a new figure.

        name : str or None, default=None
            Label of the predictions; None uses `estimator_name`.

        Returns
        -------
        display : ForecastDisplay
            Object that stores the plotted artists.
        """
        y_true = np.asarray(self.y_true, dtype=float)
        y_pred = np.asarray(self.y_pred, dtype=float)
        if y_true.shape != y_pred.shape or y_true.ndim not in (1, 2):
            raise ValueError(
                f"y_true has shape {y_true.shape} and y_pred {y_pred.shape}; "
                "both must be (n_samples,) or (n_samples, n_outputs), alike."
            )
        y_interval = _check_interval(self.y_interval, y_pred.shape)
        x = _as_x(self.index, len(y_true))
        ax = _axes(ax)
        name = self.estimator_name if name is None else name
        label = "predicted" if name is None else name
        interval_label = (
            "interval" if self.interval_label is None else self.interval_label
        )
        y_true = y_true.reshape(len(y_true), -1)
        y_pred = y_pred.reshape(len(y_pred), -1)
        several = y_true.shape[1] > 1
        self.actual_lines_, self.predicted_lines_ = [], []
        self.interval_bands_ = []
        for output in range(y_true.shape[1]):
            suffix = f" [{output}]" if several else ""
            (actual,) = ax.plot(
                x, y_true[:, output], color="black", label=f"actual{suffix}"
            )
            (predicted,) = ax.plot(
                x, y_pred[:, output], linestyle="--", label=f"{label}{suffix}"
            )
            self.actual_lines_.append(actual)
            self.predicted_lines_.append(predicted)
            if y_interval is not None:
                lower, upper = y_interval.reshape(len(x), -1, 2)[:, output].T
                band = ax.fill_between(
                    x,
                    lower,
                    upper,
                    color=predicted.get_color(),
                    alpha=0.25,
                    linewidth=0,
                    label=f"{interval_label}{suffix}",
                )
                self.interval_bands_.append(band)
        ax.legend()
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        index=None,
        ax=None,
        name=None,
        y_interval=None,
        interval_label=None,
    ):
        """Plot ``y`` against the estimator's predictions for ``X``.

        Parameters
        ----------
        estimator : fitted regressor
            An `LSTMRegressor`, a `~sklearn.pipeline.Pipeline` ending in one,
            or any fitted scikit-learn regressor.

        X : array-like or list of array-like
            Input of ``estimator.predict``.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Actual values. A pandas Series gives its index to the x axis
            unless ``index`` is passed.

        index : array-like of shape (n_samples,) or None, default=None
            Values of the x axis, e.g. dates.

        ax : matplotlib Axes or None, default=None
            Axes to draw on; None creates a new figure.

        name : str or None, default=None
            Label of the predictions; None uses the estimator's class name.

        y_interval : array-like of shape (n_samples, 2) or \
                (n_samples, n_outputs, 2), default=None
            Lower and upper bound of a prediction interval around each
            prediction, shaded as a band; None draws no band.

        interval_label : str or None, default=None
            Legend label of the band, e.g. ``"90% interval"``; None labels
            it ``"interval"``.

        Returns
        -------
        display : ForecastDisplay
            Object that stores the plotted artists.
        """
        check_is_fitted(estimator)
        y_pred = estimator.predict(X)
        if name is None:
            final = estimator[-1] if hasattr(estimator, "steps") else estimator
            name = type(final).__name__
        return cls.from_predictions(
            y,
            y_pred,
            index=index,
            ax=ax,
            name=name,
            y_interval=y_interval,
            interval_label=interval_label,
        )

    @classmethod
    def from_predictions(
        cls,
        y_true,
        y_pred,
        *,
        index=None,
        ax=None,
        name=None,
        y_interval=None,
        interval_label=None,
    ):
        """Plot actual values against predictions made beforehand.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Actual values. A pandas Series gives its index to the x axis
            unless ``index`` is passed.

        y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Predicted values.

        index : array-like of shape (n_samples,) or None, default=None
            Values of the x axis, e.g. dates.

        ax : matplotlib Axes or None, default=None
            Axes to draw on; None creates a new figure.

        name : str or None, default=None
            Label of the predictions; None labels them ``"predicted"``.

        y_interval : array-like of shape (n_samples, 2) or \
                (n_samples, n_outputs, 2), default=None
            Lower and upper bound of a prediction interval around each
            prediction, shaded as a band; None draws no band. A DataFrame
            from sktime's ``predict_interval`` (one variable, one coverage)
            has this shape.

        interval_label : str or None, default=None
            Legend label of the band, e.g. ``"90% interval"``; None labels
            it ``"interval"``.

        Returns
        -------
        display : ForecastDisplay
            Object that stores the plotted artists.
        """
        check_consistent_length(y_true, y_pred)
        if index is None and hasattr(y_true, "iloc"):  # pandas: plot its index
            index = y_true.index
        display = cls(
            y_true=y_true,
            y_pred=y_pred,
            index=index,
            estimator_name=name,
            y_interval=y_interval,
            interval_label=interval_label,
        )
        return display.plot(ax=ax)

"""The Display classes draw on the Agg backend, with the right lines."""

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklrnn import (
    ForecastDisplay,
    LSTMRegressor,
    SequenceClassifier,
    TrainingHistoryDisplay,
)
from sklrnn.datasets import load_airline, make_cosine
from sklrnn.preprocessing import make_windows

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def windows():
    return make_windows(make_cosine(120, random_state=0), window=8)


@pytest.fixture(scope="module")
def regressor(windows):
    X, y = windows
    return LSTMRegressor(hidden_size=4, max_epochs=3, random_state=0).fit(X, y)


@pytest.fixture(scope="module")
def stopped_regressor(windows):
    X, y = windows
    return LSTMRegressor(
        hidden_size=4, max_epochs=4, early_stopping=True, random_state=0
    ).fit(X, y)


def test_history_display_plots_the_training_loss_only(regressor):
    display = TrainingHistoryDisplay.from_estimator(regressor)
    assert len(display.lines_) == 1
    assert display.valid_loss is None
    assert display.ax_.get_lines() == display.lines_
    assert display.figure_ is display.ax_.figure
    np.testing.assert_allclose(
        display.lines_[0].get_ydata(), regressor.history_[:, "train_loss"]
    )
    np.testing.assert_array_equal(display.lines_[0].get_xdata(), [1, 2, 3])
    assert display.ax_.get_title() == "LSTMRegressor: training"


def test_history_display_adds_the_validation_loss(stopped_regressor):
    display = TrainingHistoryDisplay.from_estimator(stopped_regressor, log_scale=True)
    assert [line.get_label() for line in display.lines_] == [
        "training loss",
        "validation loss",
    ]
    assert len(display.ax_.get_lines()) == 2
    assert display.ax_.get_yscale() == "log"
    np.testing.assert_allclose(
        display.lines_[1].get_ydata(), stopped_regressor.history_[:, "valid_loss"]
    )


def test_history_display_draws_on_a_given_axes_and_reads_a_pipeline(windows):
    X, y = windows
    pipe = make_pipeline(
        StandardScaler(), LSTMRegressor(hidden_size=4, max_epochs=2, random_state=0)
    ).fit(X, y)
    fig, (left, right) = plt.subplots(1, 2)
    display = TrainingHistoryDisplay.from_estimator(pipe, ax=right, name="mine")
    assert display.ax_ is right and display.figure_ is fig
    assert len(right.get_lines()) == 1 and not left.get_lines()
    assert right.get_title() == "mine: training"


def test_history_display_plot_from_numbers():
    display = TrainingHistoryDisplay(train_loss=[3, 2, 1], valid_loss=[4, 3, 3])
    display.plot()
    assert len(display.ax_.get_lines()) == 2
    assert display.ax_.get_title() == "Training history"


def test_forecast_display_from_estimator(regressor, windows):
    X, y = windows
    display = ForecastDisplay.from_estimator(regressor, X, y)
    assert len(display.ax_.get_lines()) == 2
    (actual,), (predicted,) = display.actual_lines_, display.predicted_lines_
    np.testing.assert_allclose(actual.get_ydata(), y)
    np.testing.assert_allclose(predicted.get_ydata(), regressor.predict(X))
    assert predicted.get_label() == "LSTMRegressor"


def test_forecast_display_from_predictions_takes_a_series_index():
    passengers = load_airline()
    fig, ax = plt.subplots()
    display = ForecastDisplay.from_predictions(
        passengers, passengers.shift(1).bfill(), ax=ax, name="persistence"
    )
    assert display.ax_ is ax and display.figure_ is fig
    assert len(ax.get_lines()) == 2
    dates = display.actual_lines_[0].get_xdata()
    assert pd.Timestamp(dates[0]) == pd.Timestamp("1949-01-01")


def test_forecast_display_draws_a_pair_of_lines_per_output():
    y_true = np.arange(30.0).reshape(10, 3)
    display = ForecastDisplay.from_predictions(y_true, y_true + 1, index=range(10))
    assert len(display.actual_lines_) == len(display.predicted_lines_) == 3
    assert len(display.ax_.get_lines()) == 6
    assert display.predicted_lines_[2].get_label() == "predicted [2]"


def test_forecast_display_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="alike"):
        ForecastDisplay.from_predictions(np.zeros((4, 2)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="inconsistent"):
        ForecastDisplay.from_predictions(np.zeros(4), np.zeros(5))
    with pytest.raises(ValueError, match="one index value per sample"):
        ForecastDisplay.from_predictions(np.zeros(4), np.zeros(4), index=[1, 2])


@pytest.mark.parametrize(
    "estimator", [LSTMRegressor(), SequenceClassifier()], ids=lambda e: type(e).__name__
)
def test_displays_refuse_unfitted_estimators(estimator):
    with pytest.raises(NotFittedError):
        TrainingHistoryDisplay.from_estimator(estimator)
    with pytest.raises(NotFittedError):
        ForecastDisplay.from_estimator(estimator, np.zeros((3, 4)), np.zeros(3))
    assert not plt.get_fignums(), "nothing is drawn for an unfitted estimator"


def _band_edges(band):
    """The band's (x, y) vertices, as {x: sorted unique y values}."""
    vertices = band.get_paths()[0].vertices
    edges = {}
    for x, y in vertices:
        edges.setdefault(float(x), set()).add(float(y))
    return edges


def test_forecast_display_shades_the_interval():
    x = np.arange(10.0)
    y_pred = np.sin(x)
    y_interval = np.c_[y_pred - 0.5 - x / 10, y_pred + 1.0]
    display = ForecastDisplay.from_predictions(
        y_pred + 0.1,
        y_pred,
        index=x + 100,
        y_interval=y_interval,
        interval_label="90% interval",
    )
    (band,) = display.interval_bands_
    assert isinstance(band, matplotlib.collections.PolyCollection)
    assert band in display.ax_.collections
    assert band.get_label() == "90% interval"
    assert display.ax_.get_legend_handles_labels()[1] == [
        "actual",
        "predicted",
        "90% interval",
    ]
    # The band reaches from the lower to the upper bound at every x, no further.
    edges = _band_edges(band)
    assert sorted(edges) == list(x + 100)
    for step, (lower, upper) in enumerate(y_interval):
        ys = edges[step + 100.0]
        assert min(ys) == pytest.approx(lower) and max(ys) == pytest.approx(upper)
    # It takes the colour of the predictions it surrounds.
    np.testing.assert_allclose(
        band.get_facecolor()[0][:3],
        matplotlib.colors.to_rgb(display.predicted_lines_[0].get_color()),
    )


def test_forecast_display_without_interval_draws_no_band(regressor, windows):
    X, y = windows
    display = ForecastDisplay.from_estimator(regressor, X, y)
    assert display.interval_bands_ == []
    assert not display.ax_.collections


def test_forecast_display_from_estimator_takes_an_interval(regressor, windows):
    X, y = windows
    y_pred = regressor.predict(X)
    y_interval = pd.DataFrame({"lower": y_pred - 1, "upper": y_pred + 1})
    display = ForecastDisplay.from_estimator(regressor, X, y, y_interval=y_interval)
    (band,) = display.interval_bands_
    assert band.get_label() == "interval"
    ys = band.get_paths()[0].vertices[:, 1]
    assert ys.min() == pytest.approx(y_pred.min() - 1, rel=1e-6)
    assert ys.max() == pytest.approx(y_pred.max() + 1, rel=1e-6)


def test_forecast_display_shades_one_band_per_output():
    y_true = np.arange(30.0).reshape(10, 3)
    y_interval = np.stack([y_true - 1, y_true + 1], axis=-1)  # (10, 3, 2)
    display = ForecastDisplay(
        y_true=y_true, y_pred=y_true, y_interval=y_interval, interval_label="band"
    ).plot()
    assert [band.get_label() for band in display.interval_bands_] == [
        "band [0]",
        "band [1]",
        "band [2]",
    ]
    ys = display.interval_bands_[2].get_paths()[0].vertices[:, 1]
    assert ys.min() == pytest.approx(1.0) and ys.max() == pytest.approx(30.0)


@pytest.mark.parametrize(
    "y_interval",
    [np.zeros((4, 3)), np.zeros((5, 2)), np.zeros(4), np.zeros((4, 1, 2))],
    ids=["three-columns", "too-long", "1-D", "3-D"],
)
def test_forecast_display_rejects_a_badly_shaped_interval(y_interval):
    with pytest.raises(ValueError, match=r"y_interval has shape .* \(4, 2\)"):
        ForecastDisplay.from_predictions(
            np.zeros(4), np.zeros(4), y_interval=y_interval
        )
    assert not plt.get_fignums(), "nothing is drawn for a bad interval"

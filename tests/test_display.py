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

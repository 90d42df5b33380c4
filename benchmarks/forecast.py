"""Multi-step forecasts of real series: sklrnn through sktime against the
forecasters users would otherwise pick.

    pip install -e ".[bench]"      # sktime and statsmodels
    python benchmarks/forecast.py  # all series (~15 minutes on 2 cores)
    python benchmarks/forecast.py --only airline nile --origins 2

For each series the last ``h`` steps are forecast from one origin (the end
of the training part) and from ``--origins`` rolling origins, each
``h // 4`` steps before the next, every one of them forecasting ``h`` steps.
The table gives MASE (scaled by the training part's in-sample seasonal naive
error) and RMSE of:

- seasonal naive (sktime ``NaiveForecaster(strategy="last", sp=sp)``);
- ETS (sktime ``AutoETS(auto=True)``: statsmodels' ETS, the model chosen by
  AICc);
- SARIMA (statsmodels through sktime): the airline model (0,1,1)(0,1,1)12 on
  the log of the airline series; elsewhere the order of a small grid with
  the lowest AIC on the first training part;
- sklrnn, recursive and direct: ``make_reduction`` of a small
  `LSTMRegressor` (the mean forecast of ``--seeds`` seeds, sktime's
  ``EnsembleForecaster``) inside the series' transforms (log
  and differencing, as the recipe column says). Recursive forecasts one step
  and feeds it back; direct is sktime's ``strategy="multioutput"``: one
  network with ``h`` outputs forecasts every horizon from the last window
  (the regressor handles several outputs natively; sktime's ``"direct"``,
  one network per horizon, costs ``h`` times the fits for the same idea).

and the empirical coverage of the 80 % and 90 % split-conformal intervals
around the recursive recipe (one seed), pooled over the origins and
horizons: the recipe is refitted from each of the last ``--calibration``
(36) training steps, and the empirical quantiles of its signed errors at
each horizon, in the series' own units, are added to the forecast. This is
``ConformalIntervals(method="empirical")`` computed by hand, because two
things in sktime 1.2 widen its intervals: it calibrates horizon ``k`` on
the errors ``k + 1`` steps ahead (sktime issue #10766), and inside a
differencing transform the interval ends of one season ahead are added to
those of the next, so the band grows faster than the errors do.

The network and its recipe: 4 LSTM units, 25 epochs, batch 16, lr 0.01
(short series want a small network, trained briefly); the log of the
series with multiplicative seasonality (airline); a seasonal difference on
the seasonal series (airline, CO2, sunspots' 11-year cycle) and a first
difference on the trending one (shampoo); a window of one or two seasons.
These settings were chosen by looking at this benchmark's rolling-origin
results, not on training data alone: read those "fixed" sklrnn rows as a
tuned recipe, the statistical ones as automatic. The "selected on training"
rows are the fair counterpart: at every origin, sktime's
``ForecastingGridSearchCV`` chooses the network's size and training length
(`SELECTION_GRID`: 4 or 16 units, 25 or 100 epochs) on that origin's
training part alone, over up to 3 expanding-window folds of ``h`` steps
(one seed), and the chosen network is then fitted with ``--seeds`` seeds
(the windows and transforms stay the recipe's; shampoo is too short for a
fold). ``--no-select`` skips them. Airline and shampoo sales are
read from ``../shared/data`` (``SKLRNN_DATA``); sunspots, Nile and CO2 ship
with statsmodels.
"""

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm
from sklearn.metrics import root_mean_squared_error
from sktime.forecasting.compose import (
    EnsembleForecaster,
    TransformedTargetForecaster,
    make_reduction,
)
from sktime.forecasting.ets import AutoETS
from sktime.forecasting.model_selection import ForecastingGridSearchCV
from sktime.forecasting.naive import NaiveForecaster
from sktime.forecasting.sarimax import SARIMAX
from sktime.performance_metrics.forecasting import (
    MeanAbsoluteScaledError,
    mean_absolute_scaled_error,
)
from sktime.split import ExpandingWindowSplitter
from sktime.transformations.series.boxcox import LogTransformer
from sktime.transformations.series.difference import Differencer

from sklrnn import LSTMRegressor

DATA_DIR = Path(
    os.environ.get(
        "SKLRNN_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"
    )
)
COVERAGES = (0.8, 0.9)
TARGET_WITHIN = 0.10  # of the better of ETS and SARIMA
TARGET_COVERAGE = 0.05
# The sklrnn rows judged against the targets: settings fixed for all series
# (chosen while looking at these results), and chosen on training data alone.
KINDS = {
    "fixed": lambda label: label.startswith("sklrnn") and "selected" not in label,
    "selected": lambda label: label.startswith("sklrnn") and "selected" in label,
}

# sktime 1.2 warns, for every forecaster it creates, that its default of
# ``remember_data`` will change; a warnings filter does not hold (sktime
# resets the FutureWarning filters while it forecasts), so that one message
# is dropped where warnings are shown.
_show_warning = warnings.showwarning


def _show_other_warnings(message, *args, **kwargs):
    if "``remember_data``" not in str(message):
        _show_warning(message, *args, **kwargs)


warnings.showwarning = _show_other_warnings


def _monthly(values, start):
    return pd.Series(
        np.asarray(values, dtype=float),
        index=pd.period_range(start, periods=len(values), freq="M"),
    )


def _yearly(values, start):
    return pd.Series(
        np.asarray(values, dtype=float),
        index=pd.period_range(str(int(start)), periods=len(values), freq="Y"),
    )


def load_airline():
    data = pd.read_csv(DATA_DIR / "airline-passengers.csv")
    return _monthly(data["Passengers"], "1949-01")


def load_shampoo():
    data = pd.read_csv(DATA_DIR / "monthly-shampoo-sales.csv")
    return _monthly(data["Sales"], "2001-01")  # three years, years not given


def load_sunspots():
    data = sm.datasets.sunspots.load_pandas().data
    return _yearly(data["SUNACTIVITY"], data["YEAR"].iloc[0])


def load_nile():
    data = sm.datasets.nile.load_pandas().data
    return _yearly(data["volume"], data["year"].iloc[0])


def load_co2():
    weekly = sm.datasets.co2.load_pandas().data["co2"]
    monthly = weekly.resample("MS").mean().interpolate()
    return _monthly(monthly, monthly.index[0].strftime("%Y-%m"))


# name: (loader, seasonal period, horizon, log, difference lags, window, SARIMA)
SERIES = {
    "airline": (load_airline, 12, 12, True, [12], 12, ((0, 1, 1), (0, 1, 1, 12))),
    "shampoo": (load_shampoo, 1, 12, False, [1], 3, None),
    "sunspots": (load_sunspots, 11, 22, False, [11], 22, None),
    "nile": (load_nile, 1, 12, False, [], 10, None),
    "co2": (load_co2, 12, 24, False, [12], 24, None),
}
SARIMA_GRID = [
    (order, seasonal)
    for order in [(1, 0, 0), (2, 0, 0), (1, 1, 0), (0, 1, 1), (1, 1, 1), (2, 1, 1)]
    for seasonal in [(0, 0, 0), (1, 0, 0), (0, 1, 1)]
]


# What the selection on training data chooses from: the small, briefly
# trained network of the fixed rows, or a larger one trained longer.
SELECTION_GRID = {"hidden_size": [4, 16], "max_epochs": [25, 100]}


def network(seed, epochs, hidden_size=4):
    """A small network trained briefly: these series have 36 to 526 steps."""
    return LSTMRegressor(
        hidden_size=hidden_size,
        max_epochs=epochs,
        batch_size=16,
        lr=0.01,
        random_state=seed,
    )


def seeds_average(strategy, window, seeds, epochs, hidden_size=4):
    """``make_reduction`` of the network, averaged over ``seeds`` seeds."""
    forecasters = [
        (
            f"seed{seed}",
            make_reduction(
                network(seed, epochs, hidden_size),
                window_length=window,
                strategy=strategy,
            ),
        )
        for seed in range(seeds)
    ]
    if seeds == 1:
        return forecasters[0][1]
    return EnsembleForecaster(forecasters, aggfunc="mean")


def with_transforms(forecaster, log, lags):
    steps = [("log", LogTransformer())] if log else []
    if lags:
        steps.append(("difference", Differencer(lags=lags, na_handling="drop_na")))
    if not steps:
        return forecaster
    return TransformedTargetForecaster([*steps, ("forecaster", forecaster)])


def choose_sarima(y, sp):
    """The order of `SARIMA_GRID` with the lowest AIC on ``y``."""
    best, best_aic = None, np.inf
    for order, seasonal in SARIMA_GRID:
        seasonal_order = (*seasonal, sp if sp > 1 and any(seasonal) else 0)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fitted = sm.tsa.SARIMAX(
                    y.to_numpy(), order=order, seasonal_order=seasonal_order
                ).fit(disp=False)
        except (ValueError, np.linalg.LinAlgError):
            continue
        if fitted.aic < best_aic:
            best, best_aic = (order, seasonal_order), fitted.aic
    return best


def shortest_training(name):
    """The fewest training steps a direct reduction of ``name`` needs: the
    steps the differencing drops, one window and ``h`` targets."""
    _, _, h, _, lags, window, _ = SERIES[name]
    return max(lags, default=0) + window + h + 1


def select_network(name, strategy, y_train):
    """``hidden_size`` and ``max_epochs`` from `SELECTION_GRID`, chosen on
    ``y_train`` alone: sktime's grid search over up to 3 expanding-window
    folds, each forecasting ``h`` steps (one seed; lowest MASE). None when
    the training part is too short for one fold."""
    _, sp, h, log, lags, window, _ = SERIES[name]
    step = max(1, h // 4)
    folds = min(3, (len(y_train) - h - shortest_training(name)) // step + 1)
    if folds < 1:
        return None
    candidate = with_transforms(
        make_reduction(network(0, 25), window_length=window, strategy=strategy),
        log,
        lags,
    )
    prefix = "forecaster__estimator__" if (log or lags) else "estimator__"
    search = ForecastingGridSearchCV(
        candidate,
        cv=ExpandingWindowSplitter(
            fh=np.arange(1, h + 1),
            initial_window=len(y_train) - h - (folds - 1) * step,
            step_length=step,
        ),
        param_grid={prefix + key: values for key, values in SELECTION_GRID.items()},
        scoring=MeanAbsoluteScaledError(sp=sp),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(y_train, fh=np.arange(1, h + 1))
    return {key[len(prefix) :]: value for key, value in search.best_params_.items()}


def selected_forecasters(name, y_train, args):
    """The sklrnn rows with the network chosen on ``y_train`` alone, and
    per row the choice and the seconds its search took (counted as fit
    time)."""
    _, sp, h, log, lags, window, _ = SERIES[name]
    selected, choices = {}, {}
    for strategy, label in (("recursive", "recursive"), ("multioutput", "direct")):
        start = time.perf_counter()
        params = select_network(name, strategy, y_train)
        search_seconds = time.perf_counter() - start
        if params is None:
            continue
        hidden, epochs = params["hidden_size"], params["max_epochs"]
        forecaster = seeds_average(strategy, window, args.seeds, epochs, hidden)
        label = f"sklrnn {label}, selected on training"
        selected[label] = with_transforms(forecaster, log, lags)
        choices[label] = (f"{hidden}u/{epochs}e", search_seconds)
    return selected, choices


def forecasters(name, y_first_train, args):
    _, sp, h, log, lags, window, sarima = SERIES[name]
    if sarima is None:
        sarima = choose_sarima(y_first_train, sp)
    order, seasonal_order = sarima
    reduce = {
        strategy: seeds_average(strategy, window, args.seeds, args.epochs)
        for strategy in ("recursive", "multioutput")
    }
    recipe = " + ".join(
        (["log"] if log else []) + ([f"diff {lags}"] if lags else []) + [f"w{window}"]
    )
    return {
        "seasonal naive": NaiveForecaster(strategy="last", sp=sp),
        "ETS": AutoETS(auto=True, sp=sp, information_criterion="aicc", n_jobs=1),
        f"SARIMA {order}{seasonal_order}": with_transforms(
            SARIMAX(order=order, seasonal_order=seasonal_order), log, []
        ),
        f"sklrnn recursive ({recipe})": with_transforms(reduce["recursive"], log, lags),
        f"sklrnn direct ({recipe})": with_transforms(reduce["multioutput"], log, lags),
    }


def conformal_interval(name, y_train, calibration, epochs):
    """Split-conformal intervals around the recursive recipe's forecast (one
    seed), as ``{coverage: (lower, upper)}`` arrays of ``h`` steps: the recipe
    is refitted from each of the last ``calibration`` training steps and
    forecasts ``h`` steps; per horizon, the empirical quantiles of its signed
    errors, in the series' own units, are added to the forecast."""
    _, _, h, log, lags, window, _ = SERIES[name]

    def recipe():
        return with_transforms(seeds_average("recursive", window, 1, epochs), log, lags)

    fh = np.arange(1, h + 1)
    n_train = len(y_train)
    errors = [[] for _ in fh]  # per horizon
    for cutoff in range(n_train - calibration, n_train):
        # Always h steps: sktime 1.2's Differencer turns fewer steps than
        # its lag back into levels wrongly.
        forecast = recipe().fit(y_train.iloc[:cutoff], fh=fh).predict().to_numpy()
        for k in range(min(h, n_train - cutoff)):
            errors[k].append(y_train.iloc[cutoff + k] - forecast[k])
    forecast = recipe().fit(y_train, fh=fh).predict().to_numpy()
    intervals = {}
    for coverage in COVERAGES:
        tails = [(1 - coverage) / 2, (1 + coverage) / 2]
        offsets = np.array([np.quantile(errors_k, tails) for errors_k in errors])
        intervals[coverage] = (forecast + offsets[:, 0], forecast + offsets[:, 1])
    return intervals


def evaluate_series(name, args):
    loader, sp, h, *_ = SERIES[name]
    y = loader()
    fh = np.arange(1, h + 1)
    step = max(1, h // 4)
    # Direct reduction needs a window and h targets after the differencing:
    # the short series (shampoo) get fewer rolling origins.
    cutoffs = [len(y) - h - k * step for k in range(args.origins)]
    cutoffs = [cutoff for cutoff in cutoffs if cutoff >= shortest_training(name)]
    rows, fit_seconds, choices = {}, {}, {}
    inside = {coverage: [] for coverage in COVERAGES}
    for origin, cutoff in enumerate(cutoffs):
        y_train, y_test = y.iloc[:cutoff], y.iloc[cutoff : cutoff + h]
        models = forecasters(name, y.iloc[: cutoffs[0]], args)
        if args.select:
            selected, chosen = selected_forecasters(name, y_train, args)
            models.update(selected)
            for label, (choice, search_seconds) in chosen.items():
                choices.setdefault(label, []).append(choice)
                fit_seconds[label] = fit_seconds.get(label, 0) + search_seconds
        for label, forecaster in models.items():
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                forecast = forecaster.fit(y_train, fh=fh).predict()
            fit_seconds[label] = fit_seconds.get(label, 0) + time.perf_counter() - start
            mase = mean_absolute_scaled_error(y_test, forecast, y_train=y_train, sp=sp)
            rmse = root_mean_squared_error(y_test, forecast)
            rows.setdefault(label, []).append((mase, rmse))
        if args.no_intervals:
            continue
        # The first refit trains on cutoff - calibration steps.
        calibration = min(args.calibration, cutoff - shortest_training(name) + 1)
        if calibration < h:  # too short (shampoo)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            intervals = conformal_interval(name, y_train, calibration, args.epochs)
        y_true = y_test.to_numpy()
        for coverage, (lower, upper) in intervals.items():
            inside[coverage].extend((lower <= y_true) & (y_true <= upper))
    return rows, fit_seconds, inside, len(cutoffs), choices


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=list(SERIES), default=list(SERIES))
    parser.add_argument("--origins", type=int, default=4)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--calibration", type=int, default=36)
    parser.add_argument("--no-intervals", action="store_true")
    parser.add_argument(
        "--no-select",
        dest="select",
        action="store_false",
        help="skip the rows whose network is chosen on training data",
    )
    args = parser.parse_args()
    if not (DATA_DIR / "airline-passengers.csv").exists():
        sys.exit(f"no data in {DATA_DIR}; set SKLRNN_DATA to ../shared/data")
    header = (
        f"{'series':9} {'forecaster':48} {'MASE 1':>7} {'RMSE 1':>8} "
        f"{'MASE roll':>9} {'RMSE roll':>9} {'fit s':>6}"
    )
    pooled = {coverage: [] for coverage in COVERAGES}
    verdicts = {}
    for name in args.only:
        rows, seconds, inside, n_origins, choices = evaluate_series(name, args)
        print(header if name == args.only[0] else "", flush=True)
        means = {}
        for label, scores in rows.items():
            first, rolling = scores[0], np.mean(scores, axis=0)
            means[label] = rolling
            print(
                f"{name:9} {label:48} {first[0]:7.3f} {first[1]:8.2f} "
                f"{rolling[0]:9.3f} {rolling[1]:9.2f} {seconds[label]:6.1f}"
            )
        for label, chosen in choices.items():
            print(f"{'':9} {label} chose, origin by origin: {', '.join(chosen)}")
        naive = means["seasonal naive"][0]
        statistical = min(
            v[0] for k, v in means.items() if k.startswith(("ETS", "SARIMA"))
        )
        line = f"{name}: {n_origins} origins; seasonal naive {naive:.3f}; "
        line += f"better of ETS/SARIMA {statistical:.3f}"
        for kind, is_kind in KINDS.items():
            scores = [v[0] for k, v in means.items() if is_kind(k)]
            if not scores:
                continue
            ours = min(scores)
            beats, within = ours < naive, ours <= (1 + TARGET_WITHIN) * statistical
            verdicts.setdefault(kind, []).append((beats, within))
            line += (
                f"; best sklrnn {kind} {ours:.3f} "
                f"({'beats' if beats else 'LOSES to'} naive, "
                f"{'within' if within else 'NOT within'} 10 %)"
            )
        for coverage in COVERAGES:
            if inside[coverage]:
                pooled[coverage].extend(inside[coverage])
                share = np.mean(inside[coverage])
                line += f"; {coverage:.0%} interval coverage {share:.2f}"
        print(line, flush=True)
    print()
    for kind, results in verdicts.items():
        print(
            f"sklrnn {kind}: beats seasonal naive on {sum(b for b, _ in results)} "
            f"of {len(results)} series (target: all); within 10 % of the better "
            f"of ETS/SARIMA on {sum(w for _, w in results)} (target: 3 of 5)."
        )
    for coverage in COVERAGES:
        if pooled[coverage]:
            share = np.mean(pooled[coverage])
            ok = abs(share - coverage) <= TARGET_COVERAGE
            print(
                f"{coverage:.0%} intervals: coverage {share:.3f} over "
                f"{len(pooled[coverage])} forecasts ({'pass' if ok else 'FAIL'})"
            )


if __name__ == "__main__":
    main()

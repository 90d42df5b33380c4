"""The monthly international airline passengers of Box & Jenkins (1976)."""

from importlib import resources

import pandas as pd


def load_airline():
    """Load the monthly totals of international airline passengers, 1949-1960.

    The 144 values (thousands of passengers) of Box, Jenkins and Reinsel's
    series G, the series of the Keras LSTM forecasting tutorial. It ships with
    the package; nothing is downloaded.

    Returns
    -------
    passengers : pandas.Series of shape (144,)
        Monthly totals named ``"passengers"``, indexed by a monthly
        `pandas.PeriodIndex` from 1949-01 to 1960-12.

    References
    ----------
    G. E. P. Box, G. M. Jenkins and G. C. Reinsel, *Time Series Analysis,
    Forecasting and Control*, 3rd ed., Prentice Hall, 1994, series G.

    Examples
    --------
    >>> from sklrnn.datasets import load_airline
    >>> y = load_airline()
    >>> y.head(3)
    1949-01    112
    1949-02    118
    1949-03    132
    Freq: M, Name: passengers, dtype: int64
    >>> len(y), int(y.max())
    (144, 622)
    """
    source = resources.files("sklrnn.datasets") / "data" / "airline_passengers.csv"
    with source.open() as file:
        frame = pd.read_csv(file)
    index = pd.PeriodIndex(frame["Month"], freq="M")
    return pd.Series(
        frame["Passengers"].to_numpy(), index=index, name="passengers"
    ).rename_axis(None)

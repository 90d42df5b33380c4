"""Recurrent neural networks (LSTM, GRU, RNN) as scikit-learn estimators."""

from sklrnn._classifier import SequenceClassifier
from sklrnn._regressor import LSTMRegressor

__version__ = "0.1.0"

__all__ = ["LSTMRegressor", "SequenceClassifier", "__version__"]

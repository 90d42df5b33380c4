"""Recurrent neural networks (LSTM, GRU, RNN) as scikit-learn estimators."""

from sklrnn._classifier import SequenceClassifier
from sklrnn._regressor import LSTMRegressor
from sklrnn._tagger import SequenceTagger

__version__ = "0.1.0"

__all__ = ["LSTMRegressor", "SequenceClassifier", "SequenceTagger", "__version__"]

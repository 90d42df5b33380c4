"""Recurrent neural networks (LSTM, GRU, RNN) as scikit-learn estimators."""

from sklrnn._classifier import SequenceClassifier
from sklrnn._display import ForecastDisplay, TrainingHistoryDisplay
from sklrnn._export import to_onnx
from sklrnn._generator import CharLSTMGenerator
from sklrnn._persistence import load_weights, save_weights
from sklrnn._regressor import LSTMRegressor
from sklrnn._tagger import SequenceTagger

__version__ = "0.1.0"

__all__ = [
    "CharLSTMGenerator",
    "ForecastDisplay",
    "LSTMRegressor",
    "SequenceClassifier",
    "SequenceTagger",
    "TrainingHistoryDisplay",
    "load_weights",
    "save_weights",
    "to_onnx",
    "__version__",
]

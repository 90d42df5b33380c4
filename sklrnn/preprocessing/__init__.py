"""Preprocessing for sequences: windows of a series, scaling, text to token ids."""

from sklrnn.preprocessing._scaler import SequenceScaler
from sklrnn.preprocessing._sliding import SlidingWindowTransformer
from sklrnn.preprocessing._tokenizer import TextTokenizer
from sklrnn.preprocessing._windows import make_windows

__all__ = [
    "SequenceScaler",
    "SlidingWindowTransformer",
    "TextTokenizer",
    "make_windows",
]

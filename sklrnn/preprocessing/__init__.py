"""Preprocessing for sequences: windows of a series and sequence scaling."""

from sklrnn.preprocessing._scaler import SequenceScaler
from sklrnn.preprocessing._sliding import SlidingWindowTransformer
from sklrnn.preprocessing._windows import make_windows

__all__ = ["SequenceScaler", "SlidingWindowTransformer", "make_windows"]

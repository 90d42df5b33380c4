"""Preprocessing for sequences: windowing a series into samples."""

from sklrnn.preprocessing._sliding import SlidingWindowTransformer
from sklrnn.preprocessing._windows import make_windows

__all__ = ["SlidingWindowTransformer", "make_windows"]

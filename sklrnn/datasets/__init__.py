"""Small real and synthetic series for examples and tests."""

from sklrnn.datasets._airline import load_airline
from sklrnn.datasets._cosine import make_cosine

__all__ = ["load_airline", "make_cosine"]

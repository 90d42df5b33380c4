"""Small real and synthetic series, and a text, for examples and tests."""

from sklrnn.datasets._airline import load_airline
from sklrnn.datasets._cosine import make_cosine
from sklrnn.datasets._text import load_text_corpus

__all__ = ["load_airline", "load_text_corpus", "make_cosine"]

"""Text to character columns and back: the codec of `CharLSTMGenerator`.

A fitted generator knows its characters (`vocabulary_`); `CharacterCodec`
turns documents, prompts and held-out text into the integer columns of those
characters, cleaned the same way, and cuts them into training rows.
"""

import numpy as np

from sklrnn.utils._text import PUNCTUATION_TABLE, check_documents

START = 0  # input id read before a sequence's first character; also padding


def as_documents(X):
    """A string is one document; otherwise an iterable of strings."""
    if isinstance(X, str):
        return [X]
    if isinstance(X, bytes):
        raise TypeError("X is bytes; decode it to str first, e.g. X.decode('utf-8').")
    return check_documents(X)


def code_points(text):
    """The characters of ``text`` as an array of Unicode code points."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")


def training_rows(segments, window, ignore_index):
    """The ``(inputs, targets)`` rows of `cut_rows` for training on
    ``segments``; padded targets are ``ignore_index``."""
    return (
        cut_rows(segments, window, as_inputs=True, fill_target=ignore_index),
        cut_rows(segments, window, as_inputs=False, fill_target=ignore_index),
    )


def cut_rows(segments, window, *, as_inputs, fill_target):
    """Cut encoded segments into rows of ``window`` steps.

    Targets (``as_inputs=False``) are the characters themselves, as
    vocabulary columns. Inputs are the character before each target, as input
    ids (column + 1), with `START` before a segment's first character: row
    ``i`` reads ``inputs[i, t]`` and predicts ``targets[i, t]``. A segment's
    last row is padded (`START` in the inputs, ``fill_target`` in the
    targets); rows never cross segments.
    """
    lengths = np.array([len(segment) for segment in segments])
    stream = np.concatenate(segments)
    starts = np.cumsum(lengths) - lengths
    fill = fill_target
    if as_inputs:  # input id of column j is j + 1; 0 is START
        stream = np.concatenate([[START], stream[:-1] + 1])
        stream[starts] = START
        fill = START
    n_rows = -(-lengths // window)
    segment = np.repeat(np.arange(len(segments)), n_rows)
    row_in_segment = np.arange(n_rows.sum()) - (np.cumsum(n_rows) - n_rows)[segment]
    first = starts[segment] + row_in_segment * window
    size = np.minimum(window, lengths[segment] - row_in_segment * window)
    steps = np.arange(window)
    valid = steps < size[:, None]
    index = np.where(valid, first[:, None] + steps, 0)
    return np.where(valid, stream[index], fill).astype(np.int64)


class CharacterCodec:
    """Clean text and map its characters to the columns of a vocabulary.

    Parameters
    ----------
    chars : str or iterable of str
        The vocabulary's characters, in column order (code point order).
    lowercase, strip_punctuation : bool
        Cleaning applied to every text before it is encoded.
    handle_unknown : {"error", "ignore"}
        Raise on characters outside ``chars``, or delete them.
    lines : bool
        Every line (its line break included) is a sequence of its own.

    Examples
    --------
    >>> codec = CharacterCodec("abc", lowercase=True)
    >>> [segment.tolist() for segment in codec.segments(["CAB"], "X")]
    [[2, 0, 1]]
    >>> codec.context("ba").tolist()
    [0, 2, 1]
    """

    def __init__(
        self,
        chars,
        *,
        lowercase=False,
        strip_punctuation=False,
        handle_unknown="error",
        lines=False,
    ):
        self.chars = np.array(list(chars))
        self.lowercase = lowercase
        self.strip_punctuation = strip_punctuation
        self.handle_unknown = handle_unknown
        self.lines = lines
        self._points = code_points("".join(chars))

    def clean(self, text):
        """``text`` lowercased and without punctuation, as configured."""
        if self.lowercase:
            text = text.lower()
        if self.strip_punctuation:
            text = text.translate(PUNCTUATION_TABLE)
        return text

    def clean_documents(self, X):
        """The cleaned documents of ``X`` (a string is one document); refuse
        input with no character to learn from."""
        documents = [self.clean(document) for document in as_documents(X)]
        if not any(documents):
            cleaning = self.lowercase or self.strip_punctuation
            raise ValueError(
                "X has no characters to learn from"
                + (
                    " once lowercase/strip_punctuation are applied."
                    if cleaning
                    else "."
                )
                + " Pass a non-empty text."
            )
        return documents

    def segments(self, documents, what):
        """The documents as vocabulary columns, cut into the independent
        sequences they hold: whole documents, or lines (their line break
        included) with ``lines=True``. Documents are cleaned first; empty
        segments are dropped. ``what`` names the text in errors."""
        segments = []
        for document in documents:
            points = code_points(self.clean(document))
            ends = np.empty(0, dtype=np.intp)
            if self.lines:  # a segment ends after a line break
                ends = np.flatnonzero(points == ord("\n")) + 1
            columns, kept = self.columns(points, what)
            if kept is not None:  # unknown characters deleted: move the ends
                ends = np.cumsum(kept)[ends - 1]
            segments.extend(part for part in np.split(columns, ends) if len(part))
        return segments

    def columns(self, points, what):
        """Map code points to vocabulary columns, per ``handle_unknown``; also
        return the mask of the points kept, or None when all are."""
        known = self._points
        columns = np.minimum(np.searchsorted(known, points), len(known) - 1)
        found = known[columns] == points
        if found.all():
            return columns.astype(np.int64), None
        if self.handle_unknown == "error":
            unknown = sorted({chr(point) for point in points[~found]})
            shown = ", ".join(repr(char) for char in unknown[:20])
            more = f" and {len(unknown) - 20} more" if len(unknown) > 20 else ""
            raise ValueError(
                f"{what} contains {len(unknown)} character(s) that are not in "
                f"vocabulary_: {shown}{more}. Remove them, or set "
                "handle_unknown='ignore' to skip unknown characters."
            )
        return columns[found].astype(np.int64), found

    def context(self, prompt):
        """Input ids the model reads before continuing ``prompt``."""
        prompt = self.clean(prompt)
        if self.lines:  # only the current line matters
            prompt = prompt.rsplit("\n", 1)[-1]
        columns, _ = self.columns(code_points(prompt), "The prompt")
        return np.concatenate([[START], columns + 1])

    def decode(self, columns):
        """The text of vocabulary ``columns``."""
        return "".join(self.chars[columns].tolist())

"""What the text-reading parts share: the token id convention, the
punctuation rule and the check of a list of documents."""

import string
import unicodedata

import numpy as np

PAD_ID = 0  # token id of padding; never a token
OOV_ID = 1  # token id of every token out of the vocabulary


class PunctuationTable(dict):
    """`str.translate` table deleting punctuation, filled in as characters come.

    Punctuation is ASCII punctuation (`string.punctuation`, which includes
    symbols such as ``$`` and ``+``) and every Unicode punctuation category
    (``P*``: ``«``, ``…``, ``¿``, the curly quotes, ...).
    """

    def __missing__(self, codepoint):
        char = chr(codepoint)
        is_punctuation = char in string.punctuation or unicodedata.category(
            char
        ).startswith("P")
        self[codepoint] = None if is_punctuation else codepoint
        return self[codepoint]


PUNCTUATION_TABLE = PunctuationTable()


def check_documents(X):
    """Return the documents of `X` as a list of str, or raise a clear error."""
    if isinstance(X, (str, bytes)) or (
        isinstance(X, np.ndarray) and X.ndim == 0 and isinstance(X.item(), str)
    ):
        raise ValueError(
            "X must be an iterable of documents, got a single string; wrap it "
            "in a list: [X]."
        )
    ndim = getattr(X, "ndim", 1)
    if ndim != 1:
        raise ValueError(
            "X must be a 1-D iterable of documents (strings), got an input with "
            f"{ndim} dimensions. Pass one column of text, e.g. df['text'] for a "
            "DataFrame or X[:, 0] for a 2-D array."
        )
    try:
        documents = list(X)
    except TypeError:
        raise TypeError(
            "X must be an iterable of documents (strings), got an object of "
            f"type {type(X).__name__}."
        ) from None
    if not documents:
        raise ValueError("X is empty: at least one document is needed.")
    for position, document in enumerate(documents):
        if not isinstance(document, str):
            raise TypeError(
                "X must contain only strings, but the document at position "
                f"{position} is of type {type(document).__name__} "
                f"({document!r:.40}). Convert it to str, or drop it (missing "
                "values included) before tokenizing."
            )
    return documents


def rare_token_mask(padded, vocabulary_size, min_sequences):
    """Boolean mask over the ids below ``vocabulary_size``: True for the
    token ids (from 2) found in fewer than ``min_sequences`` rows of the
    padded id array ``padded``.

    Examples
    --------
    >>> import numpy as np
    >>> padded = np.array([[2, 3, 3, 0], [2, 4, 0, 0]])
    >>> np.flatnonzero(rare_token_mask(padded, 6, min_sequences=2)).tolist()
    [3, 4, 5]
    """
    rows = np.broadcast_to(np.arange(len(padded))[:, None], padded.shape)
    pairs = np.unique(rows.ravel() * vocabulary_size + padded.ravel())
    counts = np.bincount(pairs % vocabulary_size, minlength=vocabulary_size)
    is_rare = counts < min_sequences
    is_rare[: OOV_ID + 1] = False
    return is_rare

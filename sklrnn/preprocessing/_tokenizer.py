"""Turn documents into sequences of integer token ids for embedding layers."""

import re
from collections import Counter
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from sklrnn.utils._text import OOV_ID, PAD_ID, PUNCTUATION_TABLE, check_documents

# A word is a run of letters, digits or underscores; any other non-space
# character is a token of its own.
_WORD_PATTERN = re.compile(r"\w+|[^\w\s]")


def _check_id_sequences(X):
    """Return the id sequences of `X` as a list of 1-D integer arrays."""
    if getattr(X, "ndim", None) == 2:
        rows = list(X)
    elif getattr(X, "ndim", None) == 1 and np.asarray(X).dtype != object:
        raise ValueError(
            "inverse_transform expects a list of id sequences (or a padded 2-D "
            "array), got a single 1-D array of ids; wrap it in a list: [ids]."
        )
    else:
        try:
            rows = list(X)
        except TypeError:
            raise TypeError(
                "inverse_transform expects a list of id sequences, got an object "
                f"of type {type(X).__name__}."
            ) from None
    sequences = []
    for position, row in enumerate(rows):
        ids = np.asarray(row)
        if ids.ndim != 1:
            raise ValueError(
                "Each id sequence must be 1-D, but the sequence at position "
                f"{position} has {ids.ndim} dimensions. Pass a list of 1-D "
                "sequences, or a 2-D array padded with PAD_ID."
            )
        if ids.dtype.kind == "f" and np.all(np.isfinite(ids) & (ids == np.round(ids))):
            ids = ids.astype(np.int64)
        if ids.size and ids.dtype.kind not in "iu":
            raise ValueError(
                "Token ids must be integers, but the sequence at position "
                f"{position} has dtype {ids.dtype}."
            )
        sequences.append(ids.astype(np.int64, copy=False))
    return sequences


class TextTokenizer(TransformerMixin, BaseEstimator):
    """Turn each document into a sequence of integer token ids.

    The tokens are the characters (``level="char"``) or the words and
    punctuation marks (``level="word"``) of a document. `fit` builds a
    vocabulary from the documents; `transform` maps every document to a 1-D
    array of ids, ready for an estimator with an embedding layer such as
    ``SequenceClassifier(embedding_dim=...)``.

    Ids follow a fixed convention that the sklrnn estimators rely on:

    - ``0`` (`PAD_ID`) is padding. `transform` never produces it; it is free
      for padding sequences to a common length.
    - ``1`` (`OOV_ID`) is out of vocabulary: every token that is not in
      `vocabulary_`, whether never seen in `fit` or cut by `max_vocab` or
      `min_frequency`.
    - ``2, 3, ...`` are the tokens of `vocabulary_`, most frequent first;
      tokens equally frequent are ordered by their first appearance in the
      documents, so the same documents always give the same ids.

    Parameters
    ----------
    level : {"word", "char"}, default="word"
        What a token is. ``"char"``: every character, spaces and line breaks
        included. ``"word"``: every run of letters, digits and underscores
        (the regular expression ``\\w+``), and every other non-space character
        as a token of its own, so ``"it's late!"`` gives ``["it", "'", "s",
        "late", "!"]``.

    lowercase : bool, default=True
        Whether to lowercase the documents before tokenizing.

    strip_punctuation : bool, default=False
        Whether to delete punctuation before tokenizing, at both levels.
        Punctuation is every character of `string.punctuation` (which
        includes ASCII symbols such as ``$``, ``+`` and ``_``) and every
        character of a Unicode punctuation category (``P*``). Characters are
        deleted, not replaced by a space: ``"don't"`` becomes the word
        ``"dont"``.

    max_vocab : int or None, default=None
        Keep at most this many tokens in the vocabulary, the most frequent
        ones (after `min_frequency`). None keeps all of them.

    min_frequency : int, default=1
        Keep only tokens that occur at least this many times in all the
        documents of `fit` together (counting every occurrence, not the
        number of documents).

    Attributes
    ----------
    vocabulary_ : dict of str to int
        Map from each kept token to its id, from 2 up, most frequent first.
        It holds neither padding nor the out-of-vocabulary id.

    vocabulary_size_ : int
        Number of distinct ids, ``len(vocabulary_) + 2`` (padding and
        out-of-vocabulary included): the number of rows an embedding table
        needs.

    See Also
    --------
    sklearn.feature_extraction.text.CountVectorizer : Turn documents into
        bags of token counts, losing their order.
    sklrnn.SequenceClassifier : Classify sequences, token ids included with
        `embedding_dim`.

    Notes
    -----
    Every document gives a sequence of at least one step: a document with no
    token (empty, only spaces at word level, or only punctuation with
    ``strip_punctuation=True``) gives ``[OOV_ID]``, because recurrent
    estimators cannot read a sequence of length zero.

    `fit` raises a ``ValueError`` when no token is left for the vocabulary
    (every document empty, or `min_frequency` above every token's count).
    Like :class:`~sklearn.feature_extraction.text.CountVectorizer`, the
    tokenizer does not set ``n_features_in_``: its input is a list of
    documents, not a table of features.

    `inverse_transform` maps ids back to tokens, skips padding and writes
    ``OOV_TOKEN`` (``"<unk>"``) for the out-of-vocabulary id. It joins the
    tokens of a sequence with ``""`` at char level, which restores a
    (lowercased, stripped) document exactly when all its characters are in
    the vocabulary, and with ``" "`` at word level, which does not restore
    the original spacing: ``"Hi, Bob!"`` comes back as ``"hi , bob !"``.

    Examples
    --------
    >>> from sklrnn.preprocessing import TextTokenizer
    >>> docs = ["The cat sat.", "The dog sat!", "A cat"]
    >>> tokenizer = TextTokenizer(level="word").fit(docs)
    >>> tokenizer.vocabulary_
    {'the': 2, 'cat': 3, 'sat': 4, '.': 5, 'dog': 6, '!': 7, 'a': 8}
    >>> tokenizer.vocabulary_size_
    9
    >>> tokenizer.transform(["the bird sat", ""])
    [array([2, 1, 4]), array([1])]
    >>> tokenizer.inverse_transform([[2, 1, 4, 0, 0]])
    ['the <unk> sat']
    >>> chars = TextTokenizer(level="char", strip_punctuation=True).fit(docs)
    >>> chars.transform(["Cat!"])
    [array([7, 4, 2])]
    >>> chars.inverse_transform(chars.transform(["Cat!"]))
    ['cat']
    """

    PAD_ID = PAD_ID
    OOV_ID = OOV_ID
    OOV_TOKEN = "<unk>"

    _parameter_constraints: dict = {
        "level": [StrOptions({"word", "char"})],
        "lowercase": ["boolean"],
        "strip_punctuation": ["boolean"],
        "max_vocab": [Interval(Integral, 1, None, closed="left"), None],
        "min_frequency": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        level="word",
        lowercase=True,
        strip_punctuation=False,
        max_vocab=None,
        min_frequency=1,
    ):
        self.level = level
        self.lowercase = lowercase
        self.strip_punctuation = strip_punctuation
        self.max_vocab = max_vocab
        self.min_frequency = min_frequency

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Build the vocabulary from the documents.

        Parameters
        ----------
        X : iterable of str
            The documents: a list, a 1-D array of str or object, a pandas
            Series. A single string is refused.

        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted tokenizer.
        """
        self._fit(self._tokenize_all(X))
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Build the vocabulary and return the documents as token ids.

        Equivalent to ``fit(X).transform(X)``, tokenizing the documents
        only once (so `X` may be a generator).

        Parameters
        ----------
        X : iterable of str
            The documents.

        y : None
            Ignored.

        Returns
        -------
        X_ids : list of ndarray of shape (n_tokens,), dtype int64
            One array of ids per document.
        """
        tokenized = self._tokenize_all(X)
        self._fit(tokenized)
        return self._encode(tokenized)

    def transform(self, X):
        """Map every document to its sequence of token ids.

        Parameters
        ----------
        X : iterable of str
            The documents.

        Returns
        -------
        X_ids : list of ndarray of shape (n_tokens,), dtype int64
            One array of ids per document, at least one id long; tokens not
            in `vocabulary_` get `OOV_ID`.
        """
        check_is_fitted(self)
        return self._encode(self._tokenize_all(X))

    def inverse_transform(self, X):
        """Map sequences of token ids back to text.

        Parameters
        ----------
        X : list of array-like of int, or ndarray of shape (n_samples, length)
            Id sequences, ragged or padded with `PAD_ID`.

        Returns
        -------
        documents : list of str
            One string per sequence: its tokens joined with ``""`` at char
            level and ``" "`` at word level, padding skipped and
            out-of-vocabulary ids written as `OOV_TOKEN`.
        """
        check_is_fitted(self)
        sequences = _check_id_sequences(X)
        tokens = np.empty(self.vocabulary_size_, dtype=object)
        tokens[self.PAD_ID] = ""
        tokens[self.OOV_ID] = self.OOV_TOKEN
        for token, token_id in self.vocabulary_.items():
            tokens[token_id] = token
        separator = "" if self.level == "char" else " "
        documents = []
        for position, ids in enumerate(sequences):
            out_of_range = (ids < 0) | (ids >= self.vocabulary_size_)
            if out_of_range.any():
                raise ValueError(
                    f"Token id {ids[out_of_range][0]} in the sequence at position "
                    f"{position} is out of range: ids go from 0 to "
                    f"{self.vocabulary_size_ - 1} (vocabulary_size_ - 1)."
                )
            documents.append(separator.join(tokens[ids[ids != self.PAD_ID]]))
        return documents

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Documents in, as for CountVectorizer: sklearn's common checks, which
        # use 2-D numeric arrays, do not apply.
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        # The output is int64 ids whatever the input.
        tags.transformer_tags.preserves_dtype = []
        return tags

    def _tokenize(self, document):
        """Return the tokens of one document (a str at char level)."""
        if self.lowercase:
            document = document.lower()
        if self.strip_punctuation:
            document = document.translate(PUNCTUATION_TABLE)
        if self.level == "char":
            return document
        return _WORD_PATTERN.findall(document)

    def _tokenize_all(self, X):
        return [self._tokenize(document) for document in check_documents(X)]

    def _fit(self, tokenized):
        counts = Counter()
        for tokens in tokenized:
            counts.update(tokens)
        # A Counter keeps first-appearance order and the sort is stable, so
        # ties stay in order of first appearance.
        kept = [token for token, count in counts.items() if count >= self.min_frequency]
        kept.sort(key=lambda token: -counts[token])
        if self.max_vocab is not None:
            kept = kept[: self.max_vocab]
        if not kept:
            raise ValueError(
                "The vocabulary is empty: "
                + (
                    "no document has any token."
                    if not counts
                    else f"no token occurs min_frequency={self.min_frequency} "
                    f"times (the most frequent occurs {max(counts.values())} "
                    "times); lower min_frequency."
                )
            )
        first_id = self.OOV_ID + 1
        self.vocabulary_ = {token: i for i, token in enumerate(kept, start=first_id)}
        self.vocabulary_size_ = len(kept) + first_id
        return self

    def _encode(self, tokenized):
        lookup = self.vocabulary_.get
        sequences = []
        for tokens in tokenized:
            if not len(tokens):
                tokens = [None]  # no token: one out-of-vocabulary step
            ids = (lookup(token, self.OOV_ID) for token in tokens)
            sequences.append(np.fromiter(ids, dtype=np.int64, count=len(tokens)))
        return sequences

"""An English text that ships with Python: the corpus of the text examples."""


def load_text_corpus(*, as_documents=False):
    """Load the documentation text that ships with CPython, about 460 KB.

    The text of the interactive help (``help("assert")``, ``help("if")``,
    ...), from the standard library's ``pydoc_data.topics`` module: 79 topics
    of technical English, with some code, about 465,000 characters. It is on
    every machine with Python, so it needs no download. Its exact content
    follows the version of Python.

    Parameters
    ----------
    as_documents : bool, default=False
        Return a list of the topics instead of one string: documents to
        split between training and test, e.g. for grid search.

    Returns
    -------
    text : str or list of str
        The topics, sorted by name, joined by a blank line, or as a list.

    Examples
    --------
    >>> from sklrnn.datasets import load_text_corpus
    >>> text = load_text_corpus()
    >>> len(text) > 100_000
    True
    >>> text[:22]
    'The "assert" statement'
    >>> len(load_text_corpus(as_documents=True)) > 50
    True
    """
    try:
        from pydoc_data.topics import topics
    except ImportError as error:  # some Linux packages split it out
        raise ImportError(
            "load_text_corpus needs the standard library's pydoc_data module, "
            "which this Python installation lacks. Install your distribution's "
            "full Python standard library, or train on any text file instead."
        ) from error
    documents = [topics[name].strip() + "\n" for name in sorted(topics)]
    return documents if as_documents else "\n".join(documents)

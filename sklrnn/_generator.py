"""CharLSTMGenerator: a character-level language model that writes text."""

import math
from numbers import Integral, Real

import numpy as np
from scipy.special import softmax
from sklearn.base import _fit_context
from sklearn.utils import check_random_state, check_scalar
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from sklrnn._engine import _RNNEngine, named_fit, store_init_params
from sklrnn._inference import final_state, last_step_outputs, total_log_likelihood
from sklrnn._modules import IGNORE_INDEX, StepCrossEntropy
from sklrnn._regressor import tail_split
from sklrnn._stepper import cached_stepper
from sklrnn.preprocessing._characters import (
    START,
    CharacterCodec,
    as_documents,
    training_rows,
)
from sklrnn.utils._docstring import fill_doc
from sklrnn.utils._text import check_documents


def _check_count(value, name):
    """A positive int; bools (an Integral to Python) are refused."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int, got the bool {value}.")
    check_scalar(value, name, Integral, min_val=1)


@fill_doc
class CharLSTMGenerator(_RNNEngine):
    """Character-level language model: learns a text, then writes like it.

    A recurrent network reads the text one character at a time and learns to
    predict the next character at every step (many-to-many), from contiguous
    chunks of ``window`` characters. It then generates text one character
    at a time, carrying its hidden state from step to step, scores held-out
    text by its log-likelihood and gives the next-character distribution
    after any prompt.

    Parameters
    ----------
    window : int, default=100
        Characters per training sequence (the length of backpropagation
        through time). Longer texts are cut into chunks of this length.

    sequences : {"chunks", "lines"}, default="chunks"
        What a training sequence is. ``"chunks"``: each document is cut into
        consecutive chunks of ``window`` characters; a document shorter than
        ``window`` (a sentence, say) is one sequence, padded. ``"lines"``:
        each line of each document, its line break included, is a sequence
        of its own (cut into chunks if longer than ``window``), so the
        model learns lines independently of each other; `generate` then
        starts every line afresh after a line break. Padding is masked out
        of the loss in both cases, and a new document (or line) starts from a
        zero state and a start-of-text input, so the model learns how texts
        begin.

    embedding_dim : int, default=32
        Size of the learned vector for each character.

    lowercase : bool, default=False
        Lowercase the text before learning it, and prompts and scored text
        too. Shrinks `vocabulary_`.

    strip_punctuation : bool, default=False
        Delete punctuation from the text, prompts and scored text:
        `string.punctuation` and every Unicode punctuation character (the
        same rule as `~sklrnn.preprocessing.TextTokenizer`).

    handle_unknown : {"error", "ignore"}, default="error"
        What to do with characters that are not in `vocabulary_`, in a
        prompt, in scored text, or in the text of a warm-started `fit`.
        ``"error"`` raises a ``ValueError`` that names them. ``"ignore"``
        deletes them: the text is read as if they were not there, and
        `score` neither reads nor counts them. The model has no
        probability for a character it never saw, so it cannot predict or
        score one.

    hidden_size : int, default=128
        Width of each recurrent layer.

    dropout : float, default=0.0
        Dropout probability on the character vectors that enter the network
        (the tutorials' input dropout) and between recurrent layers.

    max_epochs : int, default=10
        Passes over the training text.

    early_stopping : bool, default=False
        Hold out the last ``validation_fraction`` of the training sequences
        (the end of the text) and stop when the validation loss has not
        improved by ``tol`` for ``n_iter_no_change`` epochs. The weights of
        the best epoch are restored at the end.

    validation_fraction : float, default=0.1
        Share of the training sequences held out when ``early_stopping=True``.

    n_iter_no_change : int, default=3
        Epochs without improvement before early stopping ends training.

    {common_parameters}

    Attributes
    ----------
    vocabulary_ : dict of str to int
        Every character of the training text (after `lowercase` and
        `strip_punctuation`), in code point order, mapped to its column in
        `predict_proba`.

    net_ : skorch.NeuralNet
        The trained skorch net holding the torch module in ``net_.module_``.

    history_ : skorch.History
        One entry per epoch: ``history_[:, "train_loss"]`` (mean negative
        log-likelihood per character, in nats) and, with early stopping,
        ``history_[:, "valid_loss"]``.

    n_iter_ : int
        Number of epochs trained.

    See Also
    --------
    sklrnn.preprocessing.TextTokenizer : Text to token ids, for classifiers.
    sklrnn.SequenceTagger : A label for every step of numeric sequences.

    Notes
    -----
    `score` is the mean log-likelihood per character, in nats (natural log),
    of the text given the model; the training loss is its negative on the
    training chunks. Bits per character are ``-score / ln 2``
    (`bits_per_char`), perplexity is ``exp(-score)``. A model that knows
    nothing scores ``-ln(len(vocabulary_))``.

    `generate` carries the state from one character to the next and runs the
    steps in numpy with the weights laid out once for it, a layout the
    generator keeps for later calls until the next `fit` or a new temperature
    (see ``RecurrentStepper`` in ``sklrnn/_stepper.py``); it runs on the CPU
    whatever the ``device``. It uses its own random generator, never numpy's
    or torch's global one.

    Like :class:`~sklearn.feature_extraction.text.CountVectorizer`, the model
    reads documents, not a table of features: it has no ``n_features_in_``,
    and scikit-learn's common checks, which feed 2-D numeric arrays, do not
    apply to it.

    Examples
    --------
    >>> from sklrnn import CharLSTMGenerator
    >>> text = "the cat sat on the mat. " * 30
    >>> gen = CharLSTMGenerator(hidden_size=32, window=24, max_epochs=30,
    ...                         lr=0.01, random_state=0).fit(text)
    >>> "".join(gen.vocabulary_)
    ' .acehmnost'
    >>> sample = gen.generate(48, prompt="the ", random_state=0)
    >>> len(sample)
    48
    >>> gen.predict(["the cat sat on the m"])
    array(['a'], dtype='<U1')
    >>> gen.bits_per_char(text) < 1.0
    True
    """

    _parameter_constraints: dict = {
        **_RNNEngine._parameter_constraints,
        "window": [Interval(Integral, 1, None, closed="left")],
        "sequences": [StrOptions({"chunks", "lines"})],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "lowercase": ["boolean"],
        "strip_punctuation": ["boolean"],
        "handle_unknown": [StrOptions({"error", "ignore"})],
    }

    def __init__(
        self,
        *,
        window=100,
        sequences="chunks",
        embedding_dim=32,
        lowercase=False,
        strip_punctuation=False,
        handle_unknown="error",
        cell="lstm",
        hidden_size=128,
        num_layers=1,
        dropout=0.0,
        max_epochs=10,
        batch_size=32,
        lr=0.005,
        optimizer="adam",
        gradient_clip=5.0,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=3,
        tol=1e-4,
        device="cpu",
        n_threads=None,
        random_state=None,
        verbose=0,
        callbacks=None,
        warm_start=False,
        net_kwargs=None,
    ):
        store_init_params(self, locals())

    def _codec(self, chars=None):
        """The text codec of this generator's settings and `vocabulary_`."""
        return CharacterCodec(
            self.vocabulary_ if chars is None else chars,
            lowercase=self.lowercase,
            strip_punctuation=self.strip_punctuation,
            handle_unknown=self.handle_unknown,
            lines=self.sequences == "lines",
        )

    # Training ---------------------------------------------------------------

    @named_fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the characters of a text and how they follow each other.

        Parameters
        ----------
        X : str or iterable of str
            The training text: one string, or documents (a list, a 1-D array,
            a pandas Series), each learned from its own start.

        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted generator.
        """
        reuse = self.warm_start and hasattr(self, "net_")
        with self._fitting():
            segments = self._learn_segments(X, learn_vocabulary=not reuse)
            inputs, targets = training_rows(segments, self.window, IGNORE_INDEX)
            self.__dict__.pop("_stepper_cache", None)  # the weights will change
            return self._train(inputs, targets, reuse)

    def _learn_segments(self, X, learn_vocabulary):
        """Check the documents; return their segments as vocabulary columns.

        ``learn_vocabulary=True`` learns `vocabulary_` from them first.
        """
        documents = self._codec(chars="").clean_documents(X)
        if learn_vocabulary:
            chars = sorted(set().union(*documents))
            self.vocabulary_ = {char: column for column, char in enumerate(chars)}
        what = "X (warm_start=True keeps the first fit's vocabulary_)"
        segments = self._codec().segments(documents, what)
        if not segments:
            raise ValueError("X has no characters of vocabulary_ to learn from.")
        return segments

    def _module_params(self):
        n_chars = len(self.vocabulary_)
        return {
            "module__input_size": int(self.embedding_dim),
            "module__output_size": n_chars,
            "module__cell": self.cell,
            "module__hidden_size": int(self.hidden_size),
            "module__num_layers": int(self.num_layers),
            "module__dropout": float(self.dropout),
            "module__pooling": None,
            "module__num_embeddings": n_chars + 1,  # + START
            "module__embedding_dim": int(self.embedding_dim),
        }

    def _criterion(self, y_encoded):
        return StepCrossEntropy, {"ignore_index": IGNORE_INDEX}

    def _validation_split(self, n_samples, y, seed):
        # The end of the text, as for a series: neighbouring chunks share
        # their context, so a shuffled hold-out would be optimistic.
        return tail_split(n_samples, self.validation_fraction)

    # Inference --------------------------------------------------------------

    def _next_logits(self, X):
        """Logits of the next character after each prompt of ``X``."""
        check_is_fitted(self)
        codec = self._codec()
        contexts = [codec.context(prompt) for prompt in check_documents(X)]
        return last_step_outputs(self.net_, contexts, self.n_threads)

    def predict_proba(self, X):
        """Probability of each character coming next, after each prompt.

        Parameters
        ----------
        X : iterable of str
            Prompts (a list, not a single string). Each is cleaned like the
            training text; an empty prompt gives the distribution of a
            text's first character.

        Returns
        -------
        proba : ndarray of shape (n_prompts, ``len(vocabulary_)``)
            Columns in the order of `vocabulary_`.
        """
        return softmax(self._next_logits(X), axis=1)

    def predict(self, X):
        """Most likely next character after each prompt.

        Parameters
        ----------
        X : iterable of str
            Prompts (a list, not a single string).

        Returns
        -------
        chars : ndarray of shape (n_prompts,) of str
            One character per prompt.
        """
        logits = self._next_logits(X)
        return self._codec().chars[np.argmax(logits, axis=1)]

    def score(self, X, y=None):
        """Mean log-likelihood per character of a text, in nats.

        Every character is predicted from all the characters before it in
        its document (its line with ``sequences="lines"``), starting from the
        start of the document. Higher is better, and 0 is perfect; the
        negative is the cross-entropy of the training loss. Grid search can
        tune the generator with it, without labels.

        Parameters
        ----------
        X : str or iterable of str
            Held-out text: one string, or documents.

        y : None
            Ignored.

        Returns
        -------
        score : float
            Sum of ``log p(character | characters before)`` divided by the
            number of characters. ``-score / ln 2`` is the bits per
            character, ``exp(-score)`` the perplexity.
        """
        check_is_fitted(self)
        segments = self._codec().segments(as_documents(X), "X")
        if not segments:
            raise ValueError("X has no characters to score.")
        inputs = [np.r_[START, segment[:-1] + 1] for segment in segments]
        total = total_log_likelihood(self.net_, inputs, segments, self.n_threads)
        n_chars = sum(len(segment) for segment in segments)
        return total / n_chars

    def bits_per_char(self, X):
        """Bits per character of a text: ``-score(X) / ln 2``; lower is better.

        Parameters
        ----------
        X : str or iterable of str
            Held-out text.

        Returns
        -------
        bits : float
            The average number of bits the model needs per character.
        """
        return -self.score(X) / math.log(2)

    def generate(
        self, n_chars=500, prompt=None, temperature=1.0, random_state=None, top_k=None
    ):
        """Write ``n_chars`` new characters, one at a time.

        The model reads the prompt once, then draws each character from its
        predicted distribution and reads it back, carrying its state: one
        step per character, never re-reading a window.

        Parameters
        ----------
        n_chars : int, default=500
            Number of characters to write, prompt not included.

        prompt : str or None, default=None
            Text to continue, cleaned like the training text. None or ``""``
            starts a new text (with ``sequences="lines"``, a new line; only
            the prompt's last line is read).

        temperature : float, default=1.0
            Divides the logits before sampling: below 1 the text is more
            predictable and repetitive, above 1 more varied and erratic.

        random_state : int, RandomState instance or None, default=None
            Seeds the sampling: the same int gives the same text. None draws
            fresh randomness; numpy's and torch's global generators are never
            used or changed.

        top_k : int or None, default=None
            Draw only among the ``top_k`` most likely characters at each step.

        Returns
        -------
        text : str
            Exactly ``n_chars`` characters of `vocabulary_`.
        """
        check_is_fitted(self)
        _check_count(n_chars, "n_chars")
        check_scalar(
            temperature, "temperature", Real, min_val=0, include_boundaries="neither"
        )
        if not np.isfinite(temperature):
            raise ValueError(
                f"temperature must be a finite number > 0, got {temperature}."
            )
        # Below this, dividing the float32 output weights would overflow; the
        # sampling is already greedy there.
        temperature = max(float(temperature), 1e-6)
        if top_k is not None:
            _check_count(top_k, "top_k")
        if prompt is not None and not isinstance(prompt, str):
            raise TypeError(
                f"prompt must be a str or None, got {type(prompt).__name__}."
            )
        codec = self._codec()
        context = codec.context(prompt or "")
        rng = (
            np.random.RandomState()
            if random_state is None
            else check_random_state(random_state)
        )
        restart = self.vocabulary_.get("\n") if self.sequences == "lines" else None
        state = final_state(self.net_, context, self.n_threads)
        with cached_stepper(self, temperature) as stepper:
            stepper.load_state(state)
            columns = stepper.sample(
                n_chars,
                rng,
                inputs_of_outputs=np.arange(len(self.vocabulary_)) + 1,
                top_k=top_k,
                restart_output=restart,
                restart_input=START,
            )
        return codec.decode(columns)

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_stepper_cache", None)  # rebuilt on demand; holds closures
        return state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Documents in, as for CountVectorizer: scikit-learn's common checks,
        # which use 2-D numeric arrays, do not apply.
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = False
        return tags

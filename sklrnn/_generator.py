"""CharLSTMGenerator: a character-level language model that writes text."""

import contextlib
import math
import re
from numbers import Integral, Real

import numpy as np
import torch
from scipy.special import softmax
from sklearn.base import _fit_context
from sklearn.utils import check_random_state, check_scalar
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from sklrnn._base import _BaseRNN
from sklrnn._modules import StepCrossEntropy
from sklrnn._regressor import tail_split
from sklrnn._stepper import cached_stepper
from sklrnn.preprocessing._tokenizer import _PUNCTUATION_TABLE, _check_documents
from sklrnn.utils._docstring import COMMON_PARAMETERS
from sklrnn.utils._torch import torch_context
from sklrnn.utils._validation import named_fit

START = 0  # input id read before a sequence's first character; also padding
IGNORE = -100  # StepCrossEntropy's ignore_index: padded steps
STEP_BUDGET = 2**16  # sequences x steps per torch call at inference


def _as_documents(X):
    """A string is one document; otherwise an iterable of strings."""
    if isinstance(X, str):
        return [X]
    if isinstance(X, bytes):
        raise TypeError("X is bytes; decode it to str first, e.g. X.decode('utf-8').")
    return _check_documents(X)


def _code_points(text):
    """The characters of ``text`` as an array of Unicode code points."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")


def _check_count(value, name):
    """A positive int; bools (an Integral to Python) are refused."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int, got the bool {value}.")
    check_scalar(value, name, Integral, min_val=1)


def _cut(segments, window, as_inputs):
    """Cut encoded segments into rows of ``window`` steps.

    Targets (``as_inputs=False``) are the characters themselves, as
    vocabulary columns. Inputs are the character before each target, as input
    ids (column + 1), with `START` before a segment's first character: row
    ``i`` reads ``inputs[i, t]`` and predicts ``targets[i, t]``. A segment's
    last row is padded (`START` in the inputs, `IGNORE` in the targets); rows
    never cross segments.
    """
    lengths = np.array([len(segment) for segment in segments])
    stream = np.concatenate(segments)
    starts = np.cumsum(lengths) - lengths
    fill = IGNORE
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


def _pad(rows, fill):
    """Right-pad 1-D int arrays into one 2-D array."""
    out = np.full((len(rows), max(len(row) for row in rows)), fill, dtype=np.int64)
    for out_row, row in zip(out, rows):
        out_row[: len(row)] = row
    return out


def _batches(lengths):
    """Indices of sequences grouped by similar length, each group at most
    `STEP_BUDGET` padded steps (or one sequence)."""
    order = np.argsort(lengths, kind="stable")
    batch, longest = [], 0
    for i in order:
        if batch and max(longest, lengths[i]) * (len(batch) + 1) > STEP_BUDGET:
            yield batch
            batch, longest = [], 0
        batch.append(i)
        longest = max(longest, lengths[i])
    yield batch


def _shared_parameters(doc):
    """Replace each ``{shared:name}`` in ``doc`` with the common parameter text."""
    entries = {}
    for entry in COMMON_PARAMETERS.split("\n\n"):
        entry = entry.strip()
        entries[entry.split(" :")[0]] = entry
    return re.sub(r"\{shared:(\w+)\}", lambda match: entries[match[1]], doc)


class CharLSTMGenerator(_BaseRNN):
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

    {shared:cell}

    hidden_size : int, default=128
        Width of each recurrent layer.

    {shared:num_layers}

    dropout : float, default=0.0
        Dropout probability on the character vectors that enter the network
        (the tutorials' input dropout) and between recurrent layers.

    max_epochs : int, default=10
        Passes over the training text.

    {shared:batch_size}

    {shared:lr}

    {shared:optimizer}

    {shared:gradient_clip}

    early_stopping : bool, default=False
        Hold out the last ``validation_fraction`` of the training sequences
        (the end of the text) and stop when the validation loss has not
        improved by ``tol`` for ``n_iter_no_change`` epochs. The weights of
        the best epoch are restored at the end.

    validation_fraction : float, default=0.1
        Share of the training sequences held out when ``early_stopping=True``.

    n_iter_no_change : int, default=3
        Epochs without improvement before early stopping ends training.

    {shared:tol}

    {shared:device}

    {shared:n_threads}

    {shared:random_state}

    {shared:verbose}

    {shared:callbacks}

    {shared:warm_start}

    {shared:net_kwargs}

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
    steps in numpy with the weights laid out once for it, a layout kept for
    later calls until the weights or the temperature change (see
    ``RecurrentStepper`` in ``sklrnn/_stepper.py``); it runs on the CPU
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
        **{
            name: constraint
            for name, constraint in _BaseRNN._parameter_constraints.items()
            if name != "bidirectional"  # a generator reads only the past
        },
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
        # No bidirectional parameter, so the base's __init__ is not called.
        self.window = window
        self.sequences = sequences
        self.embedding_dim = embedding_dim
        self.lowercase = lowercase
        self.strip_punctuation = strip_punctuation
        self.handle_unknown = handle_unknown
        self.cell = cell
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.dropout = dropout
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.gradient_clip = gradient_clip
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.device = device
        self.n_threads = n_threads
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.warm_start = warm_start
        self.net_kwargs = net_kwargs

    # Text -------------------------------------------------------------------

    def _clean(self, text):
        if self.lowercase:
            text = text.lower()
        if self.strip_punctuation:
            text = text.translate(_PUNCTUATION_TABLE)
        return text

    def _encode_segments(self, documents, what):
        """The (cleaned) documents as vocabulary columns, cut into the
        independent sequences they hold: whole documents, or lines (their
        line break included) with ``sequences="lines"``. Empty ones dropped."""
        known = self._code_points()
        segments = []
        for document in documents:
            points = _code_points(document)
            ends = np.empty(0, dtype=np.intp)
            if self.sequences == "lines":  # a segment ends after a line break
                ends = np.flatnonzero(points == ord("\n")) + 1
            columns, kept = self._encode(points, what, known)
            if kept is not None:  # unknown characters deleted: move the ends
                ends = np.cumsum(kept)[ends - 1]
            segments.extend(part for part in np.split(columns, ends) if len(part))
        return segments

    def _encode(self, points, what, known):
        """Map code points to `vocabulary_` columns (code points ``known``),
        per ``handle_unknown``; also return the mask of the points kept, or
        None when all are."""
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

    def _code_points(self):
        return _code_points("".join(self.vocabulary_))

    def _context(self, prompt):
        """Input ids the model reads before continuing ``prompt``."""
        prompt = self._clean(prompt)
        if self.sequences == "lines":  # only the current line matters
            prompt = prompt.rsplit("\n", 1)[-1]
        columns, _ = self._encode(
            _code_points(prompt), "The prompt", self._code_points()
        )
        return np.concatenate([[START], columns + 1])

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
        segments = self._validate_input(X, reset=not reuse)
        targets, _ = self._encode_target(y, segments)
        inputs = _cut(segments, self.window, as_inputs=True)
        return self._train(inputs, targets, reuse)

    def _validate_input(self, X, reset):
        """Check the documents; return their segments as vocabulary columns.

        ``reset=True`` learns `vocabulary_` from them first.
        """
        documents = [self._clean(document) for document in _as_documents(X)]
        if not any(documents):
            raise ValueError(
                "X has no characters to learn from"
                + (
                    " once lowercase/strip_punctuation are applied."
                    if self.lowercase or self.strip_punctuation
                    else "."
                )
                + " Pass a non-empty text."
            )
        if reset:
            chars = sorted(set().union(*documents))
            self.vocabulary_ = {char: column for column, char in enumerate(chars)}
        what = "X (warm_start=True keeps the first fit's vocabulary_)"
        segments = self._encode_segments(documents, what)
        if not segments:
            raise ValueError("X has no characters of vocabulary_ to learn from.")
        return segments

    def _encode_target(self, y, inputs):
        """The target of every step is the next character; ``y`` is ignored."""
        return _cut(inputs, self.window, as_inputs=False), len(self.vocabulary_)

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

    def _criterion(self):
        return StepCrossEntropy, {"ignore_index": IGNORE}

    def _validation_split(self, n_samples, y, seed):
        # The end of the text, as for a series: neighbouring chunks share
        # their context, so a shuffled hold-out would be optimistic.
        return tail_split(n_samples, self.validation_fraction)

    # Inference --------------------------------------------------------------

    @contextlib.contextmanager
    def _eval_module(self):
        """The torch module in eval mode, without gradients, seeds untouched."""
        check_is_fitted(self)
        module = self.net_.module_
        was_training = module.training
        module.eval()
        try:
            context = torch_context(device=self.net_.device, n_threads=self.n_threads)
            with context, torch.inference_mode():
                yield module
        finally:
            module.train(was_training)

    def _read(self, module, rows):
        """Run padded input ids through the recurrent layers, a slice of steps
        at a time carrying the state; yield ``(first_step, outputs, state)``."""
        x = torch.as_tensor(rows, device=self.net_.device)
        size = max(1, STEP_BUDGET // len(x))
        state = None
        for start in range(0, x.shape[1], size):
            outputs, state = module.rnn(
                module.embedding(x[:, start : start + size]), state
            )
            yield start, outputs, state

    def _chars(self):
        return np.array(list(self.vocabulary_))

    def _next_logits(self, X):
        """Logits of the next character after each prompt of ``X``."""
        with self._eval_module() as module:
            contexts = [self._context(prompt) for prompt in _check_documents(X)]
            last = np.array([len(context) for context in contexts]) - 1
            logits = np.empty((len(contexts), len(self.vocabulary_)))
            for batch in map(np.array, _batches(last + 1)):
                padded = _pad([contexts[i] for i in batch], START)
                for start, outputs, _ in self._read(module, padded):
                    here = np.flatnonzero(
                        (last[batch] >= start)
                        & (last[batch] < start + outputs.shape[1])
                    )
                    steps = outputs[here, last[batch][here] - start]
                    logits[batch[here]] = module.head(steps).cpu().double().numpy()
        return logits

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
        return self._chars()[np.argmax(logits, axis=1)]

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
        documents = [self._clean(document) for document in _as_documents(X)]
        segments = self._encode_segments(documents, "X")
        if not segments:
            raise ValueError("X has no characters to score.")
        lengths = np.array([len(segment) for segment in segments])
        total = 0.0
        with self._eval_module() as module:
            for batch in _batches(lengths):
                chosen = [segments[i] for i in batch]
                inputs = _pad([np.r_[START, seg[:-1] + 1] for seg in chosen], START)
                targets = torch.as_tensor(_pad(chosen, IGNORE), device=self.net_.device)
                for start, outputs, _ in self._read(module, inputs):
                    target = targets[:, start : start + outputs.shape[1]]
                    log_proba = torch.log_softmax(module.head(outputs), dim=-1)
                    picked = log_proba.gather(-1, target.clamp(min=0)[..., None])
                    total += picked[..., 0][target != IGNORE].double().sum().item()
        return total / int(lengths.sum())

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
        context = self._context(prompt or "")
        rng = (
            np.random.RandomState()
            if random_state is None
            else check_random_state(random_state)
        )
        restart = self.vocabulary_.get("\n") if self.sequences == "lines" else None
        with (
            self._eval_module() as module,
            cached_stepper(module, temperature) as stepper,
        ):
            *_, (_, _, state) = self._read(module, context[None])
            stepper.load_state(state)
            columns = stepper.sample(
                n_chars,
                rng,
                inputs_of_outputs=np.arange(len(self.vocabulary_)) + 1,
                top_k=top_k,
                restart_output=restart,
                restart_input=START,
            )
        return "".join(self._chars()[columns].tolist())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Documents in, as for CountVectorizer: scikit-learn's common checks,
        # which use 2-D numeric arrays, do not apply.
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = False
        return tags


CharLSTMGenerator.__doc__ = _shared_parameters(CharLSTMGenerator.__doc__)

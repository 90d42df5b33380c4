"""Parameter text shared by every estimator's docstring, written once."""

import inspect
import re

COMMON_PARAMETERS = """\
cell : {"lstm", "gru", "rnn"}, default="lstm"
        Recurrent cell. ``"rnn"`` is the plain tanh (Elman) cell.

    hidden_size : int, default=32
        Width of each recurrent layer.

    num_layers : int, default=1
        Number of stacked recurrent layers.

    bidirectional : bool, default=False
        Read every sequence forwards and backwards.

    dropout : float, default=0.0
        Dropout probability on the inputs and between recurrent layers.

    max_epochs : int, default=100
        Passes over the training data.

    batch_size : int, default=32
        Sequences per minibatch.

    lr : float, default=0.005
        Learning rate.

    optimizer : {"adam", "adamw", "sgd", "rmsprop", "adagrad"} or \
torch.optim.Optimizer class, default="adam"
        Optimizer by name, or a class called as ``optimizer(params, lr=lr)``.

    gradient_clip : float or None, default=5.0
        Clip the gradient norm at this value; None turns clipping off.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data and stop when
        the validation loss has not improved by ``tol`` for
        ``n_iter_no_change`` epochs. The weights of the best epoch are
        restored at the end.

    validation_fraction : float, default=0.1
        Share of the training data held out when ``early_stopping=True``.

    n_iter_no_change : int, default=10
        Epochs without improvement before early stopping ends training.

    tol : float, default=1e-4
        Relative improvement of the validation loss that counts.

    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where to train and predict. ``"auto"`` takes a GPU when torch sees one.

    n_threads : int or None, default=None
        torch threads for this estimator's training and prediction, set only
        for their duration. None takes one thread when a time step is small
        (its recurrent product, batch size x gates x ``hidden_size`` squared,
        under about a quarter of a million multiply-adds for an LSTM, two
        million for training a GRU or RNN), where a second thread gains
        nothing and loses much when another process shares the cores;
        otherwise the cores other processes leave free, at most
        ``OMP_NUM_THREADS`` (joblib's and Dask's workers set it to their
        share), checked again at every epoch.

    random_state : int, RandomState instance or None, default=None
        Seeds the weights, shuffling, dropout and the validation split. Pass an
        int for the same model, and the same predictions, on every call.

    verbose : int, default=0
        0 is silent; 1 shows a progress bar and a line per epoch.

    callbacks : list of skorch callbacks or None, default=None
        Extra callbacks passed to the skorch net, e.g. ``Checkpoint``.

    warm_start : bool, default=False
        Keep the weights of the previous call to ``fit`` and train further,
        with the current ``max_epochs``, ``batch_size`` and ``lr``.

    net_kwargs : dict or None, default=None
        Further arguments for the underlying `skorch.NeuralNet`, e.g.
        ``{"optimizer__weight_decay": 1e-4}``."""

COMMON_ATTRIBUTES = """\
net_ : skorch.NeuralNet
        The trained skorch net holding the torch module in ``net_.module_``.

    history_ : skorch.History
        One entry per epoch: ``history_[:, "train_loss"]`` and, with early
        stopping, ``history_[:, "valid_loss"]``.

    n_iter_ : int
        Number of epochs trained.

    n_features_in_ : int
        Columns of a 2-D table seen in ``fit``, or features per time step for
        3-D and ragged input.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` was a DataFrame with string column names."""


def _format_default(value):
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, float) and 0 < abs(value) < 1e-3:
        return f"{value:.0e}".replace("e-0", "e-")  # 1e-4, not 0.0001
    return repr(value)


def _with_defaults(text, defaults):
    """``text`` with each entry's ``default=...`` set to the class's own default,
    so a subclass that changes a default documents the value it uses."""

    def entry_default(match):
        indent, name, kind = match.groups()
        if name not in defaults:
            return match.group(0)
        return f"{indent}{name} :{kind}default={_format_default(defaults[name])}"

    return re.sub(r"^( *)(\w+) :(.*?)default=.*$", entry_default, text, flags=re.M)


def fill_doc(cls):
    """Insert the shared parameter and attribute text into a class docstring,
    with the defaults of the class's own constructor."""
    defaults = {
        name: parameter.default
        for name, parameter in inspect.signature(cls.__init__).parameters.items()
        if parameter.default is not inspect.Parameter.empty
    }
    # A class that documents a common parameter itself (say, a different
    # type) keeps its own entry; one that lacks a parameter drops it.
    own = set(re.findall(r"^    (\w+) :", cls.__doc__, flags=re.M))
    entries = COMMON_PARAMETERS.split("\n\n    ")
    kept = [
        entry
        for entry in entries
        if entry.split(" :")[0] not in own and entry.split(" :")[0] in defaults
    ]
    parameters = _with_defaults("\n\n    ".join(kept), defaults)
    cls.__doc__ = cls.__doc__.replace("{common_parameters}", parameters).replace(
        "{common_attributes}", COMMON_ATTRIBUTES
    )
    return cls

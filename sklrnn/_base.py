"""The sequence estimators' common part: numeric or token sequences in.

`_BaseRNN` adds to the training engine what the regressor, the classifier
and the tagger share: the ``bidirectional`` parameter, `fit` on sequences
``X`` and targets ``y``, and validated input for prediction. Subclasses say
how their target is encoded and how predictions are decoded.
"""

from abc import abstractmethod

from sklearn.base import _fit_context
from sklearn.utils.validation import check_consistent_length, check_is_fitted

from sklrnn._engine import _RNNEngine, named_fit, store_init_params
from sklrnn.utils._dataset import first_array
from sklrnn.utils._validation import pad_sequences, validate_sequences


class _BaseRNN(_RNNEngine):
    """Sequences in: validation, `fit` and the forward pass of the estimators
    that read numeric or token sequences."""

    _parameter_constraints: dict = {
        **_RNNEngine._parameter_constraints,
        "bidirectional": ["boolean"],
    }

    def __init__(
        self,
        *,
        cell="lstm",
        hidden_size=32,
        num_layers=1,
        bidirectional=False,
        dropout=0.0,
        max_epochs=100,
        batch_size=32,
        lr=0.005,
        optimizer="adam",
        gradient_clip=5.0,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
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

    @abstractmethod
    def _encode_target(self, y, inputs):
        """Check ``y`` against the net's ``inputs``, learn its encoding and
        return ``(y_encoded, n_outputs)``."""

    @named_fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the network on sequences ``X`` and targets ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
(n_samples, n_timesteps, n_features), or list of array-like
            Training sequences: univariate rows, 3-D sequences of vectors, a
            DataFrame of lag columns, or a ragged list of 2-D arrays.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        reuse = self.warm_start and hasattr(self, "net_")
        previous = (
            getattr(self, "_n_step_features", None),
            getattr(self, "_n_outputs", None),
        )
        with self._fitting():
            inputs = self._validate_input(X, reset=True)
            check_consistent_length(first_array(inputs), y)
            y_encoded, n_outputs = self._encode_target(y, inputs)
            if reuse and previous != (self._n_step_features, n_outputs):
                raise ValueError(
                    "warm_start=True but the data's shape differs from the "
                    "previous fit; set warm_start=False to train a new network."
                )
            self._n_outputs = n_outputs
            return self._train(inputs, y_encoded, reuse)

    def _module_params(self):
        # int()/bool()/float(): numpy scalars (a grid built with np.arange)
        # pass the constraints but not torch's argument checks.
        return {
            "module__input_size": int(self._n_step_features),
            "module__output_size": int(self._n_outputs),
            "module__cell": self.cell,
            "module__hidden_size": int(self.hidden_size),
            "module__num_layers": int(self.num_layers),
            "module__bidirectional": bool(self.bidirectional),
            "module__dropout": float(self.dropout),
        }

    def _validate_input(self, X, reset):
        """Check ``X``; return what the net is fed: an array, or a dict of
        padded steps ``x`` and their ``lengths`` for ragged input."""
        sequences = validate_sequences(self, X, reset=reset)
        if isinstance(sequences, list):
            padded, lengths = pad_sequences(sequences)
            return {"x": padded, "lengths": lengths}
        return sequences

    # Inference ---------------------------------------------------------------

    def _forward(self, X):
        """Validate ``X`` and return the network's raw outputs as float64."""
        return self._infer(X)[0]

    def _infer(self, X):
        """Return the raw outputs (float64) and the validated net inputs."""
        check_is_fitted(self, "net_")
        inputs = self._validate_input(X, reset=False)
        return self._predict_outputs(inputs), inputs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags

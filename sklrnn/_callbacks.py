"""skorch callbacks sklrnn adds to every net."""

import math

from skorch.callbacks import Callback

#: An epoch's training loss above this many times its start is divergence.
EXPLOSION_FACTOR = 1e3


class TrainingDiverged(Exception):
    """Raised inside the training loop when the loss stops being finite or
    explodes; its arguments are ``(loss, epoch, start)``."""


class DivergenceGuard(Callback):
    """End training at the first epoch whose training loss has blown up.

    The loss has blown up when it is NaN or infinite, or when the epoch's mean
    training loss exceeds ``1000 * max(start, 1)``, where ``start`` is the
    loss of the first training batch of the current ``fit``: the loss of the
    weights this ``fit`` started from, before any update (for a warm start,
    the weights of the previous fit, not those of its first epoch). The floor
    of 1 is the scale of sklrnn's losses for a model that has learned nothing
    (standardised squared error of predicting the mean, about 1;
    cross-entropy of guessing, log of the number of classes), so a loss near
    0, e.g. of a warm start on a target already fit perfectly, may grow a
    thousandfold without counting. The check is per epoch, on the mean of its
    batches, so that one outlying batch does not count; a far too large
    learning rate passes both bounds within the first epoch, where the loss
    typically jumps from about 1 to 1e6 or more.

    Continuing would only spread NaN through every weight, or leave a model
    with weights of no use; the estimator turns the exception into an error
    that names the likely causes.
    """

    def on_train_begin(self, net, **kwargs):
        self.first_epoch_ = len(net.history)

    def on_epoch_end(self, net, **kwargs):
        loss = net.history[-1].get("train_loss", 0.0)
        start = self._start(net)
        limit = EXPLOSION_FACTOR * max(start, 1.0)
        if not math.isfinite(loss) or loss > limit:
            raise TrainingDiverged(loss, len(net.history), start)

    def _start(self, net):
        """The loss of the first training batch of the current fit."""
        first_epoch = getattr(self, "first_epoch_", len(net.history) - 1)
        for batch in net.history[first_epoch].get("batches", []):
            if "train_loss" in batch:
                return float(batch["train_loss"])
        return math.inf

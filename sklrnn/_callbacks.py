"""skorch callbacks sklrnn adds to every net."""

import math

from skorch.callbacks import Callback


class TrainingDiverged(Exception):
    """Raised inside the training loop when the loss stops being finite."""


class DivergenceGuard(Callback):
    """End training at the first epoch whose training loss is NaN or infinite.

    Continuing would only spread NaN through every weight; the estimator turns
    the exception into an error that names the likely causes.
    """

    def on_epoch_end(self, net, **kwargs):
        loss = net.history[-1].get("train_loss", 0.0)
        if not math.isfinite(loss):
            raise TrainingDiverged(loss, len(net.history))

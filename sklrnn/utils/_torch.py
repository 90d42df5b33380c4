"""The one place that touches torch's process-wide state: seeds, devices, optimizers.

Everything here is scoped: `torch_context` sets the random seed and flushes
denormals only for the duration of sklrnn's own work, then restores what the
user had.
"""

import contextlib

import numpy as np
import torch
from sklearn.utils import check_random_state

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
    "adagrad": torch.optim.Adagrad,
}


def seed_from_random_state(random_state):
    """Draw a torch seed from ``random_state`` the scikit-learn way.

    An int always gives the same seed; a `~numpy.random.RandomState` advances;
    None draws from numpy's global generator.

    Examples
    --------
    >>> seed_from_random_state(0) == seed_from_random_state(0)
    True
    """
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def resolve_device(device):
    """Map ``"auto"`` to the best device; refuse ``"cuda"`` without a GPU."""
    has_cuda = torch.cuda.is_available()
    if device == "auto":
        return "cuda" if has_cuda else "cpu"
    if device.startswith("cuda") and not has_cuda:
        raise ValueError(
            f"device={device!r} but torch finds no CUDA device on this machine. "
            "Use device='cpu', or device='auto' to take a GPU when there is one."
        )
    return device


def resolve_optimizer(optimizer):
    """Return the optimizer class for a name or pass a class through."""
    if isinstance(optimizer, str):
        return OPTIMIZERS[optimizer]
    return optimizer


def _denormals_flushed():
    # torch has no getter for the flush-to-zero mode: a float32 subnormal
    # times one comes out as zero only when denormals are flushed.
    tiny = torch.tensor([1e-40], dtype=torch.float32)
    return bool((tiny * 1.0).item() == 0.0)


@contextlib.contextmanager
def torch_context(seed=None, device="cpu"):
    """Seed torch and flush denormals for the block, then restore both.

    Long tanh recurrences spend most of their CPU time on denormal numbers
    unless they are flushed to zero; flushing halves training time and does not
    change results at float32 precision that matters here. The user's RNG
    state and flush mode are put back on exit.

    Examples
    --------
    >>> import torch
    >>> with torch_context(seed=0):
    ...     a = torch.rand(1)
    >>> with torch_context(seed=0):
    ...     b = torch.rand(1)
    >>> bool(a == b)
    True
    """
    devices = [torch.cuda.current_device()] if str(device).startswith("cuda") else []
    was_flushed = _denormals_flushed()
    with torch.random.fork_rng(devices=devices):
        if seed is not None:
            torch.manual_seed(seed)
        torch.set_flush_denormal(True)
        try:
            yield
        finally:
            torch.set_flush_denormal(was_flushed)

"""The one place that touches torch's process-wide state: seeds, devices, optimizers.

Everything here is scoped: `torch_context` sets the random seed and flushes
denormals only for the duration of sklrnn's own work, then restores what the
user had.
"""

import contextlib
import threading

import numpy as np
import torch
from sklearn.utils import check_random_state

from sklrnn.utils._threads import choose_threads, cores_share

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
def torch_context(seed=None, device="cpu", n_threads=None, size=0.0):
    """Seed torch, set its threads and flush denormals for the block, then
    restore all three.

    Long tanh recurrences spend most of their CPU time on denormal numbers
    unless they are flushed to zero; flushing halves training time and does not
    change results at float32 precision that matters here. Only the calling
    thread flushes: torch's other intra-op threads keep the user's mode, so
    the gain is partial with several threads. torch's thread count is
    process-wide, so it is set only here: ``n_threads``, or with None the
    choice of `sklrnn.utils._threads.choose_threads` for a time step of
    ``size`` (training leaves the choice to the `ShareCores` callback, which
    knows the network). The user's RNG state, thread count and flush mode
    are put back on exit.

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
    with _TORCH_STATE, torch.random.fork_rng(devices=devices):
        was_flushed = _denormals_flushed()
        previous_threads = torch.get_num_threads()
        threads = choose_threads(n_threads, size)
        # Training may take more threads at a later epoch (ShareCores): start
        # the pool it may grow to now, before denormals are flushed.
        _start_thread_pool(threads if n_threads is not None else cores_share())
        if threads != torch.get_num_threads():
            torch.set_num_threads(threads)
        if seed is not None:
            torch.manual_seed(seed)
        torch.set_flush_denormal(True)
        try:
            yield
        finally:
            torch.set_flush_denormal(was_flushed)
            if torch.get_num_threads() != previous_threads:
                torch.set_num_threads(previous_threads)


# One sklrnn fit or predict at a time per process: the seed, thread count and
# flush mode are process-wide, so concurrent fits (joblib's threading backend)
# would otherwise share one random generator and race on the settings.
_TORCH_STATE = threading.RLock()
_STARTED_POOLS = set()


def _start_thread_pool(threads):
    """Create torch's intra-op threads before denormals are flushed.

    A new thread inherits the floating-point mode of the thread that starts
    it: a pool started inside the flushed block would go on flushing after
    it. Only the calling thread flushes; the pool's threads do not.
    """
    if threads > 1 and threads not in _STARTED_POOLS:
        torch.set_num_threads(threads)
        torch.ones(threads * 65536).sum()  # large enough to run in parallel
        _STARTED_POOLS.add(threads)

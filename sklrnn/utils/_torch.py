"""The one place that touches torch's process-wide state: seeds, devices, optimizers.

Everything here is scoped: `torch_context` sets the random seed and flushes
denormals only for the duration of sklrnn's own work, then restores what the
user had.
"""

import contextlib
import os
import threading

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


def resolve_n_threads(n_threads):
    """Threads for torch's intra-op work: the given number, or a fair share.

    None follows the environment the process was started in: joblib's loky
    workers and Dask's nannies set ``OMP_NUM_THREADS`` to each worker's share
    of the cores, so workers do not oversubscribe the machine; a plain process
    takes the cores it may run on.

    Examples
    --------
    >>> resolve_n_threads(3)
    3
    >>> resolve_n_threads(None) >= 1
    True
    """
    if n_threads is not None:
        return n_threads
    share = os.environ.get("OMP_NUM_THREADS", "")
    if share.isdigit() and int(share) > 0:
        return int(share)
    return (
        len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else (os.cpu_count() or 1)
    )


def _denormals_flushed():
    # torch has no getter for the flush-to-zero mode: a float32 subnormal
    # times one comes out as zero only when denormals are flushed.
    tiny = torch.tensor([1e-40], dtype=torch.float32)
    return bool((tiny * 1.0).item() == 0.0)


@contextlib.contextmanager
def torch_context(seed=None, device="cpu", n_threads=None):
    """Seed torch, set its threads and flush denormals for the block, then
    restore all three.

    Long tanh recurrences spend most of their CPU time on denormal numbers
    unless they are flushed to zero; flushing halves training time and does not
    change results at float32 precision that matters here. Only the calling
    thread flushes: torch's other intra-op threads keep the user's mode, so
    the gain is partial with ``n_threads > 1``. torch's thread count is
    process-wide, so it is set only here (see `resolve_n_threads`). The
    user's RNG state, thread count and flush mode are put back on exit.

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
        threads = resolve_n_threads(n_threads)
        if threads != previous_threads:
            torch.set_num_threads(threads)
        _start_thread_pool(threads)
        if seed is not None:
            torch.manual_seed(seed)
        torch.set_flush_denormal(True)
        try:
            yield
        finally:
            torch.set_flush_denormal(was_flushed)
            if threads != previous_threads:
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
        torch.ones(threads * 65536).sum()  # large enough to run in parallel
        _STARTED_POOLS.add(threads)

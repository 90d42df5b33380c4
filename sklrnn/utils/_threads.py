"""How many intra-op threads sklrnn's torch work runs on.

torch's default, a thread per core, is the slow choice for most recurrent
networks: each time step is a small matrix product that one core finishes
before a second thread has started, and when another process keeps a core
busy every step waits for the descheduled thread. Measured on 2 cores, a fit
of an LSTM(64) on digits took 6.4 times as long with two threads as alone
beside one busy process, and the same with one thread.

So with ``n_threads=None`` a fit or predict takes one thread unless a step's
recurrent product is large (`PARALLEL_WORK`), and then no more threads than
there are cores other processes leave free, never more than the process's
share (``OMP_NUM_THREADS``, which joblib's and Dask's workers set, or the
cores it may run on). Training looks again at every epoch.
"""

import os
import time

import torch
from skorch.callbacks import Callback

#: Multiply-adds of one step's recurrent product (batch x gates x hidden x
#: hidden) from which a second thread shortens training on a quiet machine.
PARALLEL_WORK = 2**22

GATES = {"lstm": 4, "gru": 3, "rnn": 1}


def step_work(cell, hidden_size, batch_size):
    """Multiply-adds of one time step's recurrent product.

    Examples
    --------
    >>> step_work("lstm", 256, 128) >= PARALLEL_WORK
    True
    >>> step_work("lstm", 64, 32) >= PARALLEL_WORK
    False
    """
    return batch_size * GATES[cell] * hidden_size * hidden_size


def cores_share():
    """The cores this process may use: ``OMP_NUM_THREADS`` when set (joblib's
    loky workers and Dask's nannies set it to each worker's share), else the
    cores it may run on."""
    share = os.environ.get("OMP_NUM_THREADS", "")
    if share.isdigit() and int(share) > 0:
        return int(share)
    return _cores()


def _cores():
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def threads_for(work, share, busy_elsewhere):
    """The policy: one thread for small steps, else the free cores, within
    ``share``. ``work`` None (unknown) counts as large.

    Examples
    --------
    >>> threads_for(work=10_000, share=2, busy_elsewhere=0.0)
    1
    >>> threads_for(work=2**25, share=2, busy_elsewhere=0.0)
    2
    >>> threads_for(work=2**25, share=2, busy_elsewhere=1.0)
    1
    """
    if share <= 1 or (work is not None and work < PARALLEL_WORK):
        return 1
    free = _cores() - busy_elsewhere
    return max(1, min(share, int(free + 0.5)))


class CoreMeter:
    """Cores kept busy by other processes, from the CPU time of the whole
    machine (``/proc/stat``) less this process's own; 0 where there is no
    ``/proc/stat``.
    """

    TICK = 1 / os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 0.01
    SAMPLE = 0.05  # seconds: the shortest interval worth reading

    def __init__(self):
        self._last = self._read()

    def _read(self):
        try:
            with open("/proc/stat") as stat:
                ticks = [int(value) for value in stat.readline().split()[1:9]]
        except (OSError, ValueError):
            return None
        busy = (sum(ticks) - ticks[3] - ticks[4]) * self.TICK  # less idle, iowait
        own = os.times()
        return time.monotonic(), busy, own.user + own.system

    def busy_elsewhere(self, max_age=None):
        """Cores other processes used on average since the last reading, or
        over a fresh sample of `SAMPLE` seconds when that reading is older
        than ``max_age`` seconds; None if too little time has passed."""
        if self._last is None:
            return 0.0
        if max_age is not None and time.monotonic() - self._last[0] > max_age:
            self._last = self._read()
            time.sleep(self.SAMPLE)
        now = self._read()
        if now is None:
            return 0.0
        elapsed = now[0] - self._last[0]
        if elapsed < self.SAMPLE:
            return None
        others = (now[1] - self._last[1]) - (now[2] - self._last[2])
        self._last = now
        return max(0.0, others / elapsed)


_METER = CoreMeter()


def choose_threads(n_threads=None, work=None):
    """Threads for a fit or predict: ``n_threads`` when given, else
    `threads_for` with the cores free now (read only when it matters).

    Examples
    --------
    >>> choose_threads(3)
    3
    >>> choose_threads(None, work=100)
    1
    """
    if n_threads is not None:
        return n_threads
    share = cores_share()
    if threads_for(work, share, 0.0) == 1:
        return 1
    busy = _METER.busy_elsewhere(max_age=2.0)
    return threads_for(work, share, busy or 0.0)


class ShareCores(Callback):
    """Choose the threads again at every epoch, from how busy the other
    processes kept the cores during the last one (a fit that started on a
    quiet machine gives a core back when another process starts)."""

    def __init__(self, work=None):
        self.work = work

    def on_train_begin(self, net, **kwargs):
        self.meter_ = CoreMeter()

    def on_epoch_begin(self, net, **kwargs):
        busy = self.meter_.busy_elsewhere()
        if busy is None:
            return
        threads = threads_for(self.work, cores_share(), busy)
        if threads != torch.get_num_threads():
            torch.set_num_threads(threads)

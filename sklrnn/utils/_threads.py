"""How many intra-op threads sklrnn's torch work runs on.

torch's default, a thread per core, collapses when another process keeps a
core busy: a recurrent network is a long series of small operations, and
every one of them waits for the thread that was taken off its core. Measured
on 2 cores beside one busy process, a fit of an LSTM(64) on digits took 6.4
times as long with two threads as alone, and no longer with one thread. On a
quiet machine a second thread gains up to a third, but only once a time step
is large enough, and it loses on small ones.

So with ``n_threads=None`` a fit or predict takes one thread unless a time
step is large (`PARALLEL_WORK`), and then as many as there are cores other
processes leave free, never more than the process's share
(``OMP_NUM_THREADS``, which joblib's and Dask's workers set, or the cores it
may run on). Training looks again at every epoch.
"""

import os
import time

import torch
from skorch.callbacks import Callback

#: Multiply-adds per time step from which a second thread shortens training
#: on a quiet 2-core machine (measured with fits of LSTM(30-256), GRU(64),
#: RNN(64-256) at batch sizes 32-128): torch's LSTM (oneDNN), the fused tanh
#: RNN (`sklrnn._fused`, whose weight gradients are large products) and the
#: convolution blocks gain from about a quarter of a million on (an RNN(64)
#: at batch 64 trained 6 % faster on two threads, at batch 100 8 %); the
#: fused GRU from about a million (GRU(128) at batch 32: 1.37 times as fast
#: on two threads; at 0.8-0.9 million it gained or lost 10-20 %, below it
#: lost); torch's GRU and tanh RNN (``fused=False``) only from about two
#: million.
#: Prediction, which has no backward pass, gains from a quarter of a million
#: on with every cell (that RNN(64) predicted 1.4 times as fast on two
#: threads).
PARALLEL_WORK = {
    "lstm": 2**18,
    "conv": 2**18,
    "fused rnn": 2**18,
    "fused gru": 2**20,
    "gru": 2**21,
    "rnn": 2**21,
}
PARALLEL_INFERENCE = 2**18


def step_size(module, batch_size, training=True):
    """The work of one time step of ``module`` (a `RecurrentModule`) at
    ``batch_size``, as a multiple of the work from which a second thread
    pays (`PARALLEL_WORK`, or `PARALLEL_INFERENCE` when not ``training``):
    the recurrent product, or the convolution blocks' when larger.

    Examples
    --------
    >>> from sklrnn._modules import RecurrentModule
    >>> step_size(RecurrentModule(8, 1, cell="lstm", hidden_size=256), 128)
    128.0
    >>> step_size(RecurrentModule(8, 1, cell="lstm", hidden_size=16), 32) < 1
    True

    The fused tanh RNN pays from a smaller step than torch's own:

    >>> rnn = dict(cell="rnn", hidden_size=64)
    >>> step_size(RecurrentModule(1, 1, **rnn), 100) > 1
    True
    >>> step_size(RecurrentModule(1, 1, fused=False, **rnn), 100) < 1
    True
    """
    rnn = module.rnn
    cell = {"LSTM": "lstm", "GRU": "gru"}.get(rnn.mode, "rnn")
    if cell != "lstm" and module.fused:
        cell = f"fused {cell}"
    threshold = PARALLEL_WORK[cell] if training else PARALLEL_INFERENCE
    size = batch_size * rnn.weight_hh_l0.numel() / threshold
    if module.frontend is not None:
        kernels = sum(
            param.numel()
            for param in module.frontend.parameters()
            if param.dim() == 3  # Conv1d weights: out x in x kernel
        )
        size = max(size, batch_size * kernels / PARALLEL_WORK["conv"])
    return size


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


def threads_for(size, share, busy_elsewhere):
    """The policy: one thread for a step of `step_size` under 1, else the
    cores other processes leave free, within ``share``.

    Examples
    --------
    >>> threads_for(size=0.1, share=2, busy_elsewhere=0.0)
    1
    >>> threads_for(size=5.0, share=2, busy_elsewhere=0.0)
    2
    >>> threads_for(size=5.0, share=2, busy_elsewhere=1.0)
    1
    """
    if share <= 1 or size < 1:
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


def choose_threads(n_threads=None, size=0.0):
    """Threads for a fit or predict: ``n_threads`` when given, else
    `threads_for` a step of ``size`` with the cores free now (read only when
    the step is large enough for it to matter).

    Examples
    --------
    >>> choose_threads(3)
    3
    >>> choose_threads(None, size=0.01)
    1
    """
    if n_threads is not None:
        return n_threads
    share = cores_share()
    if threads_for(size, share, 0.0) == 1:
        return 1
    busy = _METER.busy_elsewhere(max_age=2.0)
    return threads_for(size, share, busy or 0.0)


class ShareCores(Callback):
    """Choose the threads of a fit with ``n_threads=None``: when training
    begins, from the network's step size and the cores free, and again at
    every epoch from how busy other processes kept the cores during the last
    one (a fit that started on a quiet machine gives a core back when another
    process starts)."""

    def on_train_begin(self, net, **kwargs):
        self.size_ = step_size(net.module_, net.batch_size)
        self.meter_ = CoreMeter()
        self._set(choose_threads(None, self.size_))

    def on_epoch_begin(self, net, **kwargs):
        busy = self.meter_.busy_elsewhere()
        if busy is not None:
            self._set(threads_for(self.size_, cores_share(), busy))

    @staticmethod
    def _set(threads):
        if threads != torch.get_num_threads():
            torch.set_num_threads(threads)

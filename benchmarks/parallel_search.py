"""Wall time of one GridSearchCV over an sklrnn pipeline, run serially, with
joblib's loky processes, and on a local Dask cluster.

    python benchmarks/parallel_search.py [--quick] [--repeats N] [--budget S]

The search is the airline recipe: StandardScaler -> SlidingWindowTransformer
-> LSTMRegressor, 4 candidates x TimeSeriesSplit(3) = 12 fits, refit=False
(the refit is one fit in the calling process whatever the backend). Each
configuration is warmed up first (worker processes started, sklrnn imported),
then timed ``--repeats`` times; the table gives medians. A probe fit inside
each configuration's processes records the torch threads training really used.

Configurations:

- ``n_jobs=1``: this process, sklrnn's default threads (the cores available
  unless OMP_NUM_THREADS says otherwise).
- ``n_jobs=1, n_threads=1``: this process, one torch thread.
- ``n_jobs=2``: two loky workers; each starts with OMP_NUM_THREADS set to its
  share of the cores, which sklrnn's default follows.
- ``dask 2x1``: a LocalCluster of 2 worker processes x 1 thread, its nannies
  setting OMP_NUM_THREADS=1.
- ``n_jobs=2, n_threads=2``: deliberate oversubscription, two workers with two
  torch threads each on the same cores: what the default avoids.

Set nothing else running while it runs: the figures compare one sitting.
"""

import argparse
import os
import statistics
import sys
import time
from unittest import mock

import joblib
import numpy as np
import torch
from sklearn.model_selection import GridSearchCV, ParameterGrid, TimeSeriesSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import Callback

from sklrnn import LSTMRegressor
from sklrnn.datasets import load_airline
from sklrnn.preprocessing import SlidingWindowTransformer

GRID = {
    "slidingwindowtransformer__window": [3, 12],
    "lstmregressor__hidden_size": [8, 16],
}


def airline():
    series = load_airline().to_numpy(dtype=float)
    return series[:-1].reshape(-1, 1), series[1:]


def pipeline(max_epochs, n_threads):
    return make_pipeline(
        StandardScaler(),
        SlidingWindowTransformer(window=3),
        LSTMRegressor(
            hidden_size=8,
            max_epochs=max_epochs,
            batch_size=8,
            n_threads=n_threads,
            random_state=0,
        ),
    )


class ThreadProbe(Callback):
    """Records torch's intra-op thread count at every training batch."""

    def initialize(self):
        self.threads = set()
        return self

    def on_batch_begin(self, net, training=False, **kwargs):
        if training:
            self.threads.add(torch.get_num_threads())


def probe(n_threads):
    """Fit once where joblib runs this; return the process and its threads."""
    recorder = ThreadProbe()
    X, y = airline()
    pipe = pipeline(max_epochs=1, n_threads=n_threads)
    pipe.set_params(lstmregressor__callbacks=[recorder]).fit(X, y)
    return os.getpid(), os.environ.get("OMP_NUM_THREADS"), sorted(recorder.threads)


def describe(probes):
    pids = {pid for pid, _, _ in probes}
    omp = sorted({str(env) for _, env, _ in probes})
    threads = sorted({t for _, _, seen in probes for t in seen})
    where = "this process" if pids == {os.getpid()} else f"{len(pids)} worker(s)"
    return (
        f"{where}; OMP_NUM_THREADS={'/'.join(omp)}; "
        f"torch threads={'/'.join(map(str, threads))}"
    )


def run_config(name, n_jobs, n_threads, backend, args, X, y):
    """Warm up, probe and time one configuration."""
    load_before = os.getloadavg()[0]
    config = {"backend": backend} if backend else {}
    with joblib.parallel_config(**config):
        start = time.perf_counter()
        probes = joblib.Parallel(n_jobs=n_jobs)(
            joblib.delayed(probe)(n_threads) for _ in range(2)
        )
        warmup = time.perf_counter() - start
        times, results = [], None
        while len(times) < args.repeats and (not times or sum(times) < args.budget):
            search = GridSearchCV(
                pipeline(args.max_epochs, n_threads),
                GRID,
                cv=TimeSeriesSplit(n_splits=3),
                refit=False,
                n_jobs=n_jobs,
            )
            start = time.perf_counter()
            search.fit(X, y)
            times.append(time.perf_counter() - start)
            results = search.cv_results_
            print(f"  {name}: run {len(times)} {times[-1]:.2f} s", file=sys.stderr)
    return {
        "name": name,
        "seconds": statistics.median(times),
        "runs": len(times),
        "warmup": warmup,
        "threads": describe(probes),
        "scores": np.array(results["mean_test_score"]),
        "load": (load_before, os.getloadavg()[0]),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="5 epochs, one timed run each"
    )
    parser.add_argument("--repeats", type=int, default=3, help="timed runs (3)")
    parser.add_argument(
        "--budget",
        type=float,
        default=300.0,
        help="stop repeating a configuration once its runs took this long (300 s)",
    )
    parser.add_argument("--max-epochs", type=int, default=30, help="(30)")
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.max_epochs = 1, 5

    X, y = airline()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0
    print(
        f"# torch {torch.__version__}, {cores or os.cpu_count()} cores, "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, "
        f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}, "
        f"{len(ParameterGrid(GRID))} candidates x 3 folds, "
        f"max_epochs={args.max_epochs}, batch_size=8, "
        f"load average {os.getloadavg()[0]:.2f}"
    )

    rows = [
        run_config("n_jobs=1", 1, None, None, args, X, y),
        run_config("n_jobs=1, n_threads=1", 1, 1, None, args, X, y),
        run_config("n_jobs=2 (loky)", 2, None, None, args, X, y),
    ]
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        print("# dask.distributed not installed: pip install sklrnn[dask]")
    else:
        # A LocalCluster's nannies run in this process and write their
        # workers' OMP_NUM_THREADS=1 into its environment: put it back after.
        with mock.patch.dict(os.environ):
            start = time.perf_counter()
            with (
                LocalCluster(
                    n_workers=2,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                ) as cluster,
                Client(cluster),
            ):
                startup = time.perf_counter() - start
                row = run_config(
                    "dask LocalCluster 2x1", None, None, "dask", args, X, y
                )
                row["warmup"] += startup
                rows.append(row)
    rows.append(run_config("n_jobs=2, n_threads=2", 2, 2, None, args, X, y))

    print_table(rows)
    print(f"# load average at the end {os.getloadavg()[0]:.2f}")


def print_table(rows):
    """Print the rows as a Markdown table, times relative to the first row."""
    base, single = rows[0]["seconds"], rows[1]["scores"]
    table = [
        [
            "configuration",
            "wall s (median)",
            "x n_jobs=1",
            "runs",
            "start-up s",
            "load avg",
            "same scores as 1 thread",
            "threads used in training",
        ]
    ]
    for row in rows:
        same = np.allclose(row["scores"], single, rtol=1e-9, atol=1e-12)
        table.append(
            [
                row["name"],
                f"{row['seconds']:.2f}",
                f"{row['seconds'] / base:.2f}",
                str(row["runs"]),
                f"{row['warmup']:.1f}",
                f"{row['load'][0]:.1f}-{row['load'][1]:.1f}",
                "yes" if same else "no",
                row["threads"],
            ]
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    for n, line in enumerate(table):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(line, widths)) + " |")
        if n == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


if __name__ == "__main__":
    main()

"""sklrnn against the plain-PyTorch reference loops, in one sitting.

    python benchmarks/run.py            # full sizes, 3 rounds (~25 min)
    python benchmarks/run.py --quick    # fewer epochs and rounds
    python benchmarks/run.py --only W4  # some workloads only
    python benchmarks/run.py --keras-python ../kenv/bin/python  # + Keras
    python benchmarks/run.py --load     # + the under-load rows
    python benchmarks/run.py --only load  # the under-load rows only
    python benchmarks/run.py --only W1 --w1-seeds 10  # W1's RMSE over seeds

Every run is a fresh process with the same thread count (``BENCH_THREADS``,
default 2); reference and sklrnn runs alternate, and the table shows medians
and their ratio against the targets of the performance issue: sklrnn's time
over the reference's for fit rows (lower is better), the reference's time
over sklrnn's for predict rows and sklrnn's rate over the reference's for
the W3 and W4 rows (higher is better). The reference scripts live in
``BENCH_DIR`` (default ``../shared/bench`` next to the repository).

``--keras-python PATH`` (or ``KERAS_PYTHON``) is the interpreter of a separate
environment with TensorFlow and Keras 3 (``python -m venv kenv && kenv/bin/pip
install tensorflow-cpu keras pandas scikit-learn``; never the project's). With
it, the Keras scripts of W1, W2 and W5 run in the same rounds, with the same
epochs and ``BENCH_THREADS``, and ``KERAS_BACKEND=tensorflow``; the table gains
Keras's median (W1 fit s, W2 and W5 epoch s) and sklrnn's time over it, and the
W1 RMSE line Keras's. Without it, one line says the column is skipped.

``--load`` adds the under-load rows: the ``digits`` fit (LSTM(64) over
sklearn's 8x8 digits row by row, 40 epochs) and sklrnn's W5, each run alone
and then beside one busy single-threaded process, alternating; the rows give
the time under load over the quiet time (target <= 1.5). These runs get no
thread count from the harness (no ``OMP_NUM_THREADS``, no pinning), so they
measure sklrnn's own default (``n_threads=None``); W5 skips its predict
timings there.

With W3 or W5 selected, every round also runs ``w6_floor.py`` (this
machine's float32 GEMM rates and the workloads' FLOPs) and times torch's
``nn.LSTM`` alone at the W3 and W5 shapes (``workloads.py lstm_layer``); a
second table gives W3's time per sequence and W5's epoch over the compute
floor (the FLOPs over the best GEMM rate measured, target <= 1.5), for the
plain loop, sklrnn, that LSTM layer alone (the least any model built on it
can take) and the layer's matrix products alone, issued back to back with
no gate arithmetic (the least any LSTM built on this machine's GEMMs can
take).

``--w1-seeds N`` adds W1's test RMSE over seeds 0 to N-1 at full length
(100 epochs) for the plain loop, sklrnn and, with ``--keras-python``, Keras:
median and range against the tutorial's published 47.5, since one seed of
this 4-unit network varies by several passengers.
"""

import argparse
import contextlib
import functools
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCH_DIR = Path(os.environ.get("BENCH_DIR", HERE.parents[1] / "shared" / "bench"))


WORKLOADS = ("W1", "W2", "W3", "W4", "W5", "W6")
KERAS_SCRIPTS = {
    "W1": "w1_airline_keras.py",
    "W2": "w2_cosine_keras.py",
    "W5": "w5_seqclass_keras.py",
}
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
LOAD_TARGET = 1.5
W1_TUTORIAL_RMSE = 47.5  # the Keras tutorial's published test RMSE
FLOOR_TARGET = 1.5  # W3 and W5 within this many times the compute floor


def run(command, cwd, python=sys.executable, env=None):
    """Run one benchmark process and return its JSON record."""
    result = subprocess.run(
        [python, *command], cwd=cwd, capture_output=True, text=True, env=env
    )
    if result.returncode:
        raise RuntimeError(f"{command} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def reference(script, *args):
    return run([script, *args], BENCH_DIR)


def ours(workload, *args, env=None):
    return run([str(HERE / "workloads.py"), workload, *args], HERE, env=env)


def keras(python, workload, *args):
    """Run the Keras script of ``workload`` with the Keras environment's
    interpreter ``python``."""
    env = {**os.environ, "KERAS_BACKEND": "tensorflow"}
    return run([KERAS_SCRIPTS[workload], *args], BENCH_DIR, python=python, env=env)


def with_keras(jobs, python, epochs):
    """``jobs`` with a Keras run after the sklrnn run of each workload in
    ``epochs`` (workload -> its ``--epochs``)."""
    placed = {}
    for name, job in jobs.items():
        placed[name] = job
        workload = name.split()[0]
        if name == f"{workload} sklrnn" and workload in epochs:
            placed[f"{workload} keras"] = functools.partial(
                keras, python, workload, "--epochs", epochs[workload]
            )
    return placed


def w1_rmse_over_seeds(n_seeds, keras_python):
    """Print W1's test RMSE over seeds ``0 .. n_seeds - 1`` (100 epochs) per
    implementation: median, range and how many seeds reach the tutorial's."""
    full = ("--epochs", "100")
    jobs = {
        "plain PyTorch": lambda seed: reference(
            "w1_airline_torch.py", "--impl", "torch", *full, "--seed", seed
        ),
        "sklrnn": lambda seed: ours("W1", *full, "--seed", seed),
    }
    if keras_python:
        jobs["Keras"] = lambda seed: keras(keras_python, "W1", *full, "--seed", seed)
    print(f"W1 test RMSE over seeds 0-{n_seeds - 1} (100 epochs, passengers):")
    for name, job in jobs.items():
        scores = [job(str(seed))["test_rmse"] for seed in range(n_seeds)]
        reached = sum(score <= W1_TUTORIAL_RMSE for score in scores)
        print(
            f"  {name:14} median {statistics.median(scores):5.1f}, "
            f"range {min(scores):.1f}-{max(scores):.1f}, "
            f"{reached} of {n_seeds} seeds <= {W1_TUTORIAL_RMSE}",
            flush=True,
        )


def default_threads_env():
    """The environment of the under-load rows: no thread count from the
    harness or the caller, so sklrnn picks its own (``n_threads=None``)."""
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
    env["BENCH_DEFAULT_THREADS"] = "1"
    return env


@contextlib.contextmanager
def busy_core():
    """One busy single-threaded process for the duration of the block."""
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        hog.kill()
        hog.wait()


def under_load(job):
    """``job`` run beside `busy_core`."""

    def loaded():
        with busy_core():
            return job()

    return loaded


def load_jobs(epochs):
    """The under-load rows' runs, each alone then beside a busy process."""
    env = default_threads_env()
    runs = {
        "digits": lambda: ours("digits", "--epochs", "40", env=env),
        "W5": lambda: ours("W5", "--epochs", epochs, "--no-predict", env=env),
    }
    jobs = {}
    for name, job in runs.items():
        jobs[f"load {name} quiet"] = job
        jobs[f"load {name} busy"] = under_load(job)
    return jobs


def print_table(header, rows):
    """Left-aligned columns as wide as their widest cell; rows shorter than
    the header end in "-" cells."""
    rows = [(*row, *["-"] * (len(header) - len(row))) for row in rows]
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)))


def rounds(n, pairs):
    """Alternate the runs of each pair ``n`` times; collect records by name."""
    records = {}
    for _ in range(n):
        for name, job in pairs.items():
            records.setdefault(name, []).append(job())
    return records


def median_of(records, key):
    return statistics.median(record[key] for record in records)


def w3_plain_s_per_sequence(results):
    """The plain many-to-many loop's median seconds per W3 sequence."""
    return statistics.median(r["pass_s"] / r["n_seqs"] for r in results["W3 m2m"])


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="short runs")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument(
        "--only",
        nargs="+",
        choices=(*WORKLOADS, "load"),
        default=WORKLOADS,
        metavar="W",
        help="run these workloads only (W1 ... W6, load: the under-load rows)",
    )
    parser.add_argument(
        "--keras-python",
        default=os.environ.get("KERAS_PYTHON"),
        metavar="PATH",
        help="interpreter of a TensorFlow/Keras environment: adds Keras's W1, "
        "W2 and W5 (default: $KERAS_PYTHON)",
    )
    parser.add_argument(
        "--load",
        action="store_true",
        help="add the under-load rows (digits fit and W5 beside a busy process)",
    )
    parser.add_argument(
        "--w1-seeds",
        type=int,
        default=0,
        metavar="N",
        help="add W1's test RMSE over seeds 0 to N-1 (median and range)",
    )
    args = parser.parse_args()
    selected = set(args.only) | ({"load"} if args.load else set())
    keras_python = args.keras_python
    if keras_python and not os.access(keras_python, os.X_OK):
        parser.error(f"--keras-python {keras_python}: not an executable file")
    n_rounds = args.rounds or (1 if args.quick else 3)
    w1_epochs = "20" if args.quick else "100"
    epochs = "1" if args.quick else "3"
    steps = "100000" if args.quick else "1000000"
    # sklrnn's W3 epoch is 2,000 chunks: the reference reads as many sequences.
    w3_epochs = "1" if args.quick else "3"
    w3_seqs = str(2000 * int(w3_epochs))

    print(f"rounds: {n_rounds}; threads: {os.environ.get('BENCH_THREADS', '2')}")
    if selected & set(KERAS_SCRIPTS) and not keras_python:
        print(
            "Keras column skipped: pass --keras-python PATH or set KERAS_PYTHON "
            "to a TensorFlow/Keras environment's python (see the docstring)"
        )
    print(f"load average at start: {os.getloadavg()}", flush=True)
    jobs = {
        "W1 torch": lambda: reference(
            "w1_airline_torch.py", "--impl", "torch", "--epochs", w1_epochs
        ),
        "W1 sklrnn": lambda: ours("W1", "--epochs", w1_epochs),
        "W2 torch": lambda: reference(
            "w2_cosine_torch.py", "--impl", "torch", "--epochs", epochs
        ),
        "W2 torch+ftz": lambda: reference(
            "w2_cosine_torch.py", "--impl", "torch", "--epochs", epochs, "--ftz"
        ),
        "W2 sklrnn": lambda: ours("W2", "--epochs", epochs),
        "W3 torch": lambda: reference(
            "w3_charlstm_torch.py", "--impl", "torch", "--n-seqs", w3_seqs
        ),
        "W3 m2m": lambda: reference(
            "w3_charlstm_torch.py", "--impl", "torch_m2m", "--n-seqs", w3_seqs
        ),
        "W3 sklrnn": lambda: ours("W3", "--epochs", w3_epochs),
        "W4 torch": lambda: reference("w4_generate_torch.py", "--reps", "7"),
        "W4 sklrnn": lambda: ours("W4"),
        "W5 torch": lambda: reference(
            "w5_seqclass_torch.py", "--impl", "torch", "--epochs", epochs
        ),
        "W5 sklrnn": lambda: ours("W5", "--epochs", epochs),
    }
    if keras_python:
        keras_epochs = {"W1": w1_epochs, "W2": epochs, "W5": epochs}
        jobs = with_keras(jobs, keras_python, keras_epochs)
    jobs.update(load_jobs(epochs))
    if selected & {"W3", "W5"}:
        jobs["floor gemm"] = lambda: reference("w6_floor.py", "--reps", "3")
        jobs["floor lstm"] = lambda: ours("lstm_layer")
    results = rounds(
        n_rounds,
        {
            name: job
            for name, job in jobs.items()
            if name.split()[0] in selected or name.startswith("floor")
        },
    )
    w6 = ours("W6", "--steps", steps) if "W6" in selected else None

    rows = []

    def add_row(label, plain, mine, ratio, target, keras_s=None):
        """``target`` is ``("<=", x)`` or ``(">=", x)`` on the ratio;
        ``keras_s`` is Keras's figure of the same kind as ``mine``."""
        op, bound = target
        ok = ratio <= bound if op == "<=" else ratio >= bound
        row = (
            label,
            f"{plain:.4g}",
            f"{mine:.4g}",
            f"{ratio:.2f}",
            f"{op} {bound}",
            "pass" if ok else "FAIL",
        )
        if keras_s is not None:
            row += (f"{keras_s:.4g}", f"{mine / keras_s:.2f}")
        rows.append(row)

    def keras_median(workload, key):
        """Keras's median ``key`` for ``workload``, or None without Keras."""
        name = f"{workload} keras"
        return median_of(results[name], key) if name in results else None

    def time_row(label, ref, sk, key, target, sk_key=None):
        """sklrnn's median time over the reference's: lower is better."""
        plain = median_of(results[ref], key)
        mine = median_of(results[sk], sk_key or key)
        keras_s = keras_median(sk.split()[0], key)
        add_row(label, plain, mine, mine / plain, ("<=", target), keras_s)

    if "W1" in selected:
        time_row("W1 fit s (batch 1)", "W1 torch", "W1 sklrnn", "fit_s", 1.5)
    if "W2" in selected:
        for ref, label in (("W2 torch", "unflushed"), ("W2 torch+ftz", "flushed")):
            time_row(
                f"W2 epoch s, {label} ref", ref, "W2 sklrnn", "epoch_s_median", 1.05
            )
    if "W3" in selected:
        plain = w3_plain_s_per_sequence(results)
        mine = median_of(results["W3 sklrnn"], "s_per_sequence")
        add_row(
            "W3 ms/sequence (batch 128)",
            plain * 1e3,
            mine * 1e3,
            mine / plain,
            ("<=", 1.05),
        )
    if "W5" in selected:
        time_row(
            "W5 epoch s (batch 128)", "W5 torch", "W5 sklrnn", "epoch_s_median", 1.05
        )
    for workload in sorted(selected & {"W2", "W5"}):
        records = results[f"{workload} sklrnn"]
        plain = median_of(records, "module_predict_s")
        mine = median_of(records, "predict_s")
        add_row(
            f"{workload} predict s (throughput)",
            plain,
            mine,
            plain / mine,
            (">=", 0.95),
        )
    if "W3" in selected:
        plain = median_of(results["W3 torch"], "target_chars_per_s")
        mine = median_of(results["W3 sklrnn"], "target_chars_per_s")
        add_row("W3 target chars/s vs 1/window", plain, mine, mine / plain, (">=", 50))
    if "W4" in selected:
        plain = median_of(results["W4 torch"], "refeed_chars_per_s")
        mine = median_of(results["W4 sklrnn"], "chars_per_s")
        add_row("W4 chars/s vs re-feeding", plain, mine, mine / plain, (">=", 50))
        plain = median_of(results["W4 torch"], "stateful_chars_per_s")
        add_row("W4 chars/s vs torch stateful", plain, mine, mine / plain, (">=", 1))
    if w6 is not None:
        windows_mb = max(w6["make_windows_peak_mb"], w6["sliding_transform_peak_mb"])
        rows.append(
            (
                f"W6 windowing MB ({w6['steps']} x 500)",
                "-",
                f"{windows_mb:.1f}",
                "-",
                "< 50",
                "pass" if windows_mb < 50 else "FAIL",
            )
        )
        rows.append(
            (
                "W6 predict peak RSS MB",
                "-",
                f"{w6['peak_rss_mb']:.0f}",
                "-",
                "< 1024",
                "pass" if w6["peak_rss_mb"] < 1024 else "FAIL",
            )
        )

    header = ("workload", "plain PyTorch", "sklrnn", "ratio", "target", "result")
    if keras_python:
        header += ("Keras", "sklrnn/Keras")
    if rows:
        print_table(header, rows)
    if "W1" in selected:
        keras_rmse = keras_median("W1", "test_rmse")
        print(
            f"W1 test RMSE: plain {median_of(results['W1 torch'], 'test_rmse'):.1f},"
            f" sklrnn {median_of(results['W1 sklrnn'], 'test_rmse'):.1f}"
            + ("" if keras_rmse is None else f", Keras {keras_rmse:.1f}")
            + " passengers"
        )
    if "W1" in selected and args.w1_seeds:
        w1_rmse_over_seeds(args.w1_seeds, keras_python)
    if w6 is not None:
        print(f"W6 predict over every window: {w6['predict_s']} s")
    if selected & {"W3", "W5"}:
        print_floor_rows(results, selected)
    if "load" in selected:
        print_load_rows(results)
    print(f"load average at end: {os.getloadavg()}")


def print_floor_rows(results, selected):
    """W3's time per sequence and W5's epoch over the compute floor of
    ``w6_floor.py`` (median over rounds): the workload's FLOPs over the best
    float32 GEMM rate measured. Beside the plain loop and sklrnn, torch's
    ``nn.LSTM`` alone (forward and backward at the workload's batch shape)
    shows how much of the budget the recurrent layer itself takes, and the
    layer's matrix products alone (no gate arithmetic) what any LSTM built
    on this machine's GEMMs takes at least."""
    floors = results["floor gemm"]
    lstm = results["floor lstm"]
    n_w3 = floors[0]["W3"]["n"]
    rows = []

    def add(label, seconds, floor_s):
        ratio = seconds / floor_s
        result = "pass" if ratio <= FLOOR_TARGET else "FAIL"
        rows.append(
            (label, f"{floor_s:.4g}", f"{seconds:.4g}", f"{ratio:.2f}")
            + (f"<= {FLOOR_TARGET}", result)
        )

    if "W3" in selected:
        floor_ms = 1e3 * statistics.median(
            record["floor_s"]["w3_m2m_pass@best"] / n_w3 for record in floors
        )
        plain = w3_plain_s_per_sequence(results)
        add("W3 ms/sequence, plain PyTorch", plain * 1e3, floor_ms)
        sk = median_of(results["W3 sklrnn"], "s_per_sequence")
        add("W3 ms/sequence, sklrnn", sk * 1e3, floor_ms)
        add(
            "W3 ms/sequence, torch's LSTM alone",
            median_of(lstm, "W3_s_per_sample") * 1e3,
            floor_ms,
        )
        add(
            "W3 ms/sequence, the LSTM's GEMMs alone",
            median_of(lstm, "W3_gemms_s_per_sample") * 1e3,
            floor_ms,
        )
    if "W5" in selected:
        floor_s = statistics.median(r["floor_s"]["w5_epoch@best"] for r in floors)
        add(
            "W5 epoch s, plain PyTorch",
            median_of(results["W5 torch"], "epoch_s_median"),
            floor_s,
        )
        add(
            "W5 epoch s, sklrnn",
            median_of(results["W5 sklrnn"], "epoch_s_median"),
            floor_s,
        )
        add("W5 epoch s, torch's LSTM alone", median_of(lstm, "W5_pass_s"), floor_s)
        add(
            "W5 epoch s, the LSTM's GEMMs alone",
            median_of(lstm, "W5_gemms_pass_s"),
            floor_s,
        )
    best = statistics.median(record["best_gflops"] for record in floors)
    print(f"against the compute floor (best float32 GEMM rate: {best:.0f} GFLOP/s)")
    print_table(("workload", "floor", "time", "ratio", "target", "result"), rows)


def print_load_rows(results):
    """The under-load table: sklrnn's default threads, alone and beside one
    busy single-threaded process. The last column is the median number of
    cores other processes kept busy during the timed region, quiet / busy:
    about 0 / 1 when nothing else ran on the machine."""
    rows = []
    for name, key, region, label in (
        ("digits", "fit_s", "fit_", "digits fit s under load / quiet"),
        ("W5", "epoch_s_median", "timed_", "W5 epoch s under load / quiet"),
    ):
        quiet, busy = (results[f"load {name} {state}"] for state in ("quiet", "busy"))
        ratio = median_of(busy, key) / median_of(quiet, key)
        others = "/".join(
            f"{median_of(records, region + 'other_cores'):.2f}"
            for records in (quiet, busy)
        )
        rows.append(
            (
                label,
                f"{median_of(quiet, key):.4g}",
                f"{median_of(busy, key):.4g}",
                f"{ratio:.2f}",
                f"<= {LOAD_TARGET}",
                "pass" if ratio <= LOAD_TARGET else "FAIL",
                others,
            )
        )
    header = ("under load", "quiet", "busy", "ratio", "target", "result")
    print_table((*header, "other cores"), rows)
    records = results["load digits quiet"] + results["load digits busy"]
    threads = sorted({record["fit_threads"] for record in records})
    print(f"sklrnn's default torch threads in the digits fit: {threads}")


if __name__ == "__main__":
    main()

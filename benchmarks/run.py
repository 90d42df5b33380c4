"""sklrnn against the plain-PyTorch reference loops, in one sitting.

    python benchmarks/run.py            # full sizes, 3 rounds (~25 min)
    python benchmarks/run.py --quick    # fewer epochs and rounds
    python benchmarks/run.py --only W4  # some workloads only

Every run is a fresh process with the same thread count (``BENCH_THREADS``,
default 2); reference and sklrnn runs alternate, and the table shows medians
and their ratio against the targets of the performance issue: sklrnn's time
over the reference's for fit rows (lower is better), the reference's time
over sklrnn's for predict rows and sklrnn's rate over the reference's for
the W3 and W4 rows (higher is better). The reference scripts live in
``BENCH_DIR`` (default ``../shared/bench`` next to the repository).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCH_DIR = Path(os.environ.get("BENCH_DIR", HERE.parents[1] / "shared" / "bench"))


WORKLOADS = ("W1", "W2", "W3", "W4", "W5", "W6")


def run(command, cwd):
    """Run one benchmark process and return its JSON record."""
    result = subprocess.run(
        [sys.executable, *command], cwd=cwd, capture_output=True, text=True
    )
    if result.returncode:
        raise RuntimeError(f"{command} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def reference(script, *args):
    return run([script, *args], BENCH_DIR)


def ours(workload, *args):
    return run([str(HERE / "workloads.py"), workload, *args], HERE)


def rounds(n, pairs):
    """Alternate the runs of each pair ``n`` times; collect records by name."""
    records = {}
    for _ in range(n):
        for name, job in pairs.items():
            records.setdefault(name, []).append(job())
    return records


def median_of(records, key):
    return statistics.median(record[key] for record in records)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument(
        "--only",
        nargs="+",
        choices=WORKLOADS,
        default=WORKLOADS,
        metavar="W",
        help="run these workloads only (W1 ... W6)",
    )
    args = parser.parse_args()
    selected = set(args.only)
    n_rounds = args.rounds or (1 if args.quick else 3)
    w1_epochs = "20" if args.quick else "100"
    epochs = "1" if args.quick else "3"
    steps = "100000" if args.quick else "1000000"
    # sklrnn's W3 epoch is 2,000 chunks: the reference reads as many sequences.
    w3_epochs = "1" if args.quick else "3"
    w3_seqs = str(2000 * int(w3_epochs))

    print(f"rounds: {n_rounds}; threads: {os.environ.get('BENCH_THREADS', '2')}")
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
    results = rounds(
        n_rounds,
        {name: job for name, job in jobs.items() if name.split()[0] in selected},
    )
    w6 = ours("W6", "--steps", steps) if "W6" in selected else None

    rows = []

    def add_row(label, plain, mine, ratio, target):
        """``target`` is ``("<=", x)`` or ``(">=", x)`` on the ratio."""
        op, bound = target
        ok = ratio <= bound if op == "<=" else ratio >= bound
        rows.append(
            (
                label,
                f"{plain:.4g}",
                f"{mine:.4g}",
                f"{ratio:.2f}",
                f"{op} {bound}",
                "pass" if ok else "FAIL",
            )
        )

    def time_row(label, ref, sk, key, target, sk_key=None):
        """sklrnn's median time over the reference's: lower is better."""
        plain = median_of(results[ref], key)
        mine = median_of(results[sk], sk_key or key)
        add_row(label, plain, mine, mine / plain, ("<=", target))

    if "W1" in selected:
        time_row("W1 fit s (batch 1)", "W1 torch", "W1 sklrnn", "fit_s", 1.5)
    if "W2" in selected:
        for ref, label in (("W2 torch", "unflushed"), ("W2 torch+ftz", "flushed")):
            time_row(
                f"W2 epoch s, {label} ref", ref, "W2 sklrnn", "epoch_s_median", 1.05
            )
    if "W3" in selected:
        plain = statistics.median(r["pass_s"] / r["n_seqs"] for r in results["W3 m2m"])
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
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(6)]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)))
    if "W1" in selected:
        print(
            f"W1 test RMSE: plain {median_of(results['W1 torch'], 'test_rmse'):.1f},"
            f" sklrnn {median_of(results['W1 sklrnn'], 'test_rmse'):.1f} passengers"
        )
    if w6 is not None:
        print(f"W6 predict over every window: {w6['predict_s']} s")
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()

"""CharLSTMGenerator on tiny-shakespeare: held-out bits per character, training
throughput and generation speed. Not run by the tests.

The text's last 10 % is held out; the model trains on the first 90 % for a
wall-clock budget (a callback stops it mid-epoch when the time is up), then
the held-out text is scored, read as one sequence. There is no early stopping
by default: its validation data would be the end of the training part, and
the held-out text continues the plays that end the training part, with the
same characters' names; without that end the held-out score is much worse
(2.54 against 2.33 bits per character after 6 epochs).

Generation is timed on the trained model, in the workload of the shared W4
reference (``../shared/bench/w4_generate_torch.py``): 500 characters after a
100-character prompt, three ways, interleaved, medians of ``--reps``:

- ``stateful``: ``CharLSTMGenerator.generate`` (one step per character,
  numpy stepper), sampling at temperature 1, prompt reading included;
- ``torch_stateful``: the reference's way of carrying the state, one
  ``nn.LSTM`` call per character, greedy;
- ``refeed``: the tutorials' way, the last 100 characters run through the
  whole network for every new character, greedy.

    python benchmarks/train_shakespeare.py [PATH] [--minutes 9] [--threads 2]

One JSON line on stdout; progress on stderr.
"""

import argparse
import json
import math
import os
import resource
import sys
import time
import warnings
from pathlib import Path

# The shared data folder next to the repository's folder.
DEFAULT_TEXT = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "tinyshakespeare.txt"
)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "path",
        nargs="?",
        default=DEFAULT_TEXT,
        help="the text (default: ../shared/data/tinyshakespeare.txt, next to "
        "the repository)",
    )
    parser.add_argument("--minutes", type=float, default=9.0, help="training budget")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--hidden-size", type=int, default=256)
    parser.add_argument("--num-layers", type=int, default=1)
    parser.add_argument("--embedding-dim", type=int, default=32)
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.002)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--max-epochs", type=int, default=100)
    parser.add_argument(
        "--validation-fraction",
        type=float,
        default=0.0,
        help="> 0: early stopping on this last share of the training part",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reps", type=int, default=5, help="generation timings")
    parser.add_argument(
        "--skip-training", action="store_true", help="time generation only"
    )
    return parser.parse_args()


ARGS = parse_args()
# Thread counts must be fixed before numpy and torch load their libraries.
for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[variable] = str(ARGS.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402
from skorch.callbacks import Callback  # noqa: E402

from sklrnn import CharLSTMGenerator  # noqa: E402

torch.set_num_threads(ARGS.threads)


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class TimeBudget(Callback):
    """Stop training once ``seconds`` have passed, even mid-epoch.

    skorch ends ``fit`` cleanly on KeyboardInterrupt, as for Ctrl-C.
    """

    def __init__(self, seconds):
        self.seconds = seconds

    def on_train_begin(self, net, **kwargs):
        self.start_ = time.perf_counter()
        self.batches_ = 0

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            self.batches_ += 1
            if time.perf_counter() - self.start_ > self.seconds:
                raise KeyboardInterrupt


def train(text):
    budget = TimeBudget(ARGS.minutes * 60)
    model = CharLSTMGenerator(
        hidden_size=ARGS.hidden_size,
        num_layers=ARGS.num_layers,
        embedding_dim=ARGS.embedding_dim,
        window=ARGS.window,
        batch_size=ARGS.batch_size,
        lr=ARGS.lr,
        dropout=ARGS.dropout,
        max_epochs=ARGS.max_epochs,
        early_stopping=ARGS.validation_fraction > 0,
        validation_fraction=ARGS.validation_fraction or 0.1,
        n_iter_no_change=2,
        n_threads=ARGS.threads,
        random_state=ARGS.seed,
        verbose=0,
        callbacks=[("time_budget", budget)],
    )
    cpu0, wall0 = cpu_seconds(), time.perf_counter()
    with warnings.catch_warnings():
        # The budget stops training with a KeyboardInterrupt, on purpose.
        warnings.filterwarnings("ignore", "Training was interrupted", UserWarning)
        model.fit(text)
    wall, cpu = time.perf_counter() - wall0, cpu_seconds() - cpu0
    n_train_chunks = math.ceil(len(text) / ARGS.window * (1 - ARGS.validation_fraction))
    epochs = budget.batches_ * ARGS.batch_size / n_train_chunks
    return model, {
        "train_wall_s": round(wall, 1),
        "train_cpu_s": round(cpu, 1),
        "epochs": round(epochs, 2),
        "target_chars_per_s": round(
            budget.batches_ * ARGS.batch_size * ARGS.window / wall
        ),
        "train_loss_last_epoch": _last(model.history_, "train_loss"),
        "valid_loss_best": _best(model.history_),
    }


def _last(history, key):
    values = [row[key] for row in history if key in row]
    return round(values[-1], 4) if values else None


def _best(history):
    values = [row["valid_loss"] for row in history if "valid_loss" in row]
    return round(min(values), 4) if values else None


def refeed(model, prompt, n_chars):
    """The tutorials' generation: re-read the last window for every character."""
    module = model.net_.module_.eval()
    window = torch.as_tensor(model._codec().context(prompt)[1:])[None]
    out = []
    with torch.inference_mode():
        for _ in range(n_chars):
            nxt = int(module(window)[0, -1].argmax())
            out.append(nxt)
            window = torch.cat([window[:, 1:], torch.tensor([[nxt + 1]])], dim=1)
    return out


def torch_stateful(model, prompt, n_chars):
    """The W4 reference's stateful loop: one nn.LSTM call per character."""
    module = model.net_.module_.eval()
    out = []
    with torch.inference_mode():
        x = torch.as_tensor(model._codec().context(prompt))[None]
        logits, state = module(x, return_state=True)
        nxt = int(logits[0, -1].argmax())
        out.append(nxt)
        for _ in range(n_chars - 1):
            x = torch.tensor([[nxt + 1]])
            logits, state = module(x, state=state, return_state=True)
            nxt = int(logits[0, -1].argmax())
            out.append(nxt)
    return out


def time_generation(model, prompt, n_chars=500):
    modes = {
        "stateful": lambda: model.generate(n_chars, prompt=prompt, random_state=0),
        "torch_stateful": lambda: torch_stateful(model, prompt, n_chars),
        "refeed": lambda: refeed(model, prompt, n_chars),
    }
    for run in modes.values():  # warm-up
        run()
    times = {mode: [] for mode in modes}
    for _ in range(ARGS.reps):
        for mode, run in modes.items():
            start = time.perf_counter()
            run()
            times[mode].append(time.perf_counter() - start)
    medians = {mode: float(np.median(values)) for mode, values in times.items()}
    result = {f"gen_{mode}_s": round(value, 4) for mode, value in medians.items()}
    for mode, value in medians.items():
        result[f"gen_{mode}_chars_per_s"] = round(n_chars / value)
    result["gen_speedup_vs_refeed"] = round(medians["refeed"] / medians["stateful"], 1)
    result["gen_speedup_vs_torch_stateful"] = round(
        medians["torch_stateful"] / medians["stateful"], 1
    )
    return result


def main():
    with open(ARGS.path, encoding="utf-8") as file:
        text = file.read()
    split = int(len(text) * 0.9)
    train_text, held_out = text[:split], text[split:]
    record = {
        "benchmark": "CharLSTMGenerator tiny-shakespeare",
        "train_chars": len(train_text),
        "held_out_chars": len(held_out),
        "settings": {k: v for k, v in vars(ARGS).items() if k not in ("path",)},
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
    }
    if ARGS.skip_training:
        model = CharLSTMGenerator(
            hidden_size=ARGS.hidden_size,
            embedding_dim=ARGS.embedding_dim,
            max_epochs=1,
            random_state=ARGS.seed,
            n_threads=ARGS.threads,
        ).fit(train_text[:2000])
        model.set_params(handle_unknown="ignore")
    else:
        log(f"training for at most {ARGS.minutes} min on {ARGS.threads} thread(s)")
        model, figures = train(train_text)
        record.update(figures)
        log(f"trained: {figures}")
        start = time.perf_counter()
        score = model.score(held_out)
        record["held_out_score_s"] = round(time.perf_counter() - start, 1)
        record["held_out_nats_per_char"] = round(-score, 4)
        record["held_out_bits_per_char"] = round(-score / math.log(2), 4)
        record["held_out_perplexity"] = round(math.exp(-score), 3)
        log(f"held-out bits per character: {record['held_out_bits_per_char']}")
    prompt = held_out[:100]
    record.update(time_generation(model, prompt))
    record["sample_t0.8"] = model.generate(
        300, prompt=prompt, temperature=0.8, random_state=0
    )
    record["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()

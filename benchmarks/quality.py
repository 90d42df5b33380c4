"""Classification quality of SequenceClassifier's defaults on the standard sets.

One command prints a table: for every data set, sklrnn with its defaults
(``SequenceClassifier(random_state=0)``, token input adds only
``embedding_dim``), the baselines it computes itself (1-NN Euclidean, SVC,
TF-IDF + logistic regression), the published deep-learning figures, the
target and fit seconds. The series and the 200-word reviews are also fitted
with ``random_state`` 1 and 2 (``--seeds``): the spread of the accuracy over
seeds, and the accuracy of the three models' averaged ``predict_proba`` (the
guide's recipe, scikit-learn's soft ``VotingClassifier``); the target is
judged on ``random_state=0``, the defaults a user gets. The full-length
5-fold row fits seed 0 only.

    pip install -e ".[bench]"        # sktime, for the UCR/UEA loaders
    python benchmarks/quality.py     # all rows
    python benchmarks/quality.py --only GunPoint digits
    python benchmarks/quality.py --full-text   # adds full-length reviews, 5-fold

The review polarity corpus is read from ``../shared/data`` next to the
repository (or ``SKLRNN_DATA``); without it those rows are skipped.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC

sys.path.insert(0, str(Path(__file__).resolve().parent))

from quality_data import (  # noqa: E402
    DATA_DIR,
    first_words,
    load_digits_rows,
    load_review_polarity,
    load_ucr,
)

from sklrnn import SequenceClassifier  # noqa: E402
from sklrnn.preprocessing import TextTokenizer  # noqa: E402

# Published test accuracy. FCN: Wang et al. 2017 as re-run (mean of several
# runs) in Fawaz et al. 2019; BasicMotions, which that review does not hold:
# Ruiz et al. 2021. LSTM-FCN: Karim et al. 2018.
PUBLISHED = {
    "GunPoint": {"FCN": 1.000, "LSTM-FCN": 1.000},
    "ItalyPowerDemand": {"FCN": 0.963, "LSTM-FCN": 0.962},
    "ArrowHead": {"FCN": 0.843, "LSTM-FCN": 0.897},
    "BasicMotions": {"FCN": 1.000},
    "JapaneseVowels": {"FCN": 0.993},
}
SERIES = list(PUBLISHED)
TEXT_WORDS = 200  # the first-200-words split of the table


def _timed_fit(estimator, X, y):
    start = time.perf_counter()
    estimator.fit(X, y)
    return estimator, time.perf_counter() - start


def _flat(X, length):
    """Series as flat rows for 1-NN / SVC; ragged ones linearly resampled."""
    if isinstance(X, list):
        X = [
            np.column_stack(
                [
                    np.interp(
                        np.linspace(0, len(seq) - 1, length),
                        np.arange(len(seq)),
                        column,
                    )
                    for column in seq.T
                ]
            )
            for seq in X
        ]
    return np.asarray(X).reshape(len(X), -1)


def _spread(accuracies):
    if len(accuracies) == 1:
        return "-"
    low, high = min(accuracies), max(accuracies)
    return f"{np.mean(accuracies):.3f} [{low:.3f}, {high:.3f}]"


def _seed_columns(make_model, X_train, y_train, X_test, y_test, seeds):
    """Fit ``make_model(seed)`` for seeds ``0 .. seeds - 1``: the accuracy and
    fit seconds of seed 0 (the defaults), the spread over the seeds and the
    accuracy of their averaged ``predict_proba``."""
    accuracies, probas, times = [], [], []
    for seed in range(seeds):
        model, seconds = _timed_fit(make_model(seed), X_train, y_train)
        accuracies.append(model.score(X_test, y_test))
        probas.append(model.predict_proba(X_test))
        times.append(seconds)
    averaged = model.classes_[np.mean(probas, axis=0).argmax(axis=1)]
    return {
        "sklrnn": accuracies[0],
        "seeds": _spread(accuracies),
        "average": f"{np.mean(averaged == y_test):.3f}" if seeds > 1 else "-",
        "fit s": times[0],
    }


def series_row(name, threads, seeds):
    if name == "digits":
        X_train, y_train, X_test, y_test = load_digits_rows()
    else:
        X_train, y_train, X_test, y_test = load_ucr(name)
    fits = _seed_columns(
        lambda seed: SequenceClassifier(random_state=seed, n_threads=threads),
        X_train,
        y_train,
        X_test,
        y_test,
        seeds,
    )
    length = max(len(seq) for seq in X_train) if isinstance(X_train, list) else 0
    flat_train, flat_test = _flat(X_train, length), _flat(X_test, length)
    if name == "digits":
        baseline = "SVC", SVC().fit(flat_train, y_train).score(flat_test, y_test)
        target = 0.99
    else:
        knn = KNeighborsClassifier(n_neighbors=1).fit(flat_train, y_train)
        baseline = "1-NN Euclidean", knn.score(flat_test, y_test)
        target = PUBLISHED[name]["FCN"] - 0.01
    published = ", ".join(f"{k} {v:.3f}" for k, v in PUBLISHED.get(name, {}).items())
    return {
        "data": name,
        **fits,
        "baseline": f"{baseline[0]} {baseline[1]:.3f}",
        "published": published or "-",
        "target": target,
    }


def text_rows(threads, full_length, seeds):
    texts, labels = load_review_polarity()
    short = first_words(texts, TEXT_WORDS)
    X_train, X_test, y_train, y_test = train_test_split(
        short, labels, test_size=0.2, stratify=labels, random_state=0
    )
    tfidf = make_pipeline(TfidfVectorizer(), LogisticRegression())
    tfidf_accuracy = tfidf.fit(X_train, y_train).score(X_test, y_test)
    fits = _seed_columns(
        lambda seed: _text_model(threads, seed), X_train, y_train, X_test, y_test, seeds
    )
    rows = [
        {
            "data": f"reviews, first {TEXT_WORDS} words, 80/20",
            **fits,
            "baseline": f"TF-IDF + LR {tfidf_accuracy:.3f}",
            "published": "-",
            "target": tfidf_accuracy,
        }
    ]
    if not full_length:
        return rows
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    tfidf_cv = cross_val_score(tfidf, texts, labels, cv=folds).mean()
    start = time.perf_counter()
    rnn_cv = cross_val_score(_text_model(threads), texts, labels, cv=folds)
    rows.append(
        {
            "data": "reviews, full length, 5-fold CV",
            "sklrnn": rnn_cv.mean(),
            "seeds": "-",
            "average": "-",
            "fit s": (time.perf_counter() - start) / 5,
            "baseline": f"TF-IDF + LR {tfidf_cv:.3f}",
            "published": "-",
            "target": 0.85,
        }
    )
    return rows


def _text_model(threads, seed=0):
    return make_pipeline(
        TextTokenizer(),
        SequenceClassifier(embedding_dim=32, random_state=seed, n_threads=threads),
    )


def print_table(rows):
    columns = ["data", "sklrnn defaults", "fit s", "seeds 0.. mean [min, max]"]
    columns += ["seed-averaged proba", "baseline (computed)", "published"]
    columns += ["target", "result"]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        result = "pass" if row["sklrnn"] >= row["target"] - 1e-9 else "FAIL"
        print(
            f"| {row['data']} | {row['sklrnn']:.3f} | {row['fit s']:.1f} | "
            f"{row['seeds']} | {row['average']} | {row['baseline']} | "
            f"{row['published']} | ≥ {row['target']:.3f} | {result} |"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only",
        nargs="+",
        choices=[*SERIES, "digits", "reviews"],
        help="run only these rows",
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads per fit"
    )
    parser.add_argument(
        "--full-text",
        action="store_true",
        help="add the 5-fold CV on full-length reviews (hours on 2 cores)",
    )
    parser.add_argument(
        "--seeds",
        type=int,
        default=3,
        help="fit the series and the 200-word reviews with random_state "
        "0..N-1 for the spread (default 3)",
    )
    args = parser.parse_args()
    names = args.only or [*SERIES, "digits", "reviews"]
    rows = []
    for name in names:
        if name == "reviews":
            if not (DATA_DIR / "review_polarity.tar.gz").exists():
                print(f"reviews skipped: no review_polarity.tar.gz in {DATA_DIR}")
                continue
            rows.extend(text_rows(args.threads, args.full_text, args.seeds))
        else:
            rows.append(series_row(name, args.threads, args.seeds))
        print(f"done: {rows[-1]['data']}", file=sys.stderr, flush=True)
    print_table(rows)


if __name__ == "__main__":
    main()

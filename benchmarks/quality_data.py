"""The classification data sets of the quality benchmark, as a user loads them.

The UCR/UEA series come from sktime's bundled copies (``pip install
sklrnn[bench]``), turned from sktime's ``(n, channels, steps)`` into sklrnn's
``(n, steps, features)``; JapaneseVowels stays ragged, a list of
``(steps, 12)`` arrays. The review polarity corpus is read from the shared data
folder (``SKLRNN_DATA``, default ``../shared/data`` next to the repository).
"""

import os
import tarfile
from pathlib import Path

import numpy as np

DATA_DIR = Path(
    os.environ.get("SKLRNN_DATA", Path(__file__).resolve().parents[2] / "shared/data")
)

UCR_LOADERS = {
    "GunPoint": "load_gunpoint",
    "ItalyPowerDemand": "load_italy_power_demand",
    "ArrowHead": "load_arrow_head",
    "BasicMotions": "load_basic_motions",
    "JapaneseVowels": "load_japanese_vowels",
}


def load_ucr(name):
    """Return ``X_train, y_train, X_test, y_test`` of a UCR/UEA set as sktime
    ships it, the series at full length."""
    from sktime import datasets

    loader = getattr(datasets, UCR_LOADERS[name])
    splits = []
    for split in ("train", "test"):
        if name == "JapaneseVowels":
            frame, y = loader(split=split, return_type="nested_univ")
            X = [
                np.column_stack([cell.to_numpy() for cell in row])
                for row in frame.itertuples(index=False)
            ]
        else:
            X, y = loader(split=split, return_type="numpy3D")
            X = np.ascontiguousarray(X.transpose(0, 2, 1))
        splits += [X, np.asarray(y)]
    return tuple(splits)


def load_digits_rows():
    """sklearn's digits as 8 steps of 8 pixels in [0, 1], with the gallery
    example's split: a stratified 25 % held out."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(
        digits.images / 16.0,
        digits.target,
        test_size=0.25,
        stratify=digits.target,
        random_state=0,
    )
    return X_train, y_train, X_test, y_test


def load_review_polarity():
    """Return the 2,000 movie reviews and their labels ("neg"/"pos")."""
    path = DATA_DIR / "review_polarity.tar.gz"
    texts, labels = [], []
    with tarfile.open(path) as archive:
        for member in sorted(archive.getmembers(), key=lambda m: m.name):
            parts = member.name.split("/")
            if member.isfile() and member.name.endswith(".txt"):
                texts.append(archive.extractfile(member).read().decode("latin-1"))
                labels.append(parts[-2])
    return np.asarray(texts, dtype=object), np.asarray(labels)


def first_words(texts, n_words):
    """Each text cut to its first ``n_words`` words."""
    return np.asarray([" ".join(text.split()[:n_words]) for text in texts], object)

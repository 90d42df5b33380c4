"""
=====================================
Reading handwritten digits row by row
=====================================

The classic first recurrent-network tutorial reads each 28 × 28 MNIST image
as a sequence of 28 rows of 28 pixels and classifies it with ``LSTM(…)`` and
a softmax. This is the same idea in miniature, on scikit-learn's own 8 × 8
digits: every image is a sequence of 8 steps (the rows, top to bottom) of 8
features (the pixels of a row). The network sees one row at a time and must
remember the strokes above to tell a 3 from an 8.

We hold out a stratified 25 % of the images, fit a bidirectional GRU and set
its accuracy next to scikit-learn's ``SVC()`` on the same split.
"""

# %%
# Images as sequences of rows
# ---------------------------
# ``load_digits().images`` has shape ``(1797, 8, 8)``: exactly the
# ``(n_samples, n_timesteps, n_features)`` layout that
# :class:`~sklrnn.SequenceClassifier` reads. Pixels go from 0 to 16; dividing
# by 16 puts them in ``[0, 1]``.
from time import perf_counter

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

from sklrnn import SequenceClassifier

digits = load_digits()
X = digits.images / 16.0  # (1797, 8, 8): 8 steps of 8 pixels
y = digits.target
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
print(f"train: {X_train.shape}, test: {X_test.shape}")

# %%
# A bidirectional GRU
# -------------------
# The network reads the rows top to bottom and bottom to top, and classifies
# the two final states together. Thirty epochs of Adam take a few seconds.
clf = SequenceClassifier(
    cell="gru",
    hidden_size=64,
    bidirectional=True,
    max_epochs=30,
    batch_size=64,
    lr=0.005,
    random_state=0,
)
start = perf_counter()
clf.fit(X_train, y_train)
rnn_time = perf_counter() - start
rnn_accuracy = clf.score(X_test, y_test)

# %%
# The scikit-learn baseline
# -------------------------
# An RBF support vector machine on the 64 flattened pixels is a strong
# baseline on this data set: it needs no notion of rows at all.
start = perf_counter()
svc = SVC().fit(X_train.reshape(len(X_train), -1), y_train)
svc_time = perf_counter() - start
svc_accuracy = svc.score(X_test.reshape(len(X_test), -1), y_test)

print(f"{'model':<20}{'test accuracy':>15}{'fit time (s)':>15}")
print(f"{'SequenceClassifier':<20}{rnn_accuracy:>15.3f}{rnn_time:>15.2f}")
print(f"{'SVC':<20}{svc_accuracy:>15.3f}{svc_time:>15.2f}")
print(f"SequenceClassifier test accuracy: {rnn_accuracy:.4f}")
print(f"SVC test accuracy: {svc_accuracy:.4f}")

# %%
# Where the network goes wrong
# ----------------------------
# The confusion matrix counts, for every true digit (rows), the digits the
# network predicted (columns); the loss curve shows the training converge.
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.metrics import ConfusionMatrixDisplay  # noqa: E402

fig, (ax_cm, ax_loss) = plt.subplots(1, 2, figsize=(10, 4.5))
ConfusionMatrixDisplay.from_predictions(
    y_test, clf.predict(X_test), ax=ax_cm, colorbar=False
)
ax_cm.set_title(f"SequenceClassifier, test accuracy {rnn_accuracy:.3f}")

train_loss = clf.history_[:, "train_loss"]
ax_loss.plot(np.arange(1, len(train_loss) + 1), train_loss)
ax_loss.set_yscale("log")
ax_loss.set_xlabel("epoch")
ax_loss.set_ylabel("training loss (cross-entropy)")
ax_loss.set_title("Training loss")
fig.tight_layout()
fig.savefig("digits_sequences.png", dpi=100)
print("figure saved to digits_sequences.png")

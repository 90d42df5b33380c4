"""
=================================================
Many-to-one regression on a noisy cosine with RNN
=================================================

The ``SimpleRNN`` tutorials read 500 steps of a noisy ``cos(x)`` and predict
the next value. Here the same job is one call to `make_windows` and an
`LSTMRegressor` with ``cell="rnn"`` (the plain tanh cell), trained on the
first 80 % of the windows and tested on the last 20 %.
"""

# %%
# Windows of the series
# ---------------------
import numpy as np

from sklrnn import LSTMRegressor
from sklrnn.datasets import make_cosine
from sklrnn.preprocessing import make_windows

step, noise = 0.05, 0.1
series = make_cosine(1500, step=step, noise=noise, random_state=0)
X, y = make_windows(series, window=500)  # X: (1000, 500) views of the series
n_train = int(0.8 * len(X))
print(f"{len(X)} windows of {X.shape[1]} steps; {n_train} to train on")

# %%
# Train the tanh RNN
# ------------------
rnn = LSTMRegressor(
    cell="rnn", hidden_size=32, max_epochs=10, batch_size=50, random_state=0
)
rnn.fit(X[:n_train], y[:n_train])
y_pred = rnn.predict(X[n_train:])

# %%
# How close is it?
# ----------------
# The noise alone puts a floor of ``noise ** 2`` under the test error; the
# error against the clean wave shows how much of the signal was learned.
clean = np.cos(step * np.arange(500, 1500))[n_train:]
y_test = y[n_train:]
persistence = X[n_train:, -1]
print(f"test MSE against the noisy series: {np.mean((y_pred - y_test) ** 2):.4f}")
print(f"  floor set by the noise:          {noise**2:.4f}")
print(f"  persistence (last value):        {np.mean((persistence - y_test) ** 2):.4f}")
print(f"test MSE against the clean wave:   {np.mean((y_pred - clean) ** 2):.4f}")

# %%
# Loss curve and predictions
# --------------------------
import matplotlib.pyplot as plt  # noqa: E402

fig, (ax_loss, ax_pred) = plt.subplots(1, 2, figsize=(10, 3.5))
ax_loss.plot(rnn.history_[:, "train_loss"], marker="o")
ax_loss.set_xlabel("epoch")
ax_loss.set_ylabel("training loss (standardised MSE)")
ax_loss.set_title("Training")
ax_pred.plot(y_test, color="lightgrey", label="noisy series")
ax_pred.plot(clean, color="black", label="cos(x)")
ax_pred.plot(y_pred, label="RNN prediction")
ax_pred.set_xlabel("test window")
ax_pred.set_title("Next value, test windows")
ax_pred.legend()
fig.tight_layout()
fig.savefig("cosine_rnn.png", dpi=100)

"""
=============================================
Labelling every step: a switch seen by pulses
=============================================

A machine is switched on and off; the sensor only shows a short pulse when the
switch flips (+1 for on, -1 for off), buried in noise. The label of a step,
"on" or "off", is not visible in that step's reading: it depends on the last
pulse before it, possibly many steps back. `SequenceTagger` labels every step
of sequences of different lengths; a per-step classifier that sees only the
current reading is shown for comparison.
"""

# %%
# Sequences of different lengths with a hidden state
# --------------------------------------------------
import numpy as np
from sklearn.linear_model import LogisticRegression

from sklrnn import SequenceTagger

rng = np.random.RandomState(0)


def make_switch_sequences(n_sequences):
    X, y = [], []
    for _ in range(n_sequences):
        length = rng.randint(20, 60)
        flips = rng.uniform(size=length) < 0.1
        state = np.cumsum(flips) % 2  # 1 = on
        change = np.diff(state, prepend=0)  # +1 switched on, -1 switched off
        reading = change + rng.normal(scale=0.2, size=length)
        X.append(reading.reshape(-1, 1).astype(np.float32))
        y.append(np.where(state == 1, "on", "off"))
    return X, y


X_train, y_train = make_switch_sequences(400)
X_test, y_test = make_switch_sequences(100)
print(f"{len(X_train)} training sequences of 20 to 59 steps")

# %%
# Tag every step
# --------------
tagger = SequenceTagger(hidden_size=16, max_epochs=30, random_state=0)
tagger.fit(X_train, y_train)
print(f"SequenceTagger step accuracy: {tagger.score(X_test, y_test):.3f}")

# A classifier of single readings cannot know the state between pulses.
per_step = LogisticRegression().fit(np.vstack(X_train), np.concatenate(y_train))
accuracy = per_step.score(np.vstack(X_test), np.concatenate(y_test))
print(f"per-step LogisticRegression accuracy: {accuracy:.3f}")

# %%
# One test sequence
# -----------------
import matplotlib.pyplot as plt  # noqa: E402

sequence = 0
predicted = tagger.predict([X_test[sequence]])[0]
fig, ax = plt.subplots(figsize=(8, 3))
ax.plot(X_test[sequence][:, 0], color="grey", label="sensor reading")
ax.step(
    np.arange(len(predicted)),
    y_test[sequence] == "on",
    where="mid",
    color="black",
    label="true state (on = 1)",
)
ax.step(
    np.arange(len(predicted)),
    (predicted == "on") * 0.9,
    where="mid",
    linestyle="--",
    label="predicted state (scaled 0.9)",
)
ax.set_xlabel("step")
ax.legend(loc="lower left", fontsize="small")
ax.set_title("Every step labelled from the pulses before it")
fig.tight_layout()
fig.savefig("sequence_tagging.png", dpi=100)

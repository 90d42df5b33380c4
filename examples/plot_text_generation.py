"""
=====================================
Writing text one character at a time
=====================================

The char-rnn experiment and the Keras "text generation with LSTM" tutorial:
a recurrent network reads a text one character at a time, learns to predict
the next one, and then writes new text, one character after another.

`CharLSTMGenerator` trains with a target at every step of contiguous
chunks (many-to-many), not one target per window, so every character of the
text is learned from in every epoch; and it generates by carrying its hidden
state from one character to the next instead of re-reading a window for
every character.

The text is the documentation that ships with Python (the interactive help
topics, about 460 KB of English with some code), so the example needs no
download. Training takes about a minute on a laptop CPU. Set the
environment variable ``SKLRNN_EXAMPLE_QUICK=1`` for a run of a few seconds
on a small part of the text (to check that the script works; the text it
writes is then gibberish).
"""

# %%
# The text
# --------
# Whole help topics are held out to measure how well the model predicts text
# it has never seen.
import math
import os
import time

from sklrnn import CharLSTMGenerator
from sklrnn.datasets import load_text_corpus

QUICK = os.environ.get("SKLRNN_EXAMPLE_QUICK") == "1"

documents = load_text_corpus(as_documents=True)
test_documents = documents[::10]
train_documents = [doc for i, doc in enumerate(documents) if i % 10]
if QUICK:
    train_documents = [doc[:3000] for doc in train_documents[:10]]
    test_documents = [doc[:1000] for doc in test_documents[:3]]
n_train = sum(map(len, train_documents))
print(f"{len(train_documents)} training topics, {n_train} characters")

# %%
# Train
# -----
# One LSTM layer of 128 units over 32-dimensional character vectors, read in
# chunks of 100 characters. Early stopping holds out the end of the training
# text and keeps the best epoch's weights. Characters of the test topics that
# never occur in training are skipped (``handle_unknown="ignore"``).
generator = CharLSTMGenerator(
    hidden_size=128,
    embedding_dim=32,
    window=100,
    batch_size=32,
    lr=0.005,
    max_epochs=2 if QUICK else 12,
    early_stopping=True,
    validation_fraction=0.1,
    handle_unknown="ignore",
    random_state=0,
)
start = time.perf_counter()
generator.fit(train_documents)
print(f"trained {generator.n_iter_} epochs in {time.perf_counter() - start:.0f} s")

# %%
# How well does it predict unseen text?
# -------------------------------------
# `score` is the mean log-likelihood per character (in nats); bits per
# character are ``-score / ln 2`` and perplexity is ``exp(-score)``. A model
# that knows nothing needs ``log2(n_characters)`` bits per character.
n_chars = len(generator.vocabulary_)
score = generator.score(test_documents)
print(f"vocabulary: {n_chars} characters")
print(f"held-out bits per character: {-score / math.log(2):.2f}")
print(f"held-out perplexity: {math.exp(-score):.1f}")
print(f"uniform guess: {math.log2(n_chars):.2f} bits per character")

# %%
# The loss curve
# --------------
# The training loss is the mean negative log-likelihood per character of the
# training chunks; in bits it reads as the number of bits the model needs per
# character.
import matplotlib.pyplot as plt  # noqa: E402

history = generator.history_
epochs = history[:, "epoch"]
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(epochs, [loss / math.log(2) for loss in history[:, "train_loss"]], "o-")
ax.plot(epochs, [loss / math.log(2) for loss in history[:, "valid_loss"]], "s--")
ax.axhline(-score / math.log(2), color="grey", linestyle=":")
ax.legend(["training text", "end of the training text", "held-out topics"])
ax.set_xlabel("epoch")
ax.set_ylabel("bits per character")
ax.set_title("CharLSTMGenerator on Python's help topics")
fig.tight_layout()
fig.savefig("text_generation_loss.png", dpi=100)

# %%
# Write 500 characters at two temperatures
# ----------------------------------------
# The temperature divides the logits before sampling: a low temperature
# picks the likely characters (repetitive, well-spelled text), a high one
# takes more risks (varied text, more invented words).
for temperature in (0.5, 1.0):
    start = time.perf_counter()
    text = generator.generate(
        500, prompt="The ", temperature=temperature, random_state=0
    )
    seconds = time.perf_counter() - start
    print(f"\n--- temperature {temperature} ({seconds * 1000:.0f} ms) ---")
    print("The " + text)

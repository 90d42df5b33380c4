"""
=======================================
Deploying without torch: ONNX export
=======================================

A fitted model usually has to be served somewhere without the training
stack. `sklrnn.to_onnx` turns a fitted estimator, or a whole
:class:`~sklearn.pipeline.Pipeline`, into one ONNX graph: the scaling, the
windowing, the network and the regressor's target units all inside it. The
graph runs in `onnxruntime <https://onnxruntime.ai>`_, which needs neither
torch, skorch, scikit-learn nor sklrnn.

Needs the optional extra: ``pip install "sklrnn[onnx]"``.
"""

# %%
# A forecasting pipeline, exported whole
# --------------------------------------
# The pipeline of the airline example: standardise the monthly totals, turn
# each month into the window of the 12 months that end at it, and predict the
# next month's total with an LSTM.
import time

import matplotlib.pyplot as plt
import numpy as np
import onnxruntime as ort
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklrnn import CharLSTMGenerator, LSTMRegressor, to_onnx
from sklrnn.datasets import load_airline, load_text_corpus
from sklrnn.preprocessing import SlidingWindowTransformer

passengers = load_airline()
series = passengers.to_numpy(dtype=float).reshape(-1, 1)
X, y = series[:-1], series[1:, 0]  # each month -> the next month's total
n_train = 108
pipe = make_pipeline(
    StandardScaler(),
    SlidingWindowTransformer(window=12),
    LSTMRegressor(hidden_size=16, max_epochs=100, batch_size=16, lr=0.01),
)
pipe.set_params(lstmregressor__random_state=0)
pipe.fit(X[:n_train], y[:n_train])

# %%
# The exported model takes the raw series, as ``pipe.predict`` does, and
# returns one prediction per month. ``X[:2]`` only tells `to_onnx` the form
# of the input: a table of ``n_features`` columns, any number of rows.
model = to_onnx(pipe, X[:2])
with open("airline_forecast.onnx", "wb") as file:
    file.write(model.SerializeToString())

session = ort.InferenceSession("airline_forecast.onnx")
print("inputs:", [(i.name, i.shape, i.type) for i in session.get_inputs()])
print("outputs:", [(o.name, o.shape, o.type) for o in session.get_outputs()])
(onnx_forecast,) = session.run(None, {"X": X.astype(np.float32)})
forecast = pipe.predict(X)
print(f"largest difference to predict: {np.max(np.abs(onnx_forecast - forecast)):.1e}")


# %%
# One call per request is where the runtime pays off: no validation, no
# Python between the layers.
def median_ms(call, repeats=200):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


last_year = X[-12:].astype(np.float32)
predict_ms = median_ms(lambda: pipe.predict(last_year))
onnx_ms = median_ms(lambda: session.run(None, {"X": last_year}))
print(
    f"next month from the last 12: predict {predict_ms:.2f} ms, "
    f"onnxruntime {onnx_ms:.2f} ms"
)

fig, ax = plt.subplots(figsize=(7, 3.5))
months = passengers.index[1:].to_timestamp()
ax.plot(months, y, color="black", label="passengers")
ax.plot(months, forecast, label="pipe.predict", linewidth=3, alpha=0.5)
ax.plot(months, onnx_forecast, "--", label="onnxruntime")
ax.axvline(months[n_train], color="gray", linestyle=":", label="end of training")
ax.set_ylabel("thousands of passengers")
ax.set_title("One month ahead: the exported pipeline gives the same forecast")
ax.legend()
fig.tight_layout()
fig.savefig("onnx_export.png", dpi=100)

# %%
# Text generation, one step at a time
# -----------------------------------
# A `CharLSTMGenerator` exports as one step of its language model: a
# character's input id and the recurrent state in, the next character's
# logits and the new state out. The service keeps the state between calls.
# The input id of a character is its column in ``vocabulary_`` plus one; id
# 0 starts a text. Tokenising and the sampling loop stay in the service;
# greedy sampling (always the most likely character) writes exactly the
# text of ``generate(..., top_k=1)``. A model this small, trained for
# seconds, soon repeats itself when it always takes its first choice.
text = load_text_corpus()[:60_000]  # a few seconds of training
generator = CharLSTMGenerator(
    hidden_size=96, embedding_dim=16, max_epochs=8, lr=0.01, random_state=0
).fit(text)
step = ort.InferenceSession(to_onnx(generator).SerializeToString())
chars = sorted(generator.vocabulary_, key=generator.vocabulary_.get)


def write(prompt, n_chars):
    """Greedy generation with the exported step model."""
    state = {
        inp.name: np.zeros(inp.shape[:1] + [1] + inp.shape[2:], np.float32)
        for inp in step.get_inputs()[1:]
    }
    input_ids = [0] + [generator.vocabulary_[c] + 1 for c in prompt]
    written = []
    for _ in range(n_chars):
        for input_id in input_ids:
            logits, *next_state = step.run(
                None, {"input_id": np.array([input_id]), **state}
            )
            state = dict(zip(state, next_state))
        best = int(np.argmax(logits[0]))
        written.append(chars[best])
        input_ids = [best + 1]
    return "".join(written)


onnx_text = write("The ", 500)
print(repr(onnx_text[:120]))
same = onnx_text == generator.generate(500, prompt="The ", top_k=1)
print(f"same 500 characters as generate: {same}")

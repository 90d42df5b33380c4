"""Run every example script once, so none goes stale."""

import functools
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

EXAMPLES_DIR = Path(__file__).parents[1] / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("plot_*.py"))


@functools.cache
def run_example(name):
    """Run an example in a fresh folder; return its stdout and saved figures."""
    pytest.importorskip("matplotlib")
    folder = Path(tempfile.mkdtemp(prefix=f"sklrnn-{name}-"))
    result = subprocess.run(
        [sys.executable, str(EXAMPLES_DIR / f"{name}.py")],
        cwd=folder,
        env={**os.environ, "MPLBACKEND": "Agg"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout, sorted(folder.glob("*.png"))


@pytest.mark.parametrize("name", [path.stem for path in EXAMPLES])
def test_example_runs_and_saves_a_figure(name):
    _, figures = run_example(name)
    assert figures, "the example saved no figure"


def test_airline_example_beats_the_keras_tutorial():
    out, _ = run_example("plot_airline_forecast")
    line = next(line for line in out.splitlines() if "sklrnn LSTMRegressor" in line)
    assert float(line.split()[-1]) < 47.5, out
    assert "sklrnn beats the Keras tutorial" in out


def test_cosine_example_learns_the_wave():
    out, _ = run_example("plot_cosine_rnn")
    line = next(line for line in out.splitlines() if "clean wave" in line)
    assert float(line.split()[-1]) < 0.01, out

# Two commands do all the set-up: `make demo` and `make test` (lint, tests,
# doctests, examples, and the docs build with warnings as errors).
# Both create .venv on first use and install a CPU build of torch.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# torch 2.13.0 is the CPU build this machine's pip takes from local disk; on
# other machines TORCH_INDEX=https://download.pytorch.org/whl/cpu avoids a
# multi-GB CUDA download.
TORCH := torch==2.13.0
TORCH_INDEX ?=

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) "$(TORCH)"
	$(PY) -m pip install --quiet -e ".[dev,plot]"
	touch $@

.PHONY: demo test
demo: $(VENV)/.installed
	MPLBACKEND=Agg $(PY) examples/plot_airline_forecast.py

test: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest
	$(MAKE) docs

# The documentation site, into docs/_build/html, with warnings as errors. It
# runs every example of the gallery; one torch thread each keeps the tiny
# models fast when anything else uses the cores.
$(VENV)/.docs-installed: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install --quiet -e ".[docs]"
	touch $@

.PHONY: docs
docs: $(VENV)/.docs-installed
	OMP_NUM_THREADS=1 MPLBACKEND=Agg $(PY) -m sphinx -W --keep-going -b html docs docs/_build/html

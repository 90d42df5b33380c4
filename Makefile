# Two commands do all the set-up: `make demo` and `make test`.
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

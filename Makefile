# The two commands: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo test regen bench reliability clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

## demo: start the emulator in-process and run start -> ping -> stop against it
demo: $(VENV)/.installed
	$(VENV)/bin/binance-usdm-ws demo

## test: codegen --check, ruff, mypy --strict, pytest
test: $(VENV)/.installed-test
	$(PY) -m codegen --check
	$(PY) -m ruff check --quiet src codegen tests examples bench scripts
	$(PY) -m ruff format --check --quiet src codegen tests examples bench scripts
	$(PY) -m mypy
	$(PY) -m pytest

## bench: the benchmarks in bench/ (not part of test); results in bench/results/, summary in bench/RESULTS.md
bench: $(VENV)/.installed
	$(PY) -m bench

## reliability: every emulator fault against the client, plus fuzzing; writes docs/reliability.md
reliability: $(VENV)/.installed
	$(PY) scripts/reliability.py

## regen: import the docs pages PAGES="a.md b.md" (if given) into schema/, then regenerate src/
regen: $(VENV)/.installed-test
	$(if $(strip $(PAGES)),$(PY) -m codegen.docs import $(PAGES))
	$(PY) -m codegen

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .hypothesis

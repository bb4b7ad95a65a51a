# The two commands: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# The oldest versions the package declares (pyproject.toml), for the runtime tests.
OLDEST ?= .venv-oldest
OLDEST_PINS := websockets==15.0 attrs==24.3.0 cattrs==25.2.0
OLDEST_TEST_PINS := pytest==9.2.0 pytest-asyncio==1.5.0 hypothesis==6.170.17 pytest-timeout==2.4.0 cryptography==42.0.0
# Tests of the runtime alone (no codegen, no docs importer, no schema tooling: jsonschema).
RUNTIME_TESTS := $(filter-out $(wildcard tests/test_codegen.py tests/test_converter.py tests/test_fidelity.py \
	tests/test_docs_*.py tests/test_events.py tests/test_new_method.py),$(wildcard tests/test_*.py))
# The tests of what goes over a socket: run again through the public-API fallback.
TRANSPORT_TESTS := $(wildcard tests/test_transport.py tests/test_client.py tests/test_sync_client.py \
	tests/test_supervisor.py tests/test_user_stream*.py tests/test_keepalive.py tests/test_faults.py \
	tests/test_order_safety.py tests/test_time.py tests/test_signing.py tests/test_secrets.py)

# The docs pages (Markdown, as scraped); the method pages are every page but the event and
# error-code pages. `make docs` re-imports them all; `make docs-check` only compares.
DOCS ?= ../shared/docs-pages/usdm
DOC_PAGES = $(sort $(filter-out %/error-code.md $(DOCS)/user-data-streams/Event-%,$(shell find $(DOCS) -name '*.md' 2>/dev/null)))

.PHONY: demo test regen docs docs-check bench reliability clean

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

$(OLDEST)/.installed: pyproject.toml Makefile
	$(PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/python -m pip install --quiet --upgrade pip
	$(OLDEST)/bin/python -m pip install --quiet -e . $(OLDEST_PINS) $(OLDEST_TEST_PINS)
	touch $@

## demo: start the emulator in-process and run start -> ping -> stop against it
demo: $(VENV)/.installed
	$(VENV)/bin/binance-usdm-ws demo

## test: codegen --check, ruff, mypy --strict, the import-layer contracts, pytest; then the
## transport tests through the public-API fallback (no websockets internals), and the runtime
## tests against the oldest websockets, attrs and cattrs the package declares (the main run
## has the newest)
test: $(VENV)/.installed-test $(OLDEST)/.installed
	$(PY) -m codegen --check
	$(PY) -m ruff check --quiet src codegen tests examples bench scripts
	$(PY) -m ruff format --check --quiet src codegen tests examples bench scripts
	$(PY) -m mypy
	$(VENV)/bin/lint-imports --no-cache --no-logo
	$(PY) -m pytest -m ""
	BINANCE_USDM_WS_NO_INTERNALS=1 $(PY) -m pytest -q -p no:cacheprovider $(TRANSPORT_TESTS)
	$(OLDEST)/bin/python -m pytest -q -p no:cacheprovider $(RUNTIME_TESTS)

## docs: re-import every method page of $(DOCS) into schema/, then regenerate src/
## (after a docs change; then review `git diff`, see schema/README.md)
docs: $(VENV)/.installed-test
	$(if $(DOC_PAGES),,$(error no pages in DOCS=$(DOCS)))
	$(PY) -m codegen.docs import $(DOC_PAGES)
	$(PY) -m codegen

## docs-check: exit 1 when schema/ and the pages of $(DOCS) disagree (writes nothing)
docs-check: $(VENV)/.installed-test
	$(if $(DOC_PAGES),,$(error no pages in DOCS=$(DOCS)))
	$(PY) -m codegen.docs check $(DOC_PAGES)

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
	rm -rf $(VENV) $(OLDEST) .mypy_cache .pytest_cache .hypothesis

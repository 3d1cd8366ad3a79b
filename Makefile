# The two commands of the README: `make serve` and `make test`. Both set up what they need first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: serve test bench lint typecheck clean system-deps test-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test,dev]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[bench]'
	touch $@

## serve: serve the shipped data on http://$(HOST):$(PORT)/ (`aikg serve` validates it first, once)
serve: $(VENV)/.installed
	$(BIN)/aikg serve --host $(HOST) --port $(PORT)

## system-deps: Debian's Chromium for the browser tests and Virtuoso for the store tests (apt-get, when missing)
system-deps:
	@scripts/system-deps chromium virtuoso

## test-deps: axe-core (npm) for the browser tests' accessibility checks, into tests/.node/
test-deps:
	@scripts/test-deps

## test: lint, type check, then the whole suite (unit, live-server, remote-store, browser)
test: $(VENV)/.installed-test system-deps test-deps
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest

## bench: the endpoint and scale benchmarks, side by side with the Oxigraph server
bench: $(VENV)/.installed-bench
	@scripts/system-deps wrk virtuoso
	$(BIN)/python -m bench

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache bench/results

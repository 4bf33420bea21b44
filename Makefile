# The two commands of the README: `make plan` and `make test`. The first use creates .venv with the pinned
# dependencies; later uses reuse it (it is rebuilt when a requirements file changes).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STACK ?= dev

.PHONY: plan test lint typecheck unit integration bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

## plan: offline plan of $(STACK) (tree, policy report, cost) and plan-$(STACK).json
plan: $(VENV)/.installed
	$(BIN)/python -m offline plan --stack $(STACK) --json plan-$(STACK).json

## test: lint, type check, unit tests and integration tests (real Orthanc + PostgreSQL)
test: lint typecheck
	$(BIN)/pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed
	$(BIN)/mypy .

## unit: unit tests only (no servers)
unit: $(VENV)/.installed
	$(BIN)/pytest -m "not integration"

## integration: integration tests only
integration: $(VENV)/.installed
	$(BIN)/pytest -m integration

## bench: ingest and query benchmarks (real Orthanc + PostgreSQL vs SQLite)
bench: $(VENV)/.installed
	$(BIN)/python -m bench.ingest

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache plan-*.json

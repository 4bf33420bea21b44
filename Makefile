# The two commands of the README: `make plan` and `make test`. The first use creates .venv with the pinned
# dependencies; later uses reuse it (it is rebuilt when a requirements file changes).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STACK ?= dev

.PHONY: plan preflight deployer-policy test lint typecheck unit integration bench bench-plan system-packages-test clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

## plan: offline plan of $(STACK) (tree, policy report, cost) and plan-$(STACK).json
plan: $(VENV)/.installed
	$(BIN)/python -m offline plan --stack $(STACK) --json plan-$(STACK).json

## preflight: ask the tenancy of ~/.oci/config (read-only) what would make `pulumi up` of $(STACK) fail
preflight: $(VENV)/.installed
	$(BIN)/python -m offline preflight --stack $(STACK)

## deployer-policy: the least-privilege IAM policy of the group that runs `pulumi up` of $(STACK)
deployer-policy: $(VENV)/.installed
	$(BIN)/python -m offline deployer-policy --stack $(STACK)

## test: lint, type check, unit tests and integration tests (real Orthanc + PostgreSQL); installs the Debian
## packages the integration tests need when they are missing (as root or with sudo; else prints the command)
test: system-packages-test lint typecheck
	$(BIN)/pytest

system-packages-test:
	scripts/system-packages test

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed
	$(BIN)/mypy .

## unit: unit tests only (no servers)
unit: $(VENV)/.installed
	$(BIN)/pytest -m "not integration"

## integration: integration tests only
integration: $(VENV)/.installed system-packages-test
	$(BIN)/pytest -m integration

## bench: ingest and query benchmarks (real Orthanc + PostgreSQL vs SQLite)
bench: $(VENV)/.installed system-packages-test
	$(BIN)/python -m bench.ingest

## bench-plan: wall time of `make plan`'s work (dev, prod, and a 16x fleet) with hyperfine -> bench/PLAN.md
## (BENCH_PLAN_ARGS="--baseline <commit>" adds a before/after row)
bench-plan: $(VENV)/.installed
	scripts/system-packages bench-plan
	$(BIN)/python -m bench.plan $(BENCH_PLAN_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache plan-*.json

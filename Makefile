# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint install demo clean bench

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## make run: install, build the demo chain, load it and show what is in the lake
run: $(STAMP)
	$(BIN)/newretail demo

## make test: install and run the whole test suite, lint and type checks included
test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

## make bench: the performance benchmarks, each against its baseline (minutes; not tests)
bench: $(STAMP)
	$(BIN)/python -m benchmarks.ingest
	$(BIN)/python -m benchmarks.simulate --preset demo
	$(BIN)/python -m benchmarks.members

clean:
	rm -rf $(VENV) newretail-data .pytest_cache .mypy_cache .ruff_cache

# The two set-up commands of the README: `make run` (the main job) and `make test` (all tests).
# Each creates .venv and installs the project on first use; only python3 and make are needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test lint types pytest serve clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## The main job: the conformance suite over all four adapters, with a per-framework summary.
run: install
	$(BIN)/asgi-compare conformance

## Everything: format and lint (ruff), types (mypy, strict), then every test.
test: lint types pytest

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

types: install
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest

## Serve one adapter: make serve FRAMEWORK=quart [PORT=8000]
FRAMEWORK ?= fastapi
PORT      ?= 8000
serve: install
	$(BIN)/asgi-compare serve $(FRAMEWORK) --port $(PORT)

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache

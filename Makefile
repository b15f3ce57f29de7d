# Two entry points (see README): `make search` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ROOT ?= $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"] + "/json")')
QUERY ?= parse a JSON document from a string

.PHONY: install install-test search test lint bench clean

$(BIN)/codesift: pyproject.toml
	@echo "Installing codesift into $(VENV) (about a minute the first time)..."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	@touch $@

install: $(BIN)/codesift

$(VENV)/.test-deps: $(BIN)/codesift
	@echo "Installing the test dependencies..."
	$(BIN)/pip install --quiet -e '.[test,bench]'
	@touch $@

install-test: $(VENV)/.test-deps

search: install
	$(BIN)/codesift search "$(QUERY)" --root "$(ROOT)"

lint: install-test
	$(BIN)/ruff check server tests bench training
	$(BIN)/mypy server/codesift --ignore-missing-imports

test: install-test lint
	$(BIN)/python -m pytest -q

bench: install-test
	$(BIN)/python -m bench.engine

clean:
	rm -rf $(VENV)

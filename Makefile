# The two commands a fresh machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= shared_config.yaml
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint install migrate test-tools screenshots bench bench-instances clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

migrate: install
	$(BIN)/feedback-widget migrate --config $(CONFIG)

run: migrate
	$(BIN)/feedback-widget serve --config $(CONFIG) --host $(HOST) --port $(PORT)

test-tools: install
	./scripts/ensure-test-tools.sh
	./scripts/install-sdk-clients.sh

test: install test-tools
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: install
	$(BIN)/python scripts/bench.py

bench-instances: install
	$(BIN)/python scripts/bench_instances.py

screenshots: install test-tools
	FEEDBACK_WIDGET_SCREENSHOTS=docs $(BIN)/python -m pytest tests/browser/test_screenshots.py

clean:
	rm -rf $(VENV) *.egg-info webui-gateway.db*

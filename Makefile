# The two commands a fresh machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= shared_config.yaml
HOST ?= 127.0.0.1
PORT ?= 8000

# While working: lint, then every test that needs no browser, no service and no server process
# (the markers come from tests/support/needs.py), on both cores, then mypy. About 25 s.
FAST := not (browser or postgres or redis or broker or model or sdk or server)

.PHONY: messages check run test lint docs install install-test migrate test-tools screenshots bench bench-instances bench-agents bench-metrics bench-tracing bench-review fuzz clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever pyproject.toml changes. `make run` needs the server alone; lint and
# tests need the test extra too (its llama-cpp-python builds once, about 13 minutes).
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

migrate: install
	$(BIN)/feedback-widget migrate --config $(CONFIG)

run: migrate
	$(BIN)/feedback-widget serve --config $(CONFIG) --host $(HOST) --port $(PORT)

test-tools: install-test
	./scripts/ensure-test-tools.sh
	./scripts/install-sdk-clients.sh
	./scripts/install-web-tools.sh
	./scripts/install-phoenix.sh

test: install-test test-tools
	$(BIN)/python -m pytest

# The boundary harness at length: hostile input at every door, on SQLite and PostgreSQL.
# FUZZ_EXAMPLES per door and database (make test runs 15, the same ones every time).
FUZZ_EXAMPLES ?= 500
fuzz: install-test
	FEEDBACK_WIDGET_FUZZ=1 FEEDBACK_WIDGET_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/test_boundary_harness.py

check: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n 2 -q -m "$(FAST)"
	$(BIN)/mypy

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The README's config table, generated from the settings' fields (app/config/); edit a field's
# description or default there, then run this. tests/test_readme.py fails on a stale table.
docs: install
	$(BIN)/python -m app.config.docs --write README.md

bench: install-test
	$(BIN)/python scripts/bench.py

bench-instances: install-test
	$(BIN)/python scripts/bench_instances.py

bench-agents: install-test
	$(BIN)/python scripts/bench_agents.py

# The review queue and the datasets at 100,000 feedback rows (issue 21's figures).
bench-review: install-test
	$(BIN)/python scripts/bench_review.py

bench-metrics: install-test
	$(BIN)/python scripts/bench_metrics.py

# Traces and Phoenix annotations on and off (a real Phoenix: test-tools installs it).
bench-tracing: install-test test-tools
	$(BIN)/python scripts/bench_tracing.py

screenshots: install test-tools
	FEEDBACK_WIDGET_SCREENSHOTS=docs $(BIN)/python -m pytest tests/browser/test_screenshots.py tests/browser/test_console.py tests/browser/test_languages.py tests/browser/test_phoenix.py tests/browser/test_review_queue.py -k "screenshot or phoenix"

clean:
	rm -rf $(VENV) *.egg-info webui-gateway.db*

# Translations (app/locale): extract every message the templates and the app's Python use, bring
# each language's catalog up to date, compile the .mo files the server reads. Commit all three.
# tests/i18n/test_catalogs.py fails on a catalog that misses a message, or a stale .mo.
BABEL := $(BIN)/pybabel
messages:
	$(BABEL) extract -F babel.cfg -k N_ -k pgettext:1c,2 --no-location --sort-output \
		--project feedback-widget -o app/locale/messages.pot .
	$(BABEL) update -i app/locale/messages.pot -d app/locale -D messages --no-fuzzy-matching \
		--ignore-obsolete --width 100
	$(BABEL) compile -d app/locale -D messages --statistics

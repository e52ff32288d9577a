# Two commands do all set-up: `make run` serves the dashboard, `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint format etl bench bench-pages loadtest clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)  ## serve the dashboard on http://127.0.0.1:8050 (demo data on first run)
	$(PY) app.py

test: $(STAMP)  ## the whole suite, PostgreSQL included
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

etl: $(STAMP)  ## load new data from the configured source
	$(PY) -m etl run

clean:
	rm -rf $(VENV) data/*.sqlite data/*.sqlite-* .pytest_cache

bench: $(STAMP)  ## the ETL at BENCH_ACCOUNTS accounts against read_sql and ADBC, each step in its own process
	$(PY) -m etl.bench --accounts $${BENCH_ACCOUNTS:-50000}

bench-pages: $(STAMP)  ## first render of every page in headless Chromium, on the configured warehouse
	$(PY) -m dashboard.cli.bench

loadtest: $(STAMP)  ## 50 signed-in Locust users for 60 s against gunicorn on loopback; report in data/loadtest/last.md
	$(PY) -m pip install --quiet -e '.[load]'
	$(PY) -m dashboard.cli.loadtest

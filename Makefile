# Crossdock front door. Everything installs into ./.venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export PYTHONPATH := $(CURDIR)

.PHONY: install demo serve test lint bench mutate project consume relay outbox clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

demo: install  ## seed, push a day of orders from five channels, print the summary (SQLite default)
	$(PY) -m scripts.cli demo

serve: install  ## the HTTP API on 127.0.0.1:8000 (OpenAPI docs at /docs)
	$(PY) -m scripts.cli serve

project: install  ## a separate projection worker
	$(PY) -m scripts.cli project

consume: install  ## Kafka intake worker (orders.<channel> -> event store)
	$(PY) -m scripts.cli consume

relay: install  ## Kafka relay (notification log -> logistics.events)
	$(PY) -m scripts.cli relay

outbox: install  ## outbox worker (confirmations to the channels, buyers' e-mails)
	$(PY) -m scripts.cli outbox

lint: install
	$(VENV)/bin/ruff check domains projections adapters api scripts tests
	$(VENV)/bin/mypy domains api

test: lint  ## lint, type-check the domain and the API, run the whole suite
	$(VENV)/bin/pytest

screenshots: install  ## the browser tests, saving the README's page screenshots into docs/screenshots/
	CROSSDOCK_SCREENSHOTS=docs/screenshots $(VENV)/bin/pytest tests/browser

bench: install  ## all benchmarks (intake, HTTP, routes, Kafka); figures go into the README
	$(PY) -m scripts.bench --kafka

# Mutation check (issue 21), not part of `make test`: mutmut over the modules that carry
# guarantees, each with the tests that exercise it (groups and test subsets in scripts/mutate.py).
# Report: var/mutate-report.md. E.g. `make mutate MUTATE_GROUPS="retry split" MUTATE_BUDGET=300`.
MUTATE_GROUPS ?=
MUTATE_BUDGET ?= 900
mutate: install  ## mutation check per guarantee group; scores and surviving mutants in var/mutate-report.md
	$(PY) -m scripts.mutate --budget $(MUTATE_BUDGET) $(MUTATE_GROUPS)

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache

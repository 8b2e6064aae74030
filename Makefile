# genpire_app: `make run` sets up and serves the app; `make test` sets up and runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .tools
BUN := $(TOOLS)/node_modules/.bin/bun
PORT ?= 3000

# Reflex needs Node >= 22 for npm; we give it bun from the npm registry instead.
export REFLEX_USE_SYSTEM_BUN := 1
export PATH := $(CURDIR)/$(TOOLS)/node_modules/.bin:$(PATH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run worker test setup setup-dev migrate chromium e2e prod bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

$(BUN):
	npm install --prefix $(TOOLS) --no-audit --no-fund --loglevel=error bun@1.4.4

setup: $(VENV)/.runtime $(BUN)

setup-dev: setup $(VENV)/.dev chromium

migrate: setup
	$(BIN)/alembic upgrade head

## Set up everything, apply migrations, serve the production build on http://localhost:$(PORT)
run: migrate
	$(BIN)/reflex run --env prod --single-port --frontend-port $(PORT) --backend-port $(PORT)

## A queue worker process (production: run one or more next to the web servers, same environment).
## dramatiq_worker_timeout: an idle worker looks for messages every 20 ms (Dramatiq's default is 1 s).
worker: setup
	dramatiq_worker_timeout=20 $(BIN)/dramatiq genpire_app.backend.jobs.worker --processes 1 --threads 16 \
	  --worker-shutdown-timeout 5000

## Chromium from Debian for the browser tests (never a downloaded browser build)
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

## Set up everything (Python packages, bun, Chromium) and run the whole suite
test: setup-dev
	$(BIN)/python -m pytest -n 2 tests/unit tests/services tests/contract
	$(BIN)/python -m pytest tests/pg tests/e2e tests/prod

e2e: setup-dev
	$(BIN)/python -m pytest tests/e2e

## The production topology tier alone (needs PostgreSQL, Redis and moto's S3 server; see README)
prod: setup-dev
	$(BIN)/python -m pytest tests/prod

bench: setup-dev
	$(BIN)/python -m bench.pipeline
	$(BIN)/python -m bench.edit
	$(BIN)/python -m bench.ui_under_load

clean:
	rm -rf $(VENV) $(TOOLS) .web .states reflex.lock

# The two commands a newcomer needs: `make run` and `make test`. See README.md.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test bench lint check venv lock messages clean-var help

help:
	@echo "make run    - start the portal (web, worker, beat) with demo data"
	@echo "make test   - ruff, Django checks and the whole test suite on PostgreSQL and Redis"
	@echo "make bench  - measure speed and memory against baselines (bench/results.json)"
	@echo "make lock   - regenerate requirements.lock from pyproject.toml"
	@echo "make messages - update and compile the translations"

venv: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev]"
	@touch $(STAMP)

run: venv
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo ""
	@echo "  Privacy operations portal"
	@echo "    Admin (staff):  http://127.0.0.1:$(PORT)/admin/"
	@echo "    Health:         http://127.0.0.1:$(PORT)/healthz"
	@echo "    System status:  http://127.0.0.1:$(PORT)/admin/privacy/workercheck/"
	@echo "  Web server, Celery worker and beat start below; Ctrl-C stops them all."
	@echo ""
	PATH="$(CURDIR)/$(BIN):$$PATH" PORTAL_PORT=$(PORT) exec $(BIN)/honcho --no-colour -f Procfile.dev start

lint: venv
	$(BIN)/ruff check .

check: venv
	$(BIN)/python manage.py check --fail-level WARNING
	$(BIN)/python manage.py makemigrations --check --dry-run

test: lint check
	$(BIN)/pytest

# Needs the PostgreSQL of `make test`; builds its own scratch databases and drops them.
bench: venv
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python -m bench

lock:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --extra dev --strip-extras --no-emit-index-url \
		--no-emit-find-links --output-file requirements.lock pyproject.toml

messages: venv
	$(BIN)/python manage.py makemessages --locale sv --no-obsolete --ignore ".venv/*" --ignore "var/*"
	$(BIN)/python manage.py compilemessages --ignore ".venv/*"

clean-var:
	rm -rf var/

# The two commands a newcomer needs: `make run` and `make test`. See README.md.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Emailed links (confirmation, status, digests) point at the port served, unless set.
SITE_URL ?= http://127.0.0.1:$(PORT)
STAMP := $(VENV)/.installed
# The PostgreSQL of `make test` when one answers here (CI's); else the embedded one.
TEST_POSTGRES := postgres://postgres@127.0.0.1:5432/postgres

.PHONY: run serve test test-steps bench lint check preflight venv lock messages db-start db-stop shell clean-var help

help:
	@echo "make run      - start the portal (web, worker, beat) with demo data on the embedded PostgreSQL"
	@echo "make test     - ruff, Django's checks and the whole test suite on PostgreSQL and Redis"
	@echo "make bench    - measure speed and memory against baselines (bench/results.json)"
	@echo "make shell    - a Django shell on the database of make run"
	@echo "make db-start / db-stop - the embedded PostgreSQL of make run, on its own"
	@echo "make lock     - regenerate requirements.lock from pyproject.toml"
	@echo "make messages - update and compile the translations"

venv: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev]"
	@touch $(STAMP)

# Without DATABASE_URL, the embedded PostgreSQL (config/localdb.py) runs for as long as the
# portal does: Ctrl-C stops the web server, the worker, beat and then it.
run: venv
	@$(BIN)/python config/localdb.py run -- $(MAKE) --no-print-directory serve PORT=$(PORT) SITE_URL=$(SITE_URL)

serve:
	$(BIN)/python manage.py migrate --noinput
	SITE_URL=$(SITE_URL) $(BIN)/python manage.py seed_demo
	@echo ""
	@echo "  Privacy operations portal"
	@echo "    Admin (staff):  $(SITE_URL)/admin/"
	@echo "    Self-service:   $(SITE_URL)/privacy/"
	@echo "    Health:         $(SITE_URL)/healthz"
	@echo "    System status:  $(SITE_URL)/admin/core/workercheck/"
	@echo "  Web server, Celery worker and beat start below; Ctrl-C stops them all."
	@echo ""
	PATH="$(CURDIR)/$(BIN):$$PATH" PORTAL_PORT=$(PORT) SITE_URL=$(SITE_URL) exec $(BIN)/honcho --no-colour -f Procfile.dev start

db-start: venv
	@$(BIN)/python config/localdb.py start

db-stop: venv
	@$(BIN)/python config/localdb.py stop

shell: venv
	@$(BIN)/python config/localdb.py run -- $(BIN)/python manage.py shell

lint: venv
	$(BIN)/ruff check .

# makemigrations compares with the database's history where it can reach one and only warns
# where it cannot: here only the models matter.
check: venv
	$(BIN)/python manage.py check --fail-level WARNING
	$(BIN)/python -W ignore::RuntimeWarning manage.py makemigrations --check --dry-run

# Before anything runs: one message naming what is missing (Redis, Chromium, ...) and its fix.
preflight: venv
	@$(BIN)/python -m tests.preflight

test: preflight
	@$(BIN)/python config/localdb.py run --unless-reachable $(TEST_POSTGRES) -- $(MAKE) --no-print-directory test-steps

test-steps: lint check
	$(BIN)/pytest $(PYTEST_ARGS)

# Needs the PostgreSQL of `make test`; builds its own scratch databases and drops them.
bench: preflight
	@DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python config/localdb.py run --unless-reachable $(TEST_POSTGRES) -- $(BIN)/python -m bench

lock:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --extra dev --strip-extras --no-emit-index-url \
		--no-emit-find-links --output-file requirements.lock pyproject.toml

messages: venv
	$(BIN)/python manage.py makemessages --locale sv --no-obsolete --ignore ".venv/*" --ignore "var/*"
	$(BIN)/python manage.py compilemessages --ignore ".venv/*"

clean-var:
	@$(BIN)/python config/localdb.py stop >/dev/null 2>&1 || true
	rm -rf var/

# Two commands on a fresh machine: `make run` and `make test`. Everything else is set up on the way.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app planner
HOST ?= 127.0.0.1
PORT ?= 5000
# Debian packages the suite needs: a real browser, Java for the Nu checker, PDF and DOCX readers,
# PostgreSQL server binaries.
SYSTEM_PACKAGES := chromium poppler-utils default-jre-headless postgresql pandoc redis-server slapd ldap-utils \
                   libreoffice-writer-nogui

.PHONY: run test test-pg setup venv assets translations db demo system-deps lint serve worker bench clean

# The background job worker runs beside the dev server and stops with it (Ctrl+C). The links in the mails of
# both point to the address the server starts on (a PLANNER_BASE_URL set in the environment wins).
run: export PLANNER_BASE_URL ?= http://$(HOST):$(PORT)
run: setup db demo
	@$(FLASK) jobs worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

# The suite runs on every core (pytest-xdist), one test file per worker at a time: a file's module-scoped
# servers start once. PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= auto
PYTEST_PARALLEL := -n $(PYTEST_WORKERS) --dist loadfile

test: setup system-deps
	$(BIN)/python -m pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

# The same suite against a throwaway PostgreSQL 15 cluster (tests/pg_plugin.py starts and removes it). The
# browser tests run once, in `make test`: their live server always uses its own SQLite file.
test-pg: setup system-deps
	$(BIN)/python -m pytest --postgres -m "not e2e" $(PYTEST_PARALLEL) $(PYTEST_ARGS)

setup: venv assets translations

# --- Python --------------------------------------------------------------------------------------------
venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# --- front-end assets from npm (KERN UX, htmx, axe-core, the Nu checker): no CDN, works offline -----------
assets: planner/static/vendor/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

planner/static/vendor/.installed: node_modules/.installed
	rm -rf planner/static/vendor
	mkdir -p planner/static/vendor/kern planner/static/vendor/htmx
	cp node_modules/@kern-ux/native/dist/kern.min.css planner/static/vendor/kern/
	cp -r node_modules/@kern-ux/native/dist/fonts planner/static/vendor/kern/
	cp node_modules/htmx.org/dist/htmx.min.js planner/static/vendor/htmx/
	touch $@

# --- translations (.mo files are built, not committed) --------------------------------------------------
translations: venv
	$(FLASK) i18n compile

# --- database --------------------------------------------------------------------------------------------
db: venv
	$(FLASK) db upgrade

demo: db
	$(FLASK) seed-demo

# --- system packages for the test suite (installed when missing and we may) ---------------------------------
system-deps:
	@missing=""; \
	for pkg in $(SYSTEM_PACKAGES); do dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "Installing:$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing) >/dev/null; \
	  else \
	    echo "Missing Debian packages:$$missing (install them with: sudo apt-get install$$missing)"; exit 1; \
	  fi; \
	fi

lint: venv
	$(BIN)/ruff check .
	$(BIN)/bandit -q -c pyproject.toml -r planner

# Production-style serving: gunicorn (workers/threads from PLANNER_GUNICORN_WORKERS/THREADS, see
# planner/gunicorn_conf.py) and the job worker beside it (WORKER=0 when the worker runs as its own service).
WORKER ?= 1
serve: setup db
	@if [ "$(WORKER)" = "1" ]; then $(FLASK) jobs worker & worker=$$!; fi; \
	trap '[ -n "$$worker" ] && kill $$worker 2>/dev/null; wait 2>/dev/null' EXIT INT TERM; \
	HOST=$(HOST) PORT=$(PORT) $(BIN)/gunicorn -c planner/gunicorn_conf.py wsgi:app

# The background job worker alone (Huey consumer; storage: instance/huey.sqlite3 or PLANNER_HUEY_REDIS_URL).
worker: setup db
	$(FLASK) jobs worker

# The benchmark (docs/benchmarks.md): SCALES=city or "city metropolis", DATABASES="sqlite postgresql".
SCALES ?= city
DATABASES ?= sqlite postgresql
bench: setup system-deps
	@command -v wrk >/dev/null || { if [ "$$(id -u)" = "0" ]; then apt-get install -y -qq wrk >/dev/null || \
	  (apt-get update -qq && apt-get install -y -qq wrk >/dev/null); else echo "Install wrk: sudo apt-get install wrk"; exit 1; fi; }
	$(BIN)/python -m bench.run --scales "$(SCALES)" --databases "$(DATABASES)" --output docs/benchmarks.md $(BENCH_ARGS)
	$(BIN)/python -m bench.coding --output docs/benchmarks.md

clean:
	rm -rf $(VENV) node_modules planner/static/vendor .pytest_cache test-artifacts

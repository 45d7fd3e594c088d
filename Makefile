# `make run`  installs and starts Argus on the embedded default at http://localhost:8001
# `make test` runs the whole test suite (static checks, embedded pass, PostgreSQL + Redis pass)
# `make prod` starts the production stack (web, Celery worker, one Celery beat) under supervisord,
#   which restarts any of them that dies; `make prod-status` lists them with their PIDs
# `make prod-dev` runs the same processes with honcho (development only: when one dies, all stop)

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# supervisord's socket, pid file and log, and Celery beat's schedule (deploy/supervisord.conf)
RUN_DIR := $(abspath $(or $(ARGUS_RUN_DIR),var/run))

.PHONY: system-packages static-vendor soak run test prod prod-status prod-dev production-env install install-dev reference bench bench-http bench-ws clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

CLIENT_FILES := $(wildcard clients/python/pyproject.toml clients/python/argus_mcp/*.py)

$(VENV)/.runtime: requirements.txt $(CLIENT_FILES) | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --force-reinstall --no-deps ./clients/python
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# The JavaScript SDK's dependencies (ws, typescript for its type test), from its package-lock.json.
clients/js/node_modules/.package-lock.json: clients/js/package.json clients/js/package-lock.json
	cd clients/js && npm ci --no-audit --no-fund --silent

# Chromium (browser tests), faketime (the faked-clock test stage) and Node.js + npm (the JS SDK), from Debian's packages.
system-packages:
	scripts/system-packages

# The console's charting library (lightweight-charts, from npm) copied into static/vendor/.
CHARTS_JS := static/vendor/lightweight-charts.standalone.production.js
$(CHARTS_JS): package.json package-lock.json
	scripts/static-vendor
	touch $@
static-vendor: $(CHARTS_JS)

install: $(VENV)/.runtime $(CHARTS_JS)
install-dev: $(VENV)/.dev $(CHARTS_JS) clients/js/node_modules/.package-lock.json

reference: install
	@# Quiet set-up (errors still show); ensure_admin's banner comes last: URLs, the password once.
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py createcachetable -v 0
	$(BIN)/python manage.py load_reference_data
	$(BIN)/python manage.py ensure_admin

run: reference
	$(BIN)/python manage.py serve

test: system-packages install-dev
	scripts/test

prod: production-env reference
	@mkdir -p $(RUN_DIR)
	ARGUS_RUN_DIR=$(RUN_DIR) $(BIN)/supervisord -n -c deploy/supervisord.conf

prod-status:
	ARGUS_RUN_DIR=$(RUN_DIR) $(BIN)/supervisorctl -c deploy/supervisord.conf status

prod-dev: production-env reference
	$(BIN)/honcho start

production-env:
	@test -n "$$DATABASE_URL" -a -n "$$REDIS_URL" -a -n "$$ARGUS_SECRET_KEY" || \
	  { echo "make prod needs DATABASE_URL, REDIS_URL and ARGUS_SECRET_KEY (see .env.example)"; exit 2; }

bench: install-dev
	$(BIN)/python bench/run_all.py

# The HTTP API against a raw-ASGI baseline (needs PostgreSQL and Redis on 127.0.0.1; see README).
bench-http: install-dev
	$(BIN)/python bench/http_api.py

# /ws/market_data against a raw-ASGI fan-out baseline (needs PostgreSQL and Redis; see README).
bench-ws: install-dev
	$(BIN)/python bench/ws_fanout.py

clean:
	rm -rf $(VENV) var node_modules static/vendor

# Ten minutes of cached /latest load on two production web workers; fails unless their memory stays
# flat (CI runs the same test for 20 s). Needs PostgreSQL and Redis on 127.0.0.1.
soak: install-dev
	ARGUS_TEST_SERVICES=1 ARGUS_SOAK_SECONDS=600 $(BIN)/pytest -p no:cacheprovider -s tests/faults/test_memory.py -k soak

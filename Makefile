# Two commands on a fresh machine: `make run` and `make test`. Each installs what it needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Debian's optimised interpreter renders pages ~1.3x faster than an unoptimised build.
PYTHON ?= $(shell /usr/bin/python3 -c 'import venv, ensurepip' 2>/dev/null && echo /usr/bin/python3 || echo python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1
WEB_WORKERS ?= 2
# Threads per web worker: ingest requests wait on commits concurrently; every other request
# still runs one at a time per worker (statuspage/ingest_wsgi.py).
WEB_THREADS ?= 8
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help run test lint services chromium alertmanager nginx scaleout clean messages

help:
	@echo "make run   - run Candor with demo data on http://$(HOST):$(PORT)/ (SQLite, no servers needed)"
	@echo "make test  - lint, type-check and run every test on the local PostgreSQL and Redis, then the make-run ones on SQLite"

$(PY):
	$(PYTHON) -m venv $(VENV) || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q python3-venv && $(PYTHON) -m venv $(VENV); }

$(VENV)/.installed: $(PY) requirements.txt
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

# Links in feeds and the API point at the page as this run serves it.
run: export CANDOR_CANONICAL_URL ?= http://$(if $(filter 0.0.0.0,$(HOST)),localhost,$(HOST)):$(PORT)
run: $(VENV)/.installed messages
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py seed_demo
	@echo
	@echo "  Candor is starting."
	@echo "  Public status page : http://$(HOST):$(PORT)/"
	@echo "  Staff console      : http://$(HOST):$(PORT)/console/   (login: demo / candor-demo-password)"
	@echo "                       approvers: demo-legal, demo-support (same password)"
	@echo "  Statuspage API     : http://$(HOST):$(PORT)/api/v2/summary.json"
	@echo "  Staff API schema   : http://$(HOST):$(PORT)/api/schema/"
	@echo "  Stop with Ctrl-C."
	@echo
	trap 'kill 0' EXIT; \
	$(VENV)/bin/celery -A statuspage worker --beat --pool=solo --loglevel=INFO \
		--schedule var/celerybeat-schedule & \
	$(VENV)/bin/granian --interface wsgi statuspage.wsgi:application --host $(HOST) \
		--port $(PORT) --workers $(WEB_WORKERS) --blocking-threads $(WEB_THREADS) --no-ws

# The public side's translations (locale/*.po) compiled to the .mo files Django reads: built
# here, not committed, so a .mo can never disagree with the .po beside it. GNU gettext's
# msgfmt does the compiling (Django's compilemessages calls it).
messages: $(VENV)/.installed
	@command -v msgfmt >/dev/null || { $(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q gettext; }
	$(PY) manage.py compilemessages -v0 --ignore=.venv --ignore=node_modules

# The real local services the tests talk to; started only if they are not answering.
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || { \
		echo "starting PostgreSQL"; \
		pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; }
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { \
		echo "starting Redis"; \
		redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no; }
	@for i in $$(seq 50); do pg_isready -q -h 127.0.0.1 -p 5432 && \
		redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && exit 0; sleep 0.2; done; \
		echo "PostgreSQL or Redis did not start" >&2; exit 1

# axe-core, for the accessibility checks of the browser tests (package.json).
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { $(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q nodejs npm; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium; }

# The real Alertmanager the ingest tests send alerts through (not started as a service).
alertmanager:
	@test -x /usr/bin/prometheus-alertmanager || { $(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q prometheus-alertmanager; }

# The real caching proxy the CDN tests put in front of the page (tests/cdn; not a service).
nginx:
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || { $(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q nginx-light; }

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	# The layers and "nobody imports the tasks" (pyproject.toml, CONTRIBUTING.md).
	$(VENV)/bin/lint-imports

# Two pytest-xdist workers: much of the suite waits on real peers (SMTP, Celery, Chromium,
# Alertmanager), so two overlap well even on 2 cores. The fault tests run on one worker,
# in order (XDIST_SERIAL_PREFIXES in tests/conftest.py). TEST_WORKERS=0: one process.
TEST_WORKERS ?= 2
PYTEST := $(PY) -m pytest $(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS))

test: $(VENV)/.installed-dev node_modules/.installed services chromium alertmanager nginx lint messages
	# The slowest tests are listed at the end, to see where the time goes.
	$(PYTEST) --durations=20
	# Again on SQLite without Redis, as `make run` has it: the tests marked `embedded`.
	$(PYTEST) --ds=tests.settings_sqlite -m embedded tests/notify tests/approvers tests/embedded tests/dependencies tests/vendors \
		tests/ingest/test_lean_path.py tests/ingest/test_maintenance_windows.py \
		tests/reminders/test_maintenance_overrun.py tests/lifecycle/test_maintenance_impacts.py \
		tests/public/test_page_size.py tests/public/test_public_read_path.py tests/public/test_translated_words.py tests/public/test_components_fragment.py tests/console/test_console_language.py \
		tests/post_in/test_sms_in.py tests/post_in/test_register.py tests/public/test_badges.py tests/importer \
		tests/api/test_v1_client.py tests/api/test_v1_api.py tests/api/test_staff_completeness.py tests/reliability tests/signing \
		tests/lifecycle/test_postmortems.py tests/test_postmortem_timeline.py tests/sso/test_sso.py tests/audiences/test_visibility.py \
		tests/public/test_uptime_kept.py tests/public/test_language.py tests/readers/test_links.py \
		tests/publish/test_notices.py

# Two web and two worker nodes as separate hosts (network namespaces; root), a 100,000-
# recipient fan-out with a worker's and a web node's network cut (docs/scale-out.md).
# `make test` runs the same test with 5,000.
scaleout: $(VENV)/.installed-dev services
	CANDOR_SCALEOUT_RECIPIENTS=100000 $(PY) -m pytest -p no:cacheprovider -p no:logging -s tests/scaleout

clean:
	rm -rf $(VENV) var

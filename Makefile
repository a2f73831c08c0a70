# Common Ground: the Makefile is the working documentation of how to set up, run and
# test the project. `make demo` and `make test` are the two commands in the README.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_BASE ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Development and tests run with DEBUG on unless the caller says otherwise.
export DEBUG ?= 1
SHARED_DATA ?= ../shared/data
export SHARED_DATA
# The venv is rebuilt when the pinned dependencies change.
DEPS_STAMP := $(VENV)/.deps-$(shell cat pyproject.toml requirements.lock | sha256sum | cut -c1-12)

.PHONY: help setup system-packages venv node db db-stop migrate demo demo-data test test-fast lint audit bench-tiles bench-map bench-map-national bench-ingest bench-disclosure bench-profile-pdf national bench-tiles-national bench-load bench-values-national bench

help:
	@echo "make demo       set up everything, load the demo data, serve http://127.0.0.1:8000"
	@echo "make test       set up everything, run the whole test suite"
	@echo "make setup      system packages, .venv, npm packages, database, migrations"
	@echo "make db-stop    stop the private PostGIS cluster"
	@echo "make lint       ruff, mypy on the pure core, import rules"
	@echo "make audit      known vulnerabilities in the pinned Python and npm packages (needs the network)"
	@echo "make test-fast  the pure domain tests only (no database)"
	@echo "make bench-tiles  tile latency benchmark"
	@echo "make bench-profile-pdf  one LSOA profile PDF with 30 indicators (goal < 2 s)"
	@echo "make national   a SYNTHETIC national geography in its own database (scale tests)"
	@echo "make bench      every benchmark (tiles vs tipg, values, map, ingest, disclosure, PDF, load)"

setup: system-packages venv node db migrate

system-packages:
	@scripts/system-packages.sh

venv: $(DEPS_STAMP)

$(DEPS_STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON_BASE) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c requirements.lock -e ".[dev]"
	@rm -f $(VENV)/.deps-* && touch $@

node: node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

db: venv
	@if [ -z "$$DATABASE_URL" ]; then $(PY) -m portal.devdb up >/dev/null && $(PY) -m portal.devdb status; \
	else echo "Using DATABASE_URL"; fi

db-stop:
	@$(PY) -m portal.devdb stop

migrate: db
	@$(PY) manage.py migrate --no-input -v 0

DEMO_PASSWORD ?= demo-pass-2026

demo-data: setup
	$(PY) manage.py load_demo --data $(SHARED_DATA)
	$(PY) manage.py load_partnership demo/partnership.yaml --demo-password $(DEMO_PASSWORD) -v 0
	$(PY) manage.py load_demo_values --data $(SHARED_DATA)
	$(PY) manage.py load_demo_products

demo: demo-data
	@echo ""
	@echo "Common Ground is at http://127.0.0.1:8000/   (Ctrl-C stops it; make db-stop stops the database)"
	@echo "Demo logins (password $(DEMO_PASSWORD)): ana (council analyst), nina (council neighbourhood manager),"
	@echo "  ivan (council information manager), irene (police information manager), paul (police analyst), sam (police data steward),"
	@echo "  hana (health analyst), dora (health data steward), fred (fire analyst), multi (council + health);"
	@echo "  feed is the council's API-only service account: python manage.py issue_token feed"
	$(PY) manage.py runserver 127.0.0.1:8000

test: setup
	$(PY) -m pytest

test-fast: venv
	$(PY) -m pytest tests/layers/domain -q

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# Known vulnerabilities in exactly the pinned set: pip-audit reads requirements.lock without
# resolving anything (--no-deps --disable-pip), npm audit reads package-lock.json. Both run
# even if the first finds something; the target fails if either does. Not part of `make
# test`: it needs the network and its answer changes as advisories are published.
audit: venv node
	@status=0; \
	echo "== pip-audit (requirements.lock)"; \
	$(VENV)/bin/pip-audit --strict --progress-spinner off --no-deps --disable-pip \
		-r requirements.lock || status=1; \
	echo "== npm audit (package-lock.json)"; \
	npm audit --audit-level=low || status=1; \
	exit $$status

bench-tiles: demo-data
	$(PY) tests/bench/bench_tiles.py

bench-map: demo-data
	$(PY) tests/bench/bench_map.py

bench-map-national: national
	COMMONGROUND_DB=$(NATIONAL_DB) $(PY) tests/bench/bench_map.py --user bench-analyst \
		--level lsoa21 --indicators syn-crime-20,syn-crime-12,syn-crime-6

bench-ingest: demo-data
	$(PY) tests/bench/bench_ingest.py --rows 1000000

bench-profile-pdf: demo-data
	$(PY) tests/bench/bench_profile_pdf.py

# A SYNTHETIC national geography (about 188,900 OAs, 35,700 LSOAs, 7,300 MSOAs, 330
# districts, 8,700 wards) with simulated releases, in a database of its own so it never
# mixes with the demo. Benchmarks at national size use it (COMMONGROUND_DB below).
NATIONAL_DB ?= commonground_national
NATIONAL_SEED ?= 1
NATIONAL_ARGS ?=

national: setup
	@if [ -n "$$DATABASE_URL" ]; then echo "make national uses the private cluster: unset DATABASE_URL"; exit 2; fi
	COMMONGROUND_DB=$(NATIONAL_DB) $(PY) -m portal.devdb up >/dev/null
	COMMONGROUND_DB=$(NATIONAL_DB) $(PY) manage.py migrate --no-input -v 0
	COMMONGROUND_DB=$(NATIONAL_DB) $(PY) manage.py generate_national --seed $(NATIONAL_SEED) \
		--password $(DEMO_PASSWORD) --commit $(NATIONAL_ARGS)

bench-tiles-national: national
	COMMONGROUND_DB=$(NATIONAL_DB) $(PY) tests/bench/bench_tiles_national.py

bench-load: national
	@scripts/system-packages.sh wrk
	COMMONGROUND_DB=$(NATIONAL_DB) $(PY) tests/bench/bench_load.py --during-ingest 10000000

bench-disclosure: venv
	$(PY) tests/bench/bench_disclosure.py

bench-values-national: national
	COMMONGROUND_DB=$(NATIONAL_DB) $(PY) tests/bench/bench_values_national.py

# Every benchmark of the scale issue in one run, then one summary (tiles against tipg,
# values, the map, a 10,000,000-row ingest against raw COPY, disclosure, the profile PDF,
# and the load test with /healthz during a big ingest). BENCH_ARGS=--quick for a shorter run.
BENCH_ARGS ?=
bench: demo-data national
	@scripts/system-packages.sh wrk
	$(PY) tests/bench/run_all.py $(BENCH_ARGS)

# SteerDesk — `make run` and `make test` do all set-up on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

HOST ?= 127.0.0.1
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
STEERDESK := $(VENV)/bin/steerdesk
# The first Python >= 3.11 on PATH: the machine's python3 when it is recent enough, else a versioned one.
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null \
	&& { command -v $$p; break; }; done)
# Re-installed whenever pyproject.toml changes.
STAMP := $(VENV)/.installed
# Compiled translations, rebuilt from their .po files when those change.
PO_FILES := $(wildcard steerdesk/locale/*/LC_MESSAGES/*.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: help install run test worker lint format messages demo clean crash-test backup restore bench fuzz

help:
	@echo "make run      set up (venv, install, migrate, demo data once) and serve http://$(HOST):$(PORT)"
	@echo "make test     the whole test suite (PYTEST_ARGS=... to pass options to pytest)"
	@echo "make worker   run the background-job worker and the daily reminder scheduler"
	@echo "make lint     ruff format --check + ruff check + bandit (no SQL built from strings, ...)"
	@echo "make fuzz     fuzz the reference extractor and the people importer (atheris; FUZZ_SECONDS=60 each)"
	@echo "make format   ruff format + ruff check --fix"
	@echo "make messages update and compile the translations (needs gettext)"
	@echo "make demo     migrate and seed the demo data into an empty database"
	@echo "make crash-test  kill gunicorn (and PostgreSQL) mid-run: no acknowledged write lost (CRASH_WRITES=20000)"
	@echo "make backup   write a backup archive (OUTPUT=file.tar.gz; default: backups/ in the data dir)"
	@echo "make restore FILE=file.tar.gz   verify, then restore a backup (asks before replacing the data)"
	@echo "make bench    benchmarks B1-B6 into bench/RESULTS.md (SCALE=province|national, DB=sqlite|postgres)"

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON)" ]; then echo "SteerDesk needs Python >= 3.11 on PATH (or PYTHON=/path/to/python3.11)." >&2; exit 1; fi
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { echo "Creating the venv failed: on Debian/Ubuntu install python3-venv." >&2; exit 1; }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

%.mo: %.po
	@if command -v msgfmt >/dev/null 2>&1; then msgfmt --check-format -o $@ $<; \
	elif [ -f $@ ]; then echo "msgfmt not found (install gettext): $@ may be out of date." >&2; \
	else echo "msgfmt not found (install gettext): the interface stays in English." >&2; fi

# Idempotent: migrations are applied, demo data is added only to an empty database, existing data is kept.
run: install $(MO_FILES)
	$(STEERDESK) migrate --noinput
	$(STEERDESK) seed_demo --scale small --if-empty
	@$(STEERDESK) demo_logins
	$(STEERDESK) runserver $(HOST):$(PORT)

test: install
	$(PY) -m pytest -q $(PYTEST_ARGS)

worker: install
	$(STEERDESK) worker

lint: install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/bandit -c pyproject.toml -q -r steerdesk

# Not in CI. atheris builds native code and may not install on every Python: then a long hypothesis run instead.
FUZZ_SECONDS ?= 60
fuzz: install
	@$(PY) -m pip install --quiet -e ".[fuzz]" || echo "atheris could not be installed: falling back to hypothesis."
	$(PY) -m tests.fuzz.run --seconds $(FUZZ_SECONDS)

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

messages: install
	mkdir -p steerdesk/locale
	$(STEERDESK) makemessages -l vi --no-obsolete --ignore=.venv --ignore=var --ignore=tests --ignore='*/tests/*'
	$(STEERDESK) compilemessages --ignore=.venv

demo: install
	$(STEERDESK) migrate --noinput
	$(STEERDESK) seed_demo --scale small

# Not part of `make test`: about 10-15 minutes per database on a 2-core machine at 20,000 writes.
CRASH_WRITES ?= 20000
CRASH_KILLS ?= 3
crash-test: install
	$(PY) tests/reliability/crash_test.py --db sqlite --writes $(CRASH_WRITES) --kills $(CRASH_KILLS)
	$(PY) tests/reliability/crash_test.py --db postgres --writes $(CRASH_WRITES) --kills $(CRASH_KILLS) --db-stops 1

backup: install
	$(STEERDESK) backup $(if $(OUTPUT),--output "$(OUTPUT)")

restore: install
	@test -n "$(FILE)" || { echo "Usage: make restore FILE=backup.tar.gz" >&2; exit 1; }
	$(STEERDESK) restore "$(FILE)"

# Benchmarks (issue 6), not part of `make test`: about 10-15 minutes at province scale on 2 cores, the dataset
# generated into var/bench/ the first time and reused after. Installs locust (the `bench` extra) and wrk.
SCALE ?= province
DB ?= sqlite
BENCH_STAMP := $(VENV)/.bench-installed
AS_ROOT := $(if $(filter 0,$(shell id -u)),,sudo -n)
$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(PY) -m pip install --quiet -e ".[dev,bench]"
	@touch $(BENCH_STAMP)

bench: install $(BENCH_STAMP)
	@command -v wrk >/dev/null 2>&1 || $(AS_ROOT) apt-get install -y -q wrk >/dev/null 2>&1 \
		|| { $(AS_ROOT) apt-get update -q && $(AS_ROOT) apt-get install -y -q wrk; }
	@if [ "$(DB)" = postgres ] && ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then \
		$(AS_ROOT) apt-get install -y -q postgresql-15 postgresql-contrib >/dev/null 2>&1 \
		|| { $(AS_ROOT) apt-get update -q && $(AS_ROOT) apt-get install -y -q postgresql-15 postgresql-contrib; }; fi
	$(PY) bench/run.py --scale $(SCALE) --db $(DB) $(BENCH_ARGS)

clean:
	rm -rf $(VENV)

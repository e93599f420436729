# SteerDesk — `make run` and `make test` do all set-up on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

HOST ?= 127.0.0.1
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
STEERDESK := $(VENV)/bin/steerdesk
# The first Python >= 3.11 found on PATH.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null \
	&& { command -v $$p; break; }; done)
STAMP := $(VENV)/.installed

.PHONY: help install run serve test test-fast worker lint format messages demo bench clean

help:
	@echo "make run      set up (venv, install, migrate, demo data) and serve http://$(HOST):$(PORT)"
	@echo "make test     the whole test suite"
	@echo "make worker   run the background-job worker"
	@echo "make lint     ruff format --check + ruff check"
	@echo "make messages update and compile translations"

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON)" ]; then echo "SteerDesk needs Python >= 3.11 on PATH." >&2; exit 1; fi
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(STEERDESK) migrate --noinput
	$(STEERDESK) seed_demo --scale small --if-empty
	@$(STEERDESK) demo_logins
	$(STEERDESK) runserver $(HOST):$(PORT)

test: install
	$(PY) -m pytest -p no:randomly -q $(PYTEST_ARGS)

worker: install
	$(STEERDESK) db_worker

lint: install
	$(VENV)/bin/ruff format --check steerdesk tests
	$(VENV)/bin/ruff check steerdesk tests

format: install
	$(VENV)/bin/ruff format steerdesk tests
	$(VENV)/bin/ruff check --fix steerdesk tests

messages: install
	cd steerdesk && ../$(STEERDESK) makemessages -l vi --no-obsolete --ignore=static
	$(STEERDESK) compilemessages --ignore=.venv

demo: install
	$(STEERDESK) migrate --noinput
	$(STEERDESK) seed_demo --scale small

clean:
	rm -rf $(VENV)

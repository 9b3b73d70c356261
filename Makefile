# The two fresh-machine commands are `make run` and `make test`; the rest serve them.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# The test suite runs against the real services of this machine.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/platform
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/platform_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/11
SYSTEM_PACKAGES_RUN := bubblewrap
SYSTEM_PACKAGES_TEST := bubblewrap chromium gettext wrk

.PHONY: run test lint format bench messages clean-venv

run: $(VENV)/.installed-run system-packages-run
	$(BIN)/python manage.py runall

test: $(VENV)/.installed-test system-packages-test
	@$(BIN)/python scripts/wait_for_services.py "$(TEST_DATABASE_URL)" "$(TEST_REDIS_URL)"
	DATABASE_URL="$(TEST_DATABASE_URL)" CELERY_BROKER_URL="$(TEST_REDIS_URL)" \
	CELERY_RESULT_BACKEND="$(TEST_REDIS_URL)" $(BIN)/pytest $(PYTEST_ARGS)

# Performance figures into bench/results.json, against the test services (a throw-away DB).
bench: $(VENV)/.installed-test system-packages-test
	DATABASE_URL="$(BENCH_DATABASE_URL)" CELERY_BROKER_URL="$(BENCH_REDIS_URL)" \
	$(BIN)/python -m bench.run $(BENCH)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Recompile the translation catalogs after editing locale/*/LC_MESSAGES/django.po.
messages: $(VENV)/.installed-run
	$(BIN)/python manage.py makemessages --locale ru --ignore '.venv/*' --ignore 'seeds/data/*'
	$(BIN)/python manage.py compilemessages --ignore '.venv/*'

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# A stamp per extra set, redone whenever pyproject.toml changes. Both install every lab
# environment (`worker`: torch; `mle`: the ML-engineering course's): the embedded worker of
# `make run` grades labs of either.
$(VENV)/.installed-run: pyproject.toml $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[worker,mle]'
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[worker,mle,test]'
	touch $@ $(VENV)/.installed-run

.PHONY: system-packages-run system-packages-test
system-packages-run:
	@command -v bwrap >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $(SYSTEM_PACKAGES_RUN); }

system-packages-test:
	@command -v bwrap >/dev/null && command -v chromium >/dev/null && command -v msgfmt >/dev/null && command -v wrk >/dev/null || \
	  { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(SYSTEM_PACKAGES_TEST); }

clean-venv:
	rm -rf $(VENV)

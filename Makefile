# Two commands for a fresh Debian/Ubuntu machine with Python 3.11+:
#   make run   — set up, migrate, load the demo world and serve on http://127.0.0.1:8000
#   make test  — set up, then ruff and the whole pytest suite (browser tests included)
# Both are idempotent; a second run skips what is already in place.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000
# Debian packages: HarfBuzz subsetter + CJK fonts for fast Chinese PDFs, gettext for translations.
RUN_PACKAGES := libharfbuzz-subset0 fonts-noto-cjk gettext ffmpeg
# Tests also drive Debian's Chromium, read PDFs with poppler and QR codes with zbar.
TEST_PACKAGES := $(RUN_PACKAGES) chromium poppler-utils zbar-tools

.PHONY: run test setup setup-test bench lint format messages clean

run: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py certificate_font
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver $(HOST)

test: setup-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py certificate_font
	$(BIN)/pytest

setup: $(VENV)/.installed
	@./bin/system-packages $(RUN_PACKAGES)

setup-test: $(VENV)/.installed-test
	@./bin/system-packages $(TEST_PACKAGES)

$(VENV)/bin/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml $(VENV)/bin/python
	$(BIN)/pip install --quiet .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/bin/python
	$(BIN)/pip install --quiet ".[test]"
	touch $(VENV)/.installed $@

# Every benchmark (bench/README.md) on throwaway databases: make bench [BENCH_DB=postgres]
BENCH_DB ?= sqlite
bench: setup
	$(BIN)/python bench/run.py --db $(BENCH_DB)
	$(BIN)/python bench/courses.py --db $(BENCH_DB)
	$(BIN)/python bench/tracking.py --db $(BENCH_DB)
	$(BIN)/python bench/certificates.py --db $(BENCH_DB)
	$(BIN)/python bench/assessments.py --db $(BENCH_DB)
	$(BIN)/python bench/peers.py --db $(BENCH_DB)
	$(BIN)/python bench/exports.py --db $(BENCH_DB)

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Refresh the Chinese catalogue after changing user-facing strings, then translate and compile.
messages:
	$(BIN)/python manage.py makemessages -l zh_Hans --no-location --no-obsolete -i ".venv/*" -i "bench/*" -i "tests/*"
	$(BIN)/python manage.py compilemessages -l zh_Hans -i .venv

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache

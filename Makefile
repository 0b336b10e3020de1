# Two entry points (see README): `make run` and `make test`. Everything else is a step of those.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Dependencies come from the lock files (exact versions and hashes; `make lock` refreshes them
# from pyproject.toml): requirements-dev.lock here, requirements.lock in the Docker images.
# The llama extra (the real model server of the slow suite) is built by `make llama` instead.
LOCK_FLAGS := --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links --no-emit-trusted-host
PIP_TOOLS := pip-tools==7.6.2

.PHONY: run test test-fast lint typecheck system llama bench clean lock catalogs messages

# The interface's translations (babel.cfg, memoai/translations.py): the .po files are the
# source, kept in git; the .mo files are compiled here and in the Docker builds, never committed.
LOCALE := src/memoai/locale
CATALOGS := $(patsubst %.po,%.mo,$(wildcard $(LOCALE)/*/LC_MESSAGES/messages.po))

$(STAMP): pyproject.toml requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# After changing dependencies in pyproject.toml: pins what is new, keeps the other pins.
# `make lock UPGRADE=--upgrade` moves every pin to the newest release. Commit both files.
lock: $(STAMP)
	$(BIN)/pip install --quiet $(PIP_TOOLS)
	$(BIN)/pip-compile $(LOCK_FLAGS) $(UPGRADE) --extra dev --build-deps-for editable \
		--output-file requirements-dev.lock pyproject.toml
	$(BIN)/pip-compile $(LOCK_FLAGS) --build-deps-for wheel --constraint requirements-dev.lock \
		--output-file requirements.lock pyproject.toml

catalogs: $(CATALOGS)

$(LOCALE)/%/LC_MESSAGES/messages.mo: $(LOCALE)/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

# After marking or changing English text: the template of every message, then each language's
# catalog brought up to date (new messages empty, changed ones fuzzy) for a translator.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --sort-by-file --add-location=file \
		--no-wrap --omit-header -o $(LOCALE)/messages.pot src
	$(BIN)/pybabel update --no-wrap --ignore-obsolete -i $(LOCALE)/messages.pot -d $(LOCALE)

run: $(STAMP) catalogs
	$(BIN)/memoai serve --host $${HOST:-127.0.0.1} --port $${PORT:-8000}

system:
	bash scripts/setup-system.sh

llama: $(STAMP)
	bash scripts/setup-llama.sh $(BIN)/python

# The suite on one worker more than there are cores (the suites spend much of their time waiting
# on the browsers, servers and child processes they start), each module whole on one worker so
# its module-scoped servers start once (loadscope: pytest-xdist 3.8's loadgroup no longer groups
# anything under pytest 9.2, which silently ignores the group it appends to each test's id), the
# longest modules first (tests/conftest.py orders them; xdist's own reordering, by number of
# tests, is turned off), then the few tests that measure timings, alone.
WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))
test: system $(STAMP) catalogs llama lint typecheck
	$(BIN)/pytest -q -p no:cacheprovider --durations=30 -n $(WORKERS) --dist loadscope --no-loadscope-reorder -m "not serial"
	$(BIN)/pytest -q -p no:cacheprovider --durations=10 -m serial

test-fast: $(STAMP) catalogs
	$(BIN)/pytest -q -m "not slow" -x

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports  # packages in layers, no import cycle (pyproject.toml)

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/evaluations_load.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

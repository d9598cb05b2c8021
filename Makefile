# cadreflow — `make run` serves the site, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
# one stamp per requirements file's content: the product's, and the product's plus the tools'
RUN_STAMP := $(VENV)/.installed-run-$(shell cat requirements.txt | cksum | cut -d' ' -f1)
DEV_STAMP := $(VENV)/.installed-dev-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
HOST   ?= 127.0.0.1
PORT   ?= 5000
# axe-core for the accessibility tests: the npm package pinned in tests/browser/package-lock.json
AXE    := tests/browser/node_modules/axe-core/axe.min.js

.PHONY: install install-dev axe run test test-fast lint-imports bench clean

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 11) else "cadreflow needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(RUN_STAMP): requirements.txt | $(VENV)/bin/python
	$(BIN)/pip install -q -r requirements.txt
	@rm -f $(VENV)/.installed-run-*; touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(BIN)/pip install -q -r requirements-dev.txt
	@rm -f $(VENV)/.installed-dev-* $(VENV)/.installed-run-*; touch $@ $(RUN_STAMP)

install: $(RUN_STAMP)

install-dev: $(DEV_STAMP)

$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --prefix tests/browser --no-audit --no-fund --silent && touch $@; \
	else echo "npm not found: the accessibility tests (axe-core) will be skipped"; fi

axe: $(AXE)

run: install
	$(BIN)/flask --app wsgi bootstrap
	$(BIN)/flask --app wsgi run --host $(HOST) --port $(PORT)

lint-imports: install-dev
	$(BIN)/lint-imports

test: lint-imports $(AXE)
	$(BIN)/python -m pytest

test-fast: lint-imports
	$(BIN)/python -m pytest -m "not browser and not load and not live"

bench: install-dev
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis artifacts tests/browser/node_modules

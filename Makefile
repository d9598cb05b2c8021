# cadreflow — `make run` serves the site, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)
HOST   ?= 127.0.0.1
PORT   ?= 5000
# axe-core for the accessibility tests: the npm package pinned in tests/browser/package-lock.json
AXE    := tests/browser/node_modules/axe-core/axe.min.js

.PHONY: install axe run test test-fast bench clean

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 11) else "cadreflow needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt
	@rm -f $(VENV)/.installed-*; touch $@

install: $(STAMP)

$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --prefix tests/browser --no-audit --no-fund --silent && touch $@; \
	else echo "npm not found: the accessibility tests (axe-core) will be skipped"; fi

axe: $(AXE)

run: install
	$(BIN)/flask --app wsgi bootstrap
	$(BIN)/flask --app wsgi run --host $(HOST) --port $(PORT)

test: install $(AXE)
	$(BIN)/python -m pytest

test-fast: install
	$(BIN)/python -m pytest -m "not browser and not load and not live"

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis artifacts tests/browser/node_modules

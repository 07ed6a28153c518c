# Two commands on a fresh machine: `make lab` and `make test`. Everything else is setup they call.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
JLPM := $(BIN)/jlpm
# The build hook and the Galata web server call `jlpm` and `jupyter` by name.
export PATH := $(abspath $(BIN)):$(PATH)
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
PYTEST_ARGS ?=

.PHONY: lab test install test-deps lint check-auth pytest jest galata bench clean

# ---- setup -------------------------------------------------------------------------------------
$(BIN)/activate:
	python3 -m venv $(VENV)

# Build tools live in the venv and the package installs without build isolation: an isolated
# build would download JupyterLab again on every install.
$(VENV)/.installed: $(BIN)/activate pyproject.toml package.json
	$(PY) -m pip install -q -U pip
	$(PY) -m pip install -q "hatchling>=1.5" "hatch-nodejs-version>=0.3.2" "hatch-jupyter-builder>=0.10" editables "jupyterlab>=4.6,<4.7"
	$(JLPM) install
	# The editable install's build hook runs `jlpm build` once.
	$(PY) -m pip install -q --no-build-isolation -e ".[test,dev]"
	# Link (not copy) the labextension into the venv, so rebuilds show up in Lab.
	$(BIN)/jupyter labextension develop --overwrite .
	touch $@

# Rebuild the frontend when its sources change.
LABEXT := jupyterlab_aml/labextension/package.json
$(LABEXT): $(shell find src style schema -type f 2>/dev/null) package.json tsconfig.json | $(VENV)/.installed
	$(JLPM) build
	touch $@

install: $(VENV)/.installed $(LABEXT)

# Debian's Chromium for Galata (Playwright cannot download its own browsers here), and PostgreSQL
# for the team-server tests. Skipped when already present.
test-deps: install
	@if ! command -v chromium >/dev/null || ! command -v pg_ctlcluster >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium postgresql >/dev/null; \
	fi
	cd ui-tests && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 ../$(JLPM) install

# ---- the two commands --------------------------------------------------------------------------
lab: install
	$(BIN)/jupyter lab $(ROOT_FLAG)

test: test-deps lint check-auth pytest jest galata

# ---- pieces ------------------------------------------------------------------------------------
lint: install
	$(BIN)/ruff check jupyterlab_aml tests bench .ci
	$(BIN)/ruff format --check jupyterlab_aml tests bench .ci
	$(JLPM) lint:check

check-auth: install
	$(PY) .ci/check_auth.py

# pytest exits 5 when it collected nothing: make fails on any non-zero code, so that cannot pass.
pytest: install
	$(BIN)/pytest -q -ra $(PYTEST_ARGS)

jest: install
	$(JLPM) test

galata: test-deps
	cd ui-tests && CI=1 ../$(JLPM) playwright test

bench: install
	$(PY) -m bench

clean:
	rm -rf $(VENV) node_modules lib jupyterlab_aml/labextension tsconfig.tsbuildinfo ui-tests/node_modules

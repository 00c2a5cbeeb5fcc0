# Two commands set everything up: `make lab` opens the course, `make test` runs every test.
# Installs come from the locks (requirements.txt for a learner, requirements/dev.txt for tests); `make upgrade`
# says what newer releases would change, and writes nothing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
LAB_STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.dev-installed
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check
# Tests never go live and never wait for paced streams, whatever .env says.
REPLAY := PRIMER_MODE=replay PRIMER_REPLAY_SPEED=0

.PHONY: lab test lint unit notebooks browser install install-dev lock upgrade upgrade-write outputs toc bench \
	authored record cost wheelhouse offline-install room-install site serve-site clean

# --- set-up -------------------------------------------------------------------------------------------------
$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python 3.10 or newer is needed; set PYTHON=python3.x")'
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip

# What a learner needs (requirements.txt); reinstalls only when the lock or pyproject.toml changed.
install: $(LAB_STAMP)
$(LAB_STAMP): requirements.txt pyproject.toml | $(BIN)/python
	$(PIP) -r requirements.txt
	@touch $@

# The same, plus what tests, linting and the lock need (requirements/dev.txt, the same pins and more).
install-dev: $(DEV_STAMP)
$(DEV_STAMP): requirements/dev.txt requirements.txt pyproject.toml | $(BIN)/python
	$(PIP) -r requirements/dev.txt
	@touch $@ $(LAB_STAMP)

# tools/lab.py: trusts the notebooks, turns JupyterLab's news pop-up off and opens notebook 00.
lab: $(LAB_STAMP)
	$(BIN)/python tools/lab.py

# --- tests: lint, unit, notebooks, browser ----------------------------------------------------------------------
test: lint unit notebooks browser

lint: $(DEV_STAMP)
	$(BIN)/ruff check helpers tests tools
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/zizmor --offline -q .github
	$(BIN)/python tools/normalize.py --check
	$(BIN)/python tools/toc.py --check

unit: $(DEV_STAMP)
	$(REPLAY) $(BIN)/python -m pytest -q -rs -n auto --dist loadfile --ignore=tests/browser tests

# Every notebook under nbval, against its stored outputs (tests/sanitize.cfg masks what may differ).
notebooks: $(DEV_STAMP)
	$(REPLAY) $(BIN)/python -m pytest -q -n auto --dist loadfile \
		--nbval --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg notebooks

# JupyterLab and the browser edition in headless Chromium (tools/browser_deps.sh installs Debian's chromium;
# without it these tests skip and say why).
browser: $(DEV_STAMP) site
	$(REPLAY) $(BIN)/python -m pytest -q -rs tests/browser

# --- the locks --------------------------------------------------------------------------------------------------
# After editing requirements/*.in: re-resolve, keeping every pin that still fits (tools/lock.py).
lock: $(DEV_STAMP)
	$(BIN)/python tools/lock.py

# The newest allowed versions in a scratch venv, every test and notebook run there, and a report. Writes nothing.
upgrade: $(DEV_STAMP)
	$(BIN)/python tools/lock.py --upgrade

# Take what the last `make upgrade` proposed; then `make outputs`, read the diff, `make test`.
upgrade-write:
	$(BIN)/python tools/lock.py --write

# --- notebooks and recordings -----------------------------------------------------------------------------------
# Re-run every notebook in replay mode, store its outputs and normalize it (NB=01_first_request for one).
outputs: $(DEV_STAMP)
	$(REPLAY) $(BIN)/python tools/normalize.py --execute $(NB)
	$(BIN)/python tools/toc.py

# The README's contents, each notebook's navigation cell and its SDK line (from the lock).
toc: $(LAB_STAMP)
	$(BIN)/python tools/toc.py

# Rewrite the authored recordings from tools/authored/*.py (NB=... for one).
authored: $(LAB_STAMP)
	$(BIN)/python tools/authoring.py $(NB)

# Re-record from the real API (needs ANTHROPIC_API_KEY; costs money within PRIMER_BUDGET_USD). NB=... for one.
record: $(DEV_STAMP)
	$(BIN)/python tools/record.py $(NB)
	$(BIN)/python tools/toc.py

# What a full live run of every notebook costs, from the recordings.
cost: $(LAB_STAMP)
	$(BIN)/python tools/cost.py

bench: $(DEV_STAMP) site
	$(REPLAY) $(BIN)/python tools/bench.py --report docs/performance.md
	$(BIN)/python tools/loadbench.py

# --- the browser edition ----------------------------------------------------------------------------------------
# The whole course as a static JupyterLite site in site/ (git-ignored), replay only, nothing to install for whoever
# opens it (tools/site/build.py). Its build tools live in .venv/site, from requirements/site.txt.
SITE_VENV := $(VENV)/site
SITE_HOST ?= 127.0.0.1
SITE_PORT ?= 8000

$(SITE_VENV)/.installed: requirements/site.txt
	@test -x $(SITE_VENV)/bin/python || $(PYTHON) -m venv $(SITE_VENV)
	$(SITE_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements/site.txt
	@touch $@

site: $(LAB_STAMP) $(SITE_VENV)/.installed
	$(BIN)/python tools/site/build.py --jupyter $(SITE_VENV)/bin/jupyter

# Serve site/ as it is (built first if missing); SITE_HOST=0.0.0.0 for a workshop room (WORKSHOP.md).
serve-site:
	@test -f site/jupyter-lite.json || $(MAKE) --no-print-directory site
	@echo "The course in your browser: http://$(SITE_HOST):$(SITE_PORT)/lab/index.html?path=00_start_here.ipynb (Ctrl-C stops)"
	$(PYTHON) -m http.server $(SITE_PORT) --bind $(SITE_HOST) --directory site

# --- workshops (WORKSHOP.md) ------------------------------------------------------------------------------------
# Before, with network: every package a learner needs into ./wheelhouse, for this Python and system
# (WHEELHOUSE_ARGS="--platform win_amd64 --python-version 3.12" adds others). In the room: install from it with
# no index, then `make lab` as usual.
wheelhouse:
	$(PYTHON) tools/wheelhouse.py download --dest wheelhouse $(WHEELHOUSE_ARGS)

offline-install:
	$(PYTHON) tools/wheelhouse.py install --wheelhouse wheelhouse --venv $(VENV)

# A room's LiteLLM proxy in its own environment, .venv/room (tests/test_room_proxy.py skips without it).
# --no-compile: compiling its packages costs 40 s of CPU; the proxy compiles what it imports when it starts.
ROOM := $(VENV)/room
room-install: $(ROOM)/.installed
$(ROOM)/.installed: requirements/room.txt
	@test -x $(ROOM)/bin/python || $(PYTHON) -m venv $(ROOM)
	$(ROOM)/bin/python -m pip install --quiet --disable-pip-version-check --no-compile -r requirements/room.txt
	@touch $@

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

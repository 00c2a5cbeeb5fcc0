# Two commands set everything up: `make lab` opens the course, `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BROWSER_STAMP := $(VENV)/.browser-installed
DEPS   := .primer/browser-deps
# LiteLLM for tests/test_room_proxy.py (WORKSHOP.md), in its own environment; make test installs it in the background.
ROOM   := $(VENV)/room
ROOM_STAMP := $(ROOM)/.installed
ROOM_JOB := .primer/room-install
# Tests never go live and never wait for paced streams, whatever .env says.
REPLAY := PRIMER_MODE=replay PRIMER_REPLAY_SPEED=0

.PHONY: install lab test unit browser outputs toc bench authored record cost wheelhouse offline-install room-install clean site serve-site

install: $(STAMP)

# Reinstalls only when requirements.txt or pyproject.toml changed.
$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python 3.10 or newer is needed; set PYTHON=python3.x")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $(STAMP)

# tools/lab.py: trusts the notebooks, turns JupyterLab's news pop-up off and opens notebook 00.
lab: $(STAMP)
	$(BIN)/python tools/lab.py

# Everything: lint, notebook hygiene, unit tests and nbval in parallel, then the browser test.
# Chromium (apt, as root) installs in the background meanwhile; the browser test waits for it.
# So does LiteLLM (room-install); tests/test_room_proxy.py waits for it, and -rs prints why a test skipped.
# Each phase prints its duration ("make test: lint 4 s"), timed from .primer/test-clock, then a total.
test:
	@mkdir -p .primer && date +%s > .primer/test-clock && cp .primer/test-clock .primer/test-start
	@rm -f $(DEPS).done && touch $(DEPS).started
	@(tools/browser_deps.sh > $(DEPS).log 2>&1; touch $(DEPS).done) &
	@mkdir -p $(VENV); sh -c 'echo $$$$ > $(ROOM_JOB).pid; $(MAKE) --no-print-directory room-install > $(ROOM_JOB).log 2>&1; rm -f $(ROOM_JOB).pid' &
	@$(MAKE) --no-print-directory install
	@t=$$(date +%s); echo "make test: install $$((t - $$(cat .primer/test-clock))) s"; echo $$t > .primer/test-clock
	$(BIN)/ruff check helpers tests tools
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/zizmor --offline -q .github
	$(BIN)/python tools/normalize.py --check
	$(BIN)/python tools/toc.py --check
	@t=$$(date +%s); echo "make test: lint $$((t - $$(cat .primer/test-clock))) s"; echo $$t > .primer/test-clock
	$(REPLAY) $(BIN)/python -m pytest -q -rs -n auto --dist loadfile --ignore=tests/browser \
		--nbval --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg tests notebooks
	@t=$$(date +%s); echo "make test: notebooks+unit $$((t - $$(cat .primer/test-clock))) s"; echo $$t > .primer/test-clock
	@$(MAKE) --no-print-directory browser
	@t=$$(date +%s); echo "make test: browser $$((t - $$(cat .primer/test-clock))) s, total $$((t - $$(cat .primer/test-start))) s"

$(BROWSER_STAMP): requirements-browser.txt $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-browser.txt
	@touch $(BROWSER_STAMP)

# A workshop room's LiteLLM proxy, apart from the course's packages (tests/test_room_proxy.py). --no-compile:
# compiling its 130 packages costs 40 s of CPU; the proxy compiles what it imports when it first starts.
room-install: $(ROOM_STAMP)

$(ROOM_STAMP): requirements-room.txt
	@test -x $(ROOM)/bin/python || $(PYTHON) -m venv $(ROOM)
	$(ROOM)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(ROOM)/bin/python -m pip install --quiet --disable-pip-version-check --no-compile -r requirements-room.txt
	@touch $(ROOM_STAMP)

# JupyterLab in headless Chromium: notebook 03's widget and notebook 05's stream (screenshots in artifacts/);
# then the browser edition (make site) with every notebook run in its Pyodide kernel.
browser: $(BROWSER_STAMP) $(STAMP) $(SITE_STAMP)
	@$(MAKE) --no-print-directory site CDN=
	@if [ -f $(DEPS).started ]; then n=0; while [ ! -f $(DEPS).done ] && [ $$n -lt 900 ]; do sleep 1; n=$$((n+1)); done; \
	  cat $(DEPS).log; rm -f $(DEPS).started $(DEPS).done $(DEPS).log; else tools/browser_deps.sh; fi
	PRIMER_MODE=replay $(BIN)/python -m pytest -q -rs -p no:cacheprovider tests/browser

# The browser edition: the whole course as a static JupyterLite site in site/ (git-ignored), replay only,
# nothing to install for whoever opens it (tools/site/build.py). Its build tools live in .venv/site.
# CDN=1: figures too, where the page can reach Pyodide's CDN (matplotlib is fetched from it when a cell draws).
SITE_VENV := $(VENV)/site
SITE_STAMP := $(SITE_VENV)/.installed
SITE_HOST ?= 127.0.0.1
SITE_PORT ?= 8000

$(SITE_STAMP): requirements-site.txt
	@test -x $(SITE_VENV)/bin/python || $(PYTHON) -m venv $(SITE_VENV)
	$(SITE_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-site.txt
	@touch $(SITE_STAMP)

site: $(STAMP) $(SITE_STAMP)
	$(BIN)/python tools/site/build.py --jupyter $(SITE_VENV)/bin/jupyter $(if $(filter 1,$(CDN)),--matplotlib-from-cdn)

# Serve site/ as it is (built first if missing); SITE_HOST=0.0.0.0 for a workshop room (WORKSHOP.md).
serve-site:
	@test -f site/jupyter-lite.json || $(MAKE) --no-print-directory site
	@echo "The course in your browser: http://$(SITE_HOST):$(SITE_PORT)/lab/index.html?path=00_start_here.ipynb (Ctrl-C stops)"
	$(PYTHON) -m http.server $(SITE_PORT) --bind $(SITE_HOST) --directory site

unit: $(STAMP)
	$(REPLAY) $(BIN)/python -m pytest -q -n auto --dist loadfile --ignore=tests/browser tests

# Re-run every notebook in replay mode, store its outputs and normalize it (NB=01_first_request for one).
outputs: $(STAMP)
	$(REPLAY) $(BIN)/python tools/normalize.py --execute $(NB)
	$(BIN)/python tools/toc.py

toc: $(STAMP)
	$(BIN)/python tools/toc.py

# Rewrite the authored recordings from tools/authored/*.py (NB=... for one).
authored: $(STAMP)
	$(BIN)/python tools/authoring.py $(NB)

# Re-record from the real API (needs ANTHROPIC_API_KEY; costs money within PRIMER_BUDGET_USD). NB=... for one.
record: $(STAMP)
	$(BIN)/python tools/record.py $(NB)
	$(BIN)/python tools/toc.py

# What a full live run of every notebook costs, from the recordings.
cost: $(STAMP)
	$(BIN)/python tools/cost.py

bench: $(STAMP)
	$(REPLAY) $(BIN)/python tools/bench.py
	$(BIN)/python tools/loadbench.py

# Workshop kit (WORKSHOP.md). Before, with network: every package into ./wheelhouse, for this Python and
# system (WHEELHOUSE_ARGS="--platform win_amd64 --python-version 3.12" adds others). In the room: install
# from it with no index, then `make lab` as usual.
wheelhouse:
	$(PYTHON) tools/wheelhouse.py download --dest wheelhouse $(WHEELHOUSE_ARGS)

offline-install:
	$(PYTHON) tools/wheelhouse.py install --wheelhouse wheelhouse --venv $(VENV)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# Two commands set everything up: `make lab` opens the course, `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BROWSER_STAMP := $(VENV)/.browser-installed
DEPS   := .primer/browser-deps
# Tests never go live and never wait for paced streams, whatever .env says.
REPLAY := PRIMER_MODE=replay PRIMER_REPLAY_SPEED=0
# Jupyter refuses to run as root (containers, CI) unless told.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: install lab test unit browser outputs toc bench authored record cost wheelhouse offline-install clean

install: $(STAMP)

# Reinstalls only when requirements.txt or pyproject.toml changed.
$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python 3.10 or newer is needed; set PYTHON=python3.x")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab $(ALLOW_ROOT) --notebook-dir=notebooks --LabApp.default_url=/lab/tree/00_start_here.ipynb

# Everything: lint, notebook hygiene, unit tests and nbval in parallel, then the browser test.
# Chromium (apt, as root) installs in the background meanwhile; the browser test waits for it.
test:
	@mkdir -p .primer && rm -f $(DEPS).done && touch $(DEPS).started
	@(tools/browser_deps.sh > $(DEPS).log 2>&1; touch $(DEPS).done) &
	@$(MAKE) --no-print-directory install
	$(BIN)/ruff check helpers tests tools
	$(BIN)/python tools/normalize.py --check
	$(BIN)/python tools/toc.py --check
	$(REPLAY) $(BIN)/python -m pytest -q -n auto --dist loadfile --ignore=tests/browser \
		--nbval --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg tests notebooks
	@$(MAKE) --no-print-directory browser

$(BROWSER_STAMP): requirements-browser.txt $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-browser.txt
	@touch $(BROWSER_STAMP)

# JupyterLab in headless Chromium: notebook 03's widget and notebook 05's stream (screenshots in artifacts/).
browser: $(BROWSER_STAMP)
	@if [ -f $(DEPS).started ]; then n=0; while [ ! -f $(DEPS).done ] && [ $$n -lt 900 ]; do sleep 1; n=$$((n+1)); done; \
	  cat $(DEPS).log; rm -f $(DEPS).started $(DEPS).done $(DEPS).log; else tools/browser_deps.sh; fi
	PRIMER_MODE=replay $(BIN)/python -m pytest -q -rs -p no:cacheprovider tests/browser

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

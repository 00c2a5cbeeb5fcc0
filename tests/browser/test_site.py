"""The browser edition (make site): the built JupyterLite site, served from its folder on loopback, in
headless Chromium through Playwright, with nothing installed and no request leaving the site's origin.

Every notebook runs in replay in one Pyodide kernel of the site (each starts with its own helpers.setup):
no code cell ends in an error unless it is tagged raises-exception, the text each cell prints equals the
output stored in git, and what cannot run in a page (figures without matplotlib, jsonschema, notebook 05's
web endpoint, %%bash cURL cells) says so in one sentence. Notebook 03 then runs in the page as a learner
runs it: its banner says "in your browser" and "replay only", its slider widget responds, its cURL cell and
figure cells say why they do not run and show the stored figure. Every request any page or kernel worker
makes is checked: those outside the origin are refused and fail the test. Prints the site's size and the
time to the first executed cell (a benchmark, never asserted). Skipped, loudly, without Chromium,
Playwright or a built site (`make site`).
"""

from __future__ import annotations

import functools
import json
import os
import re
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from chromium import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, NEEDS_CHROMIUM, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("PRIMER_SITE", ROOT / "site"))
KERNEL = "@jupyterlite/pyodide-kernel-extension:kernel"

if sync_playwright is not None:
    from playwright.sync_api import BrowserContext, Page, Route

pytestmark = [
    *NEEDS_CHROMIUM,
    pytest.mark.skipif(not (SITE / "jupyter-lite.json").is_file(), reason=f"SITE TEST SKIPPED: no site at {SITE} "
                       "(make site builds it; make browser does so first)"),
]

# One sentence per kind of degradation (helpers/inbrowser.py), and the cells that must show it.
DEGRADED = {
    "bash": "cURL cells need a shell",
    "figure": "draws a figure with matplotlib",
    "jsonschema": "needs jsonschema",
    "web": "part of the web endpoint",
    "threads": "starts threads",
}
EXPECTED = {  # notebook -> kinds of degradation it must show at least once
    "01_first_request": {"bash"}, "02_system_prompts": {"figure"}, "03_temperature": {"bash", "figure"},
    "04_tool_use": {"jsonschema", "threads"}, "05_streaming": {"bash", "figure", "web"},
    "10_errors": {"bash", "figure"},
}
# As tests/sanitize.cfg: what differs between any two runs, and the SDK's release number.
SANITIZE = [(re.compile(r"at 0x[0-9a-fA-F]+"), "at 0xADDRESS"),
            (re.compile(r"anthropic 2\.\d+\.\d+"), "anthropic 2.N.N")]


def size_of(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a page that navigates away mid-download closes its connections: not news


def _serve(folder: Path) -> Iterator[str]:
    server = _Server(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    """The site served from its folder on 127.0.0.1, as `make serve-site` serves it."""
    yield from _serve(SITE)


def _speed_zero(r: Route) -> None:
    """jupyter-lite.json with PRIMER_REPLAY_SPEED=0 in the kernel's settings: streams do not take their
    recorded seconds."""
    resp = r.fetch()
    config = resp.json()
    kernel = config.get("jupyter-config-data", {}).get("litePluginSettings", {}).get(KERNEL)
    if kernel is not None:
        kernel.setdefault("loadPyodideOptions", {})["env"] = {"PRIMER_REPLAY_SPEED": "0"}
    r.fulfill(response=resp, body=json.dumps(config))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module: Playwright's sync API allows one instance at a time."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def context(origin: str, browser: Any) -> Iterator[tuple[BrowserContext, list[str]]]:
    """A browser context whose every request is checked: outside the origin it is refused and noted."""
    outside: list[str] = []

    def route(r: Route) -> None:
        url = r.request.url
        if not (url == origin or url.startswith(origin + "/")):
            outside.append(url)
            r.abort()
        elif url.split("?", 1)[0].endswith("/jupyter-lite.json"):
            _speed_zero(r)
        else:
            r.continue_()

    ctx = browser.new_context(service_workers="block", viewport={"width": 1400, "height": 1000})
    ctx.route("**/*", route)
    try:
        yield ctx, outside
    finally:
        ctx.close()
    assert outside == [], f"requests outside the site's origin: {outside[:10]}"


KERNEL_IDLE = """() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle'; }"""

# Runs every code cell of one notebook in `kernel` (stop_on_error off) and returns what each sent: streams,
# display data and results (text/plain and which mime types), errors, and the execute reply's status.
RUN_NOTEBOOK = """async (name) => {
  const app = window.jupyterapp, kernel = window.__primerKernel;
  const nb = (await app.serviceManager.contents.get(name, {content: true})).content;
  const cells = [];
  for (const cell of nb.cells) {
    if (cell.cell_type !== 'code') continue;
    const source = Array.isArray(cell.source) ? cell.source.join('') : cell.source;
    const got = {source: source.slice(0, 300), tags: (cell.metadata || {}).tags || [], stored: cell.outputs,
                 outputs: []};
    const future = kernel.requestExecute({code: source, stop_on_error: false, store_history: true});
    future.onIOPub = (msg) => {
      const t = msg.header.msg_type, c = msg.content;
      if (t === 'stream') got.outputs.push({output_type: 'stream', name: c.name, text: c.text});
      else if (t === 'error') got.outputs.push({output_type: 'error', ename: c.ename, evalue: c.evalue});
      else if (t === 'display_data' || t === 'execute_result')
        got.outputs.push({output_type: t, mimes: Object.keys(c.data), text: c.data['text/plain'] || ''});
    };
    const reply = await future.done;
    got.status = reply.content.status;
    cells.push(got);
  }
  return cells;
}"""

# Code cells with source that have not run (no execution count), and whether the kernel is busy.
NOT_RUN = """() => { const p = window.jupyterapp.shell.currentWidget;
  return p.content.widgets.map((c, i) => [i, c]).filter(([i, c]) => c.model.type === 'code'
    && c.model.sharedModel.getSource().trim() && c.model.executionCount === null).map(([i]) => i); }"""

# A failing request queued before another: what the second printed, or "cancelled" if no reply came in 3 s.
QUEUED_AFTER_ERROR = """async (stopOnError) => {
  const kernel = window.__primerKernel;
  const failing = kernel.requestExecute({code: '1/0', stop_on_error: stopOnError});
  const next = kernel.requestExecute({code: 'print("ran")', stop_on_error: true});
  let printed = '';
  next.onIOPub = (msg) => { if (msg.header.msg_type === 'stream') printed += msg.content.text; };
  await failing.done;
  const timeout = new Promise(resolve => setTimeout(() => resolve('cancelled'), 3000));
  return await Promise.race([next.done.then(() => printed.trim()), timeout]);
}"""

START_KERNEL = """async () => {
  const app = window.jupyterapp;
  const kernel = await app.serviceManager.kernels.startNew({name: 'python'});
  await kernel.info;
  window.__primerKernel = kernel;
  return kernel.id;
}"""


def _text(outputs: list[dict], stored: bool) -> str:
    """What a cell printed and showed as text, in order, sanitized: streams and text/plain results."""
    parts = []
    for o in outputs:
        if o["output_type"] == "stream" and o.get("name", "stdout") == "stdout":
            parts.append("".join(o["text"]) if isinstance(o["text"], list) else o["text"])
        elif o["output_type"] in ("display_data", "execute_result"):
            data = o.get("data", {}) if stored else None
            mimes = list(data) if stored else o["mimes"]
            if "image/png" in mimes:
                continue  # a figure's text/plain is a placeholder
            text = data.get("text/plain", "") if stored else o["text"]
            parts.append(("".join(text) if isinstance(text, list) else text) + "\n")
    joined = "".join(parts)
    for rx, new in SANITIZE:
        joined = rx.sub(new, joined)
    return joined


def _kinds(outputs: list[dict]) -> set[str]:
    said = "".join(o.get("text", "") for o in outputs if o["output_type"] == "stream")
    return {kind for kind, words in DEGRADED.items() if words in said}


def test_every_notebook_runs_in_the_browser_and_prints_what_git_stores(context: tuple[BrowserContext, list[str]],
                                                                      origin: str) -> None:
    ctx, _ = context
    page = ctx.new_page()
    page.goto(f"{origin}/lab/index.html")
    page.wait_for_function("() => { const s = window.jupyterapp && window.jupyterapp.serviceManager.kernelspecs.specs;"
                           " return !!(s && s.kernelspecs && s.kernelspecs.python); }", timeout=60_000, polling=100)
    started = time.monotonic()
    page.evaluate(START_KERNEL)
    boot = time.monotonic() - started
    problems, seen, differ, ran = [], {}, [], 0
    for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        t0 = time.monotonic()
        cells = page.evaluate(RUN_NOTEBOOK, nb.name)
        ran += len(cells)
        kinds: set[str] = set()
        for i, c in enumerate(cells):
            errors = [f"{o['ename']}: {o['evalue'][:200]}" for o in c["outputs"] if o["output_type"] == "error"]
            tagged = "raises-exception" in c["tags"]
            if (errors or c["status"] != "ok") and not tagged:
                problems.append(f"{nb.stem} code cell {i}: {errors or c['status']} in {c['source'][:80]!r}")
            found = _kinds(c["outputs"])
            kinds |= found
            if i == 0:  # the banner: the browser's own words (the next test reads them)
                continue
            if not found and not tagged and _text(c["outputs"], False) != _text(c["stored"], True):
                differ.append(f"{nb.stem} code cell {i} {c['source'][:60]!r}:\n  got    "
                              f"{_text(c['outputs'], False)[:300]!r}\n  stored {_text(c['stored'], True)[:300]!r}")
        seen[nb.stem] = kinds
        print(f"benchmark: {nb.stem}: {len(cells)} code cells in {time.monotonic() - t0:.1f} s")
    print(f"benchmark: site kernel ready in {boot:.1f} s; {ran} code cells of {len(seen)} notebooks")
    # As in JupyterLab: an error stops the queue unless its request said stop_on_error false (raises-exception)
    assert page.evaluate(QUEUED_AFTER_ERROR, False) == "ran"
    assert page.evaluate(QUEUED_AFTER_ERROR, True) == "cancelled"
    page.close()
    assert problems == [], "cells that failed in the browser:\n" + "\n".join(problems)
    missing = {nb: kinds - seen.get(nb, set()) for nb, kinds in EXPECTED.items() if kinds - seen.get(nb, set())}
    assert missing == {}, f"degradations that did not say why: {missing}"
    assert differ == [], f"{len(differ)} cells printed other text than git stores:\n" + "\n".join(differ)


def test_a_learner_runs_notebook_03_in_the_page(context: tuple[BrowserContext, list[str]], origin: str) -> None:
    ctx, _ = context
    page: Page = ctx.new_page()
    t0 = time.monotonic()
    page.goto(f"{origin}/lab/index.html?path=03_temperature.ipynb")
    page.wait_for_function(KERNEL_IDLE, timeout=120_000, polling=200)
    idle = time.monotonic() - t0
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.content.widgets[1].model.outputs.length > 0",
                           timeout=60_000, polling=100)
    first = time.monotonic() - t0
    # One Run All reaches the last cell: a cell tagged raises-exception fails without stopping the rest, as in
    # JupyterLab (tools/site/build.py's STOP_ON_ERROR_PATCHES; JupyterLite alone stops there).
    idle_since, deadline = None, time.monotonic() + 180
    while (left := page.evaluate(NOT_RUN)) and time.monotonic() < deadline:
        idle = page.evaluate(KERNEL_IDLE)
        idle_since = (idle_since or time.monotonic()) if idle else None
        if idle_since and time.monotonic() - idle_since > 3:
            break  # idle with cells left: Run All stopped
        page.wait_for_timeout(250)
    assert left == [], f"Run All stopped before cells {left} (a raises-exception cell must not stop it)"
    page.wait_for_function(KERNEL_IDLE, timeout=120_000, polling=250)
    done = time.monotonic() - t0
    print(f"benchmark: site {size_of(SITE) / 1e6:.1f} MB; notebook 03 in the page: kernel idle {idle:.1f} s, "
          f"first executed cell {first:.1f} s, all cells {done:.1f} s after navigation")
    state = page.evaluate("""() => window.jupyterapp.shell.currentWidget.content.widgets.map((c, i) => ({
        i, type: c.model.type, tags: c.model.getMetadata('tags') || [],
        outputs: c.model.type === 'code' ? c.model.outputs.toJSON() : []}))""")
    code = [c for c in state if c["type"] == "code"]
    errors = [c["i"] for c in code if "raises-exception" not in c["tags"]
              and any(o["output_type"] == "error" for o in c["outputs"])]
    assert errors == [], f"untagged cells with an error: {errors}"
    banner = json.dumps(code[0]["outputs"])
    assert "in your browser" in banner and "Replay only" in banner and "authored" in banner, banner[:500]

    def said(c: dict) -> str:
        return "".join(o.get("text", "") for o in c["outputs"] if o["output_type"] == "stream")

    curl = [c for c in code if DEGRADED["bash"] in said(c)]
    figures = [c for c in code if DEGRADED["figure"] in said(c)]
    assert curl and figures, "notebook 03's cURL and figure cells must say why they do not run"
    assert all(said(c).count(".") <= 3 for c in curl + figures), "one sentence, not a traceback"
    assert any(any("image/png" in o.get("data", {}) for o in c["outputs"]) for c in figures), \
        "a figure cell shows the figure stored with the notebook"

    slider = page.locator(".jupyter-widgets .widget-slider, .jupyter-widgets .widget-hslider").first
    slider.scroll_into_view_if_needed()
    slider.wait_for(state="visible", timeout=30_000)
    view = slider.locator("xpath=ancestor::div[contains(@class,'widget-vbox')][1]")
    before = view.inner_text()
    slider.locator(".noUi-handle").first.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("([el, old]) => el.innerText !== old", arg=[view.element_handle(), before], timeout=10_000)
    page.screenshot(path=str(ARTIFACTS / "site_03_explorer.png"), full_page=False)
    assert view.inner_text() != before
    page.close()

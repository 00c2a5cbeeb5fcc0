"""The browser edition (make site): the built JupyterLite site, served from its folder on loopback, in
headless Chromium through Playwright, with nothing installed and no request leaving the site's origin.

Every notebook runs in replay in one Pyodide kernel of the site (each starts with its own helpers.setup):
no code cell ends in an error unless it is tagged raises-exception, the text each cell prints equals the
output stored in git, what cannot run in a page (figures without matplotlib, notebook 05's web endpoint,
%%bash cURL cells) says so in one sentence that says what to do instead, and every exercise's own solution
reaches ✅. Every notebook opens in the light and the dark theme with no Markdown rendered as math. Notebook
03 then runs in the page as a learner runs it: a line says Python is starting until the kernel is idle, its
banner says "in your browser" and "replay only", its slider widget responds, its cURL cell and figure cells
say why they do not run and show the stored figure. Every request any page or kernel worker
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
from course import (
    CLOSE_NOTEBOOK,
    MATH_IN_MARKDOWN,
    NOTEBOOKS,
    OPEN_NOTEBOOK,
    RUN_CODE,
    RUN_NOTEBOOK,
    SHOW_CELL,
    THEMES,
    exercises,
    intended_math,
    passed,
    set_theme,
)

from helpers.inbrowser import WHAT_TO_DO

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
    "web": "part of the web endpoint",
    "threads": "starts threads",
    "above": "which a cell above could not make",
}
EXPECTED = {  # notebook -> kinds of degradation it must show at least once
    "01_first_request": {"bash"}, "02_system_prompts": {"figure"}, "03_temperature": {"bash", "figure"},
    "04_tool_use": {"threads"}, "05_streaming": {"bash", "figure", "web"},
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


def _said(outputs: list[dict]) -> str:
    return "".join(o.get("text", "") for o in outputs if o["output_type"] == "stream")


def _kinds(outputs: list[dict]) -> set[str]:
    return {kind for kind, words in DEGRADED.items() if words in _said(outputs)}


def _without_a_way_on(outputs: list[dict]) -> list[str]:
    """The degradation sentences (helpers.inbrowser) in `outputs` that do not say what to do instead."""
    lines = [line for line in _said(outputs).splitlines() if any(words in line for words in DEGRADED.values())
             or "browser page" in line or "browser edition" in line]
    return [line for line in lines if WHAT_TO_DO not in line]


def test_every_notebook_runs_in_the_browser_and_prints_what_git_stores(context: tuple[BrowserContext, list[str]],
                                                                      origin: str) -> None:
    """All code cells of the 11 notebooks in one kernel of the page, then each exercise's own solution with its
    check: every one reaches ✅ in the browser edition. Each degradation says what to do instead."""
    ctx, _ = context
    page = ctx.new_page()
    page.goto(f"{origin}/lab/index.html")
    page.wait_for_function("() => { const s = window.jupyterapp && window.jupyterapp.serviceManager.kernelspecs.specs;"
                           " return !!(s && s.kernelspecs && s.kernelspecs.python); }", timeout=60_000, polling=100)
    started = time.monotonic()
    page.evaluate(START_KERNEL)
    boot = time.monotonic() - started
    problems, seen, differ, mute, failed, ran, solved = [], {}, [], [], [], 0, 0
    for nb in NOTEBOOKS:
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
            mute += [f"{nb.stem} code cell {i}: {line!r}" for line in _without_a_way_on(c["outputs"])]
            if i == 0:  # the banner: the browser's own words (the next test reads them)
                continue
            if not found and not tagged and _text(c["outputs"], False) != _text(c["stored"], True):
                differ.append(f"{nb.stem} code cell {i} {c['source'][:60]!r}:\n  got    "
                              f"{_text(c['outputs'], False)[:300]!r}\n  stored {_text(c['stored'], True)[:300]!r}")
            if nb.stem == "04_tool_use" and "How many stone" in c["source"]:
                assert "round 3: end_turn" in _text(c["outputs"], False), "04's recovery runs to its end"
        seen[nb.stem] = kinds
        for cell, solution, check in exercises(nb):
            solved += 1
            outs = [o for c in page.evaluate(RUN_CODE, [solution, check]) for o in c["outputs"]]
            if not passed(outs):
                failed.append(f"{nb.stem} exercise in code cell {cell}: {check} gave "
                              f"{[o.get('text') or o.get('evalue') for o in outs]!r:.400}")
        print(f"benchmark: {nb.stem}: {len(cells)} code cells in {time.monotonic() - t0:.1f} s")
    print(f"benchmark: site kernel ready in {boot:.1f} s; {ran} code cells of {len(seen)} notebooks, "
          f"{solved} solutions")
    # As in JupyterLab: an error stops the queue unless its request said stop_on_error false (raises-exception)
    assert page.evaluate(QUEUED_AFTER_ERROR, False) == "ran"
    assert page.evaluate(QUEUED_AFTER_ERROR, True) == "cancelled"
    page.close()
    assert problems == [], "cells that failed in the browser:\n" + "\n".join(problems)
    missing = {nb: kinds - seen.get(nb, set()) for nb, kinds in EXPECTED.items() if kinds - seen.get(nb, set())}
    assert missing == {}, f"degradations that did not say why: {missing}"
    assert mute == [], f"degradations that do not say what to do ({WHAT_TO_DO!r}):\n" + "\n".join(mute)
    assert solved >= 20 and failed == [], "solutions short of ✅ in the browser edition:\n" + "\n".join(failed)
    assert differ == [], f"{len(differ)} cells printed other text than git stores:\n" + "\n".join(differ)


def test_every_notebook_opens_in_both_themes_with_no_math_in_its_markdown(
        context: tuple[BrowserContext, list[str]], origin: str) -> None:
    """Each notebook opened in the page, in the light and the dark theme (screenshots in artifacts/browser/):
    no Markdown cell renders math unless it means a formula (a price read as LaTeX turned a paragraph of 00 into
    one italic line), and 00 says that the page has no .env and no live mode."""
    ctx, _ = context
    page = ctx.new_page()
    page.goto(f"{origin}/lab/index.html")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.started !== undefined"
                           " && !!window.jupyterapp.shell.currentWidget", timeout=60_000, polling=100)
    math, tight, note = [], [], ""
    for n, nb in enumerate(NOTEBOOKS):
        page.evaluate(OPEN_NOTEBOOK, nb.name)
        cells = page.evaluate(MATH_IN_MARKDOWN)
        math += [f"{nb.stem} cell {c['i']}: {c['math']} math elements in {c['text']!r}" for c in cells
                 if c["math"] and not intended_math(c["source"])]
        tight += [f"{nb.stem} cell {c['i']}: {c['gaps']} px" for c in cells if any(g < 8 for g in c["gaps"])]
        if nb.stem.startswith("00_"):
            note = next((c["source"] for c in cells if c["text"].startswith("In the browser edition")), "")
        for theme in THEMES[:: 1 if n % 2 == 0 else -1]:  # the theme the last one ended in, then the other
            set_theme(page, theme)
            page.evaluate(SHOW_CELL, ["price", "exercise"] if theme == THEMES[0] else ["figure", "exercise"])
            page.screenshot(path=str(ARTIFACTS / f"site_{nb.stem}_{theme.split()[-1].lower()}.png"))
        page.evaluate(CLOSE_NOTEBOOK)
    set_theme(page, THEMES[0])  # as a learner starts
    page.close()
    assert math == [], "Markdown rendered as math where no formula was meant:\n" + "\n".join(math)
    assert tight == [], f"no space between a Solution block and what follows: {tight}"
    assert "no `.env`" in note and "no live mode" in note and "your computer" in note, note


def test_the_site_serves_notebooks_with_their_text_joined() -> None:
    """git stores text as lists of lines; JupyterLite serves a notebook as it is, and JupyterLab then shows a
    stored output's lines with a comma at the start of each (",anthropic SDK 2.x: True"). The build joins them."""
    lists = []
    for nb in NOTEBOOKS:
        served = json.loads((SITE / "files" / nb.name).read_text(encoding="utf-8"))
        for i, cell in enumerate(served["cells"]):
            fields = [cell["source"]] + [o.get("text", "") for o in cell.get("outputs", [])]
            fields += [v for o in cell.get("outputs", []) for m, v in o.get("data", {}).items() if "json" not in m]
            lists += [f"{nb.stem} cell {i}"] * any(isinstance(f, list) for f in fields)
    assert lists == [], f"multi-line text served as lists of lines: {lists[:10]}"


def test_a_learner_runs_notebook_03_in_the_page(context: tuple[BrowserContext, list[str]], origin: str) -> None:
    ctx, _ = context
    page: Page = ctx.new_page()
    t0 = time.monotonic()
    page.goto(f"{origin}/lab/index.html?path=03_temperature.ipynb")
    starting = page.locator("#primer-starting")
    starting.wait_for(state="visible", timeout=10_000)  # while "Python (Pyodide) | Unknown": say what happens
    said_at_start = starting.inner_text()
    page.screenshot(path=str(ARTIFACTS / "site_03_starting.png"))
    page.wait_for_function(KERNEL_IDLE, timeout=120_000, polling=200)
    idle = time.monotonic() - t0
    starting.wait_for(state="detached", timeout=5_000)
    assert "Starting Python in your browser" in said_at_start and "seconds" in said_at_start, said_at_start
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

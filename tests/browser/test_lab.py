"""The course in a real browser: JupyterLab on loopback, driven by headless Chromium through Playwright.

Notebook 03: run all cells, find the temperature explorer rendered as a working slider, move it and see
the samples change. Notebook 05: run the primer's streaming cell at replay speed 1 and see its text grow.
No error output outside cells tagged raises-exception. Screenshots go to artifacts/browser/ (git-ignored).
Skipped, loudly, when Chromium or Playwright is missing; `make test` installs both where it can.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "browser"
CHROMIUM = os.environ.get("PRIMER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

try:
    from playwright.sync_api import Page, sync_playwright
except ImportError:  # pragma: no cover - the skip below says why
    sync_playwright = None

pytestmark = [
    pytest.mark.skipif(sync_playwright is None, reason="BROWSER TEST SKIPPED: playwright is not installed "
                       "(pip install -r requirements-browser.txt)"),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"BROWSER TEST SKIPPED: no Chromium at {CHROMIUM} "
                       "(as root: apt-get install chromium chromium-driver; or set PRIMER_CHROMIUM)"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[str]:
    """JupyterLab on 127.0.0.1 with a random token, replay mode at speed 1; always shut down."""
    home = tmp_path_factory.mktemp("jupyter")
    served = home / "notebooks"  # copies: nothing the browser does (autosave included) can touch the repo
    served.mkdir()
    for nb in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"):
        shutil.copy(nb, served / nb.name)
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ, PRIMER_MODE="replay", PRIMER_REPLAY_SPEED="1", JUPYTER_CONFIG_DIR=str(home / "config"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), JUPYTER_DATA_DIR=str(home / "data"))
    env.pop("PRIMER_GATEWAY_URL", None)
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={served}",
           "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=", "--LabApp.check_for_updates_class="
           "jupyterlab.NeverCheckForUpdate", "--ServerApp.port_retries=0"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(home / "lab.log", "w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as resp:
                    json.load(resp)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start:\n{(home / 'lab.log').read_text()[-2000:]}")
                time.sleep(0.3)
        yield f"{base}/lab/tree/{{name}}?token={token}"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # the server and its kernels
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        log.close()


@pytest.fixture(scope="module")
def page(lab) -> Iterator[Page]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 1000})
        finally:
            browser.close()


def open_notebook(page: Page, lab: str, name: str) -> None:
    page.goto(lab.format(name=name))
    page.wait_for_function("(name) => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                           " && window.jupyterapp.shell.currentWidget.context"
                           " && window.jupyterapp.shell.currentWidget.context.path.endsWith(name)"
                           " && window.jupyterapp.shell.currentWidget.sessionContext"
                           " && window.jupyterapp.shell.currentWidget.sessionContext.session"
                           " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
                           " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'",
                           arg=name, timeout=60_000)
    # Stored outputs and counts come from the replay run in git: clear them, so what we see is this run's.
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.content.widgets"
                           ".every(c => c.model.type !== 'code' || c.model.executionCount === null)", timeout=10_000)


NOTEBOOK_STATE = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  return panel.content.widgets.map((cell, i) => ({
    i, type: cell.model.type,
    tags: cell.model.getMetadata('tags') || [],
    count: cell.model.type === 'code' ? cell.model.executionCount : null,
    errors: cell.model.type === 'code'
      ? cell.model.outputs.toJSON().filter(o => o.output_type === 'error').map(o => o.ename) : [],
    source: cell.model.sharedModel.getSource().slice(0, 2000),
  }));
}"""


def cells(page: Page) -> list[dict]:
    return page.evaluate(NOTEBOOK_STATE)


def untagged_errors(page: Page) -> list[str]:
    return [f"cell {c['i']}: {c['errors']}" for c in cells(page) if c["errors"] and "raises-exception" not in c["tags"]]


def run_all(page: Page) -> None:
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(
        """() => { const p = window.jupyterapp.shell.currentWidget;
                   return p.content.widgets.filter(c => c.model.type === 'code'
                            && c.model.sharedModel.getSource().trim()).every(c => c.model.executionCount !== null)
                          && p.sessionContext.session.kernel.status === 'idle'; }""",
        timeout=120_000, polling=250,
    )


def test_temperature_explorer_is_a_working_control(page: Page, lab: str) -> None:
    open_notebook(page, lab, "03_temperature.ipynb")
    run_all(page)
    assert untagged_errors(page) == []
    slider = page.locator(".jupyter-widgets .widget-slider, .jupyter-widgets .widget-hslider").first
    slider.scroll_into_view_if_needed()
    slider.wait_for(state="visible", timeout=30_000)
    view = slider.locator("xpath=ancestor::div[contains(@class,'widget-vbox')][1]")
    before = view.inner_text()
    page.screenshot(path=str(ARTIFACTS / "03_explorer_before.png"), full_page=False)
    handle = slider.locator(".noUi-handle").first
    handle.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("([el, old]) => el.innerText !== old", arg=[view.element_handle(), before], timeout=10_000)
    after = view.inner_text()
    page.screenshot(path=str(ARTIFACTS / "03_explorer_after.png"), full_page=False)
    assert after != before


def test_streaming_cell_grows_at_replay_speed_1(page: Page, lab: str) -> None:
    open_notebook(page, lab, "05_streaming.ipynb")
    code = [c for c in cells(page) if c["type"] == "code"]
    setup_cell = code[0]["i"]
    stream_cell = next(c["i"] for c in code if "text_stream" in c["source"])
    run = "(i) => { const p = window.jupyterapp.shell.currentWidget; p.content.activeCellIndex = i;" \
          " const done = window.jupyterapp.commands.execute('notebook:run-cell'); return i === %d ? done : null; }"
    page.evaluate(run % setup_cell, setup_cell)  # resolves when the setup cell has run
    page.evaluate(run % setup_cell, stream_cell)  # returns at once: we watch the stream arrive
    lengths = []
    deadline = time.monotonic() + 60
    output = "(i) => window.jupyterapp.shell.currentWidget.content.widgets[i].node.querySelector('.jp-OutputArea')"
    while time.monotonic() < deadline:
        text = page.evaluate(f"(i) => {{ const o = ({output})(i); return o ? o.innerText : ''; }}", stream_cell)
        if not lengths or len(text) != lengths[-1]:
            lengths.append(len(text))
            if len(lengths) == 3:
                page.screenshot(path=str(ARTIFACTS / "05_streaming_midway.png"))
        done = page.evaluate("(i) => window.jupyterapp.shell.currentWidget.content.widgets[i].model.executionCount",
                             stream_cell)
        if done is not None:
            break
        time.sleep(0.1)
    page.screenshot(path=str(ARTIFACTS / "05_streaming_done.png"))
    growing = [n for n in lengths if n > 0]
    assert len(set(growing)) >= 3, f"text lengths seen while streaming: {lengths}"
    assert growing == sorted(growing), "streamed text only grows"
    assert untagged_errors(page) == []

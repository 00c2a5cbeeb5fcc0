"""The course in a real browser: JupyterLab on loopback, driven by headless Chromium through Playwright.

Notebook 03: run all cells, find the temperature explorer rendered as a working slider, move it and see
the samples change; each tagged error cell shows its error in a few lines, not a screen of SDK internals;
the text of the cards (a tool_use block and a chat transcript included) has a contrast of at least 4.5:1
against its background in the light and the dark theme; "Contents" opens notebook 00's contents.
Notebook 02: after Run All the chat widget is empty, a Recorded button replays its exchange, Enter sends,
the newest entry is in view, and an unrecorded message gets one plain line. Notebook 05: run the primer's
streaming cell at replay speed 4 and see its text grow. Notebook 03 opens trusted and with no cell
changed, with its banner boxed, the explorer's static view and no news pop-up. No error output outside
cells tagged raises-exception. Every notebook: its code cells run in one kernel and each exercise's own
solution reaches ✅; opened in the light and the dark theme, no Markdown cell renders math where no formula
was meant, and no figure is an opaque block on the dark theme. Screenshots go to artifacts/browser/
(git-ignored).
Skipped, loudly, when Chromium or Playwright is missing; `make test` installs both where it can.
"""

from __future__ import annotations

import importlib.util
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

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("course_lab", ROOT / "tools" / "lab.py")
course_lab = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(course_lab)  # `make lab`'s own options and trust(), so the test sees what learners see

if sync_playwright is not None:
    from playwright.sync_api import Page

pytestmark = NEEDS_CHROMIUM


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[str]:
    """JupyterLab on 127.0.0.1 with a random token, replay mode at speed 4; always shut down."""
    home = tmp_path_factory.mktemp("jupyter")
    served = home / "notebooks"  # copies: nothing the browser does (autosave included) can touch the repo
    served.mkdir()
    for nb in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"):
        shutil.copy(nb, served / nb.name)
    shutil.copytree(ROOT / "notebooks" / "data", served / "data")  # what notebooks read beside them
    course_lab.trust(sorted(served.glob("*.ipynb")), data_dir=str(home / "data"))
    port, token = free_port(), secrets.token_hex(16)
    # Speed 4: 05's stream takes about 3 s instead of 12, still slow enough to watch it grow.
    env = dict(os.environ, PRIMER_MODE="replay", PRIMER_REPLAY_SPEED="4", JUPYTER_CONFIG_DIR=str(home / "config"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), JUPYTER_DATA_DIR=str(home / "data"))
    env.pop("PRIMER_GATEWAY_URL", None)
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={served}",
           "--LabApp.expose_app_in_browser=True", "--ServerApp.port_retries=0", *course_lab.LAB_ARGS]
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


def open_notebook(page: Page, lab: str, name: str, *, clear: bool = True) -> None:
    page.goto(lab.format(name=name))
    page.wait_for_function("(name) => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                           " && window.jupyterapp.shell.currentWidget.context"
                           " && window.jupyterapp.shell.currentWidget.context.path.endsWith(name)"
                           " && window.jupyterapp.shell.currentWidget.sessionContext"
                           " && window.jupyterapp.shell.currentWidget.sessionContext.session"
                           " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
                           " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'",
                           arg=name, timeout=60_000)
    if not clear:
        return
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


ERROR_HEIGHTS = """async (i) => {
  const p = window.jupyterapp.shell.currentWidget, cell = p.content.widgets[i];
  await p.content.scrollToCell(cell, 'center');
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  return [...cell.node.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
    .map(o => ({px: Math.round(o.getBoundingClientRect().height), one_line: o.innerText.includes('%tb')}));
}"""

# WCAG contrast of every visible text node of a cell's outputs against the colour behind it (backgrounds
# and the text's own alpha blended down to the first opaque ancestor), computed from getComputedStyle.
CONTRAST = """async (i) => {
  const p = window.jupyterapp.shell.currentWidget, cell = p.content.widgets[i];
  await p.content.scrollToCell(cell, 'center');
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const rgba = s => { const m = s.match(/rgba?\\(([^)]*)\\)/); if (!m) return null;
    const v = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return [v[0], v[1], v[2], v.length > 3 ? v[3] : 1]; };
  const over = (top, under) => top.slice(0, 3).map((c, k) => c * top[3] + under[k] * (1 - top[3])).concat([1]);
  const behind = el => { const layers = [];
    for (let e = el; e; e = e.parentElement) { const c = rgba(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; } }
    return layers.reverse().reduce((under, top) => over(top, under), [255, 255, 255, 1]); };
  const lum = c => { const f = x => { x /= 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const found = [];
  for (const area of cell.node.querySelectorAll('.jp-OutputArea-output')) {
    const walk = document.createTreeWalker(area, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      const el = n.parentElement, text = n.textContent.trim();
      if (!text || !el.getClientRects().length) continue;  // blank, or hidden (a closed <details>)
      const bg = behind(el), fg = over(rgba(getComputedStyle(el).color), bg);
      const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
      found.push({text: text.slice(0, 40), ratio: Math.round((a + 0.05) / (b + 0.05) * 100) / 100,
                  color: getComputedStyle(el).color, background: 'rgb(' + bg.slice(0, 3).map(Math.round) + ')'});
    }
  }
  return found;
}"""

# A card with every kind of block the issue names (Markdown text, tool_use, thinking) and a chat transcript
# with an answer and an error, drawn by the course's helpers in the running kernel.
CARDS_CELL = """from IPython.display import HTML, display
from helpers import OPUS, conversations
from helpers.display import card
display(card({"model": OPUS, "stop_reason": "tool_use", "usage": {"input_tokens": 10, "output_tokens": 5},
              "content": [{"type": "text", "text": "**Bold** and a list:\\n\\n- one\\n- two"},
                          {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Paris"}},
                          {"type": "thinking", "thinking": "A thought."}]}))
display(HTML(conversations.transcript_html([
    conversations.TranscriptEntry("Hi", reply="**Hello**", cost="1 in + 1 out tokens · $0.000030"),
    conversations.TranscriptEntry("Something else", error=conversations.NOT_RECORDED)])))"""

ADD_CELL = """async (code) => {
  const app = window.jupyterapp, p = app.shell.currentWidget;
  p.content.activeCellIndex = p.content.widgets.length - 1;
  await app.commands.execute('notebook:insert-cell-below');
  p.content.activeCell.model.sharedModel.setSource(code);
  await app.commands.execute('notebook:run-cell');
  return p.content.activeCellIndex;
}"""


def low_contrast(page: Page, card_cells: list[int]) -> tuple[list[dict], int]:
    seen = [dict(t, cell=i) for i in card_cells for t in page.evaluate(CONTRAST, i)]
    return [t for t in seen if t["ratio"] < 4.5], len(seen)


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
    # Text in the widget reads at its own line height, not double-spaced at the 28 px of a control.
    rows = view.locator("li").evaluate_all("els => els.map(e => Math.round(e.getBoundingClientRect().height))")
    assert len(rows) == 8 and max(rows) < 24, f"sample rows (px): {rows}"

    # Errors: an API error is one line and a hint (setup's handler), as git stores it, not a screen of SDK
    # internals; other errors (the SDK's TypeError for a removed argument) keep IPython's short traceback.
    tagged = [c["i"] for c in cells(page) if "raises-exception" in c["tags"]]
    heights = {i: page.evaluate(ERROR_HEIGHTS, i) for i in tagged}
    assert tagged and all(heights.values()), f"tagged cells without an error output: {heights}"
    assert sum(o["one_line"] for os_ in heights.values() for o in os_) >= 2, f"one-line API errors: {heights}"
    assert all(o["px"] < (80 if o["one_line"] else 300) for os_ in heights.values() for o in os_), \
        f"error output heights (px) by cell: {heights}"

    # Cards in both themes: the notebook's own HTML outputs (self-check verdicts included), and one of every
    # kind of block.
    html_cells = [c["i"] for c in cells(page) if c["type"] == "code"
                  and page.evaluate("(i) => window.jupyterapp.shell.currentWidget.content.widgets[i].model.outputs"
                                    ".toJSON().some(o => o.data && o.data['text/html'])", c["i"])]
    added = page.evaluate(ADD_CELL, CARDS_CELL)
    card_cells = [*html_cells, added]
    for theme, shot in (("JupyterLab Light", "03_cards_light.png"), ("JupyterLab Dark", "03_cards_dark.png")):
        set_theme(page, theme)
        bad, seen = low_contrast(page, card_cells)
        page.evaluate("(i) => window.jupyterapp.shell.currentWidget.content.scrollToCell("
                      "window.jupyterapp.shell.currentWidget.content.widgets[i], 'center')", added)
        page.wait_for_timeout(200)
        page.screenshot(path=str(ARTIFACTS / shot))
        assert seen > 20 and bad == [], f"{theme}: text under 4.5:1 of {seen} checked: {bad[:10]}"
    set_theme(page, "JupyterLab Light")
    assert untagged_errors(page) == []

    # "Contents" in the navigation cell opens notebook 00 at its contents.
    nav = next(c["i"] for c in cells(page) if c["type"] == "markdown" and "<!-- nav -->" in c["source"])
    link = page.evaluate_handle("""async (i) => {
        const p = window.jupyterapp.shell.currentWidget, c = p.content.widgets[i];
        await p.content.scrollToCell(c, 'center'); c.rendered = true;
        for (let n = 0; n < 50; n++) {
          const a = [...c.node.querySelectorAll('a')].find(a => a.textContent.trim() === 'Contents');
          if (a) return a;
          await new Promise(r => setTimeout(r, 100));
        }
        throw new Error('no Contents link in: ' + c.node.innerHTML.slice(0, 1000)); }""", nav)
    link.as_element().click()
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.context"
                           " && window.jupyterapp.shell.currentWidget.context.path.endsWith('00_start_here.ipynb')",
                           timeout=30_000)
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.content.widgets.some(c => c.model.type"
                           " === 'markdown' && c.model.sharedModel.getSource().includes('\\n## Contents'))",
                           timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "00_contents_from_03.png"))


OPENED = """async () => {
  const app = window.jupyterapp, p = app.shell.currentWidget;
  const plugin = await app.serviceManager.settings.fetch('@jupyterlab/apputils-extension:notification');
  const cells = p.content.widgets.map((c, i) => ({i, c})).filter(({c}) => c.model.type === 'code');
  const canon = v => JSON.stringify(v, (k, x) => x && typeof x === 'object' && !Array.isArray(x)
    ? Object.fromEntries(Object.keys(x).sort().map(key => [key, x[key]])) : x);
  const disk = (await app.serviceManager.contents.get(p.context.path, {content: true})).content, now = p.model.toJSON();
  return {
    changed_cells: now.cells.map((c, i) => i).filter(i => canon(now.cells[i]) !== canon(disk.cells[i])),
    changed_metadata: Object.keys({...now.metadata, ...disk.metadata})
      .filter(k => canon(now.metadata[k]) !== canon(disk.metadata[k])),
    untrusted: cells.filter(({c}) => c.model.outputs.length && !c.model.trusted).map(({i}) => i),
    fetch_news: plugin.schema.properties.fetchNews.default,
    toasts: [...document.querySelectorAll('.Toastify__toast')].map(t => t.innerText),
    banner: [...cells[0].c.node.querySelectorAll('.jp-OutputArea-output div')]
      .filter(d => getComputedStyle(d).borderLeftWidth === '4px').map(d => d.innerText),
  };
}"""


def test_a_notebook_opens_trusted_and_unchanged_with_a_boxed_banner_and_no_news_pop_up(page: Page, lab: str) -> None:
    open_notebook(page, lab, "03_temperature.ipynb", clear=False)
    # The kernel's info (language_info) reaches the notebook's metadata after it starts; then it is settled.
    page.wait_for_function("() => (window.jupyterapp.shell.currentWidget.model.getMetadata('language_info')"
                           " || {}).version !== undefined", timeout=20_000)
    page.wait_for_timeout(500)
    state = page.evaluate(OPENED)
    page.screenshot(path=str(ARTIFACTS / "03_opened.png"))
    assert state["untrusted"] == [], f"code cells whose stored outputs open untrusted: {state['untrusted']}"
    # Opening changes no cell. JupyterLab writes the kernel's language_info (with its Python version) into the
    # metadata, which marks the notebook modified; git keeps only the language name, so that outputs stay
    # the same on every machine. The kernelspec is stored as ipykernel's own, so it is left alone.
    assert state["changed_cells"] == [], f"cells changed by opening the notebook: {state['changed_cells']}"
    assert state["changed_metadata"] in ([], ["language_info"]), state["changed_metadata"]
    assert state["fetch_news"] == "false" and not [t for t in state["toasts"] if "news" in t.lower()], state
    assert len(state["banner"]) == 1 and state["banner"][0].startswith("replay mode"), state["banner"]
    assert "models: OPUS = " in state["banner"][0]
    # Before the kernel has run it, the explorer shows its static view, not a dead or missing widget.
    shown = page.evaluate("""async () => {
        const p = window.jupyterapp.shell.currentWidget;
        const cell = p.content.widgets.find(c => c.model.sharedModel.getSource().includes('explorer(samples'));
        await p.content.scrollToCell(cell, 'center');
        for (let n = 0; n < 50; n++) {
          const out = cell.node.querySelector('.jp-OutputArea');
          if (out && out.innerText.trim()) return out.innerText;
          await new Promise(r => setTimeout(r, 100));
        }
        return ''; }""")
    page.screenshot(path=str(ARTIFACTS / "03_explorer_static.png"))
    assert "Temperature explorer (a snapshot" in shown, shown[:300]


def test_chat_widget_replays_a_recorded_button_after_run_all(page: Page, lab: str) -> None:
    open_notebook(page, lab, "02_system_prompts.ipynb")
    run_all(page)
    assert untagged_errors(page) == []
    chat = page.locator(".jupyter-widgets.widget-vbox", has=page.locator("button", has_text="What are you good at?"))
    chat.scroll_into_view_if_needed()
    transcript = chat.locator(".widget-html").first
    assert "No messages yet" in transcript.inner_text()  # Run All leaves it empty
    chat.locator("button", has_text="Please introduce yourself.").click()
    transcript.get_by_text("I'm Claude, an AI assistant").first.wait_for(timeout=10_000)
    chat.locator("button", has_text="What are you good at?").click()
    transcript.get_by_text("Some of my strengths").first.wait_for(timeout=10_000)
    box = chat.locator("input[type=text]")
    box.fill("Can you recommend a good book?")
    box.press("Enter")
    miss = transcript.get_by_text("is not in the recording")
    miss.wait_for(timeout=10_000)
    assert box.input_value() == ""
    text = transcript.inner_text()
    assert text.count("You:") == 3 and "Closest" not in text and "PRIMER_MODE=live" in text
    assert miss.bounding_box()["height"] < 60, "the miss is explained in a line or two"
    # The newest entry is in view inside the scrolling transcript.
    scroller, last = transcript.locator("div").first.bounding_box(), miss.bounding_box()
    assert scroller["y"] - 1 <= last["y"] and last["y"] + last["height"] <= scroller["y"] + scroller["height"] + 1
    page.screenshot(path=str(ARTIFACTS / "02_chat_widget.png"))


def test_streaming_cell_grows_while_it_streams(page: Page, lab: str) -> None:
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


START_KERNEL = """async () => {
  const kernel = await window.jupyterapp.serviceManager.kernels.startNew({name: 'python3'});
  await kernel.info;
  window.__primerKernel = kernel;
  return kernel.id;
}"""


def test_every_notebook_runs_and_every_solution_reaches_a_tick_in_jupyterlab(page: Page, lab: str) -> None:
    """All code cells of the 11 notebooks in one kernel of this JupyterLab (replay speed 0), then each exercise's
    own solution with its check: every one reaches ✅, and no untagged cell ends in an error."""
    open_notebook(page, lab, "00_start_here.ipynb", clear=False)
    page.evaluate(START_KERNEL)
    page.evaluate(RUN_CODE, ["import os\nos.environ['PRIMER_REPLAY_SPEED'] = '0'"])  # no paced streams here
    problems, failed, solved = [], [], 0
    try:
        for nb in NOTEBOOKS:
            for i, c in enumerate(page.evaluate(RUN_NOTEBOOK, nb.name)):
                errors = [f"{o['ename']}: {o['evalue'][:200]}" for o in c["outputs"] if o["output_type"] == "error"]
                if (errors or c["status"] != "ok") and "raises-exception" not in c["tags"]:
                    problems.append(f"{nb.stem} code cell {i}: {errors or c['status']} in {c['source'][:80]!r}")
            for cell, solution, check in exercises(nb):
                solved += 1
                outs = [o for c in page.evaluate(RUN_CODE, [solution, check]) for o in c["outputs"]]
                if not passed(outs):
                    failed.append(f"{nb.stem} exercise in code cell {cell}: {check} gave "
                                  f"{[o.get('text') or o.get('evalue') for o in outs]!r:.400}")
    finally:
        page.evaluate("() => window.__primerKernel.shutdown()")
    assert problems == [], "cells that failed in JupyterLab:\n" + "\n".join(problems)
    assert solved >= 20 and failed == [], "solutions short of ✅ in JupyterLab:\n" + "\n".join(failed)


def test_every_notebook_opens_in_both_themes_with_no_math_in_its_markdown(page: Page, lab: str) -> None:
    """Each notebook opened as `make lab` opens it, in the light and the dark theme (screenshots in
    artifacts/browser/): no Markdown cell renders math unless it means a formula (a price read as LaTeX turned a
    paragraph of 00 into one italic line), a closed Solution block has space below it, and a figure is not a
    white block on the dark theme."""
    open_notebook(page, lab, "00_start_here.ipynb", clear=False)
    page.evaluate(CLOSE_NOTEBOOK)
    math, blocks, tight = [], [], []
    for n, nb in enumerate(NOTEBOOKS):
        page.evaluate(OPEN_NOTEBOOK, nb.name)
        cells = page.evaluate(MATH_IN_MARKDOWN)
        math += [f"{nb.stem} cell {c['i']}: {c['math']} math elements in {c['text']!r}"
                 for c in cells if c["math"] and not intended_math(c["source"])]
        tight += [f"{nb.stem} cell {c['i']}: {c['gaps']} px" for c in cells if any(g < 8 for g in c["gaps"])]
        for theme in THEMES[:: 1 if n % 2 == 0 else -1]:  # the theme the last one ended in, then the other
            set_theme(page, theme)
            page.evaluate(SHOW_CELL, ["price", "exercise"] if theme == THEMES[0] else ["figure", "exercise"])
            if theme == THEMES[1]:  # the first stored figure, drawn: its corner lets the dark page through
                blocks += [f"{nb.stem}: {b}" for b in page.evaluate(FIGURE_CORNER) if b]
            page.screenshot(path=str(ARTIFACTS / f"lab_{nb.stem}_{theme.split()[-1].lower()}.png"))
        page.evaluate(CLOSE_NOTEBOOK)
    set_theme(page, THEMES[0])  # as a learner starts
    assert math == [], "Markdown rendered as math where no formula was meant:\n" + "\n".join(math)
    assert blocks == [], f"figures drawn as opaque blocks on the dark theme: {blocks}"
    assert tight == [], f"no space between a Solution block and what follows: {tight}"


# For the open notebook's first stored figure (matplotlib's, not a picture the notebook shows, such as 11's
# photo): scrolled into view and drawn on a canvas, whether its top-left pixel is opaque, and whether
# JupyterLab paints a background behind it (needs_background): either is a white block on a dark page.
# [] when the notebook stores no figure.
FIGURE_CORNER = """async () => {
  const p = window.jupyterapp.shell.currentWidget;
  const cell = p.content.widgets.find(c => c.model.type === 'code'
    && c.model.outputs.toJSON().some(o => o.data && o.data['image/png']
      && [].concat(o.data['text/plain'] || []).join('').startsWith('<Figure')));
  if (!cell) return [];
  await p.content.scrollToCell(cell, 'center');
  for (let n = 0; n < 50; n++) {
    const img = cell.node.querySelector('.jp-OutputArea-output img');
    if (img && img.complete && img.naturalWidth) {
      const canvas = document.createElement('canvas');
      canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
      const g = canvas.getContext('2d'); g.drawImage(img, 0, 0);
      const alpha = g.getImageData(1, 1, 1, 1).data[3], behind = getComputedStyle(img).backgroundColor;
      return [alpha > 0 ? 'opaque corner (alpha ' + alpha + ')' : '',
              behind === 'rgba(0, 0, 0, 0)' ? '' : 'painted on ' + behind + ' (' + img.className + ')'];
    }
    await new Promise(r => setTimeout(r, 100));
  }
  return ['no figure drawn'];
}"""

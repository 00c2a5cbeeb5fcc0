"""What the JupyterLab and browser-edition tests both check in every notebook, in one place: the exercises with
their own solutions, Markdown cells that render math where none was meant, and the JavaScript that runs a
notebook's code cells in one kernel and opens a notebook for a look in each theme."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

__all__ = ["NOTEBOOKS", "CLOSE_NOTEBOOK", "SHOW_CELL", "exercises", "intended_math", "passed", "RUN_NOTEBOOK",
           "RUN_CODE", "MATH_IN_MARKDOWN", "OPEN_NOTEBOOK", "THEMES", "set_theme"]

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
THEMES = ("JupyterLab Light", "JupyterLab Dark")

_SOLUTION = re.compile(r"<summary>Solution</summary>.*?```python\n(.*?)```.*?</details>", re.S)
_CHECK_CALL = re.compile(r"^check\.check_\w+\(.*\)$", re.M)


def exercises(nb: Path) -> list[tuple[int, str, str]]:
    """(code cell index, solution code, the check call) for each exercise of `nb`: the code cell just before a
    Markdown cell with a "Solution" block, whose last `check.check_...(...)` line is the check."""
    cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    code_index = {i: n for n, i in enumerate(i for i, c in enumerate(cells) if c["cell_type"] == "code")}
    found = []
    for i, cell in enumerate(cells):
        m = _SOLUTION.search("".join(cell["source"])) if cell["cell_type"] == "markdown" else None
        if m and i and cells[i - 1]["cell_type"] == "code":
            calls = _CHECK_CALL.findall("".join(cells[i - 1]["source"]))
            assert calls, f"{nb.name} cell {i - 1}: an exercise without a check.check_...(...) line"
            found.append((code_index[i - 1], m.group(1), calls[-1]))
    return found


_CODE = re.compile(r"```.*?```|`[^`\n]*`", re.S)
_FORMULA = re.compile(r"\$\$|\\\(|\\\[|(?<!\\)\$[A-Za-z\\{]")


def intended_math(markdown: str) -> bool:
    """Whether a Markdown cell means a formula (`$$`, `\\(`, `\\[` or `$x`, outside code). The course has none
    now: a price such as $2 is escaped (tools/normalize.py), so any math rendered in a cell is a defect."""
    return bool(_FORMULA.search(_CODE.sub("", markdown)))


def passed(outputs: list[dict[str, Any]]) -> bool:
    """Whether a check's outputs (as RUN_NOTEBOOK reports them) show the ✅ verdict."""
    return any(o["output_type"] in ("execute_result", "display_data") and o["text"].startswith("✅")
               for o in outputs)


# Runs every code cell of one notebook in window.__primerKernel (stop_on_error off) and returns what each
# sent: streams, display data and results (text/plain and which mime types), errors, the reply's status.
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

# The same for a list of code strings (an exercise's solution and its check).
RUN_CODE = RUN_NOTEBOOK.replace("async (name) => {", "async (sources) => {").replace(
    "const nb = (await app.serviceManager.contents.get(name, {content: true})).content;",
    "const nb = {cells: sources.map(s => ({cell_type: 'code', source: s, outputs: []}))};")

# Opens a notebook in the page (no kernel is needed to read it) and waits until its cells are drawn.
OPEN_NOTEBOOK = """async (name) => {
  const app = window.jupyterapp;
  await app.commands.execute('docmanager:open', {path: name, factory: 'Notebook'});
  for (let n = 0; n < 200; n++) {
    const p = app.shell.currentWidget;
    if (p && p.context && p.context.path.endsWith(name) && p.content && p.content.widgets.length
        && p.context.isReady) return p.content.widgets.length;
    await new Promise(r => setTimeout(r, 50));
  }
  throw new Error('notebook did not open: ' + name);
}"""

# Closes the open notebook and shuts its kernel down, with no dialog (it is unchanged).
CLOSE_NOTEBOOK = """async () => {
  const p = window.jupyterapp.shell.currentWidget;
  if (p && p.sessionContext) await p.sessionContext.shutdown().catch(() => null);
  if (p) p.dispose();
}"""

# Scrolls the open notebook to the first cell of each kind asked for that it has ("price": Markdown with an
# escaped $, "figure": a stored PNG, "exercise": a check), for a screenshot that shows what the tests judge.
SHOW_CELL = """async (kinds) => {
  const p = window.jupyterapp.shell.currentWidget, cells = p.content.widgets;
  const is = {
    price: c => c.model.type === 'markdown' && c.model.sharedModel.getSource().includes('\\\\$'),
    figure: c => c.model.type === 'code' && c.model.outputs.toJSON().some(o => o.data && o.data['image/png']
      && [].concat(o.data['text/plain'] || []).join('').startsWith('<Figure')),
    exercise: c => c.model.type === 'code' && c.model.sharedModel.getSource().includes('check.check_'),
  };
  for (const kind of kinds) {
    const cell = cells.find(is[kind]);
    if (cell) { await p.content.scrollToCell(cell, 'center'); await new Promise(r => setTimeout(r, 300));
                return kind; }
  }
  return '';
}"""

# Every Markdown cell of the open notebook drawn in turn (a notebook draws only what is near the view), then
# for each the number of math elements MathJax made in it (mjx-container), the space below each closed
# <details> (px), and its source.
MATH_IN_MARKDOWN = """async () => {
  const p = window.jupyterapp.shell.currentWidget, frame = () => new Promise(r => requestAnimationFrame(r));
  const md = p.content.widgets.map((c, i) => [i, c]).filter(([i, c]) => c.model.type === 'markdown');
  const gaps = {};  // px between a closed Solution block (<details>) and what follows it, measured in view
  for (const [i, c] of md) {
    await p.content.scrollToCell(c, 'start'); c.rendered = true; await frame();
    gaps[i] = [...c.node.querySelectorAll('details')].filter(d => d.nextElementSibling && d.querySelector('summary')
      && d.querySelector('summary').innerText.trim() === 'Solution').map(d =>
      Math.round(d.nextElementSibling.getBoundingClientRect().top - d.getBoundingClientRect().bottom));
  }
  await new Promise(r => setTimeout(r, 500));  // MathJax typesets after the Markdown is drawn
  for (const [i, c] of md) { if (!c.node.isConnected) { await p.content.scrollToCell(c, 'start'); await frame(); } }
  await new Promise(r => setTimeout(r, 200));
  await p.content.scrollToCell(p.content.widgets[0], 'start');
  return md.map(([i, c]) => ({i, math: c.node.querySelectorAll('mjx-container, .MathJax').length, gaps: gaps[i],
                              text: c.node.innerText.slice(0, 160), source: c.model.sharedModel.getSource()}));
}"""


def set_theme(page: Any, theme: str) -> None:
    """Switch the page to `theme` and wait until its stylesheet applies."""
    page.evaluate("(theme) => window.jupyterapp.commands.execute('apputils:change-theme', {theme})", theme)
    light = "false" if "Dark" in theme else "true"
    page.wait_for_function(f"""(theme) => document.body.dataset.jpThemeName === theme
        && document.body.dataset.jpThemeLight === '{light}'
        && getComputedStyle(document.body).getPropertyValue('--jp-layout-color0').trim() !== ''""",
                           arg=theme, timeout=20_000)
    page.wait_for_timeout(300)  # the theme's stylesheet applied to every output

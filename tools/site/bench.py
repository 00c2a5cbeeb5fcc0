"""The browser edition's benchmark: the size of site/ and, in headless Chromium on loopback, the time from
opening notebook 00 to an idle kernel and to its first executed cell. Printed, never asserted.

    .venv/bin/python tools/site/bench.py [--site site] [--runs 3] [--stock]

With --stock it also builds two stock JupyterLite sites with the same tools and the same Pyodide
(`build_stock`: the kernel's own packages and one cell, `print(1)`; then the same plus the SDK, with the cell
`import anthropic` and `print(1)`, since the first output is what is timed) and times the three in turn in the
same Chromium, run by run, printing `ratio site first cell / stock JupyterLite first cell` and `ratio stock
import anthropic / stock first cell` (medians of the runs' ratios).

`bench(site, runs)` returns the figures, for tools/bench.py to call.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

__all__ = ["bench", "site_size"]

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
IDLE = """() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle'; }"""
FIRST_OUTPUT = """() => window.jupyterapp.shell.currentWidget.content.widgets
  .some(c => c.model.type === 'code' && c.model.outputs.length > 0)"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def site_size(site: Path) -> int:
    """Bytes in the site's files."""
    return sum(p.stat().st_size for p in site.rglob("*") if p.is_file())


def _one_run(browser: Any, origin: str, notebook: str = "00_start_here.ipynb") -> tuple[float, float]:
    ctx = browser.new_context(service_workers="block")  # a fresh context: nothing cached from the last run
    page = ctx.new_page()
    t0 = time.monotonic()
    page.goto(f"{origin}/lab/index.html?path={notebook}")
    page.wait_for_function(IDLE, timeout=120_000, polling=50)
    idle = time.monotonic() - t0
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(FIRST_OUTPUT, timeout=120_000, polling=50)
    first = time.monotonic() - t0
    ctx.close()
    return idle, first


def bench(site: Path = ROOT / "site", runs: int = 3) -> dict[str, float]:
    """Size of `site` and medians over `runs` fresh page loads: kernel idle, first executed cell (seconds)."""
    from playwright.sync_api import sync_playwright

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless=new", "--no-sandbox"])
            try:
                results = [_one_run(browser, origin) for _ in range(runs)]
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return {
        "size_mb": site_size(site) / 1e6,
        "kernel_idle_s": statistics.median(r[0] for r in results),
        "first_cell_s": statistics.median(r[1] for r in results),
    }


def _site_build() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("site_build", ROOT / "tools" / "site" / "build.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]  # tools/site is not a package
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


STOCK = "stock.ipynb"


def build_stock(out: Path, jupyter: Path, cell: str, extra: tuple[str, ...] = ()) -> Path:
    """A stock JupyterLite site in `out`: the same JupyterLite tools and Pyodide as `make site`, the kernel's own
    packages (plus `extra` and what they need, at the locked versions) loaded at start, one notebook of `cell`."""
    import json
    import shutil
    import subprocess
    import tempfile

    build = _site_build()
    work = Path(tempfile.mkdtemp(prefix="stock-site-"))
    try:
        lite = work / "lite"
        pyodide_dir = build.pyodide_core(lite / "static" / "pyodide")
        ext = jupyter.parent.parent / "share/jupyter/labextensions/@jupyterlite/pyodide-kernel-extension"
        kernel_pypi = [w for w in sorted((ext / "static" / "pypi").glob("*.whl"))
                       if not w.name.startswith("widgetsnbextension-3.")]
        provided = {build.parse_wheel_filename(w.name)[0] for w in kernel_pypi} | build.DROPPED
        roots = (*build.KERNEL_ROOTS, *extra)
        wheels = build.index_wheels(build.CACHE / "wheels", provided, roots=roots)  # the kernel's own: provided
        packages = build.write_lock(pyodide_dir / "pyodide-lock.json", [*kernel_pypi, *wheels], pyodide_dir, roots)
        config = build.lite_config(packages)
        config["jupyter-config-data"]["appName"] = "stock JupyterLite"
        (lite / "jupyter-lite.json").write_text(json.dumps(config, indent=2) + "\n")
        content = work / "content"
        content.mkdir()
        nb = {"cells": [{"cell_type": "code", "execution_count": None, "id": "only", "metadata": {}, "outputs": [],
                         "source": cell}], "metadata": {"kernelspec": {"name": "python", "display_name": "Python"}},
              "nbformat": 4, "nbformat_minor": 5}
        (content / STOCK).write_text(json.dumps(nb))
        subprocess.run([str(jupyter), "lite", "build", "--lite-dir", str(lite), "--contents", str(content),
                        "--output-dir", str(work / "site"), "--apps", "lab", "--no-sourcemaps",
                        "--no-unused-shared-packages"], cwd=work, check=True, capture_output=True)
        build.check_site(work / "site", packages)
        if out.exists():
            shutil.rmtree(out)
        shutil.move(str(work / "site"), str(out))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


def _serve(site: Path) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def compare(site: Path, runs: int, jupyter: Path = ROOT / ".venv" / "site" / "bin" / "jupyter") -> dict[str, float]:
    """The course's first cell against the two stock sites', run by run in one Chromium: medians of ratios."""
    from playwright.sync_api import sync_playwright

    folder = ROOT / ".primer" / "bench"
    stock = build_stock(folder / "stock-print", jupyter, "print(1)")
    floor = build_stock(folder / "stock-anthropic", jupyter, "import anthropic\nprint(1)", extra=("anthropic",))
    servers = [_serve(site), _serve(stock), _serve(floor)]
    firsts: list[tuple[float, float, float]] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless=new", "--no-sandbox"])
            try:
                _one_run(browser, servers[1][1], STOCK)  # a warm-up: Chromium's own start-up caches
                for _ in range(runs):
                    course = _one_run(browser, servers[0][1])[1]
                    plain = _one_run(browser, servers[1][1], STOCK)[1]
                    sdk = _one_run(browser, servers[2][1], STOCK)[1]
                    firsts.append((course, plain, sdk))
            finally:
                browser.close()
    finally:
        for server, _ in servers:
            server.shutdown()
            server.server_close()
    return {
        "course_s": statistics.median(f[0] for f in firsts),
        "stock_s": statistics.median(f[1] for f in firsts),
        "stock_anthropic_s": statistics.median(f[2] for f in firsts),
        "ratio_course_stock": statistics.median(f[0] / f[1] for f in firsts),
        "ratio_floor_stock": statistics.median(f[2] / f[1] for f in firsts),
        "ratio_course_floor": statistics.median(f[0] / f[2] for f in firsts),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--site", type=Path, default=ROOT / "site")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--stock", action="store_true", help="also time two stock JupyterLite sites beside it")
    args = ap.parse_args()
    if args.stock:
        c = compare(args.site, args.runs)
        print(f"first executed cell (median of {args.runs}): course {c['course_s']:.1f} s, stock `print(1)` "
              f"{c['stock_s']:.1f} s, stock `import anthropic` {c['stock_anthropic_s']:.1f} s")
        print(f"ratio site first cell / stock JupyterLite first cell: {c['ratio_course_stock']:.2f}")
        print(f"ratio stock import anthropic / stock first cell: {c['ratio_floor_stock']:.2f}")
        print(f"ratio site first cell / stock import anthropic first cell: {c['ratio_course_floor']:.2f}")
    r = bench(args.site, args.runs)
    print(f"site: {r['size_mb']:.1f} MB; notebook 00 in Chromium (median of {args.runs}): kernel idle "
          f"{r['kernel_idle_s']:.1f} s, first executed cell {r['first_cell_s']:.1f} s after navigation")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

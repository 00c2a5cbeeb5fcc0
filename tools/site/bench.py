"""The browser edition's benchmark: the size of site/ and, in headless Chromium on loopback, the time from
opening notebook 00 to an idle kernel and to its first executed cell. Printed, never asserted.

    .venv/bin/python tools/site/bench.py [--site site] [--runs 3]

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


def _one_run(browser: Any, origin: str) -> tuple[float, float]:
    ctx = browser.new_context(service_workers="block")  # a fresh context: nothing cached from the last run
    page = ctx.new_page()
    t0 = time.monotonic()
    page.goto(f"{origin}/lab/index.html?path=00_start_here.ipynb")
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--site", type=Path, default=ROOT / "site")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    r = bench(args.site, args.runs)
    print(f"site: {r['size_mb']:.1f} MB; notebook 00 in Chromium (median of {args.runs}): kernel idle "
          f"{r['kernel_idle_s']:.1f} s, first executed cell {r['first_cell_s']:.1f} s after navigation")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: nbval wall time over every notebook against a floor of trivial notebooks.

    python tools/bench.py [--repeat N] [--only nbval|learner]

The floor is as many one-cell notebooks as the course has, each only `import anthropic, helpers`: what
any notebook costs to start a kernel and import the SDK. Course and floor run alternately, N times each;
each figure is the median of the N rounds' ratios (a round's runs are back to back, so its ratio holds
while the machine's load drifts). Two figures, printed as two lines:

- `ratio same-harness`: course / floor, both under the project's harness (its flags, sanitize file, replay);
- `ratio vs stock floor`: course under the project's harness / floor under plain `pytest --nbval -n auto`
  as installed, from a folder outside the project (no conftest, no sanitize file).

Then what the course's cells cost by themselves (the sum of pytest's call times for each cell, kernel
starts excluded) and the lowest `ratio same-harness` that sum allows on this machine's workers.

Every run must report as many passed tests as the notebooks have code cells, or the benchmark stops: a
run that silently skipped notebooks would flatter the ratio. Prints figures only, never asserts a time.

Then a learner's path, outside the test harness (medians of --repeat): `make lab` from start until
JupyterLab serves /lab, alternating with a bare `python -m jupyterlab --notebook-dir=notebooks` (`ratio make
lab / bare jupyter lab`, the median of the pairs' ratios); a stock kernel from start until ready, plus
notebook 00's first cell; and
`helpers.setup()` inside a kernel. The browser edition's figures come from tools/site/bench.py when it
exists and site/ is built (`make site`); otherwise one line says why they are missing.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parent.parent
XDIST = ["-n", "auto", "--dist", "loadfile"]
PROJECT = ["-q", "-p", "no:cacheprovider", *XDIST, "--nbval", "--nbval-current-env"]
PROJECT += [f"--nbval-sanitize-with={ROOT / 'tests' / 'sanitize.cfg'}"]  # one argument: a split one is a path
STOCK = ["-q", "-p", "no:cacheprovider", *XDIST, "--nbval"]


def code_cells(paths: list[Path]) -> int:
    return sum(1 for p in paths for c in json.loads(p.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code")


def run(label: str, flags: list[str], paths: list[Path], cwd: Path, cells: list[float] | None = None) -> float:
    """One nbval run; exits unless pytest passed exactly one test per code cell. With `cells`, appends the
    summed time of the cells themselves (pytest's call time of each cell, kernel start excluded)."""
    env = dict(os.environ, PRIMER_MODE="replay", PRIMER_REPLAY_SPEED="0")
    env.pop("PRIMER_GATEWAY_URL", None)
    report = Path(tempfile.mkdtemp()) / "cells.xml"
    # Each cell's call time in milliseconds (--durations rounds to 10 ms, as much as a small cell takes).
    extra = [f"--junitxml={report}", "-o", "junit_duration_report=call"] if cells is not None else []
    cmd = [sys.executable, "-m", "pytest", f"--rootdir={cwd}", *flags, *extra, *map(str, paths)]
    start = time.perf_counter()
    out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    passed = re.search(r"(\d+) passed", out.stdout)
    want = code_cells(paths)
    if out.returncode != 0 or not passed or int(passed.group(1)) != want:
        got = passed.group(1) if passed else "none"
        raise SystemExit(f"bench: {label}: {got} passed, expected {want} (one per code cell)\n{out.stdout[-1500:]}")
    if cells is not None:
        found = [float(case.get("time", "nan")) for case in ElementTree.parse(report).iter("testcase")]
        shutil.rmtree(report.parent)
        if len(found) != want:
            raise SystemExit(f"bench: {label}: {len(found)} cell times reported, expected {want}")
        cells.append(sum(found))
    return elapsed


def floor_notebooks(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    cell = {"cell_type": "code", "id": "c0", "metadata": {}, "execution_count": 1, "outputs": []}
    cell["source"] = "import anthropic\nimport helpers"
    nb = {
        "cells": [cell],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    paths = []
    for i in range(n):
        p = folder / f"floor_{i:02d}.ipynb"
        p.write_text(json.dumps(nb), encoding="utf-8")
        paths.append(p)
    return paths


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


BARE_LAB = [sys.executable, "-m", "jupyterlab", "--notebook-dir=notebooks"] + (
    ["--allow-root"] if getattr(os, "geteuid", lambda: 1)() == 0 else [])


def lab_ready(cmd: list[str] | None = None, timeout: float = 120) -> float:
    """Seconds from `make lab` (or `cmd`) until JupyterLab answers /lab with 200; then it is stopped."""
    cmd = cmd or ["make", "--no-print-directory", "lab"]
    token, port = secrets.token_hex(16), free_port()
    # The learner's command; the port and token by environment, BROWSER=true so no browser tab opens.
    env = dict(os.environ, JUPYTER_PORT=str(port), JUPYTER_TOKEN=token, BROWSER="true", JUPYTER_PORT_RETRIES="0")
    url = f"http://127.0.0.1:{port}/lab?token={token}"
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - start < timeout:
            if proc.poll() is not None:
                raise SystemExit(f"bench: {cmd[0]} exited with {proc.returncode}")
            try:
                with urllib.request.urlopen(url, timeout=5) as answer:
                    if answer.status == 200:
                        return time.perf_counter() - start
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.02)
        raise SystemExit(f"bench: {' '.join(cmd)} not ready after {timeout:.0f} s")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # our own session: make, tools/lab.py and the server
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def first_code_cell(path: Path) -> str:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "".join(next(c["source"] for c in cells if c["cell_type"] == "code"))


def run_cell(kc: object, code: str) -> float:
    """Seconds from sending code until the kernel is idle again."""
    start = time.perf_counter()
    msg_id = kc.execute(code)  # type: ignore[attr-defined]
    while True:
        msg = kc.get_iopub_msg(timeout=60)  # type: ignore[attr-defined]
        if msg["parent_header"].get("msg_id") == msg_id and msg["content"].get("execution_state") == "idle":
            return time.perf_counter() - start


SETUP_PROBE = (
    "import time as _t, anthropic, helpers as _h\n_s = _t.perf_counter(); _h.setup('00_start_here')\n"
    "print('SETUP', _t.perf_counter() - _s)"
)


def kernel_path() -> tuple[float, float, float]:
    """A stock kernel (as JupyterLab starts one): start to ready, notebook 00's first cell, and setup() alone
    (in a second kernel, after `import anthropic, helpers`, which the first cell's time includes)."""
    from jupyter_client.manager import start_new_kernel

    start = time.perf_counter()
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(ROOT / "notebooks"), stderr=subprocess.DEVNULL)
    ready = time.perf_counter() - start
    try:
        cell = run_cell(kc, first_code_cell(ROOT / "notebooks" / "00_start_here.ipynb"))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(ROOT / "notebooks"), stderr=subprocess.DEVNULL)
    try:
        msg_id = kc.execute(SETUP_PROBE)
        setup = None
        while setup is None:
            msg = kc.get_iopub_msg(timeout=60)
            text = msg["content"].get("text", "") if msg["parent_header"].get("msg_id") == msg_id else ""
            found = re.search(r"SETUP ([\d.e-]+)", text)
            setup = float(found.group(1)) if found else None
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return ready, cell, setup


def site_bench() -> None:
    """The browser edition's figures, from the script of whoever builds it, once it and the site exist."""
    script, site = ROOT / "tools" / "site" / "bench.py", ROOT / "site"
    if not site.is_dir():
        print("browser edition: not measured (site/ is not built: make site)")
    else:
        done = subprocess.run([sys.executable, str(script), "--stock"], cwd=ROOT, capture_output=True, text=True)
        print(done.stdout.strip() or f"browser edition: not measured ({done.stderr.strip().splitlines()[-1:]})")


def learner(repeat: int) -> None:
    lab_ready()  # a warm-up: the first start after an install compiles and caches what JupyterLab imports
    labs, bare = [], []
    for _ in range(repeat):  # alternating, so drift in the machine's load touches both alike
        labs.append(lab_ready())
        bare.append(lab_ready(BARE_LAB))
    ratio = statistics.median(a / b for a, b in zip(labs, bare, strict=True))
    paths = [kernel_path() for _ in range(repeat)]
    ready, cell, setup = (statistics.median(p[i] for p in paths) for i in range(3))
    print(f"learner: make lab start to ready: {statistics.median(labs):.2f} s ({', '.join(f'{t:.2f}' for t in labs)}); "
          f"bare jupyter lab {statistics.median(bare):.2f} s")
    print(f"ratio make lab / bare jupyter lab: {ratio:.2f}")
    print(f"learner: kernel ready {ready:.2f} s, plus notebook 00's first cell {cell:.2f} s")
    print(f"learner: helpers.setup() {setup * 1000:.0f} ms")
    site_bench()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/bench.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each, alternating (default 5)")
    parser.add_argument("--only", choices=["nbval", "learner"], help="one part only")
    parser.add_argument("--report", type=Path, help="also write the printed figures as Markdown")
    args = parser.parse_args(argv)
    printed = io.StringIO()
    with contextlib.redirect_stdout(_Tee(sys.stdout, printed)):
        if args.only != "learner":
            nbval_ratios(args.repeat)
        if args.only != "nbval":
            learner(args.repeat)
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(
            "# Performance\n\nWhat `python tools/bench.py " + " ".join(sys.argv[1:] if argv is None else argv)
            + "` printed on " + time.strftime("%Y-%m-%d") + f" ({os.cpu_count()} CPUs; "
            "figures are printed, never asserted; each ratio is measured side by side, alternating):\n\n```\n"
            + printed.getvalue() + "```\n", encoding="utf-8")
    return 0


class _Tee(io.TextIOBase):
    """Writes to two streams: the terminal and the report."""

    def __init__(self, *streams: io.TextIOBase) -> None:
        self.streams = streams

    def write(self, text: str) -> int:
        for stream in self.streams:
            stream.write(text)
            stream.flush()
        return len(text)


def nbval_ratios(repeat: int) -> None:
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    times: dict[str, list[float]] = {"course": [], "floor": [], "stock": []}
    cell_sums: list[float] = []
    with tempfile.TemporaryDirectory() as outside:
        inside = ROOT / ".primer" / "bench"  # git-ignored; inside the project, so its harness applies
        ours = floor_notebooks(inside, len(notebooks))
        stock = floor_notebooks(Path(outside), len(notebooks))
        for _ in range(repeat):
            times["course"].append(run("course", PROJECT, notebooks, ROOT, cell_sums))
            times["floor"].append(run("floor (project harness)", PROJECT, ours, ROOT))
            times["stock"].append(run("floor (stock nbval)", STOCK, stock, Path(outside)))
        for p in ours:
            p.unlink()
    med = {k: statistics.median(v) for k, v in times.items()}
    # Each ratio is the median of the rounds' own ratios: course and floor of one round ran back to back, so
    # a round's ratio holds while the machine's load drifts between rounds.
    same = statistics.median(c / f for c, f in zip(times["course"], times["floor"], strict=True))
    stock = statistics.median(c / f for c, f in zip(times["course"], times["stock"], strict=True))
    runs = {k: ", ".join(f"{t:.1f}" for t in v) for k, v in times.items()}
    cells = code_cells(notebooks)
    print(f"notebooks: {len(notebooks)}, {cells} code cells; {os.cpu_count()} CPUs; medians of {repeat}")
    print(f"course under the project harness: {med['course']:.1f} s ({runs['course']})")
    print(f"floor under the project harness:  {med['floor']:.1f} s ({runs['floor']})")
    print(f"floor under stock nbval:          {med['stock']:.1f} s ({runs['stock']})")
    print(f"ratio same-harness: {same:.2f}")
    print(f"ratio vs stock floor: {stock:.2f}")
    # What the course's own cells cost, kernel starts excluded: on W workers no harness can run them in less
    # than their sum / W, so course / floor cannot go below (floor + sum / W) / floor.
    workers = os.cpu_count() or 1
    cell_sum = statistics.median(cell_sums)
    bound = statistics.median((f + c / workers) / f for f, c in zip(times["floor"], cell_sums, strict=True))
    print(f"course cells alone: {cell_sum:.1f} s summed over {cells} cells (median; pytest's call times); on "
          f"{workers} workers at least {cell_sum / workers:.1f} s beyond the floor: ratio same-harness >= {bound:.2f}")


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: nbval wall time over every notebook against a floor of trivial notebooks.

    python tools/bench.py [--repeat N]

The floor is as many one-cell notebooks as the course has, each only `import anthropic, helpers`: what
any notebook costs to start a kernel and import the SDK. Course and floor run alternately, N times each,
and the medians are compared. Two figures, printed as two lines:

- `ratio same-harness`: course / floor, both under the project's harness (its flags, sanitize file, replay);
- `ratio vs stock floor`: course under the project's harness / floor under plain `pytest --nbval -n auto`
  as installed, from a folder outside the project (no conftest, no sanitize file).

Every run must report as many passed tests as the notebooks have code cells, or the benchmark stops: a
run that silently skipped notebooks would flatter the ratio. Prints figures only, never asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
XDIST = ["-n", "auto", "--dist", "loadfile"]
PROJECT = ["-q", "-p", "no:cacheprovider", *XDIST, "--nbval", "--nbval-current-env"]
PROJECT += [f"--nbval-sanitize-with={ROOT / 'tests' / 'sanitize.cfg'}"]  # one argument: a split one is a path
STOCK = ["-q", "-p", "no:cacheprovider", *XDIST, "--nbval"]


def code_cells(paths: list[Path]) -> int:
    return sum(1 for p in paths for c in json.loads(p.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code")


def run(label: str, flags: list[str], paths: list[Path], cwd: Path) -> float:
    """One nbval run; exits unless pytest passed exactly one test per code cell."""
    env = dict(os.environ, PRIMER_MODE="replay", PRIMER_REPLAY_SPEED="0")
    env.pop("PRIMER_GATEWAY_URL", None)
    cmd = [sys.executable, "-m", "pytest", f"--rootdir={cwd}", *flags, *map(str, paths)]
    start = time.perf_counter()
    out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    passed = re.search(r"(\d+) passed", out.stdout)
    want = code_cells(paths)
    if out.returncode != 0 or not passed or int(passed.group(1)) != want:
        got = passed.group(1) if passed else "none"
        raise SystemExit(f"bench: {label}: {got} passed, expected {want} (one per code cell)\n{out.stdout[-1500:]}")
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/bench.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, alternating (default 3)")
    args = parser.parse_args(argv)
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    times: dict[str, list[float]] = {"course": [], "floor": [], "stock": []}
    with tempfile.TemporaryDirectory() as outside:
        inside = ROOT / ".primer" / "bench"  # git-ignored; inside the project, so its harness applies
        ours = floor_notebooks(inside, len(notebooks))
        stock = floor_notebooks(Path(outside), len(notebooks))
        for _ in range(args.repeat):
            times["course"].append(run("course", PROJECT, notebooks, ROOT))
            times["floor"].append(run("floor (project harness)", PROJECT, ours, ROOT))
            times["stock"].append(run("floor (stock nbval)", STOCK, stock, Path(outside)))
        for p in ours:
            p.unlink()
    med = {k: statistics.median(v) for k, v in times.items()}
    runs = {k: ", ".join(f"{t:.1f}" for t in v) for k, v in times.items()}
    cells = code_cells(notebooks)
    print(f"notebooks: {len(notebooks)}, {cells} code cells; {os.cpu_count()} CPUs; medians of {args.repeat}")
    print(f"course under the project harness: {med['course']:.1f} s ({runs['course']})")
    print(f"floor under the project harness:  {med['floor']:.1f} s ({runs['floor']})")
    print(f"floor under stock nbval:          {med['stock']:.1f} s ({runs['stock']})")
    print(f"ratio same-harness: {med['course'] / med['floor']:.2f}")
    print(f"ratio vs stock floor: {med['course'] / med['stock']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

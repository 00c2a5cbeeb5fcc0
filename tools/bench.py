"""Benchmark: nbval wall time over every notebook against a floor of trivial notebooks.

    python tools/bench.py [--repeat N]

The floor is the same number of one-cell notebooks that only `import helpers, anthropic`, run the same
way (`pytest --nbval -n auto --dist loadfile`): what any notebook costs just to start a kernel and import
the SDK. The ratio says how much the course's own cells add. Target: at most 1.5. Prints figures only;
no assertion, so it never flakes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NBVAL = [
    "-m",
    "pytest",
    "-q",
    "-p",
    "no:cacheprovider",
    "-n",
    "auto",
    "--dist",
    "loadfile",
    "--nbval",
    "--nbval-current-env",
    "--nbval-sanitize-with",
    str(ROOT / "tests" / "sanitize.cfg"),
]


def run(paths: list[Path], cwd: Path) -> float:
    env = dict(os.environ, PRIMER_MODE="replay", PRIMER_REPLAY_SPEED="0")
    start = time.perf_counter()
    out = subprocess.run([sys.executable, *NBVAL, *map(str, paths)], cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if out.returncode != 0:
        raise SystemExit(f"bench: nbval failed:\n{out.stdout[-2000:]}")
    return elapsed


def floor_notebooks(folder: Path, n: int) -> list[Path]:
    cell = {
        "cell_type": "code",
        "id": "c0",
        "metadata": {},
        "execution_count": 1,
        "outputs": [],
        "source": "import anthropic\nimport helpers",
    }
    nb = {
        "cells": [cell],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    paths = []
    for i in range(n):
        p = folder / f"floor_{i:02d}.ipynb"
        p.write_text(json.dumps(nb))
        paths.append(p)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/bench.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=2, help="runs of each; the best is reported (default 2)")
    args = parser.parse_args(argv)
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    with tempfile.TemporaryDirectory() as tmp:
        floor = floor_notebooks(Path(tmp), len(notebooks))
        course_times, floor_times = [], []
        for _ in range(args.repeat):
            course_times.append(run(notebooks, ROOT))
            floor_times.append(run(floor, Path(tmp)))
    course, base = min(course_times), min(floor_times)
    print(f"notebooks:          {len(notebooks)} (nbval -n auto --dist loadfile, {os.cpu_count()} CPUs)")
    print(f"course nbval time:  {course:.1f} s  (runs: {', '.join(f'{t:.1f}' for t in course_times)})")
    print(f"floor nbval time:   {base:.1f} s  (same number of one-cell notebooks importing helpers and anthropic)")
    print(f"ratio:              {course / base:.2f}  (target <= 1.5)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

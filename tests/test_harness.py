"""The nbval harness (tests/harness/plugin.py): kernels get the test profile, and nbval still fails a notebook
whose stored output is wrong."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent


def notebook(path: Path, source: str, stored: str) -> None:
    cell = nbformat.v4.new_code_cell(source, execution_count=1)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=stored)]
    nb = nbformat.v4.new_notebook(cells=[cell])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def test_kernels_get_the_test_profile_and_a_wrong_output_still_fails(tmp_path):
    # The profile sets xmode Plain and blocks rfc3987_syntax in the kernel; a stock kernel would print Context.
    probe = "import sys; print(get_ipython().InteractiveTB.mode, sys.modules.get('rfc3987_syntax', 'absent'))"
    notebook(tmp_path / "right.ipynb", probe, "Plain None\n")
    notebook(tmp_path / "wrong.ipynb", "print(1 + 1)", "3\n")
    env = {k: v for k, v in os.environ.items() if k != "IPYTHONDIR"}
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.harness.plugin", "-p", "no:cacheprovider", "-rf",
         "--nbval", "--nbval-current-env", "--rootdir", str(tmp_path), str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert "1 failed, 1 passed" in out.stdout, out.stdout[-2000:]
    assert "FAILED" in out.stdout and "wrong.ipynb" in out.stdout

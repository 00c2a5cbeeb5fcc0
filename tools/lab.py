"""`make lab`: open the course in JupyterLab on notebook 00, with its notebooks trusted and no news pop-up.

    python tools/lab.py [extra JupyterLab options]

The browser test (tests/browser/test_lab.py) starts JupyterLab with the same LAB_ARGS and trust().
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

__all__ = ["LAB_ARGS", "NOTEBOOKS", "trust", "main"]

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"

# tools/lab/overrides.json turns off JupyterLab's "receive official Jupyter news?" pop-up, which would sit over
# the first outputs; the two options keep the server from fetching news or checking for updates.
LAB_ARGS = [
    "--LabApp.default_url=/lab/tree/00_start_here.ipynb",
    f"--LabApp.app_settings_dir={ROOT / 'tools' / 'lab'}",
    "--LabApp.news_url=",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
]


def trust(paths: Iterable[Path], data_dir: str | None = None) -> int:
    """Sign notebooks as trusted in this user's Jupyter signature store (or `data_dir`'s), so their stored
    HTML outputs (message cards, tables) show at once instead of "untrusted" until re-run. Returns how many."""
    import nbformat
    from jupyter_core.paths import jupyter_data_dir
    from nbformat.sign import NotebookNotary

    data_dir = data_dir or jupyter_data_dir()
    Path(data_dir).mkdir(parents=True, exist_ok=True)  # before the notary opens its database in it
    notary = NotebookNotary(data_dir=data_dir)
    count = 0
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if not notary.check_signature(nb):
            notary.sign(nb)
        count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    trust(sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")))
    cmd = [sys.executable, "-m", "jupyterlab", f"--notebook-dir={NOTEBOOKS}", *LAB_ARGS]
    if getattr(os, "geteuid", lambda: 1)() == 0:  # Jupyter refuses root (containers, CI) unless told
        cmd.append("--allow-root")
    try:
        return subprocess.call([*cmd, *(sys.argv[1:] if argv is None else argv)])
    except KeyboardInterrupt:  # Ctrl-C twice in the terminal is how a learner stops the course
        return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`make lab`: open the course in JupyterLab on notebook 00, with its notebooks trusted and no news pop-up.

    python tools/lab.py [extra JupyterLab options]

The browser test (tests/browser/test_lab.py) starts JupyterLab with the same LAB_ARGS and trust().
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

__all__ = ["LAB_ARGS", "NOTEBOOKS", "trust", "trust_once", "main"]

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
TRUSTED = ROOT / ".primer" / "trusted.json"  # what trust_once() last signed, and into which store

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


def trust_once(paths: list[Path], data_dir: str | None = None, stamp: Path = TRUSTED) -> int:
    """trust(), done once: the store remembers a signature, so while the notebooks are byte for byte what was
    last signed into the same store, and the store still exists, nothing is read or imported. Returns how many
    were signed now."""
    from jupyter_core.paths import jupyter_data_dir

    data_dir = data_dir or jupyter_data_dir()
    seen = {"store": str(Path(data_dir) / "nbsignatures.db"),
            "notebooks": {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}}
    try:
        if json.loads(stamp.read_text(encoding="utf-8")) == seen and Path(seen["store"]).is_file():
            return 0
    except (OSError, ValueError):
        pass
    # nbformat imports jsonschema, which builds an unused IRI grammar (about 1 s) when rfc3987_syntax is
    # installed; this process only signs, so it goes without it. JupyterLab's own process is untouched.
    sys.modules.setdefault("rfc3987_syntax", None)
    count = trust(paths, data_dir)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(json.dumps(seen, indent=1), encoding="utf-8")
    return count


def main(argv: list[str] | None = None) -> int:
    cmd = [sys.executable, "-m", "jupyterlab", f"--notebook-dir={NOTEBOOKS}", *LAB_ARGS]
    if getattr(os, "geteuid", lambda: 1)() == 0:  # Jupyter refuses root (containers, CI) unless told
        cmd.append("--allow-root")
    # JupyterLab starts first; the notebooks are signed while it does (00 first, the one it opens), which
    # takes less time than its start, so the signing is off the learner's path.
    server = subprocess.Popen([*cmd, *(sys.argv[1:] if argv is None else argv)])
    try:
        trust_once(sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")))
        return server.wait()
    except KeyboardInterrupt:  # Ctrl-C in the terminal is how a learner stops the course
        server.terminate()
        try:
            server.wait(timeout=10)
        except (KeyboardInterrupt, subprocess.TimeoutExpired):
            server.kill()
        return 0


if __name__ == "__main__":
    raise SystemExit(main())

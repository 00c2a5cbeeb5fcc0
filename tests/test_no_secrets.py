"""No key anywhere: every tracked file (notebooks with their outputs and metadata, recordings, docs, code)
is scanned for key-shaped strings, and recordings for auth headers. Runs in `make test`."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from helpers.config import REPO_ROOT
from helpers.errors import scan_notebook, scan_text

# The one file that holds fake keys on purpose: notebook 10 runs the scanner on it.
FIXTURES = {"notebooks/data/leaky_notebook.json": 3}
_BEARER = re.compile(r"Bearer\s+[A-Za-z0-9_\-\.]{20,}")


def tracked_files() -> list[Path]:
    try:
        out = subprocess.run(["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout
        names = out.splitlines()
    except (OSError, subprocess.CalledProcessError):  # not a git checkout (e.g. a Binder image)
        names = [str(p.relative_to(REPO_ROOT)) for p in REPO_ROOT.rglob("*") if p.is_file() and ".venv" not in p.parts]
    return [REPO_ROOT / n for n in names if (REPO_ROOT / n).is_file()]


def test_no_tracked_file_holds_a_key_shaped_string():
    files = tracked_files()
    assert any(p.suffix == ".ipynb" for p in files) and any(p.suffix == ".md" for p in files)
    problems = []
    for path in files:
        rel = path.relative_to(REPO_ROOT).as_posix()
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary files (images) hold no text keys
        found = scan_notebook(path) if path.suffix == ".ipynb" else scan_text(text)
        found_bearer = _BEARER.findall(text)
        if rel in FIXTURES:
            assert len(found) == FIXTURES[rel], f"{rel}: the fixture should hold exactly {FIXTURES[rel]} fake keys"
            continue
        problems += [f"{rel}: {f}" for f in found] + [f"{rel}: a Bearer token" for _ in found_bearer]
    assert problems == [], "\n".join(problems)


def test_recordings_hold_no_request_or_auth_headers():
    for path in sorted((REPO_ROOT / "notebooks" / "recordings").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for i, ex in enumerate(data["exchanges"]):
            assert set(ex["request"]) <= {"method", "path", "body"}, f"{path.name}[{i}]: request headers stored"
            names = {h.lower() for h in ex["response"].get("headers", {})}
            assert not names & {"authorization", "x-api-key", "set-cookie", "anthropic-organization-id"}, path.name

"""No key anywhere: every tracked file (notebooks with their outputs, attachments and metadata, recordings, docs,
code) is scanned for key-shaped strings, Bearer tokens and x-api-key header values, plain or encoded (JSON
escapes, HTML entities, percent-encoding, base64, split over lines), and recordings for auth headers. Runs in
`make test`, so it must stay fast: the whole tree takes a fraction of a second."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest

from helpers.config import REPO_ROOT
from helpers.gateway.recordings import MATCH_HEADERS
from helpers.gateway.secrets import recording_secrets
from helpers.keyscan import KeyFinding, scan_notebook, scan_text

# The one file that holds fake keys on purpose: notebook 10 runs the scanner on it.
FIXTURES = {"notebooks/data/leaky_notebook.json": 3}


def tracked_files() -> list[Path]:
    try:
        out = subprocess.run(["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout
        names = out.splitlines()
    except (OSError, subprocess.CalledProcessError):  # not a git checkout (e.g. a Binder image)
        names = [str(p.relative_to(REPO_ROOT)) for p in REPO_ROOT.rglob("*") if p.is_file() and ".venv" not in p.parts]
    return [REPO_ROOT / n for n in names if (REPO_ROOT / n).is_file()]


def scan_file(path: Path) -> list[KeyFinding] | None:
    """What the repository scan finds in one file: a notebook part by part, anything else as text (None: binary)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None  # binary files (images) hold no text keys
    return scan_notebook(path) if path.suffix == ".ipynb" else scan_text(text)


def test_no_tracked_file_holds_a_key_shaped_string():
    files = tracked_files()
    assert any(p.suffix == ".ipynb" for p in files) and any(p.suffix == ".md" for p in files)
    problems = []
    for path in files:
        rel = path.relative_to(REPO_ROOT).as_posix()
        found = scan_file(path)
        if found is None:
            continue
        if rel in FIXTURES:
            assert len(found) == FIXTURES[rel], f"{rel}: the fixture should hold exactly {FIXTURES[rel]} fake keys"
            continue
        problems += [f"{rel}: {f}" for f in found]
    assert problems == [], "\n".join(problems)


def test_the_fixture_keys_are_found_as_a_notebook_too():
    found = scan_notebook(REPO_ROOT / "notebooks" / "data" / "leaky_notebook.json")
    assert [(f.cell, f.where, f.line, f.encoding) for f in found] == [
        (1, "source", 4, "plain"),
        (2, "output 0", 1, "plain"),
        (3, "output 0", 2, "plain"),
    ]


# Fake keys, built at run time so no key-shaped literal sits in this file.
KEY = "sk-" + "ant-api03-" + "Scan5Me" * 13 + "-NotReal0"


def _cell(**fields) -> dict:
    return {"cell_type": "code", "source": "1", "metadata": {}, "outputs": [], **fields}


def _nb(cell: dict) -> str:
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)


HIDDEN = {
    "a .py file, JSON-escaped": ("leak.py", f"K = '{KEY.replace('-', chr(92) + 'u002d')}'\n"),
    "a .md file, HTML entities": ("leak.md", f"the key: <code>{KEY.replace('-', '&#x2d;')}</code>\n"),
    "a .md file, percent-encoded": ("leak.md", f"[call](https://example.invalid/v1?api_key={KEY.replace('-', '%2D')})"),
    "a .json file, base64": ("leak.json", json.dumps({"blob": base64.b64encode(KEY.encode()).decode()})),
    "a .sh file, split over lines": ("leak.sh", f"export ANTHROPIC_API_KEY={KEY[:6]}\\\n{KEY[6:]}\n"),
    "a notebook's output metadata": (
        "leak.ipynb",
        _nb(_cell(outputs=[{"output_type": "stream", "name": "stdout", "text": "", "metadata": {"k": KEY}}])),
    ),
    "a notebook's markdown attachment": (
        "leak.ipynb",
        _nb(
            {
                "cell_type": "markdown",
                "source": "",
                "metadata": {},
                "attachments": {"a.png": {"image/png": base64.b64encode(f"K={KEY}".encode()).decode()}},
            }
        ),
    ),
    "a notebook's source, split over its lines": (
        "leak.ipynb",
        _nb(_cell(source=[f"k = '{KEY[:3]}\n", f"{KEY[3:]}'"])),
    ),
    "a Bearer token in a log": ("leak.log", "> Authorization: Bearer " + "tok3n" * 8 + "\n"),
}


@pytest.mark.parametrize("name", list(HIDDEN))
def test_the_repository_scan_finds_what_is_hidden(tmp_path, name):
    filename, content = HIDDEN[name]
    path = tmp_path / filename
    path.write_text(content, encoding="utf-8")
    found = scan_file(path)
    assert found is not None and len(found) == 1, name
    assert KEY not in repr(found) + str(found[0])


def test_recordings_hold_no_request_or_auth_headers():
    for path in sorted((REPO_ROOT / "notebooks" / "recordings").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for i, ex in enumerate(data["exchanges"]):
            assert set(ex["request"]) <= {"method", "path", "body", "match_headers"}, f"{path.name}[{i}]: headers"
            # match_headers may only name the API version and betas: never a credential
            assert set(ex["request"].get("match_headers", {})) <= set(MATCH_HEADERS), f"{path.name}[{i}]"
            names = {h.lower() for h in ex["response"].get("headers", {})}
            assert not names & {"authorization", "x-api-key", "set-cookie", "anthropic-organization-id"}, path.name
        assert recording_secrets(data) == [], f"{path.name}: save_recording would refuse it"

"""Find key-shaped strings in notebook files (notebook 10, section "Keys in notebooks"; tests/test_no_secrets.py).

A thin layer over `helpers.gateway.secrets`, which does the scanning (encodings, lines joined, base64) that
record mode also uses: this module walks a notebook's parts and says where each finding sits (cell, source or
output, line), showing only a key's first characters, never the key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .gateway import secrets

__all__ = ["KEY_PATTERN", "KeyFinding", "NotebookScanError", "mask_key", "scan_text", "scan_notebook"]

# sk-ant-api03-..., sk-ant-admin01-..., sk-ant-oat01-...: a prefix naming the kind, then a long random tail.
# The scanning itself (encodings, lines joined, base64) is the gateway's: record mode refuses the same strings.
KEY_PATTERN = secrets.KEY_PATTERN
mask_key = secrets.mask_key


class NotebookScanError(ValueError):
    """The file is not a notebook the scanner can read; the message names the file (not its full path)."""


@dataclass(frozen=True)
class KeyFinding:
    """Where a key-shaped string is: cell (from 0; None for the notebook itself), part, line (from 1).

    `encoding` says how it was hidden when it was not plain (`percent-encoded`, `base64-encoded`, ...).
    """

    cell: int | None
    where: str
    line: int
    preview: str
    length: int
    encoding: str = secrets.PLAIN

    def __str__(self) -> str:
        if self.cell is not None:
            place = f"cell {self.cell}, {self.where}"
        else:
            place = "notebook metadata" if self.where == "metadata" else f"notebook, {self.where}"
        how = "" if self.encoding == secrets.PLAIN else f", {self.encoding}"
        return f"{place}, line {self.line}: {self.preview} ({self.length} characters{how})"


def scan_text(text: str, *, cell: int | None = None, where: str = "text") -> list[KeyFinding]:
    """Every key-shaped string in `text` (and Bearer token or x-api-key header value), with its line number,
    also when JSON-escaped, HTML- or percent-encoded, base64-encoded or split over lines; never the key itself."""
    if not isinstance(text, str):
        raise TypeError(f"scan_text() takes a str, got {type(text).__name__}")
    return [KeyFinding(cell, where, f.line, f.preview, f.length, f.encoding) for f in secrets.find_secrets(text)]


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)  # nbformat's multi-line strings
    return json.dumps(value, ensure_ascii=False)


def _scan_value(value: Any, cell: int | None, where: str) -> list[KeyFinding]:
    """A notebook part: text (or nbformat's list of lines) as one text, anything else string by string."""
    if isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        return scan_text(_as_text(value), cell=cell, where=where)
    return [KeyFinding(cell, where, f.line, f.preview, f.length, f.encoding) for _, f in secrets.find_in_json(value)]


def _mime_bundle(bundle: Any, cell: int | None, where: str) -> list[KeyFinding]:
    """Every representation (text/plain, text/html, image/png as base64, application/json, ...) and its name."""
    if not isinstance(bundle, Mapping):
        return _scan_value(bundle, cell, where)
    found: list[KeyFinding] = []
    for mime, value in bundle.items():
        found += _scan_value(str(mime), cell, where) + _scan_value(value, cell, where)
    return found


_OUTPUT_DONE = ("text", "evalue", "traceback", "data", "metadata")


def _scan_output(output: Any, cell: int, j: int) -> list[KeyFinding]:
    where = f"output {j}"
    if not isinstance(output, Mapping):
        return _scan_value(output, cell, where)
    found: list[KeyFinding] = []
    for key in ("text", "evalue"):
        if key in output:
            found += _scan_value(output[key], cell, where)
    if "traceback" in output:
        lines = output["traceback"] or []
        found += scan_text("\n".join(_as_text(t) for t in lines), cell=cell, where=where)
    found += _mime_bundle(output.get("data", {}), cell, where)
    found += _scan_value(output.get("metadata", {}), cell, f"{where} metadata")
    return found + _scan_value({k: v for k, v in output.items() if k not in _OUTPUT_DONE}, cell, where)


_CELL_DONE = ("source", "metadata", "outputs", "attachments")


def _scan_cell(cell: dict[str, Any], i: int) -> list[KeyFinding]:
    found = _scan_value(cell.get("source", ""), i, "source")
    found += _scan_value(cell.get("metadata", {}), i, "cell metadata")
    attachments = cell.get("attachments") or {}
    if isinstance(attachments, Mapping):
        for n, (name, bundle) in enumerate(attachments.items()):
            in_name = scan_text(str(name), cell=i, where=f"attachment {n}")
            named = len(str(name)) <= 60 and str(name).isprintable() and not in_name
            where = f"attachment {name}" if named else f"attachment {n}"
            found += in_name + _mime_bundle(bundle, i, where)
    else:
        found += _scan_value(attachments, i, "attachments")
    outputs = cell.get("outputs") or []
    for j, output in enumerate(outputs if isinstance(outputs, list) else [outputs]):
        found += _scan_output(output, i, j)
    return found + _scan_value({k: v for k, v in cell.items() if k not in _CELL_DONE}, i, "cell")


def scan_notebook(path: str | Path) -> list[KeyFinding]:
    """Scan a notebook file (.ipynb JSON): every part of it. Each cell's source, metadata, attachments and
    outputs (text, every mime type's data, errors, output metadata), the notebook's metadata, and any other
    field, so that nothing a notebook stores is left unscanned."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotebookScanError(f"{p.name}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise NotebookScanError(f"{p.name}: cannot be read ({type(e).__name__})") from None
    except json.JSONDecodeError as e:
        raise NotebookScanError(f"{p.name}: not a notebook (not JSON: line {e.lineno} column {e.colno})") from None
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list):
        raise NotebookScanError(f"{p.name}: not a notebook (no list of cells)")
    found = _scan_value(data.get("metadata", {}), None, "metadata")
    found += _scan_value({k: v for k, v in data.items() if k not in ("cells", "metadata")}, None, "top level")
    for i, cell in enumerate(cells):
        if not isinstance(cell, dict):
            raise NotebookScanError(f"{p.name}: cell {i} is not an object")
        found += _scan_cell(cell, i)
    return found

"""tools/lab.py's trust_once(): notebooks are signed once, remembered while they and the store are unchanged,
and signed again when either changes (make lab runs it while JupyterLab starts)."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import nbformat
from nbformat.sign import NotebookNotary

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("course_lab", ROOT / "tools" / "lab.py")
lab = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lab)


def trusted(path: Path, data_dir: Path) -> bool:
    return NotebookNotary(data_dir=str(data_dir)).check_signature(nbformat.read(path, as_version=4))


def test_trust_once_signs_then_remembers_then_signs_what_changed(tmp_path: Path) -> None:
    books = [shutil.copy(p, tmp_path / p.name) for p in sorted(lab.NOTEBOOKS.glob("0[01]_*.ipynb"))]
    books = [Path(b) for b in books]
    data, stamp = tmp_path / "data", tmp_path / "trusted.json"
    assert lab.trust_once(books, str(data), stamp) == 2 and all(trusted(b, data) for b in books)
    assert lab.trust_once(books, str(data), stamp) == 0  # remembered: nothing read, nothing imported
    nb = nbformat.read(books[1], as_version=4)
    nb.cells[0].source += "\n\nEdited."
    nbformat.write(nb, books[1])
    assert not trusted(books[1], data)
    assert lab.trust_once(books, str(data), stamp) == 2 and trusted(books[1], data)
    (data / "nbsignatures.db").unlink()  # a reset store forgets every signature
    assert lab.trust_once(books, str(data), stamp) == 2 and all(trusted(b, data) for b in books)
    assert lab.trust_once(books, str(tmp_path / "other"), stamp) == 2  # another store is signed into too

"""Store notebook outputs from a replay run and normalize notebooks so git holds no volatile state.

    python tools/normalize.py                 normalize every notebook in place
    python tools/normalize.py --execute [NB]  run notebooks in replay mode (all, or the named ones), then normalize
    python tools/normalize.py --check         exit 1 listing notebooks that are not normalized

Normalized: kernelspec python3, language_info reduced to its name, cell metadata reduced to tags,
sequential execution counts and cell ids, widget model ids renumbered, tracebacks reduced to their last
line, kernel temp paths replaced, and no absolute path of this machine in any output.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
_IPYKERNEL_PATH = re.compile(r"[^\s'\"]*ipykernel_\d+[/\\]\d+\.py")  # /tmp, /var/folders, C:\...\Temp
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _clean_output(out: dict[str, Any]) -> dict[str, Any]:
    kind = out.get("output_type")
    if kind == "error":
        evalue = _ANSI.sub("", out.get("evalue", ""))
        return {
            "output_type": "error",
            "ename": out.get("ename", ""),
            "evalue": evalue,
            "traceback": [f"{out.get('ename', '')}: {evalue}"],
        }
    if kind == "stream":
        return {
            "output_type": "stream",
            "name": out["name"],
            "text": _lines(_IPYKERNEL_PATH.sub("<cell>", _text(out["text"]))),
        }
    clean = dict(out)
    clean["metadata"] = out.get("metadata", {})
    return clean


def _merge_streams(outs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Join consecutive stream outputs of the same name, as a reader sees them."""
    merged: list[dict[str, Any]] = []
    for o in outs:
        last = merged[-1] if merged else None
        if last and o["output_type"] == "stream" == last["output_type"] and o["name"] == last["name"]:
            last["text"] = _lines(_text(last["text"]) + _text(o["text"]))
        else:
            merged.append(o)
    return merged


_REF = re.compile(r"IPY_MODEL_([0-9a-f]{32})")


def _renumber_widgets(nb: dict[str, Any]) -> dict[str, Any]:
    """Give widget models stable ids, so a re-run changes nothing in git.

    The order comes from the notebook's structure only (displayed widgets in cell order, then what they
    reference, in attribute-name order; then the rest by content), never from the ids themselves, so
    normalizing twice is a no-op.
    """
    state = nb.get("metadata", {}).get("widgets", {}).get(_WIDGET_STATE, {}).get("state", {})
    roots = re.findall(r'"model_id": "([0-9a-f]{32})"', json.dumps(nb["cells"]))
    order: list[str] = []
    queue = list(roots)
    while queue:
        wid = queue.pop(0)
        if wid not in order:
            order.append(wid)
            queue += _REF.findall(json.dumps(state.get(wid, {}), sort_keys=True))
    unseen = [i for i in state if i not in order]
    order += sorted(unseen, key=lambda i: _REF.sub("", json.dumps(state[i], sort_keys=True)))
    if not order:
        return nb
    text = json.dumps(nb)
    for n, old in enumerate(order):
        text = text.replace(old, f"@@W{n}@@")
    for n in range(len(order)):
        text = text.replace(f"@@W{n}@@", uuid.uuid5(uuid.NAMESPACE_URL, f"primer-widget-{n}").hex)
    return json.loads(text)


def normalize(nb: dict[str, Any]) -> dict[str, Any]:
    """The normalized form of a notebook (a new dict)."""
    nb = json.loads(json.dumps(nb))
    meta: dict[str, Any] = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    widgets = nb.get("metadata", {}).get("widgets")
    if widgets:
        meta["widgets"] = widgets
    nb["metadata"] = meta
    nb["nbformat"], nb["nbformat_minor"] = 4, 5
    count = 0
    for i, cell in enumerate(nb["cells"]):
        cell["id"] = f"cell-{i:03d}"
        tags = cell.get("metadata", {}).get("tags")
        cell["metadata"] = {"tags": tags} if tags else {}
        cell["source"] = _lines(_text(cell.get("source", "")))
        if cell["cell_type"] == "code":
            has_source = bool(_text(cell["source"]).strip())
            count += has_source
            cell["execution_count"] = count if has_source and cell.get("outputs") is not None else None
            outs = _merge_streams([_clean_output(o) for o in cell.get("outputs", [])])
            for o in outs:
                if o.get("output_type") == "execute_result":
                    o["execution_count"] = cell["execution_count"]
            cell["outputs"] = outs
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
    return _renumber_widgets(nb)


def dumps(nb: dict[str, Any]) -> str:
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def problems(path: Path) -> list[str]:
    """Why a committed notebook is not clean (empty when it is)."""
    text = path.read_text(encoding="utf-8")
    nb = json.loads(text)
    found = []
    if dumps(normalize(nb)) != text:
        found.append("not normalized")
    for machine_path in {str(ROOT), os.path.expanduser("~")}:
        if len(machine_path) > 1 and machine_path in text:
            found.append(f"contains the absolute path {machine_path}")
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code" or not _text(cell["source"]).strip():
            continue
        if not cell.get("outputs"):  # a definition cell prints a short check of what it defines
            found.append(f"cell {i} has no stored output (run `make outputs`, or end the cell with a short check)")
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error" and "raises-exception" not in cell["metadata"].get("tags", []):
                found.append(f"cell {i} stores an error but is not tagged raises-exception")
    return found


def execute(path: Path) -> dict[str, Any]:
    """Run a notebook top to bottom in replay mode, in its own folder, and return it with outputs."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    env_ok = os.environ.get("PRIMER_MODE") == "replay"
    if not env_ok:
        raise SystemExit("normalize --execute stores replay outputs only: set PRIMER_MODE=replay (make outputs does).")
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return json.loads(nbformat.writes(nb))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/normalize.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="notebook names (e.g. 01_first_request); default all")
    parser.add_argument("--execute", action="store_true", help="re-run in replay mode first")
    parser.add_argument("--check", action="store_true", help="only report; exit 1 if anything is not clean")
    args = parser.parse_args(argv)
    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if args.names:
        wanted = {n.removesuffix(".ipynb") for n in args.names}
        paths = [p for p in paths if p.stem in wanted]
        missing = wanted - {p.stem for p in paths}
        if missing:
            print(f"normalize: no notebook named {sorted(missing)[0]}", file=sys.stderr)
            return 2
    if args.check:
        bad = [(p, why) for p in paths for why in problems(p)]
        for p, why in bad:
            print(f"{p.relative_to(ROOT)}: {why}", file=sys.stderr)
        if bad:
            print("Fix with `make outputs` (re-run in replay mode and normalize).", file=sys.stderr)
        return 1 if bad else 0
    for p in paths:
        nb = execute(p) if args.execute else json.loads(p.read_text(encoding="utf-8"))
        p.write_text(dumps(normalize(nb)), encoding="utf-8")
        print(f"{'executed and ' if args.execute else ''}normalized {p.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Re-record notebooks from the real API.

    python tools/record.py [NB ...] [--force] [--upstream URL] [--out DIR] [--no-outputs]

For each notebook: start a gateway in record mode, run the notebook through it (its setup() joins that
gateway via PRIMER_GATEWAY_URL), and keep every exchange in arrival order. The recording is written to a
temporary file and renamed only when the run completed and no answer was a 5xx (unless --force); the old
recording stays otherwise. Then the notebook's outputs are re-written from a replay of the new recording.
Request headers are never stored; response headers only from the allow-list. The budget applies.
A key, Bearer token or x-api-key value anywhere in an exchange (path, query, body, answer; plain or encoded)
refuses the notebook in one line naming the place, --force or not, and nothing is written.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpers.config import DEFAULT_UPSTREAM, RECORDINGS_DIR, ConfigError, has_real_key, load_env  # noqa: E402
from helpers.gateway import Gateway  # noqa: E402
from helpers.gateway.budget import Ledger, budget_cap, ledger_path  # noqa: E402
from helpers.gateway.recordings import FORMAT, RecordingError, save_recording  # noqa: E402
from helpers.gateway.upstream import Upstream  # noqa: E402

# Notebooks whose recordings show failures the real API will not produce on demand.
AUTHORED_ONLY = {"10_errors": "its 429, 529 and 500 examples cannot be produced on demand"}


class RecordRefused(Exception):
    pass


def _models(exchanges: list[dict[str, Any]]) -> list[str]:
    found = set()
    for ex in exchanges:
        body = ex["request"].get("body")
        if isinstance(body, dict):
            if isinstance(body.get("model"), str):
                found.add(body["model"])
            for req in body.get("requests") or []:
                model = (req.get("params") or {}).get("model") if isinstance(req, dict) else None
                if isinstance(model, str):
                    found.add(model)
    return sorted(found)


def run_notebook(path: Path, gateway_url: str) -> None:
    """Execute a notebook (not saved) with its setup() joining the recording gateway."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    saved = dict(os.environ)
    os.environ.update(PRIMER_GATEWAY_URL=gateway_url, PRIMER_MODE="record")
    try:
        NotebookClient(
            nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
        ).execute()
    except CellExecutionError as e:
        raise RecordRefused(f"a cell failed while recording: {str(e).splitlines()[0][:200]}") from None
    finally:
        os.environ.clear()
        os.environ.update(saved)


def record(name: str, *, upstream: str, out: Path, force: bool) -> Path:
    """Record one notebook and return the recording's path; RecordRefused keeps the old one."""
    notebook = ROOT / "notebooks" / f"{name}.ipynb"
    if not notebook.is_file():
        raise RecordRefused(f"no notebook notebooks/{name}.ipynb")
    import anthropic

    gateway = Gateway([], mode="record", upstream=Upstream(upstream), ledger=Ledger(ledger_path(), budget_cap()))
    gateway.start()
    try:
        run_notebook(notebook, gateway.url)
        assert gateway.recorder is not None
        failures = gateway.recorder.failures
        if failures:  # an unreachable upstream, or a key in an exchange (its place is named, never the key)
            more = f" ({len(failures) - 1} more failed)" if len(failures) > 1 else ""
            raise RecordRefused(f"{failures[0]}{more}")
        exchanges = gateway.recorder.complete()
    finally:
        gateway.stop()
    failed = [ex["response"]["status"] for ex in exchanges if ex["response"]["status"] >= 500]
    if failed and not force:
        raise RecordRefused(f"{len(failed)} answer(s) were server errors ({failed[0]}); re-run later or pass --force")
    recording = {
        "format": FORMAT,
        "provenance": {
            "source": "recorded",
            "date": date.today().isoformat(),
            "sdk": f"anthropic {anthropic.__version__}",
            "models": _models(exchanges),
            "note": "Recorded from the real API by `make record`; token counts are the API's own.",
        },
        "exchanges": exchanges,
    }
    return save_recording(recording, out / f"{name}.json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/record.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="notebooks to record (default: all but the authored-only ones)")
    parser.add_argument("--force", action="store_true", help="keep a recording even if an answer was a 5xx")
    parser.add_argument("--upstream", default=None, help="API address (default PRIMER_UPSTREAM_URL or the real API)")
    parser.add_argument("--out", type=Path, default=RECORDINGS_DIR, help="where recordings go")
    parser.add_argument("--no-outputs", action="store_true", help="do not re-write notebook outputs afterwards")
    args = parser.parse_args(argv)
    load_env()
    if not has_real_key():
        print("record: needs your API key in ANTHROPIC_API_KEY (see .env.example)", file=sys.stderr)
        return 2
    upstream = args.upstream or os.environ.get("PRIMER_UPSTREAM_URL") or DEFAULT_UPSTREAM
    names = args.names or sorted(
        p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb") if p.stem not in AUTHORED_ONLY
    )
    status = 0
    for name in names:
        if name in AUTHORED_ONLY and not args.force:
            print(f"record: {name} skipped: {AUTHORED_ONLY[name]} (pass --force to record it anyway)", file=sys.stderr)
            continue
        try:
            path = record(name, upstream=upstream, out=args.out, force=args.force)
        except (RecordRefused, RecordingError, ConfigError) as e:
            print(f"record: {name} not recorded, old recording kept: {e}", file=sys.stderr)
            status = 1
            continue
        print(f"recorded {path}")
        if not args.no_outputs:
            env = dict(os.environ, PRIMER_MODE="replay", PRIMER_REPLAY_SPEED="0", PRIMER_RECORDINGS_DIR=str(args.out))
            env.pop("PRIMER_GATEWAY_URL", None)
            subprocess.run(
                [sys.executable, str(ROOT / "tools" / "normalize.py"), "--execute", name], env=env, check=True
            )
    return status


if __name__ == "__main__":
    raise SystemExit(main())

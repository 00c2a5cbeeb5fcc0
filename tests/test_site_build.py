"""tools/site/build.py: the site's Pyodide lock names files of this site only, and the wheels it downloads are the
versions requirements.txt locks for Pyodide's platform. The page side is tests/browser/test_site.py's."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("site_build", ROOT / "tools" / "site" / "build.py")
build = importlib.util.module_from_spec(_spec)  # tools/site is not a package: `site` is the stdlib's name
_spec.loader.exec_module(build)


def entry(name: str, file_name: str | None = None) -> dict:
    return {"name": name, "version": "1.0", "file_name": file_name or f"{name}-1.0-py3-none-any.whl",
            "install_dir": "site", "sha256": f"{name:0<64}"[:64], "package_type": "package", "imports": [name],
            "depends": [], "unvendored_tests": False, "shared_library": False}


def _site(tmp_path: Path, packages: dict) -> Path:
    pyodide = tmp_path / "static" / "pyodide"
    pyodide.mkdir(parents=True)
    (pyodide / "pyodide.mjs").write_text("")
    for p in packages.values():
        if "://" not in p["file_name"]:
            (pyodide / p["file_name"]).write_bytes(b"wheel")
    (pyodide / "pyodide-lock.json").write_text(json.dumps({"packages": packages}))
    kernel = {"pyodideUrl": "./static/pyodide/pyodide.mjs", "disablePyPIFallback": True}
    config = {"jupyter-config-data": {"litePluginSettings": {build.KERNEL: kernel}}}
    (tmp_path / "jupyter-lite.json").write_text(json.dumps(config))
    return tmp_path


def test_the_build_check_refuses_a_lock_that_fetches_from_anywhere_else(tmp_path: Path) -> None:
    local = {n: entry(n) for n in ("anthropic", "six")}
    build.check_site(_site(tmp_path / "ok", local), ["anthropic", "six"])
    remote = {**local, "numpy": entry("numpy", "https://cdn.example/numpy-1.0-py3-none-any.whl")}
    with pytest.raises(SystemExit, match="fetches numpy"):
        build.check_site(_site(tmp_path / "remote", remote), ["anthropic", "six"])
    missing = _site(tmp_path / "missing", local)
    (missing / "static" / "pyodide" / local["anthropic"]["file_name"]).unlink()
    with pytest.raises(SystemExit, match="lacks"):
        build.check_site(missing, ["six"])
    with pytest.raises(SystemExit, match="lock lacks"):
        build.check_site(_site(tmp_path / "unlisted", local), ["anthropic", "six", "jiter"])


def test_the_browser_gets_the_locked_versions_for_pyodides_platform() -> None:
    pins = dict(p.split("==") for p in build._lock_pins())
    locked = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if line.startswith(("anthropic==", "httpx2-jsfetch==", "micropip==")):
            locked.setdefault(line.split("==")[0], []).append(line.split("==")[1].split()[0])
    assert pins["anthropic"] in locked["anthropic"]
    assert pins["httpx2-jsfetch"] in locked["httpx2-jsfetch"]  # emscripten only: pip on this machine skips it
    assert pins["micropip"] == locked["micropip"][-1]  # the fork for the newest Python, Pyodide's 3.14
    assert "appnope" not in pins and "pywinpty" not in pins  # another platform's

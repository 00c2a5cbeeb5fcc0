"""tools/site/build.py's lock for `make site CDN=1`: matplotlib and its dependencies named by their URL on
Pyodide's CDN with the stock sha256 (which Pyodide checks before installing), local wheels kept, nothing at
start, and a build that fails when the lock would fetch anything from anywhere else. The page-side half (the
kernel asks exactly those URLs, and says why when it cannot reach them) is tests/browser/test_site.py's."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("site_build", ROOT / "tools" / "site" / "build.py")
build = importlib.util.module_from_spec(_spec)  # tools/site is not a package: `site` is the stdlib's name
_spec.loader.exec_module(build)

INFO = {"abi_version": "2026_0", "arch": "wasm32", "python": "3.14.2"}


def entry(name: str, depends: list[str], file_name: str | None = None) -> dict:
    return {"name": name, "version": "1.0", "file_name": file_name or f"{name}-1.0-py3-none-any.whl",
            "install_dir": "site", "sha256": f"{name:0<64}"[:64], "package_type": "package", "imports": [name],
            "depends": depends, "unvendored_tests": False, "shared_library": False}


def stock() -> dict:
    """A small stand-in for Pyodide's stock lock: matplotlib's closure plus a package nothing needs."""
    pkgs = [entry("matplotlib", ["numpy", "six", "pillow"]), entry("numpy", []), entry("six", []),
            entry("pillow", ["six"]), entry("scipy", ["numpy"])]
    return {"info": INFO, "packages": {p["name"]: p for p in pkgs}}


def site_lock() -> dict:
    local = entry("six", [], "six-1.16.0-py2.py3-none-any.whl")  # the site already ships its own six
    return {"info": INFO, "packages": {"six": local, "anthropic": entry("anthropic", [])}}


def test_the_cdn_lock_adds_matplotlibs_closure_by_url_with_the_stock_hashes_and_keeps_local_wheels() -> None:
    lock, original = site_lock(), stock()
    added = build.with_cdn_packages(lock, original, also_imports=["helpers.plots"])
    assert added == ["matplotlib", "numpy", "pillow"]  # not scipy (unneeded), not six (the site has one)
    for name in added:
        got, want = lock["packages"][name], original["packages"][name]
        assert got["file_name"] == build.CDN + want["file_name"] and got["sha256"] == want["sha256"]
        assert got["depends"] == want["depends"]
    assert lock["packages"]["six"]["file_name"] == "six-1.16.0-py2.py3-none-any.whl"
    assert lock["packages"]["matplotlib"]["imports"] == ["helpers.plots", "matplotlib"]
    assert original["packages"]["matplotlib"]["imports"] == ["matplotlib"], "the stock lock is not changed"
    assert build.CDN == f"https://cdn.jsdelivr.net/pyodide/v{build.PYODIDE_VERSION}/full/"


@pytest.mark.parametrize("bad", ["../evil.whl", "https://elsewhere.example/m.whl", "matplotlib.tar"])
def test_a_stock_lock_naming_anything_but_a_wheel_file_fails_the_build(bad: str) -> None:
    original = stock()
    original["packages"]["numpy"]["file_name"] = bad
    with pytest.raises(SystemExit, match="not a wheel's file name"):
        build.with_cdn_packages(site_lock(), original)


def test_another_abi_or_a_package_pyodide_lacks_fails_the_build() -> None:
    other = {**stock(), "info": {**INFO, "abi_version": "2025_0"}}
    with pytest.raises(SystemExit, match="another ABI"):
        build.with_cdn_packages(site_lock(), other)
    with pytest.raises(SystemExit, match="not in Pyodide"):
        build.with_cdn_packages(site_lock(), stock(), roots=("seaborn",))


def test_the_helpers_modules_that_draw_are_found_from_their_imports(tmp_path: Path) -> None:
    (tmp_path / "helpers" / "sub").mkdir(parents=True)
    (tmp_path / "helpers" / "__init__.py").write_text("import json\n")
    (tmp_path / "helpers" / "plots.py").write_text("def f():\n    import matplotlib.pyplot as plt\n")
    (tmp_path / "helpers" / "sub" / "__init__.py").write_text("from matplotlib.ticker import FuncFormatter\n")
    (tmp_path / "helpers" / "words.py").write_text("# matplotlib is not imported here\nimport matplotlibish\n")
    assert build.drawing_modules(tmp_path) == ["helpers.plots", "helpers.sub"]
    assert {"helpers.tool_use", "helpers.plots", "helpers.costs"} <= set(build.drawing_modules())


def _site(tmp_path: Path, packages: dict) -> Path:
    pyodide = tmp_path / "static" / "pyodide"
    pyodide.mkdir(parents=True)
    (pyodide / "pyodide.mjs").write_text("")
    for p in packages.values():
        if "://" not in p["file_name"]:
            (pyodide / p["file_name"]).write_bytes(b"wheel")
    (pyodide / "pyodide-lock.json").write_text(json.dumps({"info": INFO, "packages": packages}))
    kernel = {"pyodideUrl": "./static/pyodide/pyodide.mjs", "disablePyPIFallback": True}
    config = {"jupyter-config-data": {"litePluginSettings": {build.KERNEL: kernel}}}
    (tmp_path / "jupyter-lite.json").write_text(json.dumps(config))
    return tmp_path


def test_the_build_check_refuses_a_lock_that_fetches_from_anywhere_else(tmp_path: Path) -> None:
    lock = site_lock()
    build.with_cdn_packages(lock, stock())
    site = _site(tmp_path / "cdn", lock["packages"])
    build.check_site(site, ["anthropic", "six"], cdn=True)
    with pytest.raises(SystemExit, match="fetches matplotlib"):
        build.check_site(site, ["anthropic", "six"], cdn=False)  # the default site requests no other host
    with pytest.raises(SystemExit, match="fetches matplotlib"):
        build.check_site(site, ["anthropic", "six", "matplotlib"], cdn=True)  # never at kernel start
    lock["packages"]["numpy"]["file_name"] = "https://cdn.example/numpy.whl"
    with pytest.raises(SystemExit, match="fetches numpy"):
        build.check_site(_site(tmp_path / "other", lock["packages"]), ["anthropic", "six"], cdn=True)
    local = site_lock()["packages"]
    missing = _site(tmp_path / "missing", local)
    (missing / "static" / "pyodide" / local["anthropic"]["file_name"]).unlink()
    with pytest.raises(SystemExit, match="lacks"):
        build.check_site(missing, ["six"])

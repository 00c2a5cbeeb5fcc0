"""The locks: what is installed is what they say, the learner's set holds no test tool, and no prose names an SDK
version other than the locked one (tools/lock.py, tools/toc.py)."""

from __future__ import annotations

import json
import re
import sys
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import Marker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import lock  # noqa: E402

LEARNER = ROOT / "requirements.txt"
DEV = ROOT / "requirements" / "dev.txt"


def for_this_python(path: Path) -> dict[str, str]:
    return {name: v for (name, marker), v in lock.pins(path).items() if not marker or Marker(marker).evaluate()}


def test_every_locked_package_is_installed_at_its_locked_version():
    wrong = []
    for name, version in for_this_python(DEV).items():
        try:
            installed = metadata.version(name.split("[")[0])
        except metadata.PackageNotFoundError:
            installed = "missing"
        if installed != version:
            wrong.append(f"{name} {installed} (lock: {version})")
    assert not wrong, f"not as locked (run `make install-dev`): {', '.join(wrong)}"


def test_the_learners_lock_holds_no_test_tool_and_agrees_with_the_dev_lock():
    learner, dev = lock.pins(LEARNER), lock.pins(DEV)
    tools = {"pytest", "pytest-xdist", "nbval", "ruff", "vcrpy", "check-jsonschema", "zizmor", "jupyter-repo2docker",
             "playwright", "uv"}
    assert not tools & {name for name, _ in learner}
    assert tools <= {name for name, _ in dev}
    assert {k: v for k, v in dev.items() if k in learner} == learner  # one version of each shared package


def test_the_locks_cover_every_os_and_python_not_just_this_machine():
    text = LEARNER.read_text()
    assert "sys_platform == 'win32'" in text and "sys_platform == 'darwin'" in text
    assert re.search(r"python_full_version < '3\.1[1-9]'", text)  # a fork for the oldest supported Python


def test_pins_reads_forks_and_annotations():
    sample = ROOT / "requirements" / "sample-lock.txt"
    try:
        sample.write_text("-e .  # via x\nnumpy==2.2.6 ; python_full_version < '3.11'  # via a\nnumpy==2.4.6 ; "
                          "python_full_version >= '3.11'\nuv==0.13.10               # via -r requirements/dev.in\n")
        assert lock.pins(sample) == {("numpy", "python_full_version < '3.11'"): "2.2.6",
                                     ("numpy", "python_full_version >= '3.11'"): "2.4.6", ("uv", ""): "0.13.10"}
        with pytest.raises(SystemExit, match="exactly one version of numpy"):
            lock.locked_version("numpy", sample)
        assert lock.locked_version("uv", sample) == "0.13.10"
    finally:
        sample.unlink()


def test_moved_lists_what_an_upgrade_changes(tmp_path):
    (tmp_path / "old.txt").write_text("anthropic==2.17.0\nhttpx==0.28.0\n")
    (tmp_path / "new.txt").write_text("anthropic==2.18.1\nhttpx==0.28.0\nnewdep==1.0\n")
    assert lock.moved(tmp_path / "old.txt", tmp_path / "new.txt") == [
        "  anthropic: 2.17.0 -> 2.18.1", "  newdep: - -> 1.0"]


def test_the_installed_sdk_is_the_locked_one():
    import anthropic

    assert anthropic.__version__ == lock.locked_version("anthropic")


# "SDK 2.15", "anthropic 2.16.0": a minor version named in prose or code. "SDK 1.0", "before 2.0" and "SDK 2.x"
# name a major version's history and stay true.
VERSION = re.compile(r"(?<![/@\w-])(?:SDK|anthropic)s?\b[^\n\d]{0,12}?\b(\d+)\.(\d+)(?:\.(\d+))?\b")


def stale_versions(text: str, locked: str) -> list[str]:
    major, minor = locked.split(".")[:2]
    return [m[0] for m in VERSION.finditer(text)
            if m[2] != "0" and (m[1], m[2]) != (major, minor) or (m[3] and f"{m[1]}.{m[2]}.{m[3]}" != locked)]


def test_stale_versions_finds_only_another_minor():
    assert stale_versions("checked against anthropic 2.16.0 and SDK 2.15", "2.17.0") == [
        "anthropic 2.16.0", "SDK 2.15"]
    assert stale_versions("since SDK 1.0; SDKs before 2.0; SDK 2.x; anthropic 2.17.0; SDK 2.17", "2.17.0") == []
    assert stale_versions("@langchain/anthropic 1.5.13 and python-anthropic 0.3.1 are other packages", "2.17.0") == []


def test_no_notebook_names_an_sdk_version_other_than_the_locks():
    locked = lock.locked_version("anthropic")
    found = []
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        for i, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
            found += [f"{path.name} cell {i}: {v}" for v in stale_versions("".join(cell["source"]), locked)]
    assert not found, "say 'the SDK', or rely on the navigation cell's generated version line: " + "; ".join(found)

"""The locks, made with uv's universal resolution, installed with plain pip.

    python tools/lock.py              re-resolve after an .in file changed, keeping every pin it can (make lock)
    python tools/lock.py --upgrade    newest allowed versions into .primer/upgrade/, then the report (make upgrade)
    python tools/lock.py --write      copy .primer/upgrade/'s locks over the real ones (make upgrade-write)

Inputs are requirements/*.in (ranges, with the reason for each); outputs are requirements.txt (the learner's set,
which Binder and the wheelhouse read) and requirements/{dev,site,room}.txt. One resolution covers Linux, macOS and
Windows on Python 3.10-3.14 (platform and version markers, not this machine's). The dev lock is constrained by the
learner's, so a package both install has one version.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parent.parent
REQ = ROOT / "requirements"
UPGRADE = ROOT / ".primer" / "upgrade"
# (input, lock, constrained by the learner's lock); the order matters: course first.
LOCKS = [
    ("course.in", "requirements.txt", False),
    ("dev.in", "requirements/dev.txt", True),
    ("site.in", "requirements/site.txt", False),
    ("room.in", "requirements/room.txt", False),
]
PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;#]+)\s*(?:;\s*([^#]+?))?\s*(?:#.*)?$")


def uv() -> str:
    found = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if not found:
        sys.exit("uv is not installed: run `make install-dev` (it comes with requirements/dev.txt)")
    return found


def compile_all(dest: Path, upgrade: bool) -> None:
    """Every lock into `dest` (same relative paths), seeded from the current locks so unchanged pins stay."""
    with tempfile.TemporaryDirectory() as tmp:
        constraints = Path(tmp) / "course-constraints.txt"
        for source, lock, constrained in LOCKS:
            out = dest / lock
            out.parent.mkdir(parents=True, exist_ok=True)
            if out != ROOT / lock and (ROOT / lock).exists():
                shutil.copy(ROOT / lock, out)  # uv keeps the pins it finds in its output file
            cmd = [uv(), "pip", "compile", "--quiet", "--universal", "--python-version", "3.10",
                   "--annotation-style", "line", "--custom-compile-command", "make lock",
                   str((REQ / source).relative_to(ROOT)), "-o", str(out)]
            if upgrade:
                cmd.append("--upgrade")
            if constrained:
                cmd += ["-c", str(constraints)]
            subprocess.run(cmd, cwd=ROOT, check=True)
            if constrained:  # the constraint file is temporary: its path is no reason a reader can follow
                out.write_text(re.sub(r"(, )?-c \S+course-constraints\.txt(, )?", lambda m: m[1] and m[2] or "",
                                      out.read_text()))
            if lock == "requirements.txt":  # uv takes no editable line as a constraint
                kept = [line for line in out.read_text().splitlines() if not line.startswith("-e ")]
                constraints.write_text("\n".join(kept) + "\n")


def pins(path: Path) -> dict[tuple[str, str], str]:
    """{(name, marker): version} of a lock; a package resolved per Python version appears once per marker."""
    found = {}
    for line in path.read_text().splitlines():
        m = PIN.match(line.strip())
        if m:
            found[(m.group(1).lower(), (m.group(3) or "").strip())] = m.group(2)
    return found


def locked_version(package: str, lock: Path = ROOT / "requirements.txt") -> str:
    """The one version of `package` the learner's lock names (the notebooks' outputs are made with it)."""
    found = {v for (name, _), v in pins(lock).items() if name == package}
    if len(found) != 1:
        sys.exit(f"{lock.name} should name exactly one version of {package}, not {sorted(found) or 'none'}")
    return found.pop()


def moved(old: Path, new: Path) -> list[str]:
    before, after = pins(old), pins(new)
    lines = []
    for key in sorted(before.keys() | after.keys()):
        name, marker = key
        where = f" ({marker})" if marker else ""
        if before.get(key) != after.get(key):
            lines.append(f"  {name}{where}: {before.get(key, '-')} -> {after.get(key, '-')}")
    return lines


def trial(dest: Path) -> tuple[str, list[str], list[str]]:
    """Install the proposed dev lock into a scratch venv with plain pip, then run every test and notebook there.

    Returns (install error or "", stored outputs that would change, tests that fail)."""
    venv = dest / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    done = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                           "-r", str(dest / "requirements/dev.txt")], cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        return (done.stderr.strip().splitlines() or ["pip failed"])[-1], [], []
    junit = dest / "junit.xml"
    env = {**os.environ, "PRIMER_MODE": "replay", "PRIMER_REPLAY_SPEED": "0"}
    pytest = [str(python), "-m", "pytest", "-q", "-n", "auto", "--dist", "loadfile", "--ignore=tests/browser",
              "--nbval", "--nbval-current-env", "--nbval-sanitize-with", "tests/sanitize.cfg", f"--junitxml={junit}",
              "tests", "notebooks"]
    run = subprocess.run(pytest, cwd=ROOT, env=env, capture_output=True, text=True)
    if not junit.is_file():
        return f"pytest did not run: {(run.stdout + run.stderr).strip().splitlines()[-1:]}", [], []
    outputs, failures = [], []
    for case in ElementTree.parse(junit).iter("testcase"):
        failed = case.find("failure") if case.find("failure") is not None else case.find("error")
        if failed is None:
            continue
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        text = (failed.get("message") or "") + "\n" + (failed.text or "")
        if ".ipynb" in name or "notebooks." in name:
            diff = [ln.strip() for ln in text.splitlines() if ln.strip()[:2] in ("- ", "+ ")]
            now = next((ln[2:] for ln in diff if ln.startswith("- ")), "")
            was = next((ln[2:] for ln in diff if ln.startswith("+ ")), "")
            notebook = (case.get("classname") or "").removeprefix("notebooks.")
            outputs.append(f"  {notebook} {case.get('name', '').lower()}: {was[:70]!r} -> {now[:70]!r}")
        else:
            first = (failed.get("message") or "failed").splitlines()[0]
            failures.append(f"  {name}: {first[:120]}")
    return "", outputs, failures


def report(moves: dict[str, list[str]], install_error: str, outputs: list[str], failures: list[str]) -> int:
    print("make upgrade: what the newest allowed versions change (nothing is written; make upgrade-write does)")
    for lock, lines in moves.items():
        print(f"{lock}: {len(lines)} moved" + (":" if lines else ""))
        for line in lines:
            print(line)
    if install_error:
        print(f"the new lock does not install with pip here: {install_error}")
        return 1
    print(f"stored outputs that would change: {len(outputs)}", *outputs, sep="\n")
    print(f"tests that fail: {len(failures)}", *failures, sep="\n")
    return 1 if outputs or failures else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--upgrade", action="store_true", help="resolve the newest allowed versions, test, report")
    group.add_argument("--write", action="store_true", help="write the locks the last --upgrade proposed")
    args = ap.parse_args(argv)
    if args.write:
        missing = [lock for _, lock, _ in LOCKS if not (UPGRADE / lock).exists()]
        if missing:
            sys.exit(f"no proposed lock in {UPGRADE.relative_to(ROOT)}: run `make upgrade` first")
        for _, lock, _ in LOCKS:
            shutil.copy(UPGRADE / lock, ROOT / lock)
        print("locks written; now `make outputs` (stored outputs from the new versions), read the diff, `make test`")
        return 0
    if args.upgrade:
        shutil.rmtree(UPGRADE, ignore_errors=True)
        compile_all(UPGRADE, upgrade=True)
        return report({lock: moved(ROOT / lock, UPGRADE / lock) for _, lock, _ in LOCKS}, *trial(UPGRADE))
    compile_all(ROOT, upgrade=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())

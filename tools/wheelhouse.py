"""The workshop kit's offline install: a wheelhouse made in advance, installed with no package index.

    python tools/wheelhouse.py download [--dest wheelhouse] [--requirements requirements.txt]
                                        [--platform TAG ...] [--python-version X.Y ...] [-- PIP_ARGS]
    python tools/wheelhouse.py install  [--wheelhouse wheelhouse] [--venv .venv]
                                        [--requirements requirements.txt] [-- PIP_ARGS]

`download` (before the workshop, with network) saves into the wheelhouse every package that
requirements.txt needs, plus what builds its local projects (`-e .`: pyproject.toml's build requirements
and wheel) and pip. The local project lines themselves are left out: `pip download -e .` would zip the
whole folder, .venv included. Run it with the Python the participants have, on the same operating system:
pip evaluates environment markers (`; python_version < "3.11"`, `; sys_platform == "win32"`) for the
machine it runs on, even with --platform and --python-version (those only choose which wheel files fit).

`install` (in the room, no network) creates the virtual environment if it is missing, installs
requirements.txt from the wheelhouse with --no-index (the editable `-e .` builds from the wheelhouse's
setuptools), runs `pip check`, and touches <venv>/.installed, the Makefile's install stamp, so that
`make lab` does not try to reinstall from the index.

Every failure is one line on stderr and exit status 2 (pip's own output above it says why).
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROG = "tools/wheelhouse.py"
MIN_PYTHON = (3, 10)
STAMP = ".installed"  # the Makefile's $(STAMP) is $(VENV)/.installed
# PEP 517: what builds a project whose pyproject.toml names no build system.
DEFAULT_BUILD_REQUIRES = ["setuptools>=40.8.0"]
ARCHIVES = (".whl", ".tar.gz", ".zip", ".tar.bz2")


class Failure(Exception):
    """A one-line reason to stop."""


# --- requirements ---------------------------------------------------------------------------------


def _logical_lines(text: str) -> list[str]:
    """Requirement lines with comments removed and backslash continuations joined, as pip reads them."""
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = re.sub(r"(^|\s+)#.*$", "", raw)
        if line.endswith("\\"):
            pending += line[:-1]
            continue
        line, pending = (pending + line).strip(), ""
        if line:
            lines.append(line)
    if pending.strip():
        lines.append(pending.strip())
    return lines


def _option_value(line: str, *names: str) -> str | None:
    """The value of `-e X`, `--editable=X`, `-eX` style lines for any of `names`, else None."""
    for name in names:
        if line == name:
            return ""
        if line.startswith(name + "=") or line.startswith(name + " ") or line.startswith(name + "\t"):
            return line[len(name) + 1 :].strip()
        if not name.startswith("--") and line.startswith(name) and len(line) > len(name):
            return line[len(name) :].strip()  # -e. / -rfile
    return None


def _local_project(target: str, base: Path) -> Path | None:
    """The folder `target` names, if it is a local project (pyproject.toml or setup.py), else None."""
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", target) and not target.startswith("file:"):
        return None  # a URL (git+https://..., https://...): pip download fetches it itself
    path = target.removeprefix("file://").removeprefix("file:")
    path = path.split("#", 1)[0].split("[", 1)[0]  # `.[extra]`, `path#egg=name`
    if not path:
        return None
    folder = (base / path).resolve()
    if folder.is_dir() and ((folder / "pyproject.toml").is_file() or (folder / "setup.py").is_file()):
        return folder
    return None


def split_requirements(path: Path) -> tuple[list[str], list[Path]]:
    """requirements.txt as (lines pip download can take, local project folders left out of them).

    Local projects (`-e .`, `./pkg`) are resolved against the file's folder, as `make` runs pip from
    there; nested `-r`/`-c` files are made absolute so the lines work from a temporary file."""
    base = path.resolve().parent
    kept: list[str] = []
    projects: list[Path] = []
    for line in _logical_lines(path.read_text(encoding="utf-8")):
        editable = _option_value(line, "-e", "--editable")
        if editable is not None:
            project = _local_project(editable, base)
            if project is not None:
                projects.append(project)
                continue
            kept.append(line)
            continue
        nested = _option_value(line, "-r", "--requirement", "-c", "--constraint")
        if nested is not None:
            flag = "-c" if line.startswith(("-c", "--constraint")) else "-r"
            target = nested if re.match(r"^[a-z]+://", nested) else str((base / nested).resolve())
            kept.append(f"{flag} {target}")
            continue
        if not line.startswith("-"):
            project = _local_project(line.split(";", 1)[0].strip(), base)
            if project is not None:
                projects.append(project)
                continue
        kept.append(line)
    return kept, projects


def _toml_array(text: str, table: str, key: str) -> list[str] | None:
    """A string array from a simple pyproject.toml, for Python 3.10 (no tomllib)."""
    section = re.search(rf"(?ms)^\[{re.escape(table)}\]\s*$(.*?)(?=^\[|\Z)", text)
    if not section:
        return None
    found = re.search(rf"(?ms)^{re.escape(key)}\s*=\s*\[(.*?)\]", section.group(1))
    if not found:
        return None
    body = re.sub(r"(?m)#.*$", "", found.group(1))
    return [a or b for a, b in re.findall(r'"([^"]*)"|\'([^\']*)\'', body)]


def project_requirements(folder: Path) -> list[str]:
    """What installing the project at `folder` needs from the wheelhouse: how it is built (plus wheel,
    which older setuptools need for editable installs) and what it depends on."""
    needs: list[str] = []
    pyproject = folder / "pyproject.toml"
    build: list[str] | None = None
    deps: list[str] | None = None
    if pyproject.is_file():
        text = pyproject.read_text(encoding="utf-8")
        try:
            import tomllib
        except ImportError:  # Python 3.10
            build = _toml_array(text, "build-system", "requires")
            deps = _toml_array(text, "project", "dependencies")
        else:
            data = tomllib.loads(text)
            build = data.get("build-system", {}).get("requires")
            deps = data.get("project", {}).get("dependencies")
    needs += build if build is not None else DEFAULT_BUILD_REQUIRES
    needs += deps or []
    needs.append("wheel")
    return needs


# --- commands -------------------------------------------------------------------------------------


def _run(cmd: list[str], cwd: Path | None = None) -> None:
    print("+ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    if subprocess.run(cmd, cwd=cwd).returncode != 0:
        raise Failure(f"this command failed: {' '.join(cmd[:4])} ... (pip's messages above say why)")


def _check_python(version: tuple[int, ...], what: str) -> None:
    if tuple(version[:2]) < MIN_PYTHON:
        need = ".".join(map(str, MIN_PYTHON))
        have = ".".join(map(str, version[:3]))
        raise Failure(f"{what} is Python {have}; the course needs {need} or newer (make ... PYTHON=python3.12)")


def download_commands(
    requirements: Path,
    dest: Path,
    reqfile: Path,
    platforms: list[str],
    versions: list[str],
    pip_args: list[str],
    python: str = sys.executable,
) -> list[list[str]]:
    """The pip download runs: one per target (platform x Python version), all into `dest`.

    Writes the filtered requirements to `reqfile` (local projects left out, what they need added)."""
    kept, projects = split_requirements(requirements)
    extra: list[str] = []
    for folder in projects:
        extra += project_requirements(folder)
    extra.append("pip")  # so the room's virtual environments can upgrade pip offline too
    seen: set[str] = set()
    lines = [x for x in kept + extra if not (x in seen or seen.add(x))]
    reqfile.write_text("\n".join(lines) + "\n", encoding="utf-8")
    base = [python, "-m", "pip", "download", "--dest", str(dest), "--requirement", str(reqfile)]
    if not platforms and not versions:
        return [base + pip_args]
    runs = []
    for platform in platforms or [None]:
        for version in versions or [None]:
            target = ["--only-binary=:all:"]  # pip's rule when the target is not this interpreter
            if platform:
                target += ["--platform", platform]
            if version:
                target += ["--python-version", version]
            runs.append(base + target + pip_args)
    return runs


def download(args: argparse.Namespace) -> None:
    _check_python(sys.version_info, "this interpreter")
    requirements = Path(args.requirements)
    if not requirements.is_file():
        raise Failure(f"no requirements file at {requirements}")
    dest = Path(args.dest)
    dest.mkdir(parents=True, exist_ok=True)
    if args.platform or args.python_version:
        print(
            "note: pip evaluates environment markers for THIS machine, so dependencies that only another Python\n"
            "      version or operating system needs can be missing; build the wheelhouse on a machine like the\n"
            "      participants' if you can, and try `install` from it on one before the workshop.",
            file=sys.stderr,
        )
    with tempfile.TemporaryDirectory(prefix="wheelhouse-") as tmp:
        reqfile = Path(tmp) / "requirements.txt"
        runs = download_commands(
            requirements, dest.resolve(), reqfile, args.platform, args.python_version, args.pip_args
        )
        for cmd in runs:
            _run(cmd, cwd=requirements.resolve().parent)
    files = [p for p in dest.iterdir() if p.name.endswith(ARCHIVES)]
    size = sum(p.stat().st_size for p in files) / 1e6
    sdists = sorted(p.name for p in files if not p.name.endswith(".whl"))
    print(f"{dest}: {len(files)} files, {size:.0f} MB. Install in the room with: make offline-install")
    if sdists:
        print(
            f"note: {len(sdists)} source archive(s), which need a compiler or build tools offline: "
            + ", ".join(sdists),
            file=sys.stderr,
        )


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def install(args: argparse.Namespace) -> None:
    requirements = Path(args.requirements).resolve()
    wheelhouse = Path(args.wheelhouse).resolve()
    venv = Path(args.venv).resolve()
    if not requirements.is_file():
        raise Failure(f"no requirements file at {requirements}")
    if not wheelhouse.is_dir() or not any(p.name.endswith(ARCHIVES) for p in wheelhouse.iterdir()):
        raise Failure(f"no wheelhouse at {wheelhouse}: make it first, with network, by `make wheelhouse`")
    python = venv_python(venv)
    if not python.exists():
        _check_python(sys.version_info, "this interpreter")
        _run([sys.executable, "-m", "venv", str(venv)])
    probe = subprocess.run(
        [str(python), "-c", "import sys; print(*sys.version_info[:3])"], capture_output=True, text=True
    )
    if probe.returncode != 0:
        raise Failure(f"{python} does not run; delete {venv} and try again")
    _check_python(tuple(int(x) for x in probe.stdout.split()), str(venv))
    pip = [str(python), "-m", "pip", "--disable-pip-version-check"]
    offline = ["install", "--no-index", "--find-links", str(wheelhouse)]
    if any(p.name.startswith("pip-") and p.name.endswith(".whl") for p in wheelhouse.iterdir()):
        _run(pip + offline + ["--upgrade", "pip"])
    # From the requirements file's folder, where pip resolves `-e .`, as `make install` does.
    _run(pip + offline + ["--requirement", str(requirements), *args.pip_args], cwd=requirements.parent)
    _run(pip + ["check"])
    (venv / STAMP).touch()
    print(f"Installed from {wheelhouse} with no index into {venv}.")


# --- command line ---------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description="Make a wheelhouse, or install from one with no index.")
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("download", help="(online) download every package requirements.txt needs")
    d.add_argument("--dest", default=str(ROOT / "wheelhouse"), help="folder to fill (default ./wheelhouse)")
    d.add_argument("--requirements", default=str(ROOT / "requirements.txt"))
    d.add_argument(
        "--platform",
        action="append",
        default=[],
        help="a wheel platform tag such as win_amd64, macosx_14_0_arm64, manylinux_2_28_x86_64 (repeatable)",
    )
    d.add_argument("--python-version", action="append", default=[], help="e.g. 3.12 (repeatable)")
    i = sub.add_parser("install", help="(offline) create the venv if needed and install from the wheelhouse")
    i.add_argument("--wheelhouse", default=str(ROOT / "wheelhouse"))
    i.add_argument("--venv", default=str(ROOT / ".venv"))
    i.add_argument("--requirements", default=str(ROOT / "requirements.txt"))
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    pip_args: list[str] = []
    if "--" in argv:  # everything after -- goes to pip unchanged
        cut = argv.index("--")
        argv, pip_args = argv[:cut], argv[cut + 1 :]
    args = _parser().parse_args(argv)
    args.pip_args = pip_args
    try:
        if args.command == "download":
            download(args)
        else:
            install(args)
    except Failure as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

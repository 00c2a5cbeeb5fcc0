"""The workshop kit's offline install: a wheelhouse made in advance, installed with no package index.

    python tools/wheelhouse.py download [--dest wheelhouse] [--requirements requirements.txt]
                                        [--platform TAG ...] [--python-version X.Y ...] [-- PIP_ARGS]
    python tools/wheelhouse.py install  [--wheelhouse wheelhouse] [--venv .venv]
                                        [--requirements requirements.txt] [-- PIP_ARGS]

`download` (before the workshop, with network) saves into the wheelhouse every package that
requirements.txt needs, plus what builds its local projects (`-e .`: pyproject.toml's build requirements
and wheel) and pip. The local project lines themselves are left out: `pip download -e .` would zip the
whole folder, .venv included. By default it downloads for the Python running it, on this operating
system. --platform and --python-version download for other targets, one run each into the same folder;
pip evaluates environment markers (`; sys_platform == "win32"`, `; python_version < "3.11"`) for this
machine even then, so each target's wheels are then scanned and what their markers add for the target
(colorama and pywinpty on Windows, appnope on macOS, tomli before 3.11) is downloaded too.

`install` (in the room, no network) creates the virtual environment if it is missing, installs
requirements.txt from the wheelhouse with --no-index (the editable `-e .` builds from the wheelhouse's
setuptools), runs `pip check`, and touches <venv>/.installed, the Makefile's install stamp, so that
`make lab` does not try to reinstall from the index.

Every failure is one line on stderr and exit status 2 (pip's own output above it says why).
"""

from __future__ import annotations

import argparse
import email
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

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


def download_requirements(requirements: Path) -> list[str]:
    """What pip download gets: requirements.txt less its local projects, plus what those projects need
    (build requirements, wheel, dependencies) and pip, so the room's environments can upgrade pip too."""
    kept, projects = split_requirements(requirements)
    extra: list[str] = []
    for folder in projects:
        extra += project_requirements(folder)
    extra.append("pip")
    seen: set[str] = set()
    return [x for x in kept + extra if not (x in seen or seen.add(x))]


def targets(platforms: list[str], versions: list[str]) -> list[tuple[str | None, str | None]]:
    """(platform, Python version) pairs, one pip download each; (None, None) is this interpreter."""
    return [(p, v) for p in platforms or [None] for v in versions or [None]]


def target_args(platform: str | None, version: str | None) -> list[str]:
    if not platform and not version:
        return []
    args = ["--only-binary=:all:"]  # pip's rule when the target is not this interpreter
    if platform:
        args += ["--platform", platform]
    if version:
        args += ["--python-version", version]
    return args


def download_command(reqfile: Path, dest: Path, target: list[str], pip_args: list[str]) -> list[str]:
    pip = [sys.executable, "-m", "pip", "download", "--dest", str(dest)]
    return [*pip, "--requirement", str(reqfile), *target, *pip_args]


# --- another platform or Python version -----------------------------------------------------------


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _packaging() -> Any:
    try:
        import packaging.requirements as requirements
    except ImportError:  # pip always carries a copy
        import pip._vendor.packaging.requirements as requirements  # type: ignore[no-redef]
    return requirements


def target_environment(platform: str | None, version: str | None) -> dict[str, str]:
    """Marker variables for a wheel platform tag and Python version (the rest stay this machine's)."""
    env: dict[str, str] = {}
    if version:
        env.update(python_version=version, python_full_version=f"{version}.0")
    tag = (platform or "").lower()
    if tag.startswith("win"):
        env.update(sys_platform="win32", os_name="nt", platform_system="Windows")
        env["platform_machine"] = {"win32": "x86", "win_arm64": "ARM64"}.get(tag, "AMD64")
    elif tag.startswith("macosx"):
        env.update(sys_platform="darwin", os_name="posix", platform_system="Darwin")
        env["platform_machine"] = re.sub(r"^macosx_\d+_\d+_", "", tag).replace("universal2", "arm64")
    elif "linux" in tag:
        env.update(sys_platform="linux", os_name="posix", platform_system="Linux")
        env["platform_machine"] = re.sub(r"^.*linux(_\d+_\d+|\d+)?_", "", tag)
    return env


def missing_for_target(dest: Path, env: dict[str, str]) -> list[str]:
    """Requirements of the wheels in `dest` whose markers hold for `env` but that `dest` lacks."""
    requirements = _packaging()
    have = {_canonical(p.name.split("-", 1)[0]) for p in dest.glob("*.whl")}
    have |= {_canonical(p.name.rsplit("-", 1)[0]) for p in dest.iterdir() if p.name.endswith(ARCHIVES[1:])}
    missing: dict[str, str] = {}
    for wheel in sorted(dest.glob("*.whl")):
        with zipfile.ZipFile(wheel) as z:
            meta = next((n for n in z.namelist() if n.endswith(".dist-info/METADATA") and n.count("/") == 1), None)
            if meta is None:
                continue
            message = email.message_from_bytes(z.read(meta))
        for line in message.get_all("Requires-Dist") or []:
            req = requirements.Requirement(line)
            name = _canonical(req.name)
            if name in have or name in missing or req.marker is None:
                continue
            if req.marker.evaluate({**env, "extra": ""}):
                req.marker = None
                missing[name] = str(req)
    return sorted(missing.values())


def complete_for_target(dest: Path, platform: str | None, version: str | None, pip_args: list[str]) -> None:
    """pip download evaluated markers for this machine: add what the target needs besides (colorama and
    pywinpty on Windows, appnope on macOS, tomli and exceptiongroup before Python 3.11), until none lacks."""
    env = target_environment(platform, version)
    pip = [sys.executable, "-m", "pip", "download", "--dest", str(dest)]
    for _ in range(5):
        missing = missing_for_target(dest, env)
        if not missing:
            return
        print(f"for {platform or 'this platform'} / Python {version or 'this version'} also: {', '.join(missing)}")
        _run([*pip, *target_args(platform, version), *pip_args, *missing])
    raise Failure(f"still missing for {platform} / {version} after 5 rounds: {', '.join(missing)}")


def download(args: argparse.Namespace) -> None:
    _check_python(sys.version_info, "this interpreter")
    requirements = Path(args.requirements).resolve()
    if not requirements.is_file():
        raise Failure(f"no requirements file at {requirements}")
    dest = Path(args.dest).resolve()
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="wheelhouse-") as tmp:
        reqfile = Path(tmp) / "requirements.txt"
        reqfile.write_text("\n".join(download_requirements(requirements)) + "\n", encoding="utf-8")
        for n, (platform, version) in enumerate(targets(args.platform, args.python_version)):
            target = target_args(platform, version)
            if not target:  # this interpreter: pip gets everything right
                _run(download_command(reqfile, dest, target, args.pip_args), cwd=requirements.parent)
                continue
            # Another target: its own folder first, completed for its markers, then merged, so a wheel another
            # target already brought (pywinpty for Python 3.11) does not hide one this target lacks (3.13).
            part = Path(tmp) / f"target-{n}"
            _run(download_command(reqfile, part, target, args.pip_args), cwd=requirements.parent)
            complete_for_target(part, platform, version, args.pip_args)
            for f in part.iterdir():
                if not (dest / f.name).exists():
                    shutil.move(str(f), dest / f.name)
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

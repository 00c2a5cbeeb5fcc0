"""The workshop kit: tools/wheelhouse.py (offline install) and the Binder / repo2docker build plan.

Nothing here uses the network. Wheels are written by the small stdlib wheel writer below (a tiny dependency
and a tiny PEP 517/660 build backend), so the install side runs end to end with `--no-index`, build
isolation and an editable `-e .` exactly as in the room, without setuptools or an index. pip is cut off
from every index, find-links and proxy of this machine's configuration: anything not in the wheelhouse fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOOL = [sys.executable, str(ROOT / "tools" / "wheelhouse.py")]
sys.path.insert(0, str(ROOT / "tools"))

import wheelhouse  # noqa: E402

# The backend is a module inside a wheel; the test uses its wheel writer too, so there is one copy.
BACKEND = textwrap.dedent(
    '''
    """A PEP 517/660 build backend in a few lines: reads tiny.json, writes a wheel (editable: a .pth)."""
    import base64, hashlib, json, os, zipfile
    from pathlib import Path

    def write_wheel(directory, name, version, files, requires=()):
        dist = f"{name}-{version}"
        info = f"{dist}.dist-info"
        files = dict(files)
        files[f"{info}/METADATA"] = (
            f"Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n"
            + "".join(f"Requires-Dist: {r}\\n" for r in requires)
        )
        files[f"{info}/WHEEL"] = "Wheel-Version: 1.0\\nGenerator: tiny\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
        record = []
        path = Path(directory) / f"{dist}-py3-none-any.whl"
        with zipfile.ZipFile(path, "w") as z:
            for arc, data in files.items():
                data = data.encode() if isinstance(data, str) else data
                digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
                record.append(f"{arc},sha256={digest},{len(data)}")
                z.writestr(arc, data)
            z.writestr(f"{info}/RECORD", "\\n".join(record + [f"{info}/RECORD,,"]) + "\\n")
        return path.name

    def _build(directory, editable):
        meta = json.loads(Path("tiny.json").read_text(encoding="utf-8"))
        if editable:
            files = {f"__editable__.{meta['name']}.pth": os.path.abspath(".") + "\\n"}
        else:
            files = {p.as_posix(): p.read_bytes() for pkg in meta["packages"] for p in Path(pkg).rglob("*.py")}
        return write_wheel(directory, meta["name"], meta["version"], files, meta.get("dependencies", []))

    def get_requires_for_build_wheel(config_settings=None):
        return []

    get_requires_for_build_editable = get_requires_for_build_wheel

    def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
        return _build(wheel_directory, editable=False)

    def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
        return _build(wheel_directory, editable=True)
    '''
)
tiny = types.ModuleType("tinybackend")
exec(compile(BACKEND, "tinybackend.py", "exec"), tiny.__dict__)


def offline_env() -> dict[str, str]:
    """This environment less pip's configuration (indexes, find-links, constraints), with proxies that
    refuse every connection: a step that would need the network fails instead of quietly using it."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("PIP_", "NO_PROXY"))}
    dead = "http://127.0.0.1:9"
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_NO_INPUT="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        HTTP_PROXY=dead,
        HTTPS_PROXY=dead,
        http_proxy=dead,
        https_proxy=dead,
    )
    return env


def run_tool(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TOOL, *args], capture_output=True, text=True, env=offline_env(), cwd=cwd, timeout=180)


@pytest.fixture
def course(tmp_path: Path) -> dict[str, Path]:
    """A course-like project (requirements.txt with a dependency and `-e .`) and a source of wheels."""
    src = tmp_path / "wheels"
    src.mkdir()
    tiny.write_wheel(src, "tinydep", "1.0", {"tinydep/__init__.py": "VALUE = 42\n"})
    tiny.write_wheel(src, "tinybackend", "1.0", {"tinybackend.py": BACKEND})
    project = tmp_path / "course"
    (project / "tinycourse").mkdir(parents=True)
    (project / "tinycourse" / "__init__.py").write_text("from tinydep import VALUE\n", encoding="utf-8")
    (project / "tiny.json").write_text(
        json.dumps({"name": "tinycourse", "version": "0.1", "packages": ["tinycourse"], "dependencies": ["tinydep"]})
    )
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["tinybackend>=1"]\nbuild-backend = "tinybackend"\n\n'
        '[project]\nname = "tinycourse"\ndependencies = ["tinydep>=1.0"]\n'
    )
    (project / "requirements.txt").write_text("# like the course's\ntinydep>=1.0\n-e .\n", encoding="utf-8")
    return {"src": src, "project": project, "tmp": tmp_path}


# --- what `make wheelhouse` downloads --------------------------------------------------------------


def test_download_list_leaves_out_the_editable_repo_and_adds_what_builds_it():
    lines = wheelhouse.download_requirements(ROOT / "requirements.txt")
    assert not [x for x in lines if x.startswith("-e") or x == "."], "pip download -e . zips the whole repo"
    build = wheelhouse.project_requirements(ROOT)  # pyproject's build requirements and dependencies, and wheel
    assert any(x.startswith("setuptools") for x in build) and "wheel" in build
    assert set(build) <= set(lines) and "pip" in lines  # so `-e .` builds offline, and pip upgrades offline
    kept, projects = wheelhouse.split_requirements(ROOT / "requirements.txt")
    assert projects == [ROOT]
    for name in ("anthropic==", "jupyterlab==", "uvicorn=="):
        assert any(x.startswith(name) for x in kept), name
    for tool in ("nbval", "pytest", "ruff", "playwright"):  # a room installs what a learner runs, no test tool
        assert not any(x.startswith(tool) for x in kept), tool


def test_pyproject_fallback_for_python_3_10_reads_what_tomllib_reads():
    tomllib = pytest.importorskip("tomllib")
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert wheelhouse._toml_array(text, "build-system", "requires") == data["build-system"]["requires"]
    assert wheelhouse._toml_array(text, "project", "dependencies") == data["project"]["dependencies"]


def test_requirement_lines_as_pip_reads_them(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "setup.py").write_text("", encoding="utf-8")
    (tmp_path / "more.txt").write_text("six\n", encoding="utf-8")
    req = tmp_path / "requirements.txt"
    req.write_text(
        "# comment\nrequests>=2  # trailing comment\n--editable=./pkg\n./pkg\n-r more.txt\n"
        "-e git+https://example.invalid/x.git#egg=x\nfoo \\\n  >=1\n--pre\n"
    )
    kept, projects = wheelhouse.split_requirements(req)
    assert projects == [tmp_path / "pkg", tmp_path / "pkg"]
    assert kept == [
        "requests>=2",
        f"-r {tmp_path / 'more.txt'}",
        "-e git+https://example.invalid/x.git#egg=x",
        "foo   >=1",
        "--pre",
    ]
    assert wheelhouse.project_requirements(tmp_path / "pkg") == ["setuptools>=40.8.0", "wheel"]  # PEP 517 default


def test_targets_download_binary_wheels_only():
    assert wheelhouse.target_args(None, None) == []
    assert wheelhouse.target_args("win_amd64", "3.12") == [
        "--only-binary=:all:",
        "--platform",
        "win_amd64",
        "--python-version",
        "3.12",
    ]
    assert wheelhouse.targets(["a", "b"], ["3.11", "3.13"]) == [
        ("a", "3.11"),
        ("a", "3.13"),
        ("b", "3.11"),
        ("b", "3.13"),
    ]


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("win_amd64", {"sys_platform": "win32", "os_name": "nt", "platform_machine": "AMD64"}),
        ("macosx_10_9_x86_64", {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "x86_64"}),
        ("macosx_14_0_arm64", {"sys_platform": "darwin", "platform_machine": "arm64"}),
        ("manylinux2014_aarch64", {"sys_platform": "linux", "platform_machine": "aarch64"}),
        ("manylinux_2_28_x86_64", {"sys_platform": "linux", "platform_machine": "x86_64"}),
    ],
)
def test_marker_environment_of_a_platform_tag(tag, expected):
    env = wheelhouse.target_environment(tag, "3.10")
    assert env["python_version"] == "3.10"
    assert expected.items() <= env.items()


def test_what_markers_add_for_another_target_is_found(tmp_path):
    # pip download evaluates markers for this machine; the wheelhouse then lacks what Windows or 3.10 need.
    tiny.write_wheel(
        tmp_path,
        "ipythonish",
        "1.0",
        {},
        [
            'colorama>=0.4.4; sys_platform == "win32"',
            'pexpect>4.3; sys_platform != "win32"',
            'tomli>=1.2.2; python_version < "3.11"',
            'pytest; extra == "test"',
            "six",
        ],
    )
    tiny.write_wheel(tmp_path, "six", "1.0", {})
    win = wheelhouse.missing_for_target(tmp_path, wheelhouse.target_environment("win_amd64", "3.12"))
    assert win == ["colorama>=0.4.4"]
    linux310 = wheelhouse.missing_for_target(tmp_path, wheelhouse.target_environment("manylinux_2_28_x86_64", "3.10"))
    assert linux310 == ["pexpect>4.3", "tomli>=1.2.2"]


def test_download_with_no_network_saves_wheels_and_never_the_project(course):
    # Stand-ins for the two extras every wheelhouse gets; never installed.
    tiny.write_wheel(course["src"], "wheel", "0.0.1", {})
    tiny.write_wheel(course["src"], "pip", "0.0.1", {})
    dest = course["tmp"] / "wheelhouse"
    out = run_tool(
        "download",
        "--dest",
        str(dest),
        "--requirements",
        str(course["project"] / "requirements.txt"),
        "--",
        "--no-index",
        "--find-links",
        str(course["src"]),
    )
    assert out.returncode == 0, out.stdout + out.stderr
    names = sorted(p.name for p in dest.iterdir())
    assert names == [
        "pip-0.0.1-py3-none-any.whl",
        "tinybackend-1.0-py3-none-any.whl",  # pyproject's build-system requires: the offline `-e .` builds
        "tinydep-1.0-py3-none-any.whl",
        "wheel-0.0.1-py3-none-any.whl",
    ]
    assert "4 files" in out.stdout


# --- what `make offline-install` does --------------------------------------------------------------


def test_offline_install_builds_the_editable_project_from_the_wheelhouse_alone(course):
    wheels = course["src"]  # tinydep and tinybackend: nothing else exists for pip
    venv = course["tmp"] / "venv"
    out = run_tool(
        "install",
        "--wheelhouse",
        str(wheels),
        "--venv",
        str(venv),
        "--requirements",
        str(course["project"] / "requirements.txt"),
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "--no-index" in out.stdout and "No broken requirements found" in out.stdout
    assert (venv / wheelhouse.STAMP).is_file()  # `make lab` will not reinstall from the index
    python = wheelhouse.venv_python(venv)
    probe = subprocess.run(
        [str(python), "-c", "import tinycourse, tinydep; print(tinycourse.VALUE, tinycourse.__file__)"],
        capture_output=True,
        text=True,
        cwd=course["tmp"],
        timeout=60,
    )
    value, where = probe.stdout.split()
    assert value == "42"
    assert Path(where).resolve() == (course["project"] / "tinycourse" / "__init__.py").resolve()  # editable

    # A second run reuses the environment and stays offline.
    again = run_tool(
        "install",
        "--wheelhouse",
        str(wheels),
        "--venv",
        str(venv),
        "--requirements",
        str(course["project"] / "requirements.txt"),
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert "-m venv" not in again.stdout


def test_offline_install_without_a_wheelhouse_says_what_to_do(tmp_path):
    (tmp_path / "empty").mkdir()
    out = run_tool("install", "--wheelhouse", str(tmp_path / "empty"), "--venv", str(tmp_path / "venv"))
    assert out.returncode == 2 and not (tmp_path / "venv").exists()
    assert out.stderr.strip().splitlines() == [
        f"tools/wheelhouse.py: error: no wheelhouse at {tmp_path / 'empty'}: make it first, with network, "
        "by `make wheelhouse`"
    ]


def test_old_python_is_refused_with_the_fix():
    with pytest.raises(wheelhouse.Failure, match=r"Python 3\.9\.18; the course needs 3\.10 or newer"):
        wheelhouse._check_python((3, 9, 18), "python3")


# --- Binder / repo2docker --------------------------------------------------------------------------


def _repo2docker() -> str | None:
    here = Path(sys.executable).parent / "jupyter-repo2docker"
    return str(here) if here.exists() else shutil.which("jupyter-repo2docker")


def test_repo2docker_build_plan_installs_the_repo_editable():
    """`jupyter-repo2docker --no-build` prints the Dockerfile without Docker: pip runs from the copied repo,
    and postBuild restores the editable install after repo2docker's own `pip install .`."""
    exe = _repo2docker()
    if exe is None:
        pytest.skip(
            "SKIPPED LOUDLY: jupyter-repo2docker is not installed, so the Binder build plan is not checked; "
            "add `jupyter-repo2docker` to requirements.txt (Tests) to check it here"
        )
    out = subprocess.run(
        [exe, "--no-build", "--user-id", "1000", "--user-name", "jovyan", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    plan = out.stdout.splitlines()

    def at(line: str) -> int:
        hits = [i for i, x in enumerate(plan) if x.strip() == line]
        assert hits, f"not in the build plan: {line}\n{out.stdout}"
        return hits[0]

    workdir = at("WORKDIR ${REPO_DIR}")
    copy = at("COPY --chown=1000:1000 src/ ${REPO_DIR}/")
    requirements = at('RUN ${KERNEL_PYTHON_PREFIX}/bin/pip install --no-cache-dir -r "requirements.txt"')
    assert workdir < copy < requirements  # `-e .` resolves against the whole repository
    plain = [
        i for i, x in enumerate(plan) if x.strip() == "RUN ${KERNEL_PYTHON_PREFIX}/bin/pip install --no-cache-dir ."
    ]
    if plain:  # pyproject.toml makes this a package: the editable install is replaced, postBuild restores it
        assert at("RUN ./postBuild") > plain[0]
        post = (ROOT / "postBuild").read_text(encoding="utf-8")
        assert post.startswith("#!") and "--editable ." in post
        assert os.access(ROOT / "postBuild", os.X_OK)
    chosen = re.search(r"python=(\d+)\.(\d+)", out.stderr)  # the Python Binder gets
    assert chosen and (int(chosen[1]), int(chosen[2])) >= (3, 10), out.stderr  # pyproject: requires-python >=3.10

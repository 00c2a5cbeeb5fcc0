"""The course starts where POSIX-only modules are missing, as on Windows.

The first three tests run a fresh interpreter whose PYTHONPATH starts with a `sitecustomize.py` that
makes `import fcntl` (and termios, pwd, grp, resource) raise ImportError: the core in replay and live
mode, and notebook 00 under nbval, whose kernel inherits the same PYTHONPATH and so runs under the stub
too (00: the notebook a learner opens first, with a replayed call and the spend ledger, and no `%%bash`
cell, which would need Git Bash on Windows). Nothing may print a warning or a traceback there (nbval
compares stderr like any other output). `sys.platform` still says linux, so a library that picks its
Windows code by platform takes its no-fcntl fallback here instead.

A static scan of helpers/ catches what the stub cannot emulate on this machine: calls missing on Windows
and `os.kill(pid, 0)`, which on Windows terminates the process instead of probing it. A function that
tests `sys.platform` or `os.name` is trusted to keep such calls out of its Windows branch.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HELPERS = ROOT / "helpers"
BLOCKED = ("fcntl", "termios", "pwd", "grp", "resource")

SITECUSTOMIZE_TEMPLATE = '''
"""Written by tests/test_portable.py: this interpreter behaves as if POSIX-only modules were missing."""
import importlib.abc
import sys

_BLOCKED = {blocked!r}


class _NoPosix(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name in _BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}} (POSIX-only; blocked as on Windows)", name=name)
        return None


for _name in _BLOCKED:
    sys.modules.pop(_name, None)
sys.meta_path.insert(0, _NoPosix())
'''

# Runs under the stub: setup() in replay, one replayed call, a live gateway's reserve/settle through a
# fake upstream, and the ledger's own round trip. Any warning or traceback shows up on stderr.
CORE = """
import importlib
import json
import sys
from pathlib import Path

for name in {blocked!r}:
    try:
        importlib.import_module(name)
    except ImportError:
        pass
    else:
        sys.exit(f"the stub let {{name}} import: this test would prove nothing")

import anthropic
import helpers
from fake_upstream import FakeUpstream, Reply, message
from helpers.gateway import Gateway
from helpers.gateway.budget import Estimate, Ledger
from helpers.gateway.meter import Charge
from helpers.gateway.upstream import Upstream
from helpers.session import teardown

tmp = Path(sys.argv[1])
helpers.setup("01_first_request")
session = helpers.current_session()
assert session.mode == "replay", session.mode
reply = anthropic.Anthropic().messages.create(  # the course's model: the recording follows a switch
    model=helpers.OPUS, max_tokens=1024, messages=[{{"role": "user", "content": "Hello, Claude!"}}]
)
assert reply.content[0].text, reply
teardown()

ledger = Ledger(tmp / "ledger.json", 1.0)
rid = ledger.reserve(Estimate(0.25, "a test call"))
assert ledger.snapshot()["reserved"] == 0.25, ledger.snapshot()
ledger.settle(rid, [Charge("claude-opus-4-6", 10, 20, 0.01)])
snap = ledger.snapshot()
assert snap["reserved"] == 0 and abs(snap["spent"] - 0.01) < 1e-9, snap
assert Ledger(tmp / "ledger.json", 1.0).snapshot()["spent"] == snap["spent"], "the ledger did not persist"

fake = FakeUpstream()
fake.replies.append(Reply(body=message("live")))
live_ledger = Ledger(tmp / "live.json", 2.0)
with Gateway([], mode="live", upstream=Upstream(fake.url), ledger=live_ledger, speed=0) as gw:
    client = anthropic.Anthropic(base_url=gw.url, api_key="sk-ant-test-not-a-key", max_retries=0)
    answer = client.messages.create(
        model="claude-opus-4-6", max_tokens=100, messages=[{{"role": "user", "content": "hi"}}]
    )
    assert answer.content[0].text == "live", answer
    assert not gw.crashes, gw.crashes
fake.stop()
live = live_ledger.snapshot()
assert live["spent"] > 0 and live["reserved"] == 0, live
print(json.dumps({{"ok": True, "spent": live["spent"]}}))
"""


SITECUSTOMIZE = SITECUSTOMIZE_TEMPLATE.format(blocked=BLOCKED)
# A kernel's third-party stack picks its Linux backend by platform (psutil imports resource there, as it
# never would on Windows), so the notebook run blocks only what the course itself used to need.
KERNEL_BLOCKED = ("fcntl",)


def _stub_env(stub: Path, blocked: tuple[str, ...]) -> dict[str, str]:
    (stub / "sitecustomize.py").write_text(SITECUSTOMIZE_TEMPLATE.format(blocked=blocked), encoding="utf-8")
    inherited = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    e = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PRIMER_", "ANTHROPIC_", "PYTEST_", "COV_", "COVERAGE_")) and k != "PYTHONPATH"
    }
    e.update(
        PYTHONPATH=os.pathsep.join([str(stub), str(ROOT), str(ROOT / "tests"), *inherited]),
        PRIMER_MODE="replay",
        PRIMER_REPLAY_SPEED="0",
        PRIMER_LEDGER=str(stub / "ledger.json"),  # never the repository's real ledger
        PYTHONWARNINGS="default",
        PYTHONIOENCODING="utf-8",
    )
    return e


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return _stub_env(tmp_path_factory.mktemp("no_posix"), BLOCKED)


@pytest.fixture(scope="module")
def kernel_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return _stub_env(tmp_path_factory.mktemp("no_fcntl"), KERNEL_BLOCKED)


def run(args: list[str], env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, encoding="utf-8", timeout=timeout
    )


def test_the_stub_blocks_posix_modules(env: dict[str, str]) -> None:
    r = run(["-c", "import fcntl"], env)
    assert r.returncode != 0 and "blocked as on Windows" in r.stderr, r.stderr


def test_core_runs_without_posix_modules(env: dict[str, str], tmp_path: Path) -> None:
    r = run(["-c", textwrap.dedent(CORE.format(blocked=BLOCKED)), str(tmp_path)], env)
    assert r.returncode == 0, f"stdout:\n{r.stdout}\nstderr:\n{r.stderr}"
    assert '"ok": true' in r.stdout, r.stdout
    assert r.stderr == "", f"warnings or tracebacks leaked:\n{r.stderr}"


def test_a_notebook_runs_under_nbval_without_fcntl(kernel_env: dict[str, str]) -> None:
    args = [
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:xdist",
        "--nbval",
        "--nbval-current-env",
        "--nbval-sanitize-with",
        "tests/sanitize.cfg",
        "notebooks/00_start_here.ipynb",
    ]
    r = run(args, kernel_env, timeout=120)
    # nbval compares every output, stderr included: a warning in a cell is a failed cell. nbval does not print
    # an unexpected stderr's text; test_core_runs_without_posix_modules shows it.
    assert r.returncode == 0, f"stdout:\n{r.stdout[-6000:]}\nstderr:\n{r.stderr[-3000:]}"
    assert " passed" in r.stdout and "failed" not in r.stdout, r.stdout[-3000:]


# Calls that are missing or dangerous on Windows, by dotted name.
POSIX_CALLS = {
    "os.getuid": "missing on Windows",
    "os.geteuid": "missing on Windows",
    "os.getgid": "missing on Windows",
    "os.fork": "missing on Windows",
    "os.killpg": "missing on Windows",
    "os.setsid": "missing on Windows",
    "os.getpgid": "missing on Windows",
    "os.uname": "missing on Windows",
    "os.chown": "missing on Windows",
    "signal.SIGKILL": "missing on Windows",
    "signal.SIGHUP": "missing on Windows",
    "signal.SIGUSR1": "missing on Windows",
    "signal.SIGALRM": "missing on Windows",
    "signal.alarm": "missing on Windows",
    "signal.setitimer": "missing on Windows",
    "select.select": "works only on sockets on Windows, not pipes or files",
    "select.poll": "missing on Windows",
    "select.epoll": "missing on Windows",
}


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def _checks_platform(node: ast.AST) -> bool:
    return any(_dotted(n) in ("sys.platform", "os.name", "platform.system") for n in ast.walk(node))


def _catches_import_error(node: ast.Try) -> bool:
    names = {_dotted(n) for h in node.handlers if h.type is not None for n in ast.walk(h.type)}
    return bool(names & {"ImportError", "ModuleNotFoundError"})


def _guarded(tree: ast.AST) -> set[int]:
    """Nodes under a platform test (an `if`, or a whole function that tests it) or a `try: ... except ImportError`."""
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if (
            (isinstance(node, ast.If) and _checks_platform(node.test))
            or (isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _checks_platform(node))
            or (isinstance(node, ast.Try) and _catches_import_error(node))
        ):
            guarded.update(id(n) for n in ast.walk(node))
    return guarded


def posix_findings(source: str, filename: str) -> list[str]:
    """Every unguarded POSIX-only import, call or path in one module's source, as 'file:line: what'."""
    tree = ast.parse(source, filename)
    guarded = _guarded(tree)
    found = []
    for node in ast.walk(tree):
        where = f"{filename}:{getattr(node, 'lineno', 0)}"
        if id(node) in guarded:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in BLOCKED:
                    found.append(f"{where}: import {alias.name} (POSIX-only module)")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in BLOCKED and not node.level:
            found.append(f"{where}: from {node.module} import ... (POSIX-only module)")
        elif isinstance(node, ast.Attribute) and _dotted(node) in POSIX_CALLS:
            found.append(f"{where}: {_dotted(node)} ({POSIX_CALLS[_dotted(node)]})")
        elif isinstance(node, ast.Call) and _dotted(node.func) == "os.kill":
            sig = node.args[1] if len(node.args) > 1 else None
            if isinstance(sig, ast.Constant) and sig.value == 0:
                found.append(f"{where}: os.kill(pid, 0) (on Windows this terminates the process)")
        elif isinstance(node, ast.Call) and any(k.arg == "shell" for k in node.keywords):
            found.append(f"{where}: subprocess with shell= (cmd.exe on Windows, not sh)")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if (
                node.value.startswith(("/tmp/", "/dev/"))
                or node.value in ("/tmp", "/dev/null")
                or "venv/bin" in node.value
            ):
                found.append(f"{where}: {node.value!r} (a POSIX path)")
    return found


def test_the_scan_finds_what_it_looks_for() -> None:
    sample = textwrap.dedent(
        """
        import fcntl, os, signal, subprocess
        os.kill(pid, 0)
        os.kill(pid, signal.SIGKILL)
        subprocess.run("ls | head", shell=True)
        open("/tmp/x")
        os.kill(pid, signal.SIGTERM)
        try:
            import termios
        except ImportError:
            termios = None
        if sys.platform != "win32":
            os.kill(pid, 0)
        def alive(pid):
            if os.name == "nt":
                return windows_probe(pid)
            os.kill(pid, 0)
        def probe(pid):
            os.kill(pid, 0)
        """
    )
    found = posix_findings(sample, "sample.py")
    lines = sorted({int(f.split(":")[1]) for f in found})
    assert lines == [2, 3, 4, 5, 6, 19], found  # not 7 (SIGTERM exists on Windows), nor the guarded ones


def test_the_core_has_no_posix_only_calls() -> None:
    found = []
    for path in sorted(HELPERS.rglob("*.py")):
        found += posix_findings(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())
    assert not found, "POSIX-only code in the core (it breaks on Windows):\n" + "\n".join(found)


def locale_findings(source: str, filename: str) -> list[str]:
    """Text I/O that falls back to the locale's encoding (cp1252 on most Windows machines, not UTF-8)."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.Call) or any(k.arg == "encoding" for k in node.keywords):
            continue
        name = _dotted(node.func)
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("read_text", "write_text"):
            found.append(f"{filename}:{node.lineno}: .{node.func.attr}() without encoding=")
        elif name in ("open", "io.open", "os.fdopen"):
            mode = (
                node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "mode"), None)
            )
            if not (isinstance(mode, ast.Constant) and "b" in str(mode.value)):
                found.append(f"{filename}:{node.lineno}: {name}() in text mode without encoding=")
    return found


def test_the_locale_scan_finds_what_it_looks_for() -> None:
    sample = 'p.read_text()\np.read_text(encoding="utf-8")\nopen(p, "rb")\nopen(p, "a+")\nos.fdopen(fd, "w")\n'
    assert [int(f.split(":")[1]) for f in locale_findings(sample, "s.py")] == [1, 4, 5]


def test_the_core_names_its_text_encoding() -> None:
    # The course's files are UTF-8; read with Windows' default encoding some of them do not even decode.
    found = []
    for path in sorted(HELPERS.rglob("*.py")):
        found += locale_findings(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())
    assert not found, "Text I/O in the core that depends on the locale's encoding:\n" + "\n".join(found)

"""The nbval harness (tests/harness): it still fails a notebook whose stored output is wrong, and a forked,
preloaded kernel behaves like one started the usual way (only its parent process differs: the fork server)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from nbval.kernel import CURRENT_ENV_KERNEL_NAME

from tests.harness import kernel as harness

ROOT = Path(__file__).resolve().parent.parent


def notebook(source: str, text: str | None) -> dict[str, Any]:
    outs = [] if text is None else [{"output_type": "stream", "name": "stdout", "text": text}]
    cell = {"cell_type": "code", "id": "c0", "metadata": {}, "execution_count": 1, "source": source, "outputs": outs}
    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return {"cells": [cell], "metadata": {"kernelspec": kernelspec}, "nbformat": 4, "nbformat_minor": 5}


PROBE = r"""
import json, os, signal, subprocess, sys, threading
import matplotlib.pyplot as plt
from ipykernel.kernelapp import IPKernelApp
ip = get_ipython()
print(json.dumps({
    "cwd": os.getcwd(), "path": sys.path, "argv0": os.path.basename(sys.argv[0]),
    "env": sorted(k for k in os.environ if k not in ("JPY_PARENT_PID", "PYTEST_CURRENT_TEST")),
    "mplbackend": os.environ.get("MPLBACKEND"), "xmode": ip.InteractiveTB.mode,
    "history": ip.history_manager.enabled, "main": sys.modules["__main__"].__name__,
    "sigchld": signal.getsignal(signal.SIGCHLD) == signal.SIG_DFL if hasattr(signal, "SIGCHLD") else None,
    "sigint": str(signal.getsignal(signal.SIGINT)),
    "subprocess": subprocess.run([sys.executable, "-c", "0"]).returncode,
    "rfc3987_syntax": sys.modules.get("rfc3987_syntax", "absent"),
    "leftover": "leftover" in globals(), "threads": threading.active_count(),
    "poller": type(IPKernelApp.instance().poller).__name__,
}))
leftover = 1
plt.figure(figsize=(1, 1)); plt.plot([1, 2])
"""


def probe(fork: bool) -> tuple[dict[str, Any], list[dict[str, Any]], bool]:
    k = harness.FastKernel(CURRENT_ENV_KERNEL_NAME, cwd=str(ROOT / "notebooks"), fork=fork)
    try:
        forked = bool(getattr(k.km.provisioner, "forked", False))
        msg_id = k.execute_cell_input(PROBE)
        k.await_reply(msg_id, timeout=60)
        outputs = []
        while True:
            msg = k.get_message(stream="iopub", timeout=10)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
            if msg["msg_type"] in ("stream", "display_data", "execute_result", "error"):
                outputs.append(msg)
    finally:
        k.stop()
    facts = json.loads(next(m["content"]["text"] for m in outputs if m["msg_type"] == "stream"))
    return facts, outputs, forked


def test_a_forked_kernel_behaves_like_a_normal_one() -> None:
    normal, normal_out, normal_forked = probe(fork=False)
    first, first_out, forked = probe(fork=True)
    second, _, _ = probe(fork=True)
    assert not normal_forked
    if harness.fork_supported() is not None:
        pytest.skip(f"no fork server here: {harness.fork_supported()}")
    assert forked
    assert first == normal, "a forked kernel differs from a normal one"
    assert second == first  # and nothing of the first notebook's kernel reached the second
    assert normal["xmode"] == "Plain" and normal["history"] is False and normal["rfc3987_syntax"] is None
    assert normal["leftover"] is False and normal["subprocess"] == 0
    assert normal["poller"] == "ParentPollerUnix" or sys.platform == "win32"  # exits if its parent dies

    def kinds(outs: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
        return [(m["msg_type"], sorted(m["content"].get("data", {}))) for m in outs]

    assert kinds(first_out) == kinds(normal_out)  # the figure shows, as image/png and text/plain, in both
    assert ("display_data", ["image/png", "text/plain"]) in kinds(first_out)


def test_jsonschema_works_without_rfc3987_syntax() -> None:
    import jsonschema

    assert sys.modules["rfc3987_syntax"] is None  # blocked by tests/harness/plugin.py, loaded by -p
    jsonschema.validate({"n": 1}, {"type": "object", "properties": {"n": {"type": "integer"}}})
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"n": "x"}, {"type": "object", "properties": {"n": {"type": "integer"}}})


WHO = r"""
import json, os, pathlib
from ipykernel.kernelapp import IPKernelApp
_ = pathlib.Path(f"{os.getpid()}.json").write_text(json.dumps({
    "parent": os.getppid(), "worker": os.environ.get("PYTEST_XDIST_WORKER"),
    "harness": os.environ.get("PRIMER_TEST_HARNESS"), "ipythondir": os.environ.get("IPYTHONDIR"),
    "poller": type(IPKernelApp.instance().poller).__name__, "parent_handle": IPKernelApp.instance().parent_handle,
}))
"""


def test_a_wrong_output_fails_and_xdist_workers_fork_from_one_server_that_goes_away(tmp_path: Path) -> None:
    """One nbval run under the harness with two workers: the notebook whose stored output is wrong fails, and
    every kernel is a child of the one fork server the main process started, gone when the run ends."""
    (tmp_path / "right.ipynb").write_text(json.dumps(notebook("print(6 * 7)", "42\n")), encoding="utf-8")
    (tmp_path / "wrong.ipynb").write_text(json.dumps(notebook("print(6 * 7)", "41\n")), encoding="utf-8")
    for name in ("a", "b", "c", "d"):
        (tmp_path / f"who_{name}.ipynb").write_text(json.dumps(notebook(WHO, None)), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != harness.SHARED}
    env["PYTHONPATH"] = str(ROOT)
    cmd = [sys.executable, "-m", "pytest", "-p", "tests.harness.plugin", "-p", "no:cacheprovider", "-rf"]
    cmd += ["-n", "2", "--dist", "loadfile", f"--rootdir={tmp_path}", "--nbval", "--nbval-current-env"]
    out = subprocess.run([*cmd, "."], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1, out.stdout[-2000:]
    assert "1 failed, 5 passed" in out.stdout
    assert "FAILED wrong.ipynb::Cell 0" in out.stdout
    assert harness.fork_status() in out.stdout  # the harness ran, in the mode this platform gets
    if harness.fork_supported() is not None:
        return
    seen = [json.loads(p.read_text()) for p in tmp_path.glob("*.json")]
    assert len(seen) == 4
    assert {s["worker"] for s in seen} == {"gw0", "gw1"}
    assert len({s["parent"] for s in seen}) == 1  # one fork server for both workers
    assert {s["parent"] for s in seen}.isdisjoint({os.getpid()})
    # each kernel watches its own worker, as a kernel started the usual way does, not the server's parent
    assert all(s["poller"] == "ParentPollerUnix" for s in seen)
    assert len({s["parent_handle"] for s in seen}) == 2 and all(s["parent_handle"] > 1 for s in seen)
    folder = Path(seen[0]["harness"])
    assert all(s["ipythondir"] == str(folder / "ipython") for s in seen)
    assert not folder.exists()  # removed at the run's end, its server with it
    try:
        os.kill(seen[0]["parent"], 0)
    except ProcessLookupError:
        pass
    else:
        raise AssertionError("the shared fork server outlived its run")

"""nbval's kernel, started faster: the test-only profile, no fixed sleeps, and a fork server where it can.

- `FastKernel` replaces nbval's `RunningKernel` (tests/harness/plugin.py installs it): the same
  kernel spec, cwd and messages, but it waits for the kernel's own replies instead of jupyter_client's
  0.2 s IOPub quiet period at start and its 0.1 s polls at stop.
- Each kernel gets `IPYTHONDIR` of the test-only profile (tests/harness/profile).
- On Linux each kernel is forked from tests/harness/forkserver.py, which has already imported ipykernel,
  anthropic, numpy and pyplot. The pytest main process starts one server as it configures (`start_shared`),
  so its preload runs while xdist's workers start, and every worker connects to it; a process whose
  environment differs from the server's starts a private one. Elsewhere (Windows, macOS, whose Python
  spawns rather than forks), or with PRIMER_TEST_FORK=0, or when no server can start, kernels start as
  usual, and `fork_status()` says why.
"""

from __future__ import annotations

import asyncio
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from queue import Empty
from typing import Any

import zmq
from jupyter_client.manager import KernelManager
from jupyter_client.provisioning import LocalProvisioner
from nbval.kernel import NbvalKernelspecManager, RunningKernel

HERE = Path(__file__).resolve().parent
PROFILE = HERE / "profile" / "ipython_kernel_config.py"
# Set per kernel by jupyter_client or per test by pytest; anything else that differs from the server's start
# environment means the preloaded imports may have read another setting, so that kernel starts the usual way.
PER_KERNEL_ENV = {"JPY_PARENT_PID", "JPY_SESSION_NAME", "PYTEST_CURRENT_TEST"}
# Set in xdist's workers; the kernel still gets them (its request carries its whole environment).
PER_KERNEL_ENV |= {"PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID", "COLUMNS", "LINES"}
# The run's folder (the shared server's socket and the profile), set by the main process for its workers.
SHARED = "PRIMER_TEST_HARNESS"


def ipython_dir() -> str:
    """A private IPYTHONDIR holding only the test profile, so IPython's runtime files stay out of the repo;
    the run's own (the main process's) where there is one."""
    global _IPYTHONDIR
    shared = Path(os.environ.get(SHARED, "")) / "ipython"
    if os.environ.get(SHARED) and (shared / "profile_default").is_dir() and _IPYTHONDIR is None:
        return str(shared)
    if _IPYTHONDIR is None or not Path(_IPYTHONDIR).is_dir():
        _IPYTHONDIR = str(with_profile(Path(tempfile.mkdtemp(prefix="primer-ipython-"))))
    return _IPYTHONDIR


def with_profile(ipython: Path) -> Path:
    """ipython, made an IPYTHONDIR whose default profile is the test profile."""
    (ipython / "profile_default").mkdir(parents=True)
    shutil.copy(PROFILE, ipython / "profile_default" / PROFILE.name)
    return ipython


_IPYTHONDIR: str | None = None


def fork_supported() -> str | None:
    """None when kernels can be forked here, else the reason they cannot."""
    if os.environ.get("PRIMER_TEST_FORK", "1") == "0":
        return "PRIMER_TEST_FORK=0"
    if not sys.platform.startswith("linux"):
        return f"fork server is Linux-only (this is {sys.platform}, where Python spawns)"
    if not hasattr(os, "pidfd_open") or not hasattr(socket, "send_fds"):
        return "needs os.pidfd_open and socket.send_fds"
    return None


def stable_env(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k not in PER_KERNEL_ENV}


class ForkServer:
    """The client end: a connection to the run's shared server at address, or else a private server for this
    pytest process, started on first use and stopped at exit. `env` is what the server's preload saw."""

    def __init__(self, env: dict[str, str], address: str | None = None) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        if address is not None:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            try:
                self.sock.connect(address)
            except OSError:
                self.sock.close()
                raise
        else:
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            self.sock = ours
            cmd = [sys.executable, str(HERE / "forkserver.py"), str(theirs.fileno())]
            self.proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, pass_fds=[theirs.fileno()])
            theirs.close()
        try:
            hello = json.loads(self.sock.recv(1 << 20) or b'{"error": "exited"}')
        except OSError as exc:
            hello = {"error": str(exc)}
        if "ready" not in hello:
            self.close()
            raise RuntimeError(f"fork server: {hello.get('error')}")
        self.env = stable_env(hello.get("env", env))

    def fork(self, argv: list[str], env: dict[str, str], cwd: str, out: int, err: int) -> int:
        request = json.dumps({"argv": argv, "env": env, "cwd": cwd}).encode()
        socket.send_fds(self.sock, [request], [out, err])
        answer = json.loads(self.sock.recv(1 << 16) or b'{"error": "fork server exited"}')
        if "pid" not in answer:
            raise RuntimeError(f"fork server: {answer.get('error')}")
        return int(answer["pid"])

    def close(self) -> None:
        self.sock.close()  # a private server sees EOF and exits
        if self.proc is not None:
            reap(self.proc)


def reap(proc: subprocess.Popen[bytes]) -> None:
    """Wait for a fork server that has been told to stop; kill it after 5 s."""
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def start_shared() -> None:
    """In the main pytest process: the run's folder and its fork server, listening before any worker starts
    (the socket is bound here and handed over, so no client can come too early); workers find it through
    the SHARED variable they inherit."""
    global _SHARED_DIR, _SHARED_PROC
    if _FORK_REASON is not None or _SHARED_PROC is not None:
        return
    folder = tempfile.mkdtemp(prefix="primer-harness-")
    with_profile(Path(folder) / "ipython")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(str(Path(folder) / "fork.sock"))
    listener.listen(64)
    os.environ[SHARED] = folder
    env = dict(os.environ, IPYTHONDIR=ipython_dir())
    cmd = [sys.executable, str(HERE / "forkserver.py"), "--listen", str(listener.fileno())]
    try:
        _SHARED_PROC = subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, pass_fds=[listener.fileno()])
    finally:
        listener.close()
    _SHARED_DIR = folder


def stop_shared() -> None:
    global _SHARED_DIR, _SHARED_PROC
    if _SHARED_PROC is not None:
        assert _SHARED_PROC.stdin is not None
        _SHARED_PROC.stdin.close()  # the server's EOF
        reap(_SHARED_PROC)
        _SHARED_PROC = None
    if _SHARED_DIR is not None:
        shutil.rmtree(_SHARED_DIR, ignore_errors=True)
        if os.environ.get(SHARED) == _SHARED_DIR:
            del os.environ[SHARED]
        _SHARED_DIR = None


_SERVER: ForkServer | None = None
_FORK_REASON: str | None = fork_supported()
_SHARED_DIR: str | None = None
_SHARED_PROC: subprocess.Popen[bytes] | None = None


def fork_status() -> str:
    """One line for the test report: how this process's nbval kernels start."""
    if _FORK_REASON is None:
        return "nbval kernels: forked from a preloaded server (ipykernel, anthropic, numpy, pyplot imported once)"
    return f"nbval kernels: started normally ({_FORK_REASON})"


def server_for(env: dict[str, str]) -> ForkServer | None:
    """This process's fork server for a kernel with env, or None (then start it normally)."""
    global _SERVER, _FORK_REASON
    if _FORK_REASON is not None:
        return None
    if _SERVER is None and os.environ.get(SHARED):
        try:
            server = ForkServer(env, str(Path(os.environ[SHARED]) / "fork.sock"))
        except (OSError, RuntimeError):
            server = None  # gone or failed: a private server says why, if it fails too
        if server is not None and server.env != stable_env(env):
            server.close()
        elif server is not None:
            _SERVER = server
    if _SERVER is None:
        try:
            _SERVER = ForkServer(env)
        except (OSError, RuntimeError) as exc:
            _FORK_REASON = str(exc)
            return None
    if _SERVER.env != stable_env(env):
        # Something in this process changed os.environ (a unit test, say) after the server started: its
        # preloaded imports may have read the old values, so a server with the new environment takes over.
        stop_server()
        return server_for(env)
    return _SERVER


def give_up(reason: str) -> None:
    global _FORK_REASON
    _FORK_REASON = reason
    stop_server()


def cleanup() -> None:
    """At the end of a pytest process: no fork server left, and the private IPYTHONDIR removed."""
    global _IPYTHONDIR
    stop_server()
    stop_shared()
    if _IPYTHONDIR is not None:
        shutil.rmtree(_IPYTHONDIR, ignore_errors=True)
        _IPYTHONDIR = None


def stop_server() -> None:
    global _SERVER
    if _SERVER is not None:
        _SERVER.close()
        _SERVER = None


class ForkedProcess:
    """Enough of subprocess.Popen for jupyter_client, for a kernel that is the fork server's child.

    Its exit is watched through a pidfd (the server reaps it, so no exit status reaches us; 0 stands in)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        try:
            self.fd: int | None = os.pidfd_open(pid)
        except ProcessLookupError:  # already gone
            self.fd, self.returncode = None, 0

    def poll(self) -> int | None:
        if self.returncode is None and self.fd is not None:
            if select.select([self.fd], [], [], 0)[0]:
                self._exited()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None and self.fd is not None:
            if not select.select([self.fd], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            self._exited()
        return self.returncode or 0

    def _exited(self) -> None:
        self.returncode = 0
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def send_signal(self, signum: int) -> None:
        if self.poll() is None and self.fd is not None:
            signal.pidfd_send_signal(self.fd, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


async def gone(process: Any) -> None:
    """Return once process has exited: on its pidfd where there is one, else polling from 1 ms up."""
    if hasattr(os, "pidfd_open") and process.poll() is None:
        try:
            fd = os.pidfd_open(process.pid)
        except ProcessLookupError:
            fd = -1
        if fd >= 0:
            loop = asyncio.get_running_loop()
            done = loop.create_future()
            loop.add_reader(fd, lambda: done.done() or done.set_result(None))
            try:
                if process.poll() is None:
                    await done
            finally:
                loop.remove_reader(fd)
                os.close(fd)
    delay = 0.001
    while process.poll() is None:
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.05)


class FastProvisioner(LocalProvisioner):
    """LocalProvisioner that forks from the fork server when it can, and waits without fixed polls."""

    forked = False

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        env = dict(kwargs.get("env") or os.environ, JPY_PARENT_PID=str(os.getpid()))  # as jupyter_client's launcher
        forkable = getattr(self.parent, "fork", True) and cmd[1:3] == ["-m", "ipykernel_launcher"]
        server = server_for(env) if forkable else None
        if server is None or cmd[0] != sys.executable:
            return await super().launch_kernel(cmd, **kwargs)
        out, err = (kwargs.get(k) or getattr(sys, f"__{k}__") for k in ("stdout", "stderr"))
        cwd = str(kwargs.get("cwd") or Path.cwd())
        try:
            pid = server.fork(cmd[3:], env, cwd, out.fileno(), err.fileno())
        except (OSError, RuntimeError) as exc:  # the server died: this and later kernels start as usual
            give_up(str(exc))
            return await super().launch_kernel(cmd, **kwargs)
        self.process = ForkedProcess(pid)
        self.forked = True
        self.pid = self.pgid = self.process.pid  # the child called setsid()
        self.cwd = cwd
        return self.connection_info

    async def wait(self) -> int | None:
        if self.process:
            await gone(self.process)
            ret = self.process.wait()
            self.process = None
            return ret
        return 0


class FastKernelManager(KernelManager):
    fork = True  # False: always start the kernel the usual way (tests compare the two)

    async def _async_pre_start_kernel(self, **kw: Any) -> Any:
        if self.provisioner is None:
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", None) or os.urandom(16).hex()
            self.provisioner = FastProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
        return await super()._async_pre_start_kernel(**kw)

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        if self.provisioner is not None and self.provisioner.has_process:
            await gone(self.provisioner.process)  # type: ignore[attr-defined]


class FastKernel(RunningKernel):
    """nbval's RunningKernel with the harness's manager; everything nbval sends and compares is unchanged."""

    def __init__(
        self, kernel_name: str, cwd: str | None = None, startup_timeout: float = 60, fork: bool = True
    ) -> None:
        self.km = FastKernelManager(kernel_name=kernel_name, kernel_spec_manager=NbvalKernelspecManager())
        self.km.fork = fork
        env = dict(os.environ, IPYTHONDIR=ipython_dir())
        self.km.start_kernel(env=env, stderr=open(os.devnull, "w"), cwd=cwd)  # noqa: SIM115 (as nbval does)
        self.kc = self.km.client()
        # The client connects before the kernel has bound its ports; zmq retries a refused connection after
        # RECONNECT_IVL (100 ms by default), which was most of a forked kernel's start.
        self.kc.context.setsockopt(zmq.RECONNECT_IVL, 5)
        self.kc.start_channels()
        try:
            self.wait_ready(startup_timeout)
        except RuntimeError:
            self.kc.stop_channels()
            self.km.shutdown_kernel(now=True)
            raise

    def get_message(self, stream: str, timeout: float | None = None) -> dict[str, Any]:
        """nbval's get_message without its debug line, whose `pformat(msg)` ran for every message even with
        debug logging off: about a millisecond a cell, a fifth of a trivial cell's round trip."""
        if stream == "iopub":
            return self.kc.get_iopub_msg(timeout=timeout)
        if stream == "shell":
            return self.kc.get_shell_msg(timeout=timeout)
        raise ValueError(f'Invalid stream specified: "{stream}"')

    def wait_ready(self, timeout: float) -> None:
        """Ready once a kernel_info request's idle status arrives on IOPub: then shell and IOPub both work.

        Shell requests queue until the kernel binds; IOPub drops what is published before it is subscribed,
        so only the IOPub check is repeated (nbval ignores messages of earlier requests)."""
        deadline = time.monotonic() + timeout
        msg_id = self.kc.kernel_info()
        while time.monotonic() < deadline:
            try:
                self.await_reply(msg_id, timeout=0.5)
            except Empty:
                if not self.km.is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info") from None
                continue
            try:
                self.await_idle(msg_id, timeout=0.05)  # the kernel is up: its status comes at once, or was lost
                return
            except Empty:
                msg_id = self.kc.kernel_info()
        raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

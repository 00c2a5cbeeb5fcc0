"""A fork server for nbval kernels: imports what every notebook's kernel imports once, then forks a kernel
per request, so a notebook's kernel starts with ipykernel, anthropic, numpy and pyplot already loaded.

    python tests/harness/forkserver.py FD            (one pytest process's own server)
    python tests/harness/forkserver.py --listen FD   (one server for a whole pytest run, xdist workers included)

FD is one end of an AF_UNIX SOCK_SEQPACKET pair, or with --listen a listening SOCK_SEQPACKET socket whose
every connection is a client; then the server stops when its stdin closes (the pytest run that started it
ended). A client's first message is the server's hello, {"ready": [...], "env": {...}} with the environment
the preload saw. Each request is a JSON message {argv, env, cwd} with two file descriptors (the kernel's
stdout and stderr); the answer is {"pid": N} or {"error": "..."}. The server
itself never runs notebook code: every kernel is a fresh child of the same untouched parent, so no state
passes from one notebook to the next. POSIX-only (fork); tests/harness/kernel.py decides when to use it.
"""

from __future__ import annotations

import gc
import json
import os
import selectors
import signal
import socket
import sys
import threading
import traceback

# As in the kernel profile: no Lark grammar for a format check no notebook makes.
sys.modules.setdefault("rfc3987_syntax", None)

# What every kernel imports as it starts (ipykernel.debugger, with debugpy, is 0.4 s of it), what IPython
# imports lazily once its shell exists, the notebooks' heavy imports (the SDK's HTTP stack, pyplot, PNG
# output) and, below, the helpers package. Not ipywidgets or matplotlib_inline: they hook into the running
# shell as they are imported, so each kernel imports them itself. numpy.random is reseeded in each kernel.
PRELOAD = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.debugger",
    "psutil",
    "IPython.core.completerlib",
    "IPython.core.debugger",
    "IPython.core.logger",
    "IPython.core.magics.script",
    "IPython.core.oinspect",
    "IPython.core.pylabtools",
    "IPython.extensions.storemagic",
    "faulthandler",
    "tornado.platform.asyncio",
    "anthropic",
    "anthropic.lib.streaming",
    "anthropic.lib.tools",
    "httpcore2",
    "anyio._backends._asyncio",
    "truststore",
    "dotenv",
    "numpy",
    "numpy.random",
    "matplotlib.pyplot",
    "matplotlib.backends.backend_agg",
    "PIL.PngImagePlugin",
)


def helpers_modules() -> list[str]:
    """Every module of the helpers package (each notebook's first cell imports it), but the browser
    edition's and the command-line entry points."""
    import pkgutil

    import helpers

    skip = ("helpers.inbrowser", "helpers.gateway.__main__", "helpers.gateway.cli")
    return [m.name for m in pkgutil.walk_packages(helpers.__path__, "helpers.") if m.name not in skip]


def warm_up() -> None:
    """First-use work that every kernel would otherwise repeat, done once here: the SDK's resources and
    response parsing (one create and one stream against an in-process transport: no socket, no thread), and
    one figure drawn to PNG with Agg directly (fonts and text layout; pyplot's state is not touched)."""
    import io

    import anthropic
    import httpx2
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    message = {
        "id": "msg_warm", "type": "message", "role": "assistant", "model": "warm-up",
        "content": [{"type": "text", "text": "ok"}], "stop_reason": "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": 1, "output_tokens": 1},
    }
    text = {"type": "text", "text": ""}
    events = [
        {"type": "message_start", "message": {**message, "content": []}},
        {"type": "content_block_start", "index": 0, "content_block": text},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "ok"}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 1}},
        {"type": "message_stop"},
    ]
    sse = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events).encode()

    def answer(request: httpx2.Request) -> httpx2.Response:
        if json.loads(request.content).get("stream"):
            return httpx2.Response(200, content=sse, headers={"content-type": "text/event-stream"})
        return httpx2.Response(200, json=message)

    transport = httpx2.MockTransport(answer)
    with anthropic.Anthropic(api_key="warm-up", base_url="http://warm-up.invalid", max_retries=0,
                             http_client=httpx2.Client(transport=transport)) as client:
        ask = {"model": "warm-up", "max_tokens": 1, "messages": [{"role": "user", "content": "hi"}]}
        client.messages.create(**ask)
        with client.messages.stream(**ask) as stream:
            stream.get_final_message()
    fig = Figure(figsize=(7.0, 3.6), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    ax.set_title("warm-up")
    ax.plot([0, 1], [0, 1])
    fig.savefig(io.BytesIO(), format="png", bbox_inches="tight")


def preload() -> dict[str, str]:
    """Import PRELOAD and warm up; returns the environment variables those imports set (debugpy sets one),
    which a kernel that imported them itself would have too."""
    # What ipykernel sets before a notebook can import matplotlib; the backend itself loads lazily on the
    # first figure, in the kernel, so matplotlib_inline hooks into that kernel's shell as usual.
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    before = dict(os.environ)
    # debugpy warns on stderr as it loads; nbval sends a kernel's stderr to devnull, so the server does too.
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        for name in (*PRELOAD, *helpers_modules()):
            __import__(name)
        warm_up()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)
    return {k: v for k, v in os.environ.items() if before.get(k) != v}


def exit_code(exc: SystemExit) -> int:
    code = exc.code
    return code if isinstance(code, int) else (0 if code is None else 1)


def run_kernel(request: dict[str, object], out_fd: int, err_fd: int, imported_env: dict[str, str]) -> int:
    """In the forked child: become what `python -m ipykernel_launcher ARGV` in cwd would be, and run."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the server ignores it; a kernel's subprocesses need it
    os.setsid()  # its own process group, as jupyter_client's start_new_session, so an interrupt reaches only it
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out_fd, 1)
    os.dup2(err_fd, 2)
    for fd in (null, out_fd, err_fd):
        os.close(fd)
    os.chdir(str(request["cwd"]))
    env = request["env"]
    assert isinstance(env, dict)
    os.environ.clear()
    os.environ.update(env)
    for key, value in imported_env.items():
        os.environ.setdefault(key, value)
    import ipykernel_launcher

    argv = request["argv"]
    assert isinstance(argv, list)
    sys.argv = [ipykernel_launcher.__file__, *map(str, argv)]
    # ipykernel_launcher drops its own first sys.path entry; this server's is its folder. IPython then
    # puts "" first, as in any kernel.
    del sys.path[0]
    import numpy

    numpy.random.seed()  # fresh entropy per kernel, as a new process would have (stdlib random reseeds itself)
    from ipykernel import kernelapp

    # parent_handle's default reads JPY_PARENT_PID as the class is defined, in the server's preload, where it
    # is unset. Given here, the kernel runs its parent poller as usual (its parent being this server, it exits
    # if the server dies) and does not print the console's "Ctrl-C will not work" note into pytest's output.
    parent = int(os.environ.get("JPY_PARENT_PID") or 0)
    try:
        kernelapp.IPKernelApp.launch_instance(parent_handle=parent)
    except SystemExit as exc:
        return exit_code(exc)
    return 0


def child(
    sockets: list[socket.socket], request: dict[str, object], fds: list[int], imported_env: dict[str, str]
) -> None:
    code = 1
    try:
        for sock in sockets:
            sock.close()
        code = run_kernel(request, fds[0], fds[1], imported_env)
    except BaseException:  # noqa: BLE001 (a child must never return into the server's loop)
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
        os._exit(code)


def handle(conn: socket.socket, sockets: list[socket.socket], imported_env: dict[str, str]) -> int | None:
    """Answer one request on conn: the forked kernel's pid, or None once the client has gone."""
    try:
        msg, fds, _flags, _addr = socket.recv_fds(conn, 1 << 20, 2)
    except OSError:
        return None
    try:
        if not msg:
            return None
        request = json.loads(msg)
        if len(fds) != 2:
            conn.send(json.dumps({"error": f"expected 2 file descriptors, got {len(fds)}"}).encode())
            return 0
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            child(sockets, request, fds, imported_env)
    finally:
        for fd in fds:  # the child has its own copies
            os.close(fd)
    conn.send(json.dumps({"pid": pid}).encode())
    return pid


def serve(
    first: socket.socket | None, listener: socket.socket | None, hello: bytes, imported_env: dict[str, str]
) -> None:
    """Fork a kernel per request until the only client leaves (first) or stdin closes (listener)."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # kernels are reaped by the system, never waited for here
    children: list[int] = []
    conns: list[socket.socket] = []
    sel = selectors.DefaultSelector()
    if first is not None:
        first.send(hello)
        conns.append(first)
        sel.register(first, selectors.EVENT_READ)
    if listener is not None:
        sel.register(listener, selectors.EVENT_READ)
        sel.register(0, selectors.EVENT_READ)
    running = True
    while running:
        for key, _events in sel.select():
            if key.fileobj == 0:
                running = bool(os.read(0, 1 << 10))  # EOF: the pytest run is over
            elif key.fileobj is listener:
                conn, _addr = listener.accept()
                conn.send(hello)
                conns.append(conn)
                sel.register(conn, selectors.EVENT_READ)
            else:
                conn = key.fileobj
                assert isinstance(conn, socket.socket)
                pid = handle(conn, [*conns, *([listener] if listener else [])], imported_env)
                if pid is None:
                    sel.unregister(conn)
                    conns.remove(conn)
                    conn.close()
                    running = bool(conns) or listener is not None
                elif pid:
                    children.append(pid)
    for pid in children:  # kernels left running when pytest went away
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass


def main(argv: list[str]) -> int:
    shared = argv[1] == "--listen"
    sock = socket.socket(fileno=int(argv[-1]))
    env = dict(os.environ)

    def refuse(error: str) -> int:
        if not shared:  # a shared server just exits: its clients' connections fail and they start their own
            sock.send(json.dumps({"error": error}).encode())
        return 1

    try:
        imported_env = preload()
    except Exception as exc:  # noqa: BLE001 (reported to the client, which falls back to normal kernels)
        return refuse(f"preload failed: {exc!r}")
    if threading.active_count() != 1:  # forking a process with threads is unsafe
        return refuse(f"{threading.active_count()} threads after preload")
    # What the preload built is never garbage: frozen, a kernel's collections skip it instead of touching
    # (and so copying) every page the server shares with it.
    gc.collect()
    gc.freeze()
    hello = json.dumps({"ready": sorted(PRELOAD), "env": env}).encode()
    serve(None if shared else sock, sock if shared else None, hello, imported_env)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))

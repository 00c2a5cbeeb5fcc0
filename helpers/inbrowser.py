"""The browser edition (JupyterLite + Pyodide): the course's gateway answering in-process, with no socket.

Pyodide has no sockets or threads, so `helpers.setup()` cannot start the course gateway there. Instead it
makes a `Gateway(serve=False)` and installs httpx2 transports that hand every request to
`Gateway.answer`, the same matching, ordering, miss messages and pacing as the server's, and turn the
answer into an httpx2 response. The SDK's own client picks them up (both httpx2's and the SDK's references
to the transport classes are replaced), so notebook cells stay plain SDK code. Replay only.

What cannot run in a page (figures without matplotlib, notebook 05's web endpoint, `%%bash` cURL cells,
threads) ends with one sentence in the cell's output, not a traceback, that says what to do instead
(WHAT_TO_DO): `register(shell)` adds a `%%bash` magic and wraps the kernel's exception handler. Imported only
in Pyodide and by its tests.
"""

from __future__ import annotations

import ast
import asyncio
import base64
import functools
import hashlib
import json
import os
import re
import shlex
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx2

from .gateway import Gateway
from .gateway.server import Answer

__all__ = [
    "BASE_URL",
    "CLIENT",
    "in_browser",
    "make_gateway",
    "install",
    "uninstall",
    "ReplayTransport",
    "AsyncReplayTransport",
    "register",
    "degraded_sentence",
    "WHAT_TO_DO",
    "curl_request",
]

# Where the SDK believes it sends requests: port 0 is never a server's, so nothing could reach one; the
# transport answers only this address, as the gateway on loopback would.
BASE_URL = "http://127.0.0.1:0"
_NETLOC = BASE_URL.split("://", 1)[1]
CLIENT = "127.0.0.1"  # the one client of an in-process gateway (gateway_status() asks for this address)
FIGURES = Path(__file__).resolve().parent.parent / "notebooks" / "stored_figures.json"  # written by make site

_gateway: Gateway | None = None
_saved: dict[tuple[Any, str], Any] = {}


def in_browser() -> bool:
    """Whether this kernel runs in Pyodide (the browser edition)."""
    return sys.platform == "emscripten"


def make_gateway(recording: Any, speed: float) -> Gateway:
    """A gateway without a socket for one recording; `install` routes the SDK's requests to it."""
    return Gateway([recording], speed=speed, serve=False)


def _answer(request: httpx2.Request, raw: bytes) -> tuple[Gateway, Answer]:
    gw = _gateway
    if gw is None:
        raise httpx2.ConnectError("No course session yet: run the notebook's first cell, helpers.setup(...).")
    if request.url.netloc.decode("ascii") != _NETLOC:  # as a closed port would: a page reaches only recordings
        raise httpx2.ConnectError(f"the browser edition answers only {BASE_URL}, not {request.url.host}")
    path = request.url.raw_path.decode("ascii")
    base = f"{request.url.scheme}://{request.url.netloc.decode('ascii')}"
    return gw, gw.answer(CLIENT, request.method, path, request.headers, raw, base)


def _read_timeout(request: httpx2.Request) -> float | None:
    timeout = request.extensions.get("timeout") or {}
    value = timeout.get("read")
    return float(value) if isinstance(value, (int, float)) else None


def _groups(gw: Gateway, ans: Answer) -> list[tuple[float, bytes]]:
    """The answer's SSE events, those recorded at the same moment joined (they leave together)."""
    assert ans.exchange is not None
    out: list[tuple[float, bytes]] = []
    for at, chunk in gw.sse_events(ans.exchange):
        if out and out[-1][0] == at:
            out[-1] = (at, out[-1][1] + chunk)
        else:
            out.append((at, chunk))
    return out


def _response(request: httpx2.Request, ans: Answer, content: Any) -> httpx2.Response:
    return httpx2.Response(ans.status, headers=ans.headers, content=content, request=request)


class ReplayTransport(httpx2.BaseTransport):
    """httpx2's transport for the sync client: the request goes to the in-process gateway, never a socket.
    Accepts and ignores the arguments of httpx2.HTTPTransport (verify, proxy, socket options)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        gw, ans = _answer(request, request.read())
        if ans.hold:
            limit = _read_timeout(request)
            if limit is not None and ans.hold > limit:  # as a socket would: the client gives up first
                gw.sleep(limit)
                raise httpx2.ReadTimeout("The read operation timed out", request=request)
            gw.sleep(ans.hold)
        if ans.kind != "sse":
            return _response(request, ans, ans.body)
        groups = _groups(gw, ans)

        def paced() -> Iterator[bytes]:
            start = gw.clock()
            for at, chunk in groups:
                wait = start + at / gw.speed - gw.clock() if gw.speed else 0
                if wait > 0:
                    gw.sleep(wait)
                yield chunk

        return _response(request, ans, paced())


class AsyncReplayTransport(httpx2.AsyncBaseTransport):
    """The same for the async client; waits with asyncio.sleep, so the page's event loop keeps running."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        await asyncio.sleep(0)  # as a socket would: requests gathered together are in flight together
        gw, ans = _answer(request, await request.aread())
        if ans.hold:
            limit = _read_timeout(request)
            if limit is not None and ans.hold > limit:
                await asyncio.sleep(limit)
                raise httpx2.ReadTimeout("The read operation timed out", request=request)
            await asyncio.sleep(ans.hold)
        if ans.kind != "sse":
            return _response(request, ans, ans.body)
        groups = _groups(gw, ans)

        async def paced() -> AsyncIterator[bytes]:
            start = gw.clock()
            for at, chunk in groups:
                wait = start + at / gw.speed - gw.clock() if gw.speed else 0
                if wait > 0:
                    await asyncio.sleep(wait)
                yield chunk

        return _response(request, ans, paced())


def _transport_homes() -> list[Any]:
    """Every module that holds its own reference to httpx2's transport classes, as the SDK builds clients."""
    # A private module, the one kept on purpose: the browser edition has no socket, and the SDK builds its
    # transport from this module's name; tests/test_inbrowser.py fails first if a release moves it.
    import anthropic._base_client as base_client

    homes: list[Any] = [httpx2, base_client]
    client_module = sys.modules.get("httpx2._client")
    if client_module is not None:
        homes.append(client_module)
    return homes


def install(gateway: Gateway) -> None:
    """Route every httpx2 client made from now on (the SDK's included) to `gateway`, in-process."""
    global _gateway
    _gateway = gateway
    for home in _transport_homes():
        for name, replacement in (("HTTPTransport", ReplayTransport), ("AsyncHTTPTransport", AsyncReplayTransport)):
            if hasattr(home, name):
                _saved.setdefault((home, name), getattr(home, name))
                setattr(home, name, replacement)


def uninstall() -> None:
    """Put httpx2's own transports back (tests under CPython)."""
    global _gateway
    for (home, name), original in _saved.items():
        setattr(home, name, original)
    _saved.clear()
    _gateway = None


# --- what cannot run in a page: one sentence each ----------------------------------------------

# What the learner can do instead, ending every degradation sentence (tests/browser/test_site.py checks each).
WHAT_TO_DO = "open the course in JupyterLab on your computer (README, Set-up: `make lab`)"


def _elsewhere(what: str = "it") -> str:
    return f"to run {what}, {WHAT_TO_DO}"


_WHY = {
    "matplotlib": "This cell draws a figure with matplotlib, which the browser edition does not include",
    "numpy": "This cell needs numpy, which the browser edition does not include",
    "starlette": "This cell is part of the web endpoint, which needs a server on a socket that a browser page "
    "cannot open",
    "uvicorn": "This cell is part of the web endpoint, which needs a server on a socket that a browser page "
    "cannot open",
    "httpx": "This cell is part of the web endpoint, which needs a server on a socket that a browser page "
    "cannot open",
    "threads": "This cell starts threads, which a browser page does not have",
}
_BASH = "cURL cells need a shell, which a browser page does not have"
_missing_names: dict[str, str] = {}  # names a degraded cell would have bound -> why it was degraded
_current_cell: list[str] = [""]


def degraded_sentence(why: str, name: str | None = None) -> str:
    """The one sentence a degraded cell shows. `why` is a key of the reasons (the missing module, or
    "threads"); `name` is set when the cell only uses something a degraded cell above would have made."""
    reason = _WHY.get(why, f"This cell needs {why}, which the browser edition does not include")
    if name is not None:
        why_above = "it " + reason.removeprefix("This cell ")
        return f"This cell uses `{name}`, which a cell above could not make ({why_above}); {_elsewhere('both')}."
    return f"{reason}; {_elsewhere()}."


def _why(value: BaseException) -> tuple[str, str | None] | None:
    """Why an exception means "this cannot run in a page", or None for an ordinary error."""
    if isinstance(value, ModuleNotFoundError) and value.name:
        root = value.name.split(".", 1)[0]
        return (root, None) if root in _WHY else None
    if isinstance(value, NameError) and getattr(value, "name", None) in _missing_names:
        return _missing_names[value.name], value.name
    if isinstance(value, RuntimeError) and "can't start new thread" in str(value):
        return "threads", None
    return None


def _bound_names(source: str) -> set[str]:
    """The names a cell binds at its top level (imports, assignments, definitions)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names: set[str] = set()
    for node in tree.body:
        for sub in ast.walk(node) if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else [node]:
            if isinstance(sub, (ast.Import, ast.ImportFrom)):
                names |= {(a.asname or a.name).split(".", 1)[0] for a in sub.names if a.name != "*"}
            elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(sub.name)
            elif isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                names.add(sub.id)
    return names


def _stored_figures(source: str) -> list[str]:
    """The PNG figures stored with the notebook for a cell with this source (base64), if any."""
    try:
        table = json.loads(FIGURES.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    key = hashlib.sha256(source.rstrip().encode("utf-8")).hexdigest()  # the kernel may add a final newline
    return list(table.get(key, []))


def _show_degraded(why: str, name: str | None) -> None:
    source = _current_cell[0]
    for n in _bound_names(source):
        _missing_names.setdefault(n, why)  # later cells that use them get the same sentence
    print(degraded_sentence(why, name))
    figures = _stored_figures(source) if why in ("matplotlib", "numpy") else []
    if figures:
        from IPython.display import Image, display

        print("The figure stored with the notebook:")
        for png in figures:
            display(Image(data=base64.b64decode(png)))


_HEREDOC = re.compile(r"<<-?\s*'?(\w+)'?")


def curl_request(cell: str, env: Any = None) -> tuple[str, str, dict[str, str], bytes] | None:
    """(method, path, headers, body) of a course cURL cell (`curl URL -H ... -d @- <<JSON | ...` with the body
    in the here-document, $VARS from `env`), or None when the cell is not of that shape."""
    env = os.environ if env is None else env
    lines = cell.split("\n")
    command, i = "", 0
    while i < len(lines):
        command += lines[i].rstrip("\\") + " "
        i += 1
        if not lines[i - 1].endswith("\\"):
            break
    marker = _HEREDOC.search(command)
    words = command[: marker.start()].split("|", 1)[0] if marker else command.split("|", 1)[0]
    try:
        argv = shlex.split(words)
    except ValueError:
        return None
    if not argv or argv[0] != "curl":
        return None
    expand = functools.partial(re.sub, r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), ""))
    url, headers, method, data = "", {}, "GET", b""
    args = iter(argv[1:])
    for a in args:
        if a == "-H":
            name, _, value = next(args, "").partition(":")
            headers[name.strip().lower()] = expand(value.strip())
        elif a in ("-d", "--data", "--data-binary"):
            method, value = "POST", next(args, "")
            if value == "@-" and marker:
                end = lines.index(marker.group(1), i) if marker.group(1) in lines[i:] else len(lines)
                data = expand("\n".join(lines[i:end])).encode("utf-8")
            else:
                data = expand(value).encode("utf-8")
        elif a == "-X":
            method = next(args, method)
        elif not a.startswith("-"):
            url = expand(a)
    if not url.startswith(BASE_URL + "/"):
        return None
    return method, url[len(BASE_URL) :], headers, data


def _bash(line: str, cell: str) -> None:
    """%%bash in a page: no shell, so say so; a course cURL cell's request is still answered from the
    recording (and logged), so the cells after it see the sequence they would after curl."""
    found = curl_request(cell) if _gateway is not None else None
    if found is None:
        print(f"{_BASH}; {_elsewhere()}.")
        return
    method, path, headers, body = found
    ans = _gateway.answer(CLIENT, method, path, httpx2.Headers(headers), body, BASE_URL)
    print(f"{_BASH}, so the recording answered this cell's request ({method} {path.split('?')[0]}: status "
          f"{ans.status}) without showing it; {_elsewhere('curl')}.")


def register(shell: Any) -> None:
    """In a Pyodide kernel: a `%%bash` magic that says why cURL cells do not run, and an exception handler
    that turns "cannot run in a page" into one sentence (not an error) and leaves every other error to the
    handler that was there (setup's one-line API errors)."""
    if shell is None:
        return
    _missing_names.clear()  # a notebook's first cell: nothing above it was degraded yet
    shell.register_magic_function(_bash, "cell", "bash")
    previous = getattr(shell, "CustomTB", None) if getattr(shell, "custom_exceptions", ()) else None
    if getattr(previous, "__name__", "") == "degrade":  # setup() run again: keep the original underneath
        previous = getattr(shell, "_primer_previous_tb", None)
    shell._primer_previous_tb = previous

    def remember(info: Any) -> None:
        _current_cell[0] = getattr(info, "raw_cell", "") or ""

    if remember.__name__ not in {getattr(f, "__name__", "") for f in shell.events.callbacks["pre_run_cell"]}:
        shell.events.register("pre_run_cell", remember)

    def degrade(self: Any, etype: type, value: BaseException, tb: Any, tb_offset: int | None = None) -> Any:
        found = _why(value)
        if found is not None:
            _show_degraded(*found)
            return []
        if previous is not None:
            return previous(etype, value, tb, tb_offset)
        self.showtraceback((etype, value, tb), tb_offset=tb_offset)
        return []

    shell.set_custom_exc((Exception,), degrade)

"""`setup(name)`: the first cell of every notebook.

Loads `.env`, picks the mode, starts this notebook's gateway on loopback (or joins a shared one named by
PRIMER_GATEWAY_URL), points the SDK at it through ANTHROPIC_BASE_URL and prints one banner line. Calling
it again stops the previous gateway first.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import sys
import traceback
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from .config import (
    DEFAULT_UPSTREAM,
    PLACEHOLDER_KEY,
    ConfigError,
    has_real_key,
    load_env,
    recordings_dir,
    replay_speed,
    resolve_mode,
)
from .gateway import Gateway
from .gateway.budget import Ledger, budget_cap, ledger_path
from .gateway.recordings import load_recording
from .gateway.upstream import Upstream
from .pricing import format_usd

__all__ = ["Session", "setup", "current_session", "teardown", "gateway_log", "gateway_status"]

_NAME = re.compile(r"^\d\d_[a-z0-9_]+$")
_CELL = re.compile(r"ipykernel_\d+[/\\]\d+\.py$")  # where ipykernel compiles a cell's code


@dataclass
class Session:
    """What `setup` started: the notebook's name, the mode, and the gateway (None when shared)."""

    name: str
    mode: str
    base_url: str
    gateway: Gateway | None
    banner: str

    @property
    def shared(self) -> bool:
        return self.gateway is None

    @cached_property
    def recording(self) -> Any:
        """This notebook's recording (loaded once from notebooks/recordings)."""
        return load_recording(recordings_dir() / f"{self.name}.json")


_current: Session | None = None


def current_session() -> Session:
    """The session `setup` started in this kernel; a ConfigError if there is none."""
    if _current is None:
        raise ConfigError("No course session yet: run the notebook's first cell, helpers.setup(...).")
    return _current


# Straight to the gateway: never through a system or environment proxy (Windows' proxy settings, http_proxy).
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _get_json(url: str) -> Any:
    with _DIRECT.open(url, timeout=5) as resp:  # loopback or the room's gateway
        return json.loads(resp.read())


def gateway_status() -> dict[str, Any]:
    """The gateway's view of this kernel: mode, recordings, budget and this kernel's spend."""
    s = current_session()
    if s.gateway is not None:
        return s.gateway.status("127.0.0.1")
    return _get_json(f"{s.base_url}/_primer/status")


def gateway_log() -> list[dict[str, Any]]:
    """What the gateway answered this kernel so far, oldest first (no keys, no bodies)."""
    s = current_session()
    if s.gateway is not None:
        return [asdict(e) for e in s.gateway.log]
    return list(_get_json(f"{s.base_url}/_primer/log"))


def teardown() -> None:
    """Stop this kernel's gateway, if any."""
    global _current
    if _current is not None:
        if _current.gateway is not None:
            _current.gateway.stop()
        _current = None


def _replay_words(name: str, provenance: dict[str, Any] | None) -> str:
    if provenance is None:
        return f"the gateway has no recording named {name}"
    if provenance.get("source") == "authored":
        what = "authored examples in the API's format, not live Claude output"
    else:
        what = f"recorded from the real API on {provenance.get('date', '?')} with {provenance.get('sdk', '?')}"
    return f"answers come from recordings/{name}.json ({what})"


def _budget_words(budget: dict[str, Any]) -> str:
    return f"budget {format_usd(budget['left'])} of {format_usd(budget['cap'])} left (PRIMER_BUDGET_USD)"


def _banner(mode: str, name: str, status: dict[str, Any], shared_url: str | None) -> str:
    where = f" via the shared gateway at {shared_url}" if shared_url else ""
    if mode == "replay":
        tail = "" if shared_url else " No key needed; nothing leaves this machine."
        return f"replay mode{where}: {_replay_words(name, status['recordings'].get(name))}.{tail}"
    verb = "recorded and metered" if mode == "record" else "metered"
    return (
        f"{mode} mode{where}: calls go to {status['upstream']} with your key, each one {verb}; "
        + _budget_words(status["budget"])
        + "."
    )


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def _setup_shared(name: str, url: str) -> Session:
    """Join the gateway at `url`. This kernel's own settings decide the mode, never the gateway's claim,
    and a real key is never sent over plain HTTP to another machine."""
    url = url.rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"PRIMER_GATEWAY_URL={url!r} must be an address like http://192.168.1.20:8765.")
    explicit = bool(os.environ.get("PRIMER_MODE", "").strip())
    mode = resolve_mode()
    if mode == "replay":  # a room's replay gateway needs no key: the real one stays out of every request
        os.environ["ANTHROPIC_API_KEY"] = PLACEHOLDER_KEY
    if mode != "replay" and parts.scheme != "https" and not _is_loopback(parts.hostname):
        raise ConfigError(
            f"PRIMER_GATEWAY_URL={url} is plain HTTP to another machine: {mode} mode would send your API key "
            "across the network unencrypted. Use an https:// address or one on this machine, or set "
            "PRIMER_MODE=replay to join a room's replay gateway."
        )
    try:
        status = _get_json(f"{url}/_primer/status")
    except (OSError, ValueError, urllib.error.URLError) as e:
        raise ConfigError(
            f"PRIMER_GATEWAY_URL={url} does not answer ({getattr(e, 'reason', e)}); unset it to use your own gateway."
        ) from None
    remote = status.get("mode") if isinstance(status, dict) else None
    if remote == "replay" and not explicit:
        mode = "replay"  # a key in .env made the default "live", but the room serves recordings
        os.environ["ANTHROPIC_API_KEY"] = PLACEHOLDER_KEY
    if remote != mode:
        raise ConfigError(
            f"PRIMER_GATEWAY_URL={url} says it runs in {remote!r} mode, but this kernel is set to {mode} "
            "(PRIMER_MODE, or a key in .env). Set PRIMER_MODE to match it, or unset PRIMER_GATEWAY_URL."
        )
    if mode == "live" and not has_real_key():
        raise ConfigError(
            "Live mode needs your API key: copy .env.example to .env and put it after ANTHROPIC_API_KEY=."
        )
    if mode == "replay":
        _DIRECT.open(urllib.request.Request(f"{url}/_primer/reset", method="POST"), timeout=5).close()
    return Session(name, mode, url, None, _banner(mode, name, status, url))


def _setup_in_browser(name: str) -> Session:
    """Pyodide (the browser edition, helpers.inbrowser): no sockets or threads, so the gateway answers
    in-process through the SDK's HTTP transport. Replay only: a key is never used in a page."""
    from . import inbrowser

    if resolve_mode() != "replay":
        raise ConfigError(
            "The browser edition runs in replay only; to call the real API with your key, run the course on "
            "your machine with `make lab` (README, Set-up)."
        )
    gateway = inbrowser.make_gateway(load_recording(recordings_dir() / f"{name}.json"), replay_speed())
    os.environ["ANTHROPIC_API_KEY"] = PLACEHOLDER_KEY
    inbrowser.install(gateway)
    status = gateway.status(inbrowser.CLIENT)
    banner = (
        f"replay mode in your browser: {_replay_words(name, status['recordings'].get(name))}. "
        "Replay only: no key is used and no request leaves this page."
    )
    return Session(name, "replay", inbrowser.BASE_URL, gateway, banner)


def _setup_own(name: str) -> Session:
    if sys.platform == "emscripten":
        return _setup_in_browser(name)
    mode = resolve_mode()
    speed = replay_speed()
    if mode == "record":
        raise ConfigError("Record mode runs from `make record NB=<notebook>`, not from a notebook; use live or replay.")
    if mode == "live":
        if not has_real_key():
            raise ConfigError(
                "Live mode needs your API key: copy .env.example to .env and put it after ANTHROPIC_API_KEY= "
                "(or set PRIMER_MODE=replay to stay offline)."
            )
        upstream = Upstream(os.environ.get("PRIMER_UPSTREAM_URL") or DEFAULT_UPSTREAM)
        ledger = Ledger(ledger_path(), budget_cap())
        ledger.check()
        gateway = Gateway([], mode="live", upstream=upstream, ledger=ledger)
    else:
        gateway = Gateway([load_recording(recordings_dir() / f"{name}.json")], speed=speed)
        if not has_real_key():
            os.environ["ANTHROPIC_API_KEY"] = PLACEHOLDER_KEY
    try:
        banner = _banner(mode, name, gateway.status("127.0.0.1"), None)  # reads the ledger: it may be broken
    except ConfigError:
        gateway.stop()
        raise
    gateway.start()
    return Session(name, mode, gateway.url, gateway, banner)


def _raised_in_a_cell(shell: Any, tb: Any) -> bool:
    """Whether the innermost Python frame of `tb` is the learner's own cell code (not the SDK's or ours)."""
    frames = traceback.extract_tb(tb)
    if not frames:
        return True
    name = frames[-1].filename
    return name in getattr(shell.compile, "_filename_map", {}) or name.startswith("<") or bool(_CELL.search(name))


def _one_line_api_errors() -> None:
    """In a notebook, show an error raised inside the SDK or the course's helpers as one line (its type and
    message), as the stored outputs do, instead of a screen of library internals. An API error is always one
    line, and so is `next(...)` finding nothing (a bare StopIteration); another error raised by the learner's
    own cell code keeps IPython's usual short traceback. `%tb` still prints the whole one."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        return
    from anthropic import APIError as api_error

    def one_line(self: Any, etype: type, value: BaseException, tb: Any, tb_offset: int | None = None) -> list[str]:
        sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb  # what %tb shows in full
        message = f"{etype.__name__}: {value}"
        if isinstance(value, StopIteration) and not str(value):  # next(...) on a search that found nothing
            message = "StopIteration: next(...) found no item that matched: nothing in what it searched fits"
        elif not isinstance(value, api_error) and _raised_in_a_cell(self, tb):
            self.showtraceback((etype, value, tb), tb_offset=tb_offset, running_compiled_code=True)
            return []
        stb = [message, "(the full traceback: run %tb in the next cell)"]
        self._showtraceback(etype, value, stb)  # IPython leaves displaying to the handler
        return stb

    shell.set_custom_exc((Exception,), one_line)


def _show_banner(banner: str) -> None:
    """A boxed banner naming the course's models in a notebook; the plain line elsewhere (scripts, tests)."""
    shell = None
    if "IPython" in sys.modules:
        from IPython import get_ipython

        shell = get_ipython()
    if shell is None:
        print(banner)
        return
    from IPython.display import display

    from .display import banner_bundle
    from .models import HAIKU, OPUS, SONNET

    display(banner_bundle(banner, {"OPUS": OPUS, "SONNET": SONNET, "HAIKU": HAIKU}), raw=True)


def setup(name: str) -> None:
    """Start the course for notebook `name` (e.g. "01_first_request") and print one banner line."""
    global _current
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(f"setup() needs the notebook's name like '01_first_request', got {name!r}.")
    load_env()
    folder = recordings_dir()
    if not (folder / f"{name}.json").is_file():
        known = ", ".join(sorted(p.stem for p in folder.glob("*.json"))) or "none"
        raise ConfigError(f"No recording for {name!r} in notebooks/recordings (there are: {known}).")
    teardown()
    shared = os.environ.get("PRIMER_GATEWAY_URL", "").strip()
    session = _setup_shared(name, shared) if shared else _setup_own(name)
    os.environ["ANTHROPIC_BASE_URL"] = session.base_url
    _current = session
    if "IPython" in sys.modules:
        from .display import register_formatters

        register_formatters()
        _one_line_api_errors()
        if sys.platform == "emscripten":  # what cannot run in a page says so in one sentence
            from IPython import get_ipython

            from .inbrowser import register

            register(get_ipython())
    _show_banner(session.banner)

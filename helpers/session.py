"""`setup(name)`: the first cell of every notebook.

Loads `.env`, picks the mode, starts this notebook's gateway on loopback, points the SDK at it through
ANTHROPIC_BASE_URL and prints one banner line. Calling it again stops the previous gateway first.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass

from .config import (
    PLACEHOLDER_KEY,
    RECORDINGS_DIR,
    ConfigError,
    has_real_key,
    load_env,
    replay_speed,
    resolve_mode,
)
from .gateway import Gateway
from .recordings import Recording, load_recording

__all__ = ["Session", "setup", "current_session", "teardown", "gateway_log"]

_NAME = re.compile(r"^\d\d_[a-z0-9_]+$")


@dataclass
class Session:
    """What `setup` started: the notebook's name, the mode, the gateway and its recording."""

    name: str
    mode: str
    gateway: Gateway
    recording: Recording | None
    banner: str

    @property
    def base_url(self) -> str:
        return self.gateway.url


_current: Session | None = None


def current_session() -> Session:
    """The session `setup` started in this kernel; a ConfigError if there is none."""
    if _current is None:
        raise ConfigError("No course session yet: run the notebook's first cell, helpers.setup(...).")
    return _current


def gateway_log() -> list[dict[str, object]]:
    """What this notebook's gateway answered so far, oldest first (no keys, no bodies)."""
    from dataclasses import asdict

    return [asdict(e) for e in current_session().gateway.log]


def teardown() -> None:
    """Stop this kernel's gateway, if any."""
    global _current
    if _current is not None:
        _current.gateway.stop()
        _current = None


def _banner(mode: str, rec: Recording | None) -> str:
    if rec is None:
        return f"{mode}"
    where = f"recordings/{rec.name}.json"
    prov = rec.provenance
    if rec.authored:
        what = "authored examples in the API's format, not live Claude output"
    else:
        when, sdk = prov.get("date", "an unknown date"), prov.get("sdk", "an unknown SDK")
        what = f"recorded from the real API on {when} with {sdk}"
    return f"replay mode: answers come from {where} ({what}). No key needed; nothing leaves this machine."


def setup(name: str) -> None:
    """Start the course for notebook `name` (e.g. "01_first_request") and print one banner line."""
    global _current
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(f"setup() needs the notebook's name like '01_first_request', got {name!r}.")
    load_env()
    mode = resolve_mode()
    speed = replay_speed()
    if mode != "replay":
        raise ConfigError(f"PRIMER_MODE={mode} is not built yet in this version of the course; use PRIMER_MODE=replay.")
    path = RECORDINGS_DIR / f"{name}.json"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in RECORDINGS_DIR.glob("*.json"))) or "none"
        raise ConfigError(f"No recording for {name!r} in notebooks/recordings (there are: {known}).")
    rec = load_recording(path)
    teardown()
    gateway = Gateway([rec], speed=speed).start()
    os.environ["ANTHROPIC_BASE_URL"] = gateway.url
    if not has_real_key():
        os.environ["ANTHROPIC_API_KEY"] = PLACEHOLDER_KEY
    _current = Session(name=name, mode=mode, gateway=gateway, recording=rec, banner=_banner(mode, rec))
    if "IPython" in sys.modules:
        from .display import register_formatters

        register_formatters()
    print(_current.banner)

"""Where the course lives, which mode it runs in, and how its settings are read.

Settings come from the environment, with `.env` at the repository root loaded first without overriding
what the environment already says.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

__all__ = [
    "REPO_ROOT",
    "NOTEBOOKS_DIR",
    "RECORDINGS_DIR",
    "MODES",
    "PLACEHOLDER_KEY",
    "DEFAULT_UPSTREAM",
    "ConfigError",
    "load_env",
    "resolve_mode",
    "replay_speed",
    "has_real_key",
    "recordings_dir",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
RECORDINGS_DIR = NOTEBOOKS_DIR / "recordings"

MODES = ("replay", "live", "record")
# Set as ANTHROPIC_API_KEY in replay so the SDK constructs; not key-shaped, never sent anywhere real.
PLACEHOLDER_KEY = "replay-mode-placeholder-not-a-key"
DEFAULT_UPSTREAM = "https://api.anthropic.com"


class ConfigError(ValueError):
    """A setting is wrong; the message says which and what to do. Shown as one line in a notebook."""

    def _render_traceback_(self) -> list[str]:  # IPython: one line instead of a traceback wall
        return [f"{type(self).__name__}: {self}"]


def load_env(path: Path | None = None) -> bool:
    """Load `.env` (default: the repository's) into os.environ without overriding existing values."""
    from dotenv import load_dotenv

    target = path if path is not None else REPO_ROOT / ".env"
    return load_dotenv(target, override=False) if target.is_file() else False


def has_real_key(env: Mapping[str, str] | None = None) -> bool:
    """Whether ANTHROPIC_API_KEY holds something other than nothing or the replay placeholder."""
    env = os.environ if env is None else env
    key = env.get("ANTHROPIC_API_KEY", "").strip()
    return bool(key) and key != PLACEHOLDER_KEY


def resolve_mode(env: Mapping[str, str] | None = None) -> str:
    """PRIMER_MODE if set (replay, live, record); otherwise live with a real key, else replay."""
    env = os.environ if env is None else env
    raw = env.get("PRIMER_MODE", "").strip().lower()
    if not raw:
        return "live" if has_real_key(env) else "replay"
    if raw not in MODES:
        raise ConfigError(f"PRIMER_MODE={env.get('PRIMER_MODE')!r} is not valid; use one of: {', '.join(MODES)}.")
    return raw


def replay_speed(env: Mapping[str, str] | None = None) -> float:
    """PRIMER_REPLAY_SPEED: 1 replays streams at the recorded pace, 2 twice as fast, 0 instantly."""
    env = os.environ if env is None else env
    raw = env.get("PRIMER_REPLAY_SPEED", "").strip()
    if not raw:
        return 1.0
    try:
        speed = float(raw)
    except ValueError:
        speed = -1.0
    if not speed >= 0 or speed == float("inf"):
        raise ConfigError(
            f"PRIMER_REPLAY_SPEED={raw!r} is not valid; use a number >= 0 (1 = recorded pace, 0 = instant)."
        )
    return speed


def recordings_dir(env: Mapping[str, str] | None = None) -> Path:
    """PRIMER_RECORDINGS_DIR (used by the record round-trip test), else notebooks/recordings."""
    env = os.environ if env is None else env
    raw = env.get("PRIMER_RECORDINGS_DIR", "").strip()
    return Path(raw) if raw else RECORDINGS_DIR

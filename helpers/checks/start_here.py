"""Self-check for 00_start_here: which mode does the course pick?"""

from __future__ import annotations

from ..config import ConfigError, resolve_mode
from . import Result, result

__all__ = ["SCENARIOS", "check_modes"]

# name -> the environment a learner might have (keys shown as "<your key>", never real ones)
SCENARIOS: dict[str, dict[str, str]] = {
    "a": {},
    "b": {"ANTHROPIC_API_KEY": "<your key>"},
    "c": {"ANTHROPIC_API_KEY": "<your key>", "PRIMER_MODE": "replay"},
    "d": {"PRIMER_MODE": "Live"},
    "e": {"PRIMER_MODE": "offline"},
}


def _expected(env: dict[str, str]) -> str:
    try:
        return resolve_mode(env)
    except ConfigError:
        return "error"


def check_modes(predictions: dict[str, str]) -> Result:
    """Compare a learner's predicted mode ("replay", "live", "record" or "error") for each scenario."""
    title = "Which mode?"
    if not isinstance(predictions, dict):
        return result(title, ["Give a dict mapping each scenario letter to a mode, e.g. {'a': 'replay', ...}."])
    problems = []
    for name, env in SCENARIOS.items():
        got = predictions.get(name)
        want = _expected(env)
        if got is None or got == "...":
            problems.append(f"Scenario {name}: no prediction yet.")
        elif str(got).lower() != want:
            why = {
                "replay": "with no key and no PRIMER_MODE, or with PRIMER_MODE=replay, the course replays.",
                "live": "a key with PRIMER_MODE unset means live; PRIMER_MODE is read case-insensitively.",
                "error": "PRIMER_MODE must be replay, live or record; anything else stops setup with a one-line error.",
            }.get(want, "")
            problems.append(f"Scenario {name}: {got!r} is not it; {why}")
    return result(title, problems, "setup() reads the environment (and .env) exactly like this.")

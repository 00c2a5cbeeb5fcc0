"""Self-check for 00_start_here: which mode does the course pick?"""

from __future__ import annotations

from ..config import ConfigError, has_real_key, resolve_mode
from . import Result, result, unfilled

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
    """What `helpers.setup()` does in a notebook with this environment (helpers/session.py, `_setup_own`):
    resolve_mode() picks the mode, then setup refuses record mode in a notebook and live mode without a key."""
    try:
        mode = resolve_mode(env)
    except ConfigError:
        return "error"
    if mode == "record" or (mode == "live" and not has_real_key(env)):
        return "error"
    return mode


# Why each scenario resolves as it does: the hint names what that scenario's environment holds.
_WHY: dict[str, str] = {
    "a": "no key and no PRIMER_MODE: the course replays.",
    "b": "a key with PRIMER_MODE unset means live.",
    "c": "PRIMER_MODE wins when it is set: replay, even with a key.",
    "d": "'Live' asks for live mode (case does not matter), and live mode needs a key: with none, setup stops "
    "with a one-line error.",
    "e": "PRIMER_MODE must be replay, live or record; anything else stops setup with a one-line error.",
}


def check_modes(predictions: dict[str, str]) -> Result:
    """Compare a learner's predicted mode ("replay", "live", "record" or "error") for each scenario."""
    title = "Which mode?"
    if not isinstance(predictions, dict):
        return result(title, ["Give a dict mapping each scenario letter to a mode, e.g. {'a': 'replay', ...}."])
    if all(unfilled(predictions.get(name, ...)) for name in SCENARIOS):
        return result(title, ['Replace each ... with "replay", "live", "record" or "error".'])
    problems = []
    for name, env in SCENARIOS.items():
        got = predictions.get(name, ...)
        want = _expected(env)
        if unfilled(got) or got is None:
            problems.append(f"Scenario {name}: replace ... with your prediction.")
        elif str(got).lower() != want:
            problems.append(f"Scenario {name}: {got!r} is not it; {_WHY.get(name, '')}")
    return result(title, problems, "setup() reads the environment (and .env) exactly like this.")

"""The Claude API primer's helpers: set up a notebook, price usage, show responses, check exercises.

`import helpers` starts nothing and writes nothing; `helpers.setup(name)` does the work. The core
(config, models, pricing, recordings, gateway) never imports Jupyter, widgets or matplotlib.
"""

from __future__ import annotations

from typing import Any

from .config import ConfigError, resolve_mode
from .models import HAIKU, MODELS, OPUS, PRIMER_HAIKU, PRIMER_OPUS, PRIMER_SONNET, SONNET, model_info
from .pricing import PRICES, cost, format_usd, price_of

__all__ = [
    "setup",
    "teardown",
    "current_session",
    "gateway_log",
    "spend",
    "ConfigError",
    "resolve_mode",
    "OPUS",
    "SONNET",
    "HAIKU",
    "PRIMER_OPUS",
    "PRIMER_SONNET",
    "PRIMER_HAIKU",
    "MODELS",
    "model_info",
    "PRICES",
    "price_of",
    "cost",
    "format_usd",
]

_SESSION_NAMES = ("setup", "teardown", "current_session", "gateway_log")


def __getattr__(name: str) -> Any:
    # Loaded on first use: `import helpers` starts nothing and imports no server code.
    if name in _SESSION_NAMES:
        from . import session

        return getattr(session, name)
    if name == "spend":
        from .spending import spend

        return spend
    raise AttributeError(f"module 'helpers' has no attribute {name!r}")

"""The Claude API primer's helpers: set up a notebook, price usage, show responses, check exercises.

`import helpers` starts nothing and writes nothing; `helpers.setup(name)` does the work. The core
(config, models, pricing, recordings, gateway) never imports Jupyter, widgets or matplotlib.
"""

from __future__ import annotations

from .config import ConfigError, resolve_mode
from .models import HAIKU, MODELS, OPUS, SONNET, model_info
from .pricing import PRICES, cost, format_usd, price_of
from .session import current_session, gateway_log, setup, teardown

__all__ = [
    "setup",
    "teardown",
    "current_session",
    "gateway_log",
    "ConfigError",
    "resolve_mode",
    "OPUS",
    "SONNET",
    "HAIKU",
    "MODELS",
    "model_info",
    "PRICES",
    "price_of",
    "cost",
    "format_usd",
]

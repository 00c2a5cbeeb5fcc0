"""The course gateway: the API stand-in every notebook talks to over HTTP, and nothing else.

`server` is the `Gateway` facade (replay through `answer`, live and record through `forward`, both without a
socket), put on a socket by `handler` and `pool`; `live` forwards, meters and settles; `answers` holds the
answers as values; `routes` is the one route table; `admission` the live bound's allow-list; `guard` whom
the gateway talks to; `recordings` the recording format and matching; `meter` prices what the API answered;
`budget` bounds a live call's worst case and keeps the spend ledger; `upstream` forwards to the real API;
`cli` is `python -m helpers.gateway`. This package imports only the
course's core (config, models, pricing) and the standard library, never a lesson module, Jupyter,
widgets or matplotlib.
"""

from __future__ import annotations

from .server import MAX_BODY_BYTES, Gateway, LogEntry, error_body

__all__ = ["Gateway", "LogEntry", "MAX_BODY_BYTES", "error_body"]

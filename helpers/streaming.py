"""Streaming helpers for 05_streaming: recorded event offsets, the arrival figure, a loopback web server.

The notebook measures time to first token itself, with time.perf_counter() in plain code; these helpers only
read and draw the recording's own pace (the offsets, "at" in seconds, stored with each event), which replay at
speed 1 reproduces and speed 0 skips. `BackgroundServer`
runs an ASGI app (Starlette) with uvicorn in a thread, so a notebook can serve and read a stream itself.
matplotlib and uvicorn are imported only when used.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Sequence
from typing import Any

from .gateway.recordings import Recording

__all__ = [
    "recorded_events",
    "event_data",
    "first_text_at",
    "total_time",
    "arrival_curve",
    "plot_arrival",
    "BackgroundServer",
]


def recorded_events(label: str, recording: Recording | None = None) -> list[dict[str, Any]]:
    """The SSE events, each {"at", "event", "data"}, of the exchange labelled `label`.

    Reads `recording`, or else the recording of the notebook's session (`helpers.setup`). A ValueError
    names the labels that do exist when `label` is not one of them or is not a stream.
    """
    if recording is None:
        from .session import current_session

        recording = current_session().recording
        if recording is None:
            raise ValueError("This session has no recording to read event offsets from (replay mode has one).")
    for ex in recording.exchanges:
        if ex.label == label:
            if ex.response.events is None:
                raise ValueError(f"Exchange {label!r} of {recording.name} is not a stream.")
            return [dict(ev) for ev in ex.response.events]
    streams = [ex.label for ex in recording.exchanges if ex.response.events is not None]
    raise ValueError(f"No stream labelled {label!r} in {recording.name}; there are: {', '.join(map(repr, streams))}.")


def event_data(events: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Just the JSON payloads of recorded events: what a client parses from each `data:` line."""
    return [ev["data"] for ev in events]


def _text_of(ev: dict[str, Any]) -> str:
    data = ev.get("data") or {}
    if ev.get("event") == "content_block_delta" and isinstance(data, dict):
        delta = data.get("delta") or {}
        if delta.get("type") == "text_delta":
            return str(delta.get("text", ""))
    return ""


def first_text_at(events: Sequence[dict[str, Any]]) -> float | None:
    """The offset (seconds) of the first text delta: the time to first token; None if no text came."""
    for ev in events:
        if _text_of(ev):
            return float(ev["at"])
    return None


def total_time(events: Sequence[dict[str, Any]]) -> float:
    """The offset (seconds) of the last event: when the whole answer had arrived (0 for no events)."""
    return float(events[-1]["at"]) if events else 0.0


def arrival_curve(events: Sequence[dict[str, Any]]) -> tuple[list[float], list[int]]:
    """Offsets and the characters of text received by then, starting at (0, 0): a step curve."""
    times, chars, total = [0.0], [0], 0
    for ev in events:
        piece = _text_of(ev)
        if piece:
            total += len(piece)
            times.append(float(ev["at"]))
            chars.append(total)
    return times, chars


def plot_arrival(events: Sequence[dict[str, Any]], title: str = "Characters on screen over time") -> Any:
    """A figure: text on screen over time when streaming vs when waiting for the whole message."""
    from .plots import COLORS, figure

    times, chars = arrival_curve(events)
    end = max(total_time(events), times[-1])
    fig, ax = figure(title, "time since the request was sent (s)", "characters on screen")
    ax.step(times + [end], chars + [chars[-1]], where="post", color=COLORS["opus"], label="streaming")
    ax.step([0.0, end, end], [0, 0, chars[-1]], where="post", color=COLORS["muted"], linestyle="--",
            label="waiting for the whole message")
    first = first_text_at(events)
    if first is not None:
        ax.axvline(first, color=COLORS["accent"], linewidth=0.8)
        ax.annotate(f"first text at {first:.2f} s", (first, chars[-1] * 0.9), xytext=(6, 0),
                    textcoords="offset points", color=COLORS["accent"], fontsize=9)
    ax.set_xlim(0, end * 1.02 if end else 1)
    ax.set_ylim(0, max(chars[-1], 1) * 1.05)
    ax.legend(loc="lower right", bbox_to_anchor=(0.97, 0.08), frameon=False)
    fig.tight_layout()
    return fig


class BackgroundServer:
    """Serve an ASGI app with uvicorn on loopback in a daemon thread; `url` to reach it, `stop()` to end.

    The listening socket is bound and listening before the thread starts, so `url` is usable at once:
    early connections wait in the backlog instead of failing, and no start-up polling is needed.
    """

    def __init__(self, app: Any, host: str = "127.0.0.1"):
        if host not in ("127.0.0.1", "localhost", "::1"):
            # The notebook's endpoint is a demonstration: never reachable from other machines.
            raise ValueError(f"BackgroundServer listens on loopback only, not {host!r}.")
        self.app = app
        self.host = "127.0.0.1" if host == "localhost" else host
        self._sock: socket.socket | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._sock is None:
            raise RuntimeError("The server is not running: call start() first.")
        return int(self._sock.getsockname()[1])

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> BackgroundServer:
        """Bind a free port, start uvicorn in a thread and return self (a second call does nothing)."""
        if self._thread is not None:
            return self
        import uvicorn

        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.bind((self.host, 0))
        sock.listen(64)
        # No logging config and no lifespan: nothing may print into the notebook.
        config = uvicorn.Config(self.app, log_config=None, log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._sock = sock
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="notebook-web-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> bool:
        """Ask uvicorn to finish, wait up to `timeout` s, free the port; True once stopped (safe twice)."""
        if self._thread is None:
            return True
        self._server.should_exit = True
        self._thread.join(timeout)
        stopped = not self._thread.is_alive()
        if stopped:
            self._thread = None
            if self._sock is not None:
                self._sock.close()
                self._sock = None
        return stopped

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

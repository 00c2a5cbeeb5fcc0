"""The live-mode budget: a worst-case bound for each call and a ledger that keeps the cap across kernels.

Before forwarding a billable call the gateway reserves its worst case (input estimate plus max_tokens at
the output price; half for batches) under a file lock, and refuses if spent + reserved + worst case would
cross the cap. When the answer arrives the reservation is replaced by the metered cost. The ledger is a
small git-ignored JSON file, so the cap holds across notebooks, kernels and restarts.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import REPO_ROOT, ConfigError
from ..pricing import BATCH_DISCOUNT, CACHE_WRITE_1H, CACHE_WRITE_5M, format_usd, price_of
from .meter import Charge

__all__ = [
    "DEFAULT_BUDGET_USD",
    "budget_cap",
    "ledger_path",
    "Estimate",
    "worst_case",
    "BudgetExceeded",
    "Ledger",
]

DEFAULT_BUDGET_USD = 2.0
STALE_AFTER_S = 2 * 3600  # a reservation older than this belongs to a call that cannot still be running
_CHARS_PER_TOKEN = 3  # deliberately fewer than the usual ~4: the bound must not underestimate
_TOOL_OVERHEAD = 500  # the API's tool-use instructions (about 350 tokens on Claude 4.x), rounded up
# No course model writes more than this; a larger max_tokens is refused by the API before it costs anything.
_MAX_OUTPUT = 128_000


def budget_cap(env: Mapping[str, str] | None = None) -> float:
    """PRIMER_BUDGET_USD, or the default of $2.00."""
    env = os.environ if env is None else env
    raw = env.get("PRIMER_BUDGET_USD", "").strip()
    if not raw:
        return DEFAULT_BUDGET_USD
    try:
        cap = float(raw)
    except ValueError:
        cap = -1.0
    if not 0 <= cap < math.inf:
        raise ConfigError(f"PRIMER_BUDGET_USD={raw!r} is not valid; use dollars as a number >= 0, e.g. 2 or 0.50.")
    return cap


def ledger_path(env: Mapping[str, str] | None = None) -> Path:
    """PRIMER_LEDGER, or .primer/ledger.json in the repository (git-ignored)."""
    env = os.environ if env is None else env
    return Path(env.get("PRIMER_LEDGER") or REPO_ROOT / ".primer" / "ledger.json")


@dataclass(frozen=True)
class Estimate:
    usd: float
    detail: str


def _one(params: Mapping[str, Any], raw_len: int, factor: float) -> tuple[float, str]:
    model = params.get("model")
    max_tokens = params.get("max_tokens")
    if not isinstance(model, str) or isinstance(max_tokens, bool) or not isinstance(max_tokens, int):
        return 0.0, ""  # the API will reject it with a 400 before generating anything
    price = price_of(model)
    text = json.dumps(params, ensure_ascii=False)
    rate = price.input
    if "cache_control" in text:
        rate *= CACHE_WRITE_1H if '"1h"' in text else CACHE_WRITE_5M
    tokens_in = math.ceil(max(raw_len, len(text)) / _CHARS_PER_TOKEN)
    if params.get("tools"):
        tokens_in += _TOOL_OVERHEAD
    usd = (tokens_in * rate + min(max_tokens, _MAX_OUTPUT) * price.output) * factor / 1e6
    return usd, f"~{tokens_in:,} input + {max_tokens:,} max_tokens on {model}"


def worst_case(method: str, path: str, body: Any, raw_len: int = 0) -> Estimate | None:
    """The most a call can cost, or None for calls that cost nothing (count_tokens, GETs, cancel).

    Raises UnknownPriceError for a model without a price: a call that cannot be bounded is refused.
    """
    route = path.split("?", 1)[0]
    if method != "POST" or not isinstance(body, dict):
        return None
    if route == "/v1/messages":
        usd, detail = _one(body, raw_len, 1.0)
        return Estimate(usd, detail)
    if route == "/v1/messages/batches":
        total, n = 0.0, 0
        for req in body.get("requests") or []:
            params = req.get("params") if isinstance(req, dict) else None
            if isinstance(params, dict):
                usd, _ = _one(params, 0, BATCH_DISCOUNT)
                total += usd
                n += 1
        return Estimate(total, f"{n} batch requests at the batch rate")
    return None


class BudgetExceeded(Exception):
    """A call's worst case would cross the cap; the message says what is left and how to raise it."""

    def __init__(self, needed: float, left: float, cap: float, detail: str):
        self.needed, self.left, self.cap = needed, left, cap
        super().__init__(
            f"Course budget: this call could cost up to {format_usd(needed)} ({detail}), but only {format_usd(left)} "
            f"of your {format_usd(cap)} budget is left. Lower max_tokens, or raise the cap with PRIMER_BUDGET_USD "
            f"in .env (spend so far is in {ledger_path().name})."
        )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Ledger:
    """Spend and open reservations in one JSON file, changed only under an exclusive file lock."""

    def __init__(self, path: Path, cap: float):
        self.path, self.cap = Path(path), cap

    @contextmanager
    def _locked(self) -> Iterator[dict[str, Any]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                state = self._read()
                yield state
                tmp = self.path.with_suffix(".tmp")
                tmp.write_text(json.dumps(state, indent=1, sort_keys=True))
                os.replace(tmp, self.path)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read(self) -> dict[str, Any]:
        try:
            state = json.loads(self.path.read_text())
        except FileNotFoundError:
            state = {}
        except (json.JSONDecodeError, OSError) as e:
            raise ConfigError(f"The spend ledger {self.path} is unreadable ({e}); fix or delete it.") from None
        state.setdefault("spent_usd", 0.0)
        state.setdefault("by_model", {})
        state.setdefault("reservations", {})
        state.setdefault("settled_batches", [])
        now = time.time()

        def live(r: dict[str, Any]) -> bool:
            # A batch's hold outlives its kernel; a call's hold dies with its process or after STALE_AFTER_S.
            fresh = now - float(r.get("at", 0)) < STALE_AFTER_S
            return bool(r.get("batch")) or (fresh and _alive(int(r.get("pid", 0))))

        state["reservations"] = {k: r for k, r in state["reservations"].items() if live(r)}
        return state

    def snapshot(self) -> dict[str, Any]:
        """Spent, reserved and left, read under the lock."""
        with self._locked() as s:
            reserved = sum(float(r["usd"]) for r in s["reservations"].values())
            return {
                "cap": self.cap,
                "spent": s["spent_usd"],
                "reserved": reserved,
                "left": max(0.0, self.cap - s["spent_usd"] - reserved),
                "by_model": dict(s["by_model"]),
            }

    def reserve(self, est: Estimate) -> str:
        """Hold `est` against the cap and return a reservation id; BudgetExceeded if it does not fit."""
        with self._locked() as s:
            reserved = sum(float(r["usd"]) for r in s["reservations"].values())
            left = self.cap - s["spent_usd"] - reserved
            if est.usd > left + 1e-12:
                raise BudgetExceeded(est.usd, max(0.0, left), self.cap, est.detail)
            rid = uuid.uuid4().hex
            s["reservations"][rid] = {"usd": est.usd, "pid": os.getpid(), "at": time.time()}
            return rid

    def settle(self, rid: str | None, charges: list[Charge], *, keep_reserved: bool = False) -> None:
        """Replace a reservation with what was actually charged (or keep it, e.g. an unmetered stream)."""
        with self._locked() as s:
            held = s["reservations"].pop(rid, None) if rid else None
            if keep_reserved and held:
                s["spent_usd"] += float(held["usd"])
                return
            self._add(s, charges)

    def hold_for_batch(self, rid: str, batch_id: str) -> None:
        """Keep a batch's reservation until its results are metered (possibly in another kernel)."""
        with self._locked() as s:
            held = s["reservations"].pop(rid, None)
            if held:
                s["reservations"][f"batch:{batch_id}"] = dict(held, batch=batch_id)

    def settle_batch(self, batch_id: str, charges: list[Charge]) -> None:
        """Meter a batch's results once, however often they are fetched."""
        with self._locked() as s:
            if batch_id in s["settled_batches"]:
                return
            s["reservations"].pop(f"batch:{batch_id}", None)
            s["settled_batches"].append(batch_id)
            self._add(s, charges)

    @staticmethod
    def _add(s: dict[str, Any], charges: list[Charge]) -> None:
        for c in charges:
            if c.usd is not None:
                s["spent_usd"] += c.usd
                s["by_model"][c.model] = s["by_model"].get(c.model, 0.0) + c.usd

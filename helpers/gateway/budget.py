"""The live-mode budget: a worst-case bound for each call and a ledger that keeps the cap across kernels.

Before forwarding a billable call the gateway reserves its worst case under a cross-platform file lock and
refuses if spent + unsettled + reserved + worst case would cross the cap. When the answer arrives the
reservation is replaced by the metered cost. A reservation whose process died, or which is too old to
belong to a running call, is never dropped: it moves to "unsettled" and counts as spent until metered
results prove otherwise (a batch fetched later). The ledger is a small git-ignored JSON file, so the cap
holds across notebooks, kernels and restarts.
"""

from __future__ import annotations

import json
import math
import os
import stat
import sys
import time
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

with warnings.catch_warnings():  # without fcntl and off Windows (Pyodide) filelock warns at import
    warnings.filterwarnings("ignore", "only soft file lock is available")
    from filelock import FileLock, Timeout

from ..config import REPO_ROOT, ConfigError
from ..models import KNOWN, canonical_model_id
from ..pricing import BATCH_DISCOUNT, CACHE_WRITE_1H, CACHE_WRITE_5M, format_usd, price_of
from .admission import Refused, check_betas, check_params
from .meter import Charge
from .routes import find_route

__all__ = [
    "DEFAULT_BUDGET_USD",
    "budget_cap",
    "ledger_path",
    "Estimate",
    "worst_case",
    "BadRequest",
    "BudgetExceeded",
    "LedgerError",
    "Ledger",
]

DEFAULT_BUDGET_USD = 2.0
STALE_AFTER_S = 2 * 3600  # no single call runs this long (the gateway's upstream read timeout is 600 s)
BATCH_WINDOW_S = 24 * 3600  # a batch ends within 24 h; after that its cost is fixed, though unknown here
# Every token of text stands for at least one UTF-8 byte (true of byte-level and byte-fallback tokenizers),
# so the body's byte length bounds its text tokens, whatever the script (CJK included).
_MESSAGE_OVERHEAD = 16  # role and turn markers per message, rounded up
_BASE_OVERHEAD = 64
_TOOL_OVERHEAD = 500  # the API's tool-use instructions (about 350 tokens on Claude 4.x), rounded up
_CLIENT_TOOL_OVERHEAD = 1_000  # Anthropic-defined client tools (bash, text editor, computer) add their own prompt
_IMAGE_TOKENS = 5_000  # vision docs: about 1,600 for a standard image; room for higher-resolution models
_DEFAULT_WINDOW = 1_000_000  # the largest context window of any current model
_LONG_CONTEXT = 200_000  # above this some models bill input x2 and output x1.5
_GEO_PREMIUM = 1.1  # inference_geo other than "global" (a workspace default included) bills 1.1x


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


class BadRequest(ValueError):
    """A live call the gateway refuses before forwarding (a local 400); the message says what to change."""


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _walk(node: Any, counts: dict[str, int]) -> Any:
    """A copy of `node` without base64 payloads, counting the images and documents it carries."""
    if isinstance(node, list):
        return [_walk(x, counts) for x in node]
    if not isinstance(node, dict):
        return node
    kind = node.get("type")
    if kind == "image":
        counts["images"] += 1
    elif kind == "document" and not (isinstance(node.get("source"), dict) and node["source"].get("type") == "text"):
        counts["documents"] += 1  # a PDF (base64, URL or file): its pages are not in the body to count
    out = {}
    for k, v in node.items():
        if k == "data" and node.get("type") == "base64":
            continue  # image and PDF bytes are billed by pixels and pages, not by their base64 length
        out[k] = _walk(v, counts)
    return out


# What POST /v1/messages/count_tokens takes (anthropic.types.MessageCountTokensParams, less the two fields live
# mode refuses); tests/hardening/test_admission.py compares it with the SDK.
COUNT_FIELDS = ("cache_control", "messages", "model", "output_config", "speed", "system", "thinking", "tool_choice",
                "tools")
COUNT_MARGIN = 1.25  # the docs call count_tokens an estimate that "may differ by a small amount"


def count_request(params: Any) -> dict[str, Any] | None:
    """The count_tokens body for a Messages request whose input the bound cannot see (a PDF's pages), or None
    when the bound needs no count. Live mode asks the API, which bills nothing for counting."""
    if not isinstance(params, dict):
        return None
    counts = {"images": 0, "documents": 0}
    _walk(params, counts)
    return {k: v for k, v in params.items() if k in COUNT_FIELDS} if counts["documents"] else None


def _tool_tokens(params: Mapping[str, Any]) -> int:
    """Tokens the tool definitions add beyond their JSON (admission has checked every tool type)."""
    tools = params.get("tools") or []
    if not tools:
        return 0
    return _TOOL_OVERHEAD + _CLIENT_TOOL_OVERHEAD * sum(
        1 for t in tools if isinstance(t, dict) and (t.get("type") or "custom") != "custom"
    )


HeldTokens = Callable[[str], "int | None"]  # a message id -> the tokens of the conversation it closed


def _held(params: Mapping[str, Any], held_tokens: HeldTokens | None) -> int | None:
    """Tokens the API adds from a message thread it holds: 0 for none, None when unknown (no bound)."""
    thread = params.get("thread")
    if not thread:
        return 0
    if isinstance(thread, dict) and thread.get("type") == "create":
        return 0  # the API starts holding this conversation; nothing is added yet
    prev = thread.get("previous_message_id") if isinstance(thread, dict) else None
    return held_tokens(prev) if held_tokens is not None and isinstance(prev, str) else None


def _max_tokens(value: Any, where: str) -> int:
    if not _is_int(value) or value < 1:
        raise BadRequest(
            f"{where}max_tokens must be a whole number >= 1 such as 1024, not {json.dumps(value)}; "
            "the course gateway checks it before anything can be billed."
        )
    return int(value)


def _output_cap(model: str, max_tokens: int) -> int:
    """The most output a call can bill: max_tokens, capped by the model table's max output when it knows the
    model (a model it does not know keeps max_tokens, the larger)."""
    info = KNOWN.get(canonical_model_id(model))
    return min(max_tokens, info.max_output) if info else max_tokens


def _fallbacks(params: Mapping[str, Any], where: str) -> list[tuple[str, int]]:
    """(model, max_tokens) of each fallback the API may call after the primary; each adds its worst case."""
    fallbacks = params.get("fallbacks")
    if fallbacks is None:
        return []
    if not isinstance(fallbacks, list):
        raise BadRequest(
            f"Course budget: live mode refuses {where}fallbacks={json.dumps(fallbacks)[:40]}: it names no model "
            "to price; list each fallback's model and max_tokens."
        )
    out = []
    for i, fb in enumerate(fallbacks):
        here = f"{where}fallbacks[{i}]."
        if not isinstance(fb, dict) or not isinstance(fb.get("model"), str):
            raise BadRequest(f"Course budget: {here}model must be a model id string.")
        if fb.get("speed") not in (None, "standard"):
            raise BadRequest(
                f"Course budget: live mode refuses {here}speed={fb.get('speed')!r}: fast mode bills a premium "
                "the course's price table does not carry."
            )
        unknown = sorted(set(fb) - {"model", "max_tokens", "speed", "thinking", "output_config"})
        if unknown:
            raise BadRequest(
                f"Course budget: live mode refuses {here}{unknown[0][:40]}: it does not know how it bills."
            )
        info = KNOWN.get(canonical_model_id(fb["model"]))
        if "max_tokens" not in fb and info is None:
            raise BadRequest(
                f"Course budget: {here}max_tokens is needed: the course's model table does not know "
                f"{fb['model'][:60]!r}, so its output has no other bound."
            )
        limit = _max_tokens(fb.get("max_tokens", info.max_output if info else 0), here)
        out.append((fb["model"], limit))
    return out


def _one(
    params: Mapping[str, Any],
    factor: float,
    where: str = "",
    held_tokens: HeldTokens | None = None,
    counted: int | None = None,
) -> tuple[float, str]:
    try:
        check_params(params, where)
    except Refused as e:
        raise BadRequest(str(e)) from None
    model = params.get("model")
    if not isinstance(model, str):
        raise BadRequest(f"{where}model must be a model id string such as 'claude-haiku-4-5'.")
    max_tokens = _max_tokens(params.get("max_tokens"), where)
    calls = [(model, max_tokens)] + _fallbacks(params, where)
    prices = [(m, price_of(m), _output_cap(m, n)) for m, n in calls]  # UnknownPriceError: refused, never guessed
    extra = _tool_tokens(params)
    counts = {"images": 0, "documents": 0}
    text = json.dumps(_walk(dict(params), counts), ensure_ascii=False).encode("utf-8")
    messages = params.get("messages") if isinstance(params.get("messages"), list) else []
    held = _held(params, held_tokens)  # a continued message thread: the API adds the turns it keeps itself
    flat = json.dumps(params, ensure_ascii=False)
    usd = 0.0
    for m, price, out_cap in prices:
        info = KNOWN.get(canonical_model_id(m))
        window = info.context_window if info else _DEFAULT_WINDOW
        tokens_in = len(text) + _BASE_OVERHEAD + _MESSAGE_OVERHEAD * len(messages) + extra
        tokens_in += counts["images"] * _IMAGE_TOKENS + (held or 0)
        if counts["documents"] and counted is not None and held is not None:
            tokens_in = math.ceil(counted * COUNT_MARGIN) + (held or 0)  # the API's own count of the pages
        elif counts["documents"] or held is None:
            tokens_in = window  # pages or held turns are unknown: the whole context window, the most there can be
        tokens_in = min(tokens_in, window)  # a longer input is refused by the API before it costs anything
        rate_in, rate_out = price.input, price.output
        if "cache_control" in flat:
            rate_in *= CACHE_WRITE_1H if '"1h"' in flat else CACHE_WRITE_5M
        if tokens_in > _LONG_CONTEXT:
            rate_in, rate_out = rate_in * 2, rate_out * 1.5
        # regional inference bills a premium; a workspace's default geo applies even when the request names none
        rate_in, rate_out = rate_in * _GEO_PREMIUM, rate_out * _GEO_PREMIUM
        usd += (tokens_in * rate_in + out_cap * rate_out) * factor / 1e6
        if m == model:
            first_in = tokens_in
    pages = " (a PDF's pages, as the API counts them, +25%)" if counted is not None else " (a PDF's pages)"
    why = pages if counts["documents"] else " (a thread's turns held by the API)" if held != 0 else ""
    more = f" and {len(calls) - 1} fallback(s)" if len(calls) > 1 else ""
    return usd, f"<= {first_in:,} input{why} + {max_tokens:,} max_tokens on {model}{more}"


def worst_case(
    method: str,
    path: str,
    body: Any,
    held_tokens: HeldTokens | None = None,
    betas: Iterable[str] = (),
    counted: int | None = None,
) -> Estimate | None:
    """The most a call can cost, or None for calls that cost nothing (count_tokens, GETs, cancel).

    Live mode's bound is an allow-list (`admission`): every field, content block, tool type and beta (`betas`,
    the anthropic-beta header values) must be one it knows how to price. `held_tokens` tells, for a message
    id this gateway metered, the input plus output tokens of that call: a thread continued from it adds at
    most that much. An unknown id counts as the whole context window. Raises BadRequest for a billable call
    that is malformed or cannot be bounded, and UnknownPriceError for a model without a price: live mode
    refuses both rather than guess. `counted` is the API's count_tokens answer for a message with a PDF
    (`count_request`): its pages then count as that many tokens plus a margin, else as the whole window.
    """
    route = find_route(method, path)
    if route is None or route.billable not in ("message", "batch"):
        return None
    try:
        check_betas(betas)
    except Refused as e:
        raise BadRequest(str(e)) from None
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    if route.billable == "message":
        usd, detail = _one(body, 1.0, held_tokens=held_tokens, counted=counted)
        return Estimate(usd, detail)
    unknown = sorted(set(body) - {"requests"})
    if unknown:
        raise BadRequest(f"Course budget: live mode refuses the batch field {unknown[0][:60]!r}; leave it out.")
    requests = body.get("requests")
    if not isinstance(requests, list) or not requests:
        raise BadRequest("requests must be a non-empty list of {custom_id, params}.")
    total = 0.0
    for i, req in enumerate(requests):
        params = req.get("params") if isinstance(req, dict) else None
        if not isinstance(params, dict):
            raise BadRequest(f"requests[{i}].params must be an object.")
        usd, _ = _one(params, BATCH_DISCOUNT, where=f"requests[{i}].params.", held_tokens=held_tokens)
        total += usd
    return Estimate(total, f"{len(requests)} batch requests at the batch rate")


class BudgetExceeded(Exception):
    """A call's worst case would cross the cap; the message says what is left and how to raise it."""

    def __init__(self, needed: float, left: float, cap: float, detail: str):
        self.needed, self.left, self.cap = needed, left, cap
        super().__init__(
            f"Course budget: this call could cost up to {format_usd(needed)} ({detail}), but only {format_usd(left)} "
            f"of your {format_usd(cap)} budget is left. Lower max_tokens, or raise the cap with PRIMER_BUDGET_USD "
            f"in .env (spend so far is in {ledger_path().name})."
        )


class LedgerError(ConfigError):
    """The spend ledger cannot be read or written; the message names the file and what to do."""


def _alive(pid: int) -> bool:
    """Whether process `pid` may still be running (unsure counts as alive: its hold then stays reserved)."""
    if pid == os.getpid():
        return True
    if pid <= 0:
        return False
    if sys.platform == "win32":  # os.kill(pid, 0) would terminate the process on Windows
        import ctypes
        from ctypes import wintypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
        kernel32.OpenProcess.restype = wintypes.HANDLE
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return bool(ctypes.get_last_error() == 5)  # type: ignore[attr-defined]  # access denied: it exists
        code = ctypes.c_ulong()
        try:
            ok = kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        finally:
            kernel32.CloseHandle(handle)
        return not ok or code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x >= 0


def _shape_problem(state: Any) -> str | None:
    """What is wrong with a parsed ledger, or None if it has the ledger's shape."""
    if not isinstance(state, dict):
        return f"it holds a JSON {type(state).__name__}, not an object"
    if not _number(state.get("spent_usd", 0.0)):
        return "spent_usd is not a number of dollars"
    for key in ("by_model", "reservations", "unsettled"):
        if not isinstance(state.get(key, {}), dict):
            return f"{key} is not an object"
    if not all(_number(v) for v in state.get("by_model", {}).values()):
        return "by_model holds a value that is not a number of dollars"
    for key in ("reservations", "unsettled"):
        for entry in state.get(key, {}).values():
            if not isinstance(entry, dict) or not _number(entry.get("usd")) or not _number(entry.get("at", 0)):
                return f"{key} holds an entry without usd and at"
    batches = state.get("settled_batches", [])
    if not isinstance(batches, list) or not all(isinstance(b, str) for b in batches):
        return "settled_batches is not a list of batch ids"
    return None


class Ledger:
    """Spend, unsettled holds and open reservations in one JSON file, changed only under an exclusive lock.

    `clock` is injectable (seconds since the epoch) so tests can age reservations without waiting."""

    LOCK_TIMEOUT_S = 30.0
    _KEEP_BATCH_IDS = 10_000

    def __init__(self, path: Path, cap: float, *, clock: Callable[[], float] = time.time):
        self.path, self.cap, self.clock = Path(path), cap, clock

    def _fail(self, what: str) -> LedgerError:
        return LedgerError(
            f"The spend ledger {self.path} {what}; fix or delete it (deleting forgets what was spent) "
            "and run the cell again."
        )

    @contextmanager
    def _locked(self, *, write: bool = True) -> Iterator[dict[str, Any]]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock = FileLock(str(self.path.with_suffix(".lock")), timeout=self.LOCK_TIMEOUT_S)
            lock.acquire()
        except Timeout:
            raise self._fail(f"stayed locked by another process for {self.LOCK_TIMEOUT_S:.0f} s") from None
        except OSError as e:
            raise self._fail(f"cannot be locked ({e.strerror or e})") from None
        try:
            state = self._read()
            if write and self.path.exists() and not self.path.stat().st_mode & stat.S_IWUSR:
                raise self._fail("is read-only; make it writable (or set PRIMER_LEDGER to another file)")
            yield state
            if write:
                tmp = self.path.with_suffix(".tmp")
                try:  # write aside, then replace: a failed write leaves the old ledger whole
                    tmp.write_text(json.dumps(state, indent=1, sort_keys=True), encoding="utf-8")
                    os.replace(tmp, self.path)
                except OSError as e:
                    raise self._fail(f"cannot be written ({e.strerror or e})") from None
        finally:
            lock.release()

    def _read(self) -> dict[str, Any]:
        try:
            state = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            state = {}
        except (ValueError, OSError, RecursionError) as e:
            raise self._fail(f"is unreadable ({type(e).__name__}: {str(e)[:80]})") from None
        problem = _shape_problem(state)
        if problem:
            raise self._fail(f"is not a course ledger ({problem})")
        state.setdefault("spent_usd", 0.0)
        state.setdefault("by_model", {})
        state.setdefault("reservations", {})
        state.setdefault("unsettled", {})
        state.setdefault("settled_batches", [])
        now = self.clock()
        for rid, r in list(state["reservations"].items()):
            age = now - float(r.get("at", 0))
            if r.get("batch"):
                why = f"batch {r['batch']} not fetched within 24 h" if age > BATCH_WINDOW_S else ""
            elif age > STALE_AFTER_S:
                why = "a call older than 2 h that never settled"
            elif not _alive(int(r.get("pid", 0)) if _is_int(r.get("pid")) else 0):
                why = f"process {r.get('pid')} ended mid-call; the API may still have billed it"
            else:
                why = ""
            if why:  # counted as spent until metered results prove otherwise
                state["unsettled"][rid] = {"usd": r["usd"], "at": r.get("at", 0), "why": why}
                del state["reservations"][rid]
        return state

    def check(self) -> None:
        """Open the ledger for writing once, so a broken or read-only ledger shows at setup, not mid-lesson."""
        with self._locked():
            pass

    @staticmethod
    def _sum(entries: dict[str, Any]) -> float:
        return sum(float(r["usd"]) for r in entries.values())

    def snapshot(self) -> dict[str, Any]:
        """Spent, unsettled, reserved and left, read under the lock (the file is not changed)."""
        with self._locked(write=False) as s:
            reserved, unsettled = self._sum(s["reservations"]), self._sum(s["unsettled"])
            return {
                "cap": self.cap,
                "spent": s["spent_usd"],
                "unsettled": unsettled,
                "reserved": reserved,
                "left": max(0.0, self.cap - s["spent_usd"] - unsettled - reserved),
                "by_model": dict(s["by_model"]),
            }

    def reserve(self, est: Estimate) -> str:
        """Hold `est` against the cap and return a reservation id; BudgetExceeded if it does not fit."""
        with self._locked() as s:
            left = self.cap - s["spent_usd"] - self._sum(s["unsettled"]) - self._sum(s["reservations"])
            if est.usd > left + 1e-12:
                raise BudgetExceeded(est.usd, max(0.0, left), self.cap, est.detail)
            rid = uuid.uuid4().hex
            s["reservations"][rid] = {"usd": est.usd, "pid": os.getpid(), "at": self.clock()}
            return rid

    def settle(self, rid: str | None, charges: list[Charge], *, keep_reserved: bool = False) -> None:
        """Replace a reservation with what was actually charged (or keep it, e.g. an unmetered stream)."""
        with self._locked() as s:
            held = None
            if rid:
                held = s["reservations"].pop(rid, None) or s["unsettled"].pop(rid, None)
            if keep_reserved and held:
                s["spent_usd"] += float(held["usd"])
                return
            self._add(s, charges)

    def hold_for_batch(self, rid: str, batch_id: str) -> None:
        """Keep a batch's reservation until its results are metered (possibly in another kernel)."""
        with self._locked() as s:
            held = s["reservations"].pop(rid, None) or s["unsettled"].pop(rid, None)
            if held:
                s["reservations"][f"batch:{batch_id}"] = dict(held, batch=batch_id, at=self.clock())

    def settle_batch(self, batch_id: str, charges: list[Charge]) -> None:
        """Meter a batch's results once, however often they are fetched."""
        with self._locked() as s:
            if batch_id in s["settled_batches"]:
                return
            key = f"batch:{batch_id}"
            s["reservations"].pop(key, None)
            s["unsettled"].pop(key, None)
            s["settled_batches"] = (s["settled_batches"] + [batch_id])[-self._KEEP_BATCH_IDS :]
            self._add(s, charges)

    @staticmethod
    def _add(s: dict[str, Any], charges: list[Charge]) -> None:
        for c in charges:
            if c.usd is not None:
                s["spent_usd"] += c.usd
                s["by_model"][c.model] = s["by_model"].get(c.model, 0.0) + c.usd

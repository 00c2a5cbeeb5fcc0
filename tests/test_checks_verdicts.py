"""Every exercise self-check, judged: right answers in several equivalent forms get ✅, plausible wrong ones ❌.

One table per check module (helpers/checks/*). The wrong answers include the ones the 2026-12-08 truth reviews
found graded ✅ (V1-V6, W1-W8 in ../shared/reviews/2026-12-08-truth-*.md). Dollar answers pass when rounded to two
significant figures or more (helpers.checks.ROUNDING); the tolerance is tested at its edge.
"""

from __future__ import annotations

import copy
import json
import time

import anthropic
import pytest
from conftest import RETRY_CLASSES, STOCK_TOOL

from helpers.checks import (
    batching,
    caching,
    conversations,
    costs,
    errors,
    first_request,
    rounded_ok,
    sampling,
    start_here,
    streaming,
    thinking,
    tool_use,
)
from helpers.errors import wait_before_retry
from helpers.models import HAIKU, OPUS, PRIMER_HAIKU, SONNET

# --- the rounding rule --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "got, want",
    [(0.042, 0.0415), (0.041, 0.0415), (0.0415, 0.0415), (0.40, 0.402), (662, 661.5), (660, 661.5), (0.023, 0.0225)],
)
def test_rounded_to_two_significant_figures_passes(got, want):
    assert rounded_ok(got, want)


@pytest.mark.parametrize(
    "got, want", [(0.04, 0.0415), (0.043, 0.0415), (0.41, 0.402), (670, 661.5), (True, 1.0), ("0.04", 0.04)]
)
def test_less_precise_or_wrong_figures_fail(got, want):
    assert not rounded_ok(got, want)


# --- 00 start_here ------------------------------------------------------------------------------------

MODES_RIGHT = {"a": "replay", "b": "live", "c": "replay", "d": "error", "e": "error"}


@pytest.mark.parametrize(
    "answer",
    [MODES_RIGHT, {k: v.upper() for k, v in MODES_RIGHT.items()}, {**MODES_RIGHT, "b": "Live"}],
)
def test_00_modes_right(answer):
    assert start_here.check_modes(answer).ok


@pytest.mark.parametrize(
    "answer, says",
    [
        ({**MODES_RIGHT, "d": "live"}, "live mode needs a key"),  # V1: the old expected answer
        ({**MODES_RIGHT, "c": "live"}, "PRIMER_MODE wins"),
        ({**MODES_RIGHT, "e": "replay"}, "must be replay, live or record"),
        ({**MODES_RIGHT, "a": "error"}, "the course replays"),
    ],
)
def test_00_modes_wrong(answer, says):
    res = start_here.check_modes(answer)
    assert not res.ok and says in repr(res)


def test_00_setup_itself_refuses_live_without_a_key(monkeypatch):
    """The check's answer for scenario d is what helpers.setup() does."""
    import helpers
    from helpers.config import ConfigError

    monkeypatch.setenv("PRIMER_MODE", "Live")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "")  # set but empty: a .env key cannot fill it (dotenv never overrides)
    with pytest.raises(ConfigError, match="Live mode needs your API key"):
        helpers.setup("00_start_here")


# --- 01 first_request ---------------------------------------------------------------------------------

Q = "What is an API?"
REQUEST = {"model": OPUS, "max_tokens": 300, "messages": [{"role": "user", "content": Q}]}


@pytest.mark.parametrize(
    "request_",
    [
        REQUEST,
        {**REQUEST, "messages": [{"role": "user", "content": [{"type": "text", "text": Q}]}]},  # V4
        {
            **REQUEST,
            "messages": [
                {"role": "user", "content": [{"type": "text", "text": "What is "}, {"type": "text", "text": "an API?"}]}
            ],
        },
        {**REQUEST, "model": OPUS + "-20260101"},  # a dated id names the same model
    ],
)
def test_01_request_right(request_):
    assert first_request.check_request(request_).ok


@pytest.mark.parametrize(
    "request_",
    [
        {**REQUEST, "max_tokens": 1},  # V4: "at most 300" is the cap itself
        {**REQUEST, "max_tokens": 3000},
        {**REQUEST, "model": HAIKU},
        {**REQUEST, "messages": [{"role": "assistant", "content": Q}]},
        {**REQUEST, "messages": [{"role": "user", "content": [{"type": "image", "source": {}}]}]},
        {**REQUEST, "temperature": 0.5},
    ],
)
def test_01_request_wrong(request_):
    assert not first_request.check_request(request_).ok


def _cost_01():
    from helpers.pricing import cost

    return cost(first_request.EXERCISE_USAGE, OPUS).total


def test_01_cost_right_in_several_forms():
    want = _cost_01()
    for answer in (want, float(f"{want:.2g}"), float(f"{want:.3g}")):
        assert first_request.check_cost(answer).ok, answer


def test_01_cost_wrong():
    want = _cost_01()
    for answer in (want * 1_000_000, want * 2, 0.0, "0.02"):
        assert not first_request.check_cost(answer).ok, answer


# --- 02 conversations ---------------------------------------------------------------------------------

HISTORY = [
    {"role": "user", "content": conversations.FIRST_QUESTION},
    {"role": "assistant", "content": conversations.FIRST_ANSWER},
    {"role": "user", "content": conversations.NEW_QUESTION},
]
TUTOR = {"model": HAIKU, "max_tokens": 300, "system": "You are a patient French tutor.", "messages": HISTORY}


@pytest.mark.parametrize(
    "request_",
    [
        TUTOR,
        {**TUTOR, "system": [{"type": "text", "text": "You teach French to beginners, patiently."}]},
        {**TUTOR, "system": "Tu es un professeur de français patient."},
        {**TUTOR, "messages": [{**m, "content": [{"type": "text", "text": m["content"]}]} for m in HISTORY]},
    ],
)
def test_02_tutor_structure_right_and_says_the_prose_is_a_rubric(request_):
    res = conversations.check_tutor_request(request_)
    assert res.ok and "structure" in res.title and "Rubric" in res.note


@pytest.mark.parametrize(
    "request_",
    [
        {**TUTOR, "system": None},
        {**TUTOR, "system": "   "},
        {**TUTOR, "system": "You are a helpful assistant."},  # never names French
        {**TUTOR, "messages": HISTORY[:1] + HISTORY[2:]},
        {**TUTOR, "messages": [{"role": "system", "content": "You are a French tutor."}, *HISTORY]},
        {**TUTOR, "model": OPUS},
    ],
)
def test_02_tutor_wrong(request_):
    assert not conversations.check_tutor_request(request_).ok


@pytest.mark.parametrize(
    "prose", ["You are a French chef who teaches cooking classes.", "You are a patient tutor. Never use French."]
)
def test_02_prose_that_names_french_is_never_called_a_correct_prompt(prose):
    """V2: the check cannot judge these; its ✅ is for the structure and it hands the rest to the rubric."""
    res = conversations.check_tutor_request({**TUTOR, "system": prose})
    assert "structure" in repr(res) and "cannot grade prose" in res.note


def _keep_slice(messages, max_messages):
    kept = messages[-max_messages:]
    return kept[1:] if kept and kept[0]["role"] == "assistant" else kept


def _keep_loop(messages, max_messages):
    out = []
    for m in reversed(messages):
        if len(out) == max_messages:
            break
        out.insert(0, dict(m))
    while out and out[0]["role"] != "user":
        out.pop(0)
    return out


@pytest.mark.parametrize("func", [_keep_slice, _keep_loop])
def test_02_keep_recent_right(func):
    assert conversations.check_keep_recent(func).ok


@pytest.mark.parametrize(
    "func",
    [
        lambda m, n: m if len(m) <= n else _keep_slice(m, n),  # V3: returns the caller's own list
        lambda m, n: m[-n:],  # may start with an assistant turn
        lambda m, n: m[:n],
        lambda m, n: (m.__delitem__(slice(0, max(0, len(m) - n))), m)[1],  # mutates its input
    ],
)
def test_02_keep_recent_wrong(func):
    assert not conversations.check_keep_recent(func).ok


# --- 03 sampling --------------------------------------------------------------------------------------

SETTINGS = {
    "ticket_router": {"temperature": 0.0},
    "help_chat": {"temperature": 0.5},
    "launch_taglines": {"temperature": 1.0},
}


@pytest.mark.parametrize(
    "answer",
    [
        SETTINGS,
        {**SETTINGS, "launch_taglines": {}},  # the default 1.0 is in the row
        {
            "ticket_router": {"temperature": 0},
            "help_chat": {"temperature": 0.3},
            "launch_taglines": {"temperature": 0.8},
        },
    ],
)
def test_03_settings_right(answer):
    assert sampling.check_settings(answer).ok


@pytest.mark.parametrize(
    "answer, says",
    [
        ({**SETTINGS, "ticket_router": {"top_k": 1}}, "top_k is a sampling setting too"),  # the old hint was wrong
        ({**SETTINGS, "ticket_router": {}}, "default"),
        ({**SETTINGS, "help_chat": {"temperature": 1.0}}, "does not suit"),
        ({**SETTINGS, "ticket_router": 0.0}, "send it as a dict"),
        ({**SETTINGS, "help_chat": {"temperature": 0.5, "top_p": 0.9}}, "not both"),
    ],
)
def test_03_settings_wrong(answer, says):
    res = sampling.check_settings(answer)
    assert not res.ok and says in repr(res)


STOPS = {"a": "stop_sequence", "b": "max_tokens", "c": "end_turn", "d": "max_tokens"}


def test_03_stop_reasons_right_and_wrong():
    assert sampling.check_stop_reasons(STOPS).ok
    assert sampling.check_stop_reasons({k: v.upper() + " " for k, v in STOPS.items()}).ok
    assert not sampling.check_stop_reasons({**STOPS, "d": "stop_sequence"}).ok
    assert not sampling.check_stop_reasons({**STOPS, "a": "end_turn"}).ok


# --- 04 tool_use --------------------------------------------------------------------------------------



def _stock(**currency):
    tool = copy.deepcopy(STOCK_TOOL)
    tool["input_schema"]["properties"]["currency"] = currency
    return tool


@pytest.mark.parametrize(
    "tool",
    [
        STOCK_TOOL,
        _stock(enum=["USD", "EUR", "JPY"], description="Currency of the price"),  # V5: an enum needs no type
        _stock(type="string", enum=["JPY", "EUR", "USD"], description="Currency", default="USD"),
    ],
)
def test_04_tool_definition_right(tool):
    assert tool_use.check_tool_definition(tool).ok


@pytest.mark.parametrize(
    "tool",
    [
        _stock(type="string", description="Currency"),  # no enum
        _stock(type="integer", enum=["USD", "EUR", "JPY"], description="Currency"),
        {**STOCK_TOOL, "input_schema": {**STOCK_TOOL["input_schema"], "required": ["ticker", "currency"]}},
        {**STOCK_TOOL, "input_schema": {**STOCK_TOOL["input_schema"], "required": []}},
        {**STOCK_TOOL, "name": "get stock price"},
    ],
)
def test_04_tool_definition_wrong(tool):
    assert not tool_use.check_tool_definition(tool).ok


def _results(dumps=json.dumps):
    calls = [b for b in tool_use.EXERCISE_RESPONSE.content if b.type == "tool_use"]
    blocks = [
        {"type": "tool_result", "tool_use_id": b.id, "content": dumps(tool_use.EXERCISE_WEATHER[b.input["city"]])}
        for b in calls
    ]
    return {"role": "user", "content": blocks}


def test_04_tool_results_right_in_several_forms():
    assert tool_use.check_tool_results(_results()).ok
    reordered = _results()
    reordered["content"] = reordered["content"][::-1]
    assert tool_use.check_tool_results(reordered).ok
    assert tool_use.check_tool_results([_results()]).ok


def test_04_tool_results_wrong_with_the_right_reason():
    swapped = _results()
    a, b = swapped["content"]
    a["tool_use_id"], b["tool_use_id"] = b["tool_use_id"], a["tool_use_id"]
    assert not tool_use.check_tool_results(swapped).ok
    assistant = {"role": "assistant", "content": tool_use.EXERCISE_RESPONSE.content}
    res = tool_use.check_tool_results([assistant, _results()])
    assert not res.ok and "assistant's turn is already in the history" in repr(res)
    halves = [{"role": "user", "content": [c]} for c in _results()["content"]]
    res = tool_use.check_tool_results(halves)
    assert not res.ok and "ONE user message" in repr(res)
    assert not tool_use.check_tool_results({**_results(), "role": "assistant"}).ok


# --- 05 streaming -------------------------------------------------------------------------------------


def _final_text(events):
    text, stop = "", None
    for e in events:
        if e["type"] == "content_block_delta" and e["delta"]["type"] == "text_delta":
            text += e["delta"]["text"]
        elif e["type"] == "message_delta":
            stop = e["delta"]["stop_reason"]
    return text, stop


def _final_text_by_blocks(events):
    blocks, stop = {}, None
    for e in events:
        if e.get("type") == "content_block_start" and e["content_block"]["type"] == "text":
            blocks[e["index"]] = []
        elif e.get("type") == "content_block_delta" and e["delta"].get("type") == "text_delta":
            blocks[e["index"]].append(e["delta"]["text"])
        elif e.get("type") == "message_delta":
            stop = e["delta"].get("stop_reason")
    return "".join("".join(parts) for _, parts in sorted(blocks.items())), stop


def _with_thinking(events):  # V6: adds thinking text to the answer
    text, stop = "", None
    for e in events:
        if e["type"] == "content_block_delta":
            text += e["delta"].get("text", "") or e["delta"].get("thinking", "")
        elif e["type"] == "message_delta":
            stop = e["delta"]["stop_reason"]
    return text, stop


def _first_block_only(events):
    text, stop = "", None
    for e in events:
        if e["type"] == "content_block_stop":
            break
        if e["type"] == "content_block_delta" and e["delta"]["type"] == "text_delta":
            text += e["delta"]["text"]
    return text, stop


def test_05_final_text_right_and_wrong():
    assert streaming.check_final_text(_final_text).ok
    assert streaming.check_final_text(_final_text_by_blocks).ok
    res = streaming.check_final_text(_with_thinking)
    assert not res.ok and "thinking_delta is the model's reasoning" in repr(res)
    assert not streaming.check_final_text(_first_block_only).ok
    assert not streaming.check_final_text(lambda events: ("", None)).ok


def _tool_inputs(events):
    parts = {}
    for e in events:
        if e["type"] == "content_block_start" and e["content_block"]["type"] == "tool_use":
            parts[e["index"]] = ""
        elif e["type"] == "content_block_delta" and e["delta"]["type"] == "input_json_delta":
            parts[e["index"]] += e["delta"]["partial_json"]
    return [json.loads(raw) if raw else {} for _, raw in sorted(parts.items())]


def _tool_inputs_list(events):
    out, current = [], None
    for e in events:
        if e["type"] == "content_block_start" and e["content_block"]["type"] == "tool_use":
            current = []
        elif e["type"] == "content_block_delta" and e["delta"]["type"] == "input_json_delta":
            current.append(e["delta"]["partial_json"])
        elif e["type"] == "content_block_stop" and current is not None:
            out.append(json.loads("".join(current) or "{}"))
            current = None
    return out


def test_05_tool_inputs_right_and_wrong():
    assert streaming.check_tool_inputs(_tool_inputs).ok
    assert streaming.check_tool_inputs(_tool_inputs_list).ok
    skip_empty = lambda ev: [x for x in _tool_inputs(ev) if x]  # noqa: E731
    assert not streaming.check_tool_inputs(skip_empty).ok
    raw = lambda ev: [json.dumps(x) for x in _tool_inputs(ev)]  # noqa: E731
    assert not streaming.check_tool_inputs(raw).ok


# --- 06 thinking --------------------------------------------------------------------------------------

TASK_A = {"model": OPUS, "max_tokens": 2000, "thinking": {"type": "adaptive"}, "output_config": {"effort": "low"}}
TASK_B = {"model": PRIMER_HAIKU, "max_tokens": 8000, "thinking": {"type": "enabled", "budget_tokens": 6000}}


def _task_a_forms():
    yield TASK_A
    yield {**TASK_A, "max_tokens": 1000}
    yield {k: v for k, v in TASK_A.items() if k != "thinking"}


@pytest.mark.parametrize("task_a", list(_task_a_forms()))
def test_06_choices_right(task_a):
    assert thinking.check_choices(task_a, thinking.TASK_B and _task_b()).ok


def _task_b():
    return {**TASK_B, "model": thinking.TASK_B["model"]}


@pytest.mark.parametrize(
    "task_a, task_b",
    [
        ({**TASK_A, "max_tokens": 1}, None),  # W6: no room for a label once thinking starts
        ({**TASK_A, "max_tokens": 4000}, None),
        ({**TASK_A, "output_config": {"effort": "high"}}, None),
        (None, {**TASK_B, "max_tokens": 6000}),
        (None, {**TASK_B, "thinking": {"type": "enabled", "budget_tokens": 8000}}),
    ],
)
def test_06_choices_wrong(task_a, task_b):
    assert not thinking.check_choices(task_a or TASK_A, task_b or _task_b()).ok


def test_06_worst_case_right_rounded_and_wrong():
    from helpers.pricing import cost

    w = thinking.WORST_CASE
    want = cost({"input_tokens": w["input_tokens"], "output_tokens": w["max_tokens"]}, w["model"]).total
    for answer in (want, float(f"{want:.2g}"), float(f"{want:.3g}")):  # W5: 0.042 for 0.0415
        assert thinking.check_worst_case(answer).ok, answer
    budget_only = cost({"input_tokens": w["input_tokens"], "output_tokens": w["budget_tokens"]}, w["model"]).total
    for answer in (budget_only, want * 1e6, want * 1.75):
        assert not thinking.check_worst_case(answer).ok, answer


# --- 07 batching --------------------------------------------------------------------------------------


def _batch(content=lambda text: text, model=HAIKU):
    return [
        {
            "custom_id": f"review-{i}",
            "params": {
                "model": model,
                "max_tokens": batching.MAX_TOKENS,
                "messages": [{"role": "user", "content": content(batching.PROMPT.format(review=r))}],
            },
        }
        for i, r in enumerate(batching.REVIEWS)
    ]


@pytest.mark.parametrize(
    "requests_",
    [
        _batch(),
        _batch(content=lambda text: [{"type": "text", "text": text}]),  # W4
        _batch(model=HAIKU + "-20251001"),  # W8: a dated id
        _batch()[::-1],
    ],
)
def test_07_requests_right(requests_):
    assert batching.check_requests(requests_).ok


@pytest.mark.parametrize(
    "requests_",
    [
        _batch()[:3],
        _batch(model=SONNET),
        _batch(content=lambda text: text.upper()),
        [{**r, "custom_id": f"r{i}"} for i, r in enumerate(_batch())],
    ],
)
def test_07_requests_wrong(requests_):
    assert not batching.check_requests(requests_).ok


def test_07_saving_right_rounded_and_wrong():
    from helpers.pricing import cost

    w = batching.WORKLOAD
    one = {"input_tokens": w["input_tokens"], "output_tokens": w["output_tokens"]}
    standard = w["requests"] * cost(one, w["model"]).total
    saving = standard - w["requests"] * cost(one, w["model"], batch=True).total
    for answer in (saving, round(saving), float(f"{saving:.2g}")):
        assert batching.check_saving(answer).ok, answer
    for answer in (standard, saving / w["requests"], -saving, saving * 1e6):
        assert not batching.check_saving(answer).ok, answer


# --- 08 caching ---------------------------------------------------------------------------------------


def _handbook_costs() -> dict[str, float]:
    """The day's handbook cost per choice, by hand from the price table (notebook 08's solution arithmetic)."""
    from helpers.pricing import price_of

    w = caching.WORKLOAD
    p = price_of(w["model"]).for_prompt(w["document_tokens"])
    n, t = w["questions"], w["document_tokens"]
    return {
        "none": n * t * p.input / 1e6,
        "5m": n * t * p.cache_write_5m / 1e6,  # 10 minutes apart: every question writes again
        "1h": (t * p.cache_write_1h + (n - 1) * t * p.cache_read) / 1e6,
    }


def test_08_workload_right_rounded_and_wrong():
    costs_ = _handbook_costs()
    best = min(costs_, key=costs_.__getitem__)
    for dollars in (costs_[best], float(f"{costs_[best]:.2g}"), float(f"{costs_[best]:.3g}")):  # W5
        assert caching.check_workload(best, dollars).ok, dollars
    others = [name for name in costs_ if name != best]
    for name in others:
        assert not caching.check_workload(name, costs_[best]).ok
        assert not caching.check_workload(best, costs_[name]).ok
    assert not caching.check_workload(best, costs_[best] * 1e6).ok


def test_08_breakpoint_right_and_wrong():
    right = caching.exercise_request()
    right["system"][0]["cache_control"] = {"type": "ephemeral"}
    assert caching.check_breakpoint(right).ok
    right_1h = caching.exercise_request()
    right_1h["system"][0]["cache_control"] = {"type": "ephemeral", "ttl": "5m"}
    assert caching.check_breakpoint(right_1h).ok
    for place in ("system", "tools"):
        wrong = caching.exercise_request()
        wrong[place][-1 if place == "system" else 0]["cache_control"] = {"type": "ephemeral"}
        assert not caching.check_breakpoint(wrong).ok, place
    automatic = {**caching.exercise_request(), "cache_control": {"type": "ephemeral"}}
    assert not caching.check_breakpoint(automatic).ok


# --- 09 costs -----------------------------------------------------------------------------------------


def test_09_monthly_right_rounded_and_wrong():
    want = costs.monthly_bill()
    for answer in (want, round(want), float(f"{want:.3g}"), float(f"{want:.2g}")):  # W5: 662 for 661.50
        assert costs.check_monthly(answer).ok, answer
    for answer in (costs.monthly_bill(cache_rate="input"), costs.monthly_bill(days=31) * 1.2, want * 1e6, want / 30):
        assert not costs.check_monthly(answer).ok, answer


def test_09_choices_right_in_several_forms_and_wrong():
    right = {"triage": HAIKU, "assistant": SONNET, "analysis": OPUS}
    assert costs.check_choices(right).ok
    assert costs.check_choices({k: v + "-20260101" for k, v in right.items()}).ok  # dated ids
    assert not costs.check_choices({**right, "triage": OPUS}).ok
    assert not costs.check_choices({**right, "analysis": HAIKU}).ok
    assert not costs.check_choices({**right, "assistant": "gpt"}).ok


# --- 10 errors ----------------------------------------------------------------------------------------



def test_10_classification_right_and_wrong():
    assert errors.check_classification(RETRY_CLASSES).ok
    assert errors.check_classification({k: f" {v.title()} " for k, v in RETRY_CLASSES.items()}).ok
    res = errors.check_classification({**RETRY_CLASSES, "i": "retry"})  # a spend-cap 429: no retry cures it
    assert not res.ok and "error_code" in repr(res)
    assert not errors.check_classification({**RETRY_CLASSES, "f": "fix"}).ok
    assert not errors.check_classification({**RETRY_CLASSES, "e": "retry"}).ok


RETRYABLE = (anthropic.RateLimitError, anthropic.InternalServerError, anthropic.APIConnectionError)
SPEND_CAPS = {"enforced_spend_limit_reached", "contract_spend_limit_reached"}


def _wrapper(retryable=RETRYABLE, wait=None, spend_cap_stops=True, give_up_on=()):
    def call_with_retries(send, max_retries=3, sleep=time.sleep):
        for attempt in range(max_retries + 1):
            try:
                return send()
            except give_up_on:
                raise
            except retryable as err:
                capped = spend_cap_stops and getattr(err, "error_code", None) in SPEND_CAPS
                if attempt == max_retries or capped:
                    raise
                if wait is None:
                    wait_before_retry(err, attempt + 1, sleep=sleep)
                else:
                    wait(err, attempt + 1, sleep)

    return call_with_retries


def _while_wrapper(send, max_retries=3, sleep=time.sleep):
    retry = 0
    while True:
        try:
            return send()
        except anthropic.APIStatusError as err:
            transient = err.status_code == 429 or err.status_code >= 500
            if err.error_code == "enforced_spend_limit_reached" or not transient or retry == max_retries:
                raise
            last = err
        except anthropic.APIConnectionError as err:
            if retry == max_retries:
                raise
            last = err
        retry += 1
        wait_before_retry(last, retry, sleep=sleep)


@pytest.mark.parametrize("wrapper", [_wrapper(), _while_wrapper])
def test_10_retry_wrapper_right(wrapper):
    assert errors.check_retry_wrapper(wrapper).ok


def _fixed_30(err, retry, sleep):  # W3: honours retry-after, otherwise always 30 s
    from helpers.errors import retry_after_seconds

    asked = retry_after_seconds(getattr(getattr(err, "response", None), "headers", None))
    sleep(asked if asked else 30.0)


@pytest.mark.parametrize(
    "wrapper, says",
    [
        (
            _wrapper(retryable=(anthropic.RateLimitError, anthropic.InternalServerError, anthropic.APITimeoutError)),
            "a dropped connection",
        ),  # W1
        (
            _wrapper(
                retryable=anthropic.APIError, give_up_on=(anthropic.BadRequestError, anthropic.AuthenticationError)
            ),
            "404",
        ),  # W2
        (_wrapper(wait=_fixed_30), "backoff"),  # W3
        (_wrapper(spend_cap_stops=False), "enforced_spend_limit_reached"),
    ],
)
def test_10_retry_wrapper_wrong(wrapper, says):
    res = errors.check_retry_wrapper(wrapper)
    assert not res.ok and says in repr(res)


def test_a_wrapper_that_never_doubles_never_passes_by_the_luck_of_its_jitter():
    # A review found the constant-retry-number wrapper passing 18 runs in 200: jittered waits can rise by chance.
    import time as _time

    import anthropic

    from helpers.checks import errors as retry_check
    from helpers.errors import wait_before_retry

    retryable = (anthropic.RateLimitError, anthropic.InternalServerError, anthropic.APIConnectionError)

    def wrapper(doubles: bool):
        def call_with_retries(send, max_retries=3, sleep=_time.sleep):
            for attempt in range(max_retries + 1):
                try:
                    return send()
                except retryable as err:
                    caps = {"enforced_spend_limit_reached", "contract_spend_limit_reached"}
                    if attempt == max_retries or getattr(err, "error_code", None) in caps:
                        raise
                    wait_before_retry(err, attempt + 1 if doubles else 1, sleep=sleep)
        return call_with_retries

    assert not any(retry_check.check_retry_wrapper(wrapper(False)).ok for _ in range(60))
    assert all(retry_check.check_retry_wrapper(wrapper(True)).ok for _ in range(60))

"""helpers.errors and helpers.checks.errors: backoff, the SDK's retry rule, the error table, the retry-wrapper
harness, the key scanner, and the exercise self-checks. Nothing here sleeps or leaves loopback."""

from __future__ import annotations

import functools
import json
import time
from pathlib import Path

import anthropic
import httpx2
import pytest
from conftest import RETRY_CLASSES, make_recording

from helpers.checks import errors as check
from helpers.checks.errors import SCENARIOS, FakeSleep, ScriptedSend, TooManyCalls, run_scenario
from helpers.config import NOTEBOOKS_DIR, RECORDINGS_DIR
from helpers.errors import (
    ADVICE,
    advice_for,
    backoff_delay,
    error_rows,
    error_table,
    exception_class,
    make_connection_error,
    make_status_error,
    make_timeout_error,
    retry_after_seconds,
    sdk_retries,
    wait_before_retry,
)
from helpers.gateway.recordings import load_recording
from helpers.keyscan import KeyFinding, NotebookScanError, mask_key, scan_notebook, scan_text

# Fake keys, built in pieces so no key-shaped literal sits in this file.
API_KEY = "sk-ant-" + "api03-" + "TESTonlyNOTaKEY-abcdefghij_0123456789"
ADMIN_KEY = "sk-ant-" + "admin01-" + "TESTadminNOTaKEY-abcdefghij-012345"


@functools.cache
# --- backoff ------------------------------------------------------------------------------------------


def test_backoff_doubles_from_half_a_second_and_caps_at_eight():
    no_jitter = [backoff_delay(n, rand=lambda: 0.0) for n in range(1, 8)]
    assert no_jitter == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_backoff_jitter_takes_off_at_most_a_quarter():
    assert backoff_delay(3, rand=lambda: 1.0) == pytest.approx(1.5)
    assert backoff_delay(3, rand=lambda: 0.5) == pytest.approx(2 * 0.875)


def test_backoff_with_a_seeded_random_is_repeatable_and_inside_the_band():
    import random

    a = [backoff_delay(n, rand=random.Random(3).random) for n in range(1, 6)]
    b = [backoff_delay(n, rand=random.Random(3).random) for n in range(1, 6)]
    assert a == b
    for n, wait in enumerate(a, start=1):
        top = min(0.5 * 2 ** (n - 1), 8.0)
        assert 0.75 * top <= wait <= top


def test_backoff_of_a_huge_retry_number_does_not_overflow():
    assert backoff_delay(10**6, rand=lambda: 0.0) == 8.0


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "1", None])
def test_backoff_rejects_what_is_not_a_retry_number(bad):
    with pytest.raises(ValueError, match="retry number"):
        backoff_delay(bad)


def test_backoff_is_what_the_sdk_waits(monkeypatch):
    # The SDK's own waits, seen through its public behaviour: a client whose transport answers 529 without a
    # retry-after, and time.sleep recorded instead of slept. Each wait must lie in backoff_delay's range for
    # that retry: jitter takes off up to a quarter (notebook 10, section 3).
    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)
    overloaded = httpx2.MockTransport(lambda request: httpx2.Response(529, json={
        "type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}))
    client = anthropic.Anthropic(api_key="test", base_url="http://sdk.local", max_retries=6,
                                 http_client=httpx2.Client(transport=overloaded))
    with pytest.raises(anthropic.InternalServerError):
        client.messages.create(model="m", max_tokens=1, messages=[{"role": "user", "content": "Hi"}])
    assert len(waits) == 6
    for retry, wait in enumerate(waits, start=1):
        low, high = backoff_delay(retry, rand=lambda: 1.0), backoff_delay(retry, rand=lambda: 0.0)
        assert low <= wait <= high, (retry, wait, low, high)
    assert waits[-1] > 4 * waits[0]  # it grows: 0.5 s doubling to the 8 s cap


# --- retry-after and the SDK's retry rule ----------------------------------------------------------------


def test_retry_after_prefers_milliseconds_then_seconds():
    assert retry_after_seconds({"retry-after": "2", "retry-after-ms": "1"}) == pytest.approx(0.001)
    assert retry_after_seconds({"Retry-After": "2"}) == 2.0
    assert retry_after_seconds(httpx2.Headers({"retry-after": "1.5"})) == 1.5


@pytest.mark.parametrize(
    "headers",
    [
        None,
        {},
        {"retry-after": "soon"},
        {"retry-after": "0"},
        {"retry-after": "-3"},
        {"retry-after": "nan"},
        {"retry-after": "inf"},
        {"retry-after-ms": "x"},
    ],
)
def test_retry_after_ignores_what_is_not_a_positive_number(headers):
    assert retry_after_seconds(headers) is None


def test_retry_after_falls_back_to_seconds_when_ms_is_unusable():
    assert retry_after_seconds({"retry-after-ms": "x", "retry-after": "4"}) == 4.0


def test_wait_before_retry_honours_retry_after_and_sleeps_through_the_given_sleep():
    slept = []
    err = make_status_error(429, "rate_limit_error", "slow down", headers={"retry-after": "3"})
    assert wait_before_retry(err, 1, sleep=slept.append, rand=lambda: 0.0) == 3.0
    assert slept == [3.0]


def test_wait_before_retry_backs_off_without_a_response():
    slept = []
    assert wait_before_retry(make_timeout_error(), 2, sleep=slept.append, rand=lambda: 0.0) == 1.0
    assert wait_before_retry(ValueError("no response at all"), 1, sleep=slept.append, rand=lambda: 0.0) == 0.5
    assert slept == [1.0, 0.5]


STATUSES = [400, 401, 402, 403, 404, 408, 409, 413, 422, 429, 500, 502, 503, 504, 529]


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("header", [None, "true", "false"])
def test_sdk_retries_agrees_with_the_sdk(status, header, monkeypatch):
    # What the SDK does, seen from outside: a transport that answers `status` once, then 200; a retry is a
    # second request.
    headers = {"x-should-retry": header} if header else {}
    sent: list[httpx2.Request] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        sent.append(request)
        if len(sent) > 1:
            return httpx2.Response(200, json={"id": "msg_1", "type": "message", "role": "assistant", "content": [],
                                              "model": "m", "stop_reason": "end_turn", "stop_sequence": None,
                                              "usage": {"input_tokens": 1, "output_tokens": 1}})
        return httpx2.Response(status, headers=headers, json={"type": "error", "error": {"type": "x", "message": "x"}})

    monkeypatch.setattr(time, "sleep", lambda seconds: None)
    client = anthropic.Anthropic(api_key="test", base_url="http://sdk.local", max_retries=1,
                                 http_client=httpx2.Client(transport=httpx2.MockTransport(answer)))
    try:
        client.messages.create(model="m", max_tokens=1, messages=[{"role": "user", "content": "Hi"}])
    except anthropic.APIStatusError:
        pass
    assert sdk_retries(status, headers) == (len(sent) == 2)


def _raised_over_the_wire(status: int, body: dict) -> anthropic.APIStatusError:
    """What the SDK raises for a real HTTP answer from a loopback server (the wire, no helper in between)."""
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            self.rfile.read(int(self.headers.get("content-length", 0)))
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("request-id", "req_X")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = anthropic.Anthropic(api_key="test", base_url=f"http://127.0.0.1:{server.server_port}", max_retries=0)
        with pytest.raises(anthropic.APIStatusError) as info:
            client.messages.create(model="m", max_tokens=1, messages=[{"role": "user", "content": "."}])
        return info.value
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("status", [400, 404, 412, 418, 429, 431, 529, 599])
def test_exception_class_and_message_agree_with_the_sdk_over_the_wire(status):
    body = {"type": "error", "error": {"type": "some_error", "message": "m"}, "request_id": "req_X"}
    real = _raised_over_the_wire(status, body)
    made = make_status_error(status, "some_error", "m", request_id="req_X")
    assert exception_class(status) is type(real) is type(made)
    assert str(made) == str(real)  # the installed SDK's format, whatever its version


def test_a_spend_cap_429_is_its_own_class_with_an_error_code_and_no_retry_advice():
    body = {
        "type": "error",
        "error": {
            "type": "rate_limit_error",
            "message": "m",
            "details": {"error_code": "enforced_spend_limit_reached"},
        },
    }
    real = _raised_over_the_wire(429, body)
    made = make_status_error(
        429, "rate_limit_error", "m", request_id="req_X", error_code="enforced_spend_limit_reached"
    )
    assert type(made) is type(real) is anthropic.EnforcedSpendLimitReachedError
    assert isinstance(made, anthropic.RateLimitError) and made.error_code == "enforced_spend_limit_reached"
    assert str(made) == str(real)
    assert advice_for(made)[0] == "fix"
    assert advice_for(make_status_error(429, "rate_limit_error", "m"))[0] == "retry"


def test_timeout_and_connection_errors_are_the_sdks_own():
    assert isinstance(make_timeout_error(), anthropic.APITimeoutError)
    dropped = make_connection_error()
    assert type(dropped) is anthropic.APIConnectionError
    assert str(dropped).startswith("Connection to api.anthropic.com failed")


@pytest.mark.parametrize("bad", [200, 399, 600, "429", None, True])
def test_exception_class_rejects_what_is_not_an_error_status(bad):
    with pytest.raises(ValueError, match="error status"):
        exception_class(bad)


def test_make_status_error_is_what_the_sdk_would_raise():
    err = make_status_error(529, "overloaded_error", "Overloaded", request_id="req_X")
    assert isinstance(err, anthropic.OverloadedError) and isinstance(err, anthropic.InternalServerError)
    assert (err.status_code, err.type, err.request_id) == (529, "overloaded_error", "req_X")
    assert err.api_message == "Overloaded"
    assert str(err).startswith("529 Overloaded (")  # SDK 2.17's format: "<status> <message> (request_id: ...)"


# --- the error table -----------------------------------------------------------------------------------


def _err(label, status, kind, headers=None, body=None):
    envelope = {"type": "error", "error": {"type": kind, "message": "m"}, "request_id": "r"}
    if body is not None:
        envelope = body
    return {
        "label": label,
        "request": {"method": "POST", "path": "/v1/messages", "body": {"label": label}},
        "response": {"status": status, "headers": headers or {}, "body": envelope},
    }


def _stream_with_error(label):
    events = [
        {"at": 0.0, "event": "message_start", "data": {"type": "message_start"}},
        {"at": 0.1, "event": "error", "data": {"type": "error", "error": {"type": "overloaded_error", "message": "O"}}},
    ]
    return {
        "label": label,
        "request": {"method": "POST", "path": "/v1/messages", "body": {"label": label}},
        "response": {"status": 200, "headers": {}, "events": events},
    }


def test_error_rows_one_per_kind_sorted_with_mid_stream_last():
    rec = make_recording(
        [
            _stream_with_error("mid"),
            _err("busy", 529, "overloaded_error"),
            _err("limited", 429, "rate_limit_error", {"retry-after": "2"}),
            _err("limited again", 429, "rate_limit_error"),
            _err("bad", 400, "invalid_request_error"),
            {
                "request": {"method": "GET", "path": "/v1/models"},
                "response": {"status": 200, "headers": {}, "body": {}},
            },
        ]
    )
    rows = error_rows(rec)
    assert [(r.status, r.example) for r in rows] == [
        ("400", "bad"),
        ("429", "limited"),
        ("529", "busy"),
        ("200, then an error event", "mid"),
    ]
    by_status = {r.status: r for r in rows}
    assert (by_status["400"].exception, by_status["400"].sdk_retries, by_status["400"].you) == (
        "BadRequestError",
        "no",
        "fix",
    )
    assert (by_status["529"].exception, by_status["529"].sdk_retries, by_status["529"].you) == (
        "OverloadedError",
        "yes",
        "retry",
    )
    mid = rows[-1]
    assert (mid.error_type, mid.exception) == ("overloaded_error", "APIStatusError")
    assert (mid.sdk_retries, mid.you) == ("no", "retry")


def test_error_rows_respect_x_should_retry_and_odd_bodies():
    rec = make_recording(
        [
            _err("told not to", 500, "api_error", {"x-should-retry": "false"}),
            _err("not an envelope", 418, "", body="I'm a teapot"),
        ]
    )
    rows = {r.status: r for r in error_rows(rec)}
    assert rows["500"].sdk_retries == "no"
    assert (rows["418"].error_type, rows["418"].exception, rows["418"].you) == ("?", "APIStatusError", "fix")


@pytest.mark.parametrize("bad", [None, 42, "exchanges", {"a": 1}])
def test_error_rows_rejects_what_is_not_a_recording(bad):
    with pytest.raises(TypeError, match="Recording"):
        error_rows(bad)


def test_error_table_text_and_html():
    table = error_table(make_recording([_err("a <b>", 401, "authentication_error")]))
    text = repr(table)
    assert text.splitlines()[0].split()[:3] == ["status", "error.type", "SDK"]
    assert "401" in text and "AuthenticationError" in text and ADVICE["authentication_error"][1] in text
    page = table._repr_html_()
    assert "a &lt;b&gt;" in page and "<b>⛔ fix</b>" in page, "the verdict is a word and a mark, not a colour"
    # JupyterLab right-aligns table cells unless told: words left, the status number right.
    assert '<td style="text-align:left">a &lt;b&gt;</td><td style="text-align:right">401</td>' in page
    assert "<td>" not in page and '<th style="text-align:left">what to do</th>' in page


def test_the_shipped_recording_holds_what_the_issue_asks_for():
    rec = load_recording(RECORDINGS_DIR / "10_errors.json")
    by_label = {ex.label: ex for ex in rec.exchanges}
    first, retry = by_label["ticket 1: rate limited"], by_label["ticket 1: answered on the retry"]
    assert (first.response.status, retry.response.status) == (429, 200)
    assert first.request.key == retry.request.key and first.index < retry.index
    assert first.response.headers["retry-after"] == "2"
    assert any(h.startswith("anthropic-ratelimit-") for h in first.response.headers)
    statuses = {ex.response.status for ex in rec.exchanges}
    assert {401, 529, 400, 404, 500, 413} <= statuses
    for ex in rec.exchanges:
        if ex.response.status >= 400:
            assert ex.response.body["type"] == "error" and ex.response.body["request_id"].startswith("req_")
    held = [ex for ex in rec.exchanges if ex.response.hold]
    assert len(held) == 1 and 0.5 <= held[0].response.hold <= 1.5


def test_the_recordings_token_headers_are_what_the_notebook_says():
    """tokens-* is the most restrictive token limit in effect (docs), not the sum; remaining values are rounded
    to the nearest thousand; as in real 2026 captures, only 2xx answers to POST /v1/messages and 429s (and 5xx,
    of which no capture is known) carry rate-limit headers."""
    rec = load_recording(RECORDINGS_DIR / "10_errors.json")
    for ex in rec.exchanges:
        h = ex.response.headers
        if 400 <= ex.response.status < 500 and ex.response.status != 429:
            assert not any(k.startswith("anthropic-ratelimit-") for k in h)
            continue
        get = {
            k: h[f"anthropic-ratelimit-{k}"]
            for k in (
                "input-tokens-limit",
                "input-tokens-remaining",
                "output-tokens-limit",
                "output-tokens-remaining",
                "tokens-limit",
                "tokens-remaining",
            )
        }
        families = [
            (int(get["input-tokens-remaining"]), int(get["input-tokens-limit"])),
            (int(get["output-tokens-remaining"]), int(get["output-tokens-limit"])),
        ]
        left, limit = min(families)
        assert (int(get["tokens-remaining"]), int(get["tokens-limit"])) == (left, limit), ex.label
        assert int(get["tokens-limit"]) != int(get["input-tokens-limit"]) + int(get["output-tokens-limit"])
        for name in ("input-tokens-remaining", "output-tokens-remaining", "tokens-remaining"):
            assert int(get[name]) % 1000 == 0, (ex.label, name)


def test_the_401_text_is_the_apis_and_exercise_1_quotes_it():
    rec = load_recording(RECORDINGS_DIR / "10_errors.json")
    (wrong_key,) = [ex for ex in rec.exchanges if ex.response.status == 401]
    assert wrong_key.response.body["error"] == {"type": "authentication_error", "message": "invalid x-api-key"}
    assert wrong_key.response.headers["x-should-retry"] == "false"
    assert check.CASES["d"] == "401 authentication_error: 'invalid x-api-key'"
    assert check.check_classification(RETRY_CLASSES).ok
    told = check.check_classification(dict(RETRY_CLASSES, d="retry")).problems
    assert told == ["d: fix, not retry: a wrong key stays wrong: fix ANTHROPIC_API_KEY."]
    assert check.check_classification(dict(RETRY_CLASSES, d="fix", a="fix")).problems[0].startswith("a: retry, not fix")


def test_the_concurrent_tickets_are_recorded_with_their_counters():
    rec = load_recording(RECORDINGS_DIR / "10_errors.json")
    tickets = [ex for ex in rec.exchanges if ex.label.endswith("sent concurrently")]
    assert len(tickets) == 4 and all(ex.response.status == 200 for ex in tickets)
    left = [int(ex.response.headers["anthropic-ratelimit-requests-remaining"]) for ex in tickets]
    assert left == sorted(left, reverse=True) and left[-1] <= 50 // 5


# --- the retry-wrapper harness -------------------------------------------------------------------------

RETRYABLE = (anthropic.RateLimitError, anthropic.InternalServerError, anthropic.APIConnectionError)
SPEND_CAPS = {"enforced_spend_limit_reached", "contract_spend_limit_reached"}


def good_wrapper(send, max_retries=3, sleep=time.sleep):
    for attempt in range(max_retries + 1):
        try:
            return send()
        except RETRYABLE as err:
            if attempt == max_retries or getattr(err, "error_code", None) in SPEND_CAPS:
                raise
            wait_before_retry(err, attempt + 1, sleep=sleep)


def test_a_correct_wrapper_passes_every_scenario():
    for scenario in SCENARIOS:
        assert run_scenario(good_wrapper, scenario) == [], scenario.name


def test_scripted_send_plays_in_order_repeats_the_last_and_stops_a_loop():
    send = ScriptedSend([make_timeout_error(), "ok"], limit=3)
    with pytest.raises(anthropic.APITimeoutError):
        send()
    assert send() == "ok" and send() == "ok"
    with pytest.raises(TooManyCalls):
        send()


def test_fake_sleep_records_and_stops_a_loop():
    sleep = FakeSleep(limit=2)
    sleep(1)
    sleep(2.5)
    assert sleep.waits == [1, 2.5]
    with pytest.raises(TooManyCalls):
        sleep(1)


def _problems(wrapper):
    return [p for s in SCENARIOS for p in run_scenario(wrapper, s)]


def test_a_wrapper_that_retries_everything_is_told_which():
    def retries_all(send, max_retries=3, sleep=time.sleep):
        for attempt in range(max_retries + 1):
            try:
                return send()
            except anthropic.APIError as err:
                if attempt == max_retries:
                    raise
                wait_before_retry(err, attempt + 1, sleep=sleep)

    found = _problems(retries_all)
    assert any(p.startswith("400 invalid_request_error: it called send() 4 times") for p in found)
    assert any(p.startswith("401 authentication_error") for p in found)
    assert not any(p.startswith("429 (retry-after") for p in found)


def test_a_wrapper_that_ignores_retry_after_is_told_so():
    def fixed_wait(send, max_retries=3, sleep=time.sleep):
        for attempt in range(max_retries + 1):
            try:
                return send()
            except RETRYABLE:
                if attempt == max_retries:
                    raise
                sleep(0.5)

    found = _problems(fixed_wait)
    assert any("retry-after: 3" in p and "wait 1 was 0.5 s" in p for p in found)


def test_a_wrapper_that_loops_forever_is_stopped_and_told():
    def forever(send, max_retries=3, sleep=time.sleep):
        while True:
            try:
                return send()
            except Exception:
                sleep(0.1)

    found = run_scenario(forever, SCENARIOS[4])
    assert len(found) == 1 and "kept going" in found[0]


def test_a_wrapper_that_swallows_or_replaces_errors_is_told():
    def swallow(send, max_retries=3, sleep=time.sleep):
        try:
            return send()
        except Exception:
            return None

    def replace(send, max_retries=3, sleep=time.sleep):
        try:
            return send()
        except Exception as err:
            raise RuntimeError("failed") from err

    assert any("returned None; after giving up, re-raise" in p for p in _problems(swallow))
    assert any("raised RuntimeError; re-raise the SDK's own error" in p for p in _problems(replace))


def test_a_wrapper_that_sleeps_before_giving_up_or_never_sleeps_is_told():
    def sleeps_last(send, max_retries=3, sleep=time.sleep):
        for attempt in range(max_retries + 1):
            try:
                return send()
            except RETRYABLE as err:
                wait_before_retry(err, attempt + 1, sleep=sleep)
                if attempt == max_retries:
                    raise

    def no_sleep(send, max_retries=3, sleep=time.sleep):
        for attempt in range(max_retries + 1):
            try:
                return send()
            except RETRYABLE:
                if attempt == max_retries:
                    raise

    assert any("it waited 4 times; expected 3" in p for p in _problems(sleeps_last))
    assert any("it waited 0 times; expected 1" in p for p in _problems(no_sleep))


def test_a_wrapper_with_the_wrong_signature_or_bad_waits_is_told():
    def no_sleep_param(send, max_retries=3):
        return send()

    def negative_wait(send, max_retries=3, sleep=time.sleep):
        for attempt in range(max_retries + 1):
            try:
                return send()
            except RETRYABLE:
                if attempt == max_retries:
                    raise
                sleep(-1)

    wrong_signature = run_scenario(no_sleep_param, SCENARIOS[0])
    assert "calling it as wrapper(send, max_retries=..., sleep=...) failed" in wrong_signature[0]
    assert any("wait a positive number of seconds" in p for p in _problems(negative_wait))


# --- the exercise self-checks --------------------------------------------------------------------------


def test_check_retry_wrapper_accepts_a_correct_wrapper():
    res = check.check_retry_wrapper(good_wrapper)
    assert res.ok and f"{len(SCENARIOS)} scripted scenarios" in res.note


def test_check_retry_wrapper_says_when_nothing_is_written_yet():
    def placeholder(send, max_retries=3, sleep=time.sleep): ...

    assert check.check_retry_wrapper(placeholder).problems == [
        "It never calls send(): write the function's body (replace the ...)."
    ]
    assert "Pass your function" in check.check_retry_wrapper(...).problems[0]
    assert "Pass your function" in check.check_retry_wrapper("call_with_retries").problems[0]


def test_check_retry_wrapper_names_missing_parameters_and_lists_problems():
    def two_params(send, retries=3):
        return send()

    assert "missing: max_retries, sleep" in check.check_retry_wrapper(two_params).problems[0]

    def never_retries(send, max_retries=3, sleep=time.sleep):
        return send()

    res = check.check_retry_wrapper(never_retries)
    assert not res.ok
    assert any(p.startswith("429 (retry-after: 3), then success: it raised RateLimitError") for p in res.problems)
    assert "❌" in repr(res)




def test_check_classification_correct_and_case_insensitive():
    assert check.check_classification(RETRY_CLASSES).ok
    assert check.check_classification({k: f" {v.upper()} " for k, v in RETRY_CLASSES.items()}).ok


def test_check_classification_unfilled_and_not_a_dict():
    unfilled = check.check_classification({k: ... for k in check.CASES})
    assert unfilled.problems == ['Replace each ... with "retry" or "fix".']
    assert "Build a dict" in check.check_classification(["retry"]).problems[0]
    assert "Build a dict" in check.check_classification(...).problems[0]


def test_check_classification_explains_each_wrong_answer():
    answers = dict(RETRY_CLASSES, b="retry", c=..., d="maybe", z="fix")
    problems = check.check_classification(answers).problems
    assert problems[0].startswith("b: fix, not retry: the request itself is malformed")
    assert problems[1] == 'c: still ... ; answer "retry" or "fix".'
    assert problems[2] == 'd: \'maybe\' is neither "retry" nor "fix".'
    assert problems[3].startswith("Unknown cases ['z']")


def test_every_case_has_an_answer_and_the_answers_match_the_advice():
    assert set(check.CASES) == set(check._EXPECTED)
    assert check._EXPECTED["a"][0] == ADVICE["rate_limit_error"][0]
    assert check._EXPECTED["d"][0] == ADVICE["authentication_error"][0]


# --- key-shaped strings -----------------------------------------------------------------------------------


def test_scan_text_finds_api_and_admin_keys_without_keeping_them():
    text = f"first line\nkey = '{API_KEY}'\nadmin: {ADMIN_KEY} and again {API_KEY}"
    found = scan_text(text, cell=2, where="source")
    assert [(f.cell, f.where, f.line) for f in found] == [(2, "source", 2), (2, "source", 3), (2, "source", 3)]
    assert found[0].preview == "sk-ant-api03-…" and found[1].preview == "sk-ant-admin01-…"
    assert found[0].length == len(API_KEY)
    for f in found:
        assert API_KEY not in str(f) and ADMIN_KEY not in str(f) and API_KEY not in repr(f)
        assert scan_text(str(f)) == []  # a report can itself be scanned and committed


@pytest.mark.parametrize(
    "harmless", ["sk-ant-...", "sk-ant-api03-short", "ANTHROPIC_API_KEY=", "sk-proj-abcdefghijklmnopqrstuvwxyz"]
)
def test_scan_text_ignores_placeholders_and_other_shapes(harmless):
    assert scan_text(harmless) == []


def test_mask_key_and_bad_inputs():
    assert mask_key(API_KEY) == "sk-ant-api03-…"
    with pytest.raises(ValueError):
        mask_key("not a key")
    with pytest.raises(TypeError):
        scan_text(None)


def _write(tmp_path: Path, data, name="nb.ipynb") -> Path:
    p = tmp_path / name
    p.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return p


def test_scan_notebook_looks_in_sources_outputs_and_metadata(tmp_path):
    nb = {
        "metadata": {"note": f"saved with {ADMIN_KEY}"},
        "cells": [
            {"cell_type": "markdown", "source": ["# fine\n", "nothing here"]},
            {
                "cell_type": "code",
                "source": f"x = 1\nkey = '{API_KEY}'",
                "outputs": [
                    {"output_type": "stream", "name": "stdout", "text": ["ok\n", f"{API_KEY}\n"]},
                    {"output_type": "execute_result", "data": {"text/plain": "1", "application/json": {"k": API_KEY}}},
                    {"output_type": "error", "ename": "E", "evalue": API_KEY, "traceback": ["a", API_KEY]},
                ],
                "metadata": {"tags": [API_KEY]},
            },
        ],
    }
    found = scan_notebook(_write(tmp_path, nb))
    places = [(f.cell, f.where, f.line) for f in found]
    assert places == [
        (None, "metadata", 1),
        (1, "source", 2),
        (1, "cell metadata", 1),
        (1, "output 0", 2),
        (1, "output 1", 1),
        (1, "output 2", 1),
        (1, "output 2", 2),
    ]
    assert str(found[0]).startswith("notebook metadata, line 1: sk-ant-admin01-…")


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "not a notebook (not JSON: line 1"),
        ("[1, 2]", "not a notebook (no list of cells)"),
        ('{"cells": {}}', "not a notebook (no list of cells)"),
        ('{"cells": ["text"]}', "cell 0 is not an object"),
    ],
)
def test_scan_notebook_names_the_file_not_its_path(tmp_path, content, message):
    with pytest.raises(NotebookScanError) as info:
        scan_notebook(_write(tmp_path, content, "broken.ipynb"))
    assert str(info.value).startswith("broken.ipynb: ") and message in str(info.value)
    assert str(tmp_path) not in str(info.value)


def test_scan_notebook_missing_or_undecodable_file(tmp_path):
    with pytest.raises(NotebookScanError, match=r"^gone\.ipynb: no such file$"):
        scan_notebook(tmp_path / "gone.ipynb")
    bad = tmp_path / "latin.ipynb"
    bad.write_bytes(b"\xff\xfe\xfa")
    with pytest.raises(NotebookScanError, match="cannot be read"):
        scan_notebook(bad)


def test_the_sample_leaks_three_fake_keys():
    found = scan_notebook(NOTEBOOKS_DIR / "data" / "leaky_notebook.json")
    assert [(f.cell, f.where, f.line) for f in found] == [(1, "source", 4), (2, "output 0", 1), (3, "output 0", 2)]
    assert all(isinstance(f, KeyFinding) and f.preview.endswith("-…") for f in found)
    # notebook 10 prints these lines: a plain finding reads as it always did
    assert str(found[0]) == "cell 1, source, line 4: sk-ant-api03-… (51 characters)"


def test_a_finding_says_how_the_key_was_hidden():
    found = scan_text("x\n" + API_KEY.replace("-", "%2D"), cell=0, where="output 1")
    assert str(found[0]) == f"cell 0, output 1, line 2: sk-ant-api03-… ({len(API_KEY)} characters, percent-encoded)"
    top = KeyFinding(None, "top level", 1, "sk-ant-api03-…", 51, "base64-encoded")
    assert str(top) == "notebook, top level, line 1: sk-ant-api03-… (51 characters, base64-encoded)"

"""helpers.batching (validation, splitting, poll wait) and the 07_batches self-checks."""

from __future__ import annotations

import inspect
import json
from types import SimpleNamespace

import pytest

import helpers.batching as batching
from helpers import HAIKU, OPUS
from helpers.batching import (
    MAX_BYTES,
    MAX_REQUESTS,
    POLL_SECONDS,
    BatchRequestError,
    body_bytes,
    poll_wait,
    request_bytes,
    split_requests,
    validate_requests,
)
from helpers.checks import batching as check
from helpers.config import ConfigError
from helpers.pricing import BATCH_DISCOUNT, format_usd, price_of


def req(cid: str, text: str = "Hi", **params) -> dict:
    p = {"model": OPUS, "max_tokens": 10, "messages": [{"role": "user", "content": text}], **params}
    return {"custom_id": cid, "params": p}


def wire(value) -> bytes:
    """What the SDK sends: compact JSON in UTF-8."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# sizes ------------------------------------------------------------------------------------------------


def test_request_bytes_counts_utf8_bytes_not_characters():
    ascii_req, accented = req("a", "cafe"), req("a", "café")
    assert request_bytes(ascii_req) == len(wire(ascii_req))
    assert request_bytes(accented) == len(wire(accented)) == request_bytes(ascii_req) + 1


@pytest.mark.parametrize("n", [1, 2, 7])
def test_body_bytes_is_the_exact_create_body(n):
    reqs = [req(f"r-{i}", "x" * i) for i in range(n)]
    assert body_bytes(reqs) == len(wire({"requests": reqs}))


def test_request_bytes_rejects_what_json_cannot_send():
    with pytest.raises(BatchRequestError, match="not JSON-serializable"):
        request_bytes({"custom_id": "a", "params": {"x": object()}})
    with pytest.raises(BatchRequestError, match="not JSON-serializable"):
        request_bytes({"custom_id": "a", "params": {"x": float("nan")}})


# splitting --------------------------------------------------------------------------------------------


def test_defaults_are_todays_limits():
    assert (MAX_REQUESTS, MAX_BYTES, POLL_SECONDS) == (100_000, 256_000_000, 60.0)
    params = inspect.signature(split_requests).parameters
    assert params["max_requests"].default == MAX_REQUESTS
    assert params["max_bytes"].default == MAX_BYTES


def test_a_small_job_is_one_batch_of_the_same_objects():
    reqs = [req("request-1"), req("request-2")]
    batches = split_requests(reqs)
    assert len(batches) == 1 and batches[0] == reqs and batches[0][0] is reqs[0]


def test_splits_by_count_in_order():
    reqs = [req(f"r-{i}") for i in range(25)]
    batches = split_requests(reqs, max_requests=10)
    assert [len(b) for b in batches] == [10, 10, 5]
    assert [r for b in batches for r in b] == reqs


def test_splits_by_size_at_the_exact_byte():
    reqs = [req(f"r-{i}", "y" * 50) for i in range(4)]
    two = body_bytes(reqs[:2])
    assert [len(b) for b in split_requests(reqs, max_bytes=two)] == [2, 2]
    assert [len(b) for b in split_requests(reqs, max_bytes=two - 1)] == [1, 1, 1, 1]
    assert [len(b) for b in split_requests(reqs, max_bytes=body_bytes(reqs))] == [4]


def test_every_batch_respects_both_limits():
    reqs = [req(f"t-{i}", "z" * ((i * 37) % 400)) for i in range(60)]
    batches = split_requests(reqs, max_requests=7, max_bytes=2_000)
    assert [r for b in batches for r in b] == reqs
    assert all(len(b) <= 7 and body_bytes(b) <= 2_000 for b in batches)
    # greedy: the next request would not have fitted in the batch before it
    for b, nxt in zip(batches, batches[1:], strict=False):
        assert len(b) == 7 or body_bytes(b + nxt[:1]) > 2_000


def test_a_request_too_big_for_any_batch_is_named():
    reqs = [req("small"), req("huge", "h" * 5_000)]
    with pytest.raises(BatchRequestError, match=r"requests\[1\] \(custom_id 'huge'\): .* exceed the 1,000-byte"):
        split_requests(reqs, max_bytes=1_000)


@pytest.mark.parametrize("name", ["max_requests", "max_bytes"])
@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "10", None])
def test_limits_must_be_positive_integers(name, bad):
    with pytest.raises(ValueError, match=f"{name} must be a positive integer"):
        split_requests([req("a")], **{name: bad})


def test_nothing_is_split_when_any_request_is_bad():
    reqs = [req(f"r-{i}") for i in range(5)] + [req("r-0")]
    with pytest.raises(BatchRequestError, match=r"requests\[5\]: custom_id 'r-0' is already used by requests\[0\]"):
        split_requests(reqs, max_requests=2)


# validation -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "requests_, fragment",
    [
        ("request-1", "must be a list"),
        (b"xx", "must be a list"),
        ({"custom_id": "a", "params": {}}, "must be a list"),
        (None, "must be a list"),
        (42, "must be a list"),
        ([], "is empty"),
        (["request-1"], r"requests\[0\] must be a dict"),
        ([{"custom_id": "a"}], "needs both custom_id and params"),
        ([{"params": req("a")["params"]}], "needs both custom_id and params"),
        ([dict(req("a"), stream=True)], r"unexpected key\(s\) \['stream'\]"),
    ],
)
def test_rejects_a_malformed_list(requests_, fragment):
    with pytest.raises(BatchRequestError, match=fragment):
        validate_requests(requests_)


@pytest.mark.parametrize(
    "cid, fragment",
    [
        ("", "custom_id is empty"),
        ("x" * 65, "65 characters; at most 64"),
        ("ticket 3 (urgent)", r"it has ' ', '\(', '\)'"),
        ("tokyo/london", "it has '/'"),
        ("café", "it has 'é'"),
        ("a.b", r"it has '\.'"),
        (7, "must be a string, got int"),
        (None, "must be a string, got NoneType"),
    ],
)
def test_rejects_a_bad_custom_id(cid, fragment):
    with pytest.raises(BatchRequestError, match=fragment):
        validate_requests([req("ok"), {"custom_id": cid, "params": req("x")["params"]}])


@pytest.mark.parametrize("cid", ["a", "A-z_0-9", "x" * 64, "request-1", "-_-"])
def test_accepts_every_custom_id_the_pattern_allows(cid):
    assert validate_requests([req(cid)]) is None


def test_a_duplicate_names_both_positions():
    with pytest.raises(BatchRequestError) as info:
        validate_requests([req("a"), req("b"), req("a")])
    assert str(info.value).startswith("requests[2]: custom_id 'a' is already used by requests[0]")


@pytest.mark.parametrize(
    "params, fragment",
    [
        ("model=x", "params must be a dict"),
        ({"model": OPUS, "messages": [{"role": "user", "content": "x"}]}, "missing max_tokens"),
        ({"max_tokens": 5}, "missing model, messages"),
        ({"model": "", "max_tokens": 5, "messages": [{}]}, "params.model must be a model id"),
        ({"model": OPUS, "max_tokens": 0, "messages": [{}]}, "max_tokens must be a positive integer"),
        ({"model": OPUS, "max_tokens": True, "messages": [{}]}, "max_tokens must be a positive integer"),
        ({"model": OPUS, "max_tokens": "10", "messages": [{}]}, "max_tokens must be a positive integer"),
        ({"model": OPUS, "max_tokens": 5, "messages": []}, "non-empty list"),
        ({"model": OPUS, "max_tokens": 5, "messages": "hi"}, "non-empty list"),
        ({"model": OPUS, "max_tokens": 5, "messages": [{}], "stream": True}, "never streamed"),
    ],
)
def test_rejects_bad_params_naming_the_request(params, fragment):
    with pytest.raises(BatchRequestError, match=r"requests\[1\] \(custom_id 'second'\): .*" + fragment):
        validate_requests([req("first"), {"custom_id": "second", "params": params}])


def test_the_error_shows_as_one_line_in_ipython():
    err = BatchRequestError("requests[0]: custom_id is empty")
    assert isinstance(err, ValueError)
    assert err._render_traceback_() == ["BatchRequestError: requests[0]: custom_id is empty"]


# poll_wait --------------------------------------------------------------------------------------------


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.mark.parametrize("mode", ["live", "record"])
def test_poll_wait_sleeps_the_full_interval_outside_replay(mode):
    sleeps = Sleeps()
    assert poll_wait(sleep=sleeps, mode=mode) == 60.0
    assert poll_wait(5, sleep=sleeps, mode=mode) == 5.0
    assert sleeps.calls == [60.0, 5.0]


def test_poll_wait_never_sleeps_in_replay():
    sleeps = Sleeps()
    assert poll_wait(60, sleep=sleeps, mode="replay") == 0.0
    assert sleeps.calls == []


def test_poll_wait_takes_the_mode_from_the_session(monkeypatch):
    sleeps = Sleeps()
    monkeypatch.setattr(batching, "current_session", lambda: SimpleNamespace(mode="replay"))
    assert poll_wait(sleep=sleeps) == 0.0
    monkeypatch.setattr(batching, "current_session", lambda: SimpleNamespace(mode="live"))
    assert poll_wait(sleep=sleeps) == 60.0
    assert sleeps.calls == [60.0]


def test_poll_wait_without_a_session_really_waits(monkeypatch):
    def no_session():
        raise ConfigError("No course session yet")

    sleeps = Sleeps()
    monkeypatch.setattr(batching, "current_session", no_session)
    assert poll_wait(2, sleep=sleeps) == 2.0
    assert sleeps.calls == [2.0]


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf"), "60", True, None])
def test_poll_wait_rejects_bad_seconds(bad):
    sleeps = Sleeps()
    with pytest.raises(ValueError, match="seconds must be a number >= 0"):
        poll_wait(bad, sleep=sleeps, mode="live")
    assert sleeps.calls == []


# self-checks ------------------------------------------------------------------------------------------


def solution() -> list[dict]:
    return [
        {
            "custom_id": f"review-{i}",
            "params": {
                "model": HAIKU,
                "max_tokens": check.MAX_TOKENS,
                "messages": [{"role": "user", "content": check.PROMPT.format(review=review)}],
            },
        }
        for i, review in enumerate(check.REVIEWS)
    ]


def test_check_requests_accepts_the_solution():
    r = check.check_requests(solution())
    assert r.ok and "4 requests" in r.note and "bytes" in r.note


def test_check_requests_asks_to_fill_the_placeholder():
    assert "Replace ... with a list" in repr(check.check_requests(...))
    assert "Replace each ..." in repr(check.check_requests([..., ...]))


def _problems(requests_) -> str:
    r = check.check_requests(requests_)
    assert not r.ok
    return " | ".join(r.problems)


def test_check_requests_reports_what_the_api_would_reject():
    dup = solution()
    dup[3]["custom_id"] = "review-0"
    assert "The API would reject this" in _problems(dup) and "already used" in _problems(dup)
    spaced = solution()
    spaced[0]["custom_id"] = "review 0"
    assert "it has ' '" in _problems(spaced)
    streamed = solution()
    streamed[1]["params"]["stream"] = True
    assert "never streamed" in _problems(streamed)
    assert "must be a list" in _problems({"custom_id": "review-0"})


def test_check_requests_names_each_wrong_field():
    reqs = solution()
    reqs[0]["custom_id"] = "review-1a"
    reqs[1]["params"]["model"] = OPUS
    reqs[2]["params"]["max_tokens"] = 100
    reqs[3]["params"]["messages"][0]["content"] = check.PROMPT.format(review=check.REVIEWS[0])
    text = _problems(reqs)
    assert "custom_id 'review-1a' is not one of 'review-0' .. 'review-3'" in text
    assert "No request for 'review-0'" in text
    assert "custom_id 'review-1': model should be HAIKU" in text
    assert f"custom_id 'review-2': max_tokens should be {check.MAX_TOKENS}" in text
    assert "custom_id 'review-3': content should be" in text and "does not contain that review" in text


def test_check_requests_joins_by_custom_id_so_order_does_not_matter():
    assert check.check_requests(solution()[::-1]).ok
    shuffled = solution()
    shuffled[0], shuffled[2] = shuffled[2], shuffled[0]
    assert check.check_requests(shuffled).ok
    # reordered and wrong: review-2's prompt under review-0's id is still caught
    swapped = solution()
    swapped[0]["custom_id"], swapped[2]["custom_id"] = "review-2", "review-0"
    text = _problems(swapped)
    assert "custom_id 'review-0': content should be" in text and "custom_id 'review-2': content" in text


def test_check_requests_wants_one_request_per_review_and_no_extras():
    assert "No request for 'review-3'" in _problems(solution()[:3])
    extra = solution()
    extra[0]["params"]["temperature"] = 0.0
    assert "unexpected params ['temperature']" in _problems(extra)
    two = solution()
    two[0]["params"]["messages"].append({"role": "assistant", "content": "positive"})
    assert "one user message" in _problems(two)


def test_check_saving_on_sonnet_4_6_by_hand(monkeypatch):
    monkeypatch.setitem(check.WORKLOAD, "model", "claude-sonnet-4-6")
    # 40,000 x (1,500 x $3 + 400 x $15) per million = $420 standard; half of it as a batch
    r = check.check_saving(210)
    assert r.ok and r.note == "$210.00: $420.00 standard, $210.00 as a batch."
    assert check.check_saving(210.0).ok
    assert "output tokens too" in " ".join(check.check_saving(90).problems)  # $180 of input, halved


# The exercise's model, whichever it is: its rates for one 1,500-token request.
_P = price_of(check.WORKLOAD["model"]).for_prompt(check.WORKLOAD["input_tokens"])
STANDARD = 40_000 * (1_500 * _P.input + 400 * _P.output) / 1e6
SAVING = STANDARD * (1 - BATCH_DISCOUNT)


def test_check_saving_accepts_the_saving():
    r = check.check_saving(SAVING)
    assert r.ok and r.note == f"{_usd(SAVING)}: {_usd(STANDARD)} standard, {_usd(STANDARD - SAVING)} as a batch."


def _usd(dollars: float) -> str:
    return f"${dollars:,.2f}" if dollars >= 1 else format_usd(dollars)


@pytest.mark.parametrize(
    "answer, fragment",
    [
        (STANDARD, f"{_usd(STANDARD)} is what it costs without a batch"),
        (SAVING * 1e6, "Divide by 1,000,000"),
        (SAVING / 40_000, "That is per request"),
        (40_000 * 1_500 * _P.input / 1e6 * (1 - BATCH_DISCOUNT), "output tokens too"),  # only input discounted
        (-SAVING, "A saving is positive"),
        (SAVING * 0.95, "Price the workload at the standard rate"),
        (str(SAVING), "Give the saving as a number"),
        (True, "Give the saving as a number"),
        (..., "Replace ... with the saving"),
    ],
)
def test_check_saving_explains_wrong_answers(answer, fragment):
    r = check.check_saving(answer)
    assert not r.ok and fragment in " ".join(r.problems)


def test_progress_bar_moves_shows_the_status_and_prints_one_line_at_the_end(capsys) -> None:
    from helpers.batching import ProgressBar

    bar = ProgressBar(2, "requests done")
    shown = capsys.readouterr().out  # outside IPython, display() prints the static (text/plain) form
    assert "a progress bar while the batch runs" in shown and "0%" not in shown
    bar.update_to(0, "in_progress, 2 remaining")
    assert bar.bar.value == 0 and bar.label.value == "0/2 · poll 1: in_progress, 2 remaining"
    bar.update_to(2, "ended, 0 remaining")
    assert bar.bar.value == 2 and capsys.readouterr().out == ""  # nothing printed per poll
    assert bar.close("ended") == "requests done: 2/2 · ended after 2 polls"
    assert capsys.readouterr().out == "requests done: 2/2 · ended after 2 polls\n"

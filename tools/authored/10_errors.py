"""Authored recording for 10_errors: rate-limit headers, a 429 then 200, error responses, a mid-stream error and
a slow answer for the timeout demo.

Error bodies use the API's envelope with a request_id; messages follow the API's templates where public
captures or reports show them (401, 429, 400 empty messages, 404, 500, 529) and say "course-authored" where no
real text is known (413). Rate-limit values are those of a new (tier 1) organization; reset times are RFC 3339,
token `remaining` values rounded to the thousand, as the API sends them. `tokens-*` follows the docs (rate limits
page): the most restrictive token limit in effect, here the output limit; a real April 2026 capture
(tests/fixtures/real/message_sonnet_4_6_headers.json) shows the sum of input and output instead, and the notebook
says that the sources disagree. Every exchange but the 401 carries these headers, so `complete_headers` (which
writes the sum) fills in none.
"""

import hashlib
import uuid

from authoring import (
    carries_rate_limits,
    error_exchange,
    json_exchange,
    make_id,
    message,
    message_exchange,
    recording,
    stream_events,
)

from helpers.models import HAIKU, OPUS


def user(text):
    return [{"role": "user", "content": text}]


# Section 1: the primer's first request, read with with_raw_response.
FIRST = {"model": OPUS, "max_tokens": 1024, "messages": user("Hello, Claude!")}

# Section 2: a support app summarising tickets on Haiku hits its requests-per-minute limit.
TICKET_1 = {
    "model": HAIKU,
    "max_tokens": 200,
    "messages": user(
        "Summarise this support ticket in one sentence: 'I was charged twice for my March invoice "
        "and cannot find where to ask for a refund.'"
    ),
}
TICKET_2 = {
    "model": HAIKU,
    "max_tokens": 200,
    "messages": user(
        "Summarise this support ticket in one sentence: 'The export button greys out whenever "
        "my report has more than 500 rows.'"
    ),
}

# Section 3: common mistakes, and two faults on the API's side.
NO_MESSAGES = {"model": HAIKU, "max_tokens": 100, "messages": []}
WRONG_KEY = {"model": HAIKU, "max_tokens": 100, "messages": user("Hello, Claude!")}
MODEL_TYPO = {"model": OPUS + "-preview", "max_tokens": 1024, "messages": user("Hello, Claude!")}
SERVER_FAULT = {"model": HAIKU, "max_tokens": 100, "messages": user("Suggest three names for a bakery.")}
# Not sent by any cell (a body over 32 MB); here so the error table can show what a 413 looks like.
TOO_LARGE = {"model": OPUS, "max_tokens": 1024, "messages": user("<a 40 MB document: not stored in this recording>")}

# Section 4: overloaded, before and during a stream (the primer's streaming example).
BUSY = {"model": OPUS, "max_tokens": 1024, "messages": user("Draft a two-line status update for the team.")}
PRIMER_STREAM = {
    "model": OPUS,
    "max_tokens": 1024,
    "messages": user("Please explain quantum computing in detail."),
    "stream": True,
}

# Section 7: four more tickets, sent concurrently by an async client (at most two in flight).
MORE_TICKETS = [
    ("My invoice shows the wrong company name; can you reissue it?",
     "The customer needs their invoice reissued with the correct company name."),
    ("The mobile app logs me out every time I switch to another app.",
     "The mobile app ends the customer's session whenever they switch away from it."),
    ("I added a colleague to our team but she never got the invitation email.",
     "A colleague added to the customer's team has not received the invitation email."),
    ("Search returns no results for any order placed before January.",
     "Search finds no orders placed before January."),
]


def ticket_request(text):
    return {
        "model": HAIKU,
        "max_tokens": 200,
        "messages": user(f"Summarise this support ticket in one sentence: '{text}'"),
    }


# Section 5: the same question without streaming, answered slowly (the gateway holds it for 1 s).
SLOW = {"model": OPUS, "max_tokens": 1024, "messages": user("Please explain quantum computing in detail.")}


def limits(requests, input_tokens, output_tokens, *, used_requests, used_in, used_out, resets):
    """anthropic-ratelimit-* headers: limit, remaining and reset for requests, tokens, input and output tokens."""
    r_reset, in_reset, out_reset = resets
    left_in = round((input_tokens - used_in) / 1000) * 1000
    left_out = round((output_tokens - used_out) / 1000) * 1000
    # tokens-*: the most restrictive token limit in effect (docs), the family with less left (here output)
    tokens, left, t_reset = min(
        [(input_tokens, left_in, in_reset), (output_tokens, left_out, out_reset)], key=lambda f: (f[1], f[0])
    )
    return {
        "anthropic-ratelimit-requests-limit": str(requests),
        "anthropic-ratelimit-requests-remaining": str(requests - used_requests),
        "anthropic-ratelimit-requests-reset": r_reset,
        "anthropic-ratelimit-input-tokens-limit": str(input_tokens),
        "anthropic-ratelimit-input-tokens-remaining": str(left_in),
        "anthropic-ratelimit-input-tokens-reset": in_reset,
        "anthropic-ratelimit-output-tokens-limit": str(output_tokens),
        "anthropic-ratelimit-output-tokens-remaining": str(left_out),
        "anthropic-ratelimit-output-tokens-reset": out_reset,
        "anthropic-ratelimit-tokens-limit": str(tokens),
        "anthropic-ratelimit-tokens-remaining": str(left),
        "anthropic-ratelimit-tokens-reset": t_reset,
    }


FIRST_LIMITS = limits(
    50, 30_000, 8_000, used_requests=1, used_in=15, used_out=29,
    resets=("2026-11-24T09:30:02Z", "2026-11-24T09:30:01Z", "2026-11-24T09:30:08Z"),
)
HAIKU_FULL = limits(
    50, 50_000, 10_000, used_requests=50, used_in=3_100, used_out=2_300,
    resets=("2026-11-24T09:41:02Z", "2026-11-24T09:41:01Z", "2026-11-24T09:41:03Z"),
)
HAIKU_AFTER = limits(
    50, 50_000, 10_000, used_requests=50, used_in=3_148, used_out=2_323,
    resets=("2026-11-24T09:41:03Z", "2026-11-24T09:41:02Z", "2026-11-24T09:41:04Z"),
)

# The API's 429 template; the organization id is a made-up one (a UUID from a hash), never a real org's.
ORG = str(uuid.UUID(bytes=hashlib.sha256(b"primer course example organization").digest()[:16], version=4))
RATE_LIMITED = (
    f"This request would exceed the rate limit for your organization ({ORG}) of 50 requests per minute. "
    "For details, refer to: https://docs.anthropic.com/en/api/rate-limits. You can see the response headers "
    "for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later. "
    "You may also contact sales at https://www.anthropic.com/contact-sales to discuss your options for a rate "
    "limit increase."
)
TIER_1 = {"requests": 50, "input-tokens": 30_000, "output-tokens": 8_000}


def fill_limits(exchanges):
    """Rate-limit headers for every exchange that has none yet and carries them (`carries_rate_limits`: a 2xx
    to POST /v1/messages, a 429 or a 5xx), per model class, as a minute's traffic after the ones above."""
    tier = {OPUS: (50, 30_000, 8_000), HAIKU: (50, 50_000, 10_000)}
    used = {OPUS: [1, 15, 29], HAIKU: [40, 2_500, 1_800]}
    for n, ex in enumerate(exchanges):
        hdrs = ex["response"]["headers"]
        if not carries_rate_limits(ex) or any(k.startswith("anthropic-ratelimit-") for k in hdrs):
            continue
        model = ex["request"]["body"]["model"]
        model = model if model in tier else OPUS
        body = ex["response"].get("body") or {}
        use = body.get("usage") or {}
        count = used[model]
        count[0] += 1
        count[1] += use.get("input_tokens", 0)
        count[2] += use.get("output_tokens", 0)
        s = 10 + 3 * n
        stamp = f"2026-11-24T09:42:{s % 60:02d}Z"
        hdrs.update(limits(*tier[model], used_requests=count[0], used_in=count[1], used_out=count[2],
                           resets=(stamp, stamp, stamp)))


def with_headers(label, request, text, headers):
    return json_exchange(label, "/v1/messages", request, 200, message(request, text, seed=label), extra_headers=headers)


def mid_stream_error(label, request, text, *, cut_after):
    """A stream that sends the start of `text`, then an overloaded error event instead of the rest."""
    msg = message({k: v for k, v in request.items() if k != "stream"}, text, seed=label)
    events = stream_events(msg)
    deltas = [i for i, e in enumerate(events) if e["event"] == "content_block_delta"]
    kept = events[: deltas[cut_after - 1] + 1]
    at = round(kept[-1]["at"] + 0.12, 3)
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    return {
        "label": label,
        "request": {"method": "POST", "path": "/v1/messages", "body": request},
        "response": {
            "status": 200,
            "headers": {"content-type": "text/event-stream; charset=utf-8", "request-id": make_id("req_", label)},
            "events": kept + [{"at": at, "event": "error", "data": error}],
        },
    }


QUANTUM = (
    "Quantum computing is a way of processing information that uses the rules of quantum mechanics instead of "
    "the on-off logic of ordinary chips.\n\n"
    "**Qubits.** A classical bit is 0 or 1. A qubit can be in a superposition of both, described by two numbers "
    "(amplitudes) whose squares give the chances of reading 0 or 1 when you measure it. Measuring forces a "
    "definite answer, so the skill lies in arranging the computation so the right answers become likely.\n\n"
    "**Entanglement.** Qubits can be linked so that their measured values are correlated more strongly than any "
    "classical system allows. A register of n entangled qubits is described by 2^n amplitudes at once, which is "
    "where the potential speed-up comes from.\n\n"
    "**Interference.** Quantum algorithms steer amplitudes so that paths leading to wrong answers cancel out and "
    "paths leading to right answers reinforce each other. Shor's algorithm (factoring) and Grover's algorithm "
    "(search) work this way.\n\n"
    "**Today's limits.** Qubits are fragile: heat and stray signals cause errors (decoherence). Current machines "
    "have hundreds to a few thousand noisy qubits, and error correction needs many physical qubits per reliable "
    "logical one. Useful advantage so far is limited to narrow problems, with chemistry simulation, optimisation "
    "and cryptography as the fields most likely to change first."
)


def build():
    exchanges = [
        with_headers(
            "primer first request, with rate-limit headers",
            FIRST,
            "Hello! It's good to meet you. What can I help you with today? I'm happy to write, explain, "
            "analyse or brainstorm.",
            FIRST_LIMITS,
        ),
        error_exchange(
            "ticket 1: rate limited",
            "/v1/messages",
            TICKET_1,
            429,
            "rate_limit_error",
            RATE_LIMITED,
            extra_headers={"retry-after": "2", **HAIKU_FULL},
        ),
        with_headers(
            "ticket 1: answered on the retry",
            TICKET_1,
            "The customer was billed twice for their March invoice and needs to know how to request a refund.",
            HAIKU_AFTER,
        ),
        error_exchange(
            "ticket 2: rate limited",
            "/v1/messages",
            TICKET_2,
            429,
            "rate_limit_error",
            RATE_LIMITED,
            extra_headers={"retry-after": "2", **HAIKU_FULL},
        ),
        error_exchange(
            "an empty messages list",
            "/v1/messages",
            NO_MESSAGES,
            400,
            "invalid_request_error",
            "messages: at least one message is required",
        ),
        error_exchange(
            "a wrong API key",
            "/v1/messages",
            WRONG_KEY,
            401,
            "authentication_error",
            "invalid x-api-key",
        ),
        error_exchange(
            "a typo in the model id",
            "/v1/messages",
            MODEL_TYPO,
            404,
            "not_found_error",
            f"model: {MODEL_TYPO['model']}",  # the API names the id it was sent
        ),
        error_exchange(
            "a fault on the API's side",
            "/v1/messages",
            SERVER_FAULT,
            500,
            "api_error",
            "Internal server error",
        ),
        error_exchange(
            "a request over 32 MB (not sent by any cell)",
            "/v1/messages",
            TOO_LARGE,
            413,
            "request_too_large",
            "Request exceeds the maximum allowed number of bytes (course-authored message).",
        ),
        error_exchange(
            "the API is overloaded",
            "/v1/messages",
            BUSY,
            529,
            "overloaded_error",
            "Overloaded",
        ),
        mid_stream_error("primer stream: overloaded mid-stream", PRIMER_STREAM, QUANTUM, cut_after=12),
        message_exchange("primer question without streaming, held 1 s", SLOW, QUANTUM),
    ]
    exchanges[-1]["response"]["hold"] = 1.0
    for n, (text, summary) in enumerate(MORE_TICKETS, start=3):
        exchanges.append(message_exchange(f"ticket {n}: sent concurrently", ticket_request(text), summary))
    fill_limits(exchanges)
    return recording(
        exchanges,
        models=[OPUS, HAIKU],
        limits=TIER_1,
        note="Error responses, rate-limit headers and their values are authored examples of the API's behaviour "
        "(a tier 1 organization); the 413 exchange stands in for a body over 32 MB and is not sent by the notebook.",
    )

"""Authored recording for 06_extended_thinking: the primer's thinking request, adaptive thinking at two
efforts, display "omitted", a baseline without thinking, manual thinking on Haiku 4.5, a thinking + tools
round trip, the 400s the notebook demonstrates, and one streamed thinking exchange (thinking block start,
thinking_delta..., signature_delta, then text) for the notebook to use.

Signatures are placeholders (base64 of SHA-256 digests of a seed), deterministic and shaped like the
API's, which the real API would reject. Error messages follow the API's own templates as public reports
quote them (see the recording's note).
"""

import base64
import hashlib
import json

from authoring import (
    error_exchange,
    json_exchange,
    make_id,
    message_exchange,
    recording,
    stream_exchange,
    thinking_billed,
    tool_use,
)

from helpers.models import OPUS, PRIMER_HAIKU, PRIMER_OPUS, model_info

# Legacy on purpose: the primer's manual budget_tokens request (PRIMER_OPUS, deprecated on Opus 4.6, refused on 4.7+)
# and manual thinking where it is the only form (PRIMER_HAIKU, Haiku 4.5). Adaptive thinking runs on OPUS.
HAIKU = PRIMER_HAIKU


def signature(seed: str) -> str:
    """A placeholder signature: 256 bytes derived from `seed`, base64 encoded (344 characters)."""
    raw = b"".join(hashlib.sha256(f"primer-06:{seed}:{i}".encode()).digest() for i in range(8))
    return base64.b64encode(raw).decode()


def thinking(text: str, seed: str) -> dict:
    return {"type": "thinking", "thinking": text, "signature": signature(seed)}


def text(body: str) -> dict:
    return {"type": "text", "text": body}


# 1. The primer's request, unchanged.
PROOF_PROMPT = "Please provide the following mathematical proof: prove that there are infinitely many prime numbers."
PRIMER = {
    "model": PRIMER_OPUS,
    "max_tokens": 16000,
    "thinking": {"type": "enabled", "budget_tokens": 10000},
    "messages": [{"role": "user", "content": PROOF_PROMPT}],
}
PROOF_THINKING = (
    "The user wants a proof that there are infinitely many primes. The classic route is Euclid's "
    "argument by contradiction: assume the primes are finite in number, multiply them all together, add "
    "one, and look at a prime factor of the result.\n\n"
    "One common mistake to avoid: the number N = p1 * p2 * ... * pn + 1 need not be prime itself "
    "(2 * 3 * 5 * 7 * 11 * 13 + 1 = 30031 = 59 * 509). The argument only needs N to have some prime "
    "factor, and that factor cannot be any of the p_i, because dividing N by p_i leaves remainder 1.\n\n"
    "Structure: (1) suppose p1, ..., pn are all the primes; (2) form N; (3) N > 1, so it has a prime "
    "divisor q; (4) q is not in the list; (5) contradiction. I should justify step 3 in a line: the "
    "smallest divisor of N greater than 1 is prime. Then write it up cleanly and mention the 30031 example."
)
PROOF_ANSWER = (
    "**Theorem.** There are infinitely many prime numbers.\n\n"
    "**Proof (Euclid).** Suppose, for contradiction, that there are only finitely many primes, and list "
    "them all: p₁, p₂, …, pₙ.\n\n"
    "Consider the number\n\n"
    "N = p₁ · p₂ · … · pₙ + 1.\n\n"
    "N is greater than 1, so it has at least one prime divisor q. (The smallest divisor of N that is "
    "greater than 1 must be prime: any divisor of it greater than 1 would be a smaller divisor of N.)\n\n"
    "Because the list contains every prime, q must be one of p₁, …, pₙ. But every pᵢ divides the product "
    "p₁ · … · pₙ, so dividing N by pᵢ leaves remainder 1. No pᵢ divides N, so q is not in the list.\n\n"
    "This contradicts the assumption that the list held every prime. Therefore there are infinitely many "
    "primes. ∎\n\n"
    "Note that N itself need not be prime: 2 · 3 · 5 · 7 · 11 · 13 + 1 = 30031 = 59 · 509. The proof only "
    "uses the fact that N has a prime factor outside the list."
)

# 2. Adaptive thinking at two efforts on one problem (and 4. display "omitted", 5. no thinking).
PROBLEM = "How many trailing zeros does 1000! (1000 factorial) have? Give the number and a one-line reason."


def adaptive(effort: str | None = None, display: str | None = None) -> dict:
    body: dict = {"model": OPUS, "max_tokens": 16000, "thinking": {"type": "adaptive", "display": "summarized"}}
    if display:
        body["thinking"]["display"] = display
    if effort:
        body["output_config"] = {"effort": effort}
    body["messages"] = [{"role": "user", "content": PROBLEM}]
    return body


LOW_THINKING = (
    "Trailing zeros come from factors of 10 = 2 * 5, and 2s are far more common than 5s, so count the 5s: "
    "1000/5 + 1000/25 + 1000/125 + 1000/625 = 200 + 40 + 8 + 1 = 249."
)
LOW_ANSWER = (
    "**249.** Each trailing zero needs a factor 10 = 2 × 5, and 1000! has far more 2s than 5s, so count "
    "the factors of 5: 200 + 40 + 8 + 1 = 249."
)
HIGH_THINKING = (
    "Trailing zeros of n! equal the number of times 10 divides n!. Since 10 = 2 * 5, I need the smaller "
    "of the exponents of 2 and of 5 in 1000!.\n\n"
    "Legendre's formula: the exponent of a prime p in n! is the sum of floor(n / p^k) for k = 1, 2, ...\n\n"
    "Exponent of 5: floor(1000/5) = 200, floor(1000/25) = 40, floor(1000/125) = 8, floor(1000/625) = 1, "
    "floor(1000/3125) = 0. Total 249.\n\n"
    "Exponent of 2: 500 + 250 + 125 + 62 + 31 + 15 + 7 + 3 + 1 = 994, far more than 249, so 5 is the "
    "limiting factor.\n\n"
    "Sanity check on a small case: 25! should end in floor(25/5) + floor(25/25) = 5 + 1 = 6 zeros. "
    "25! = 15511210043330985984000000, which ends in six zeros, so the extra count for multiples of 25 "
    "is right.\n\n"
    "Re-add for 1000: 200 + 40 = 240, + 8 = 248, + 1 = 249. The only multiple of 625 is 625 itself, which "
    "holds four factors of 5, counted once in each of the four terms. Answer: 249."
)
HIGH_ANSWER = (
    "**1000! ends in 249 zeros.** A trailing zero needs a factor 10 = 2 × 5, and 1000! contains 994 "
    "factors of 2 but only 249 factors of 5 (200 multiples of 5, plus 40 more for multiples of 25, 8 for "
    "multiples of 125 and 1 for 625), so the 5s set the count."
)

# 3. Manual thinking on Haiku 4.5, and a budget below the minimum.
PRIME_QUESTION = "Is 221 a prime number? If not, give its factors."


def haiku(budget: int = 2000, **extra) -> dict:
    return {
        "model": HAIKU,
        "max_tokens": 3000,
        "thinking": {"type": "enabled", "budget_tokens": budget},
        "messages": [{"role": "user", "content": PRIME_QUESTION}],
        **extra,
    }


HAIKU_THINKING = (
    "221 is odd, its digit sum is 5 so 3 does not divide it, and it does not end in 0 or 5. I only need "
    "primes up to the square root of 221, about 14.9. 7: 7 * 31 = 217, remainder 4. 11: 11 * 20 = 220, "
    "remainder 1. 13: 13 * 17 = 221. So 221 = 13 * 17."
)
HAIKU_ANSWER = "No. 221 = 13 × 17, so it is not prime."

# 6. Thinking with tools: one round trip with the thinking block passed back unchanged.
STOCK_TOOL = {
    "name": "get_stock_level",
    "description": "Current stock of a product SKU: units on the shelf and units already reserved for orders.",
    "input_schema": {
        "type": "object",
        "properties": {"sku": {"type": "string", "description": "Product SKU, e.g. A-113"}},
        "required": ["sku"],
    },
}
STOCK_QUESTION = "Can we ship 40 units of SKU A-113 today? How many would be left for other orders?"
TOOL_THINKING = (
    "The user asks whether 40 units of A-113 can ship today. I don't know the stock, so I need "
    "get_stock_level for A-113. Units already reserved for other orders are not available, so after the "
    "lookup I'll subtract the reserved units from the units on the shelf and compare the result with 40."
)
TOOL_USE = tool_use(make_id("toolu_", "primer 06 stock lookup"), "get_stock_level", {"sku": "A-113"})
TOOL_RESULT = json.dumps({"sku": "A-113", "on_shelf": 52, "reserved": 9})
FINAL_THINKING = "52 on the shelf and 9 reserved leaves 43 free. 40 fits, and 43 - 40 = 3 free units remain."
FINAL_ANSWER = (
    "Yes. A-113 has 52 units on the shelf, 9 of them already reserved, so 43 are free to ship. Shipping 40 "
    "today leaves **3 units** for other orders (the 9 reserved units stay reserved)."
)
TOOLS_FIRST = {
    "model": OPUS,
    "max_tokens": 16000,
    "thinking": {"type": "adaptive", "display": "summarized"},  # Opus 5.5 omits the text by default
    "tools": [STOCK_TOOL],
    "messages": [{"role": "user", "content": STOCK_QUESTION}],
}
FIRST_CONTENT = [thinking(TOOL_THINKING, "tools step 1"), TOOL_USE]


def tools_second(assistant_content: list) -> dict:
    return dict(
        TOOLS_FIRST,
        messages=[
            {"role": "user", "content": STOCK_QUESTION},
            {"role": "assistant", "content": assistant_content},
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": TOOL_USE["id"], "content": TOOL_RESULT}],
            },
        ],
    )


EDITED = dict(
    FIRST_CONTENT[0],
    thinking=FIRST_CONTENT[0]["thinking"].replace("compare the result with 40", "ship whatever is there"),
)

# 7. Incompatibilities on Haiku 4.5's manual thinking: a changed temperature, a forced tool_choice.
FORCED_TOOL = {
    "model": HAIKU,
    "max_tokens": 3000,
    "thinking": {"type": "enabled", "budget_tokens": 2000},
    "tools": [STOCK_TOOL],
    "tool_choice": {"type": "any"},
    "messages": [{"role": "user", "content": STOCK_QUESTION}],
}

BAD = "invalid_request_error"

# API error templates, as quoted in public reports of 2025-2026 (the course's requests filled in).
BUDGET_ERROR = "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
DROPPED_ERROR = (
    "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`. When "
    "`thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the "
    "lastmost set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from "
    "previous turns. To avoid this requirement, disable `thinking`. Please consult our documentation at "
    "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
)
SIGNATURE_ERROR = "messages.1.content.0: Invalid `signature` in `thinking` block"
TEMPERATURE_ERROR = (
    "`temperature` may only be set to 1 when thinking is enabled or in adaptive mode. Please consult our "
    "documentation at https://platform.claude.com/docs/en/build-with-claude/extended-thinking"
)
FORCED_ERROR = "Thinking may not be enabled when tool_choice forces tool use."

# 8. A streamed thinking exchange: Haiku 4.5, manual thinking.
STREAMED = dict(
    haiku(), messages=[{"role": "user", "content": "Is 391 a prime number? If not, give its factors."}], stream=True
)
STREAMED_THINKING = (
    "391 is odd, its digit sum is 13 so 3 does not divide it, and it does not end in 0 or 5. The square root "
    "of 391 is just under 20, so I check primes up to 19. 7: 7 * 55 = 385, remainder 6. 11: 11 * 35 = 385, "
    "remainder 6. 13: 13 * 30 = 390, remainder 1. 17: 17 * 23 = 391. So 391 = 17 * 23."
)
STREAMED_ANSWER = "No. 391 = 17 × 23, so it is not prime."

# 9. Parallel tool calls with thinking: one thinking block, two tool_use blocks, both results in one user turn.
PARALLEL_QUESTION = "Can we ship 40 units of A-113 and 25 units of B-207 today?"
PARALLEL_THINKING = (
    "Two SKUs, and neither lookup depends on the other, so I can ask for both stock levels at once. For each I "
    "will subtract the reserved units from the units on the shelf and compare with the quantity asked for."
)
PARALLEL_USES = [
    tool_use(make_id("toolu_", "primer 06 parallel A-113"), "get_stock_level", {"sku": "A-113"}),
    tool_use(make_id("toolu_", "primer 06 parallel B-207"), "get_stock_level", {"sku": "B-207"}),
]
PARALLEL_RESULTS = {
    "A-113": {"sku": "A-113", "on_shelf": 52, "reserved": 9},
    "B-207": {"sku": "B-207", "on_shelf": 30, "reserved": 12},
}
PARALLEL_FIRST = dict(TOOLS_FIRST, messages=[{"role": "user", "content": PARALLEL_QUESTION}])
PARALLEL_CONTENT = [thinking(PARALLEL_THINKING, "parallel step 1"), *PARALLEL_USES]
PARALLEL_FINAL_THINKING = "A-113: 52 - 9 = 43 free, 40 fits. B-207: 30 - 12 = 18 free, 25 does not fit: 7 short."
PARALLEL_ANSWER = (
    "Partly. **A-113: yes**: 43 of its 52 units are free, so 40 can ship (3 stay free). **B-207: no**: only 18 "
    "of its 30 units are free (12 are reserved), 7 short of 25. Ship 18 now, or wait for stock."
)


def parallel_second() -> dict:
    results = [
        {"type": "tool_result", "tool_use_id": u["id"], "content": json.dumps(PARALLEL_RESULTS[u["input"]["sku"]])}
        for u in PARALLEL_USES
    ]
    return dict(
        PARALLEL_FIRST,
        messages=[
            {"role": "user", "content": PARALLEL_QUESTION},
            {"role": "assistant", "content": PARALLEL_CONTENT},
            {"role": "user", "content": results},  # every result of the turn in one user message
        ],
    )


# 10. The Models API: what each model accepts (capabilities), read instead of hard-coded.
def _support(flag: bool) -> dict:
    return {"supported": flag}


def model_object(model: str) -> dict:
    """A ModelInfo body (SDK types/model_info.py) with the capabilities the notebook reads. Authored: the
    thinking and effort flags follow the docs' model pages; the others are the course's best reading."""
    info = model_info(model)
    adaptive = info.thinking.startswith("adaptive")
    always_on = info.thinking == "adaptive (always on)"
    efforts = {level: _support(adaptive) for level in ("low", "medium", "high", "max")}
    return {
        "id": {"claude-haiku-4-5": "claude-haiku-4-5-20251001"}.get(model, model),
        "type": "model",
        "display_name": info.name,
        "created_at": {"claude-haiku-4-5": "2025-10-15T00:00:00Z", "claude-opus-4-6": "2026-02-05T00:00:00Z"}.get(
            model, "2026-10-07T00:00:00Z"
        ),
        "lifecycle": "active",
        "deprecated_at": None,
        "retires_at": None,
        "line": "opus" if "opus" in model else "haiku",
        "max_input_tokens": info.context_window,
        "max_tokens": info.max_output,
        "capabilities": {
            "batch": _support(True),
            "citations": _support(True),
            "code_execution": _support(adaptive),
            "context_management": {
                "clear_thinking_20251015": _support(True),
                "clear_tool_uses_20250919": _support(True),
                "compact_20260112": _support(adaptive),
                "supported": True,
            },
            "effort": {**efforts, "xhigh": _support(False), "supported": adaptive},
            "image_input": _support(True),
            "pdf_input": _support(True),
            "server_tools": {"code_execution": _support(True), "web_search": _support(True), "supported": True},
            "structured_outputs": _support(True),
            "thinking": {
                "supported": True,
                "types": {
                    "adaptive": _support(adaptive),
                    "between_tools": _support(False),
                    "disabled": _support(not always_on),
                    "enabled": _support(info.manual_thinking),  # Opus 4.6: accepted, the SDK warns (deprecated)
                },
            },
        },
    }


def build():
    high = [thinking(HIGH_THINKING, "adaptive effort high"), text(HIGH_ANSWER)]
    high_thinking = thinking_billed(adaptive("high"), high)
    omitted_req = adaptive(display="omitted")
    return recording(
        [
            message_exchange(
                "primer thinking request",
                PRIMER,
                [thinking(PROOF_THINKING, "primer thinking request"), text(PROOF_ANSWER)],
            ),
            message_exchange(
                "adaptive effort low",
                adaptive("low"),
                [thinking(LOW_THINKING, "adaptive effort low"), text(LOW_ANSWER)],
            ),
            message_exchange("adaptive effort high", adaptive("high"), high),
            # Omitting the display does not omit the thinking: bill it like the high-effort run
            # (adaptive thinking's default effort is high).
            message_exchange(
                "adaptive display omitted",
                omitted_req,
                [dict(high[0], thinking="", signature=signature("adaptive display omitted")), high[1]],
                thinking_tokens=high_thinking,
            ),
            message_exchange(
                "haiku manual thinking",
                haiku(),
                [thinking(HAIKU_THINKING, "haiku manual thinking"), text(HAIKU_ANSWER)],
            ),
            error_exchange(
                "400 budget below 1024",
                "/v1/messages",
                haiku(512),
                400,
                BAD,
                BUDGET_ERROR,
            ),
            message_exchange("tools step 1", TOOLS_FIRST, FIRST_CONTENT, stop_reason="tool_use"),
            message_exchange(
                "tools step 2",
                tools_second(FIRST_CONTENT),
                [thinking(FINAL_THINKING, "tools step 2"), text(FINAL_ANSWER)],
            ),
            error_exchange(
                "400 thinking dropped",
                "/v1/messages",
                tools_second([TOOL_USE]),
                400,
                BAD,
                DROPPED_ERROR,
            ),
            error_exchange(
                "400 thinking edited",
                "/v1/messages",
                tools_second([EDITED, TOOL_USE]),
                400,
                BAD,
                SIGNATURE_ERROR,
            ),
            error_exchange(  # on a client pinned to 2023-06-01: the only version with a temperature field
                "400 temperature with thinking",
                "/v1/messages",
                haiku(temperature=0.5),
                400,
                BAD,
                TEMPERATURE_ERROR,
                match_headers={"anthropic-version": "2023-06-01"},
            ),
            error_exchange(
                "400 forced tool_choice with thinking",
                "/v1/messages",
                FORCED_TOOL,
                400,
                BAD,
                FORCED_ERROR,
            ),
            json_exchange("models retrieve opus", f"/v1/models/{OPUS}", None, 200, model_object(OPUS), method="GET"),
            json_exchange("models retrieve haiku", f"/v1/models/{HAIKU}", None, 200, model_object(HAIKU), method="GET"),
            message_exchange("parallel step 1", PARALLEL_FIRST, PARALLEL_CONTENT, stop_reason="tool_use"),
            message_exchange(
                "parallel step 2",
                parallel_second(),
                [thinking(PARALLEL_FINAL_THINKING, "parallel step 2"), text(PARALLEL_ANSWER)],
            ),
            stream_exchange(
                "haiku manual thinking, streamed",
                STREAMED,
                [thinking(STREAMED_THINKING, "haiku manual thinking, streamed"), text(STREAMED_ANSWER)],
                first_token=0.5,
            ),
        ],
        models=[OPUS, PRIMER_OPUS, PRIMER_HAIKU],
        note=(
            "Thinking signatures are placeholders (base64 of SHA-256 digests), which the real API would "
            "reject. Error messages follow the API's templates as public reports of 2025-2026 quote them. "
            "Billed thinking tokens are THINKING_FACTOR (3) times the estimate of the visible thinking text "
            "(the summary Claude 4 models return is shorter than the reasoning billed), at most budget_tokens; "
            "with display 'omitted' they are billed like the same request's visible thinking. Opus 4.6 "
            "answers to thinking requests carry usage.output_tokens_details; Haiku 4.5's do not. Model "
            "objects (GET /v1/models/...) are authored: thinking and effort flags follow the docs' model pages."
        ),
    )

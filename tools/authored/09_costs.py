"""Authored recording for 09_costs: token counting, one task on three models, and the Models API.

Token counts come from the course's estimate (tools/authoring.py). A count_tokens answer and the usage of
the message sent after it carry the same estimate, as they would for the same request in live mode. The
models list is written for the course and holds only the course's three models and one deprecated model;
its created_at and deprecated_at dates are illustrative, and the retirement date of claude-opus-4-5 is the
one in the installed SDK's deprecation table (2.15: January 22nd, 2027).
"""

from __future__ import annotations

from typing import Any

from authoring import (
    error_exchange,
    estimate_input_tokens,
    json_exchange,
    make_id,
    message_exchange,
    recording,
    tool_use,
)

from helpers.bill import VERBATIM
from helpers.models import HAIKU, OPUS, PRIMER_OPUS, SONNET, model_info

# The primer's count_tokens example, unchanged.
PRIMER_COUNT = {
    "model": OPUS,
    "messages": [{"role": "user", "content": "How many tokens does this request use?"}],
}

SUPPORT_SYSTEM = (
    "You are the support assistant of Northwind Tea, an online tea shop. Answer in at most three sentences. "
    "Look up an order with the tools before you say anything about it."
)
SUPPORT_TOOLS = [
    {
        "name": "get_order_status",
        "description": "Look up an order in the shop's system: its status, the carrier and the expected delivery date.",
        "input_schema": {
            "type": "object",
            "properties": {"order_id": {"type": "string", "description": "The order number, e.g. 4417"}},
            "required": ["order_id"],
        },
    }
]
SUPPORT_MESSAGES = [{"role": "user", "content": "Where is my order 4417? It was due on Monday."}]
SUPPORT_COUNT = {"model": SONNET, "system": SUPPORT_SYSTEM, "tools": SUPPORT_TOOLS, "messages": SUPPORT_MESSAGES}
SUPPORT = {"model": SONNET, "max_tokens": 1024, **{k: v for k, v in SUPPORT_COUNT.items() if k != "model"}}

REVIEW = (
    "I ordered the Assam breakfast blend after reading good things about it. The tea itself is excellent: "
    "malty, strong, and it takes milk well. But the tin arrived dented, the lid no longer closes properly, "
    "and it took eleven days to arrive instead of the promised three. I would buy the tea again, just not "
    "from this shop."
)
TASK = (
    "Summarize this customer review in one sentence, then label its overall sentiment as positive, "
    "negative or mixed.\n\nReview:\n" + REVIEW
)
ANSWERS = {
    HAIKU: "The customer loves the malty Assam tea but was let down by a dented tin and an eleven-day "
    "delivery.\n\nSentiment: mixed",
    SONNET: "The reviewer rates the Assam breakfast blend highly for its malty, strong flavour, but complains "
    "about a dented tin whose lid no longer closes and a delivery that took eleven days instead of "
    "three.\n\nSentiment: mixed",
    OPUS: "The reviewer praises the Assam breakfast blend as malty, strong and good with milk, but a dented "
    "tin and an eleven-day delivery (promised in three) mean they would buy the tea again only from another "
    "shop.\n\nSentiment: mixed: positive about the product, negative about the shop, and the shop is the "
    "part this business controls.",
}


def task(model: str) -> dict[str, Any]:
    return {"model": model, "max_tokens": 200, "messages": [{"role": "user", "content": TASK}]}


def model_entry(
    model_id: str,
    name: str,
    line: str,
    created: str,
    context: int,
    max_out: int,
    *,
    deprecated: str | None = None,
    retires: str | None = None,
) -> dict[str, Any]:
    return {
        "type": "model",
        "id": model_id,
        "display_name": name,
        "created_at": created,
        "lifecycle": "deprecated" if deprecated else "active",
        "deprecated_at": deprecated,
        "retires_at": retires,
        "line": line,
        "max_input_tokens": context,
        "max_tokens": max_out,
    }


# The id the API returns for an alias (Haiku 4.5 is served under its dated id) and the release dates of the
# models' pages; a model switch (helpers/models.py) changes these entries through model_info().
_SERVED = {"claude-haiku-4-5": "claude-haiku-4-5-20251001"}
_RELEASED = {"claude-opus-4-6": "2026-02-05", "claude-sonnet-4-6": "2026-02-17", "claude-haiku-4-5": "2025-10-15",
             "claude-haiku-5-5": "2026-10-07"}


def course_entry(model: str) -> dict[str, Any]:
    info = model_info(model)
    created = _RELEASED.get(model, "2026-01-01") + "T00:00:00Z"  # illustrative where no page gives a date
    family = model.split("-")[1]
    return model_entry(_SERVED.get(model, model), info.name, family, created, info.context_window, info.max_output)


MODEL_LIST = [
    course_entry(SONNET),
    course_entry(OPUS),
    course_entry(HAIKU),
    model_entry(
        "claude-opus-4-5-20251101",
        "Claude Opus 4.5",
        "opus",
        "2025-11-24T00:00:00Z",
        200_000,
        64_000,
        deprecated="2026-10-22T00:00:00Z",
        retires="2027-01-22T00:00:00Z",
    ),
]
MISSPELLED = "claude-opus-4.6"  # a dot where the id has a dash


def build() -> dict[str, Any]:
    support_tokens = estimate_input_tokens(SUPPORT_COUNT)
    assert support_tokens == estimate_input_tokens(SUPPORT)  # max_tokens does not change the prompt
    page = {"data": MODEL_LIST, "has_more": False, "first_id": MODEL_LIST[0]["id"], "last_id": MODEL_LIST[-1]["id"]}
    return recording(
        [
            json_exchange(
                "primer count_tokens",
                "/v1/messages/count_tokens",
                PRIMER_COUNT,
                200,
                {"input_tokens": estimate_input_tokens(PRIMER_COUNT)},
            ),
            json_exchange(
                "count the support request (system prompt and a tool)",
                "/v1/messages/count_tokens",
                SUPPORT_COUNT,
                200,
                {"input_tokens": support_tokens},
            ),
            message_exchange(
                "send the support request",
                SUPPORT,
                [
                    {"type": "text", "text": "Let me look up order 4417 for you."},
                    tool_use(make_id("toolu_", "order 4417"), "get_order_status", {"order_id": "4417"}),
                ],
                stop_reason="tool_use",
            ),
            *[message_exchange(f"review summary on {m}", task(m), ANSWERS[m]) for m in (HAIKU, SONNET, OPUS)],
            json_exchange("list models", "/v1/models", None, 200, page, method="GET"),
            *[
                json_exchange(f"retrieve {alias}", f"/v1/models/{alias}", None, 200, entry, method="GET")
                for alias, entry in ((OPUS, MODEL_LIST[1]), (SONNET, MODEL_LIST[0]), (HAIKU, MODEL_LIST[2]))
            ],
            error_exchange(
                "retrieve a misspelled model id",
                f"/v1/models/{MISSPELLED}",
                None,
                404,
                "not_found_error",
                f"model: {MISSPELLED}",
                method="GET",
            ),
            # The primer's own code, verbatim (claude-opus-4-6, legacy): only tests/test_primer_verbatim.py sends
            # it, no notebook cell (count_tokens is free; the VERBATIM suffix says so all the same).
            json_exchange(
                f"primer count_tokens{VERBATIM}",
                "/v1/messages/count_tokens",
                {**PRIMER_COUNT, "model": PRIMER_OPUS},
                200,
                {"input_tokens": estimate_input_tokens(PRIMER_COUNT)},
            ),
        ],
        models=[OPUS, SONNET, HAIKU, PRIMER_OPUS],
        note="The models list is authored: it holds the course's three models and one deprecated model only "
        "(a live list holds every model the key can use, newest first); its created_at and deprecated_at "
        "dates are illustrative.",
    )

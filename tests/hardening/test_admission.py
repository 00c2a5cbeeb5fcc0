"""The live bound is an allow-list: its table matches the installed SDK's request types, and anything the
table does not admit is refused before forwarding with one line naming it."""

from __future__ import annotations

import typing
from typing import Any

import anthropic.types as sdk_types
import anthropic.types.beta as sdk_beta
import pytest

from hardening.wire import ASK, call, error_message
from helpers.gateway.admission import BETAS, BLOCKS, FIELDS, OUTPUT_CONFIG, SOURCES, TOOLS
from helpers.gateway.budget import BadRequest, worst_case
from helpers.models import KNOWN
from helpers.pricing import BATCH_DISCOUNT, UnknownPriceError, price_of


def _members(union: Any) -> list[Any]:
    """The classes a (nested, possibly Annotated) Union of public SDK types is made of."""
    if typing.get_origin(union) is typing.Annotated:
        union = typing.get_args(union)[0]
    out: list[Any] = []
    for a in typing.get_args(union) or (union,):
        if typing.get_origin(a) in (typing.Union, typing.Annotated):
            out += _members(a)
        elif a is not type(None):
            out.append(a)
    return out


def _type_literals(union: Any) -> set[str]:
    """Every `type` literal of the TypedDicts and models in `union`."""
    found: set[str] = set()
    for cls in _members(union):
        if hasattr(cls, "model_fields"):
            hint = cls.model_fields["type"].annotation if "type" in cls.model_fields else None
        else:
            hint = typing.get_type_hints(cls).get("type")
        found |= {x for x in typing.get_args(hint) if isinstance(x, str)}
    return found


def _fields(union: Any) -> set[str]:
    return {k for cls in _members(union) for k in typing.get_type_hints(cls)}


def test_every_request_field_the_sdk_knows_is_in_the_table():
    sdk = _fields(sdk_types.MessageCreateParams) | _fields(sdk_beta.MessageCreateParams)
    assert sdk - set(FIELDS) == set(), "price (or refuse) these new SDK fields in helpers/gateway/admission.py"


def test_every_output_config_key_the_sdk_knows_is_in_the_table():
    sdk = set(typing.get_type_hints(sdk_types.OutputConfigParam)) | set(
        typing.get_type_hints(sdk_beta.BetaOutputConfigParam)
    )
    assert sdk - set(OUTPUT_CONFIG) == set()


def test_every_content_block_and_source_the_sdk_knows_is_in_the_table():
    blocks = _type_literals(sdk_types.ContentBlockParam) | _type_literals(sdk_beta.BetaContentBlockParam)
    result = typing.get_type_hints(sdk_types.ToolResultBlockParam)["content"]
    blocks |= _type_literals(typing.get_args(typing.get_args(result)[1])[0])
    assert blocks - set(BLOCKS) == set()
    sources = _type_literals(typing.get_type_hints(sdk_types.DocumentBlockParam)["source"])
    sources |= _type_literals(typing.get_type_hints(sdk_types.ImageBlockParam)["source"])
    assert sources - set(SOURCES) == set()


def test_every_tool_type_the_sdk_knows_is_in_the_table():
    tools = _type_literals(sdk_types.ToolUnionParam) | _type_literals(sdk_beta.BetaToolUnionParam)
    assert tools - set(TOOLS) == set()


def test_every_admitted_beta_is_one_the_sdk_names():
    betas = typing.get_type_hints(typing.get_args(sdk_beta.MessageCreateParams)[0])["betas"]
    named = {x for a in typing.get_args(typing.get_args(betas)[0]) for x in typing.get_args(a) if isinstance(x, str)}
    assert set(BETAS) - named == set(), "a renamed or mistyped beta in the allow-list"


@pytest.mark.parametrize(
    "change, names",
    [
        ({"brand_new_billable_field": {"on": True}}, "'brand_new_billable_field'"),
        ({"context_management": {"edits": [{"type": "compact_20260112"}]}}, "'context_management'"),
        ({"compaction": {"enabled": True}}, "'compaction'"),
        ({"messages": [{"role": "user", "content": [{"type": "hologram", "uri": "x"}]}]}, "'hologram' block"),
        ({"messages": [{"role": "user", "content": [{"type": "container_upload", "file_id": "f"}]}]}, "container"),
        ({"tools": [{"type": "web_search_20260318", "name": "web_search"}]}, "'web_search_20260318'"),
        ({"tools": [{"type": "teleport_20270101", "name": "t"}]}, "'teleport_20270101'"),
        ({"speed": "fast"}, "speed='fast'"),
        ({"output_config": {"effort": "high", "task_budget": {"total": 10**6}}}, "output_config.task_budget"),
        ({"fallbacks": "default"}, "fallbacks"),
    ],
)
def test_what_the_table_does_not_admit_is_refused_before_forwarding(live, upstream, change, names):
    gw = live()
    status, _, data = call(gw, "POST", "/v1/messages", dict(ASK, **change))
    assert status == 400 and names in error_message(data) and "\n" not in error_message(data)
    assert upstream.received == []


@pytest.mark.parametrize("beta", ["teleport-2027-01-01", "output-300k-2026-03-24", "fast-mode-2026-02-01"])
def test_a_beta_the_table_does_not_admit_is_refused(live, upstream, beta):
    gw = live()
    status, _, data = call(
        gw, "POST", "/v1/messages", ASK, {"anthropic-beta": f"interleaved-thinking-2025-05-14,{beta}"}
    )
    assert status == 400 and repr(beta) in error_message(data)
    assert upstream.received == []


def test_every_batch_request_goes_through_the_same_check(live, upstream):
    gw = live()
    good = {"custom_id": "a", "params": ASK}
    bad = {"custom_id": "b", "params": dict(ASK, brand_new_billable_field=1)}
    status, _, data = call(gw, "POST", "/v1/messages/batches", {"requests": [good, bad]})
    assert status == 400 and "requests[1].params." in error_message(data)
    status, _, data = call(gw, "POST", "/v1/messages/batches", {"requests": [good], "webhook": "x"})
    assert status == 400 and "'webhook'" in error_message(data)
    assert upstream.received == []


def test_the_300k_beta_in_a_batch_is_refused_and_output_is_bounded_by_the_model_table():
    # finding 2: the bound's output cap comes from the model table, never a constant below a model's limit
    big = dict(ASK, max_tokens=300_000)
    with pytest.raises(BadRequest, match="output-300k"):
        worst_case(
            "POST",
            "/v1/messages/batches",
            {"requests": [{"custom_id": "a", "params": big}]},
            betas=["output-300k-2026-03-24"],
        )
    model = "claude-opus-4-6"
    est = worst_case("POST", "/v1/messages", dict(big, model=model))
    assert est.usd >= KNOWN[model].max_output * price_of(model).output / 1e6


def test_fallbacks_add_their_own_worst_case():
    # finding 4: a cheap primary that falls back to an expensive model with a large max_tokens
    cheap = dict(ASK, model="claude-haiku-4-5", max_tokens=16)
    alone = worst_case("POST", "/v1/messages", cheap).usd
    fallback = dict(cheap, fallbacks=[{"model": "claude-opus-5-5", "max_tokens": 128_000}])
    est = worst_case("POST", "/v1/messages", fallback).usd
    assert est >= alone + 128_000 * price_of("claude-opus-5-5").output / 1e6
    with pytest.raises(BadRequest, match="speed"):
        worst_case("POST", "/v1/messages", dict(cheap, fallbacks=[{"model": "claude-opus-5-5", "speed": "fast"}]))
    no_limit = worst_case("POST", "/v1/messages", dict(cheap, fallbacks=[{"model": "claude-opus-5-5"}])).usd
    assert no_limit >= alone + 128_000 * price_of("claude-opus-5-5").output / 1e6, "the table's max output"
    with pytest.raises(BadRequest, match="max_tokens is needed"):
        worst_case("POST", "/v1/messages", dict(cheap, fallbacks=[{"model": "claude-opus-4-5"}]))


def test_the_bound_includes_the_inference_geo_premium_a_workspace_default_may_add():
    # finding 9: a workspace's default geo (US-only, 1.1x) applies though the request names none
    body = dict(ASK, max_tokens=1000)
    est = worst_case("POST", "/v1/messages", body).usd
    out_only = 1000 * price_of(ASK["model"]).output / 1e6
    assert est >= out_only * 1.1
    batch = worst_case("POST", "/v1/messages/batches", {"requests": [{"custom_id": "a", "params": body}]}).usd
    assert batch == pytest.approx(est * BATCH_DISCOUNT)


def test_every_request_the_course_sends_is_admitted():
    from helpers.config import RECORDINGS_DIR
    from helpers.gateway.recordings import load_recordings

    checked = 0
    for rec in load_recordings(RECORDINGS_DIR):
        for ex in rec.exchanges:
            req = ex.request
            betas = [v for k, v in (req.match_headers or {}).items() if k == "anthropic-beta"]
            try:
                est = worst_case(req.method, req.path, req.body, betas=betas)  # BadRequest: refused
            except UnknownPriceError:
                assert ex.response.status >= 400, f"{rec.name}: a priced lesson model is missing from the table"
                continue
            checked += est is not None
    assert checked > 100


def test_the_output_bound_follows_the_model_table_beyond_128k(monkeypatch):
    # finding 2: a model whose table entry allows more output is reserved at that much, not at a constant
    from dataclasses import replace

    model = "claude-opus-4-6"
    monkeypatch.setitem(KNOWN, model, replace(KNOWN[model], max_output=300_000))
    est = worst_case("POST", "/v1/messages", dict(ASK, model=model, max_tokens=300_000))
    assert est.usd >= 300_000 * price_of(model).output / 1e6

"""What live mode admits: one table of every request field, content block, tool type and beta it knows.

The budget's bound is an allow-list. A billable request is forwarded only when everything in it is in
these tables and admitted; the kind says how the bound prices it:

- "counted": its JSON bytes count as input tokens (every token stands for at least one byte);
- "bounded": priced by a rule of its own (max_tokens, images, PDFs, fallbacks, inference_geo, threads);
- "free": cannot change the bill (stream, sampling parameters);
- anything else is a reason for refusing it, said in one line before anything is forwarded.

A name missing from a table is refused the same way, so a feature the API adds tomorrow is refused until
someone prices it here. tests/hardening/test_admission.py checks the tables against the installed SDK's
request types, so a new SDK field, block or tool type shows up as a failing test.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["FIELDS", "OUTPUT_CONFIG", "BLOCKS", "SOURCES", "TOOLS", "BETAS", "Refused", "check_params", "check_betas"]

COUNTED, BOUNDED, FREE = "counted", "bounded", "free"
_SERVER = "a server tool bills searches, fetches or container time that no request bounds in advance"

# Top-level fields of a Messages request (anthropic.types.MessageCreateParams and the beta one).
FIELDS: dict[str, str] = {
    "model": BOUNDED,  # selects the rates; a model without a price is refused
    "max_tokens": BOUNDED,  # output at most min(max_tokens, the model's max output)
    "messages": COUNTED,
    "system": COUNTED,
    "tools": COUNTED,  # plus the tool-use prompt; each tool's type must be admitted (TOOLS)
    "tool_choice": COUNTED,
    "stop_sequences": COUNTED,
    "metadata": COUNTED,
    "output_config": COUNTED,  # effort and a JSON schema: input tokens, output still within max_tokens
    "thinking": COUNTED,  # thinking tokens are output tokens, within max_tokens
    "cache_control": BOUNDED,  # input at the cache-write rate (2x for a 1h TTL)
    "inference_geo": BOUNDED,  # anything but "global" at 1.1x
    "service_tier": FREE,  # auto / standard_only: the same rates
    "stream": FREE,
    "temperature": FREE,
    "top_p": FREE,
    "top_k": FREE,
    "speed": BOUNDED,  # "standard" only; fast mode is refused below
    "fallbacks": BOUNDED,  # each fallback's worst case is added; "default" names no model and is refused
    "thread": BOUNDED,  # a continued thread adds the turns the API holds (the whole window when unknown)
    "betas": BOUNDED,  # each value must be admitted (BETAS); the SDK sends them as anthropic-beta
    "container": "code-execution containers bill container time; leave container out",
    "mcp_servers": "MCP connectors run tools the request cannot bound; leave mcp_servers out",
    "context_management": "server-side context editing and compaction bill iterations the answer's usage "
    "does not show; leave context_management out",
    "compaction": "server-side compaction bills iterations the answer's usage does not show; leave it out",
    "diagnostics": "the course does not price diagnostics; leave it out",
    "user_profile_id": "user profiles are outside the course; leave user_profile_id out",
    "workspace_id": "the course bills one workspace, your key's; leave workspace_id out",
    "billing_policy": "the course does not know how a billing policy bills; leave it out",
    "fallback_credit_token": "fallback credits change the bill in ways the course cannot bound; leave it out",
}

# Keys inside output_config.
OUTPUT_CONFIG: dict[str, str] = {
    "effort": FREE,  # how much of max_tokens the model spends, never more
    "format": COUNTED,  # a JSON schema: input tokens
    "task_budget": "task budgets are a beta live mode does not price; leave task_budget out",
}

# Content block types inside messages (and tool results, search results, documents).
BLOCKS: dict[str, str] = {
    "text": COUNTED,
    "thinking": COUNTED,
    "redacted_thinking": COUNTED,
    "tool_use": COUNTED,
    "tool_result": COUNTED,
    "search_result": COUNTED,
    "tool_reference": COUNTED,
    "image": BOUNDED,  # a fixed allowance per image, whatever its source
    "document": BOUNDED,  # plain text by bytes; a PDF (any other source) as the whole context window
}
for _kind in (
    "server_tool_use",
    "web_search_tool_result",
    "web_fetch_tool_result",
    "code_execution_tool_result",
    "bash_code_execution_tool_result",
    "text_editor_code_execution_tool_result",
    "tool_search_tool_result",
    "advisor_tool_result",
    "mcp_tool_use",
    "mcp_tool_result",
    "mcp_tool_listing",
):
    BLOCKS[_kind] = f"{_kind} blocks come from server tools, which live mode refuses ({_SERVER})"
BLOCKS.update(
    {
        "container_upload": "container uploads bill code-execution time; leave them out",
        "browser_state": "browser tools run on Anthropic's side; leave browser_state out",
        "compaction": "compaction blocks come from server-side compaction, which live mode refuses",
        "fallback": "fallback blocks come from server-side fallbacks; send the turn's text instead",
        "tool_addition": "mid-conversation tool changes are a beta live mode does not price",
        "tool_removal": "mid-conversation tool changes are a beta live mode does not price",
    }
)

# Source types of image and document blocks.
SOURCES: dict[str, str] = {"base64": BOUNDED, "url": BOUNDED, "file": BOUNDED, "text": COUNTED, "content": COUNTED}

# Tool types. Tools the client runs bill tokens only (plus their own prompt); any other runs on Anthropic's side.
_CLIENT = (
    "custom",
    "bash_20241022",
    "bash_20250124",
    "text_editor_20241022",
    "text_editor_20250124",
    "text_editor_20250429",
    "text_editor_20250728",
    "memory_20250818",
    "computer_20241022",
    "computer_20250124",
    "computer_20251124",
    "computer_toolset_20260801",
)
TOOLS: dict[str, str] = {name: COUNTED for name in _CLIENT}
for _kind in (
    "code_execution_20250522",
    "code_execution_20250825",
    "code_execution_20260120",
    "code_execution_20260521",
    "browser_toolset_20260801",
    "web_search_20250305",
    "web_search_20260209",
    "web_search_20260318",
    "web_fetch_20250910",
    "web_fetch_20260209",
    "web_fetch_20260309",
    "web_fetch_20260318",
    "tool_search_tool_bm25_20251119",
    "tool_search_tool_bm25",
    "tool_search_tool_regex_20251119",
    "tool_search_tool_regex",
    "advisor_20260301",
    "mcp_toolset",
):
    TOOLS[_kind] = f"the server tool {_kind!r}: {_SERVER}; use it outside the course gateway"

# anthropic-beta values live mode admits; every other value is refused.
BETAS: dict[str, str] = {
    "interleaved-thinking-2025-05-14": FREE,  # thinking between tool calls, still within max_tokens
    "token-efficient-tools-2025-02-19": FREE,
    "structured-outputs-2025-11-13": COUNTED,
    "prompt-caching-2024-07-31": BOUNDED,  # priced by cache_control
    "extended-cache-ttl-2025-04-11": BOUNDED,
    "context-1m-2025-08-07": BOUNDED,  # the bound already allows each model's whole window, long-context rates
    "output-128k-2025-02-19": BOUNDED,  # output capped by the model table's max output
    "message-batches-2024-09-24": FREE,
    "token-counting-2024-11-01": FREE,
    "message-threads-2026-08-12": BOUNDED,  # see "thread"
}
BETA_REFUSED: dict[str, str] = {
    "output-300k-2026-03-24": "its 300K output is beyond the course's model table; leave the beta out",
    "fast-mode-2026-02-01": "fast mode bills a premium the course's price table does not carry",
}


class Refused(ValueError):
    """A request live mode does not admit; the message names the field and what to do."""


def _refuse(where: str, what: str, why: str) -> Refused:
    if why == "":
        why = "live mode does not know how it bills; leave it out or use replay mode"
    return Refused(f"Course budget: live mode refuses {where}{what}: {why}.")


def _verdict(table: Mapping[str, str], name: str) -> str | None:
    """None when admitted, else the reason ("" for a name the table does not know)."""
    kind = table.get(name, "")
    return None if kind in (COUNTED, BOUNDED, FREE) else kind


def _blocks(blocks: Any, where: str) -> None:
    if isinstance(blocks, str) or blocks is None:
        return
    if not isinstance(blocks, list):
        raise Refused(f"Course budget: {where} must be a string or a list of content blocks.")
    for j, block in enumerate(blocks):
        here = f"{where}[{j}]"
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            raise Refused(f"Course budget: {here} must be a content block with a type.")
        kind = block["type"]
        why = _verdict(BLOCKS, kind)
        if why is not None:
            raise _refuse(f"{here} ", f"(a {kind[:40]!r} block)", why)
        if kind in ("image", "document"):
            source = block.get("source")
            stype = source.get("type") if isinstance(source, dict) else None
            if not isinstance(stype, str) or _verdict(SOURCES, stype) is not None:
                raise _refuse(f"{here}.source ", f"(type {str(stype)[:40]!r})", "")
            if stype == "content":
                _blocks(source.get("content"), f"{here}.source.content")
        if kind in ("tool_result", "search_result"):
            _blocks(block.get("content"), f"{here}.content")


def check_params(params: Mapping[str, Any], where: str = "") -> None:
    """Refused unless every field, block and tool type in one request's params is admitted."""
    for key in params:
        why = _verdict(FIELDS, key)
        if why is not None:
            raise _refuse(where, f"the field {str(key)[:60]!r}", why)
    if params.get("speed") not in (None, "standard"):
        raise _refuse(where, f"speed={params.get('speed')!r}", BETA_REFUSED["fast-mode-2026-02-01"])
    messages = params.get("messages")
    if not isinstance(messages, list):
        raise Refused(f"Course budget: {where}messages must be a list of messages.")
    for i, m in enumerate(messages):
        if not isinstance(m, dict):
            raise Refused(f"Course budget: {where}messages[{i}] must be an object with role and content.")
        _blocks(m.get("content"), f"{where}messages[{i}].content")
    _blocks(params.get("system"), f"{where}system")
    config = params.get("output_config")
    if isinstance(config, dict):
        for key in config:
            why = _verdict(OUTPUT_CONFIG, key)
            if why is not None:
                raise _refuse(where, f"output_config.{str(key)[:40]}", why)
    tools = params.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            raise Refused(f"Course budget: {where}tools must be a list of tool definitions.")
        for i, tool in enumerate(tools):
            kind = tool.get("type") or "custom" if isinstance(tool, dict) else None
            if not isinstance(kind, str):
                raise Refused(f"Course budget: {where}tools[{i}] must be a tool definition.")
            why = _verdict(TOOLS, kind)
            if why is not None:
                raise _refuse(f"{where}tools[{i}] ", f"(type {kind[:60]!r})", why)
    if "betas" in params:
        check_betas(params["betas"] if isinstance(params["betas"], list) else [params["betas"]])


def check_betas(values: Iterable[Any]) -> None:
    """Refused unless every anthropic-beta value is admitted."""
    for value in values:
        for beta in str(value).split(","):
            beta = beta.strip()
            if beta and _verdict(BETAS, beta) is not None:
                why = BETA_REFUSED.get(beta, "live mode admits only the betas it knows how to price")
                raise _refuse("", f"the beta {beta[:60]!r}", why)

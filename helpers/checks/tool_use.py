"""Self-checks for 04_tool_use: write a tool definition; write the tool_result message for a response."""

from __future__ import annotations

import ast
import json
import re
from typing import Any

from ..models import OPUS
from . import Result, result, unfilled

__all__ = [
    "TOOL_NAME_PATTERN",
    "check_tool_definition",
    "EXERCISE_RESPONSE",
    "EXERCISE_WEATHER",
    "check_tool_results",
]

# The API's rule for a tool's name (tool definition reference, "name").
TOOL_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
# Keys a client tool definition may have besides name, description and input_schema (SDK 2.12 ToolParam).
_OPTIONAL_TOOL_KEYS = {
    "cache_control",
    "strict",
    "input_examples",
    "type",
    "allowed_callers",
    "defer_loading",
    "eager_input_streaming",
}
_CURRENCIES = {"USD", "EUR", "JPY"}


def _schema_problem(schema: dict[str, Any]) -> str | None:
    """Why `schema` is not a valid JSON Schema (draft 2020-12), or None if it is."""
    import jsonschema  # imported here: the package is slow to import and only the check needs it

    try:
        json.dumps(schema)
    except (TypeError, ValueError):
        return (
            "input_schema must be plain JSON (dicts, lists, strings, numbers): it holds a Python object "
            'such as str or int where a string like "string" belongs.'
        )
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "the top level"
        return f"input_schema is not valid JSON Schema at {where}: {exc.message}"
    return None


def _accepts(schema: dict[str, Any], instance: dict[str, Any]) -> bool:
    import jsonschema

    return jsonschema.Draft202012Validator(schema).is_valid(instance)


def check_tool_definition(tool: Any) -> Result:
    """Exercise 1: a tool definition for get_stock_price(ticker, currency="USD"), checked against the API's rules."""
    title = "Your tool definition"
    if isinstance(tool, dict) and tool and all(unfilled(v) for v in tool.values()):
        return result(title, ["Replace each ... with a value: name, description and input_schema."])
    if not isinstance(tool, dict):
        kind = type(tool).__name__
        return result(title, [f"A tool definition is a dict with name, description and input_schema; got {kind}."])
    left = [k for k, v in tool.items() if unfilled(v)]
    if left:
        return result(title, [f"Still a placeholder: {', '.join(left)}."])
    if "function" in tool or "parameters" in tool:
        return result(
            title,
            [
                "That is OpenAI's format: Anthropic's tools are flat, {'name', 'description', "
                "'input_schema'}, and the schema goes under 'input_schema', not 'parameters'."
            ],
        )
    problems: list[str] = []
    name = tool.get("name")
    if not isinstance(name, str) or not TOOL_NAME_PATTERN.match(name):
        problems.append(f"name must match ^[a-zA-Z0-9_-]{{1,64}}$ (letters, digits, _ and -), got {name!r}.")
    elif name != "get_stock_price":
        problems.append(f"Name the tool after the function it runs, 'get_stock_price', got {name!r}.")
    description = tool.get("description")
    if not isinstance(description, str) or not description.strip():
        problems.append("Add a description: it is how Claude decides when to call the tool.")
    elif len(description.strip()) < 20:
        problems.append(f"The description {description!r} is too thin: say what the tool returns and when to use it.")
    extra = sorted(set(tool) - {"name", "description", "input_schema"} - _OPTIONAL_TOOL_KEYS)
    if extra:
        problems.append(f"Unknown keys for a tool definition: {extra}.")
    schema = tool.get("input_schema")
    if not isinstance(schema, dict):
        problems.append("input_schema must be a JSON Schema object (a dict): {'type': 'object', 'properties': {...}}.")
        return result(title, problems)
    invalid = _schema_problem(schema)
    if invalid:
        return result(title, problems + [invalid])
    problems += _schema_problems(schema)
    return result(title, problems, "Pass it to messages.create(tools=[...]).")


def _schema_problems(schema: dict[str, Any]) -> list[str]:
    """What is wrong with the schema, judged by the calls it accepts and rejects (review 2026-12-08, 04-3):
    {"type": ["string"]}, an anyOf of consts and an enum are the same rule, so no keyword is compared literally."""
    problems = []
    if schema.get("type") != "object":
        problems.append(f"input_schema's type must be 'object' (the API requires it), got {schema.get('type')!r}.")
    props = schema.get("properties")
    if not isinstance(props, dict):
        return problems + ["input_schema needs 'properties': one entry per function parameter (ticker, currency)."]
    for param in ("ticker", "currency"):
        spec = props.get(param)
        if not isinstance(spec, dict):
            problems.append(f"Add the parameter {param!r} under properties.")
        elif not isinstance(spec.get("description"), str) or not spec["description"].strip():
            problems.append(f"Give {param!r} a description (e.g. an example value): Claude fills it from that.")
    extra = sorted(set(props) - {"ticker", "currency"})
    if extra:
        problems.append(f"The function has no parameter(s) {extra}.")
    if problems:
        return problems
    # Calls the function can serve, and calls it cannot (review 2026-12-08, 04-2: an enum of one ticker passed).
    for ticker in ("AAPL", "MSFT"):
        if _accepts(schema, {"ticker": ticker}):
            continue
        if _accepts(schema, {"ticker": ticker, "currency": "USD"}):
            problems.append("currency has a default (USD), so leave it out of required.")
        else:
            problems.append(
                f"'ticker' should have type 'string' and take any symbol: your schema rejects {{'ticker': {ticker!r}}}."
            )
    for code in sorted(_CURRENCIES):
        if not _accepts(schema, {"ticker": "MSFT", "currency": code}):
            problems.append(f"Your schema rejects currency {code!r}: it takes USD, EUR and JPY.")
    if _accepts(schema, {"ticker": "MSFT", "currency": "GBP"}):
        problems.append(
            'Your schema accepts currency "GBP": allow only USD, EUR or JPY, e.g. "enum": ["USD", "EUR", "JPY"].'
        )
    if _accepts(schema, {"ticker": 42}):
        problems.append("'ticker' should have type 'string': your schema accepts a number as ticker.")
    if _accepts(schema, {"currency": "EUR"}):
        problems.append("List 'ticker' in required: your schema accepts {'currency': 'EUR'}, a call without a ticker.")
    return list(dict.fromkeys(problems))


# Exercise 2: an authored response (not from any recording) to "Is it warmer in Paris or in Oslo right now?"
# with the primer's get_weather tool; usage estimated like the authored recordings (tools/authoring.py).
_RESPONSE = {
    "model": OPUS,  # today's model (helpers.models); nothing in this exercise is about a legacy one
    "id": "msg_01rwrFHDzsGfK5iCbtitKyZh",
    "type": "message",
    "role": "assistant",
    "content": [
        {"type": "text", "text": "I'll look up both cities."},
        {"type": "tool_use", "id": "toolu_013RVdLLRAnf8yBHUZcrXyMh", "name": "get_weather", "input": {"city": "Paris"}},
        {"type": "tool_use", "id": "toolu_01pWJXvnBb9fQerchAoqFjdN", "name": "get_weather", "input": {"city": "Oslo"}},
    ],
    "stop_reason": "tool_use",
    "stop_sequence": None,
    "stop_details": None,
    "usage": {"input_tokens": 423, "output_tokens": 20},
}
EXERCISE_WEATHER: dict[str, dict[str, Any]] = {
    "Paris": {"temperature": 18, "condition": "Light rain", "humidity": 72},
    "Oslo": {"temperature": 9, "condition": "Overcast", "humidity": 65},
}


def _exercise_response() -> Any:
    from anthropic.types import Message

    return Message.model_validate(_RESPONSE)


EXERCISE_RESPONSE = _exercise_response()


def _parse_content(content: Any) -> tuple[Any, bool]:
    """The data a tool_result's content carries, and whether it was sent as a Python repr rather than JSON."""
    if isinstance(content, list):
        texts = [b.get("text") for b in content if isinstance(b, dict) and b.get("type") == "text"]
        if len(texts) != len(content):
            return None, False
        content = "".join(str(t) for t in texts)
    if not isinstance(content, str):
        return None, False
    try:
        return json.loads(content), False
    except ValueError:
        pass
    try:
        return ast.literal_eval(content), True
    except (ValueError, SyntaxError):
        return None, False


def check_tool_results(message: Any) -> Result:
    """Exercise 2: the user message that answers both tool_use blocks of EXERCISE_RESPONSE."""
    title = "Your tool_result message"
    if unfilled(message):
        return result(title, ["Replace ... with the message: {'role': 'user', 'content': [...]}."])
    if isinstance(message, list):
        if len(message) > 1:
            roles = [m.get("role") if isinstance(m, dict) else None for m in message]
            if "assistant" in roles:
                why = (
                    "Give only the new user message: the assistant's turn is already in the history (append "
                    "response.content as its own message), so it does not belong in your answer."
                )
            else:
                why = (
                    "Send every result in ONE user message: a list of several messages would make "
                    "Claude think its calls were answered one at a time."
                )
            return result(title, [why])
        message = message[0] if message else None
    if not isinstance(message, dict):
        return result(title, ["Build one message dict: {'role': 'user', 'content': [tool_result blocks]}."])
    problems = []
    if message.get("role") != "user":
        problems.append(f"Tool results go back with role 'user' (your app is speaking), got {message.get('role')!r}.")
    content = message.get("content")
    if not isinstance(content, list) or not content:
        return result(title, problems + ["content must be a list of tool_result blocks, one per tool_use block."])
    calls = {b.id: b.input["city"] for b in EXERCISE_RESPONSE.content if b.type == "tool_use"}
    kinds = [b.get("type") if isinstance(b, dict) else None for b in content]
    if None in kinds:
        problems.append("Each block in content must be a dict like {'type': 'tool_result', ...}.")
    first_other = next((i for i, k in enumerate(kinds) if k != "tool_result"), len(kinds))
    if "tool_result" in kinds[first_other:]:
        problems.append("Put the tool_result blocks first in content: the API rejects text before them.")
    results = [b for b in content if isinstance(b, dict) and b.get("type") == "tool_result"]
    seen: dict[str, int] = {}
    repr_used = False
    for b in results:
        tid = b.get("tool_use_id")
        if tid not in calls:
            problems.append(f"tool_use_id {tid!r} matches no tool_use block: copy each block's .id.")
            continue
        seen[tid] = seen.get(tid, 0) + 1
        if b.get("is_error"):
            problems.append(f"The call for {calls[tid]} succeeded: leave is_error out (or set it False).")
        city = calls[tid]
        if not isinstance(b.get("content"), (str, list)):
            # The API takes a string or a list of content blocks; a dict is a 400 invalid_request_error.
            problems.append(
                f"The content for {city} is a {type(b.get('content')).__name__}: the API accepts a "
                f"string or a list of blocks, so send json.dumps(EXERCISE_WEATHER[{city!r}])."
            )
            continue
        data, as_repr = _parse_content(b.get("content"))
        repr_used |= as_repr
        if data == EXERCISE_WEATHER[city]:
            continue
        other = [c for c, w in EXERCISE_WEATHER.items() if w == data and c != city]
        if other:
            problems.append(
                f"The result for {tid} (the call for {city}) holds {other[0]}'s weather: the ids are swapped."
            )
        else:
            problems.append(
                f"The content for {city} should carry EXERCISE_WEATHER[{city!r}], e.g. as "
                f"json.dumps(EXERCISE_WEATHER[{city!r}])."
            )
    for tid, city in calls.items():
        if tid not in seen:
            problems.append(f"No tool_result for {tid} (the call for {city}): every tool_use needs its answer.")
        elif seen[tid] > 1:
            problems.append(f"{tid} is answered {seen[tid]} times: one tool_result per tool_use.")
    note = "Append it after the assistant turn and call messages.create() again."
    if repr_used:
        note += " str(dict) works (the primer does it), but json.dumps() gives Claude real JSON."
    return result(title, problems, note)

"""Notebook 04 (tool use): its pictures, its exercise checks and what its recording must hold."""

from __future__ import annotations

import json

import matplotlib
import pytest
from anthropic.types import ToolUseBlock
from conftest import edited

from helpers.checks import tool_use as check
from helpers.config import RECORDINGS_DIR
from helpers.gateway.recordings import load_recording
from helpers.models import OPUS
from helpers.tool_use import blocks_card, flow_figure, rounds_figure

matplotlib.use("Agg")

CALL = {"type": "tool_use", "id": "toolu_01A", "name": "get_weather", "input": {"city": "Tokyo"}}
PARIS, OSLO = (b for b in check.EXERCISE_RESPONSE.content if b.type == "tool_use")

SOLUTION_TOOL = {
    "name": "get_stock_price",
    "description": "Returns the latest trade price of a stock, given its ticker symbol.",
    "input_schema": {
        "type": "object",
        "properties": {
            "ticker": {"type": "string", "description": "The ticker symbol, e.g. AAPL"},
            "currency": {"type": "string", "enum": ["USD", "EUR", "JPY"], "description": "Currency; USD by default"},
        },
        "required": ["ticker"],
    },
}





def solution_message(content=json.dumps):
    return {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": b.id, "content": content(check.EXERCISE_WEATHER[b.input["city"]])}
            for b in (PARIS, OSLO)
        ],
    }


# --- blocks_card -----------------------------------------------------------------------------------------


def test_blocks_card_links_a_result_to_its_call():
    card = blocks_card(CALL, {"type": "tool_result", "tool_use_id": "toolu_01A", "content": "sunny"})
    assert "[2] tool_result  tool_use_id=toolu_01A  (answers [1] get_weather)" in repr(card)
    assert 'input: {"city": "Tokyo"}' in repr(card)
    # the call and its answer share one colour in the HTML form
    assert card._repr_html_().count("#8250df") >= 4


def test_blocks_card_accepts_sdk_blocks_and_flags_errors_and_strays():
    block = ToolUseBlock(type="tool_use", id="toolu_01B", name="calculate", input={"expression": "1+1"})
    text = repr(
        blocks_card(block, {"type": "tool_result", "tool_use_id": "toolu_zzz", "content": "boom", "is_error": True})
    )
    assert "calculate  id=toolu_01B" in text
    assert "(matches no tool_use shown)" in text
    assert "is_error: true" in text


def test_blocks_card_escapes_html_and_shows_other_blocks():
    card = blocks_card({"type": "text", "text": "<b>hi</b>"}, {"type": "image", "source": {}})
    assert "&lt;b&gt;hi&lt;/b&gt;" in card._repr_html_()
    assert "[2] image:" in repr(card)


def test_blocks_card_rejects_what_is_not_a_block():
    with pytest.raises(TypeError, match="content blocks"):
        blocks_card(42)


# --- figures ---------------------------------------------------------------------------------------------


def test_flow_figure_has_title_and_axis_labels():
    ax = flow_figure().axes[0]
    assert ax.get_title() and ax.get_xlabel() == "participant" and "step" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_yticklabels()][0] == "1 ask"


def test_rounds_figure_stacks_tokens_and_prices_each_round():
    rounds = [
        {
            "usage": {"input_tokens": 500, "output_tokens": 20},
            "model": "claude-haiku-4-5-20251001",
            "stop_reason": "tool_use",
        },
        {"usage": {"input_tokens": 600, "output_tokens": 30}, "model": "claude-haiku-4-5", "stop_reason": "end_turn"},
    ]
    ax = rounds_figure(rounds).axes[0]
    heights = sorted(p.get_height() for p in ax.patches)
    assert heights == [20, 30, 500, 600]
    labels = [t.get_text() for t in ax.texts]
    assert labels == ["$0.000600", "$0.000750"]
    assert ax.get_ylabel() == "tokens"


def test_rounds_figure_with_an_unknown_model_says_so():
    one = {"usage": {"input_tokens": 1, "output_tokens": 1}, "model": "gpt-x", "stop_reason": "end_turn"}
    ax = rounds_figure([one]).axes[0]
    assert [t.get_text() for t in ax.texts] == ["no price"]


def test_rounds_figure_needs_a_response():
    with pytest.raises(ValueError, match="at least one"):
        rounds_figure([])


# --- exercise 1: tool definition -------------------------------------------------------------------------


def test_tool_definition_solution_is_correct():
    assert check.check_tool_definition(SOLUTION_TOOL).ok


def test_tool_definition_placeholder_and_non_dict():
    blank = {"name": ..., "description": ..., "input_schema": ...}
    assert "Replace each ..." in repr(check.check_tool_definition(blank))
    unfilled = edited(SOLUTION_TOOL, input_schema=...)
    assert "Still a placeholder: input_schema" in repr(check.check_tool_definition(unfilled))
    assert "got list" in repr(check.check_tool_definition([]))


def test_tool_definition_openai_format_is_named():
    openai = {"type": "function", "function": {"name": "get_stock_price", "parameters": {}}}
    assert "OpenAI's format" in repr(check.check_tool_definition(openai))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"name": "get stock price"}, "must match ^[a-zA-Z0-9_-]{1,64}$"),
        ({"name": "x" * 65}, "must match"),
        ({"name": "stock"}, "'get_stock_price'"),
        ({"description": KeyError}, "Add a description"),
        ({"description": "Stock."}, "too thin"),
        ({"parameters": {}}, "OpenAI's format"),
        ({"examples": []}, "Unknown keys"),
        ({"input_schema": "object"}, "must be a JSON Schema object"),
        ({"input_schema__type": "objekt"}, "not valid JSON Schema"),
        ({"input_schema__properties__ticker__type": str}, "plain JSON"),
        ({"input_schema__type": "array"}, "must be 'object'"),
        ({"input_schema__properties": KeyError}, "needs 'properties'"),
        ({"input_schema__properties__currency": KeyError}, "Add the parameter 'currency'"),
        ({"input_schema__properties__ticker__type": "number"}, "'ticker' should have type 'string'"),
        ({"input_schema__properties__ticker__description": KeyError}, "Give 'ticker' a description"),
        ({"input_schema__properties__exchange": {"type": "string"}}, "no parameter(s) ['exchange']"),
        ({"input_schema__properties__currency__enum": KeyError}, "enum"),
        ({"input_schema__required": KeyError}, "List 'ticker' in required"),
        ({"input_schema__required": ["ticker", "currency"]}, "leave it out of required"),
    ],
)
def test_tool_definition_mistakes_get_specific_feedback(changes, expected):
    res = check.check_tool_definition(edited(SOLUTION_TOOL, **changes))
    assert not res.ok
    assert expected in repr(res)


def test_tool_definition_schema_that_rejects_a_valid_call_is_caught():
    tool = edited(SOLUTION_TOOL, input_schema__properties__ticker__pattern="^[0-9]+$")
    assert "rejects {'ticker': 'AAPL'}" in repr(check.check_tool_definition(tool))


# --- exercise 2: tool_result message ---------------------------------------------------------------------


def test_tool_results_solution_is_correct():
    res = check.check_tool_results(solution_message())
    assert res.ok and "str(dict)" not in res.note


def test_tool_results_python_repr_is_accepted_with_a_note():
    res = check.check_tool_results(solution_message(str))
    assert res.ok and "json.dumps()" in res.note


def test_tool_results_text_block_content_is_accepted():
    msg = solution_message(lambda data: [{"type": "text", "text": json.dumps(data)}])
    assert check.check_tool_results(msg).ok


def test_tool_results_placeholder_and_shapes():
    assert "Replace ..." in repr(check.check_tool_results(...))
    assert "ONE user message" in repr(check.check_tool_results([solution_message(), solution_message()]))
    assert check.check_tool_results([solution_message()]).ok
    assert "Build one message dict" in repr(check.check_tool_results("tool_result"))
    assert "content must be a list" in repr(check.check_tool_results({"role": "user", "content": "18 degrees"}))


def test_tool_results_swapped_ids_are_named():
    msg = solution_message()
    a, b = msg["content"]
    a["tool_use_id"], b["tool_use_id"] = b["tool_use_id"], a["tool_use_id"]
    assert "the ids are swapped" in repr(check.check_tool_results(msg))


def test_tool_results_missing_duplicate_and_unknown_ids():
    msg = solution_message()
    msg["content"] = [msg["content"][0], msg["content"][0], {**msg["content"][1], "tool_use_id": "toolu_made_up"}]
    text = repr(check.check_tool_results(msg))
    assert f"No tool_result for {OSLO.id}" in text
    assert "answered 2 times" in text
    assert "'toolu_made_up' matches no tool_use block" in text


def test_tool_results_role_order_and_is_error():
    msg = solution_message()
    msg["role"] = "assistant"
    msg["content"].insert(0, {"type": "text", "text": "Here you go"})
    msg["content"][1]["is_error"] = True
    text = repr(check.check_tool_results(msg))
    assert "role 'user'" in text
    assert "tool_result blocks first" in text
    assert "leave is_error out" in text


def test_tool_results_wrong_content_and_non_dict_blocks():
    msg = solution_message()
    msg["content"][0]["content"] = "it is nice"
    msg["content"].append("oops")
    text = repr(check.check_tool_results(msg))
    assert "should carry EXERCISE_WEATHER['Paris']" in text
    assert "must be a dict" in text


# --- the recording ---------------------------------------------------------------------------------------


def _bodies():
    rec = load_recording(RECORDINGS_DIR / "04_tool_use.json")
    return [(ex.request.body, ex.response.body) for ex in rec.exchanges]


def test_recording_holds_what_the_issue_asks_for():
    pairs = _bodies()
    assert any(sum(b["type"] == "tool_use" for b in resp["content"]) >= 2 for _, resp in pairs)
    assert any(
        block.get("is_error") is True
        for req, _ in pairs
        for msg in req["messages"]
        if isinstance(msg["content"], list)
        for block in msg["content"]
    )
    assert {req["tool_choice"]["type"] for req, _ in pairs if "tool_choice" in req} >= {"auto", "any", "tool", "none"}
    assert any(
        resp["stop_reason"] == "max_tokens" and all(b["type"] != "tool_use" for b in resp["content"])
        for _, resp in pairs
    )


def test_recording_holds_the_primers_second_request_as_its_code_sends_it():
    # The primer's model is claude-opus-4-6; the recording follows the course's OPUS.
    final = next(
        req
        for req, _ in _bodies()
        if len(req["messages"]) == 3
        and req["model"] == OPUS
        and req["messages"][0]["content"] == "What is the weather like in Tokyo today?"
    )
    assert final["max_tokens"] == 1024 and final["tools"][0]["name"] == "get_weather"
    assert final["messages"][2]["content"][0]["content"] == "{'temperature': 22, 'condition': 'Sunny', 'humidity': 60}"
    assert final["messages"][2]["content"][0]["tool_use_id"] == final["messages"][1]["content"][1]["id"]


def test_tool_results_dict_content_is_refused_as_the_api_refuses_it():
    # The API takes a string or a list of blocks: a dict (EXERCISE_WEATHER[city] itself) is a 400.
    text = repr(check.check_tool_results(solution_message(lambda data: data)))
    assert "is a dict" in text and "json.dumps(EXERCISE_WEATHER['Paris'])" in text
    assert not check.check_tool_results(solution_message(lambda data: data)).ok
    assert not check.check_tool_results(solution_message(lambda data: 18)).ok


def test_recording_holds_structured_outputs_and_the_tool_runner_as_the_sdk_sends_them():
    pairs = _bodies()
    formats = [req["output_config"]["format"] for req, _ in pairs if "output_config" in req]
    assert len(formats) == 2 and all(f["type"] == "json_schema" for f in formats)
    assert all(f["schema"]["additionalProperties"] is False for f in formats)
    for req, resp in pairs:
        if "output_config" in req:  # the answer is JSON text in the schema's shape
            required = req["output_config"]["format"]["schema"]["required"]
            assert set(json.loads(resp["content"][0]["text"])) >= set(required)
    threads = [(req, resp) for req, resp in pairs if "thread" in req]
    assert [req["thread"]["type"] for req, _ in threads] == ["create", "continue"]
    assert threads[1][0]["thread"]["previous_message_id"] == threads[0][1]["id"]
    assert threads[1][0]["messages"][0]["content"][0]["tool_use_id"] == threads[0][1]["content"][0]["id"]


def test_the_parse_request_is_what_the_sdk_builds_from_the_notebooks_model():
    from anthropic import transform_schema
    from pydantic import BaseModel

    class Contact(BaseModel):
        name: str
        email: str
        company: str | None = None
        phone: str | None = None

    schemas = [req["output_config"]["format"]["schema"] for req, _ in _bodies() if "output_config" in req]
    assert transform_schema(Contact) in schemas

"""Review 2026-12-08, notebook 04: the tool-definition check judges a schema by the calls it accepts."""

from __future__ import annotations

import copy

import pytest
from conftest import STOCK_TOOL, edited

from helpers.checks import tool_use
from helpers.models import OPUS


def _with(param, **spec):
    tool = copy.deepcopy(STOCK_TOOL)
    tool["input_schema"]["properties"][param] = {"description": f"The {param}", **spec}
    return tool


CONSTS = [{"const": "USD"}, {"const": "EUR"}, {"const": "JPY"}]


@pytest.mark.parametrize(
    "tool",
    [
        STOCK_TOOL,
        _with("currency", type="string", anyOf=CONSTS),  # 04-3: an anyOf of consts is the same rule
        _with("currency", type=["string"], enum=["USD", "EUR", "JPY"]),  # 04-3: a one-type list
        _with("currency", oneOf=CONSTS),
        _with("ticker", type=["string"]),
        _with("ticker", type="string", pattern="^[A-Z.]{1,6}$"),
    ],
)
def test_equivalent_schemas_pass(tool):
    res = tool_use.check_tool_definition(tool)
    assert res.ok, res


@pytest.mark.parametrize(
    ("tool", "says"),
    [
        (_with("ticker", type="string", enum=["AAPL"]), "MSFT"),  # 04-2: it could price only AAPL
        (_with("ticker", type="string", const="AAPL"), "MSFT"),
        (_with("currency", type="string", anyOf=CONSTS[:2]), "JPY"),
        (_with("currency", type="string", anyOf=[*CONSTS, {"const": "GBP"}]), "GBP"),
        (_with("currency", type=["string"]), "GBP"),  # no enum: any string passes
        (_with("currency", type="integer", enum=["USD", "EUR", "JPY"]), "USD"),
        (_with("ticker", type=["string", "integer"]), "number as ticker"),
        (edited(STOCK_TOOL, input_schema__required=[]), "without a ticker"),
        (edited(STOCK_TOOL, input_schema__required=["ticker", "currency"]), "default (USD)"),
    ],
)
def test_wrong_schemas_fail_with_the_reason(tool, says):
    res = tool_use.check_tool_definition(tool)
    assert not res.ok
    assert says in " ".join(res.problems)


def test_the_exercise_response_uses_todays_model():
    assert tool_use.EXERCISE_RESPONSE.model == OPUS  # 04-1

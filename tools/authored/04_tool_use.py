"""Authored recording for 04_tool_use: the primer's get_weather round trip, a tool loop, parallel calls,
tool_choice, structured outputs (output_config and messages.parse), a failing tool and the max_tokens pitfall.

Follow-up requests carry the assistant turn as the SDK sends `response.content` back: each block's JSON
with only the fields the response had. Tool results are what the notebook's own functions return.
"""

import json

import authoring
from authoring import PRIMER_WEATHER_TOOLS, estimate_input_tokens, make_id, message_exchange, recording, usage

from helpers.bill import VERBATIM
from helpers.models import HAIKU, OPUS, PRIMER_HAIKU, PRIMER_OPUS  # PRIMER_HAIKU: forced tool_choice (section 5)

WEATHER_TOOLS = PRIMER_WEATHER_TOOLS
TOKYO_Q = "What is the weather like in Tokyo today?"
MOCK_WEATHER = {
    "Tokyo": {"temperature": 22, "condition": "Sunny", "humidity": 60},
    "London": {"temperature": 14, "condition": "Cloudy", "humidity": 81},
}

CALCULATOR_TOOL = {
    "name": "calculate",
    "description": "Evaluates an arithmetic expression (+ - * / ** and parentheses) and returns the number. "
    "Use it for any arithmetic rather than working it out yourself.",
    "input_schema": {
        "type": "object",
        "properties": {"expression": {"type": "string", "description": "The expression, e.g. (2.5 * 16) / 6"}},
        "required": ["expression"],
    },
}
CONVERTER_TOOL = {
    "name": "convert_units",
    "description": "Converts a length or a mass from one unit to another, e.g. lb to kg or mi to km.",
    "input_schema": {
        "type": "object",
        "properties": {
            "value": {"type": "number", "description": "The amount to convert"},
            "from_unit": {"type": "string", "description": "The unit of value, e.g. lb"},
            "to_unit": {"type": "string", "description": "The unit wanted, e.g. kg"},
        },
        "required": ["value", "from_unit", "to_unit"],
    },
}
LOOP_TOOLS = [CALCULATOR_TOOL, CONVERTER_TOOL]
# The notebook's convert_units: value * size(from) / size(to), rounded to 6 places.
SIZES = {
    "m": 1.0,
    "km": 1000.0,
    "ft": 0.3048,
    "mi": 1609.344,
    "g": 0.001,
    "kg": 1.0,
    "oz": 0.028349523125,
    "lb": 0.45359237,
}

CONTACT_TOOL = {
    "name": "record_contact",
    "description": "Records a person's contact details, extracted from text.",
    "input_schema": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "Full name"},
            "email": {"type": "string", "description": "Email address"},
            "company": {"type": "string", "description": "Employer, if given"},
            "phone": {"type": "string", "description": "Phone number as written"},
        },
        "required": ["name", "email"],
    },
}
SIGNATURE = (
    "Extract the contact details from this email signature:\n\n"
    "Best regards,\nMaria Silva\nHead of Logistics, Northwind Traders\n"
    "maria.silva@northwind.example | +44 20 7946 0958"
)
PACKING_Q = "I'm flying to Tokyo tomorrow. What should I pack?"


def text(t):
    return {"type": "text", "text": t}


def tool_use(seed, name, inp):
    return authoring.tool_use(make_id("toolu_", seed), name, inp)


def result(call, content, is_error=False):
    block = {"type": "tool_result", "tool_use_id": call["id"], "content": content}
    if is_error:
        block["is_error"] = True
    return block


def req(model, messages, tools, **extra):
    return {"model": model, "max_tokens": 1024, "tools": tools, "messages": messages, **extra}


def user(content):
    return {"role": "user", "content": content}


def assistant(blocks):
    return {"role": "assistant", "content": blocks}


def primer(model=OPUS, suffix=""):
    """Section 2: the primer's two requests, exactly as its code sends them, to `model`; `suffix` ends the labels."""
    first_req = req(model, [user(TOKYO_Q)], WEATHER_TOOLS)
    call = tool_use(f"primer tokyo{suffix}", "get_weather", {"city": "Tokyo"})
    first = [text("I'll check the current weather in Tokyo for you."), call]
    # The primer sends str(tool_result): a Python dict repr, not JSON.
    final_req = req(
        model, [user(TOKYO_Q), assistant(first), user([result(call, str(MOCK_WEATHER["Tokyo"]))])], WEATHER_TOOLS
    )
    return first_req, [
        message_exchange(f"primer get_weather: tool_use{suffix}", first_req, first, stop_reason="tool_use"),
        message_exchange(
            f"primer get_weather: final answer{suffix}",
            final_req,
            "It's sunny in Tokyo today, with a temperature of 22°C and 60% humidity: a pleasant day to be outside.",
        ),
    ]


def typescript_final(final):
    """The primer's TypeScript final request: as `final` (the Python one) but the tool result is
    JSON.stringify(toolResult), compact JSON, where the Python sends str(tool_result)."""
    req_ = json.loads(json.dumps(final["request"]["body"]))
    req_["messages"][2]["content"][0]["content"] = json.dumps(MOCK_WEATHER["Tokyo"], separators=(",", ":"))
    label = final["label"].replace("final answer", "final answer (TypeScript)")
    return message_exchange(label, req_, final["response"]["body"]["content"])


def loop(label, question, rounds):
    """A tool loop: rounds = [(assistant blocks, tool_result blocks)], the last one with no results."""
    messages = [user(question)]
    out = []
    for n, (blocks, results) in enumerate(rounds, 1):
        stop = "tool_use" if results else "end_turn"
        out.append(
            message_exchange(
                f"{label} round {n}: {stop}", req(HAIKU, list(messages), LOOP_TOOLS), blocks, stop_reason=stop
            )
        )
        messages += [assistant(blocks), user(results)] if results else []
    return out


def recipe_loop():
    scaled = 2.5 * 16 / 6
    calc = tool_use("recipe calc", "calculate", {"expression": "2.5 * 16 / 6"})
    conv = tool_use("recipe conv", "convert_units", {"value": scaled, "from_unit": "lb", "to_unit": "kg"})
    kg = round(scaled * SIZES["lb"] / SIZES["kg"], 6)
    return loop(
        "tool loop",
        "A bread recipe for 6 people needs 2.5 lb of flour. How many kilograms of flour do I need for 16 people?",
        [
            (
                [text("I'll scale the recipe first, then convert pounds to kilograms."), calc],
                [result(calc, json.dumps(scaled))],
            ),
            ([conv], [result(conv, json.dumps(kg))]),
            ([text("You need about 3.02 kg of flour for 16 people: 2.5 lb × 16 ÷ 6 ≈ 6.67 lb, which is 3.02 kg.")], []),
        ],
    )


def error_loop():
    bad = tool_use("stone conv", "convert_units", {"value": 80, "from_unit": "kg", "to_unit": "stone"})
    calc = tool_use("stone calc", "calculate", {"expression": "80 / 6.35029318"})
    failure = "ValueError: unknown unit 'stone'; known units: m, km, ft, mi, g, kg, oz, lb"
    return loop(
        "failing tool",
        "How many stone is 80 kg?",
        [
            ([bad], [result(bad, failure, is_error=True)]),
            (
                [
                    text("The converter doesn't support stone. One stone is 6.35029318 kg, so I'll divide instead."),
                    calc,
                ],
                [result(calc, json.dumps(80 / 6.35029318))],
            ),
            (
                [
                    text(
                        "80 kg is about 12.6 stone (80 ÷ 6.35029318 kg per stone ≈ 12.60). The unit converter doesn't "
                        "know stone, so I calculated it directly."
                    )
                ],
                [],
            ),
        ],
    )


def parallel():
    q = "What is the weather like in Tokyo and in London today?"
    tokyo = tool_use("parallel tokyo", "get_weather", {"city": "Tokyo"})
    london = tool_use("parallel london", "get_weather", {"city": "London"})
    first = [text("I'll check both cities at once."), tokyo, london]
    results = [result(c, json.dumps(MOCK_WEATHER[c["input"]["city"]])) for c in (tokyo, london)]
    one = tool_use("serial tokyo", "get_weather", {"city": "Tokyo"})
    return [
        message_exchange(
            "parallel: two tool_use blocks", req(OPUS, [user(q)], WEATHER_TOOLS), first, stop_reason="tool_use"
        ),
        message_exchange(
            "parallel: both results in one user turn",
            req(OPUS, [user(q), assistant(first), user(results)], WEATHER_TOOLS),
            "Tokyo is sunny and 22°C with 60% humidity. London is cooler and cloudy at 14°C, with 81% humidity, "
            "so Tokyo has the better day for being outside.",
        ),
        message_exchange(
            "parallel disabled: one tool_use block",
            req(OPUS, [user(q)], WEATHER_TOOLS, tool_choice={"type": "auto", "disable_parallel_tool_use": True}),
            [text("I'll check Tokyo first, then London."), one],
            stop_reason="tool_use",
        ),
    ]


def choices():
    msgs = [user(PACKING_Q)]
    packing = (
        "I can't check the forecast from here, so here is a list that works in most seasons:\n\n"
        "- Layers: T-shirts plus a light sweater or jacket\n"
        "- Comfortable walking shoes: you will walk a lot\n"
        "- A compact umbrella\n"
        "- A plug adapter if needed: Japan uses type A sockets at 100 V\n"
        "- A small coin purse: coins are used a lot\n\n"
        "Look at the forecast the day before you leave and add a warm coat or a sun hat to match."
    )
    contact = {
        "name": "Maria Silva",
        "email": "maria.silva@northwind.example",
        "company": "Northwind Traders",
        "phone": "+44 20 7946 0958",
    }
    return [
        message_exchange(
            "tool_choice auto",
            req(PRIMER_HAIKU, msgs, WEATHER_TOOLS, tool_choice={"type": "auto"}),
            [
                text("Let me check the current weather in Tokyo so I can suggest the right clothes."),
                tool_use("choice auto", "get_weather", {"city": "Tokyo"}),
            ],
            stop_reason="tool_use",
        ),
        message_exchange(
            "tool_choice any",
            req(PRIMER_HAIKU, msgs, WEATHER_TOOLS, tool_choice={"type": "any"}),
            [tool_use("choice any", "get_weather", {"city": "Tokyo"})],
            stop_reason="tool_use",
        ),
        message_exchange(
            "tool_choice none", req(PRIMER_HAIKU, msgs, WEATHER_TOOLS, tool_choice={"type": "none"}), packing
        ),
        message_exchange(
            "tool_choice tool: forced extraction",
            req(
                PRIMER_HAIKU, [user(SIGNATURE)], [CONTACT_TOOL], tool_choice={"type": "tool", "name": "record_contact"}
            ),
            [tool_use("choice tool", "record_contact", contact)],
            stop_reason="tool_use",
        ),
    ]


CONTACT = {
    "name": "Maria Silva",
    "email": "maria.silva@northwind.example",
    "company": "Northwind Traders",
    "phone": "+44 20 7946 0958",
}


def structured():
    """Section 5b: JSON outputs. The schemas are what the notebook's cells send: the contact tool's schema with
    additionalProperties false, and the SDK's own transform of the notebook's Pydantic model."""
    from anthropic import transform_schema
    from pydantic import BaseModel

    class Contact(BaseModel):  # the notebook's model, field for field
        name: str
        email: str
        company: str | None = None
        phone: str | None = None

    answer = json.dumps(CONTACT)
    by_dict = {**CONTACT_TOOL["input_schema"], "additionalProperties": False}
    dict_req = {
        "model": HAIKU,
        "max_tokens": 1024,
        "messages": [user(SIGNATURE)],
        "output_config": {"format": {"type": "json_schema", "schema": by_dict}},
    }
    parse_req = {
        "model": HAIKU,
        "max_tokens": 1024,
        "messages": [user(SIGNATURE)],
        "output_config": {"format": {"type": "json_schema", "schema": transform_schema(Contact)}},
    }
    return [
        message_exchange("structured output: output_config json_schema", dict_req, answer),
        message_exchange("structured output: messages.parse with a Pydantic model", parse_req, answer),
    ]


RUNNER_Q = "What is 2.5 * 16 / 6?"
# What @beta_tool(name="calculate") builds from the notebook's function (its to_dict()), key for key.
RUNNER_CALC = {
    "name": "calculate",
    "description": "Evaluates an arithmetic expression (+ - * / ** and parentheses) and returns the number.",
    "input_schema": {
        "additionalProperties": False,
        "properties": {
            "expression": {
                "description": "The expression, e.g. (2.5 * 16) / 6",
                "title": "Expression",
                "type": "string",
            }
        },
        "required": ["expression"],
        "type": "object",
    },
}


def runner():
    """Section 8: the SDK 2.15 tool runner's two requests, as it sends them (captured from the SDK against a
    local server): it uses the message-threads beta, so the second request carries only the new user turn and
    `thread.previous_message_id`. Usage is estimated as if the whole conversation had been sent."""
    first_label = "tool runner round 1: tool_use"
    first_req = {
        "max_tokens": 1024,
        "messages": [user(RUNNER_Q)],
        "model": HAIKU,
        "thread": {"type": "create"},
        "tools": [RUNNER_CALC],
    }
    call = tool_use("runner calc", "calculate", {"expression": "2.5 * 16 / 6"})
    result_turn = user([result(call, json.dumps(2.5 * 16 / 6))])
    second_req = {
        "max_tokens": 1024,
        "messages": [result_turn],
        "model": HAIKU,
        "thread": {"type": "continue", "previous_message_id": make_id("msg_", first_label)},
    }
    whole = {"tools": [RUNNER_CALC], "messages": [user(RUNNER_Q), assistant([call]), result_turn]}
    answer = "2.5 × 16 ÷ 6 is about 6.67 (6.666666666666667)."
    return [
        message_exchange(first_label, first_req, [call], stop_reason="tool_use"),
        message_exchange(
            "tool runner round 2: end_turn",
            second_req,
            answer,
            use=usage(estimate_input_tokens(whole), authoring.estimate_tokens(answer), model=HAIKU),
        ),
    ]


def pitfall():
    cut = req(OPUS, [user(TOKYO_Q)], WEATHER_TOOLS)
    cut["max_tokens"] = 10
    return [
        message_exchange(
            "pitfall: max_tokens before any tool_use",
            cut,
            "I'll check the current weather in Tokyo for",
            stop_reason="max_tokens",
            use=usage(estimate_input_tokens(cut), 10, model=OPUS),
        )
    ]


def build():
    _, primer_exchanges = primer()
    # The primer's own code, verbatim (claude-opus-4-6, legacy): only tests/test_primer_verbatim.py sends it, no
    # notebook cell, so the VERBATIM suffix keeps it out of the course's bill. Last, so the others keep their headers.
    _, verbatim = primer(PRIMER_OPUS, VERBATIM)
    verbatim.append(typescript_final(verbatim[-1]))
    return recording(
        primer_exchanges
        + recipe_loop()
        + parallel()
        + choices()
        + structured()
        + error_loop()
        + pitfall()
        + runner()
        + verbatim,
        models=[OPUS, HAIKU, PRIMER_HAIKU, PRIMER_OPUS],
        note="The get_weather results are the primer's mock data (London's is the course's); the other tool "
        "results are what the notebook's own calculate() and convert_units() return.",
    )

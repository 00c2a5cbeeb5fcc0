"""The primer's own code, verbatim (`claude-opus-4-6` included), still replays offline from the shipped recordings.

The notebooks call today's models (helpers.models.OPUS); these examples keep the primer's legacy model id, so the
recordings hold them too: the thinking request (06, which notebook 06 sends itself) and, labelled with
helpers.bill.VERBATIM, the exchanges only these tests send (01, 02, 04, 05, 07, 08, 09's authoring scripts). The code
below is the primer's, re-indented; each TypeScript (and cURL) example is checked to send the JSON the Python sends,
as the gateway sees it. Each test asserts what the primer's code prints or reads.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import time
import warnings
from collections.abc import Iterator

import anthropic
import pytest

from helpers.bill import VERBATIM, course_bill, recording_bill
from helpers.config import NOTEBOOKS_DIR, RECORDINGS_DIR
from helpers.gateway import Gateway
from helpers.gateway.meter import charges_from_exchange
from helpers.gateway.recordings import Exchange, Recording, load_recording, load_recordings
from helpers.models import OPUS, PRIMER_OPUS

FIRST_PYTHON = """
import anthropic
client = anthropic.Anthropic()
message = client.messages.create(
    model="claude-opus-4-6",
    max_tokens=1024,
    messages=[
        {"role": "user", "content": "Hello, Claude!"}
    ]
)
print(message.content[0].text)
"""

# The TypeScript example and the cURL example send this body (the cURL's -d, as the primer writes it).
FIRST_CURL_BODY = """{
"model": "claude-opus-4-6",
"max_tokens": 1024,
"messages": [
{"role": "user", "content": "Hello, Claude!"}
]
}"""

THINKING_PYTHON = """
response = client.messages.create(
    model="claude-opus-4-6",
    max_tokens=16000,
    thinking={
        "type": "enabled",
        "budget_tokens": 10000 # Number of tokens available for the thinking process
    },
    messages=[
        {
            "role": "user",
            "content": "Please provide the following mathematical proof: prove that there are infinitely many prime numbers."
        }
    ]
)
# The response contains both a thinking block and a text block
for block in response.content:
    if block.type == "thinking":
        print("=== Thinking Process ===")
        print(block.thinking)
    elif block.type == "text":
        print("=== Final Answer ===")
        print(block.text)
"""  # noqa: E501 (the primer's line lengths)


# The TypeScript thinking example's object literal, as JSON.
THINKING_TS_BODY = """{
"model": "claude-opus-4-6",
"max_tokens": 16000,
"thinking": {
"type": "enabled",
"budget_tokens": 10000
},
"messages": [
{
"role": "user",
"content":
"Please provide the following mathematical proof: prove that there are infinitely many prime numbers."
}
]
}"""

SYSTEM_PYTHON = """
message = client.messages.create(
    model="claude-opus-4-6",
    max_tokens=1024,
    system="You are a customer support agent. Reply politely and concisely.",
    messages=[
        {"role": "user", "content": "What is your return policy?"}
    ]
)
"""

# The TypeScript example's object literal, as JSON.
SYSTEM_TS_BODY = """{
"model": "claude-opus-4-6",
"max_tokens": 1024,
"system": "You are a customer support agent. Reply politely and concisely.",
"messages": [{ "role": "user", "content": "What is your return policy?" }]
}"""

CHAT_PYTHON = """
conversation_history = []
def chat(user_message: str) -> str:
    conversation_history.append({
        "role": "user",
        "content": user_message
    })
    response = client.messages.create(
        model="claude-opus-4-6",
        max_tokens=1024,
        messages=conversation_history
    )
    assistant_message = response.content[0].text
    conversation_history.append({
        "role": "assistant",
        "content": assistant_message
    })
    return assistant_message
# Usage example
print(chat("Please introduce yourself."))
print(chat("What are you good at?"))
"""

# The TypeScript chat() sends {model, max_tokens, messages: conversationHistory}, the history as { role, content }.
CHAT_TS_FIELDS = '{"model": "claude-opus-4-6", "max_tokens": 1024}'

WEATHER_PYTHON = """
tools = [
    {
        "name": "get_weather",
        "description": "Retrieves the current weather information for a specified city.",
        "input_schema": {
            "type": "object",
            "properties": {
                "city": {
                    "type": "string",
                    "description": "The name of the city to check the weather for (e.g., Tokyo, London)"
                },
                "unit": {
                    "type": "string",
                    "enum": ["celsius", "fahrenheit"],
                    "description": "The unit for temperature"
                }
            },
            "required": ["city"]
        }
    }
]
response = client.messages.create(
    model="claude-opus-4-6",
    max_tokens=1024,
    tools=tools,
    messages=[
        {"role": "user", "content": "What is the weather like in Tokyo today?"}
    ]
)
# Handling a tool call response
if response.stop_reason == "tool_use":
    tool_use_block = next(
        block for block in response.content if block.type == "tool_use"
    )
    tool_name = tool_use_block.name
    tool_input = tool_use_block.input
    tool_use_id = tool_use_block.id
    # Actual tool processing (using a mock response here)
    if tool_name == "get_weather":
        tool_result = {
            "temperature": 22,
            "condition": "Sunny",
            "humidity": 60
        }
    # Return the tool execution result to Claude
    final_response = client.messages.create(
        model="claude-opus-4-6",
        max_tokens=1024,
        tools=tools,
        messages=[
            {"role": "user", "content": "What is the weather like in Tokyo today?"},
            {"role": "assistant", "content": response.content},
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": tool_use_id,
                        "content": str(tool_result)
                    }
                ]
            }
        ]
    )
    print(final_response.content[0].text)
"""

# The TypeScript example's tools and first request, as JSON (its `tools` shorthand written out).
WEATHER_TS_TOOLS = """[
{
"name": "get_weather",
"description": "Retrieves the current weather information for a specified city.",
"input_schema": {
"type": "object",
"properties": {
"city": {
"type": "string",
"description": "The name of the city to check the weather for (e.g., Tokyo, London)"
},
"unit": {
"type": "string",
"enum": ["celsius", "fahrenheit"],
"description": "The unit for temperature"
}
},
"required": ["city"]
}
}
]"""
WEATHER_TS_QUESTION = '{ "role": "user", "content": "What is the weather like in Tokyo today?" }'
# const toolResult = { temperature: 22, condition: "Sunny", humidity: 60 }; content: JSON.stringify(toolResult)
WEATHER_TS_RESULT = json.dumps({"temperature": 22, "condition": "Sunny", "humidity": 60}, separators=(",", ":"))

STREAM_PYTHON = """
with client.messages.stream(
    model="claude-opus-4-6",
    max_tokens=1024,
    messages=[
        {"role": "user", "content": "Please explain quantum computing in detail."}
    ]
) as stream:
    for text in stream.text_stream:
        print(text, end="", flush=True)
    print() # Final newline
# Get the final message after the stream completes
final_message = stream.get_final_message()
print(f"\\nToken usage: {final_message.usage}")
"""

# The TypeScript client.messages.stream({...}) sends this object literal, with "stream": true as the Python does.
STREAM_TS_BODY = """{
"model": "claude-opus-4-6",
"max_tokens": 1024,
"messages": [
{
"role": "user",
"content": "Please explain quantum computing in detail."
}
],
"stream": true
}"""

BATCH_CREATE_PYTHON = """
# Creating a batch job
batch = client.messages.batches.create(
    requests=[
        {
            "custom_id": "request-1",
            "params": {
                "model": "claude-opus-4-6",
                "max_tokens": 1024,
                "messages": [
                    {"role": "user", "content": "Tell me about Tokyo."}
                ]
            }
        },
        {
            "custom_id": "request-2",
            "params": {
                "model": "claude-opus-4-6",
                "max_tokens": 1024,
                "messages": [
                    {"role": "user", "content": "Tell me about London."}
                ]
            }
        }
    ]
)
print(f"Batch ID: {batch.id}")
print(f"Status: {batch.processing_status}")
"""

BATCH_TS_BODY = """{
"requests": [
{
"custom_id": "request-1",
"params": {
"model": "claude-opus-4-6",
"max_tokens": 1024,
"messages": [{ "role": "user", "content": "Tell me about Tokyo." }]
}
},
{
"custom_id": "request-2",
"params": {
"model": "claude-opus-4-6",
"max_tokens": 1024,
"messages": [{ "role": "user", "content": "Tell me about London." }]
}
}
]
}"""

BATCH_RESULTS_PYTHON = """
import time
# Wait for batch completion (polling)
while True:
    batch = client.messages.batches.retrieve(batch.id)
    if batch.processing_status == "ended":
        break
    print(f"Processing... ({batch.request_counts.processing} remaining)")
    time.sleep(60) # Wait 1 minute and check again
# Retrieve results
for result in client.messages.batches.results(batch.id):
    print(f"ID: {result.custom_id}")
    if result.result.type == "succeeded":
        print(result.result.message.content[0].text)
    else:
        print(f"Error: {result.result.error}")
"""

CACHING_PYTHON = """
response = client.messages.create(
    model="claude-opus-4-6",
    max_tokens=1024,
    system=[
        {
            "type": "text",
            "text": "You are an AI assistant with deep expertise in law.\\n\\n" + very_long_legal_document, # Long reference document
            "cache_control": {"type": "ephemeral"} # Enable caching
        }
    ],
    messages=[
        {"role": "user", "content": "Please explain the interpretation of Article 3."}
    ]
)
# Check cache usage
print(f"Cache write tokens: {response.usage.cache_creation_input_tokens}")
print(f"Cache read tokens: {response.usage.cache_read_input_tokens}")
"""  # noqa: E501 (the primer's line lengths)

COUNT_PYTHON = """
token_count = client.messages.count_tokens(
    model="claude-opus-4-6",
    messages=[
        {"role": "user", "content": "How many tokens does this request use?"}
    ]
)
print(f"Input token count: {token_count.input_tokens}")
"""


@contextlib.contextmanager
def _primer(name: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Recording, Gateway, anthropic.Anthropic]]:
    """A gateway over notebook `name`'s recording, and the primer's `client = anthropic.Anthropic()` (the key and
    address from the environment, as the primer sets them up) pointed at it."""
    rec = load_recording(RECORDINGS_DIR / f"{name}.json")
    with Gateway([rec], speed=0) as gw:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", gw.url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "placeholder-not-a-key")
        yield rec, gw, anthropic.Anthropic(max_retries=0)


def _exec(code: str, **names: object) -> tuple[str, dict]:
    """Run the primer's code: what it printed, and its variables."""
    space, out = dict(names), io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the SDK warns that manual thinking is deprecated on Opus 4.6
        exec(code, space)  # noqa: S102 (the primer's own example, verbatim)
    return out.getvalue(), space


def _verbatim(rec: Recording, label: str) -> Exchange:
    """The exchange labelled `label` + VERBATIM: one only these tests send, never billed."""
    return next(ex for ex in rec.exchanges if ex.label == label + VERBATIM)


def _served(gw: Gateway) -> list[str]:
    """The recorded exchanges the gateway answered with, in order (a miss shows as "")."""
    return [entry.exchange for entry in gw.log]


def _text(ex: Exchange) -> str:
    return ex.response.body["content"][0]["text"]


def test_the_primers_first_request_replays_verbatim(monkeypatch):
    with _primer("01_first_request", monkeypatch) as (rec, gw, client):
        printed, _ = _exec(FIRST_PYTHON)  # it makes its own client = anthropic.Anthropic()
        ex = next(e for e in rec.exchanges if e.label.startswith("primer first request, as the primer writes it"))
        assert printed == _text(ex) + "\n" and _served(gw) == [ex.describe()]
        # The TypeScript and cURL examples send the same JSON, so the same exchange answers them.
        assert json.loads(FIRST_CURL_BODY) == ex.request.body
        raw = client.post("/v1/messages", cast_to=object, body=json.loads(FIRST_CURL_BODY))
        assert raw["model"] == PRIMER_OPUS and raw["content"][0]["text"] == _text(ex)
        assert _served(gw)[-1] == ex.describe()


def test_the_primers_thinking_example_replays_verbatim(monkeypatch):
    # Notebook 06 sends this request itself (manual thinking on the legacy model is its lesson): not a VERBATIM one.
    with _primer("06_extended_thinking", monkeypatch) as (rec, gw, client):
        printed, _ = _exec(THINKING_PYTHON, client=client)
        ex = next(ex for ex in rec.exchanges if ex.label == "primer thinking request")
        thought, answer = ex.response.body["content"]
        assert printed == (
            f"=== Thinking Process ===\n{thought['thinking']}\n=== Final Answer ===\n{answer['text']}\n"
        )
        assert _served(gw) == [ex.describe()] and json.loads(THINKING_TS_BODY) == ex.request.body


def test_the_primers_system_prompt_replays_verbatim(monkeypatch):
    with _primer("02_system_prompts", monkeypatch) as (rec, gw, client):
        printed, space = _exec(SYSTEM_PYTHON, client=client)
        ex = _verbatim(rec, "primer system prompt")
        assert printed == "" and _served(gw) == [ex.describe()]  # the example prints nothing; `message` holds it
        message = space["message"]
        assert message.model == PRIMER_OPUS and message.stop_reason == "end_turn"
        assert message.content[0].text == _text(ex)
        # The TypeScript example sends the same JSON, so the same exchange answers it.
        assert json.loads(SYSTEM_TS_BODY) == ex.request.body
        raw = client.post("/v1/messages", cast_to=object, body=json.loads(SYSTEM_TS_BODY))
        assert raw["content"][0]["text"] == _text(ex) and _served(gw)[-1] == ex.describe()


def test_the_primers_chat_turns_replay_verbatim(monkeypatch):
    with _primer("02_system_prompts", monkeypatch) as (rec, gw, client):
        printed, space = _exec(CHAT_PYTHON, client=client)
        turns = [_verbatim(rec, f"primer chat turn {n}") for n in (1, 2)]
        assert printed == "".join(_text(ex) + "\n" for ex in turns)
        assert _served(gw) == [ex.describe() for ex in turns]
        history = space["conversation_history"]
        assert [m["role"] for m in history] == ["user", "assistant", "user", "assistant"]
        # The TypeScript chat() sends {model, max_tokens, messages: conversationHistory}: the same JSON, turn by turn.
        for n, ex in enumerate(turns, 1):
            ts = {**json.loads(CHAT_TS_FIELDS), "messages": history[: 2 * n - 1]}
            assert ts == ex.request.body
            raw = client.post("/v1/messages", cast_to=object, body=ts)
            assert raw["content"][0]["text"] == _text(ex) and _served(gw)[-1] == ex.describe()


def test_the_primers_tool_round_trip_replays_verbatim(monkeypatch):
    with _primer("04_tool_use", monkeypatch) as (rec, gw, client):
        printed, space = _exec(WEATHER_PYTHON, client=client)
        first = _verbatim(rec, "primer get_weather: tool_use")
        final = _verbatim(rec, "primer get_weather: final answer")
        assert space["response"].stop_reason == "tool_use" and space["tool_name"] == "get_weather"
        assert space["tool_input"] == {"city": "Tokyo"}
        assert printed == _text(final) + "\n" and _served(gw) == [first.describe(), final.describe()]
        # The second request carries `response.content` as the SDK serializes it, and str(tool_result).
        sent = final.request.body["messages"]
        assert sent[1]["content"] == first.response.body["content"]
        assert sent[2]["content"][0]["content"] == "{'temperature': 22, 'condition': 'Sunny', 'humidity': 60}"

        # TypeScript: the first request is the same JSON; its second sends JSON.stringify(toolResult), compact
        # JSON rather than Python's str(), so it has an exchange of its own with the same answer.
        tools, question = json.loads(WEATHER_TS_TOOLS), json.loads(WEATHER_TS_QUESTION)
        ts_first = {"model": "claude-opus-4-6", "max_tokens": 1024, "tools": tools, "messages": [question]}
        assert ts_first == first.request.body
        response = client.post("/v1/messages", cast_to=object, body=ts_first)
        assert response["stop_reason"] == "tool_use" and _served(gw)[-1] == first.describe()
        block = next(b for b in response["content"] if b["type"] == "tool_use")
        ts_result = {"type": "tool_result", "tool_use_id": block["id"], "content": WEATHER_TS_RESULT}
        reply = {"role": "assistant", "content": response["content"]}
        ts_final = {**ts_first, "messages": [question, reply, {"role": "user", "content": [ts_result]}]}
        assert ts_final != final.request.body  # only the tool result's text differs
        assert {**ts_final, "messages": ts_final["messages"][:2]} == {**final.request.body, "messages": sent[:2]}
        typescript = _verbatim(rec, "primer get_weather: final answer (TypeScript)")
        final_response = client.post("/v1/messages", cast_to=object, body=ts_final)
        assert _served(gw)[-1] == typescript.describe()
        assert final_response["content"][0] == {"type": "text", "text": _text(final)}  # console.log(content[0])


def test_the_primers_streaming_example_replays_verbatim(monkeypatch):
    with _primer("05_streaming", monkeypatch) as (rec, gw, client):
        printed, space = _exec(STREAM_PYTHON, client=client)
        ex = _verbatim(rec, "primer stream")
        assert _served(gw) == [ex.describe()] and json.loads(STREAM_TS_BODY) == ex.request.body
        final = space["final_message"]
        text = "".join(e["data"]["delta"]["text"] for e in ex.response.events if e["event"] == "content_block_delta")
        assert final.model == PRIMER_OPUS and final.stop_reason == "end_turn" and final.content[0].text == text
        assert printed == f"{text}\n\nToken usage: {final.usage}\n"
        usage = next(e["data"]["usage"] for e in ex.response.events if e["event"] == "message_delta")
        assert final.usage.output_tokens == usage["output_tokens"] > 0


def test_the_primers_batch_replays_verbatim(monkeypatch):
    # The primer polls with time.sleep(60) while the batch is in progress: the recording has it in progress once,
    # and the test stands in for time.sleep (recording the wait) so the loop runs without waiting a minute.
    waits: list[float] = []
    with _primer("07_batches", monkeypatch) as (rec, gw, client):
        created, space = _exec(BATCH_CREATE_PYTHON, client=client)
        create = _verbatim(rec, "primer batch: create")
        batch_id = create.response.body["id"]
        assert created == f"Batch ID: {batch_id}\nStatus: in_progress\n"
        assert json.loads(BATCH_TS_BODY) == create.request.body  # the TypeScript example's body
        monkeypatch.setattr(time, "sleep", waits.append)
        printed, _ = _exec(BATCH_RESULTS_PYTHON, **space)
        assert waits == [60]
        results = _verbatim(rec, "primer batch: results")
        lines = results.response.lines
        answers = {line["custom_id"]: line["result"]["message"]["content"][0]["text"] for line in lines}
        assert printed == "Processing... (2 remaining)\n" + "".join(
            f"ID: {custom_id}\n{text}\n" for custom_id, text in answers.items()
        )
        labels = ["create", "retrieve 1 (in_progress)", "retrieve 2 (ended)", "retrieve 3 (ended)", "results"]
        assert _served(gw) == [_verbatim(rec, f"primer batch: {label}").describe() for label in labels]


def test_the_primers_caching_example_replays_verbatim(monkeypatch):
    # The primer leaves very_long_legal_document undefined: notebook 08's primer cell reads the course's own
    # document, so this test does the same.
    document = (NOTEBOOKS_DIR / "data" / "common_orchards_act.txt").read_text(encoding="utf-8")
    with _primer("08_prompt_caching", monkeypatch) as (rec, gw, client):
        printed, _ = _exec(CACHING_PYTHON, client=client, very_long_legal_document=document)
        ex = _verbatim(rec, "primer request: cache write")
        usage = ex.response.body["usage"]
        assert usage["cache_creation_input_tokens"] > 4096 and usage["cache_read_input_tokens"] == 0
        assert printed == (
            f"Cache write tokens: {usage['cache_creation_input_tokens']}\nCache read tokens: 0\n"
        )
        assert _served(gw) == [ex.describe()]


def test_the_primers_count_tokens_example_replays_verbatim(monkeypatch):
    with _primer("09_costs", monkeypatch) as (rec, gw, client):
        printed, _ = _exec(COUNT_PYTHON, client=client)
        ex = _verbatim(rec, "primer count_tokens")
        assert printed == f"Input token count: {ex.response.body['input_tokens']}\n"
        assert _served(gw) == [ex.describe()]


def test_the_bill_leaves_out_every_verbatim_exchange():
    # Only these tests send the VERBATIM exchanges, never a notebook cell: a full live run of the notebooks
    # (make cost, README's and notebook 00's figure) does not pay them.
    recordings = {rec.name: rec for rec in load_recordings(RECORDINGS_DIR)}
    verbatim = {
        name: [ex for ex in rec.exchanges if ex.label.endswith(VERBATIM)] for name, rec in recordings.items()
    }
    verbatim = {name: found for name, found in verbatim.items() if found}
    assert set(verbatim) == {
        "02_system_prompts", "04_tool_use", "05_streaming", "07_batches", "08_prompt_caching", "09_costs",
    }  # 01's is sent by a notebook cell (it shows the primer's code running), so it is billed
    paid = [c for found in verbatim.values() for ex in found for c in charges_from_exchange(ex.response)]
    assert len(paid) == 3 + 3 + 1 + 2 + 1 and sum(c.usd for c in paid) > 0  # what billing them would add
    for name, found in verbatim.items():
        only_verbatim = dataclasses.replace(recordings[name], exchanges=found)
        assert recording_bill(only_verbatim).total == 0 and not recording_bill(only_verbatim).calls, name
    bill = course_bill()
    assert bill["01_first_request"].calls == {OPUS: 1, PRIMER_OPUS: 1}  # cell 3's request and the primer's, cell 16
    assert PRIMER_OPUS not in bill["05_streaming"].calls and PRIMER_OPUS not in bill["07_batches"].calls

"""The primer's own code, verbatim (`claude-opus-4-6` included), still replays offline from the shipped recordings.

The notebooks call today's models (helpers.models.OPUS); these examples keep the primer's legacy model id, so the
recordings hold them too (tools/authored/01_first_request.py, 06_extended_thinking.py). The code below is the
primer's, re-indented; the TypeScript and cURL examples send the JSON body shown.
"""

from __future__ import annotations

import contextlib
import io
import json
import warnings

import anthropic
import pytest

from helpers.config import RECORDINGS_DIR
from helpers.gateway import Gateway
from helpers.gateway.recordings import load_recording

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


def _run(code: str, url: str, monkeypatch: pytest.MonkeyPatch, **names: object) -> str:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "placeholder-not-a-key")
    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the SDK warns that manual thinking is deprecated on Opus 4.6
        exec(code, dict(names))  # noqa: S102 (the primer's own example, verbatim)
    return out.getvalue()


def test_the_primers_first_request_replays_verbatim(monkeypatch):
    with Gateway([load_recording(RECORDINGS_DIR / "01_first_request.json")], speed=0) as gw:
        printed = _run(FIRST_PYTHON, gw.url, monkeypatch)
        assert printed.strip() and gw.log[-1].kind != "miss"
        client = anthropic.Anthropic(base_url=gw.url, api_key="placeholder", max_retries=0)
        raw = client.post("/v1/messages", cast_to=object, body=json.loads(FIRST_CURL_BODY))
        assert raw["model"] == "claude-opus-4-6" and raw["content"][0]["type"] == "text"


def test_the_primers_thinking_example_replays_verbatim(monkeypatch):
    with Gateway([load_recording(RECORDINGS_DIR / "06_extended_thinking.json")], speed=0) as gw:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", gw.url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "placeholder-not-a-key")
        client = anthropic.Anthropic(max_retries=0)
        printed = _run(THINKING_PYTHON, gw.url, monkeypatch, client=client)
        assert "=== Thinking Process ===" in printed and "=== Final Answer ===" in printed

"""Review 2026-12-08, notebook 05: tool input from a stream with a server tool; the endpoint's token check."""

from __future__ import annotations

import ast
import json
import re

from starlette.requests import Request

from helpers.checks import streaming
from helpers.config import NOTEBOOKS_DIR

NOTEBOOK = NOTEBOOKS_DIR / "05_streaming.ipynb"


def _cells() -> list[str]:
    return ["".join(c["source"]) for c in json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]]


def _delta(index, partial):
    delta = {"type": "input_json_delta", "partial_json": partial}
    return {"type": "content_block_delta", "index": index, "delta": delta}


# The event shapes of a real web-search stream (/work/shared/real-captures, rl_chat_web_search_*): a
# server_tool_use block streams its query as input_json_delta, then a client tool_use block follows.
WEB_SEARCH_THEN_TOOL = [
    {"type": "message_start", "message": {"id": "msg_x", "type": "message", "role": "assistant", "content": []}},
    {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "server_tool_use", "id": "srvtoolu_x", "name": "web_search", "input": {}},
    },
    {"type": "ping"},
    _delta(0, ""),
    _delta(0, '{"query'),
    _delta(0, '": "weather Oslo"}'),
    {"type": "content_block_stop", "index": 0},
    {
        "type": "content_block_start",
        "index": 1,
        "content_block": {"type": "tool_use", "id": "toolu_x", "name": "get_weather", "input": {}},
    },
    _delta(1, '{"city": "Oslo"}'),
    {"type": "content_block_stop", "index": 1},
    {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 9}},
    {"type": "message_stop"},
]


def test_reference_skips_server_tool_input():
    assert streaming.reference_tool_inputs(WEB_SEARCH_THEN_TOOL) == [{"city": "Oslo"}]


def _solution(cell_marker: str, name: str):
    """The function `name` from the notebook's solution block that contains `cell_marker`."""
    cell = next(c for c in _cells() if cell_marker in c and "<summary>Solution</summary>" in c)
    code = re.search(r"```python\n(.*?)```", cell, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, str(NOTEBOOK), "exec"), namespace)  # the notebook's own text, no I/O
    return namespace[name]


def test_notebook_solution_skips_server_tool_input():
    tool_inputs = _solution("def tool_inputs", "tool_inputs")
    assert tool_inputs(WEB_SEARCH_THEN_TOOL) == [{"city": "Oslo"}]
    assert streaming.check_tool_inputs(tool_inputs).ok


def _refuse(token: str):
    """refuse() exactly as the notebook's endpoint cell defines it, with its imports."""
    cell = next(c for c in _cells() if "def refuse(request, body)" in c)
    tree = ast.parse(cell)
    kept = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom)) and "anthropic" not in ast.dump(n)]
    kept += [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "refuse"]
    namespace: dict = {"APP_TOKEN": token}
    exec(compile(ast.Module(body=kept, type_ignores=[]), str(NOTEBOOK), "exec"), namespace)
    return namespace["refuse"]


def _request(authorization: bytes) -> Request:
    # Starlette decodes header bytes as latin-1, so any byte arrives as a str character.
    return Request({"type": "http", "method": "POST", "path": "/", "headers": [(b"authorization", authorization)]})


def test_endpoint_refuses_a_non_ascii_token_with_401():
    refuse = _refuse("s3cret")
    body = {"question": "Hi"}
    assert refuse(_request("Bearer s3crét".encode()), body).status_code == 401
    assert refuse(_request(b"Bearer \xff\xfe"), body).status_code == 401
    assert refuse(_request(b"Bearer wrong"), body).status_code == 401
    assert refuse(_request(b"Bearer s3cret"), body) is None

"""The browser edition's in-process replay (helpers/inbrowser.py), under CPython: plain SDK clients answered
by Gateway.answer through httpx2 transports, with no socket; the same bytes as the gateway on loopback; the
one-sentence degradations of what a page cannot run; setup() as it behaves in Pyodide."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx2
import pytest
from conftest import FakeClock, make_recording

import helpers
from helpers import OPUS, inbrowser
from helpers.config import ConfigError, recordings_dir
from helpers.gateway import Gateway
from helpers.gateway.recordings import load_recording
from helpers.session import teardown

HELLO = [{"role": "user", "content": "Hello, Claude!"}]
QUANTUM = [{"role": "user", "content": "Please explain quantum computing in detail."}]


@pytest.fixture
def replay(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """install() for one shipped recording at speed 0, a FakeClock for pacing; always uninstalled."""
    clock = FakeClock()

    def _install(name: str, speed: float = 0.0) -> Gateway:
        gw = inbrowser.make_gateway(load_recording(recordings_dir() / f"{name}.json"), speed)
        gw.sleep, gw.clock = clock.sleep, clock.clock
        inbrowser.install(gw)
        return gw

    monkeypatch.setenv("ANTHROPIC_API_KEY", "replay-mode-placeholder-not-a-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", inbrowser.BASE_URL)
    _install.clock = clock  # type: ignore[attr-defined]
    try:
        yield _install
    finally:
        inbrowser.uninstall()


def recorded_text(name: str, label: str) -> str:
    ex = next(e for e in json.loads((recordings_dir() / f"{name}.json").read_text())["exchanges"]
              if e.get("label") == label)
    if "events" in ex["response"]:
        return "".join(ev["data"]["delta"].get("text", "") for ev in ex["response"]["events"]
                       if ev["event"] == "content_block_delta")
    return ex["response"]["body"]["content"][0]["text"]


def test_a_plain_client_is_answered_in_process_without_a_socket(replay: Any) -> None:
    gw = replay("01_first_request")
    assert gw.port == 0 and gw._server is None
    message = anthropic.Anthropic().messages.create(model=OPUS, max_tokens=1024, messages=HELLO)
    assert message.content[0].text.startswith("Hello!")
    (entry,) = gw.log
    assert (entry.method, entry.path, entry.status, entry.auth) == ("POST", "/v1/messages", 200, "bearer")
    assert gw.status(inbrowser.CLIENT)["spend"]["calls"] == {OPUS: 1}  # what the call would cost live


def test_the_in_process_answer_is_the_bytes_the_gateway_sends_on_loopback(replay: Any) -> None:
    replay("01_first_request")
    in_page = anthropic.Anthropic().messages.with_raw_response.create(model=OPUS, max_tokens=1024, messages=HELLO)
    inbrowser.uninstall()  # httpx2's own transport again, for the socket
    with Gateway([load_recording(recordings_dir() / "01_first_request.json")], speed=0) as gw:
        raw = httpx2.post(f"{gw.url}/v1/messages", json={"model": OPUS, "max_tokens": 1024, "messages": HELLO},
                          headers={"anthropic-version": "2023-06-01"})
    assert in_page.http_response.content == raw.content
    assert in_page.headers["request-id"] == raw.headers["request-id"]


def test_messages_stream_and_raw_events_replay_and_are_paced_by_the_recorded_offsets(replay: Any) -> None:
    gw = replay("05_streaming", speed=1.0)
    client = anthropic.Anthropic()
    with client.messages.stream(model=OPUS, max_tokens=1024, messages=QUANTUM) as stream:
        text = "".join(stream.text_stream)
    assert text == recorded_text("05_streaming", "primer stream (messages.stream)")
    last_at = max(ev["at"] for ev in gw.index.recordings[0].exchanges[0].response.events)
    assert replay.clock.now == pytest.approx(last_at)  # waited as recorded, on the injected clock


def test_the_async_client_streams_and_requests_gathered_together_are_in_flight_together(replay: Any) -> None:
    replay("05_streaming")

    async def main() -> str:
        client = anthropic.AsyncAnthropic()
        async with client.messages.stream(model=OPUS, max_tokens=1024, messages=QUANTUM) as stream:
            return "".join([t async for t in stream.text_stream])

    assert asyncio.run(main()).startswith(recorded_text("05_streaming", "primer stream (messages.stream)")[:40])


def test_a_miss_is_the_gateways_own_400_with_its_closest_exchange(replay: Any) -> None:
    replay("01_first_request")
    with pytest.raises(anthropic.BadRequestError) as e:
        anthropic.Anthropic().messages.create(model=OPUS, max_tokens=7, messages=HELLO)
    assert "not in the recording" in str(e.value) and "body.max_tokens" in str(e.value)


def test_any_other_address_is_a_connection_error_as_a_closed_port_would_be(replay: Any) -> None:
    replay("01_first_request")
    offline = anthropic.Anthropic(base_url="http://127.0.0.1:9", max_retries=0)
    with pytest.raises(anthropic.APIConnectionError):
        offline.messages.create(model=OPUS, max_tokens=1024, messages=HELLO)


def test_a_recorded_hold_longer_than_the_read_timeout_times_out_as_over_a_socket(replay: Any) -> None:
    replay("10_errors")
    impatient = anthropic.Anthropic().with_options(timeout=0.2, max_retries=0)
    with pytest.raises(anthropic.APITimeoutError):
        impatient.messages.create(model=OPUS, max_tokens=1024, messages=QUANTUM)
    assert replay.clock.sleeps == [0.2]  # waited for the timeout, not the whole hold


def test_a_recording_in_memory_also_replays_jsonl_batch_results() -> None:
    lines = [{"custom_id": "a", "result": {"type": "errored", "error": {"type": "error", "error": {}}}}]
    rec = make_recording([{"request": {"method": "GET", "path": "/v1/messages/batches/b1/results"},
                           "response": {"status": 200, "headers": {}, "lines": lines}}])
    gw = Gateway([rec], speed=0, serve=False)
    inbrowser.install(gw)
    try:
        resp = httpx2.Client().get(f"{inbrowser.BASE_URL}/v1/messages/batches/b1/results")
    finally:
        inbrowser.uninstall()
    assert [json.loads(line) for line in resp.text.splitlines()] == lines


def _curl_cells() -> list[tuple[str, str]]:
    out = []
    for nb in sorted((recordings_dir().parent).glob("[0-9][0-9]_*.ipynb")):
        for cell in json.loads(nb.read_text())["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] == "code" and source.startswith("%%bash"):
                out.append((nb.stem, source.split("\n", 1)[1]))
    return out


@pytest.mark.parametrize(("name", "cell"), _curl_cells(), ids=[n for n, _ in _curl_cells()])
def test_a_curl_cell_says_why_in_one_sentence_and_its_request_is_still_answered(
    replay: Any, name: str, cell: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    gw = replay(name)
    notebook = (recordings_dir().parent / f"{name}.ipynb").read_text()
    model = re.search(r'os.environ\[\\"MODEL\\"\] = ([A-Z_]+)', notebook).group(1)  # what the notebook sets
    monkeypatch.setenv("MODEL", getattr(helpers, model))
    found = inbrowser.curl_request(cell)
    assert found is not None and found[0] == "POST" and found[1] == "/v1/messages"
    inbrowser._bash("", cell)
    said = capsys.readouterr().out.strip()
    assert said.startswith("cURL cells need a shell") and said.count("\n") == 0, said
    assert gw.log and gw.log[-1].kind != "miss", f"{name}: the recording did not answer the cURL request: {said}"
    assert gw.log[-1].auth == "x-api-key" and gw.log[-1].version == "2023-06-01"


# --- degradations in a kernel ------------------------------------------------------------------


@pytest.fixture
def shell(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from IPython.core.interactiveshell import InteractiveShell

    sh = InteractiveShell.instance()
    shown: list[str] = []
    monkeypatch.setattr(sh, "_showtraceback", lambda etype, value, stb: shown.append(etype.__name__))
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as in a page: no matplotlib
    monkeypatch.setitem(sys.modules, "numpy", None)
    sh.set_custom_exc((), None)
    inbrowser.register(sh)
    sh.shown = shown
    try:
        yield sh
    finally:
        sh.set_custom_exc((), None)
        sh.events.callbacks["pre_run_cell"].clear()
        InteractiveShell.clear_instance()


def test_a_figure_cell_says_why_in_one_sentence_and_is_not_an_error(shell: Any,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    shell.run_cell("import matplotlib.pyplot as plt\nfrom helpers.plots import figure\nfig, ax = figure('a', 'b', 'c')")
    said = capsys.readouterr().out
    assert said.startswith(inbrowser.degraded_sentence("matplotlib")) and shell.shown == []
    assert said.rstrip().endswith(f"to run it, {inbrowser.WHAT_TO_DO}."), "it says what to do instead"
    shell.run_cell("ax.plot([1, 2])")  # uses what the degraded cell would have made
    said = capsys.readouterr().out
    assert "uses `ax`, which a cell above could not make (it draws a figure with matplotlib" in said, said
    assert said.rstrip().endswith(f"to run both, {inbrowser.WHAT_TO_DO}.") and shell.shown == []


def test_numpy_and_threads_say_why_and_an_ordinary_error_still_shows(shell: Any,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    shell.run_cell("import numpy")
    assert "needs numpy" in capsys.readouterr().out
    shell.run_cell("raise RuntimeError(\"can't start new thread\")")
    assert "starts threads" in capsys.readouterr().out
    assert shell.shown == []
    shell.run_cell("1 / 0")
    shell.run_cell("undefined_name_never_bound")
    assert shell.shown == ["ZeroDivisionError", "NameError"]


def test_the_stored_figure_is_shown_for_an_unchanged_cell(shell: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    import hashlib

    source = "import matplotlib.pyplot as plt\nplt.plot([1])"
    table = {hashlib.sha256(source.encode()).hexdigest(): ["iVBORw0KGgo="]}
    (tmp_path / "figures.json").write_text(json.dumps(table))
    monkeypatch.setattr(inbrowser, "FIGURES", tmp_path / "figures.json")
    shown: list[Any] = []
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: shown.append(obj))
    shell.run_cell(source + "\n")  # the kernel adds a final newline
    assert "The figure stored with the notebook" in capsys.readouterr().out and len(shown) == 1


# --- setup() as in Pyodide -------------------------------------------------------------------------


@pytest.fixture
def pyodide(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for var in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "PRIMER_GATEWAY_URL", "PRIMER_MODE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PRIMER_REPLAY_SPEED", "0")
    monkeypatch.setattr("helpers.session.load_env", lambda: False)  # a page has no .env
    monkeypatch.setattr(sys, "platform", "emscripten")
    try:
        yield
    finally:
        teardown()
        inbrowser.uninstall()


def test_setup_in_pyodide_replays_in_process_and_says_in_your_browser_replay_only(
    pyodide: None, capsys: pytest.CaptureFixture[str]
) -> None:
    helpers.setup("01_first_request")
    banner = capsys.readouterr().out
    assert "replay mode in your browser" in banner and "Replay only" in banner and "authored" in banner
    session = helpers.current_session()
    assert session.base_url == inbrowser.BASE_URL and session.gateway is not None and session.gateway.port == 0
    message = anthropic.Anthropic().messages.create(model=OPUS, max_tokens=1024, messages=HELLO)
    assert message.content[0].text.startswith("Hello!")
    assert [e["status"] for e in helpers.gateway_log()] == [200]


def test_setup_in_pyodide_refuses_live_mode_in_one_line(pyodide: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRIMER_MODE", "live")
    with pytest.raises(ConfigError, match="replay only"):
        helpers.setup("01_first_request")

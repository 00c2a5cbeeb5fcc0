"""setup(): .env, mode, gateway, environment and banner; safe to call twice; clear one-line errors."""

from __future__ import annotations

import socket

import anthropic
import pytest

import helpers
from helpers import session
from helpers.config import PLACEHOLDER_KEY, ConfigError, load_env, replay_speed, resolve_mode


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "PRIMER_MODE", "PRIMER_REPLAY_SPEED"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PRIMER_REPLAY_SPEED", "0")
    monkeypatch.setattr("helpers.session.load_env", lambda: False)  # never read a developer's .env here
    yield
    helpers.teardown()


def test_setup_points_the_sdk_at_a_replaying_gateway(capsys, monkeypatch):
    helpers.setup("01_first_request")
    banner = capsys.readouterr().out.strip()
    assert banner.startswith("replay mode: answers come from recordings/01_first_request.json")
    assert "authored" in banner and "not live Claude output" in banner
    assert "127.0.0.1" not in banner, "the banner must not print the random port"
    import os

    assert os.environ["ANTHROPIC_BASE_URL"] == helpers.current_session().base_url
    assert os.environ["ANTHROPIC_API_KEY"] == PLACEHOLDER_KEY
    msg = anthropic.Anthropic().messages.create(
        model=helpers.OPUS, max_tokens=1024, messages=[{"role": "user", "content": "Hello, Claude!"}]
    )
    assert msg.stop_reason == "end_turn"


def test_setup_keeps_a_key_that_is_already_set(monkeypatch, capsys):
    monkeypatch.setenv("PRIMER_MODE", "replay")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "my-own-key")
    helpers.setup("01_first_request")
    import os

    assert os.environ["ANTHROPIC_API_KEY"] == "my-own-key"
    assert "my-own-key" not in capsys.readouterr().out


def test_setup_twice_stops_the_first_gateway(capsys):
    helpers.setup("01_first_request")
    first = helpers.current_session().gateway.port
    helpers.setup("00_start_here")
    assert helpers.current_session().name == "00_start_here"
    with socket.socket() as s:
        s.bind(("127.0.0.1", first))  # the old port is free again


def test_placeholder_key_does_not_switch_a_second_setup_to_live(capsys):
    helpers.setup("01_first_request")
    helpers.setup("01_first_request")
    assert helpers.current_session().mode == "replay"


@pytest.mark.parametrize("name", ["first_request", "01-first", "", None, "../01_first_request"])
def test_bad_names_are_refused(name):
    with pytest.raises(ConfigError, match="notebook's name"):
        helpers.setup(name)


def test_unknown_notebook_lists_the_recordings():
    with pytest.raises(ConfigError, match=r"No recording for '99_nothing'.*01_first_request"):
        helpers.setup("99_nothing")


def test_bad_mode_is_one_line_listing_valid_values(monkeypatch):
    monkeypatch.setenv("PRIMER_MODE", "offline")
    with pytest.raises(ConfigError) as err:
        helpers.setup("01_first_request")
    assert str(err.value) == "PRIMER_MODE='offline' is not valid; use one of: replay, live, record."
    assert err.value._render_traceback_() == [f"ConfigError: {err.value}"]


def test_current_session_before_setup_says_what_to_run():
    helpers.teardown()
    with pytest.raises(ConfigError, match=r"helpers.setup"):
        session.current_session()


@pytest.mark.parametrize(
    ("env", "mode"),
    [
        ({}, "replay"),
        ({"ANTHROPIC_API_KEY": "k"}, "live"),
        ({"ANTHROPIC_API_KEY": " "}, "replay"),
        ({"ANTHROPIC_API_KEY": PLACEHOLDER_KEY}, "replay"),
        ({"PRIMER_MODE": "RECORD"}, "record"),
        ({"PRIMER_MODE": "replay", "ANTHROPIC_API_KEY": "k"}, "replay"),
    ],
)
def test_resolve_mode(env, mode):
    assert resolve_mode(env) == mode


@pytest.mark.parametrize(("raw", "speed"), [("", 1.0), ("0", 0.0), ("2.5", 2.5)])
def test_replay_speed(raw, speed):
    assert replay_speed({"PRIMER_REPLAY_SPEED": raw}) == speed


@pytest.mark.parametrize("raw", ["-1", "fast", "nan", "inf"])
def test_bad_replay_speed(raw):
    with pytest.raises(ConfigError, match="PRIMER_REPLAY_SPEED"):
        replay_speed({"PRIMER_REPLAY_SPEED": raw})


def test_load_env_does_not_override_the_environment(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    env_file.write_text("PRIMER_TEST_A=from-file\nPRIMER_TEST_B=from-file\n")
    monkeypatch.setenv("PRIMER_TEST_A", "from-env")
    monkeypatch.delenv("PRIMER_TEST_B", raising=False)
    assert load_env(env_file) is True
    import os

    assert os.environ["PRIMER_TEST_A"] == "from-env" and os.environ["PRIMER_TEST_B"] == "from-file"
    monkeypatch.delenv("PRIMER_TEST_B")
    assert load_env(tmp_path / "absent") is False


def test_import_helpers_starts_nothing():
    import subprocess
    import sys

    code = (
        "import threading, sys; import helpers; "
        "assert threading.active_count() == 1, threading.enumerate(); "
        "assert 'matplotlib' not in sys.modules and 'ipywidgets' not in sys.modules and 'IPython' not in sys.modules; "
        "import helpers.gateway; assert 'matplotlib' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_live_without_a_key_says_where_to_put_it(monkeypatch):
    monkeypatch.setenv("PRIMER_MODE", "live")
    with pytest.raises(ConfigError) as err:
        helpers.setup("01_first_request")
    assert ".env.example" in str(err.value) and "PRIMER_MODE=replay" in str(err.value)
    assert len(err.value._render_traceback_()) == 1


def test_live_with_a_key_forwards_and_shows_the_budget(monkeypatch, capsys, tmp_path):
    from fake_upstream import FakeUpstream, Reply, message

    fake = FakeUpstream()
    try:
        fake.replies.append(Reply(body=message("live answer")))
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-not-real")
        monkeypatch.setenv("PRIMER_UPSTREAM_URL", fake.url)
        monkeypatch.setenv("PRIMER_LEDGER", str(tmp_path / "ledger.json"))
        monkeypatch.setenv("PRIMER_BUDGET_USD", "1.5")
        helpers.setup("01_first_request")
        banner = capsys.readouterr().out
        assert banner.startswith(f"live mode: calls go to {fake.url} with your key")
        assert "budget $1.5000 of $1.5000 left (PRIMER_BUDGET_USD)" in banner and "sk-test" not in banner
        msg = anthropic.Anthropic().messages.create(
            model=helpers.OPUS, max_tokens=10, messages=[{"role": "user", "content": "x"}]
        )
        assert msg.content[0].text == "live answer"
        card = repr(helpers.spend())
        assert "claude-opus-4-6" in card and "Whole course (ledger)" in card
        course = card.split("Whole course (ledger)")[1]
        assert "claude-opus-4-6" in course, "the course-wide total is shown per model too"
    finally:
        helpers.teardown()
        fake.stop()


def test_record_mode_is_not_started_from_a_notebook(monkeypatch):
    monkeypatch.setenv("PRIMER_MODE", "record")
    with pytest.raises(ConfigError, match="make record"):
        helpers.setup("01_first_request")


def test_a_shared_gateway_is_joined_not_started(monkeypatch, capsys):
    from helpers.config import RECORDINGS_DIR
    from helpers.gateway import Gateway
    from helpers.gateway.recordings import load_recordings

    room = Gateway(load_recordings(RECORDINGS_DIR), speed=0).start()
    try:
        monkeypatch.setenv("PRIMER_GATEWAY_URL", room.url)
        helpers.setup("01_first_request")
        banner = capsys.readouterr().out
        assert banner.startswith(f"replay mode via the shared gateway at {room.url}: answers come from recordings/")
        assert helpers.current_session().shared
        anthropic.Anthropic().messages.create(
            model=helpers.OPUS, max_tokens=1024, messages=[{"role": "user", "content": "Hello, Claude!"}]
        )
        assert [e["status"] for e in helpers.gateway_log()] == [200]
        assert helpers.OPUS in repr(helpers.spend())
        assert "127.0.0.1" in room._cursors
        monkeypatch.setenv("ANTHROPIC_API_KEY", "a-real-looking-key")
        helpers.setup("01_first_request")  # joining again starts this client's sequences afresh
        assert "127.0.0.1" not in room._cursors
        import os

        assert os.environ["ANTHROPIC_API_KEY"] == PLACEHOLDER_KEY, "no real key goes to a room's gateway"
    finally:
        helpers.teardown()
        room.stop()
    assert not room.crashes, list(room.crashes)


def test_an_unreachable_shared_gateway_is_one_line(monkeypatch):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("PRIMER_GATEWAY_URL", f"http://127.0.0.1:{port}")
    with pytest.raises(ConfigError, match=r"does not answer \(.*\); unset it"):
        helpers.setup("01_first_request")


def test_bad_budget_is_one_line():
    from helpers.gateway.budget import budget_cap

    assert budget_cap({}) == 2.0
    with pytest.raises(ConfigError, match="PRIMER_BUDGET_USD"):
        budget_cap({"PRIMER_BUDGET_USD": "lots"})


def test_in_a_notebook_an_api_error_shows_as_one_line(capsys):
    import anthropic
    import httpx2
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        session._one_line_api_errors()
        shell.user_ns["err"] = anthropic.APIConnectionError(request=httpx2.Request("POST", "http://127.0.0.1:9/v1"))
        shell.run_cell("raise err")
        out = capsys.readouterr().out
        assert "APIConnectionError: Connection error." in out and "%tb" in out
        assert "Traceback (most recent call last)" not in out, "no screen of SDK internals"
        shell.run_cell("raise ValueError('other errors keep their traceback')")
        assert "Traceback (most recent call last)" in capsys.readouterr().out
    finally:
        shell.set_custom_exc((), None)
        InteractiveShell.clear_instance()

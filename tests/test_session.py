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

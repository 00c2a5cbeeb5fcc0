"""`python -m helpers.gateway`: serves recordings; every bad input is one line and exit status 2."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import urllib.request

import pytest

from helpers.config import RECORDINGS_DIR
from helpers.models import OPUS

CMD = [sys.executable, "-m", "helpers.gateway"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CMD, *args], capture_output=True, text=True, timeout=30)


def test_help():
    out = run("--help")
    assert out.returncode == 0 and "--recordings" in out.stdout and "--port" in out.stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--port", "x"], "invalid int value"),
        (["--bogus"], "unrecognized arguments"),
        (["--port", "70000"], "--port must be between"),
        (["--speed", "-2"], "--speed must be a number >= 0"),
        (["--speed", "inf"], "--speed must be a number >= 0"),
        (["--max-per-client", "-1"], "--max-per-client must be >= 0"),
        (["--recordings", "/nonexistent/rec.json"], "no such recording file"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(args, fragment):
    out = run(*args)
    assert out.returncode == 2
    assert fragment in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr


def test_corrupt_recording_names_file_and_position(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": 1, "provenance": {"source": "authored"}, "exchanges": [{"request": 3}]}')
    out = run("--recordings", str(bad))
    assert out.returncode == 2 and str(bad) in out.stderr and "exchanges[0]" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_busy_port_is_one_line_and_exit_2():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        out = run("--port", str(s.getsockname()[1]))
    assert out.returncode == 2 and "cannot listen" in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_serves_every_recording_and_the_primer_request():
    proc = subprocess.Popen(
        [*CMD, "--recordings", str(RECORDINGS_DIR), "--port", "0", "--speed", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = proc.stdout.readline()
        url = first.split(" at ")[1].strip()
        body = {
            "model": OPUS,  # the primer names claude-opus-4-6; the recordings follow the course's OPUS
            "max_tokens": 1024,
            "messages": [{"role": "user", "content": "Hello, Claude!"}],
        }
        req = urllib.request.Request(
            f"{url}/v1/messages",
            data=json.dumps(body).encode(),
            headers={"x-api-key": "k", "anthropic-version": "2023-06-01", "content-type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert json.loads(resp.read())["type"] == "message"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.skipif(not shutil.which("curl"), reason="curl is not installed")
def test_the_primers_curl_unchanged_but_for_the_address():
    proc = subprocess.Popen(
        [*CMD, "--port", "0", "--speed", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        url = proc.stdout.readline().split(" at ")[1].strip()
        body = (  # as the primer's cURL sends it, with the course's OPUS where the primer has claude-opus-4-6
            f'{{\n"model": "{OPUS}",\n"max_tokens": 1024,\n"messages": [\n'
            '{"role": "user", "content": "Hello, Claude!"}\n]\n}'
        )
        out = subprocess.run(
            [
                "curl",
                "-sS",
                f"{url}/v1/messages",
                "-H",
                "x-api-key: sk-placeholder",
                "-H",
                "anthropic-version: 2023-06-01",
                "-H",
                "content-type: application/json",
                "-d",
                body,
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        reply = json.loads(out.stdout)
        assert reply["type"] == "message" and reply["content"][0]["type"] == "text"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["import-vcr", "/nonexistent/c.yaml", "--out", "/tmp/x.json"], "No such file"),
        (["import-vcr", "/nonexistent/c.yaml"], "the following arguments are required: --out"),
        (["import-har", str(RECORDINGS_DIR / "01_first_request.json"), "--out", "/tmp/x.json"], "not a HAR file"),
        (["export", str(RECORDINGS_DIR / "01_first_request.json")], "export needs --vcr"),
        (["export", "/nonexistent/r.json", "--har", "/tmp/x.har"], "no such recording file"),
        (["bogus"], "invalid choice: 'bogus'"),
    ],
)
def test_subcommands_answer_bad_input_in_one_line_and_exit_2(args, fragment):
    out = run(*args)
    assert out.returncode == 2
    assert fragment in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr


def test_help_names_the_subcommands_and_keeps_the_serving_flags():
    out = run("--help")
    assert all(c in out.stdout for c in ("import-vcr", "import-har", "export", "--max-per-client", "--speed"))
    assert run("export", "--help").returncode == 0

"""make record, end to end without the internet: record a notebook against an upstream that is itself a
replay gateway serving the shipped recording, then replay the new recording. Outputs must not change
(except the banner, which says where the answers come from) and no byte may hold the key."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import nbformat
from nbclient import NotebookClient
from normalize import ROOT, normalize

from helpers.config import RECORDINGS_DIR
from helpers.gateway import Gateway
from helpers.gateway.recordings import load_recording

FAKE_KEY = "sk-ant-api03-" + "Qw7" * 30 + "-ZyXwAA"
NAME = "01_first_request"


def replay_outputs(recordings: str) -> list[list[dict]]:
    env = dict(os.environ, PRIMER_MODE="replay", PRIMER_REPLAY_SPEED="0", PRIMER_RECORDINGS_DIR=recordings)
    env.pop("PRIMER_GATEWAY_URL", None)
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        nb = nbformat.read(ROOT / "notebooks" / f"{NAME}.ipynb", as_version=4)
        NotebookClient(
            nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "notebooks")}}
        ).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    clean = normalize(json.loads(nbformat.writes(nb)))
    return [c.get("outputs", []) for c in clean["cells"] if c["cell_type"] == "code"]


def test_record_against_replay_then_replay_again_changes_nothing(tmp_path):
    upstream = Gateway([load_recording(RECORDINGS_DIR / f"{NAME}.json")], speed=0).start()
    try:
        env = dict(
            os.environ,
            ANTHROPIC_API_KEY=FAKE_KEY,
            PRIMER_LEDGER=str(tmp_path / "ledger.json"),
            PRIMER_BUDGET_USD="1",
            PRIMER_REPLAY_SPEED="0",
        )
        env.pop("PRIMER_MODE", None)
        out = subprocess.run(
            [
                sys.executable,
                str(ROOT / "tools" / "record.py"),
                NAME,
                "--upstream",
                upstream.url,
                "--out",
                str(tmp_path),
                "--no-outputs",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert out.returncode == 0, out.stderr
    finally:
        upstream.stop()
    new = tmp_path / f"{NAME}.json"
    text = new.read_text(encoding="utf-8")
    assert json.loads(text)["provenance"]["source"] == "recorded"
    for secret in (FAKE_KEY, "authorization", "x-api-key", "Bearer"):
        assert secret.lower() not in text.lower()
    assert len(load_recording(new).exchanges) == len(load_recording(RECORDINGS_DIR / f"{NAME}.json").exchanges) + 1

    before = json.loads((ROOT / "notebooks" / f"{NAME}.ipynb").read_text(encoding="utf-8"))
    shipped = [c.get("outputs", []) for c in before["cells"] if c["cell_type"] == "code"]
    replayed = replay_outputs(str(tmp_path))
    banner = replayed[0][0]
    assert "recorded from the real API" in "".join(banner.get("text") or banner["data"]["text/plain"])
    assert replayed[1:] == shipped[1:]
    assert FAKE_KEY not in json.dumps(replayed)


def test_record_refuses_without_a_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "ANTHROPIC_API_KEY"}
    out = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "record.py"), NAME, "--out", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert out.returncode == 2 and "needs your API key" in out.stderr
    assert not list(tmp_path.glob("*.json"))

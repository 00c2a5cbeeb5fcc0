"""Authored recordings are exactly what their scripts in tools/authored build (no hand edits, no drift)."""

from __future__ import annotations

import json

import authoring
import pytest

from helpers.config import RECORDINGS_DIR
from helpers.gateway.recordings import dumps_recording


@pytest.mark.parametrize("name", sorted(authoring.scripts()))
def test_authored_recording_matches_its_script(name: str) -> None:
    path = RECORDINGS_DIR / f"{name}.json"
    assert path.is_file(), f"run `make authored NB={name}`"
    on_disk = json.loads(path.read_text(encoding="utf-8"))
    if on_disk["provenance"]["source"] != "authored":
        pytest.skip(f"{name} was re-recorded from the real API; its script only describes the authored version")
    assert path.read_text(encoding="utf-8") == dumps_recording(authoring.build(name)), f"run `make authored NB={name}`"


def test_every_recording_is_authored_by_a_script_or_recorded() -> None:
    scripts = authoring.scripts()
    for path in RECORDINGS_DIR.glob("*.json"):
        source = json.loads(path.read_text(encoding="utf-8"))["provenance"]["source"]
        assert source == "recorded" or path.stem in scripts, f"{path.name} is authored but has no tools/authored script"


def test_estimates_follow_the_documented_rule() -> None:
    assert authoring.estimate_tokens("") == 0
    assert authoring.estimate_tokens("abcd") == 1
    assert authoring.estimate_tokens("abcde") == 2
    body = {"model": "m", "max_tokens": 1, "messages": [{"role": "user", "content": "Hello, Claude!"}]}
    assert authoring.estimate_input_tokens(body) == 8 + 3 + 4
    assert "ceil(characters / 4)" in authoring.ESTIMATE_NOTE


def test_ids_are_stable_and_api_shaped() -> None:
    a = authoring.make_id("msg_", "seed")
    assert a == authoring.make_id("msg_", "seed") and a != authoring.make_id("req_", "seed")
    assert a.startswith("msg_011C") and len(a) == 28  # as 2026 message ids
    assert authoring.make_id("toolu_", "seed").startswith("toolu_01")  # tool ids keep the older lead
    assert len(authoring.make_id("toolu_", "seed")) == 30
    # batch and workspace ids keep the older lead too (msgbatch_01GUq..., wrkspc_01MZW... in August 2026 captures)
    assert authoring.make_id("msgbatch_", "seed").startswith("msgbatch_01")
    assert not authoring.make_id("msgbatch_", "seed").startswith("msgbatch_011C")
    assert authoring.WORKSPACE_ID.startswith("wrkspc_01")

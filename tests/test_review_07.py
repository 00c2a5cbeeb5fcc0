"""Review 2026-12-08, findings 07-5 and 07-8: the authored batch error names the request's own model and its
output limit; exercise 1's max_tokens leaves room for Haiku 5.5's thinking, and the check holds to it."""

from __future__ import annotations

import json
from pathlib import Path

from helpers.checks import batching as check
from helpers.models import HAIKU, OPUS, model_info

ROOT = Path(__file__).resolve().parents[1]


def _solution(max_tokens: int) -> list[dict]:
    return [
        {"custom_id": f"review-{i}",
         "params": {"model": HAIKU, "max_tokens": max_tokens,
                    "messages": [{"role": "user", "content": check.PROMPT.format(review=review)}]}}
        for i, review in enumerate(check.REVIEWS)
    ]


def test_recorded_batch_error_names_the_request_model_and_its_limit():
    rec = json.loads((ROOT / "notebooks/recordings/07_batches.json").read_text(encoding="utf-8"))
    (ex,) = [e for e in rec["exchanges"] if e["label"] == "mistake batch: results"]
    (line,) = [x for x in ex["response"]["lines"] if x["result"]["type"] == "errored"]
    message = line["result"]["error"]["error"]["message"]
    assert message.endswith(f"for {OPUS}"), message
    assert f"> {model_info(OPUS).max_output}," in message, message


def test_max_tokens_leaves_room_for_thinking():
    assert check.MAX_TOKENS >= 256  # 06's floor for a one-line label after some thinking


def test_solution_with_max_tokens_passes_and_the_old_5_does_not():
    assert check.check_requests(_solution(check.MAX_TOKENS)).ok
    r = check.check_requests(_solution(5))
    assert not r.ok and f"max_tokens should be {check.MAX_TOKENS}" in r.problems[0], r

"""tools/attack.py's attacks must all hold: the live budget cannot be overrun and a learner's key never leaks.

Each attack starts and stops its own loopback gateway (and fake upstream); these tests assert bounded
outcomes only (statuses, counts, sizes, what was forwarded). The script prints the timings.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import attack  # noqa: E402


def held(result: attack.Result) -> None:
    assert result.held, f"{result.name}: {result.detail}"


def test_bad_bodies_and_headers_get_json_answers_and_crashes_stay_small():
    held(attack.attack_crashes())


def test_a_key_never_reaches_a_remote_gateway():
    held(attack.attack_remote_key())


def test_a_killed_kernels_reservation_still_counts():
    held(attack.attack_budget_killed())


def test_server_tools_are_refused_and_images_documents_cjk_are_bounded():
    held(attack.attack_budget_unbounded())


def test_path_and_max_tokens_variants_cannot_bypass_the_budget():
    held(attack.attack_budget_paths())


def test_an_unfetched_batch_counts_as_spent_after_24_hours():
    held(attack.attack_budget_batch_window())


def test_slow_clients_are_capped_and_closed_at_the_header_deadline():
    held(attack.attack_slowloris())


def test_large_misses_each_get_their_explanation():
    held(attack.attack_misses())


def test_a_broken_ledger_fails_closed_with_one_error():
    held(attack.attack_ledger_failures())


def test_only_results_url_is_rewritten():
    held(attack.attack_rewriting())


def test_no_header_or_event_injection_and_no_second_request_after_chunked():
    held(attack.attack_injection())


def test_other_methods_and_garbage_get_the_json_error_shape():
    held(attack.attack_methods())


def test_the_script_runs_every_attack():
    assert [a.__name__ for a in attack.ATTACKS] == [n for n in attack.__all__ if n.startswith("attack_")]

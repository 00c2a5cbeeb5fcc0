"""Review 2026-12-08, finding 08-10: a day's cost that counts one read too many (or too few) is within the
two-significant-figure tolerance of the right answer, so the check recognises it first and says so."""

from __future__ import annotations

import pytest

from helpers.checks import caching as check
from helpers.pricing import price_of

_N, _TOKENS = check.WORKLOAD["questions"], check.WORKLOAD["document_tokens"]
_P = price_of(check.WORKLOAD["model"]).for_prompt(_TOKENS)


def _day(reads: int) -> float:
    return _TOKENS * (_P.cache_write_1h + reads * _P.cache_read) / 1e6


@pytest.mark.parametrize("dollars", [_day(_N - 1), round(_day(_N - 1), 3), float(f"{_day(_N - 1):.2g}")])
def test_one_write_then_n_minus_one_reads_passes(dollars):
    r = check.check_workload("1h", dollars)
    assert r.ok, r


@pytest.mark.parametrize("reads", [_N, _N - 2])
@pytest.mark.parametrize("digits", [None, 3])
def test_one_read_too_many_or_too_few_is_named(reads, digits):
    dollars = _day(reads) if digits is None else round(_day(reads), digits)
    r = check.check_workload("1h", dollars)
    assert not r.ok and f"counts {reads} reads" in r.problems[0] and f"then {_N - 1} reads" in r.problems[0], r


def test_the_off_by_one_answer_on_sonnet_5_5_by_hand(monkeypatch):
    # $2 input: a $4 one-hour write and $0.20 reads per million; 20,000 tokens
    monkeypatch.setitem(check.WORKLOAD, "model", "claude-sonnet-5-5")
    assert check.check_workload("1h", 0.268).ok
    r = check.check_workload("1h", 0.272)  # 48 reads
    assert not r.ok and "counts 48 reads" in r.problems[0], r

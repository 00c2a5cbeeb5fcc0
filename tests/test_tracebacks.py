"""What a learner sees when a cell fails: one line for an error raised inside the SDK or the helpers (as the
stored outputs show), IPython's usual traceback for an error in the cell's own code."""

from __future__ import annotations

import re

import pytest
from IPython.core.interactiveshell import InteractiveShell

from helpers import session


@pytest.fixture
def shell(monkeypatch):
    sh = InteractiveShell.instance()
    monkeypatch.setattr("IPython.get_ipython", lambda: sh)
    session._one_line_api_errors()
    yield sh
    sh.set_custom_exc((), None)
    InteractiveShell.clear_instance()


ANSI = re.compile(r"\x1b\[[0-9;]*m")
CALL = (
    "import anthropic\nanthropic.Anthropic(api_key='x').messages.create(model='m', max_tokens=1, "
    "messages=[], temperature=1.0)"
)


def text(capsys) -> str:
    return ANSI.sub("", capsys.readouterr().out)


def test_an_sdk_signature_error_is_one_line(shell, capsys):
    shell.run_cell(CALL)
    out = text(capsys)
    assert "TypeError: Messages.create() got an unexpected keyword argument 'temperature'" in out
    assert "%tb" in out and "Traceback (most recent call last)" not in out
    assert "_utils" not in out, "no SDK internals"


def test_a_helper_error_is_one_line(shell, capsys):
    shell.run_cell("from helpers.batching import validate_requests\nvalidate_requests([{'custom_id': ''}])")
    out = text(capsys)
    assert "BatchRequestError: requests[0]" in out and "Traceback (most recent call last)" not in out


def test_an_error_in_the_cells_own_code_keeps_its_traceback(shell, capsys):
    shell.run_cell("def f():\n    return 1 / 0\nf()")
    out = text(capsys)
    assert "ZeroDivisionError" in out and "return 1 / 0" in out, "the learner sees their own failing line"


def test_next_finding_nothing_is_one_line_that_says_so(shell, capsys):
    shell.run_cell("content = ['text']\nblock = next(b for b in content if b == 'tool_use')")
    out = text(capsys)
    assert "StopIteration: next(...) found no item that matched" in out and "%tb" in out, out
    assert "Traceback (most recent call last)" not in out and "block = next" not in out
    assert len(out.strip().splitlines()) == 2, out


def test_tb_still_prints_the_whole_traceback(shell, capsys):
    shell.run_cell(CALL)
    capsys.readouterr()
    shell.run_line_magic("tb", "")
    assert "Traceback (most recent call last)" in text(capsys)

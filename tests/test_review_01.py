"""Review findings for 01_first_request (round of 2026-12-08): each verdict right for the right answer and the wrong."""

from __future__ import annotations

import pytest

from helpers.checks import first_request
from helpers.models import OPUS

Q = "What is an API?"
REQUEST = {"model": OPUS, "max_tokens": 300, "messages": [{"role": "user", "content": Q}]}


# 01-2: the SDK takes any iterable of messages (anthropic/resources/messages/messages.py,
# messages: Iterable[MessageParam]), so a tuple of the one right message is a right answer.
def test_01_request_messages_as_tuple_is_right():
    assert first_request.check_request({**REQUEST, "messages": ({"role": "user", "content": Q},)}).ok


@pytest.mark.parametrize(
    "messages",
    [
        ({"role": "assistant", "content": Q},),  # a tuple, but the wrong role
        ({"role": "user", "content": "What is a REST API?"},),  # a tuple, but the wrong question
        (),  # an empty tuple
        Q,  # a string is not a sequence of messages
    ],
)
def test_01_request_wrong_messages_still_wrong(messages):
    assert not first_request.check_request({**REQUEST, "messages": messages}).ok

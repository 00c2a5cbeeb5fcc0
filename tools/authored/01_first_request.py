"""Authored recording for 01_first_request: the primer's first request (Python SDK and cURL send the same body)."""

from authoring import message_exchange, recording

from helpers.models import OPUS

FIRST = {
    "model": OPUS,
    "max_tokens": 1024,
    "messages": [{"role": "user", "content": "Hello, Claude!"}],
}


def build():
    return recording(
        [
            message_exchange(
                "primer first request",
                FIRST,
                "Hello! It's nice to meet you. What would you like to work on today? I can help with "
                "writing, analysis, coding, answering questions, or talking an idea through.",
            ),
        ],
        models=[OPUS],
    )

"""Authored recording for 01_first_request: the primer's first request (Python SDK and cURL send the same body)."""

from authoring import message_exchange, recording

from helpers.bill import VERBATIM
from helpers.models import OPUS, PRIMER_OPUS

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
            # The primer's code verbatim names claude-opus-4-6 (legacy): tests/test_primer_verbatim.py sends it
            # unchanged (Python, the TypeScript body, cURL), so the primer itself still replays offline. Only tests
            # send it: the VERBATIM suffix keeps it out of the course's bill (helpers.bill).
            message_exchange(
                f"primer first request{VERBATIM}",
                {**FIRST, "model": PRIMER_OPUS},
                "Hello! It's nice to meet you. What would you like to work on today?",
            ),
        ],
        models=[OPUS, PRIMER_OPUS],
    )

"""Authored recording for 01_first_request: the primer's first request (Python SDK and cURL send the same body)."""

from authoring import message_exchange, recording

from helpers.models import OPUS, PRIMER_OPUS

PRIMER_FIRST = "primer first request, as the primer writes it (claude-opus-4-6)"
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
            # The primer's code verbatim names claude-opus-4-6 (legacy): notebook 01 shows it running (its cell
            # "as the primer writes it"), and tests/test_primer_verbatim.py sends it unchanged (Python, the
            # TypeScript body, cURL). A notebook cell sends it, so it is billed: no VERBATIM suffix.
            message_exchange(
                PRIMER_FIRST,
                {**FIRST, "model": PRIMER_OPUS},
                "Hello! It's nice to meet you. What would you like to work on today?",
            ),
        ],
        models=[OPUS, PRIMER_OPUS],
    )

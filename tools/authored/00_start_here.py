"""Authored recording for 00_start_here: one small request that proves the set-up works."""

from authoring import message_exchange, recording

from helpers.models import HAIKU

CHECK = {
    "model": HAIKU,
    "max_tokens": 100,
    "messages": [{"role": "user", "content": "In one sentence: what does an API key do?"}],
}


def build():
    return recording(
        [
            message_exchange(
                "environment check",
                CHECK,
                "An API key identifies your account to a service, so it can authorize your requests "
                "and bill them to you.",
            ),
        ],
        models=[HAIKU],
    )

"""A learner's key never reaches a gateway it should not: a replay kernel refuses a live remote gateway, and
live mode refuses a plain-HTTP one beyond this machine before connecting."""

from __future__ import annotations

import contextlib
import os
import time

import anthropic
from fake_upstream import FakeUpstream

from hardening.rawhttp import SMALL, clip, course_env, fake_key, loopback_only, run_setup
from helpers.config import ConfigError


def test_a_key_never_reaches_a_remote_gateway() -> None:
    """A replay kernel refuses a live remote gateway; live refuses plain HTTP off loopback before connecting."""
    key = fake_key()
    remote = FakeUpstream(gateway_mode="live")
    try:
        env = {"PRIMER_MODE": "replay", "ANTHROPIC_API_KEY": key, "PRIMER_GATEWAY_URL": remote.url}
        with course_env(**env, PRIMER_REPLAY_SPEED="0"), loopback_only() as attempts:
            err = run_setup()
            assert isinstance(err, ConfigError), "PRIMER_MODE=replay joined a gateway that says it is live" + (
                f" (setup raised {type(err).__name__})" if err else " (no ConfigError)"
            )
            if os.environ.get("ANTHROPIC_BASE_URL", "").startswith(remote.url):  # the notebook's next cell
                with contextlib.suppress(anthropic.APIError):
                    anthropic.Anthropic(max_retries=0, timeout=3).messages.create(**SMALL)
            assert not attempts, f"tried to connect beyond loopback: {attempts}"
        leaked = [r for r in remote.received if any(key in v for v in r["headers"].values())]
        where = ", ".join(f"{r['method']} {r['path']}" for r in leaked)
        assert not leaked, f"the process's ANTHROPIC_API_KEY reached the remote gateway ({where})"
    finally:
        remote.stop()

    env = {"PRIMER_MODE": "live", "ANTHROPIC_API_KEY": key, "PRIMER_GATEWAY_URL": "http://10.255.255.1:9"}
    with course_env(**env), loopback_only() as attempts:
        start = time.monotonic()
        err = run_setup()
        took = time.monotonic() - start
        text = str(err or "")
        assert isinstance(err, ConfigError), f"live with a plain-HTTP remote gateway: setup raised {err!r}"
        assert not attempts, f"live setup connected to {attempts[0] if attempts else ''} before refusing"
        assert took < 2, f"live setup took {took:.1f} s to refuse a plain-HTTP remote gateway"
        assert "https" in text.lower() or "loopback" in text.lower(), (
            f"the refusal does not say https or loopback: {clip(text, 120)!r}"
        )

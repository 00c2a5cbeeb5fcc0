"""What both browser tests share: where Chromium is, how it is launched, where screenshots go, and the loud
skips when Playwright or Chromium is missing (requirements/dev.txt has Playwright; tools/browser_deps.sh installs
Debian's chromium, as CI's .ci/run does)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - the skip below says why
    sync_playwright = None

__all__ = ["ROOT", "ARTIFACTS", "CHROMIUM", "CHROMIUM_ARGS", "NEEDS_CHROMIUM", "sync_playwright"]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "browser"
CHROMIUM = os.environ.get("PRIMER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

NEEDS_CHROMIUM = [
    pytest.mark.skipif(sync_playwright is None, reason="BROWSER TEST SKIPPED: playwright is not installed "
                       "(make install-dev)"),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"BROWSER TEST SKIPPED: no Chromium at {CHROMIUM} "
                       "(as root: bash tools/browser_deps.sh; or set PRIMER_CHROMIUM)"),
]

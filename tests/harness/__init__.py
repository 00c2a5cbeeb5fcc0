"""The test harness for nbval: the rfc3987 block and a test-only kernel profile (tests/harness/plugin.py).

Loaded by pytest through `-p tests.harness.plugin` (pyproject.toml); learners' `make lab` never sees it.
"""

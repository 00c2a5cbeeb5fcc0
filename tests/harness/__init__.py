"""The test harness for nbval: a test-only kernel profile, no fixed sleeps, and preloaded (forked) kernels.

Loaded by pytest through `-p tests.harness.plugin` (pyproject.toml); learners' `make lab` never sees it.
"""

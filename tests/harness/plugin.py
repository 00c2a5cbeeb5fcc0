"""pytest plugin of the test harness, loaded early by `-p tests.harness.plugin` (pyproject.toml's addopts).

- Blocks `rfc3987_syntax` in this process: nbval imports nbformat, which imports jsonschema, which imports
  that optional format-check dependency (installed for jupyter-events) and builds a Lark grammar, about
  1 s per pytest process, for an "iri" format check no test makes. `-p` loads this before nbval's entry
  point, so the import fails cleanly (None in sys.modules) and jsonschema leaves that checker out.
  Nothing is uninstalled: `pip check` and `make lab` see the environment as installed.
- With `--nbval`, nbval's kernels are `tests.harness.kernel.FastKernel`s (profile, no fixed sleeps, forked
  where it can, from one server the main process starts at once); nbval's collection, execution and
  comparison of outputs are nbval's own.
"""

from __future__ import annotations

import sys

import pytest

sys.modules.setdefault("rfc3987_syntax", None)


def cleanup() -> None:
    kernel = sys.modules.get("tests.harness.kernel")  # imported by nbval runs and by tests/test_harness.py
    if kernel is not None:
        kernel.cleanup()


def pytest_configure(config: pytest.Config) -> None:
    config.add_cleanup(cleanup)
    if not getattr(config.option, "nbval", False) and not getattr(config.option, "nbval_lax", False):
        return
    import nbval.plugin

    from tests.harness import kernel

    # nbval's IPyNbFile.setup builds its kernel from this name; nbval has no option to choose the class.
    nbval.plugin.RunningKernel = kernel.FastKernel  # type: ignore[misc]
    if not hasattr(config, "workerinput"):  # the main process: one fork server for the run, preloading now
        kernel.start_shared()


def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    nbval_on = getattr(config.option, "nbval", False) or getattr(config.option, "nbval_lax", False)
    if nbval_on and not hasattr(config, "workerinput"):  # once, from the main process
        from tests.harness import kernel

        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(kernel.fork_status())

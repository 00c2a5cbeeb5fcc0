"""pytest plugin of the test harness, loaded early by `-p tests.harness.plugin` (pyproject.toml's addopts).

- Blocks `rfc3987_syntax` in this process: nbval imports nbformat, which imports jsonschema, which imports
  that optional format-check dependency (installed for jupyter-events) and builds a Lark grammar, about
  1 s per pytest process, for an "iri" format check no test makes. `-p` loads this before nbval's entry
  point, so the import fails cleanly (None in sys.modules) and jsonschema leaves that checker out.
  Nothing is uninstalled: `pip check` and `make lab` see the environment as installed.
- With `--nbval`, nbval's kernels get the test-only IPython profile (tests/harness/profile) through
  IPYTHONDIR, which a kernel inherits from the process that starts it; `make lab`'s kernels never see it.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

sys.modules.setdefault("rfc3987_syntax", None)
PROFILE = Path(__file__).resolve().parent / "profile" / "ipython_kernel_config.py"


def pytest_configure(config: pytest.Config) -> None:
    if not getattr(config.option, "nbval", False) and not getattr(config.option, "nbval_lax", False):
        return
    folder = Path(tempfile.mkdtemp(prefix="primer-ipython-"))
    (folder / "profile_default").mkdir()
    shutil.copy(PROFILE, folder / "profile_default" / PROFILE.name)
    before = os.environ.get("IPYTHONDIR")
    os.environ["IPYTHONDIR"] = str(folder)

    def restore() -> None:
        if before is None:
            os.environ.pop("IPYTHONDIR", None)
        else:
            os.environ["IPYTHONDIR"] = before
        shutil.rmtree(folder, ignore_errors=True)

    config.add_cleanup(restore)

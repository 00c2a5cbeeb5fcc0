"""Prove that switching the course's models is a one-line change: in a scratch clone, set OPUS, SONNET and
HAIKU in helpers/models.py to other priced models, rewrite the authored recordings and the notebooks'
outputs, then run the unit tests and nbval. Prints each step and exits non-zero on the first failure.

    python tools/switch_models.py [--opus claude-opus-5-5] [--sonnet claude-sonnet-5-5] [--haiku claude-haiku-5-5]
                                  [--assume-min-cacheable 1024]

A fact the course does not know yet (a model's minimum cacheable prompt) stops the switch. To prove the
mechanism anyway, --assume-min-cacheable fills it in the scratch clone only and says so; nothing it writes
is kept or shipped.

Not part of `make test` (it re-executes every notebook, about two minutes); run it when models change.
The scratch clone is the committed HEAD, so commit first; it is deleted afterwards unless --keep.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(step: str, cmd: list[str], cwd: Path, env: dict[str, str]) -> None:
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    took = time.monotonic() - start
    if proc.returncode:
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-25:]
        print(f"FAILED {step} ({took:.0f} s):\n  " + "\n  ".join(tail))
        raise SystemExit(1)
    print(f"ok     {step} ({took:.0f} s)")


def switch(models_py: Path, choices: dict[str, str]) -> None:
    """Rewrite the three assignments in helpers/models.py; refuse if one is missing."""
    text = models_py.read_text(encoding="utf-8")
    for name, model in choices.items():
        text, n = re.subn(rf'^{name} = "[^"]+"$', f'{name} = "{model}"', text, flags=re.M)
        if n != 1:
            raise SystemExit(f'helpers/models.py has no single line `{name} = "..."` to change')
    models_py.write_text(text, encoding="utf-8")


def assume_min_cacheable(models_py: Path, tokens: int) -> None:
    """In the scratch clone only: give every model whose minimum cacheable prompt is unknown `tokens`."""
    with models_py.open("a", encoding="utf-8") as f:
        f.write(
            "\n\n# Written by tools/switch_models.py --assume-min-cacheable in a scratch clone; never shipped.\n"
            "import dataclasses as _dc\n\n"
            f"KNOWN = {{k: _dc.replace(v, min_cacheable_tokens=v.min_cacheable_tokens or {tokens})\n"
            "         for k, v in KNOWN.items()}\n"
            "LINEUP = {k: KNOWN[k] for k in LINEUP}\n"
            "MODELS = {m: KNOWN[m] for m in (OPUS, SONNET, HAIKU)}\n"
        )


def missing_facts(choices: dict[str, str]) -> list[str]:
    """What helpers/models.py and pricing.py must say about a model before the course can switch to it."""
    sys.path.insert(0, str(ROOT))
    from helpers.models import KNOWN
    from helpers.pricing import UnknownPriceError, price_of

    out = []
    for name, model in choices.items():
        info = KNOWN.get(model)
        if info is None:
            out.append(f"{name}={model}: no entry in helpers/models.py")
            continue
        out += [f"{name}={model}: {f} is not known" for f in ("min_cacheable_tokens",) if getattr(info, f) is None]
        try:
            price_of(model)
        except UnknownPriceError:
            out.append(f"{name}={model}: no price in helpers/pricing.py")
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--opus", default="claude-opus-5-5")
    p.add_argument("--sonnet", default="claude-sonnet-5-5")
    p.add_argument("--haiku", default="claude-haiku-5-5")
    p.add_argument("--assume-min-cacheable", type=int, metavar="TOKENS", help="scratch only: fill unknown minimums")
    p.add_argument("--keep", action="store_true", help="keep the scratch clone and print where it is")
    args = p.parse_args()
    choices = {"OPUS": args.opus, "SONNET": args.sonnet, "HAIKU": args.haiku}
    gaps = missing_facts(choices)
    if args.assume_min_cacheable:
        gaps = [g for g in gaps if "min_cacheable_tokens" not in g]
    if gaps:  # notebook 08 teaches each model's minimum cacheable prefix, 09 its price, ...
        print("fill these in before switching (with the docs page of each fact):\n  " + "\n  ".join(gaps))
        return 1
    scratch = Path(tempfile.mkdtemp(prefix="primer-switch-"))
    clone = scratch / "main"
    py = sys.executable
    # The scratch clone's helpers must win over the editable install of this checkout.
    env = dict(os.environ, PYTHONPATH=str(clone), PRIMER_MODE="replay", PRIMER_REPLAY_SPEED="0")
    env.pop("PRIMER_GATEWAY_URL", None)
    try:
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        switch(clone / "helpers" / "models.py", choices)
        if args.assume_min_cacheable:
            assume_min_cacheable(clone / "helpers" / "models.py", args.assume_min_cacheable)
            print(f"assumed in the scratch clone only: unknown minimum cacheable prompts = {args.assume_min_cacheable}")
        print(f"switched to OPUS={args.opus} SONNET={args.sonnet} HAIKU={args.haiku} in {clone}")
        check = "import helpers, helpers.models as m; assert helpers.OPUS == m.OPUS; print(helpers.__file__)"
        _run("helpers imports from the clone", [py, "-c", check], clone, env)
        _run("make authored (tools/authoring.py)", [py, "tools/authoring.py"], clone, env)
        _run("make outputs (tools/normalize.py --execute)", [py, "tools/normalize.py", "--execute"], clone, env)
        _run("tools/toc.py", [py, "tools/toc.py"], clone, env)
        tests = [py, "-m", "pytest", "-q", "-x", "-n", "auto", "--dist", "loadfile", "--ignore=tests/browser"]
        tests += ["--nbval", "--nbval-current-env", "--nbval-sanitize-with", "tests/sanitize.cfg", "tests", "notebooks"]
        _run("unit tests and nbval", tests, clone, env)
        print("the switch is a one-line change per model: every test passed")
        return 0
    finally:
        if args.keep:
            print(f"kept {clone}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())

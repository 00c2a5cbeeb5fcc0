"""Prove that switching the course's models is a one-line change: in a scratch clone, set OPUS, SONNET and
HAIKU in helpers/models.py to other priced models, rewrite the authored recordings and the notebooks'
outputs, then run the unit tests and nbval. Prints each step and exits non-zero on the first failure.

    python tools/switch_models.py [--opus claude-opus-5-5] [--sonnet claude-sonnet-5-5] [--haiku claude-haiku-5-5]
                                  [--assume-min-cacheable 1024] [--anyway] [--worktree] [--keep]

A fact the course does not know yet (a model's minimum cacheable prompt) stops the switch. To prove the
mechanism anyway, --assume-min-cacheable fills it in the scratch clone only and says so; nothing it writes
is kept or shipped. So does a lesson whose premise the new models break (PREMISES: 06 runs adaptive thinking
on OPUS; the lessons about older behaviour use the PRIMER_* constants, which a switch leaves alone); --anyway
proves the mechanism regardless.

Not part of `make test` (it re-executes every notebook, about two minutes); run it when models change.
The scratch clone is the committed HEAD, so commit first, or pass --worktree to carry this checkout's
uncommitted changes (tracked edits and new files that git does not ignore) into it. The clone is deleted
afterwards unless --keep; with --keep the tests run to the end and every failing test is listed, without
it they stop at the first failure.
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


def _run(step: str, cmd: list[str], cwd: Path, env: dict[str, str], *, go_on: bool = False) -> bool:
    """Run one step and print its outcome; a failure exits, or with `go_on` returns False so later checks run."""
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    took = time.monotonic() - start
    if proc.returncode:
        lines = (proc.stdout + proc.stderr).strip().splitlines()
        # pytest's summary names every failing test; show all of them, then the output's end for context.
        failed = [line for line in lines if line.startswith(("FAILED ", "ERROR "))]
        tail = [line for line in lines[-25:] if line not in failed]
        print(f"FAILED {step} ({took:.0f} s):\n  " + "\n  ".join(tail))
        if failed:
            print(f"{len(failed)} failing:\n  " + "\n  ".join(failed))
        if go_on:
            return False
        raise SystemExit(1)
    print(f"ok     {step} ({took:.0f} s)")
    skipped = [line for line in proc.stdout.splitlines() if line.startswith("SKIPPED ")]  # pytest -rs: say why
    if skipped:
        print("  " + "\n  ".join(skipped))
    return True


def carry_worktree(clone: Path) -> list[str]:
    """Copy this checkout's uncommitted state into the clone: tracked edits (as a diff) and untracked files."""
    diff = subprocess.run(["git", "diff", "HEAD", "--binary"], cwd=ROOT, capture_output=True, check=True).stdout
    if diff:
        subprocess.run(["git", "apply", "--whitespace=nowarn"], cwd=clone, input=diff, check=True)
    changed = subprocess.run(["git", "diff", "HEAD", "--name-only"], cwd=ROOT, capture_output=True, text=True)
    untracked = subprocess.run(
        ["git", "ls-files", "--others", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, text=True
    ).stdout.split("\0")
    for name in filter(None, untracked):
        (clone / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, clone / name)
    return changed.stdout.split() + [n for n in untracked if n]


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


# What a lesson relies on about one model constant: (notebook, constant, ModelInfo field, what it does). Lessons
# about a behaviour only older models have name a PRIMER_* constant, which a switch of OPUS, SONNET and HAIKU does
# not touch; the lessons on today's constants rely on adaptive thinking.
PREMISES = [
    ("03_temperature", "PRIMER_HAIKU", "sampling_params", "samples PRIMER_HAIKU at temperatures 0.0-1.0"),
    ("06_extended_thinking", "PRIMER_OPUS", "manual_thinking", "runs the primer's budget_tokens request"),
    ("06_extended_thinking", "PRIMER_HAIKU", "manual_thinking", "gives PRIMER_HAIKU a thinking budget (Task B)"),
    ("06_extended_thinking", "OPUS", "thinking", "runs adaptive thinking with effort levels on OPUS"),
]


def _has(info: object, field: str) -> bool:
    value = getattr(info, field)
    return value.startswith("adaptive") if field == "thinking" else bool(value)


def broken_premises(choices: dict[str, str]) -> list[str]:
    """Lessons whose premise the chosen models break: re-running them would replay authored answers that the
    API would refuse with a 400, so their prose and recordings need rewriting, not only a re-run."""
    sys.path.insert(0, str(ROOT))
    import helpers.models as models

    out = []
    for nb, name, field, does in PREMISES:
        model = choices.get(name) or getattr(models, name)
        if model in models.KNOWN and not _has(models.KNOWN[model], field):
            out.append(f"{nb} {does}: {model} does not allow it ({field} in helpers/models.py)")
    return out


def prose_to_review(notebooks: Path, old: dict[str, str], new: dict[str, str]) -> dict[str, int]:
    """Markdown cells per notebook that name a model the switch dropped (by id or name): code takes its
    models from helpers, but prose that says "Opus 4.6" has to be read again by a person."""
    import json

    sys.path.insert(0, str(ROOT))
    from helpers.models import model_info

    dropped = [m for m in old.values() if m not in new.values()]
    words = [w for m in dropped for w in (m, model_info(m).name)]
    found = {}
    for nb in sorted(notebooks.glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        n = sum(any(w in "".join(c["source"]) for w in words) for c in cells if c["cell_type"] == "markdown")
        if n:
            found[nb.stem] = n
    return found


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--opus", default="claude-opus-5-5")
    p.add_argument("--sonnet", default="claude-sonnet-5-5")
    p.add_argument("--haiku", default="claude-haiku-5-5")
    p.add_argument("--assume-min-cacheable", type=int, metavar="TOKENS", help="scratch only: fill unknown minimums")
    p.add_argument("--keep", action="store_true", help="keep the scratch clone and list every failing test")
    p.add_argument("--anyway", action="store_true", help="prove the mechanism although a lesson's premise breaks")
    p.add_argument("--worktree", action="store_true", help="carry uncommitted changes into the scratch clone")
    args = p.parse_args()
    choices = {"OPUS": args.opus, "SONNET": args.sonnet, "HAIKU": args.haiku}
    gaps = missing_facts(choices)
    if args.assume_min_cacheable:
        gaps = [g for g in gaps if "min_cacheable_tokens" not in g]
    if gaps:  # notebook 08 teaches each model's minimum cacheable prefix, 09 its price, ...
        print("fill these in before switching (with the docs page of each fact):\n  " + "\n  ".join(gaps))
        return 1
    premises = broken_premises(choices)
    if premises:
        print("these lessons need rewriting for the new models, not only a re-run:\n  " + "\n  ".join(premises))
        if not args.anyway:
            print("(--anyway proves the mechanism regardless; the course would then replay what the API refuses)")
            return 1
    scratch = Path(tempfile.mkdtemp(prefix="primer-switch-"))
    clone = scratch / "main"
    py = sys.executable
    # The scratch clone's helpers must win over the editable install of this checkout.
    env = dict(os.environ, PYTHONPATH=str(clone), PRIMER_MODE="replay", PRIMER_REPLAY_SPEED="0")
    env.pop("PRIMER_GATEWAY_URL", None)
    try:
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        if args.worktree:
            carried = carry_worktree(clone)
            print(f"carried {len(carried)} uncommitted file(s) into the scratch clone")
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
        # What `make test` checks besides pytest: outputs normalized, contents and quoted costs current.
        # The checks `make test` runs. Kept: each runs even after one fails, and pytest lists every failing test.
        go_on = args.keep
        ok = _run("tools/normalize.py --check", [py, "tools/normalize.py", "--check"], clone, env, go_on=go_on)
        ok &= _run("tools/toc.py --check", [py, "tools/toc.py", "--check"], clone, env, go_on=go_on)
        stop = [] if args.keep else ["-x"]
        tests = [py, "-m", "pytest", "-q", "-rfEs", *stop, "-n", "2", "--dist", "loadfile", "--ignore=tests/browser"]
        tests += ["--nbval", "--nbval-current-env", "--nbval-sanitize-with", "tests/sanitize.cfg", "tests", "notebooks"]
        ok &= _run("unit tests and nbval", tests, clone, env, go_on=go_on)
        sys.path.insert(0, str(ROOT))
        import helpers.models as before

        old = {"OPUS": before.OPUS, "SONNET": before.SONNET, "HAIKU": before.HAIKU}
        prose = prose_to_review(clone / "notebooks", old, choices)
        if prose:
            print(
                "prose to read again (markdown cells naming a dropped model): "
                + ", ".join(f"{nb} {n}" for nb, n in prose.items())
            )
        if not ok:
            print("the switch is not yet a one-line change: see the failures above")
            return 1
        print("the switch is a one-line change per model: every test passed")
        return 0
    finally:
        if args.keep:
            print(f"kept {clone}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())

"""`make site`: the whole course as a static JupyterLite site in site/, replay only, nothing to install.

Pyodide's runtime comes from the npm package `pyodide` (no package wheels in it); every Python package the
course needs comes from the package index as a wheel for Pyodide's platform (pydantic_core and jiter have
wasm wheels, the rest is pure Python), plus `helpers` as a wheel that also holds the recordings and the
notebooks' data files. The site's Pyodide lock lists exactly those wheels (sha256 recomputed) and the
kernel loads all of them at start, with piplite's PyPI fallback off: the site requests nothing from any
host but its own. Downloads come from pip's and npm's caches after the first build; the build itself runs
`jupyter lite build` from `.venv/site` (requirements/site.txt) into a fresh folder that replaces site/.

    python tools/site/build.py [--out site] [--jupyter .venv/site/bin/jupyter]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from email.parser import Parser
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

__all__ = ["build", "PYODIDE_VERSION", "ROOTS"]

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PYODIDE_VERSION = "314.0.8"  # Python 3.14, ABI pyemscripten_2026_0
PLATFORM = "pyemscripten_2026_0_wasm32"
PY_VERSION = "3.14"
# What a kernel of the site imports: the kernel's own packages, widgets, the SDK and the course's helpers.
# httpx2 on emscripten imports httpx2_jsfetch, which pip on Linux does not pick by itself (a marker).
ROOTS = (
    "micropip", "piplite", "ipykernel", "pyodide-kernel", "comm", "jedi", "ipython", "widgetsnbextension",
    "ipywidgets", "claude-api-primer", "anthropic", "python-dotenv", "filelock", "httpx2-jsfetch", "mistune",
    "jsonschema",
)
# jsonschema for notebook 04 (its exercise's check, safe_run_tool, the contact's validation): from 4.18 on it
# needs rpds-py, which has no wheel for Pyodide on the index; requirements/course.in locks 4.17 (pure Python:
# attrs, pyrsistent) for emscripten, with the same Draft202012Validator, messages and errors the lesson uses.
# Downloaded from the index, with what they need, at the versions requirements.txt locks for Pyodide's platform.
INDEX_REQUIREMENTS = ("micropip", "ipython", "jedi", "comm", "ipywidgets", "mistune", "httpx2-jsfetch", "jsonschema")
INDEX_ROOTS = ("anthropic", "python-dotenv", "filelock", *INDEX_REQUIREMENTS)
# What the kernel itself needs, and nothing of the course's: a stock site (tools/site/bench.py measures one).
KERNEL_ROOTS = ("micropip", "piplite", "ipykernel", "pyodide-kernel", "comm", "jedi", "ipython", "widgetsnbextension")
# Not shipped: the JupyterLab side of widgets is already in the site (jupyterlab_widgets' labextension),
# and pyodide-kernel provides its own widgetsnbextension stand-in.
DROPPED = {"jupyterlab-widgets"}
EMSCRIPTEN = {
    "sys_platform": "emscripten", "platform_system": "Emscripten", "os_name": "posix",
    "platform_machine": "wasm32", "python_version": PY_VERSION, "python_full_version": "3.14.2",
    "implementation_name": "cpython", "platform_python_implementation": "CPython", "extra": "",
}
KERNEL = "@jupyterlite/pyodide-kernel-extension:kernel"  # the kernel's settings in jupyter-lite.json
CACHE = ROOT / ".primer" / "site-build"  # git-ignored; pip's and npm's caches make a fresh clone's build quick
TGZ = CACHE / f"pyodide-{PYODIDE_VERSION}.tgz"  # the npm package, as `npm pack` writes it


def _run(cmd: list[str], **kw: object) -> None:
    subprocess.run(cmd, check=True, **kw)  # noqa: S603 - fixed argument lists


def pyodide_core(dest: Path) -> Path:
    """The npm package's files (wasm, stdlib, pyodide.mjs, the stock lock) extracted under `dest`."""
    tgz = TGZ
    if not tgz.is_file():
        CACHE.mkdir(parents=True, exist_ok=True)
        npm = shutil.which("npm")
        if npm is None:
            sys.exit("make site needs npm (Debian: apt-get install npm) to fetch Pyodide from the npm registry.")
        _run([npm, "pack", f"pyodide@{PYODIDE_VERSION}", "--prefer-offline", "--silent",
              "--pack-destination", str(CACHE)], stdout=subprocess.DEVNULL)
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tgz) as tar:
        for m in tar.getmembers():
            name = m.name.removeprefix("package/")
            if not m.isfile() or "/" in name or name.endswith((".map", ".d.ts", ".html", ".md")):
                continue  # console pages, typings and source maps: not needed to run
            with tar.extractfile(m) as src, open(dest / name, "wb") as out:  # type: ignore[union-attr]
                shutil.copyfileobj(src, out)
    return dest


def _lock_pins() -> list[str]:
    """name==version for every package the learner's lock (requirements.txt) names for Pyodide's platform, so
    the browser runs the versions nbval runs, and a new release on the index changes nothing."""
    pins = []
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        requirement, _, _ = line.partition("#")
        if "==" in requirement and not requirement.startswith("-"):
            req = Requirement(requirement.strip())
            if req.marker is None or req.marker.evaluate(EMSCRIPTEN):
                pins.append(f"{req.name}{req.specifier}")
    return pins


def index_wheels(dest: Path, provided: set[str], roots: tuple[str, ...] = INDEX_ROOTS) -> list[Path]:
    """A wheel for Pyodide's platform of every package the site needs that the kernel does not bring
    (`provided`), at the version requirements.txt locks for emscripten (`_lock_pins`), through pip's cache.

    pip evaluates a dependency's markers for the machine it runs on, never for `--platform` (it would ask for
    psutil, which ipython needs everywhere but in Pyodide), so each wheel is fetched without its dependencies
    and the closure is walked here, from the wheels' own metadata under Pyodide's markers."""
    dest.mkdir(parents=True, exist_ok=True)
    pins = {canonicalize_name(Requirement(p).name): p for p in _lock_pins()}
    seen, found = set(provided), {}
    todo = {canonicalize_name(n) for n in roots}
    while todo - seen:
        batch = sorted(todo - seen)
        seen |= set(batch)
        unlocked = [n for n in batch if n not in pins]
        if unlocked:
            raise SystemExit(f"make site: requirements.txt locks no version of {', '.join(unlocked)} for Pyodide; add "
                             "it to requirements/course.in (with a sys_platform == 'emscripten' marker) and make lock")
        done = subprocess.run(  # noqa: S603 - a fixed argument list
            [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
             "--only-binary=:all:", "--platform", PLATFORM, "--python-version", PY_VERSION, "--implementation", "cp",
             "-d", str(dest), *(pins[n] for n in batch)], capture_output=True, text=True)
        if done.returncode:
            sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
            raise SystemExit("make site: pip could not download the wheels for Pyodide (its output is above)")
        on_disk = {}
        for whl in dest.glob("*.whl"):
            name, version, _, _ = parse_wheel_filename(whl.name)
            on_disk[(name, str(version))] = whl
        todo = set()
        for n in batch:
            whl = on_disk[(n, pins[n].split("==", 1)[1])]
            found[n] = whl
            todo |= set(_metadata(whl)[2])
    return sorted(found.values())


def helpers_wheel(dest: Path) -> Path:
    """`helpers` as a wheel, with notebooks/recordings and notebooks/data beside it in site-packages, so
    helpers.config finds them where it looks (REPO_ROOT/notebooks) without a setting."""
    version = "0.1.0"
    dist = f"claude_api_primer-{version}"
    files: list[tuple[str, bytes]] = []
    for p in sorted((ROOT / "helpers").rglob("*.py")):
        files.append((p.relative_to(ROOT).as_posix(), p.read_bytes()))
    # What notebooks read beside the recordings: 00 shows .gitignore and .env.example, 10 scans its own stored notebook.
    for dotfile in (".gitignore", ".env.example"):  # .env.example holds no key, only its placeholder line
        files.append((dotfile, (ROOT / dotfile).read_bytes()))
    for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        files.append((nb.relative_to(ROOT).as_posix(), nb.read_bytes()))
    for folder in ("recordings", "data"):
        for p in sorted((ROOT / "notebooks" / folder).iterdir()):
            if p.is_file() and p.suffix in (".json", ".txt", ".png", ".jpg", ".pdf"):
                files.append((p.relative_to(ROOT).as_posix(), p.read_bytes()))
    files.append(("notebooks/stored_figures.json", stored_figures().encode("utf-8")))
    meta = (
        "Metadata-Version: 2.1\nName: claude-api-primer\nVersion: 0.1.0\n"
        "Requires-Dist: anthropic\nRequires-Dist: python-dotenv\nRequires-Dist: filelock\n"
    )
    files.append((f"{dist}.dist-info/METADATA", meta.encode()))
    files.append((f"{dist}.dist-info/WHEEL", b"Wheel-Version: 1.0\nGenerator: tools/site/build.py\n"
                                             b"Root-Is-Purelib: true\nTag: py3-none-any\n"))
    files.append((f"{dist}.dist-info/top_level.txt", b"helpers\n"))
    record = []
    for name, data in files:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append(f"{dist}.dist-info/RECORD,,")
    files.append((f"{dist}.dist-info/RECORD", ("\n".join(record) + "\n").encode()))
    out = dest / f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))  # reproducible
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return out


def stored_figures() -> str:
    """{sha256 of a code cell's source: [its stored PNG outputs]} over every notebook: a cell that cannot
    draw in the browser (no matplotlib) shows the figure stored with the notebook, said to be the stored one."""
    table: dict[str, list[str]] = {}
    for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "code":
                continue
            pngs = [o["data"]["image/png"] for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
            if pngs:
                source = "".join(cell["source"]).rstrip()  # as helpers.inbrowser looks it up
                table[hashlib.sha256(source.encode("utf-8")).hexdigest()] = [
                    p if isinstance(p, str) else "".join(p) for p in pngs
                ]
    return json.dumps(table, sort_keys=True)


def _metadata(whl: Path) -> tuple[str, str, list[str], list[str]]:
    """(name, version, dependencies under emscripten markers, top-level import names) of a wheel."""
    with zipfile.ZipFile(whl) as z:
        names = z.namelist()
        meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(z.read(meta_name).decode("utf-8"))
        tops = {n.split("/", 1)[0] for n in names if "/" in n and ".dist-info" not in n.split("/", 1)[0]}
        tops |= {n[:-3] for n in names if "/" not in n and n.endswith(".py")}
    deps = []
    for raw in meta.get_all("Requires-Dist") or []:
        req = Requirement(raw)
        if req.marker is None or Marker(str(req.marker)).evaluate(EMSCRIPTEN):
            deps.append(canonicalize_name(req.name))
    imports = sorted(t for t in tops if t.isidentifier() and not t.endswith(".data"))
    return canonicalize_name(meta["Name"]), meta["Version"], deps, imports


def write_lock(stock_lock: Path, wheels: list[Path], out_dir: Path, roots: tuple[str, ...] = ROOTS) -> list[str]:
    """Replace Pyodide's lock with one listing only the wheels reachable from ROOTS (copied into `out_dir`);
    returns the package names, for the kernel to load at start."""
    info = {}
    for whl in wheels:
        name, version, deps, imports = _metadata(whl)
        if name not in DROPPED:
            info.setdefault(name, (whl, version, deps, imports))  # the first wins: kernel stand-ins go first
    keep: list[str] = []
    todo = list(roots)
    while todo:
        name = canonicalize_name(todo.pop())
        if name in keep or name in DROPPED:
            continue
        if name not in info:
            raise SystemExit(f"make site: {name} is needed in the browser but no wheel for it was found")
        keep.append(name)
        todo.extend(info[name][2])
    lock = json.loads(stock_lock.read_text())
    packages = {}
    for name in sorted(keep):
        whl, version, deps, imports = info[name]
        shutil.copy(whl, out_dir / whl.name)
        packages[name] = {
            "name": name, "version": version, "file_name": whl.name, "install_dir": "site",
            "sha256": hashlib.sha256(whl.read_bytes()).hexdigest(), "package_type": "package",
            "imports": imports, "depends": sorted(d for d in set(deps) if d in keep),
            "unvendored_tests": False, "shared_library": False,
        }
    lock["packages"] = packages
    (out_dir / "pyodide-lock.json").write_text(json.dumps(lock, indent=1, sort_keys=True) + "\n")
    return sorted(keep)


def lite_config(packages: list[str]) -> dict:
    """tools/site/jupyter-lite.json with the kernel's packages filled in and the local Pyodide pinned."""
    config = json.loads((HERE / "jupyter-lite.json").read_text())
    kernel = config["jupyter-config-data"]["litePluginSettings"][KERNEL]
    kernel["loadPyodideOptions"]["packages"] = packages
    return config


def build(out: Path, jupyter: Path) -> dict[str, float]:
    """Build the site into a fresh folder and swap it in for `out`; returns timings of the steps."""
    times: dict[str, float] = {}
    t0 = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="site-", dir=CACHE.parent if CACHE.parent.is_dir() else None))
    try:
        lite = work / "lite"
        pyodide_dir = pyodide_core(lite / "static" / "pyodide")
        times["pyodide"] = time.monotonic() - t0
        ext = jupyter.parent.parent / "share/jupyter/labextensions/@jupyterlite/pyodide-kernel-extension"
        kernel_pypi = sorted((ext / "static" / "pypi").glob("*.whl"))
        kernel_pypi = [w for w in kernel_pypi if not w.name.startswith("widgetsnbextension-3.")]
        if not kernel_pypi:
            raise SystemExit(f"make site: no pyodide-kernel wheels under {ext} (is requirements/site.txt installed?)")
        wheels = index_wheels(CACHE / "wheels", {parse_wheel_filename(w.name)[0] for w in kernel_pypi} | DROPPED)
        times["wheels"] = time.monotonic() - t0 - sum(times.values())
        own = helpers_wheel(work)
        packages = write_lock(pyodide_dir / "pyodide-lock.json", [*kernel_pypi, own, *wheels], pyodide_dir)
        (lite / "jupyter-lite.json").write_text(json.dumps(lite_config(packages), indent=2) + "\n")
        content = work / "content"
        content.mkdir()
        for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
            (content / nb.name).write_text(site_notebook(nb), encoding="utf-8")
        shutil.copytree(ROOT / "notebooks" / "data", content / "data")
        built = work / "site"
        log = open(work / "lite-build.log", "w")  # doit's task list: shown only when the build fails
        try:
            _run([str(jupyter), "lite", "build", "--lite-dir", str(lite), "--contents", str(content),
                  "--output-dir", str(built), "--apps", "lab", "--apps", "notebooks", "--no-sourcemaps",
                  "--no-unused-shared-packages"], cwd=work, stdout=log, stderr=subprocess.STDOUT)
        except subprocess.CalledProcessError:
            log.close()
            sys.stderr.write((work / "lite-build.log").read_text()[-4000:])
            raise SystemExit("make site: jupyter lite build failed (its log is above)") from None
        log.close()
        times["jupyter lite build"] = time.monotonic() - t0 - sum(times.values())
        honour_stop_on_error(built)
        add_startup_note(built)
        check_site(built, packages)
        if out.exists():
            shutil.rmtree(out)
        shutil.move(str(built), str(out))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    times["total"] = time.monotonic() - t0
    return times


# Notebook 00 tells a learner to make a .env and go live, which a page cannot do: its copy in the site gets
# this note before the first Markdown cell that mentions .env (the notebook in git is unchanged).
BROWSER_NOTE_00 = (
    "> **In the browser edition** there is no `.env`, no key and no live mode: this page replays the course's "
    "recordings and nothing reaches the API. The key, `.env` and going-live steps below are for the course on "
    "your computer (README, Set-up); here, read them and run the cells as they are."
)


def _joined(value: object) -> object:
    return "".join(value) if isinstance(value, list) else value


def site_notebook(path: Path) -> str:
    """A notebook as the site serves it: as in git, with multi-line strings joined and notebook 00's
    BROWSER_NOTE_00. git stores text as a list of lines (nbformat allows both); JupyterLab's server joins
    them, JupyterLite does not, and a stored output's lines then show with a comma at each line's start."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        cell["source"] = _joined(cell["source"])
        for out in cell.get("outputs", []):
            if "text" in out:
                out["text"] = _joined(out["text"])
            for mime, value in out.get("data", {}).items():
                if not mime.endswith("json"):  # a JSON output's list is its value, not lines
                    out["data"][mime] = _joined(value)
    if not path.name.startswith("00_"):
        return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    at = next((i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "markdown" and ".env" in "".join(c["source"])),
              None)
    if at is None:
        raise SystemExit(f"make site: {path.name} no longer mentions .env: update BROWSER_NOTE_00 in tools/site")
    nb["cells"].insert(at, {"cell_type": "markdown", "id": "browser-note", "metadata": {}, "source": BROWSER_NOTE_00})
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


# The kernel takes about 10 s to start in a page (Pyodide and the course's packages load first), while
# JupyterLab shows only "Python (Pyodide) | Unknown". A note above that status bar says what is happening
# and goes away once the open notebook's kernel is idle.
STARTUP_NOTE = (
    '<div id="primer-starting" role="status" style="position:fixed;bottom:30px;right:16px;max-width:420px;'
    'z-index:10000;padding:6px 14px;font:14px sans-serif;background:#fff8c5;color:#1f2328;'
    'border:1px solid #d4a72c;border-radius:6px">Starting Python in your browser: about 10 seconds the '
    "first time, nothing to install. Cells run once the kernel shows Idle.</div>\n"
    "<script>(function () { var note = document.getElementById('primer-starting');"
    " var t = setInterval(function () { var app = window.jupyterapp, w = app && app.shell.currentWidget;"
    " var k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;"
    " if ((k && k.status === 'idle') || (w && !w.sessionContext)) {"
    " note.remove(); clearInterval(t); } }, 300); })();</script>\n"
)


def add_startup_note(site: Path) -> None:
    """Put STARTUP_NOTE into the lab and notebooks pages, before their one closing body tag."""
    for page in (site / "lab" / "index.html", site / "notebooks" / "index.html"):
        html = page.read_text(encoding="utf-8")
        if html.count("</body>") != 1:
            raise SystemExit(f"make site: {page.relative_to(site)} has {html.count('</body>')} </body> tags, not 1")
        page.write_text(html.replace("</body>", STARTUP_NOTE + "</body>"), encoding="utf-8")


# JupyterLite 0.8's kernel service cancels every queued cell after any error reply (jupyterlite#1671), even
# for a request sent with stop_on_error false, which is how JupyterLab runs a cell tagged raises-exception.
# So Run All stopped at each cell that fails on purpose. Two edits to the built bundle make it as JupyterLab:
# the reply to such a request says so in its metadata, and the service cancels only when it does not.
STOP_ON_ERROR_PATCHES = (
    ('content:s});this._sendMessage(n)}async _complete(',
     'content:s,metadata:!1===t.stop_on_error?{stop_on_error:!1}:{}});this._sendMessage(n)}async _complete('),
    ('"execute_reply"===e.header.msg_type&&"error"===e.content.status&&"interrupt"!==e.metadata.cause&&',
     '"execute_reply"===e.header.msg_type&&"error"===e.content.status&&"interrupt"!==e.metadata.cause&&'
     '!1!==e.metadata.stop_on_error&&'),
)


def honour_stop_on_error(site: Path) -> None:
    """Apply STOP_ON_ERROR_PATCHES to the built site, each exactly once, or fail naming what is missing."""
    for old, new in STOP_ON_ERROR_PATCHES:
        hits = [f for f in sorted((site / "build").glob("*.js")) if old in f.read_text(encoding="utf-8")]
        count = sum(f.read_text(encoding="utf-8").count(old) for f in hits)
        if count != 1:
            raise SystemExit(f"make site: the raises-exception fix expects {old[:60]!r}... once in site/build/*.js, "
                             f"found {count}; JupyterLite changed: see jupyterlite#1671, update tools/site/build.py")
        hits[0].write_text(hits[0].read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def check_site(site: Path, packages: list[str]) -> None:
    """Fail the build when the kernel's settings point anywhere but this site (a CDN fallback), or the lock
    names a file elsewhere than this site."""
    config = json.loads((site / "jupyter-lite.json").read_text())
    kernel = config["jupyter-config-data"]["litePluginSettings"][KERNEL]
    url = kernel.get("pyodideUrl", "")
    if not url.startswith("./") or not (site / url).is_file():
        raise SystemExit(f"make site: pyodideUrl is {url!r}, not this site's copy of Pyodide")
    if not kernel.get("disablePyPIFallback"):
        raise SystemExit("make site: piplite's PyPI fallback must be off")
    lock = json.loads((site / Path(url).parent / "pyodide-lock.json").read_text())
    unlisted = [p for p in packages if p not in lock["packages"]]
    if unlisted:
        raise SystemExit(f"make site: the kernel loads {', '.join(unlisted)} at start, which the lock lacks")
    for name, entry in sorted(lock["packages"].items()):
        if "://" in entry["file_name"]:
            raise SystemExit(f"make site: the lock fetches {name} from {entry['file_name']}")
        if not (site / Path(url).parent / entry["file_name"]).is_file():
            raise SystemExit(f"make site: the lock lists {entry['file_name']}, which the site lacks")


def size_of(site: Path) -> int:
    return sum(p.stat().st_size for p in site.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "site")
    ap.add_argument("--jupyter", type=Path, default=ROOT / ".venv" / "site" / "bin" / "jupyter")
    args = ap.parse_args(argv)
    # the build runs in a temporary folder, so the paths are made absolute first
    times = build(args.out.absolute(), args.jupyter.absolute())
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in times.items())
    print(f"site: {args.out} ({size_of(args.out) / 1e6:.1f} MB); {steps}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Check captures against the SDK: `python -m helpers.gateway check FOLDER...`.

Imports every capture in the folders (vcrpy / pytest-recording / Ruby VCR cassettes, HAR files, course
recordings), serves each through the course gateway, and makes every recorded request again with the
installed SDK's own calls (`messages.create`, `messages.stream`, `count_tokens`, `batches.*`, `models.*`),
in recorded order. Prints one line per mismatch (a capture that does not import, a status other than the
recorded one, an answer the SDK reads differently), then one summary line. This is the check a learner runs
to test their own app's recorded traffic against the SDK they have installed.

Exit status: 0 when every exchange replays as recorded, 1 when some do not, 2 when nothing could be read.
"""

from __future__ import annotations

import inspect
import json
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .interop import InteropError, import_har, import_vcr
from .recordings import Exchange, Recording, RecordingError, load_recording

__all__ = ["check", "CAPTURE_SUFFIXES"]

CAPTURE_SUFFIXES = (".yaml", ".yml", ".har", ".json")


def _files(folders: Iterable[str | Path]) -> list[Path]:
    out: list[Path] = []
    for folder in map(Path, folders):
        if folder.is_file():
            out.append(folder)
        elif folder.is_dir():
            out += sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in CAPTURE_SUFFIXES)
        else:
            raise FileNotFoundError(2, "no such file or folder", str(folder))
    return out


def _load(path: Path, tmp: Path) -> Recording:
    """A capture as a course recording (imported into `tmp` first unless it is one already)."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        return load_recording(path)
    folder = tmp / str(len(list(tmp.iterdir())))  # one folder per capture: two may share a name
    folder.mkdir()
    out = folder / f"{path.stem}.json"
    (import_har if suffix == ".har" else import_vcr)(path, out)
    return load_recording(out)


def _split(fn: Any, body: dict[str, Any]) -> dict[str, Any]:
    """The body as keyword arguments of an SDK method; fields it has no parameter for go in extra_body."""
    params = inspect.signature(fn).parameters
    kwargs = {k: v for k, v in body.items() if k in params and k not in ("extra_body", "extra_headers", "timeout")}
    extra = {k: v for k, v in body.items() if k not in kwargs}
    if extra:
        kwargs["extra_body"] = extra
    return kwargs


def _blocks(ex: Exchange) -> list[str]:
    """The content block types a recorded message answer holds (from its body or its stream)."""
    r = ex.response
    if r.events is not None:
        return [
            ev["data"]["content_block"].get("type", "")
            for ev in r.events
            if isinstance(ev.get("data"), dict) and ev["data"].get("type") == "content_block_start"
        ]
    content = r.body.get("content") if isinstance(r.body, dict) else None
    return [b.get("type", "") for b in content or [] if isinstance(b, dict)]


def _message_id(ex: Exchange) -> str | None:
    r = ex.response
    if r.events is not None:
        for ev in r.events:
            data = ev.get("data")
            if isinstance(data, dict) and data.get("type") == "message_start":
                return (data.get("message") or {}).get("id")
        return None
    return r.body.get("id") if isinstance(r.body, dict) else None


def _call(client: Any, ex: Exchange, batches_seen: set[str]) -> str | None:
    """Make the exchange's request with the SDK's own call; a mismatch in words, or None."""
    method, path, body = ex.request.method, ex.request.path, ex.request.body
    route = urlsplit(path).path.rstrip("/")
    query = dict(parse_qsl(urlsplit(path).query))
    query.pop("beta", None)  # SDK 2.x sends beta calls to the plain path
    body = body if isinstance(body, dict) else {}
    parts = route.split("/")[1:]  # v1, messages, batches, <id>, results
    batches = client.messages.batches
    if method == "POST" and route == "/v1/messages":
        if body.get("stream") is True:
            args = _split(client.messages.stream, {k: v for k, v in body.items() if k != "stream"})
            with client.messages.stream(**args) as stream:
                msg = stream.get_final_message()
        else:
            msg = client.messages.create(**_split(client.messages.create, body))
        got_types = [b.type for b in msg.content]
        if msg.id != _message_id(ex):
            return f"the SDK's message id is {msg.id!r}, recorded {_message_id(ex)!r}"
        if got_types != _blocks(ex):
            return f"the SDK's content blocks are {got_types}, recorded {_blocks(ex)}"
        return None
    if method == "POST" and route == "/v1/messages/count_tokens":
        got = client.messages.count_tokens(**_split(client.messages.count_tokens, body))
        want = ex.response.body.get("input_tokens") if isinstance(ex.response.body, dict) else None
        return None if got.input_tokens == want else f"the SDK counts {got.input_tokens} tokens, recorded {want}"
    if route == "/v1/messages/batches" and method == "POST":
        got = batches.create(**_split(batches.create, body))
    elif route == "/v1/messages/batches" and method == "GET":
        got = batches.list(**{k: v for k, v in query.items()})
        want = ex.response.body.get("data") if isinstance(ex.response.body, dict) else None
        n = len(got.data)
        return None if isinstance(want, list) and n == len(want) else f"the SDK lists {n} batch(es), recorded {want}"
    elif parts[:3] == ["v1", "messages", "batches"] and len(parts) == 4 and method == "GET":
        got = batches.retrieve(parts[3])
        batches_seen.add(parts[3])
    elif parts[:3] == ["v1", "messages", "batches"] and len(parts) == 4 and method == "DELETE":
        got = batches.delete(parts[3])
    elif parts[:3] == ["v1", "messages", "batches"] and parts[4:] == ["cancel"] and method == "POST":
        got = batches.cancel(parts[3])
    elif parts[:3] == ["v1", "messages", "batches"] and parts[4:] == ["results"] and method == "GET":
        if parts[3] in batches_seen:  # results() retrieves the batch first, for its results_url
            lines = list(batches.results(parts[3]))
        else:  # a capture of the results call alone: the same GET through the client, read as the SDK's type
            from anthropic.types.messages import MessageBatchIndividualResponse

            text = client.get(path, cast_to=str, options={"headers": {"Accept": "application/binary"}})
            lines = [MessageBatchIndividualResponse.model_validate(json.loads(t)) for t in text.splitlines() if t]
        want = [line.get("custom_id") for line in ex.response.lines or [] if isinstance(line, dict)]
        got_ids = [line.custom_id for line in lines]
        return None if got_ids == want else f"the SDK reads results {got_ids}, recorded {want}"
    elif route == "/v1/models" and method == "GET":
        got = client.models.list(**query)
        return None
    elif parts[:2] == ["v1", "models"] and len(parts) == 3 and method == "GET":
        got = client.models.retrieve(parts[2])
    else:
        call = {"GET": client.get, "POST": client.post, "DELETE": client.delete}[method]
        opts: dict[str, Any] = {"body": ex.request.body} if method == "POST" else {}
        call(path, cast_to=object, **opts)
        return None
    want_id = ex.response.body.get("id") if isinstance(ex.response.body, dict) else None
    got_id = getattr(got, "id", None)
    return None if got_id == want_id else f"the SDK reads id {got_id!r}, recorded {want_id!r}"


def _replay(rec: Recording, name: str) -> tuple[int, list[str]]:
    """Every exchange of one recording through a gateway and the SDK: (exchanges, mismatch lines)."""
    import anthropic

    from .server import Gateway

    problems: list[str] = []
    seen: set[str] = set()
    with Gateway([rec], speed=0).start() as gw:
        # timeout given: the SDK then skips its "streaming is required" estimate for a large max_tokens
        client = anthropic.Anthropic(base_url=gw.url, api_key="check", max_retries=0, timeout=30)
        for ex in rec.exchanges:
            where = f"{name}: exchange {ex.index} ({ex.request.method} {ex.request.path.split('?')[0]})"
            want = ex.response.status
            try:
                problem = _call(client, ex, seen)
                status = want if problem is None else None
                if problem is None and not 200 <= want < 300:
                    problem, status = f"the SDK got an answer, recorded status {want}", 200
            except anthropic.APIStatusError as e:
                status, problem = e.status_code, None
                if status != want:
                    why = e.message or ""
                    if "is not in the recording" in why:  # a replay miss: what differs is what matters
                        why = "the SDK's request is not the recorded one: " + why.partition("Closest: ")[2].split(
                            " Replay answers only"
                        )[0]
                    problem = f"status {status} ({_first_line(why, 240)}), recorded {want}"
            except anthropic.APIError as e:
                problem = f"{type(e).__name__}: {_first_line(str(e))}"
            except Exception as e:  # the SDK failing to read a recorded answer is what this check reports
                problem = f"the SDK raised {type(e).__name__}: {_first_line(str(e))}"
            if problem:
                problems.append(f"{where}: {problem}")
        problems += [f"{name}: gateway: {c}" for c in gw.crashes]
    return len(rec.exchanges), problems


def _first_line(text: str, limit: int = 160) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."


def check(folders: Iterable[str | Path], out: Any = print) -> int:
    """Run the check; `out` receives each line. Returns the exit status."""
    files = _files(folders)
    if not files:
        out("no captures (*.yaml, *.yml, *.har, *.json) found")
        return 2
    exchanges = mismatches = imported = 0
    with tempfile.TemporaryDirectory(prefix="primer-check-") as tmp:
        for path in files:
            try:
                rec = _load(path, Path(tmp))
            except (InteropError, RecordingError) as e:
                why = str(e).removeprefix(f"{path.name}: ").removeprefix(f"{path}: ")
                out(f"{path.name}: not imported: {why}")
                mismatches += 1
                continue
            imported += 1
            n, problems = _replay(rec, path.name)
            exchanges += n
            mismatches += len(problems)
            for line in problems:
                out(line)
    out(
        f"checked {exchanges} exchange(s) from {imported} of {len(files)} capture(s) with anthropic "
        f"{_sdk_version()}: {mismatches} mismatch(es)"
    )
    return 0 if mismatches == 0 else 1 if imported else 2


def _sdk_version() -> str:
    import anthropic

    return str(anthropic.__version__)

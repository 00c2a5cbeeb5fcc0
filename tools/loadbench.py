"""Load benchmark: many clients replaying the streaming notebook's request against one standalone gateway.

    python tools/loadbench.py [--clients 100] [--speeds 0 1] [--slow 10]

Starts `python -m helpers.gateway` on loopback, then for each speed opens --clients concurrent
connections (an asyncio client, so the load generator itself stays light), each sending the primer's
streaming request from notebooks/recordings/05_streaming.json. Alongside them, --slow clients send the
same request and never read, and as many again vanish right after sending: the others must not notice.
Prints errors, p50/p99 time to first byte and total time. Target: 0 errors and p99 time to first byte
at most 50 ms at speed 0 on a 2-core machine. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpers.gateway.recordings import load_recording  # noqa: E402


def streaming_body() -> bytes:
    rec = load_recording(ROOT / "notebooks" / "recordings" / "05_streaming.json")
    first = next(ex for ex in rec.exchanges if ex.response.kind == "sse")
    return json.dumps(first.request.body).encode()


def request_bytes(port: int, body: bytes) -> bytes:
    head = (
        f"POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"x-api-key: bench\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def source(i: int) -> tuple[str, int]:
    """A loopback source address per client: each is a separate participant with its own replay position."""
    return (f"127.0.{1 + i // 250}.{1 + i % 250}", 0)


async def one(port: int, payload: bytes, i: int) -> tuple[float, float]:
    start = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=source(i))
    writer.write(payload)
    await writer.drain()
    first = await reader.read(1)
    if not first:
        raise ConnectionError("closed before answering")
    ttfb = time.perf_counter() - start
    data = first + await reader.readuntil(b"\r\n\r\n")
    if not data.startswith(b"HTTP/1.1 200"):
        raise ConnectionError(data.split(b"\r\n", 1)[0].decode())
    while not data.endswith(b"0\r\n\r\n"):
        chunk = await reader.read(65536)
        if not chunk:
            raise ConnectionError("stream cut short")
        data += chunk
    if b"event: message_stop" not in data:
        raise ConnectionError("no message_stop")
    writer.close()
    return ttfb, time.perf_counter() - start


async def misbehave(port: int, payload: bytes, vanish: bool, i: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=source(i))
    writer.write(payload)
    await writer.drain()
    if vanish:
        writer.transport.abort()
    else:
        await asyncio.sleep(3)  # connected, never reading
        writer.close()


async def round_of(port: int, clients: int, slow: int, payload: bytes) -> tuple[list[tuple[float, float]], list[str]]:
    bad = [misbehave(port, payload, i % 2 == 0, clients + i) for i in range(2 * slow)]
    results = await asyncio.gather(*(one(port, payload, i) for i in range(clients)), *bad, return_exceptions=True)
    good = [r for r in results[:clients] if isinstance(r, tuple)]
    errors = [f"{type(r).__name__}: {r}" for r in results[:clients] if isinstance(r, BaseException)]
    return good, errors


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/loadbench.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--speeds", type=float, nargs="+", default=[0.0, 1.0])
    parser.add_argument("--slow", type=int, default=10, help="clients that never read (and as many that vanish)")
    args = parser.parse_args(argv)
    payload_body = streaming_body()
    print(
        f"{args.clients} concurrent clients + {args.slow} never reading + {args.slow} vanishing; request: "
        f"05_streaming's first streamed request ({len(payload_body)} bytes)"
    )
    for speed in args.speeds:
        proc = subprocess.Popen(
            [sys.executable, "-m", "helpers.gateway", "--port", "0", "--speed", str(speed), "--max-per-client", "0"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            url = proc.stdout.readline().split(" at ")[1].strip()
            port = int(url.rsplit(":", 1)[1])
            payload = request_bytes(port, payload_body)
            asyncio.run(round_of(port, args.clients, 0, payload))  # warm up: a room's gateway has served before
            good, errors = asyncio.run(round_of(port, args.clients, args.slow, payload))
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        if not good:
            print(f"speed {speed:g}: every client failed, e.g. {errors[0]}")
            continue
        ttfb = [g[0] * 1000 for g in good]
        total = [g[1] * 1000 for g in good]
        print(
            f"speed {speed:g}: errors {len(errors)}/{args.clients}; time to first byte p50 {pct(ttfb, 50):.1f} ms, "
            f"p99 {pct(ttfb, 99):.1f} ms; total p50 {pct(total, 50):.0f} ms, p99 {pct(total, 99):.0f} ms, "
            f"mean {statistics.fmean(total):.0f} ms"
        )
        for e in errors[:3]:
            print(f"  error: {e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`python -m helpers.gateway`: serve the course's recordings to this machine or a workshop room.

With no subcommand it serves (--recordings/--host/--room-host/--port/--speed/--max-per-client). The subcommands
`import-vcr`, `import-har` and `export` trade recordings with vcrpy cassettes and HAR files
(`helpers.gateway.interop`). Every failure is one line on stderr and exit status 2; the server itself is
`helpers.gateway.server`.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from .recordings import RecordingError, load_recordings
from .server import Gateway

__all__ = ["main"]


def _lan_address() -> str:
    """This machine's address on its local network (a UDP socket's choice of route; nothing is sent)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))
            return str(s.getsockname()[0])
        except OSError:
            return "<this machine's address>"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _parser() -> _Parser:
    from ..config import RECORDINGS_DIR

    p = _Parser(
        prog="python -m helpers.gateway",
        description="Serve the course's recordings as a stand-in for the Claude API (replay mode).",
    )
    p.add_argument("--recordings", default=str(RECORDINGS_DIR), help="a recording file or a folder of them")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, this machine only)")
    p.add_argument(
        "--room-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a host name participants may use to reach this gateway (repeatable); its addresses always work",
    )
    p.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    p.add_argument(
        "--speed",
        type=float,
        default=None,
        help="stream pacing: 1 as recorded, 0 instant (default: PRIMER_REPLAY_SPEED or 1)",
    )
    p.add_argument(
        "--max-per-client",
        type=int,
        default=64,
        help="connections one address may hold at once (default 64; 0: no cap, for a load test from one machine)",
    )
    sub = p.add_subparsers(dest="command", metavar="{import-vcr,import-har,export,check}")
    for name, what in (("import-vcr", "a vcrpy / pytest-recording cassette (YAML)"), ("import-har", "a HAR 1.2 file")):
        s = sub.add_parser(name, help=f"turn {what} into a course recording", description=f"Import {what}.")
        s.add_argument("source", help="the file to import")
        s.add_argument("--out", required=True, help="the recording to write (JSON)")
    s = sub.add_parser("export", help="write a course recording as a vcrpy cassette and/or a HAR file")
    s.add_argument("recording", help="a course recording (JSON)")
    s.add_argument("--vcr", help="the cassette to write (YAML)")
    s.add_argument("--har", help="the HAR file to write")
    s = sub.add_parser("check", help="replay a folder of captures through the gateway with the installed SDK")
    s.add_argument("folders", nargs="+", help="folders (or files) of cassettes, HAR files or course recordings")
    return p


def _interop(args: argparse.Namespace, prog: str) -> int:
    """The import and export subcommands: a summary line on stdout, or one line on stderr and exit 2."""
    from . import interop

    try:
        if args.command == "import-vcr":
            lines = [interop.import_vcr(args.source, args.out)]
        elif args.command == "import-har":
            lines = [interop.import_har(args.source, args.out)]
        else:
            if not args.vcr and not args.har:
                raise interop.InteropError("export needs --vcr OUT.yaml and/or --har OUT.har")
            lines = [interop.export_vcr(args.recording, args.vcr)] if args.vcr else []
            lines += [interop.export_har(args.recording, args.har)] if args.har else []
    except (interop.InteropError, RecordingError) as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"{prog}: error: {getattr(e, 'filename', '') or ''}: {e.strerror or e}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; every failure is one line on stderr and exit status 2."""
    from ..config import ConfigError, replay_speed

    args = _parser().parse_args(argv)
    prog = "python -m helpers.gateway"
    if args.command == "check":
        from .check import check

        try:
            return check(args.folders)
        except OSError as e:
            print(f"{prog}: error: {getattr(e, 'filename', '') or ''}: {e.strerror or e}", file=sys.stderr)
            return 2
    if args.command:
        return _interop(args, prog)
    try:
        speed = args.speed if args.speed is not None else replay_speed()
        if not 0 <= speed < math.inf:  # the same rule as PRIMER_REPLAY_SPEED
            raise ConfigError(f"--speed must be a number >= 0 (1 = recorded pace, 0 = instant), got {speed}")
        if args.max_per_client < 0:
            raise ConfigError(f"--max-per-client must be >= 0 (0: no cap), got {args.max_per_client}")
        if not 0 <= args.port <= 65535:
            raise ConfigError(f"--port must be between 0 and 65535, got {args.port}")
        recordings = load_recordings(Path(args.recordings))
        gateway = Gateway(
            recordings,
            host=args.host,
            port=args.port,
            speed=speed,
            max_per_client=args.max_per_client,
            room_hosts=args.room_host,
        )
    except (RecordingError, ConfigError) as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"{prog}: error: cannot listen on {args.host}:{args.port} ({e.strerror or e})", file=sys.stderr)
        return 2
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"warning: listening on {args.host}: anyone who can reach this machine can use this gateway.",
            file=sys.stderr,
        )
        if args.host in ("0.0.0.0", ""):
            print(f"Participants set PRIMER_GATEWAY_URL=http://{_lan_address()}:{gateway.port}", file=sys.stderr)
    print(
        f"Course gateway (replay) serving {len(recordings)} recording(s) at {gateway.url}\n"
        f"Point a client at it: export ANTHROPIC_BASE_URL={gateway.url}   (Ctrl-C stops it)\n"
        f'  (PowerShell: $env:ANTHROPIC_BASE_URL = "{gateway.url}")',
        flush=True,
    )
    try:
        gateway.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        gateway._server.server_close()
    return 0

"""The gateway's sockets: a bounded pool of reused worker threads with a per-address cap, and socket reads
that share one deadline (or keep up a minimum rate, for a body), so no slow or greedy client holds the rest."""

from __future__ import annotations

import io
import json
import queue
import socket
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from .answers import GONE, error_body

if TYPE_CHECKING:
    from .handler import Handler
    from .server import Gateway

__all__ = ["Server", "DeadlineReader"]


class Server(ThreadingHTTPServer):
    """Connections are served by a bounded pool of reused daemon threads: no thread is created per request
    once the pool is warm, a room's burst waits in a deep backlog rather than spawning without limit, and a
    slow or vanished client holds one worker (for at most the socket timeout), never the others."""

    daemon_threads = True
    allow_reuse_address = sys.platform != "win32"  # on Windows it would let two gateways share a port
    request_queue_size = 512  # a room of clients connecting at once must not be dropped by a short backlog
    max_threads = 256
    max_per_client = 64  # connections one address may hold at once (0: no cap), so no client starves the rest
    gateway: Gateway

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Before binding: a failed bind calls server_close(), which needs the pool.
        self._slots = threading.BoundedSemaphore(self.max_threads)
        self._jobs: queue.SimpleQueue[tuple[Any, Any] | None] = queue.SimpleQueue()
        self._pool_lock = threading.Lock()
        self._workers = self._idle = self._pending = 0
        self._per_client: dict[str, int] = {}
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        addr = client_address[0]
        with self._pool_lock:
            held = self._per_client.get(addr, 0)
            if self.max_per_client and held >= self.max_per_client:
                full = True
            else:
                full = False
                self._per_client[addr] = held + 1
        if full:
            self._refuse(request)
            return
        self._slots.acquire()  # at most max_threads connections in service; the rest wait in the backlog
        with self._pool_lock:
            self._pending += 1
            grow = self._pending > self._idle and self._workers < self.max_threads
            if grow:
                self._workers += 1
        if grow:
            threading.Thread(target=self._work, name="primer-gateway", daemon=True).start()
        self._jobs.put((request, client_address))

    def _work(self) -> None:
        while True:
            with self._pool_lock:
                self._idle += 1
            job = self._jobs.get()
            with self._pool_lock:
                self._idle -= 1
                if job is None:
                    self._workers -= 1
                    return
                self._pending -= 1
            try:
                self.process_request_thread(*job)
            finally:
                self._slots.release()
                with self._pool_lock:
                    addr = job[1][0]
                    left = self._per_client.get(addr, 1) - 1
                    if left > 0:
                        self._per_client[addr] = left
                    else:
                        self._per_client.pop(addr, None)

    def _refuse(self, request: socket.socket) -> None:
        """Answer a connection over its address's cap at once, from the accept loop, and close it."""
        body = json.dumps(
            error_body(
                "rate_limit_error",
                f"Course gateway: more than {self.max_per_client} connections from your address at once; "
                "close some and retry.",
            )
        ).encode()
        head = (
            "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nretry-after: 1\r\n"
            f"x-should-retry: true\r\nConnection: close\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        try:
            request.settimeout(0.2)  # never let a client that does not read hold the accept loop
            request.sendall(head.encode() + body)
        except OSError:
            pass
        self.shutdown_request(request)

    def server_close(self) -> None:
        super().server_close()
        with self._pool_lock:
            workers = self._workers
        for _ in range(workers):
            self._jobs.put(None)  # idle workers exit; busy ones exit after their connection

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that went away is normal (a notebook cell interrupted); never print into a notebook.
        exc = sys.exc_info()[1]
        if exc is not None and not isinstance(exc, GONE):
            self.gateway._note_crash(exc)


class DeadlineReader(io.RawIOBase):
    """Socket reads that share one deadline: a client sending a byte now and then cannot stretch the
    request line and headers (or the body) beyond it, as a per-read timeout would let it."""

    def __init__(self, sock: socket.socket, handler: Handler):
        self._sock, self._handler = sock, handler

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        h = self._handler
        deadline = h.deadline
        if h.body_rate:  # reading a body: the next byte is due by the time the minimum rate allows
            deadline = min(deadline, h.body_start + h.body_grace + (h.body_got + 1) / h.body_rate)
        left = deadline - time.monotonic()
        # past the deadline, only bytes already here are taken (a busy gateway late to read is not the client's
        # fault); nothing more is waited for
        self._sock.settimeout(min(h.timeout, left) if left > 0 else 0.0)
        try:
            n = self._sock.recv_into(buffer)
        except BlockingIOError:
            raise TimeoutError("the request took too long to arrive") from None
        h.body_got += n
        return n

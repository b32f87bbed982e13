"""A hostile HTTP server on 127.0.0.1 for tests: each route writes its own raw bytes, so it can
lie about lengths and encodings, trickle a byte every so often, or redirect forever."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import IO

Answer = Callable[[IO[bytes]], None]


def plain(body: bytes, *, status: str = "200 OK", headers: dict[str, str] | None = None,
          length: bool = True) -> Answer:
    def answer(out: IO[bytes]) -> None:
        head = [f"HTTP/1.1 {status}", "Connection: close"]
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if length:
            head.append(f"Content-Length: {len(body)}")
        out.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
    return answer


def trickle(data: bytes, *, every: float, stop: threading.Event) -> Answer:
    """``data`` (headers included) one byte every ``every`` seconds, until the client hangs up
    or ``stop`` is set."""
    def answer(out: IO[bytes]) -> None:
        for i in range(len(data)):
            if stop.wait(every):
                return
            out.write(data[i:i + 1])
            out.flush()
    return answer


class HostileServer:
    def __init__(self) -> None:
        self.routes: dict[str, Answer] = {}
        self.hits: list[str] = []
        self.stop_event = threading.Event()
        server = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                line = self.rfile.readline(65536).decode("latin-1")
                while self.rfile.readline(65536) not in (b"\r\n", b"\n", b""):
                    pass
                path = line.split(" ")[1].split("?")[0] if line.count(" ") >= 2 else "/"
                server.hits.append(path)
                answer = server.routes.get(path) or plain(b"no route", status="404 Not Found")
                with suppress(BrokenPipeError, ConnectionResetError):
                    answer(self.wfile)  # type: ignore[arg-type]

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            block_on_close = False
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self) -> HostileServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def hostile_server() -> Iterator[HostileServer]:
    server = HostileServer().start()
    try:
        yield server
    finally:
        server.stop()


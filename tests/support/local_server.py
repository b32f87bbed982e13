"""A scripted HTTP server on 127.0.0.1 for tests: ``http.server`` in a thread.

Routes match a path and, optionally, some query parameters; each route answers its replies in
order (the last one repeats). Every request is recorded (path, query, headers). A reply may be
held at a :class:`Gate` until the test releases it (to look at the app while a request waits).
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


class Gate:
    """Holds the replies that carry it: ``reached`` is set when a request waits here, and
    :meth:`release` lets them all go."""

    def __init__(self, timeout: float = 30.0) -> None:
        self.reached = threading.Event()
        self.released = threading.Event()
        self.timeout = timeout

    def release(self) -> None:
        self.released.set()


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    gate: Gate | None = None

    @classmethod
    def json(cls, data: Any, status: int = 200, **headers: str) -> Reply:
        return cls(status, json.dumps(data).encode(), {"Content-Type": "application/json",
                                                       **headers})

    @classmethod
    def raw(cls, body: bytes | str, content_type: str, status: int = 200, **headers: str
            ) -> Reply:
        data = body.encode() if isinstance(body, str) else body
        return cls(status, data, {"Content-Type": content_type, **headers})

    def held(self, gate: Gate) -> Reply:
        """This reply, sent only once ``gate`` is released."""
        self.gate = gate
        return self


@dataclass
class Route:
    path: str
    query: dict[str, str]
    replies: list[Reply]
    hits: int = 0


@dataclass
class Seen:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


class LocalServer:
    def __init__(self) -> None:
        self.routes: list[Route] = []
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                with server._lock:
                    server.requests.append(Seen(parts.path, query, dict(self.headers)))
                    reply = server._reply(parts.path, query)
                if reply.gate is not None:
                    reply.gate.reached.set()
                    reply.gate.released.wait(reply.gate.timeout)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, *_args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.02}, daemon=True)

    def add(self, path: str, *replies: Reply, **query: str) -> Route:
        route = Route(path, dict(query), list(replies))
        self.routes.append(route)
        return route

    def _reply(self, path: str, query: dict[str, str]) -> Reply:
        for route in self.routes:
            if route.path == path and all(query.get(k) == v for k, v in route.query.items()):
                reply = route.replies[min(route.hits, len(route.replies) - 1)]
                route.hits += 1
                return reply
        return Reply.raw(f"no route for {path}", "text/plain", 404)

    def start(self) -> LocalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]


@contextmanager
def local_server() -> Iterator[LocalServer]:
    server = LocalServer().start()
    try:
        yield server
    finally:
        server.stop()


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (connection refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"

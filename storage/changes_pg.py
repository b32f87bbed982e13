"""Noticing changes to a library on PostgreSQL: ``LISTEN`` as the hint, ``change_log`` as the
truth (see :mod:`storage.search_pg`, which creates both).

A thread of its own holds one connection that listens on ``papershelf_changes``: every commit
that touched the library's tables sends one notice, and the thread raises a flag that
:meth:`PgChangeWatcher.changed` reads and clears (the app asks every second, on its own thread,
and never waits on the network). When the connection is lost (the server restarted, the
network went away) the thread says so in :attr:`PgChangeWatcher.status` and reconnects by
itself, a little less often each time (up to every :data:`RETRY_MAX` seconds); once back, it
compares the change log with what it had seen, so changes committed meanwhile are not missed.
The log is compared every :data:`CHECK_SECONDS` too, so nothing depends on a notice arriving.
"""

from __future__ import annotations

import contextlib
import threading
import time
from datetime import datetime
from typing import Any

from sqlalchemy.engine import make_url

CHANNEL = "papershelf_changes"
RETRY_FIRST = 0.25  # seconds before the first reconnection attempt, doubling each time
RETRY_MAX = 2.0
CHECK_SECONDS = 30.0  # the change log is compared at least this often
CONNECT_TIMEOUT = 3  # seconds (libpq's connect_timeout)


def libpq_url(url: str) -> str:
    """``url`` as libpq takes it (``postgresql+psycopg://`` is SQLAlchemy's spelling)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def shown(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=True)


class PgChangeWatcher:
    """Changes committed to the library at ``url`` by anyone (this process included)."""

    def __init__(self, url: str) -> None:
        self._url = libpq_url(url)
        self._where = shown(url)
        self._flag = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._status: str | None = None
        self._seen: tuple[int, int] | None = None  # (largest id, rows) of change_log
        self._conn: Any = None
        self.reconnects = 0  # connections made after a loss (for tests and the status line)
        # The first state is read here, so that a change committed right after this returns
        # counts as a change (as SQLite's data_version does).
        try:
            self._connect()
        except Exception as err:  # the thread keeps trying
            self._lost(err)
        self._thread = threading.Thread(target=self._run, name="papershelf-changes",
                                        daemon=True)
        self._thread.start()

    # -- what the app reads
    def changed(self) -> bool:
        """Whether anything was committed since the last call (or since this was made)."""
        if self._flag.is_set():
            self._flag.clear()
            return True
        return False

    @property
    def status(self) -> str | None:
        """None while connected; else one line saying the server is unreachable."""
        with self._lock:
            return self._status

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._close_conn()

    # -- the thread
    def _connect(self) -> None:
        import psycopg

        conn = psycopg.connect(self._url, autocommit=True, connect_timeout=CONNECT_TIMEOUT,
                               application_name="papershelf (watching for changes)")
        conn.execute(f"LISTEN {CHANNEL}")
        state = self._log_state(conn)
        if self._seen is not None and state != self._seen or \
                self._seen is None and self.status is not None:
            self._flag.set()  # committed while we were away (the log says so), or unknown
        self._seen = state
        self._conn = conn
        with self._lock:
            self._status = None

    @staticmethod
    def _log_state(conn: Any) -> tuple[int, int]:
        row = conn.execute("SELECT coalesce(max(id), 0), count(*) FROM change_log").fetchone()
        return (int(row[0]), int(row[1]))

    def _lost(self, err: BaseException) -> None:
        self._close_conn()
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        with self._lock:
            if self._status is None:
                since = datetime.now().strftime("%H:%M:%S")
                self._status = (f"library server {self._where} unreachable since {since} "
                                f"({first}); reconnecting...")

    def _close_conn(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # closing a broken connection
                conn.close()

    def _run(self) -> None:
        delay = RETRY_FIRST
        checked = time.monotonic()
        while not self._stop.is_set():
            if self._conn is None:
                if self._stop.wait(delay):
                    return
                try:
                    self._connect()
                except Exception as err:
                    self._lost(err)
                    delay = min(RETRY_MAX, delay * 2)
                    continue
                self.reconnects += 1
                delay = RETRY_FIRST
                checked = time.monotonic()
            try:
                for _notice in self._conn.notifies(timeout=0.5, stop_after=1):
                    self._flag.set()
                if time.monotonic() - checked > CHECK_SECONDS:
                    state = self._log_state(self._conn)
                    if state != self._seen:
                        self._flag.set()
                    self._seen = state
                    checked = time.monotonic()
                elif self._flag.is_set():
                    self._seen = self._log_state(self._conn)
            except Exception as err:
                if self._stop.is_set():
                    return
                self._lost(err)

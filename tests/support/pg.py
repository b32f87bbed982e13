"""A throwaway PostgreSQL server for tests: ``initdb`` + ``pg_ctl`` in a temporary folder, on a
free loopback port, stopped and removed at the end of the session.

One cluster per test process (each xdist worker starts its own, only when a test asks for one),
and a fresh, empty database per test (``pg_url``), so tests never see each other's rows. The
server runs with ``fsync=off``: its data is thrown away anyway, and tests stay fast.

Where the server binaries are absent (a fresh clone without PostgreSQL) the tests that need one
skip, saying why; with ``CI=true`` they fail instead, since CI installs PostgreSQL (``.ci/run``).
We may run as root, which ``initdb`` refuses: then the cluster runs as the ``postgres`` user
(``runuser``), in a folder it owns.

Registered for the whole suite in ``tests/conftest.py`` (``pytest_plugins``). Fixtures:

- ``pg_server`` (session): the running :class:`PgServer`.
- ``pg_url`` (function): the URL of a new empty database on it (``postgresql://...``).
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_VERSIONS = ("15", "16", "17", "14", "13")
RUN_AS = "postgres"  # the system user the cluster runs as when we are root


def find_bin_dir() -> Path | None:
    """The folder with ``initdb``, ``pg_ctl`` and ``postgres``: ``PAPERSHELF_PG_BIN``, then
    Debian's /usr/lib/postgresql/N/bin (15 first), then ``pg_ctl`` on PATH."""
    candidates: list[Path] = []
    if os.environ.get("PAPERSHELF_PG_BIN"):
        candidates.append(Path(os.environ["PAPERSHELF_PG_BIN"]))
    candidates += [Path(f"/usr/lib/postgresql/{v}/bin") for v in PG_VERSIONS]
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    for folder in candidates:
        if all((folder / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PgServer:
    """A running throwaway cluster; :meth:`new_database` hands out empty databases."""

    bin_dir: Path
    folder: Path
    port: int = 0
    user: str = "postgres"
    _names: Iterator[int] = field(default_factory=itertools.count)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def _cmd(self, *args: str) -> list[str]:
        if os.geteuid() == 0:
            return ["runuser", "-u", RUN_AS, "--", *args]
        return list(args)

    def _run(self, *args: str) -> None:
        done = subprocess.run(self._cmd(*args), capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed ({done.returncode}): "
                               f"{(done.stderr or done.stdout).strip()[-2000:]}")

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, user=RUN_AS)
        self._run(str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", self.user,
                  "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")
        last = ""
        for _attempt in range(5):  # a port found free may be taken before the server binds it
            self.port = _free_port()
            options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                       "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                       "-c max_connections=50 -c shared_buffers=32MB")
            try:
                self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60",
                          "-l", str(self.folder / "server.log"), "-o", options, "start")
                return
            except RuntimeError as err:
                last = str(err)
                with contextlib.suppress(OSError):
                    last += "\n" + (self.folder / "server.log").read_text()[-1000:]
        raise RuntimeError(f"could not start PostgreSQL: {last}")

    def restart(self) -> None:
        """Stop the server (fast: open connections are cut) and start it again, same port."""
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w",
                  "-t", "60", "-l", str(self.folder / "server.log"), "restart")

    def stop(self) -> None:
        if not self.folder.exists():
            return
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                          "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """Create an empty database; its URL."""
        import psycopg

        name = f"t{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A PostgreSQL cluster for this test process (started on first use, stopped at the end)."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        _unavailable("PostgreSQL server binaries (initdb, pg_ctl, postgres) are not installed; "
                     "install postgresql (Debian: apt-get install postgresql-15) or set "
                     "PAPERSHELF_PG_BIN")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("psycopg is not installed (pip install 'psycopg[binary]')")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        _unavailable("running as root without runuser: initdb refuses root")
    assert bin_dir is not None
    # As root the cluster runs as another user, who must reach the folder: /tmp, not a TMPDIR
    # that may sit in root's home.
    base = "/tmp" if os.geteuid() == 0 and Path("/tmp").is_dir() else None
    server = PgServer(bin_dir, Path(tempfile.mkdtemp(prefix="papershelf-pg-", dir=base)))
    atexit.register(server.stop)  # also when the session is interrupted before its teardown
    try:
        server.start()
    except RuntimeError as err:
        server.stop()
        _unavailable(str(err))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """A new, empty database on the session's server (dropped after the test)."""
    url = pg_server.new_database()
    yield url
    with contextlib.suppress(Exception):
        pg_server.drop_database(url)

"""What only a PostgreSQL library has: opening one by URL or config.toml, refusing a database
that is not a papershelf library, the schema it is given, the server's answers as one line,
writers that queue, an undo log of changed columns only, the app's views, and SQLite users who
never load psycopg. (The behaviour shared with SQLite is tested on both engines in
test_backend.py.) Needs the throwaway server of tests/support/pg.py."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from storage import pg_schema
from storage.db import open_library
from storage.migrations import latest_version
from storage.models import SQLModel
from tests.support.pg import PgServer

CliRunnerFn = Callable[..., Any]
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def db_path(pg_url: str) -> str:
    """The ``cli`` fixture's ``--db``: a fresh PostgreSQL database."""
    return pg_url


def sql(url: str, statement: str, *params: Any) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(statement, params or None)
        return list(cur.fetchall()) if cur.description else []


def bib(tmp_path: Path, name: str, n: int, prefix: str) -> Path:
    path = tmp_path / name
    path.write_text("".join(
        f"@misc{{{prefix}{i}, title={{{prefix.title()} Study Number {i}}}, "
        f"author={{Writer, Ann and Other, Bo}}, year={{2020}}}}\n" for i in range(n)))
    return path


# ---------------------------------------------------------------- opening


def test_a_fresh_database_gets_the_current_schema_once(pg_url: str) -> None:
    assert pg_schema.latest_version() == latest_version()  # every SQLite step has its twin
    lib = open_library(pg_url)
    try:
        assert lib.schema_version == latest_version()
        assert lib.check() == []
    finally:
        lib.close()
    # Every model's column is in the table of that name (the models are shared by both).
    for table in SQLModel.metadata.sorted_tables:
        have = {r[0] for r in sql(pg_url, "SELECT column_name FROM information_schema.columns "
                                          "WHERE table_name = %s", table.name)}
        assert {c.name for c in table.columns} <= have, table.name
    import psycopg

    from storage.pg import migrate

    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert migrate(conn, "test") == []  # opening again changes nothing


def test_another_applications_database_is_refused_and_left_alone(cli: CliRunnerFn,
                                                                 pg_url: str) -> None:
    sql(pg_url, "CREATE TABLE invoices (id int)")
    r = cli("list")
    assert r.code == 2
    assert r.err.startswith("papershelf: postgresql://") and "not a papershelf library" in r.err
    assert "invoices" in r.err and "Traceback" not in r.err
    assert [t for (t,) in sql(pg_url, "SELECT tablename FROM pg_tables "
                                      "WHERE schemaname = 'public'")] == ["invoices"]


def test_a_newer_schema_is_refused(cli: CliRunnerFn, pg_url: str) -> None:
    ok = cli("list")
    assert ok.code == 0
    sql(pg_url, "UPDATE meta SET value = '99' WHERE name = 'schema_version'")
    r = cli("list")
    assert r.code == 2 and "newer papershelf (schema 99" in r.err


def test_an_unreachable_server_is_one_line(cli: CliRunnerFn, pg_server: PgServer) -> None:
    from tests.support.local_server import closed_port_url

    port = closed_port_url().rsplit(":", 1)[1].strip("/")
    r = cli("list", "--db", f"postgresql://nobody:secret@127.0.0.1:{port}/papers")
    assert r.code == 2
    assert r.err.startswith("papershelf: cannot open postgresql://nobody:***@127.0.0.1:")
    assert len(r.err.strip().splitlines()) == 1 and "secret" not in r.err
    missing = cli("list", "--db", pg_server.url("no_such_database"))
    assert missing.code == 2 and "no_such_database" in missing.err
    assert len(missing.err.strip().splitlines()) == 1


def test_the_library_url_from_config_toml(cli: CliRunnerFn, pg_url: str, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[library]\nurl = "{pg_url}"\n')
    monkeypatch.setenv("PAPERSHELF_CONFIG", str(config))
    monkeypatch.delenv("PAPERSHELF_DB", raising=False)
    assert cli("import", str(bib(tmp_path, "a.bib", 2, "cfg")), db=False).code == 0
    assert len(cli("list", "--json", db=False).json()) == 2
    assert sql(pg_url, "SELECT count(*) FROM paper") == [(2,)]
    assert cli("db", "path", db=False).out.strip() == pg_url
    # --db wins over the config file.
    assert cli("list", "--json", "--db", str(tmp_path / "own.db"), db=False).json() == []
    config.write_text('[library]\n\nurl = "library.db"\n')
    bad = cli("list", db=False)
    assert bad.code == 2
    assert bad.err == (f"papershelf: {config}:3: [library] url must be a PostgreSQL URL like "
                       f"postgresql://host/database, not 'library.db'\n")


def test_db_path_never_prints_a_password(cli: CliRunnerFn) -> None:
    r = cli("db", "path", "--db", "postgresql://ann:s3cret@lab-db:5432/papers", db=False)
    assert r.out == "postgresql://ann:***@lab-db:5432/papers\n"


# ---------------------------------------------------------------- writing


@pytest.mark.slow  # real processes
def test_writers_queue_and_no_write_is_lost(pg_url: str, tmp_path: Path) -> None:
    """Three processes import at once into one fresh database: it is set up once, and every
    entry arrives once, with a key of its own (the writers take turns, as on SQLite)."""
    files = [bib(tmp_path, f"{p}.bib", 15, p) for p in ("alpha", "beta", "gamma")]
    procs = [subprocess.Popen([sys.executable, "-m", "tui", "--db", pg_url, "import", str(f)],
                              cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for f in files]
    for proc in procs:
        _out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
    rows = sql(pg_url, "SELECT key FROM paper")
    assert len(rows) == 45 and len({k.lower() for (k,) in rows}) == 45
    assert sql(pg_url, "SELECT count(*) FROM paper_author") == [(90,)]
    assert sql(pg_url, "SELECT count(*) FROM undo_action") == [(3,)]
    assert sql(pg_url, "SELECT value FROM meta WHERE name = 'schema_version'") == [("5",)]


def test_a_member_who_may_only_read_gets_one_line(cli: CliRunnerFn, pg_url: str,
                                                  pg_server: PgServer, tmp_path: Path) -> None:
    assert cli("import", str(bib(tmp_path, "a.bib", 1, "ro"))).code == 0
    sql(pg_url, "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'reader') "
                "THEN CREATE ROLE reader LOGIN; END IF; END $$")
    sql(pg_url, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader")
    as_reader = pg_url.replace("postgres@", "reader@", 1)
    listed = cli("list", "--json", "--db", as_reader, db=False)
    assert listed.code == 0 and len(listed.json()) == 1
    r = cli("star", "ro0", "--db", as_reader, db=False)
    assert r.code != 0 and "Traceback" not in r.err
    assert "you may only read this library" in r.err and len(r.err.strip().splitlines()) == 1
    assert sql(pg_url, "SELECT starred FROM paper") == [(False,)]


def test_undo_logs_only_the_changed_columns(cli: CliRunnerFn, pg_url: str,
                                            tmp_path: Path) -> None:
    big = tmp_path / "big.bib"
    big.write_text("@misc{big, title={Big}, year=2020, abstract={" + "word " * 20000 + "}}\n")
    assert cli("import", str(big)).code == 0
    assert cli("star", "big").code == 0
    ((statement,),) = sql(pg_url, "SELECT statement FROM undo_entry WHERE action_id = "
                                  "(SELECT max(id) FROM undo_action)")
    assert "starred" in statement and len(statement) < 1000
    assert cli("undo").code == 0
    assert sql(pg_url, "SELECT starred, length(abstract) > 90000 FROM paper") == [(False, True)]


# ---------------------------------------------------------------- the app's views


def test_the_views_the_app_reads(pg_url: str, tmp_path: Path) -> None:
    from reader.record import PaperRecord
    from storage import ops, views

    lib = open_library(pg_url)
    try:
        with lib.action("setup") as session:
            for i, title in enumerate(["One", "Two", "Three"]):
                result = ops.merge_record(session, record=PaperRecord(
                    title=f"{title} Paper", authors=["Ann Writer"], year=2020 + i, source="hf"),
                    status="inbox")
                ops.record_feed(session, paper=result.paper, source="hf", day=date(2024, 6, 16),
                                rank=i, upvotes=10 - i)
        with lib.read() as session:
            counts = views.view_counts(session)
            assert counts.days == [("2024-06-16", 3, counts.statuses["inbox"])]
            day = views.view_ids(session, view=views.View.parse("day:2024-06-16"))
            assert len(day) == 3
            assert sorted(views.view_ids(session, view=views.View("all"))) == sorted(day)
            rows = views.rows_for(session, ids=day)
            assert {r.first_author for r in rows.values()} == {"Ann Writer"}
            assert views.stats(session).total == 3
    finally:
        lib.close()


# ---------------------------------------------------------------- SQLite users pay nothing


@pytest.mark.slow  # real processes
def test_sqlite_commands_never_load_psycopg(tmp_path: Path) -> None:
    probe = ("import atexit, sys, runpy\n"
             "atexit.register(lambda: sys.__stderr__.write('\\nMODULES ' + ' '.join(sys.modules)))\n"
             f"sys.argv = ['papershelf', '--db', {str(tmp_path / 'lib.db')!r}, 'list']\n"
             "runpy.run_module('tui', run_name='__main__')\n")
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    modules = set(done.stderr.rsplit("MODULES ", 1)[1].split())
    assert "storage.db" in modules
    assert not {m for m in modules if m.split(".")[0] == "psycopg" or m == "storage.pg"}
    assert json.loads("[]") == []


# ---------------------------------------------------------------- the app


async def test_the_app_triages_a_postgresql_library(pg_url: str) -> None:
    """The morning triage of tests/tui/test_triage.py on a PostgreSQL library: keep, dismiss,
    undo, with the sidebar and the list following. (Without the change watcher: it reads
    SQLite's data_version; live updates on PostgreSQL are their own step.)"""
    from storage import ops
    from tests.support.app import TODAY, press, screen_text, settle
    from tests.support.shelf_sample import build_sample
    from tui.app import PapershelfApp
    from tui.config import Config

    lib = open_library(pg_url)
    try:
        sample = build_sample(lib)
        app = PapershelfApp(lib, config=Config(), today=lambda: TODAY, watch=False)
        app.SEARCH_DEBOUNCE = 0.0
        first = sample["Self-Rewarding Language Models"]
        second = sample["Lumiere: A Space-Time Diffusion Model for Video Generation"]
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            papers = app.main.papers
            assert papers.paper_id == first
            await press(pilot, "k")
            assert papers.paper_id == second
            await press(pilot, "d")
            with lib.read() as session:
                assert [ops.find_paper(session, ref=p).status for p in (first, second)] == [
                    "queued", "dismissed"]
            assert "Inbox · 3 papers" in screen_text(app)
            await press(pilot, "u")
            with lib.read() as session:
                assert ops.find_paper(session, ref=second).status == "inbox"
            assert "Inbox · 4 papers" in screen_text(app)
    finally:
        lib.close()


def test_text_with_a_nul_character_is_refused_in_one_line(cli: CliRunnerFn,
                                                          tmp_path: Path) -> None:
    """PostgreSQL's text cannot hold NUL (SQLite's can): a note with one is refused, whole."""
    assert cli("import", str(bib(tmp_path, "a.bib", 1, "nul"))).code == 0
    r = cli("note", "nul0", "-m", "before\x00after")
    assert r.code == 2 and "Traceback" not in r.err
    assert r.err.startswith("papershelf: cannot store text holding a NUL character")
    assert cli("show", "nul0", "--json").json()["notes"] == []


def test_the_list_streams_in_pages_from_a_server_side_cursor(cli: CliRunnerFn, pg_url: str,
                                                             tmp_path: Path) -> None:
    from storage.listing import list_rows

    assert cli("import", str(bib(tmp_path, "a.bib", 7, "page"))).code == 0
    lib = open_library(pg_url)
    try:
        with lib.read() as session:
            pages = list(list_rows(session, page=3))
    finally:
        lib.close()
    assert [len(p) for p in pages] == [3, 3, 1]
    rows = [row for p in pages for row in p]
    assert sorted(r.key for r in rows) == sorted(f"page{i}" for i in range(7))
    assert {r.first_author for r in rows} == {"Ann Writer"}
    assert len(cli("list", "--json").json()) == 7


def test_a_server_restart_between_commands_of_one_session(pg_server: PgServer, pg_url: str,
                                                          tmp_path: Path) -> None:
    """An open library (the app's) keeps working after the server went away and came back:
    the next unit of work reconnects by itself."""
    from storage import ops

    lib = open_library(pg_url)
    try:
        with lib.read() as session:
            assert ops.count_papers(session) == 0
        pg_server.restart()
        with lib.read() as session:
            assert ops.count_papers(session) == 0
    finally:
        lib.close()


def test_db_check_finds_a_dropped_undo_trigger_and_the_owner_restores_it(
        cli: CliRunnerFn, pg_url: str) -> None:
    assert cli("db", "check").code == 0
    sql(pg_url, "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'reader') "
                "THEN CREATE ROLE reader LOGIN; END IF; END $$")
    sql(pg_url, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader")
    sql(pg_url, "DROP TRIGGER undo_note ON note")
    as_reader = pg_url.replace("postgres@", "reader@", 1)
    r = cli("db", "check", "--db", as_reader, db=False)
    assert r.code == 2
    assert "problem: the undo trigger undo_note is missing" in r.out
    assert cli("db", "check").out.endswith(": ok (schema 5, 0 papers)\n")  # the owner opened it
    assert cli("db", "check", "--db", as_reader, db=False).code == 0


def test_credentials_and_address_from_libpq_service_file(cli: CliRunnerFn, pg_url: str,
                                                         tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The URL goes to libpq as given: a service of pg_service.conf names the server."""
    from sqlalchemy.engine import make_url

    url = make_url(pg_url)
    services = tmp_path / "pg_service.conf"
    services.write_text(f"[lab]\nhost={url.host}\nport={url.port}\ndbname={url.database}\n"
                        f"user={url.username}\n")
    monkeypatch.setenv("PGSERVICEFILE", str(services))
    assert cli("import", str(bib(tmp_path, "a.bib", 2, "svc")), "--db",
               "postgresql:///?service=lab", db=False).code == 0
    monkeypatch.setenv("PGSERVICE", "lab")
    listed = cli("list", "--json", "--db", "postgresql://", db=False)
    assert listed.code == 0, listed.err
    assert sorted(p["key"] for p in listed.json()) == ["svc0", "svc1"]
    assert sql(pg_url, "SELECT count(*) FROM paper") == [(2,)]


ORDERED = """@inproceedings{zeta2020,
  title = {Zeta Paper},
  author = {Zed, Zoe},
  booktitle = {Conf},
  year = {2020},
  zzz = {last field},
  pages = {1--2},
  aaa = {first alpha},
  publisher = {ACM},
  month = jun,
  editor = {Ed, Itor}
}
"""


def test_an_entrys_fields_keep_their_order_as_on_sqlite(cli: CliRunnerFn, tmp_path: Path) -> None:
    """JSON columns keep their text (an imported entry's fields in the file's order), through
    an edit and its undo too: the export is the one an SQLite library writes."""
    source = tmp_path / "in.bib"
    source.write_text(ORDERED)
    exports = {}
    for name, extra in (("sqlite", ["--db", str(tmp_path / "lib.db")]), ("pg", [])):
        assert cli("import", str(source), *extra, db=not extra).code == 0
        assert cli("edit", "zeta2020", "--set", "publisher=IEEE", *extra, db=not extra).code == 0
        assert cli("undo", *extra, db=not extra).code == 0
        out = tmp_path / f"{name}.bib"
        assert cli("export", "--all", "-o", str(out), *extra, db=not extra).code == 0
        exports[name] = out.read_text()
    assert exports["pg"] == exports["sqlite"]
    fields = [line.split("=")[0].strip() for line in exports["pg"].splitlines()[1:-1]]
    assert fields.index("zzz") < fields.index("aaa") < fields.index("publisher")

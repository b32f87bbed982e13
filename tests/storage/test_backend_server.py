"""The throwaway PostgreSQL server of tests/support/pg.py: it runs, and each test gets its own
empty database."""

from __future__ import annotations

from tests.support.pg import PgServer


def test_each_test_gets_an_empty_database_of_its_own(pg_server: PgServer, pg_url: str) -> None:
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        version = conn.execute("SHOW server_version_num").fetchone()
        assert version is not None and int(version[0]) >= 130000
        tables = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
        assert tables == (0,)
        conn.execute("CREATE TABLE scratch (x int)")
    other = pg_server.new_database()
    with psycopg.connect(other) as conn:
        assert conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone() == (0,)
    pg_server.drop_database(other)

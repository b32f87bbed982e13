"""Bounded remote data, through the real command (``python -m tui``) against a hostile server on
127.0.0.1: numbers out of range, answers too big, a server that trickles, gzip that is not,
a redirect loop, and config numbers that are not numbers."""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import pytest

from reader.http import DEFAULT_MAX_BYTES
from tests.hostile.server import HostileServer, hostile_server, plain, trickle

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow  # hostile servers through 28 `python -m tui` processes (~25 s CPU)
DAY = "2024-06-16"


def item(n: int, *, upvotes: str | None = None, title: str | None = None,
         summary: str = "An abstract.") -> str:
    """One Daily Papers item as JSON text (numbers written raw, so they can be any length)."""
    paper = {"id": f"2406.{10000 + n}", "title": title or f"Paper number {n}",
             "summary": summary, "authors": [{"name": f"Author {n}"}],
             "publishedAt": f"{DAY}T00:00:00.000Z"}
    text = json.dumps(paper)
    votes = upvotes if upvotes is not None else str(n)
    return ('{"paper": ' + text[:-1] + f', "upvotes": {votes}' + '}, "publishedAt": "'
            + DAY + 'T00:00:00.000Z", "numComments": 1}')


def feed(*items: str) -> bytes:
    return ("[" + ", ".join(items) + "]").encode()


def run(tmp_path: Path, server: HostileServer, *args: str, config: str = "",
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    cfg = tmp_path / "config.toml"
    cfg.write_text(config, encoding="utf-8")
    env = {**os.environ, "PAPERSHELF_HF_URL": server.url, "PAPERSHELF_DOI_URL": server.url,
           "PAPERSHELF_ARXIV_URL": server.url, "PAPERSHELF_CONFIG": str(cfg),
           "PAPERSHELF_DB": str(tmp_path / "library.db"), "NO_PROXY": "*"}
    env.pop("PAPERSHELF_CRASH_AFTER", None)
    return subprocess.run([sys.executable, "-m", "tui", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)


def papers(tmp_path: Path) -> list[tuple[str, int | None]]:
    conn = sqlite3.connect(tmp_path / "library.db")
    try:
        return conn.execute("SELECT arxiv_id, upvotes FROM paper ORDER BY arxiv_id").fetchall()
    finally:
        conn.close()


def test_upvotes_past_64_bits_lose_that_number_not_the_day(tmp_path: Path) -> None:
    items = [item(n) for n in range(18)]
    items.append(item(18, upvotes=str(2**70)))
    items.append(item(19, upvotes="9" * 5000))  # beyond Python's int-from-text limit too
    with hostile_server() as server:
        server.routes["/api/daily_papers"] = plain(feed(*items),
                                                   headers={"Content-Type": "application/json"})
        done = run(tmp_path, server, "pull", "--date", DAY)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    got = dict(papers(tmp_path))
    assert len(got) == 20  # all 20 pulled
    assert got["2406.10018"] is None and got["2406.10019"] is None and got["2406.10005"] == 5
    lines = [ln for ln in done.stderr.splitlines() if "warning" in ln]
    assert any("Paper number 18" in ln and f"upvotes {2**70} is out of range" in ln
               for ln in lines), done.stderr
    assert any("Paper number 19" in ln and "upvotes" in ln and "out of range" in ln
               for ln in lines), done.stderr


def test_fields_are_cut_to_their_limit_with_a_warning(tmp_path: Path) -> None:
    long_title = "Long " * 3000
    with hostile_server() as server:
        server.routes["/api/daily_papers"] = plain(
            feed(item(1, title=long_title, summary="x" * 300_000), item(2)),
            headers={"Content-Type": "application/json"})
        done = run(tmp_path, server, "pull", "--date", DAY)
    assert done.returncode == 0, done.stderr
    conn = sqlite3.connect(tmp_path / "library.db")
    try:
        lengths = conn.execute("SELECT length(title), length(abstract) FROM paper "
                               "WHERE arxiv_id = '2406.10001'").fetchone()
    finally:
        conn.close()
    assert lengths == (2000, 200_000)
    assert "title cut from 14999 to 2000 characters" in done.stderr
    assert "abstract cut from 300000 to 200000 characters" in done.stderr


def test_an_answer_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    assert DEFAULT_MAX_BYTES == 50_000_000
    big = feed(item(1, summary="y" * 2_500_000))
    bomb = gzip.compress(b"[" + b" " * 30_000_000 + b"]")  # 30 MB of spaces, 30 KB sent
    with hostile_server() as server:
        server.routes["/api/daily_papers"] = plain(big, headers={
            "Content-Type": "application/json"})
        done = run(tmp_path, server, "pull", "--date", DAY,
                   config="[sources]\nmax_response_mb = 1\n")
        server.routes["/api/daily_papers"] = plain(bomb, headers={
            "Content-Type": "application/json", "Content-Encoding": "gzip"})
        bombed = run(tmp_path, server, "pull", "--date", DAY,
                     config="[sources]\nmax_response_mb = 2\n")
        # Without Content-Length (read to the end), the limit holds as well.
        server.routes["/api/daily_papers"] = plain(big, length=False, headers={
            "Content-Type": "application/json"})
        unsized = run(tmp_path, server, "pull", "--date", DAY,
                      config="[sources]\nmax_response_mb = 1\n")
    for result, limit in ((done, "1"), (bombed, "2"), (unsized, "1")):
        assert result.returncode == 3, result.stderr
        assert f"sent more than {limit} MB for {server.url}/api/daily_papers" in result.stderr
        assert "Traceback" not in result.stderr
    assert papers(tmp_path) == []


@pytest.mark.parametrize("part", ["body", "headers"])
def test_a_trickling_server_ends_in_a_clear_timeout(tmp_path: Path, part: str) -> None:
    body = feed(item(1))
    head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    stop = threading.Event()
    with hostile_server() as server:
        if part == "body":  # headers at once, then a byte every 0.5 s (the read timeout is 20)
            def answer(out: IO[bytes]) -> None:
                out.write(head)
                out.flush()
                trickle(body, every=0.5, stop=stop)(out)
            server.routes["/api/daily_papers"] = answer
        else:
            server.routes["/api/daily_papers"] = trickle(head + body, every=0.5, stop=stop)
        started = time.monotonic()
        done = run(tmp_path, server, "pull", "--date", DAY,
                   config="[sources]\ntimeout = 20\ndeadline = 2\n")
        took = time.monotonic() - started
        stop.set()
    assert done.returncode == 3, done.stderr
    assert f"did not finish answering within 2 s ({server.url}/api/daily_papers" in done.stderr
    assert "Traceback" not in done.stderr
    assert took < 15  # (2 s of deadline, plus starting Python; once, not retried)
    assert server.hits.count("/api/daily_papers") == 1


def test_a_body_claiming_gzip_that_is_not_is_one_line(tmp_path: Path) -> None:
    with hostile_server() as server:
        server.routes["/api/daily_papers"] = plain(feed(item(1)), headers={
            "Content-Type": "application/json", "Content-Encoding": "gzip"})
        done = run(tmp_path, server, "pull", "--date", DAY)
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    line = [ln for ln in done.stderr.splitlines() if "Content-Encoding" in ln]
    assert len(line) == 1 and f"{server.url}/api/daily_papers" in line[0]


def test_a_doi_redirect_loop_is_one_line(tmp_path: Path) -> None:
    with hostile_server() as server:
        server.routes["/10.1234/loop"] = plain(b"", status="302 Found",
                                               headers={"Location": "/10.1234/loop"})
        done = run(tmp_path, server, "add", "10.1234/loop")
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    assert "redirected" in done.stderr and "more than 10 times" in done.stderr
    assert len([ln for ln in done.stderr.splitlines() if ln.strip()]) == 1, done.stderr
    # (CSL-JSON is asked, then BibTeX: each gives up after 10 redirects.)
    assert server.hits.count("/10.1234/loop") <= 2 * 11


@pytest.mark.parametrize("value", ["nan", "inf", "1e300", "-1"])
@pytest.mark.parametrize("key", ["timeout", "deadline", "max_response_mb"])
def test_config_numbers_must_be_finite_and_in_range(tmp_path: Path, key: str, value: str
                                                   ) -> None:
    with hostile_server() as server:
        server.routes["/api/daily_papers"] = plain(feed(item(1)), headers={
            "Content-Type": "application/json"})
        done = run(tmp_path, server, "pull", "--date", DAY,
                   config=f"[sources]\n{key} = {value}\n")
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.count("\n") == 1  # one line, before any request
    assert f"config.toml:2: [sources] {key} must be a number" in done.stderr
    assert server.hits == []  # nothing was asked with a bad setting

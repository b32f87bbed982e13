"""The pulling commands end to end: ``papershelf pull / feed / add ID... / import --page /
resolve`` against a local HTTP server on 127.0.0.1 serving recorded and sample responses."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import reader.arxiv
import storage.vocab
import tui.cli.pull as pull_cli
from reader.record import FeedItem, PaperRecord
from storage.db import Library
from tests.support.local_server import LocalServer, Reply, closed_port_url, local_server
from tui.services import pull as pulling

CliRunnerFn = Callable[..., Any]  # the `cli` fixture of tests/conftest.py
REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "reader" / "data"
JSON = "application/json; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
NOW = {"Retry-After": "0"}  # retries in tests do not wait


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[LocalServer]:
    config = tmp_path / "config.toml"
    config.write_text("[sources]\n")
    with local_server() as srv:
        monkeypatch.setenv("PAPERSHELF_CONFIG", str(config))
        for var in ("PAPERSHELF_HF_URL", "PAPERSHELF_ARXIV_URL", "PAPERSHELF_DOI_URL"):
            monkeypatch.setenv(var, srv.url)
        monkeypatch.setattr(reader.arxiv, "INTERVAL", 0.0)  # the 3 s rule is tested in reader
        yield srv


def serve_file(srv: LocalServer, path: str, file: Path, content_type: str = JSON,
               **query: str) -> None:
    srv.add(path, Reply.raw(file.read_bytes(), content_type), **query)


def papers(cli: CliRunnerFn) -> dict[str, dict]:
    result = cli("list", "--all", "--json")
    assert result.code == 0, result.err
    return {p["arxiv_id"] or p["title"]: p for p in result.json()}


# ---------------------------------------------------------------- pull


def test_pull_one_day_then_again(cli: CliRunnerFn, server: LocalServer) -> None:
    serve_file(server, "/api/daily_papers", DATA / "daily_papers_new.json", date="2024-06-16")
    r = cli("pull", "--date", "2024-06-16")
    assert (r.code, r.out) == (0, "new 3, updated 0, unchanged 0, failed 0\n")
    assert r.err == "2024-06-16: 3 papers (new 3, updated 0, unchanged 0)\n"  # piped: plain
    (seen,) = server.requests
    assert seen.query == {"date": "2024-06-16", "p": "0", "limit": "100"}
    assert seen.headers["User-Agent"].startswith("papershelf/0.1.0 ")
    got = papers(cli)
    assert {k: (p["status"], p["upvotes"]) for k, p in got.items()} == {
        "2406.10001": ("inbox", 12), "2406.10002": ("inbox", 30), "2406.10003": ("inbox", 12)}
    again = cli("pull", "--date", "2024-06-16")
    assert (again.code, again.out) == (0, "new 0, updated 0, unchanged 3, failed 0\n")
    assert len(papers(cli)) == 3


def test_pull_today_by_default(cli: CliRunnerFn, server: LocalServer,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage.vocab, "utc_today", lambda: date(2024, 6, 16))
    serve_file(server, "/api/daily_papers", DATA / "daily_papers_new.json", date="2024-06-16")
    r = cli("pull")
    assert (r.code, r.out) == (0, "new 3, updated 0, unchanged 0, failed 0\n")
    tomorrow = cli("pull", "--date", "2024-06-17")
    assert tomorrow.code == 2
    assert tomorrow.err == ("papershelf: --date 2024-06-17 is in the future (today is 2024-06-16 "
                            "UTC)\n")


def test_pull_a_range_of_real_days(cli: CliRunnerFn, server: LocalServer,
                                   shared_fixtures: Path) -> None:
    for day in ("2026-08-13", "2026-08-19"):
        serve_file(server, "/api/daily_papers", shared_fixtures / f"hf/daily_papers_{day}.json",
                   date=day)
    server.add("/api/daily_papers", Reply.json([]))
    r = cli("pull", "--since", "2026-08-12", "--until", "2026-08-19")
    assert r.code == 0
    assert r.out == "new 45, updated 1, unchanged 0, failed 0\n"
    assert r.err.splitlines() == [
        "2026-08-12: no papers",
        "2026-08-13: 20 papers (new 20, updated 0, unchanged 0)",
        "2026-08-14: no papers", "2026-08-15: no papers", "2026-08-16: no papers",
        "2026-08-17: no papers", "2026-08-18: no papers",
        "2026-08-19: 26 papers (new 25, updated 1, unchanged 0)"]
    assert [q.query["date"] for q in server.requests] == [
        f"2026-08-{d}" for d in range(12, 20)]
    feed = cli("feed", "--date", "2026-08-19", "--json").json()
    assert len(feed) == 26
    assert [(p["arxiv_id"], p["feed"]["upvotes"], p["feed"]["rank"]) for p in feed[:5]] == [
        ("2608.17271", 38, 1), ("2608.16157", 37, 2), ("2608.17512", 31, 3),
        ("2608.17310", 28, 4), ("2608.12313", 27, 5)]
    early = cli("feed", "--date", "2026-08-13", "--json").json()
    assert [p["feed"] for p in early if p["arxiv_id"] == "2608.12313"] == [
        {"source": "hf", "day": "2026-08-13", "rank": 13, "upvotes": 2}]


def test_feed_shows_the_users_status(cli: CliRunnerFn, server: LocalServer) -> None:
    serve_file(server, "/api/daily_papers", DATA / "daily_papers_new.json", date="2024-06-16")
    assert cli("pull", "--date", "2024-06-16").code == 0
    keys = {k: p["key"] for k, p in papers(cli).items()}
    assert cli("status", keys["2406.10002"], "dismissed").code == 0
    assert cli("tag", keys["2406.10001"], "+moe").code == 0
    assert cli("status", keys["2406.10001"], "queued").code == 0
    r = cli("feed", "--date", "2024-06-16")
    assert r.code == 0
    lines = r.out.splitlines()
    assert lines[0].split() == ["UPVOTES", "KEY", "TITLE", "STATUS", "TAGS"]
    assert [line.split()[0:2] for line in lines[1:]] == [
        ["30", keys["2406.10002"]], ["12", keys["2406.10001"]], ["12", keys["2406.10003"]]]
    assert lines[1].split()[-1] == "dismissed"
    assert lines[2].split()[-2:] == ["queued", "moe"]
    # Pulling again brings nothing back to the inbox.
    assert cli("pull", "--date", "2024-06-16").code == 0
    statuses = [p["status"] for p in cli("feed", "--date", "2024-06-16", "--json").json()]
    assert statuses == ["dismissed", "queued", "inbox"]
    empty = cli("feed", "--date", "2024-06-15")
    assert (empty.code, empty.out) == (0, "")
    assert empty.err == ("nothing in the feed for 2024-06-15 (pull it: papershelf pull --date "
                         "2024-06-15)\n")


def test_a_range_that_fails_midway_keeps_the_finished_days(cli: CliRunnerFn,
                                                           server: LocalServer) -> None:
    serve_file(server, "/api/daily_papers", DATA / "daily_papers_old.json", date="2024-06-15")
    server.add("/api/daily_papers", Reply.raw(b"oops", "text/plain", 500, **NOW),
               date="2024-06-16")
    serve_file(server, "/api/daily_papers", DATA / "daily_papers_new.json", date="2024-06-17")
    r = cli("pull", "--since", "2024-06-15", "--until", "2024-06-17")
    assert r.code == 1
    assert r.out == "new 5, updated 0, unchanged 0, failed 1\n"
    host = server.url.removeprefix("http://")
    assert r.err.splitlines() == [
        "2024-06-15: 2 papers (new 2, updated 0, unchanged 0)",
        f"papershelf: 2024-06-16: {host} answered HTTP 500 Internal Server Error for "
        f"{server.url}/api/daily_papers?date=2024-06-16&p=0&limit=100 (3 tries)",
        "2024-06-17: 3 papers (new 3, updated 0, unchanged 0)"]
    assert len([q for q in server.requests if q.query["date"] == "2024-06-16"]) == 3
    assert len(papers(cli)) == 5
    undo = cli("undo", "--list").out.splitlines()
    assert [line.split("  ", 1)[1] for line in undo] == ["pull hf 2024-06-17",
                                                         "pull hf 2024-06-15"]


def test_offline(cli: CliRunnerFn, server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    dead = closed_port_url()
    monkeypatch.setenv("PAPERSHELF_HF_URL", dead)
    r = cli("pull", "--since", "2024-06-15", "--until", "2024-06-17")
    assert r.code == 3
    assert r.out == "new 0, updated 0, unchanged 0, failed 3\n"
    first, last = r.err.splitlines()
    assert first.startswith(f"papershelf: 2024-06-15: cannot reach {dead[7:]}: ")
    assert "Traceback" not in r.err
    assert last == "papershelf: not pulled: 2024-06-16, 2024-06-17"
    assert papers(cli) == {}


def test_429_then_success(cli: CliRunnerFn, server: LocalServer) -> None:
    server.add("/api/daily_papers", Reply.json({"error": "slow down"}, 429, **NOW),
               Reply.raw((DATA / "daily_papers_new.json").read_bytes(), JSON))
    r = cli("pull", "--date", "2024-06-16")
    assert (r.code, r.out) == (0, "new 3, updated 0, unchanged 0, failed 0\n")
    assert len(server.requests) == 2


@pytest.mark.parametrize(("reply", "message"), [
    (Reply.raw("<!DOCTYPE html><html><body>Hugging Face</body></html>", "text/html"),
     "answered with an HTML page, not JSON, for"),
    (Reply.raw('[{"paper": {"id": ', JSON), "sent malformed JSON for"),
    (Reply.json({"error": "Invalid date"}), "expected a list of papers, got dict"),
])
def test_bad_answers(cli: CliRunnerFn, server: LocalServer, reply: Reply, message: str) -> None:
    server.add("/api/daily_papers", reply)
    r = cli("pull", "--date", "2024-06-16")
    assert r.code == 3
    assert r.out == "new 0, updated 0, unchanged 0, failed 1\n"
    (line,) = r.err.splitlines()
    assert line.startswith("papershelf: 2024-06-16: ") and message in line
    assert papers(cli) == {}


def test_pull_a_week_commits_each_day(cli: CliRunnerFn, server: LocalServer) -> None:
    both = (json.loads((DATA / "daily_papers_old.json").read_text())
            + json.loads((DATA / "daily_papers_new.json").read_text()))
    server.add("/api/daily_papers", Reply.json(both), week="2024-W24")
    r = cli("pull", "--week", "2024-W24")
    assert r.code == 0
    assert r.err.splitlines() == ["2024-03-19: 2 papers (new 2, updated 0, unchanged 0)",
                                  "2024-06-16: 3 papers (new 3, updated 0, unchanged 0)"]
    assert r.out == "new 5, updated 0, unchanged 0, failed 0\n"
    assert server.requests[0].query == {"week": "2024-W24", "p": "0", "limit": "100"}


def test_pull_a_month_and_max(cli: CliRunnerFn, server: LocalServer) -> None:
    serve_file(server, "/api/daily_papers", DATA / "daily_papers_new.json", month="2024-06")
    r = cli("pull", "--month", "2024-06", "--max", "2")
    assert r.code == 0
    assert r.err == "2024-06-16: 2 papers (new 2, updated 0, unchanged 0)\n"
    assert sorted(papers(cli)) == ["2406.10001", "2406.10002"]  # the two most upvoted


@pytest.mark.parametrize(("args", "message"), [
    (["--date", "2024-06-16", "--week", "2024-W24"],
     "give one of --date, --since, --week, --month (not --date and --week)"),
    (["--until", "2024-06-16"], "--until goes with --since"),
    (["--category", "cs.CL"], "--category is for --source arxiv"),
    (["--source", "arxiv", "--date", "2024-06-16"], "--source arxiv takes --category and --max"),
])
def test_pull_usage_errors(cli: CliRunnerFn, server: LocalServer, args: list[str],
                           message: str) -> None:
    r = cli("pull", *args)
    assert r.code == 2 and message in r.err
    assert server.requests == []


@pytest.mark.parametrize(("args", "message"), [
    (["--month", "2024-13"], "papershelf: a month is written like 2024-06, not '2024-13'\n"),
    (["--week", "24"], "papershelf: a week is written like 2024-W25, not '24'\n"),
    (["--date", "16/06/2024"],
     "papershelf: --date must be a date like 2024-06-16, not '16/06/2024'\n"),
    (["--since", "2024-06-16", "--until", "2024-06-01"],
     "papershelf: --since 2024-06-16 is after --until 2024-06-01\n"),
])
def test_pull_bad_input(cli: CliRunnerFn, server: LocalServer, args: list[str],
                        message: str) -> None:
    r = cli("pull", *args)
    assert (r.code, r.err) == (2, message)
    assert server.requests == []


def test_bad_config_file(cli: CliRunnerFn, server: LocalServer, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[ui]\ntheme = "dark"\n[sources]\narxiv_categories = ["cs.CL"\n')
    r = cli("pull", "--date", "2024-06-16")
    assert r.code == 2
    assert r.err.startswith(f"papershelf: {config}:5: bad config file: ")


def test_pull_arxiv_categories(cli: CliRunnerFn, server: LocalServer, tmp_path: Path) -> None:
    serve_file(server, "/api/query", DATA / "arxiv_feed.atom.xml", ATOM)
    r = cli("pull", "--source", "arxiv", "--category", "cs.CL", "--max", "20")
    assert r.code == 0, r.err
    assert r.err.splitlines() == ["1999-01-04: 1 paper (new 1, updated 0, unchanged 0)",
                                  "2021-06-17: 1 paper (new 1, updated 0, unchanged 0)"]
    assert r.out == "new 2, updated 0, unchanged 0, failed 0\n"
    assert server.requests[0].query == {"search_query": "cat:cs.CL", "sortBy": "submittedDate",
                                        "sortOrder": "descending", "start": "0",
                                        "max_results": "20"}
    lora = papers(cli)["2106.09685"]
    assert (lora["arxiv_version"], lora["primary_category"], lora["status"]) == (2, "cs.CL",
                                                                                 "inbox")
    feed = cli("feed", "--date", "2021-06-17", "--source", "arxiv", "--json").json()
    assert [p["feed"] for p in feed] == [
        {"source": "arxiv", "day": "2021-06-17", "rank": 1, "upvotes": None}]
    # Categories from the config file when none is given.
    (tmp_path / "config.toml").write_text('[sources]\narxiv_categories = ["cs.LG", "stat.ML"]\n')
    r = cli("pull", "--source", "arxiv")
    assert r.code == 0
    assert [q.query["search_query"] for q in server.requests[1:]] == ["cat:cs.LG", "cat:stat.ML"]
    assert [q.query["max_results"] for q in server.requests[1:]] == ["100", "100"]
    assert r.out == "new 0, updated 0, unchanged 4, failed 0\n"


def test_pull_arxiv_needs_a_category(cli: CliRunnerFn, server: LocalServer,
                                     tmp_path: Path) -> None:
    r = cli("pull", "--source", "arxiv")
    assert r.code == 2
    assert r.err == (f"papershelf: name an arXiv category: --category cs.CL (or set "
                     f"arxiv_categories in [sources] of {tmp_path / 'config.toml'})\n")


def test_pull_arxiv_error_feed(cli: CliRunnerFn, server: LocalServer) -> None:
    server.add("/api/query", Reply.raw((DATA / "arxiv_error.atom.xml").read_bytes(), ATOM, 400))
    r = cli("pull", "--source", "arxiv", "--category", "cs.XX")
    assert r.code == 2
    assert r.err.startswith("papershelf: cs.XX: arXiv rejected the query: incorrect id format "
                            "for 1234.5 (")
    assert len(server.requests) == 1


def test_pull_log_records_each_pull(cli: CliRunnerFn, server: LocalServer, db_path: Path) -> None:
    server.add("/api/daily_papers", Reply.raw(b"down", "text/plain", 503, **NOW))
    assert cli("pull", "--date", "2024-06-16").code == 3
    from storage.db import open_library
    from storage.pulls import pull_history

    lib = open_library(db_path)
    try:
        with lib.read() as session:
            (row,) = pull_history(session)
            assert (row.source, json.loads(row.params)) == ("hf", {"date": "2024-06-16"})
            assert row.failed == 1 and row.errors[0].startswith("2024-06-16: ")
            assert "HTTP 503" in row.errors[0]
    finally:
        lib.close()


# ---------------------------------------------------------------- the real command, piped


def test_the_installed_command_piped(server: LocalServer, tmp_path: Path) -> None:
    serve_file(server, "/api/daily_papers", DATA / "daily_papers_new.json", date="2024-06-16")
    env = {**os.environ, "PAPERSHELF_DB": str(tmp_path / "piped.db")}
    done = subprocess.run([sys.executable, "-m", "tui", "pull", "--date", "2024-06-16"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "new 3, updated 0, unchanged 0, failed 0\n"
    assert done.stderr == "2024-06-16: 3 papers (new 3, updated 0, unchanged 0)\n"


def test_progress_bar_on_a_terminal() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    progress = pull_cli.Progress(2, "pulling hf", stream=screen)
    progress.working_on("pulling hf 2024-06-16")
    progress.note("2024-06-16: 3 papers")
    progress.advance()
    progress.close()
    shown = screen.getvalue()
    assert "2024-06-16: 3 papers" in shown
    assert "\x1b[" in shown  # drawn with terminal control codes, not plain lines
    assert "1/2" in shown and "pulling hf 2024-06-16" in shown

    piped = io.StringIO()
    plain = pull_cli.Progress(2, "pulling hf", stream=piped)
    plain.note("2024-06-16: 3 papers")
    plain.advance()
    plain.close()
    assert piped.getvalue() == "2024-06-16: 3 papers\n"


# ---------------------------------------------------------------- add by identifier


def serve_add_sources(server: LocalServer) -> None:
    serve_file(server, "/api/query", DATA / "arxiv_feed.atom.xml", ATOM)
    serve_file(server, "/10.1145/3292500.3330701", DATA / "csl_optuna.json",
               "application/vnd.citationstyles.csl+json")
    server.add("/api/papers/2406.10001", Reply.json(
        json.loads((DATA / "daily_papers_new.json").read_text())[0]["paper"]))


def test_add_mixed_identifiers(cli: CliRunnerFn, server: LocalServer) -> None:
    serve_add_sources(server)
    r = cli("add", "https://arxiv.org/abs/2106.09685v2", "hep-th/9901001", "abc",
            "10.1145/3292500.3330701", "https://huggingface.co/papers/2406.10001",
            "--tag", "to-read")
    assert r.code == 1
    got = papers(cli)
    keys = {k: p["key"] for k, p in got.items()}
    optuna = "Optuna: A Next-generation Hyperparameter Optimization Framework"
    assert r.out.splitlines() == [
        f"https://arxiv.org/abs/2106.09685v2: added {keys['2106.09685']} (LoRA: Low-Rank "
        f"Adaptation of Large Language Models)",
        f"hep-th/9901001: added {keys['hep-th/9901001']} (Branes, Strings and Dualités)",
        f"10.1145/3292500.3330701: added {keys[optuna]} ({optuna})",
        f"https://huggingface.co/papers/2406.10001: added {keys['2406.10001']} (Sparse "
        f"Mixtures of Tiny Experts for Long Contexts)",
        "new 4, updated 0, unchanged 0, failed 1"]
    assert r.err == ("papershelf: abc: 'abc' is not an arXiv id, arXiv URL, DOI or Hugging Face "
                     "paper URL\n")
    arxiv_asks = [q for q in server.requests if q.path == "/api/query"]
    assert len(arxiv_asks) == 1  # all arXiv ids in one request
    assert arxiv_asks[0].query["id_list"] == "2106.09685v2,hep-th/9901001"
    assert {p["status"] for p in got.values()} == {"queued"}
    assert all(p["tags"] == ["to-read"] for p in got.values())
    assert got[optuna]["doi"] == "10.1145/3292500.3330701"
    assert got[optuna]["entry_type"] == "inproceedings"
    assert got["2406.10001"]["upvotes"] == 12
    assert cli("undo", "--list").out.count("add ") == 1  # one undo step for the command
    again = cli("add", "2106.09685")
    assert (again.code, again.out) == (
        0, f"2106.09685: already in the library: {keys['2106.09685']} (LoRA: Low-Rank "
           f"Adaptation of Large Language Models)\n")


def test_add_doi_falls_back_to_bibtex_when_the_agency_has_no_csl(
        cli: CliRunnerFn, server: LocalServer) -> None:
    server.add("/10.5555/bib.only",
               Reply.raw("<html><body>landing page</body></html>", "text/html"),
               Reply.raw("@article{Agency_2019, title={A Study of {BibTeX}-Only Agencies},\n"
                         " author={M{\\\"u}ller, Anna and Smith, Bo}, journal={J. Tests},\n"
                         " year={2019}, doi={10.5555/bib.only}}\n", "application/x-bibtex"))
    r = cli("add", "10.5555/bib.only")
    assert r.code == 0, r.err
    paper = cli("list", "--json").json()[0]
    assert paper["title"] == "A Study of BibTeX-Only Agencies"
    assert paper["authors"] == ["Anna Müller", "Bo Smith"]
    assert paper["doi"] == "10.5555/bib.only" and paper["year"] == 2019
    assert paper["key"] == "muller2019study"
    accepts = [q.headers.get("Accept", q.headers.get("accept", "")) for q in server.requests
               if q.path == "/10.5555/bib.only"]
    assert "csl+json" in accepts[0] and "bibtex" in accepts[1]


def test_add_not_found_and_json(cli: CliRunnerFn, server: LocalServer) -> None:
    serve_file(server, "/api/query", DATA / "arxiv_empty.atom.xml", ATOM)
    server.add("/10.9999/nothing", Reply.raw("DOI Not Found", "text/html", 404))
    only = cli("add", "2406.99999")
    assert (only.code, only.out) == (2, "")
    assert only.err == "papershelf: 2406.99999: arXiv has no paper 2406.99999\n"
    r = cli("add", "2406.99999", "10.9999/nothing", "--json")
    assert r.code == 2
    host = server.url.removeprefix("http://")
    assert r.json() == [
        {"identifier": "2406.99999", "outcome": "failed", "paper": None,
         "error": "arXiv has no paper 2406.99999"},
        {"identifier": "10.9999/nothing", "outcome": "failed", "paper": None,
         "error": f"{host} does not know the DOI 10.9999/nothing"}]


def test_add_hf_url_falls_back_to_arxiv(cli: CliRunnerFn, server: LocalServer) -> None:
    serve_file(server, "/api/query", DATA / "arxiv_feed.atom.xml", ATOM)
    server.add("/api/papers/2106.09685", Reply.json({"error": "not found"}, 404))
    r = cli("add", "https://huggingface.co/papers/2106.09685", "--json")
    assert r.code == 0
    (report,) = r.json()
    assert (report["outcome"], report["paper"]["arxiv_id"]) == ("new", "2106.09685")
    assert server.paths() == ["/api/papers/2106.09685", "/api/query"]


def test_add_when_offline(cli: CliRunnerFn, server: LocalServer,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    dead = closed_port_url()
    monkeypatch.setenv("PAPERSHELF_ARXIV_URL", dead)
    r = cli("add", "1706.03762", "astro-ph/0601001")
    assert r.code == 3
    lines = r.err.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"papershelf: 1706.03762: cannot reach {dead[7:]}: ")
    assert lines[1].startswith(f"papershelf: astro-ph/0601001: cannot reach {dead[7:]}: ")


def test_add_title_and_identifiers_together(cli: CliRunnerFn, server: LocalServer) -> None:
    r = cli("add", "1706.03762", "--title", "Attention")
    assert r.code == 2 and "give identifiers or --title, not both" in r.err
    manual = cli("add", "--title", "Hand Made", "--author", "A. Person")
    assert manual.code == 0 and manual.out.startswith("added person")


# ---------------------------------------------------------------- saved pages and resolve


def test_import_saved_html_page(cli: CliRunnerFn, server: LocalServer) -> None:
    page = DATA / "saved_page.html"
    r = cli("import", "--page", str(page))
    assert r.code == 1  # one entry could not be read
    assert r.out == ("saved_page.html: 2 papers (saved page)\n"
                     "new 2, updated 0, unchanged 0, failed 1\n")
    assert r.err == f"papershelf: {page}:6: skipped item 3: paper 2406.20003 has no title\n"
    feed = cli("feed", "--date", "2024-06-16", "--json").json()
    assert [(p["arxiv_id"], p["feed"]["rank"], p["status"]) for p in feed] == [
        ("2406.20002", 1, "inbox"), ("2406.20001", 2, "inbox")]
    assert feed[1]["title"] == 'Quotes "and" <Angles> & Ampersands'
    assert server.requests == []  # no network for a saved page
    assert cli("import", "--page", str(page)).out.endswith("new 0, updated 0, unchanged 2, failed 1\n")


def test_import_copied_text_and_resolve(cli: CliRunnerFn, server: LocalServer,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    server.add("/api/papers/search", Reply.json([
        {"paper": {"id": "1706.03762", "title": "Attention is all you need",
                   "authors": [{"name": "Ashish Vaswani"}, {"name": "Noam Shazeer"}],
                   "publishedAt": "2017-06-12T17:57:34.000Z"}}]),
        q="Attention Is All You Need")
    server.add("/api/papers/search", Reply.json([
        {"paper": {"id": "2406.10001", "title": "Sparse Mixtures of Tiny Experts",
                   "authors": [{"name": "Someone Else"}]}}]))
    page = DATA / "copied_page.txt"
    r = cli("import", "--page", str(page), "--resolve", "--year", "2024")
    assert r.code == 1  # two titles could not be resolved
    got = papers(cli)
    attention = got["1706.03762"]
    assert r.out.splitlines() == [
        "copied_page.txt: 3 papers (copied text)",
        "new 3, updated 0, unchanged 0, failed 0",
        f"resolved {attention['key']}: arXiv 1706.03762, 2 authors",
        "resolved 1, not resolved 2"]
    tiny, bare = got["Sparse Mixtures of Tiny Experts for Long Contexts"], got[
        "A Title With No Abstract"]
    host = server.url.removeprefix("http://")
    assert r.err.splitlines() == [
        f"papershelf: could not resolve {tiny['key']}: no paper titled 'Sparse Mixtures of Tiny "
        f"Experts for Long Contexts' on {host}",
        f"papershelf: could not resolve {bare['key']}: no paper titled 'A Title With No "
        f"Abstract' on {host}"]
    assert attention["authors"] == ["Ashish Vaswani", "Noam Shazeer"]
    assert attention["title"] == "Attention is all you need"
    assert (attention["status"], attention["published"]) == ("inbox", "2017-06-12")
    assert tiny["published"] == "2024-02-22" and tiny["authors"] == []
    assert [q.query["q"] for q in server.requests] == [
        "Attention Is All You Need", "Sparse Mixtures of Tiny Experts for Long Contexts",
        "A Title With No Abstract"]
    # Later, `papershelf resolve` tries the ones still without ids.
    server.routes.insert(0, server.add("/api/papers/search", Reply.json([
        {"paper": {"id": "2406.10001", "title": "sparse mixtures of tiny experts for long "
                                                "contexts", "authors": [{"name": "Zoë K"}]}}]),
        q="Sparse Mixtures of Tiny Experts for Long Contexts"))
    later = cli("resolve")
    assert later.code == 1
    assert later.out.splitlines() == [f"resolved {tiny['key']}: arXiv 2406.10001, 1 author",
                                      "resolved 1, not resolved 1"]
    assert papers(cli)["2406.10001"]["key"] == tiny["key"]  # keys never change
    nothing = cli("resolve", attention["key"])
    assert (nothing.code, nothing.out) == (0, "")
    assert nothing.err == (f"{attention['key']} already has an arXiv id or DOI\n"
                           f"no papers without ids to resolve\n")


def test_resolve_with_nothing_to_do(cli: CliRunnerFn, server: LocalServer) -> None:
    r = cli("resolve")
    assert (r.code, r.err) == (0, "no papers without ids to resolve\n")


def test_import_page_bad_files(cli: CliRunnerFn, server: LocalServer, tmp_path: Path) -> None:
    missing = tmp_path / "nope.html"
    r = cli("import", "--page", str(missing))
    assert (r.code, r.err) == (2, f"papershelf: cannot read {missing}: No such file or "
                                  f"directory\n")
    latin = tmp_path / "latin.txt"
    latin.write_bytes(b"Title\nCaf\xe9\n")
    r = cli("import", "--page", str(latin))
    assert (r.code, r.err) == (2, f"papershelf: {latin}:2: not UTF-8 text\n")
    empty = tmp_path / "empty.txt"
    empty.write_text("nothing to see\n")
    r = cli("import", "--page", str(empty))
    assert r.code == 2 and r.err.startswith(f"papershelf: {empty}: no papers found")
    broken = tmp_path / "broken.html"
    broken.write_text('<html>\n<div data-target="DailyPapers" data-props="{oops"></div>\n')
    r = cli("import", "--page", str(broken))
    assert r.code == 2
    assert r.err.startswith(f"papershelf: {broken}:2: the Daily Papers data (data-props) is "
                            f"not valid JSON")
    assert papers(cli) == {}


def test_a_day_that_cannot_be_merged_is_reported_and_the_others_kept(lib: Library) -> None:
    good = FeedItem(PaperRecord(title="Fine", arxiv_id="2406.00001"), "hf", date(2024, 6, 16), 1)
    bad = FeedItem(PaperRecord(title=" ", arxiv_id="2406.00002"), "hf", date(2024, 6, 15), 1)
    stream = io.StringIO()
    outcome = pulling.run_steps(
        lib, source="hf", steps=[pulling.Step("2024-W24", lambda: ([good, bad], []))],
        params={"week": "2024-W24"}, progress=pull_cli.Progress(stream=stream))
    assert stream.getvalue().splitlines() == [
        "papershelf: 2024-06-15: a paper needs a title",
        "2024-06-16: 1 paper (new 1, updated 0, unchanged 0)"]
    assert outcome.counts.summary() == "new 1, updated 0, unchanged 0, failed 1"
    assert outcome.exit_code == 1

"""The store behaves the same on both engines: every test here runs twice, through the real
``papershelf`` command, once on an SQLite file and once on a PostgreSQL database (the throwaway
server of tests/support/pg.py; skipped with a reason where PostgreSQL is not installed, required
when CI=true).

The ``backend`` fixture picks the engine; ``db_path`` (which the ``cli`` fixture passes as
``--db``) is the file or the database URL.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import reader.arxiv
from tests.support.local_server import LocalServer, Reply, local_server

CliRunnerFn = Callable[..., Any]  # the `cli` fixture of tests/conftest.py
REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "reader" / "data"
JSON = "application/json; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"

BIB = r"""@article{vaswani2017attention,
  title = {Attention Is All You Need},
  author = {Vaswani, Ashish and Shazeer, Noam and Parmar, Niki},
  journal = {Advances in Neural Information Processing Systems},
  year = {2017},
  pages = {5998--6008},
  volume = {30}
}
@inproceedings{devlin2019bert,
  title = {{BERT}: Pre-training of Deep Bidirectional Transformers},
  author = {Devlin, Jacob and Chang, Ming-Wei},
  booktitle = {NAACL},
  year = {2019},
  doi = {10.18653/v1/N19-1423}
}
@misc{Smith2020,
  title = {A 100% Useful Study? Of {M{\"u}ller}'s Percent Signs},
  author = {Smith, Bo and M{\"u}ller, Anna},
  year = {2020},
  note = {kept in extra fields}
}
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_path(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    """The library the ``cli`` fixture opens: a file, or a fresh PostgreSQL database."""
    if backend == "sqlite":
        return tmp_path / "library.db"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    config = tmp_path / "config.toml"
    config.write_text("[sources]\n")
    with local_server() as srv:
        monkeypatch.setenv("PAPERSHELF_CONFIG", str(config))
        for var in ("PAPERSHELF_HF_URL", "PAPERSHELF_ARXIV_URL", "PAPERSHELF_DOI_URL"):
            monkeypatch.setenv(var, srv.url)
        monkeypatch.setattr(reader.arxiv, "INTERVAL", 0.0)
        yield srv


def ok(result: Any) -> Any:
    assert result.code == 0, (result.out, result.err)
    return result


def papers(cli: CliRunnerFn) -> dict[str, dict[str, Any]]:
    return {p["key"]: p for p in ok(cli("list", "--all", "--json")).json()}


def imported(cli: CliRunnerFn, tmp_path: Path) -> dict[str, dict[str, Any]]:
    bib = tmp_path / "refs.bib"
    bib.write_text(BIB, encoding="utf-8")
    ok(cli("import", str(bib)))
    return papers(cli)


def test_both_engines_reach_the_same_schema_version() -> None:
    """A new step of storage/migrations.py needs its PostgreSQL twin in storage/pg_schema.py
    (this runs without a server)."""
    from storage import migrations, pg_schema

    assert pg_schema.latest_version() == migrations.latest_version()
    assert [v for v, _ in pg_schema.STEPS] == sorted({v for v, _ in pg_schema.STEPS})


# ---------------------------------------------------------------- adding papers


def test_import_a_bib_file_and_read_it_back(cli: CliRunnerFn, tmp_path: Path) -> None:
    got = imported(cli, tmp_path)
    assert set(got) == {"vaswani2017attention", "devlin2019bert", "Smith2020"}
    attention = got["vaswani2017attention"]
    assert attention["authors"] == ["Ashish Vaswani", "Noam Shazeer", "Niki Parmar"]
    assert (attention["year"], attention["status"], attention["starred"]) == (2017, "queued",
                                                                            False)
    assert got["devlin2019bert"]["doi"] == "10.18653/v1/n19-1423"  # DOIs are kept lowercased
    assert got["Smith2020"]["title"] == "A 100% Useful Study? Of Müller's Percent Signs"
    shown = ok(cli("show", "Smith2020", "--json")).json()
    assert shown["authors"] == ["Bo Smith", "Anna Müller"]
    # The same file again merges into the same papers (matched by key, DOI, title).
    again = ok(cli("import", str(tmp_path / "refs.bib")))
    assert "added 0" in again.out
    assert set(papers(cli)) == set(got)


def test_new_keys_avoid_every_key_ignoring_case(cli: CliRunnerFn, tmp_path: Path) -> None:
    bib = tmp_path / "twins.bib"
    bib.write_text("@misc{vaswani2017attention, title={First}, year=2017}\n"
                   "@misc{Vaswani2017Attention, title={Second}, year=2017}\n"
                   "@misc{x, title={Attention Again}, author={Vaswani, A.}, year=2017}\n")
    ok(cli("import", str(bib)))
    keys = sorted(papers(cli), key=str.lower)
    assert len({k.lower() for k in keys}) == 3, keys
    assert "vaswani2017attention" in keys
    ok(cli("add", "--help"))
    bad = cli("key", "x", "VASWANI2017ATTENTION")
    assert bad.code == 2 and "Traceback" not in bad.err


def test_add_and_pull_from_the_sources(cli: CliRunnerFn, server: LocalServer) -> None:
    server.add("/api/query", Reply.raw((DATA / "arxiv_feed.atom.xml").read_bytes(), ATOM))
    server.add("/api/daily_papers", Reply.raw((DATA / "daily_papers_new.json").read_bytes(),
                                              JSON), date="2024-06-16")
    added = ok(cli("add", "2106.09685"))
    assert "LoRA" in added.out
    pulled = ok(cli("pull", "--date", "2024-06-16"))
    assert pulled.out == "new 3, updated 0, unchanged 0, failed 0\n"
    again = ok(cli("pull", "--date", "2024-06-16"))
    assert again.out == "new 0, updated 0, unchanged 3, failed 0\n"
    got = {p["arxiv_id"]: p for p in papers(cli).values()}
    assert {a: (p["status"], p["upvotes"]) for a, p in got.items() if a != "2106.09685"} == {
        "2406.10001": ("inbox", 12), "2406.10002": ("inbox", 30), "2406.10003": ("inbox", 12)}
    inbox = ok(cli("list", "--status", "inbox", "--json")).json()
    assert len(inbox) == 3
    feed = ok(cli("feed", "--date", "2024-06-16", "--json")).json()
    assert len(feed) == 3


# ---------------------------------------------------------------- the user's changes, and undo


def test_tags_notes_status_star_rating_edit(cli: CliRunnerFn, tmp_path: Path) -> None:
    imported(cli, tmp_path)
    ok(cli("tag", "vaswani2017attention", "devlin2019bert", "+thesis", "+RLHF"))
    ok(cli("tag", "devlin2019bert", "-rlhf"))  # tags compare ignoring case
    ok(cli("note", "vaswani2017attention", "-m", "Read *section 3* (100% worth it?)",
           "--quote", "Attention is all you need"))
    ok(cli("status", "devlin2019bert", "reading"))
    ok(cli("star", "vaswani2017attention"))
    ok(cli("rate", "vaswani2017attention", "5"))
    ok(cli("edit", "devlin2019bert", "--set", "year=2018", "--set", "venue=NAACL-HLT"))
    ok(cli("key", "Smith2020", "smith2020useful"))
    got = papers(cli)
    attention, bert = got["vaswani2017attention"], got["devlin2019bert"]
    assert sorted(attention["tags"]) == ["RLHF", "thesis"] and bert["tags"] == ["thesis"]
    (note,) = attention["notes"]
    assert (note["body"], note["quote"]) == ("Read *section 3* (100% worth it?)",
                                             "Attention is all you need")
    assert (attention["starred"], attention["rating"]) == (True, 5)
    assert (bert["status"], bert["year"]) == ("reading", 2018)
    assert "smith2020useful" in got and "Smith2020" not in got
    tags = ok(cli("tags", "--json")).json()
    assert {t["name"]: t["count"] for t in tags} == {"RLHF": 1, "thesis": 2}
    assert [p["key"] for p in ok(cli("list", "--tag", "thesis", "--json")).json()] == [
        "devlin2019bert", "vaswani2017attention"]


def test_undo_reverts_each_change_exactly(cli: CliRunnerFn, tmp_path: Path) -> None:
    before = imported(cli, tmp_path)
    steps = [("tag", "vaswani2017attention", "+llm"),
             ("note", "vaswani2017attention", "-m", "a 50% note"),
             ("star", "devlin2019bert"),
             ("status", "Smith2020", "dismissed"),
             ("edit", "vaswani2017attention", "--set", "title=Attention, Renamed"),
             ("rm", "-y", "devlin2019bert")]
    states = [before]
    for step in steps:
        ok(cli(*step))
        states.append(papers(cli))
    assert "devlin2019bert" not in states[-1]
    assert states[-2]["Smith2020"]["status"] == "dismissed"
    for want in reversed(states[:-1]):
        ok(cli("undo"))
        assert papers(cli) == want
    ok(cli("undo"))  # the import itself
    assert papers(cli) == {}
    assert cli("undo").code != 0 or papers(cli) == {}


# ---------------------------------------------------------------- finding and exporting


def test_search_words_and_qualifiers(cli: CliRunnerFn, tmp_path: Path) -> None:
    imported(cli, tmp_path)
    ok(cli("tag", "devlin2019bert", "+nlp"))
    ok(cli("star", "Smith2020"))

    def keys(query: str) -> list[str]:
        return [p["key"] for p in ok(cli("search", query, "--json")).json()]

    assert keys("attention") == ["vaswani2017attention"]
    assert keys("BERT transformers") == ["devlin2019bert"]
    assert keys("tag:nlp") == ["devlin2019bert"]
    assert keys("author:shazeer") == ["vaswani2017attention"]
    assert sorted(keys("year:2017..2019")) == ["devlin2019bert", "vaswani2017attention"]
    assert keys("is:starred") == ["Smith2020"]
    assert keys("100%") == ["Smith2020"]
    assert keys("muller") == ["Smith2020"] and keys("MÜLLER") == ["Smith2020"]
    assert "Smith2020" not in keys("-is:starred")
    ok(cli("status", "Smith2020", "dismissed"))
    assert keys("is:starred") == []
    assert keys("is:starred status:dismissed") == ["Smith2020"]


def test_export_bibtex(cli: CliRunnerFn, tmp_path: Path) -> None:
    imported(cli, tmp_path)
    ok(cli("tag", "vaswani2017attention", "devlin2019bert", "+cite"))
    out = tmp_path / "out.bib"
    ok(cli("export", "--tag", "cite", "-o", str(out)))
    text = out.read_text()
    assert "@article{vaswani2017attention," in text and "@inproceedings{devlin2019bert," in text
    assert "5998--6008" in text  # an imported entry's field without a column, kept
    assert "Smith2020" not in text


def test_db_check_and_migrate(cli: CliRunnerFn, tmp_path: Path, backend: str) -> None:
    imported(cli, tmp_path)
    check = ok(cli("db", "check"))
    assert check.out.endswith(": ok (schema 5, 3 papers)\n")
    assert ok(cli("db", "migrate")).out.endswith(": at schema 5, the latest\n")
    backup = cli("db", "backup", str(tmp_path / "copy.db"))
    if backend == "sqlite":
        assert backup.code == 0
    else:
        assert backup.code == 2 and "db copy" in backup.err and "pg_dump" in backup.err
        assert not (tmp_path / "copy.db").exists()


@pytest.mark.slow  # real processes
def test_the_command_line_in_a_real_process(db_path: Any, tmp_path: Path) -> None:
    """``papershelf --db URL`` as a user runs it: a process of its own."""
    bib = tmp_path / "refs.bib"
    bib.write_text(BIB, encoding="utf-8")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "tui", "--db", str(db_path), *args],
                              cwd=REPO, capture_output=True, text=True, timeout=120)

    assert run("import", str(bib)).returncode == 0
    listed = run("list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) == 3


def test_text_that_is_not_utf8_is_one_line_and_changes_nothing(cli: CliRunnerFn,
                                                                tmp_path: Path) -> None:
    imported(cli, tmp_path)
    before = papers(cli)
    r = cli("edit", "Smith2020", "--set", "title=bad \udcff text")
    assert r.code == 2
    assert r.err == ("papershelf: cannot store 'bad \\udcff text': it is not valid UTF-8 text "
                     "(the character '\\udcff'); nothing was changed\n")
    assert cli("note", "Smith2020", "-m", "x\udcffy").code == 2
    assert papers(cli) == before


def test_a_url_of_another_kind_is_refused_in_one_line(cli: CliRunnerFn, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    r = cli("list", "--db", "mysql://lab-db/papers", db=False)
    assert (r.code, r.err) == (2, "papershelf: --db: mysql:// is not a kind of library "
                                  "papershelf opens (a library file's path, or a postgresql:// "
                                  "URL)\n")
    assert list(tmp_path.iterdir()) == []  # no folder named "mysql:" made


def test_search_folds_capital_accented_letters(cli: CliRunnerFn, tmp_path: Path) -> None:
    bib = tmp_path / "caps.bib"
    bib.write_text("@misc{etudes, title={ÉTUDES sur l'ÜBERSETZUNG, Straße}, author={Ørsted, Hans}, "
                   "year=2021}\n", encoding="utf-8")
    ok(cli("import", str(bib)))
    for query in ("etudes", "Études", "ubersetzung", "author:orsted", "strasse"):
        assert [p["key"] for p in ok(cli("search", query, "--json")).json()] == ["etudes"], query


def test_duplicates_merge_and_tag_renames(cli: CliRunnerFn, tmp_path: Path) -> None:
    bib = tmp_path / "dups.bib"
    bib.write_text("@article{vaswani2017attention, title={Attention Is All You Need}, "
                   "author={Vaswani, Ashish and Shazeer, Noam}, year={2017}, journal={NeurIPS}}\n"
                   "@misc{dup, title={Attention is all you need}, author={Vaswani, Ashish}, "
                   "year=2017, note={from the other file}}\n")
    ok(cli("import", str(bib)))
    ok(cli("tag", "dup", "+a", "+b"))
    assert "dup: possible duplicate of vaswani2017attention" in ok(cli("duplicates")).out
    ok(cli("merge", "vaswani2017attention", "dup"))
    got = papers(cli)
    assert list(got) == ["vaswani2017attention"]
    assert sorted(got["vaswani2017attention"]["tags"]) == ["a", "b"]
    assert ok(cli("show", "dup", "--json")).json()["key"] == "vaswani2017attention"  # an alias
    ok(cli("tags", "rename", "a", "c"))
    ok(cli("tags", "merge", "b", "c"))
    assert {t["name"]: t["count"] for t in ok(cli("tags", "--json")).json()} == {"c": 1}
    for _ in range(3):
        ok(cli("undo"))
    assert set(papers(cli)) == {"vaswani2017attention", "dup"}
    assert sorted(papers(cli)["dup"]["tags"]) == ["a", "b"]

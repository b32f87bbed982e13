"""Every core command through the real command line (in-process), with the store checked after."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.conftest import CliRunnerFn

ADD_VASWANI = ("add", "--title", "Attention Is All You Need", "--author", "Ashish Vaswani",
               "--author", "Noam Shazeer", "--year", "2017", "--arxiv", "1706.03762")


@pytest.fixture
def shelf(cli: CliRunnerFn) -> CliRunnerFn:
    assert cli(*ADD_VASWANI).code == 0
    assert cli("add", "--title", "LoRA: Low-Rank Adaptation of Large Language Models",
               "--author", "Edward J. Hu", "--year", "2021", "--arxiv", "2106.09685",
               "--status", "inbox").code == 0
    return cli


def test_add_prints_the_new_key_and_show_finds_it_by_key_and_id(cli: CliRunnerFn) -> None:
    r = cli(*ADD_VASWANI)
    assert (r.code, r.out) == (0, "added vaswani2017attention: Attention Is All You Need\n")
    by_key = cli("show", "vaswani2017attention", "--json").json()
    by_id = cli("show", str(by_key["id"]), "--json").json()
    assert by_key == by_id
    assert by_key["authors"] == ["Ashish Vaswani", "Noam Shazeer"]
    assert by_key["arxiv_id"] == "1706.03762" and by_key["year"] == 2017
    assert by_key["url"] == "https://arxiv.org/abs/1706.03762"
    assert by_key["status"] == "queued"
    text = cli("show", "vaswani2017attention").out
    assert "authors:   Ashish Vaswani; Noam Shazeer" in text


def test_adding_the_same_paper_twice_does_not_duplicate(shelf: CliRunnerFn) -> None:
    r = shelf(*ADD_VASWANI)
    assert r.code == 0 and "already in the library as vaswani2017attention" in r.out
    assert len(shelf("list", "--json").json()) == 2


def test_list_table_and_filters(shelf: CliRunnerFn) -> None:
    out = shelf("list").out.splitlines()
    assert out[0].split() == ["KEY", "TITLE", "FIRST", "AUTHOR", "YEAR", "STATUS", "TAGS"]
    assert out[1].startswith("hu2021lora ") and "Edward J. Hu" in out[1] and "inbox" in out[1]
    assert out[2].startswith("vaswani2017attention ") and "2017" in out[2]
    shelf("tag", "vaswani2017attention", "+llm")
    queued = shelf("list", "--status", "queued", "--tag", "llm", "--json").json()
    assert [p["key"] for p in queued] == ["vaswani2017attention"]
    assert shelf("list", "--status", "inbox", "--tag", "llm", "--json").json() == []


def test_json_paper_shape_is_the_documented_one(shelf: CliRunnerFn) -> None:
    shelf("note", "hu2021lora", "-m", "rank 8 is enough", "--quote", "low-rank")
    paper = shelf("list", "--json").json()[0]
    for field in ("id", "key", "title", "authors", "year", "published", "arxiv_id", "doi", "url",
                  "status", "starred", "rating", "tags", "notes", "upvotes", "added"):
        assert field in paper, field
    note = paper["notes"][0]
    assert set(note) == {"id", "body", "quote", "created", "updated"}
    assert (note["body"], note["quote"]) == ("rank 8 is enough", "low-rank")
    assert paper["added"].endswith("Z")


def test_tag_adds_and_removes_and_tags_counts(shelf: CliRunnerFn) -> None:
    r = shelf("tag", "vaswani2017attention", "+transformers", "+to-cite", "-old")
    assert (r.code, r.out) == (0, "vaswani2017attention: to-cite, transformers\n")
    shelf("tag", "hu2021lora", "+transformers")
    assert shelf("tags", "--json").json() == [{"name": "to-cite", "count": 1},
                                              {"name": "transformers", "count": 2}]
    r = shelf("tag", "vaswani2017attention", "-to-cite")
    assert r.out == "vaswani2017attention: transformers\n"
    assert shelf("tags").out.splitlines() == ["TAG           PAPERS", "transformers  2"]


def test_tags_rename_and_merge(shelf: CliRunnerFn) -> None:
    shelf("tag", "vaswani2017attention", "+nlp", "+NLP-core")
    shelf("tag", "hu2021lora", "+NLP-core")
    assert shelf("tags", "rename", "nlp", "language").code == 0
    r = shelf("tags", "merge", "language", "NLP-core")
    assert r.code == 0 and "2 papers" in r.out
    assert shelf("tags", "--json").json() == [{"name": "NLP-core", "count": 2}]
    assert shelf("show", "vaswani2017attention", "--json").json()["tags"] == ["NLP-core"]
    bad = shelf("tags", "rename", "nope", "x")
    assert (bad.code, bad.err) == (2, "papershelf: no tag named 'nope'\n")


def test_note_status_star_rate_key(shelf: CliRunnerFn) -> None:
    assert shelf("note", "vaswani2017attention", "-m", "The positional encoding trick").code == 0
    assert shelf("status", "vaswani2017attention", "reading").out == "vaswani2017attention: reading\n"
    assert shelf("star", "vaswani2017attention").code == 0
    assert shelf("rate", "vaswani2017attention", "4").code == 0
    r = shelf("key", "vaswani2017attention", "vaswani2017")
    assert (r.code, r.out) == (0, "vaswani2017attention -> vaswani2017\n")
    p = shelf("show", "vaswani2017", "--json").json()
    assert (p["status"], p["starred"], p["rating"]) == ("reading", True, 4)
    assert [n["body"] for n in p["notes"]] == ["The positional encoding trick"]
    assert shelf("show", "vaswani2017attention").code == 2  # the old key is gone
    nid = p["notes"][0]["id"]
    assert shelf("note", "--edit", str(nid), "-m", "edited").code == 0
    assert shelf("show", "vaswani2017", "--json").json()["notes"][0]["body"] == "edited"
    assert shelf("note", "--delete", str(nid)).code == 0
    assert shelf("show", "vaswani2017", "--json").json()["notes"] == []
    assert shelf("rate", "vaswani2017", "0").code == 0
    assert shelf("show", "vaswani2017", "--json").json()["rating"] is None
    assert shelf("unstar", "vaswani2017").code == 0
    assert shelf("show", "vaswani2017", "--json").json()["starred"] is False


def test_dismissed_papers_only_listed_with_all(shelf: CliRunnerFn) -> None:
    shelf("status", "hu2021lora", "dismissed")
    assert [p["key"] for p in shelf("list", "--json").json()] == ["vaswani2017attention"]
    assert len(shelf("list", "--all", "--json").json()) == 2
    assert [p["key"] for p in shelf("list", "--status", "dismissed", "--json").json()] == ["hu2021lora"]


def test_rm_asks_first_and_undo_brings_everything_back(shelf: CliRunnerFn) -> None:
    shelf("tag", "hu2021lora", "+peft")
    shelf("note", "hu2021lora", "-m", "a note worth keeping")
    before = shelf("show", "hu2021lora", "--json").json()
    refused = shelf("rm", "hu2021lora", input="n\n")
    assert refused.code != 0
    assert shelf("show", "hu2021lora").code == 0
    r = shelf("rm", "hu2021lora", "--yes")
    assert r.code == 0 and shelf("show", "hu2021lora").code == 2
    assert shelf("tags", "--json").json() == []
    u = shelf("undo")
    assert (u.code, u.out) == (0, "undid: rm hu2021lora\n")
    assert shelf("show", "hu2021lora", "--json").json() == before


def test_undo_reverts_every_kind_of_change_newest_first_across_runs(shelf: CliRunnerFn) -> None:
    start = shelf("show", "vaswani2017attention", "--json").json()
    steps = [("tag", "vaswani2017attention", "+a", "+b"),
             ("note", "vaswani2017attention", "-m", "n1"),
             ("status", "vaswani2017attention", "read"),
             ("star", "vaswani2017attention"),
             ("rate", "vaswani2017attention", "3"),
             ("key", "vaswani2017attention", "vas17")]
    for step in steps:
        assert shelf(*step).code == 0
    # Each command is its own process run in real use; the log lives in the file.
    for expected in reversed(steps):
        r = shelf("undo")
        assert r.code == 0 and r.out.startswith("undid: " + expected[0]), r.out
    assert shelf("show", "vaswani2017attention", "--json").json() == start
    assert shelf("undo").out == "undid: add LoRA: Low-Rank Adaptation of Large Language Models\n"
    assert shelf("undo").code == 0
    r = shelf("undo")
    assert (r.code, r.err) == (2, "papershelf: nothing to undo\n")
    assert shelf("list", "--json").json() == []


def test_unknown_paper_and_bad_status_are_one_line_exit_2(shelf: CliRunnerFn) -> None:
    r = shelf("show", "nosuchkey")
    assert (r.code, r.err) == (2, "papershelf: no paper with key or id 'nosuchkey'\n")
    r = shelf("status", "vaswani2017attention", "later")
    assert r.code == 2 and "'later' is not one of" in r.err and "Traceback" not in r.err
    r = shelf("rate", "vaswani2017attention", "9")
    assert (r.code, r.err) == (2, "papershelf: rating must be 1 to 5 (or 0 to clear), not 9\n")
    r = shelf("key", "vaswani2017attention", "hu2021lora")
    assert r.err == "papershelf: key 'hu2021lora' is already used by another paper\n"
    r = shelf("status", "vaswani2017attention", "nosuch", "read")
    assert r.code == 2
    assert shelf("show", "vaswani2017attention", "--json").json()["status"] == "queued"


@pytest.mark.parametrize("content,needle", [
    (b"this is a text file, not a database\n", "is not a papershelf library (not an SQLite database)"),
    (b"SQLite format 3\x00" + b"\x00" * 84, "is damaged (file is not a database): restore a backup"),
])
def test_unreadable_library_file(cli: CliRunnerFn, db_path: Path, content: bytes, needle: str) -> None:
    db_path.write_bytes(content)
    r = cli("list")
    assert r.code == 2 and needle in r.err and str(db_path) in r.err
    assert r.err.count("\n") == 1
    assert db_path.read_bytes() == content


def test_another_applications_database_is_refused(cli: CliRunnerFn, db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE moz_places (id INTEGER)")
    conn.commit()
    conn.close()
    before = db_path.read_bytes()
    r = cli("list")
    assert r.code == 2
    assert "is not a papershelf library (it is an SQLite database of another application" in r.err
    assert db_path.read_bytes() == before


def test_a_library_from_a_newer_papershelf_is_refused(cli: CliRunnerFn, db_path: Path) -> None:
    assert cli("list").code == 0
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    before = db_path.read_bytes()
    r = cli("add", "--title", "x")
    assert r.code == 2 and "was written by a newer papershelf (schema 999" in r.err
    assert db_path.read_bytes() == before


def test_db_option_before_or_after_and_env(cli: CliRunnerFn, tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.db", tmp_path / "b.db", tmp_path / "c.db"
    assert cli("--db", str(a), "add", "--title", "In A", db=False).code == 0
    assert cli("add", "--title", "In B", "--db", str(b), db=False).code == 0
    assert cli("add", "--title", "In C", db=False, env={"PAPERSHELF_DB": str(c)}).code == 0
    for path, title in ((a, "In A"), (b, "In B"), (c, "In C")):
        papers = cli("list", "--json", "--db", str(path), db=False).json()
        assert [p["title"] for p in papers] == [title]
    assert cli("db", "path", db=False, env={"PAPERSHELF_DB": str(c)}).out.strip() == str(c)
    assert cli("db", "path", "--db", str(a), db=False).out.strip() == str(a)


def test_default_library_lives_in_the_platform_data_dir(cli: CliRunnerFn, tmp_path: Path) -> None:
    r = cli("db", "path", db=False, env={"XDG_DATA_HOME": str(tmp_path / "xdg")})
    assert r.out.strip() == str(tmp_path / "xdg" / "papershelf" / "library.db")


def test_db_backup_check_and_migrate(shelf: CliRunnerFn, tmp_path: Path) -> None:
    dest = tmp_path / "backup.db"
    r = shelf("db", "backup", str(dest))
    assert r.code == 0 and dest.exists()
    copy = shelf("list", "--json", "--db", str(dest), db=False).json()
    assert [p["key"] for p in copy] == ["hu2021lora", "vaswani2017attention"]
    check = shelf("db", "check")
    assert check.code == 0 and ": ok (schema " in check.out and "2 papers" in check.out
    assert shelf("db", "migrate").code == 0
    bad = shelf("db", "backup", str(tmp_path / "missing" / "x.db"))
    assert bad.code == 2 and "does not exist" in bad.err


def test_db_check_reports_damage(shelf: CliRunnerFn, db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("INSERT INTO paper_tag (paper_id, tag_id) VALUES (999, 999)")
    conn.commit()
    conn.close()
    r = shelf("db", "check")
    assert r.code == 2 and "paper_tag row 1 points to a missing paper" in r.out
    assert "search index: 1 paper(s) changed outside papershelf" in r.out
    assert "3 problems found" in r.err


def test_help_on_every_command(cli: CliRunnerFn) -> None:
    import click

    from tui.cli import cli as group

    def walk(cmd, path):
        yield path
        if isinstance(cmd, click.Group):
            ctx = click.Context(cmd)
            for name in cmd.list_commands(ctx):
                yield from walk(cmd.get_command(ctx, name), path + [name])

    paths = list(walk(group, []))
    assert ["export"] in paths and ["tags", "rename"] in paths and ["db", "backup"] in paths
    for path in paths:
        r = cli(*path, "--help")
        assert r.code == 0 and "Usage: papershelf" in r.out, path


def test_note_without_message_and_no_terminal_is_refused(shelf: CliRunnerFn) -> None:
    r = shelf("note", "vaswani2017attention", input="")
    assert r.code == 2 and "no -m given" in r.err


def test_note_opens_editor(shelf: CliRunnerFn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import click

    monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)
    monkeypatch.setattr(click, "edit", lambda text, extension: "from the editor\n")
    import tui.cli.library as lib_cli

    monkeypatch.setattr(lib_cli, "_editor", lambda text: click.edit(text, extension=".md"))
    assert shelf("note", "vaswani2017attention").code == 0
    notes = shelf("show", "vaswani2017attention", "--json").json()["notes"]
    assert [n["body"] for n in notes] == ["from the editor\n"]

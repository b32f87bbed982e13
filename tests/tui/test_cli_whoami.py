"""``papershelf whoami`` and ``--user``: who changes are recorded as (``--user``, then
``[user] name`` in config.toml, then the login name); notes say who wrote them when that is
someone else, in ``show``, ``show --json`` and the app's detail pane."""

from __future__ import annotations

import getpass
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from storage.db import Library
from tests.conftest import CliRunnerFn


@pytest.fixture(autouse=True)
def _config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "config.toml"
    monkeypatch.setenv("PAPERSHELF_CONFIG", str(config))
    return config


def test_whoami_is_the_login_name_then_config_then_option(cli: CliRunnerFn,
                                                           _config: Path) -> None:
    assert cli("whoami").out.strip() == getpass.getuser()
    _config.write_text('[user]\nname = "Ada Lovelace"\n', encoding="utf-8")
    assert cli("whoami").out.strip() == "Ada Lovelace"
    assert cli("--user", "grace", "whoami").out.strip() == "grace"


@pytest.mark.parametrize(("toml", "message"), [
    ("[user]\nname = 3\n", "config.toml:2: [user] name must be a name in quotes"),
    ("[user]\nname = \"  \"\n", "config.toml:2: [user] name '  ' is empty"),
    ("[user]\nnom = \"x\"\n", "config.toml:2: unknown setting 'nom' in [user] (known: name)"),
])
def test_a_bad_user_setting_is_one_line(cli: CliRunnerFn, _config: Path, toml: str,
                                        message: str) -> None:
    _config.write_text(toml, encoding="utf-8")
    for args in (["whoami"], ["note", "1", "-m", "x"]):
        result = cli(*args)
        assert result.code == 2
        assert result.err.strip().endswith(message), result.err
        assert result.err.count("\n") == 1


def test_bad_option_is_one_line(cli: CliRunnerFn) -> None:
    result = cli("--user", "a\x1bb", "whoami")
    assert result.code == 2 and "holds a control character" in result.err


def _notes(lib: Library) -> list[tuple[int, str | None]]:
    conn = sqlite3.connect(lib.path)
    try:
        return conn.execute("SELECT id, author FROM note ORDER BY id").fetchall()
    finally:
        conn.close()


def test_notes_and_undo_steps_record_their_author(cli: CliRunnerFn, lib: Library) -> None:
    assert cli("add", "--title", "Attention Is All You Need", "--author", "Ashish Vaswani",
               "--year", "2017").code == 0
    assert cli("note", "vaswani2017attention", "-m", "mine").code == 0
    assert cli("--user", "alice", "note", "vaswani2017attention", "-m", "from alice").code == 0
    assert _notes(lib) == [(1, getpass.getuser()), (2, "alice")]
    # Editing keeps who wrote it.
    assert cli("note", "--edit", "2", "-m", "from alice, fixed").code == 0
    assert _notes(lib) == [(1, getpass.getuser()), (2, "alice")]
    conn = sqlite3.connect(lib.path)
    try:
        assert conn.execute("SELECT description, author FROM undo_action ORDER BY id").fetchall() \
            == [("add Attention Is All You Need", getpass.getuser()),
                ("note on vaswani2017attention", getpass.getuser()),
                ("note on vaswani2017attention", "alice"),
                ("edit note 2", getpass.getuser())]
    finally:
        conn.close()

    mine = cli("show", "vaswani2017attention").out
    assert "— alice" in mine and f"— {getpass.getuser()}" not in mine
    theirs = cli("--user", "alice", "show", "vaswani2017attention").out
    assert "Note 1 (" in theirs and f"— {getpass.getuser()}" in theirs
    assert "— alice" not in theirs
    shapes = cli("show", "vaswani2017attention", "--json").json()["notes"]
    assert [n["author"] for n in shapes] == [getpass.getuser(), "alice"]


async def test_the_detail_pane_names_the_author_of_someone_elses_note(lib: Library,
                                                                      sample: dict[str, int],
                                                                      make_app: Any) -> None:
    from storage import ops
    from tests.support.app import screen_text, settle
    from tui.widgets.detail import NoteCard
    from tui.widgets.paper_list import PaperList

    pid = sample["Mixtral of Experts"]
    with lib.action("alice's note") as session:
        ops.add_note(session, paper=ops.find_paper(session, ref=pid), body="experts, routed",
                     author="alice")
    with lib.action("my note") as session:
        ops.add_note(session, paper=ops.find_paper(session, ref=pid), body="mine, unsigned",
                     author=lib.user)
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        papers = app.main.query_one(PaperList)
        papers.move_to(papers.ids.index(pid))
        await settle(pilot)
        heads = [str(card.query_one(".note-head").render()) for card in
                 app.main.detail.query(NoteCard)]
        assert len(heads) == 2
        assert heads[0].endswith("— alice") and "—" not in heads[1]
        assert "— alice" in screen_text(app)
    lib.user = "alice"  # the same notes seen by alice: the other one is signed
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        papers = app.main.query_one(PaperList)
        papers.move_to(papers.ids.index(pid))
        await settle(pilot)
        heads = [str(card.query_one(".note-head").render()) for card in
                 app.main.detail.query(NoteCard)]
        assert "—" not in heads[0] and heads[1].endswith(f"— {getpass.getuser()}")

"""Keyboard paths and layout (issue 15): the sidebar and view keys, the day keys, j/k, the vim
preset, hiding the sidebar and the detail pane (remembered in config.toml across restarts),
the theme remembered, the layout at 80x24 and 120x40, the inbox's day column, the first run's
keys. Each restart is a second app on the same config file, as `papershelf` would start."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from textual.command import CommandPalette

from reader.record import PaperRecord
from storage import ops
from storage.views import View
from tests.support.app import notifications, press, screen_text, settle, type_text, wait_for
from tui.bindings import MAIN_KEYS, PRESETS
from tui.config import load_config, save_ui
from tui.screens.dialogs import InputDialog
from tui.screens.help import HelpScreen
from tui.widgets.paper_list import PaperList
from tui.widgets.sidebar import ViewList

DATA = Path(__file__).resolve().parents[1] / "reader" / "data"
USER_FILE = """# my papershelf settings
[sources]
timeout = 30   # a slow mirror

[ui]
theme = "textual-dark"  # the theme I start with

[keys]
"paper.dismiss" = "x,d"
"""


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's own config.toml, with comments and settings of other tables."""
    path = tmp_path / "config.toml"
    path.write_text(USER_FILE)
    monkeypatch.setenv("PAPERSHELF_CONFIG", str(path))
    return path


@pytest.fixture
def pull_server(config_file: Path, monkeypatch: pytest.MonkeyPatch):
    """A local Daily Papers server the app pulls from (as in test_app_pull.py)."""
    import reader.arxiv
    import storage.vocab
    from tests.support.app import TODAY
    from tests.support.local_server import local_server

    with local_server() as srv:
        for var in ("PAPERSHELF_HF_URL", "PAPERSHELF_ARXIV_URL", "PAPERSHELF_DOI_URL"):
            monkeypatch.setenv(var, srv.url)
        monkeypatch.setattr(reader.arxiv, "INTERVAL", 0.0)
        monkeypatch.setattr(storage.vocab, "utc_today", lambda: TODAY)
        yield srv


def started(make_app, path: Path, **kwargs):
    """The app as `papershelf` starts it: on the config file's settings."""
    config, problems = load_config(path)
    assert problems == []
    return make_app(config=config, **kwargs)


def statuses(lib) -> dict[str, str]:
    with lib.read() as session:
        return {p.title: p.status for p in ops.list_papers(session, include_dismissed=True)}


# ---------------------------------------------------------------- keys


async def test_v_focuses_the_sidebar_and_each_view_has_a_key(sample, make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        main = app.main
        sidebar = main.query_one(ViewList)
        footer = screen_text(app).splitlines()[-1]
        assert "v Views" in footer and "? Keys" in footer
        # The sidebar names each view's key.
        text = screen_text(app)
        for label in ("Inbox I", "Queued Q", "Reading G", "Read R", "Starred *", "All A"):
            assert label in text, label
        await press(pilot, "v")
        assert sidebar.has_focus
        assert sidebar.highlighted == sidebar.get_option_index("inbox")  # from the view shown
        await press(pilot, "down", "enter")
        assert main.view == View("queued") and main.papers.has_focus
        await press(pilot, "v", "down", "right")  # right goes back to the list
        assert main.papers.has_focus and main.view == View("queued")
        for key, kind, n in [("I", "inbox", 5), ("Q", "queued", 3), ("G", "reading", 1),
                             ("R", "read", 1), ("asterisk", "starred", 1), ("A", "all", 10)]:
            await press(pilot, key)
            assert main.view == View(kind), key
            assert len(main.papers.ids) == n, key
            assert main.papers.has_focus


async def test_day_keys_step_through_the_pulled_days(sample, make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        main = app.main
        await press(pilot, "left_square_bracket")  # from the inbox: the newest day
        assert main.view == View("day", "2024-01-19")
        assert "2024-01-19 · 4 papers" in screen_text(app)
        await press(pilot, "left_square_bracket")
        assert main.view == View("day", "2024-01-09")
        await press(pilot, "left_square_bracket")  # no older day: says so, stays
        assert main.view == View("day", "2024-01-09")
        assert notifications(app)[-1] == "That was the oldest pulled day."
        await press(pilot, "right_square_bracket")
        assert main.view == View("day", "2024-01-19")
        sidebar = main.query_one(ViewList)
        assert sidebar.highlighted == sidebar.get_option_index("day:2024-01-19")


async def test_j_and_k_move_and_y_keeps(sample, make_app, lib):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        papers = app.main.papers
        await press(pilot, "j", "j")
        assert papers.cursor == 2
        await press(pilot, "k")
        assert papers.cursor == 1
        await press(pilot, "down", "up")
        assert papers.cursor == 1
        assert statuses(lib)["Lumiere: A Space-Time Diffusion Model for Video Generation"] == \
            "inbox"  # k moved, kept nothing
        await press(pilot, "y")
        assert statuses(lib)["Lumiere: A Space-Time Diffusion Model for Video Generation"] == \
            "queued"


def _keys_by_scope(keymap: dict[str, str]) -> dict[str, list[str]]:
    """key -> binding ids, for the main screen's keys with the list's (what a key does when
    the list has the focus) and with the sidebar's."""
    out: dict[str, list[str]] = {}
    for binding in [*MAIN_KEYS, *PaperList.BINDINGS]:
        assert binding.id
        for key in keymap.get(binding.id, binding.key).split(","):
            out.setdefault(key.strip(), []).append(binding.id)
    return out


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_no_key_means_two_things_in_a_preset(preset):
    keymap = PRESETS[preset]
    clashes = {k: ids for k, ids in _keys_by_scope(keymap).items() if len(ids) > 1}
    assert clashes == {}
    sidebar: dict[str, list[str]] = {}
    for binding in [*MAIN_KEYS, *ViewList.BINDINGS]:
        for key in keymap.get(binding.id, binding.key).split(","):
            sidebar.setdefault(key.strip(), []).append(binding.id)
    # enter: the sidebar shows the view it is on (the list's enter opens the detail).
    assert {k: v for k, v in sidebar.items() if len(v) > 1} == {
        "enter": ["paper.detail", "views.select"]}


async def test_the_vim_preset(sample, make_app, lib, config_file):
    config_file.write_text(USER_FILE.replace("[keys]\n", '[keys]\npreset = "vim"\n'))
    app = started(make_app, config_file)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        main = app.main
        papers = main.papers
        await press(pilot, "G")
        assert papers.cursor == len(papers.ids) - 1
        await press(pilot, "g")
        assert papers.cursor == 0
        await press(pilot, "j", "w")  # w: reading (g moves to the top in vim)
        assert statuses(lib)["Lumiere: A Space-Time Diffusion Model for Video Generation"] == \
            "reading"
        await press(pilot, "W")
        assert main.view == View("reading")
        await press(pilot, "h")
        assert main.query_one(ViewList).has_focus
        await press(pilot, "l")
        assert papers.has_focus
        await press(pilot, "x")  # the user's own [keys] apply over the preset
        assert "dismissed" in statuses(lib).values()
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        lines = [line.strip() for line in help_text(app).splitlines()]
        assert any(line.startswith("w ") and line.endswith("Reading") for line in lines)
        assert any(line.startswith("g, home ") and line.endswith("First paper")
                   for line in lines)


# ---------------------------------------------------------------- the help screen


def help_text(app) -> str:
    """The whole help table as text (the screen shows a scrolled part of it)."""
    from rich.console import Console

    console = Console(width=96, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(app.screen.query_one("#help-table").content)
    return console.export_text()


async def test_help_is_grouped_by_task_and_shows_ids_on_request(sample, make_app):
    app = make_app()
    async with app.run_test(size=(100, 60)) as pilot:
        await settle(pilot)
        await press(pilot, "question_mark")
        text = help_text(app)
        groups = ["Triage (the inbox)", "Reading", "Search", "Library", "Moving around", "App"]
        lines = [line.strip() for line in text.splitlines()]
        assert [g for g in lines if g in groups] == groups  # in this order
        assert "paper.keep" not in text and "Binding id" not in text
        assert "paper.keep" not in screen_text(app)
        for key, does in [("y", "Keep"), ("v", "Views"), ("[", "Older day"), ("*", "Starred"),
                          ("b", "Hide/show the sidebar"), ("B", "Import a .bib file"),
                          ("up, k", "Up"), ("down, j", "Down")]:
            assert any(line.split(None, 1) == [key, does] or line == f"{key}  {does}"
                       or (line.startswith(key + " ") and line[len(key):].strip() == does)
                       for line in lines), (key, does)
        await press(pilot, "i")
        assert "paper.keep" in help_text(app) and "paper.keep" in screen_text(app)


def test_every_main_key_is_in_a_task_group():
    from tui.screens.keys import binding_groups

    grouped = [b.id for _title, group in binding_groups() for b in group]
    assert len(grouped) == len(set(grouped))
    for binding in [*MAIN_KEYS, *PaperList.BINDINGS, *ViewList.BINDINGS]:
        assert binding.id in grouped, binding.id


# ---------------------------------------------------------------- layout, remembered


async def test_b_hides_the_sidebar_and_it_stays_hidden_after_a_restart(sample, make_app,
                                                                      config_file):
    app = started(make_app, config_file)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.main.query_one(ViewList).display
        await press(pilot, "b")
        assert not app.main.query_one(ViewList).display
        assert "Inbox I" not in screen_text(app)
    saved = config_file.read_text()
    assert tomllib.loads(saved)["ui"]["sidebar"] is False
    assert saved.startswith(USER_FILE.split("[ui]")[0])  # the user's lines, comments kept
    assert '# the theme I start with' in saved and '"paper.dismiss" = "x,d"' in saved
    app = started(make_app, config_file)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert not app.main.query_one(ViewList).display
        await press(pilot, "v")  # the views are still one key away
        assert app.main.query_one(ViewList).display and app.main.query_one(ViewList).has_focus
        await press(pilot, "enter")
        assert not app.main.query_one(ViewList).display
        await press(pilot, "b")
        assert app.main.query_one(ViewList).display
    assert tomllib.loads(config_file.read_text())["ui"]["sidebar"] is True


async def test_the_detail_pane_hidden_and_resized_is_remembered(sample, make_app, config_file):
    app = started(make_app, config_file)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        main = app.main
        height = main.detail.region.height
        await press(pilot, "minus", "minus")
        assert main.detail.region.height < height
        smaller = main.detail.region.height
        await press(pilot, "z")
        assert not main.detail.display
        list_rows = main.papers.region.height
        assert list_rows > 30
    ui = tomllib.loads(config_file.read_text())["ui"]
    assert ui["detail"] is False and ui["detail_size"] == 25
    app = started(make_app, config_file)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        main = app.main
        assert not main.detail.display
        assert main.papers.region.height == list_rows
        await press(pilot, "enter")  # enter shows the paper anyway, until esc
        assert main.detail.display
        await press(pilot, "escape")
        assert not main.detail.display and main.papers.has_focus
        await press(pilot, "z")
        assert main.detail.display and main.detail.region.height == smaller
    assert tomllib.loads(config_file.read_text())["ui"]["detail"] is True


async def test_the_theme_picked_in_the_palette_is_used_at_the_next_start(sample, make_app,
                                                                         config_file):
    app = started(make_app, config_file)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.theme == "textual-dark"
        await press(pilot, "ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await type_text(pilot, "theme")
        await press(pilot, "enter")  # "Theme": the theme picker
        await wait_for(pilot, "the theme picker", lambda: isinstance(app.screen, CommandPalette))
        await type_text(pilot, "nord")
        await wait_for(pilot, "nord listed", lambda: "nord" in screen_text(app))
        await press(pilot, "enter")
        await wait_for(pilot, "the theme applied", lambda: app.theme == "nord")
    saved = config_file.read_text()
    assert tomllib.loads(saved)["ui"]["theme"] == "nord"
    assert "# my papershelf settings" in saved and "timeout = 30   # a slow mirror" in saved
    app = started(make_app, config_file)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.theme == "nord"


def test_saving_keeps_the_users_file_and_refuses_a_broken_one(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(USER_FILE)
    save_ui(path, theme="nord", detail_size=40)
    text = path.read_text()
    # Only the two settings changed, the comment on the theme's line kept.
    assert text == USER_FILE.replace('theme = "textual-dark"  #', 'theme = "nord"  #').replace(
        "start with\n", "start with\ndetail_size = 40\n")
    assert tomllib.loads(text)["ui"] == {"theme": "nord", "detail_size": 40}
    assert tomllib.loads(text)["sources"] == {"timeout": 30}
    assert "# the theme I start with" in text and "# a slow mirror" in text
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]  # no temporary file left
    broken = "[ui\ntheme = 'x'\n"
    path.write_text(broken)
    from reader.errors import BadInput

    with pytest.raises(BadInput, match="not valid TOML"):
        save_ui(path, sidebar=False)
    assert path.read_text() == broken
    fresh = tmp_path / "new" / "config.toml"
    save_ui(fresh, sidebar=False)
    assert tomllib.loads(fresh.read_text()) == {"ui": {"sidebar": False}}


async def test_a_config_that_cannot_be_written_is_said_once(sample, make_app, config_file):
    config_file.write_text("[ui\n")  # the user's half-edited file: left alone
    config, problems = load_config(config_file)
    assert len(problems) == 1  # (said at the start: the defaults apply)
    app = make_app(config=config)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "b")
        assert not app.main.query_one(ViewList).display  # applied for this session
        assert any("not saved, the file is not valid TOML" in m for m in notifications(app))
    assert config_file.read_text() == "[ui\n"


# ---------------------------------------------------------------- sizes


async def test_80x24_collapses_the_sidebar_and_shows_45_characters_of_a_title(lib, make_app):
    title = "An Unusually Long Paper Title Meant To Test Sixty Characters"
    assert len(title) == 60
    with lib.action("one") as session:
        ops.merge_record(session, record=PaperRecord(title=title, authors=["A. Author"],
                                                     year=2024), status="queued")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        main = app.main
        assert not main.query_one(ViewList).display
        text = screen_text(app)
        assert title[:45] in text
        assert "A. Author" in text and "2024" in text  # with its author and year
        await press(pilot, "b")  # shown on demand (for this session: not saved)
        assert main.query_one(ViewList).display
        lines = screen_text(app).splitlines()  # the counts fit the slimmer sidebar
        assert lines[0].startswith("Inbox I") and lines[0][:17].rstrip().endswith(" 0")
        await press(pilot, "b")
        assert not main.query_one(ViewList).display


async def test_120x40_gives_the_list_most_of_the_height(sample, make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        main = app.main
        assert main.query_one(ViewList).display
        list_rows = main.papers.region.height - 1  # its header
        detail_rows = main.detail.region.height - 1  # its border
        assert list_rows > detail_rows
        assert list_rows >= 20


async def test_a_wide_terminal_gives_titles_the_room(lib, make_app):
    title = ("Scaling Laws for a Very Long Title That Goes On Well Past Forty-Six Characters "
             "Indeed")
    with lib.action("one") as session:
        ops.merge_record(session, record=PaperRecord(title=title, authors=["A. Author"],
                                                     year=2024), status="queued")
    app = make_app()
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot)
        assert title[:56] in screen_text(app)  # (46 before: the detail pane took the room)


async def test_the_inbox_shows_each_day_where_it_starts(sample, make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        lines = screen_text(app).splitlines()
        assert "Day" in lines[2] and "▲" in lines[2]
        rows = {line.split("  ")[2].strip()[:20]: line for line in lines[3:8]}
        assert "01-19" in rows["Self-Rewarding Langu"] and "140" in rows["Self-Rewarding Langu"]
        assert "01-19" not in rows["Lumiere: A Space-Tim"]  # the same day: blank under it
        assert "01-09" in rows["Mixtral of Experts"]
        await press(pilot, "A")  # other views: no day column
        assert "Day" not in screen_text(app).splitlines()[2]


# ---------------------------------------------------------------- first run


async def test_the_welcome_screen_fills_the_library_one_key_away(lib, make_app, tmp_path):
    app = make_app()
    bib = tmp_path / "refs.bib"
    bib.write_text("@article{vaswani2017attention,\n  title = {Attention Is All You Need},\n"
                   "  author = {Vaswani, Ashish and Shazeer, Noam},\n  year = {2017}\n}\n")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "Your library is empty. Fill it, one key each:" in text
        assert "p   pull today's Hugging Face Daily Papers" in text
        assert "B   import a BibTeX file (.bib)" in text
        assert "P   import a saved Daily Papers page (.html)" in text
        await press(pilot, "B")
        assert isinstance(app.screen, InputDialog)
        await type_text(pilot, str(bib))
        await press(pilot, "enter")
        await settle(pilot)
        assert statuses(lib) == {"Attention Is All You Need": "queued"}
        assert app.main.view == View("queued")  # where the imported papers went
        assert "Attention Is All You Need" in screen_text(app)
        await press(pilot, "P")
        assert isinstance(app.screen, InputDialog)
        await type_text(pilot, str(DATA / "saved_page.html"))
        await press(pilot, "enter")
        await settle(pilot)
        assert len(statuses(lib)) > 1
        assert app.main.view == View("inbox") and len(app.main.papers.ids) == 2
        assert any(m.startswith("saved_page.html") for m in notifications(app)), \
            notifications(app)
        await press(pilot, "B")
        await type_text(pilot, str(tmp_path / "missing.bib"))
        await press(pilot, "enter")
        await settle(pilot)
        assert "missing.bib" in notifications(app)[-1]


async def test_p_on_the_welcome_screen_pulls_today(lib, make_app, pull_server):
    from tests.tui.test_app_pull import DAY, daily_papers

    pull_server.add("/api/daily_papers", daily_papers(), date=DAY)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "p   pull today's" in screen_text(app)
        await press(pilot, "p")
        await wait_for(pilot, "the pull done", lambda: not app.main.pulling)
        await settle(pilot)
        assert app.main.view == View("all") and len(app.main.papers.ids) == 3
        assert "A Benchmark Without Summary" in screen_text(app)


async def test_v_on_a_collapsed_sidebar_shows_it_with_its_counts_in_place(sample, make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "v")
        sidebar = app.main.query_one(ViewList)
        assert sidebar.display and sidebar.has_focus
        lines = screen_text(app).splitlines()
        for line, (label, count) in zip(lines, [("Inbox I", "5"), ("Queued Q", "3")],
                                        strict=False):
            assert line.startswith(label) and line[:16].endswith(f" {count}"), line
        await press(pilot, "down", "enter")  # a view chosen: the sidebar collapses again
        assert app.main.view == View("queued") and not sidebar.display


def test_bad_layout_settings_and_presets_name_their_lines(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[ui]\nsidebar = "no"\ndetail_size = 90\ndetail = false\n'
                    '[keys]\npreset = "emacs"\n')
    config, problems = load_config(path)
    assert problems == [
        f"{path}:2: [ui] sidebar must be true or false",
        f"{path}:3: [ui] detail_size must be a whole number of percent from 15 to 75, not 90",
        f"{path}:6: [keys] preset must be one of default, vim, not 'emacs'",
    ]
    assert config.sidebar is True and config.detail is False and config.detail_size == 35
    assert config.preset == "default" and config.keys == {}


async def test_settings_not_read_from_a_file_are_kept_for_the_session(sample, make_app,
                                                                     tmp_path):
    app = make_app()  # Config() made in code: nothing is written anywhere
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "b", "z")
        assert not app.main.query_one(ViewList).display and not app.main.detail.display
        app.theme = "nord"
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".toml") == []


async def test_a_remapped_key_that_another_key_has_is_said(sample, make_app, config_file):
    config_file.write_text('[keys]\n"paper.keep" = "k"\n')  # the old habit
    config, problems = load_config(config_file)
    app = make_app(config=config, problems=problems)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        messages = notifications(app)
        assert len(messages) == 1
        assert (f"{config_file}:2: [keys] paper.keep: 'k' is also the key of list.up "
                f"(remap that one too)") in messages[0]

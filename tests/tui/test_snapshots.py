"""Snapshots of the main screens at fixed sizes (review changes before accepting them:
`pytest tests/tui/test_snapshots.py --snapshot-update`). The sample library is built at a frozen
time and the app's "today" is frozen, so nothing here depends on the clock."""

from __future__ import annotations

from storage.views import View
from tests.support.app import press, settle, type_text


def test_main_screen(sample, make_app, snap_compare):
    async def run_before(pilot):
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run_before)


def test_main_screen_wide_with_marks(sample, make_app, snap_compare):
    async def run_before(pilot):
        await settle(pilot)
        await press(pilot, "space", "down", "space")

    assert snap_compare(make_app(), terminal_size=(150, 36), run_before=run_before)


def test_detail_pane_with_notes(sample, make_app, snap_compare):
    async def run_before(pilot):
        await settle(pilot)
        pilot.app.main.show_view(View("reading"))
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=(100, 40), run_before=run_before)


def test_tag_dialog(sample, make_app, snap_compare):
    async def run_before(pilot):
        await settle(pilot)
        pilot.app.main.show_view(View("queued"))
        await settle(pilot)
        await press(pilot, "t")
        await type_text(pilot, "to-read -gr")

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run_before)


def test_export_dialog(sample, make_app, snap_compare, tmp_path):
    from pathlib import Path

    from tui.config import Config

    config = Config(export_file=Path("/home/user/thesis/refs.bib"), export_style="biblatex")

    async def run_before(pilot):
        await settle(pilot)
        await press(pilot, "space", "space", "e")

    assert snap_compare(make_app(config=config), terminal_size=(80, 30), run_before=run_before)


def test_help_screen(sample, make_app, snap_compare):
    async def run_before(pilot):
        await settle(pilot)
        await press(pilot, "question_mark")

    assert snap_compare(make_app(), terminal_size=(100, 50), run_before=run_before)


def test_export_dialog_with_a_disabled_choice(sample, make_app, snap_compare):
    """No [export] file: the merge choice is dimmed and says what it needs."""
    async def run_before(pilot):
        await settle(pilot)
        await press(pilot, "e")

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run_before)


def test_main_screen_120x40(sample, make_app, snap_compare):
    """The list takes most of the height, the sidebar names each view's key, the inbox's day
    column."""
    async def run_before(pilot):
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=run_before)

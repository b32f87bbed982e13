"""The Textual app (placeholder until the app issue lands: shows the library read-only)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Footer, Header

from storage import library as ops
from storage.db import Library


class PapershelfApp(App[None]):
    TITLE = "papershelf"
    BINDINGS = [("q", "quit", "Quit")]

    def __init__(self, lib: Library) -> None:
        super().__init__()
        self.lib = lib

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Key", "Title", "First author", "Year", "Status")
        with self.lib.read() as session:
            for p in ops.list_papers(session):
                first = ops.first_author(session, paper_id=p.id or 0) or ""
                table.add_row(p.key, p.title, first, str(p.year or ""), p.status)


def run_app(lib: Library) -> None:
    PapershelfApp(lib).run()

"""The stats view: papers added and read per week, the top tags, the inbox backlog. A tag's count
is the number of papers its view lists (dismissed papers aside), the same as the sidebar's and
``papershelf tags``."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Sparkline, Static

from storage.views import Stats
from tui.words import count, plural


def bar(value: int, top: int, width: int = 24) -> str:
    if top <= 0 or value <= 0:
        return ""
    return "█" * max(1, round(value * width / top))


def weeks_table(stats: Stats) -> Table:
    table = Table(box=None, padding=(0, 1), show_header=True, header_style="bold")
    table.add_column("Week of", no_wrap=True)
    table.add_column("Added", justify="right")
    table.add_column("", style="green", no_wrap=True)
    table.add_column("Read", justify="right")
    table.add_column("", style="cyan", no_wrap=True)
    top = max([*stats.added, *stats.read, 1])
    for week, added, read in zip(stats.weeks, stats.added, stats.read, strict=True):
        table.add_row(week, str(added), bar(added, top, 16), str(read), bar(read, top, 16))
    return table


def tags_text(stats: Stats) -> Text:
    text = Text()
    if not stats.top_tags:
        text.append("no tags yet", style="dim")
    top = max([n for _, n in stats.top_tags] or [1])
    for name, n in stats.top_tags:
        text.append(f"#{name[:18]:<18} {n:>5} ")
        text.append(bar(n, top, 14) + "\n", style="magenta")
    text.rstrip()
    return text


def backlog_text(stats: Stats) -> Text:
    text = Text()
    text.append(f"{stats.inbox}", style="bold")
    waits = "waits" if stats.inbox == 1 else "wait"
    text.append(f" {plural(stats.inbox, 'paper')} {waits} in the inbox")
    if stats.inbox_oldest:
        text.append(f" (oldest pulled {stats.inbox_oldest})")
    text.append(f"\n{count(stats.total, 'paper')} in the library (dismissed ones aside), "
                f"{stats.read_total} read")
    return text


class StatsScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q", "close", "Close", id="stats.close")]

    def __init__(self, stats: Stats) -> None:
        super().__init__()
        self.stats = stats

    def compose(self) -> ComposeResult:
        s = self.stats
        with Vertical(classes="dialog wide", id="stats"):
            yield Label(f"Stats: the last {count(len(s.weeks), 'week')}", classes="title")
            with VerticalScroll():
                yield Static(backlog_text(s), id="stats-backlog")
                with Horizontal(classes="sparks"):
                    with Vertical():
                        yield Label("added per week")
                        yield Sparkline([float(v) for v in s.added], id="spark-added")
                    with Vertical():
                        yield Label("read per week")
                        yield Sparkline([float(v) for v in s.read], id="spark-read")
                yield Static(weeks_table(s), id="stats-weeks")
                yield Label("Top tags", classes="section")
                yield Static(tags_text(s), id="stats-tags")
            yield Static("esc close · q close", classes="hint keys")

    def action_close(self) -> None:
        self.dismiss(None)

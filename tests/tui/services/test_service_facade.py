"""The app's Services: the same use cases as the command line, handed fake sources."""

from __future__ import annotations

from datetime import date

import pytest
from service_fakes import FakeSources, items, record

import storage.vocab
from storage.db import Library
from tui.services.export import ExportRequest
from tui.services.facade import Services

TODAY = date(2024, 6, 16)


class FakeServices(Services):
    def __init__(self, lib: Library) -> None:
        super().__init__(lib)
        self.fake = FakeSources()

    def sources(self) -> FakeSources:
        return self.fake


def test_pull_reports_progress_as_done_total_what(lib: Library,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage.vocab, "utc_today", lambda: TODAY)
    services = FakeServices(lib)
    services.fake.fake_hf.days = {TODAY: items(TODAY, 1, 2)}
    seen: list[tuple[int, int, str]] = []
    report = services.pull(progress=lambda done, total, what: seen.append((done, total, what)))
    assert seen == [(0, 1, "hf 2024-06-16"), (1, 1, "hf 2024-06-16")]
    assert report.summary() == "2 new, 0 updated, 0 unchanged, 0 failed"


def test_add_resolve_and_export_through_the_facade(lib: Library) -> None:
    services = FakeServices(lib)
    services.fake.fake_arxiv.known = {"2406.00007": record(7)}
    added = services.add(["2406.00007"], tags=["x"])
    assert added.exit_code == 0 and added.results[0].paper is not None
    pid = added.results[0].paper.id
    unknown = services.resolve([pid])  # the fake search knows no title: nothing changes
    assert (unknown.resolved, unknown.exit_code) == ([], 1)
    text = services.bibtex_of([pid])
    assert text.startswith("@misc{last72024paper,")
    assert services.export(ExportRequest([pid], "preview")).added == ["last72024paper"]

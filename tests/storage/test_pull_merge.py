"""Merging pulled feeds into the library: no duplicates, user fields untouched, feed entries
per day, one undo step per day, the pull log."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from reader.errors import BadInput
from reader.hf import parse_daily_papers
from reader.record import FeedItem, PaperRecord
from storage import ops, pulls
from storage.db import Library

DATA = Path(__file__).resolve().parents[1] / "reader" / "data"


def feed_of(path: Path, day: date | None = None) -> dict[date, list[FeedItem]]:
    return parse_daily_papers(json.loads(path.read_bytes()), day=day).by_day()


def merge(lib: Library, groups: dict[date, list[FeedItem]]) -> dict[date, pulls.Counts]:
    return {day: pulls.merge_feed_day(lib, source="hf", day=day, items=items)
            for day, items in groups.items()}


def all_papers(lib: Library) -> list[dict]:
    with lib.read() as session:
        return [ops.paper_dict(session, paper=p)
                for p in ops.list_papers(session, include_dismissed=True)]


def feed_rows(lib: Library, day: date) -> list[tuple[str | None, int, int | None, str]]:
    with lib.read() as session:
        return [(p.arxiv_id, e.rank, e.upvotes, p.status)
                for e, p in pulls.day_feed(session, day=day)]


def paper(lib: Library, arxiv_id: str) -> dict:
    (found,) = [p for p in all_papers(lib) if p["arxiv_id"] == arxiv_id]
    return found


def test_pull_twice_makes_no_duplicates(lib: Library) -> None:
    groups = feed_of(DATA / "daily_papers_new.json")
    first = merge(lib, groups)[date(2024, 6, 16)]
    assert (first.new, first.updated, first.unchanged, first.failed) == (3, 0, 0, 0)
    assert sorted(first.keys) == sorted(p["key"] for p in all_papers(lib))
    again = merge(lib, feed_of(DATA / "daily_papers_new.json"))[date(2024, 6, 16)]
    assert (again.new, again.updated, again.unchanged) == (0, 0, 3)
    assert len(all_papers(lib)) == 3
    assert feed_rows(lib, date(2024, 6, 16)) == [
        ("2406.10002", 1, 30, "inbox"), ("2406.10001", 2, 12, "inbox"),
        ("2406.10003", 3, 12, "inbox")]
    p = paper(lib, "2406.10001")
    assert p["authors"] == ["Zoë Kowalczyk", "Jiří Novák", "Ana María García"]
    assert (p["upvotes"], p["comments"], p["source"]) == (12, 3, "hf")
    assert p["ai_keywords"] == ["mixture of experts", "long context"]


def test_overlapping_days_share_one_paper(lib: Library, shared_fixtures: Path) -> None:
    counts = merge(lib, feed_of(shared_fixtures / "hf/daily_papers_2026-08-13.json"))
    assert counts[date(2026, 8, 13)].new == 20
    counts = merge(lib, feed_of(shared_fixtures / "hf/daily_papers_2026-08-19.json"))
    c = counts[date(2026, 8, 19)]
    assert (c.new, c.updated, c.unchanged) == (25, 1, 0)
    assert len(all_papers(lib)) == 45
    ava = paper(lib, "2608.12313")
    assert ava["upvotes"] == 27 and ava["comments"] == 3  # refreshed from the later day
    assert ava["url_code"] == "https://github.com/HBDYW/AVA-Encoder"
    day13 = feed_rows(lib, date(2026, 8, 13))
    day19 = feed_rows(lib, date(2026, 8, 19))
    assert len(day13) == 20 and len(day19) == 26
    assert [r for r in day13 if r[0] == "2608.12313"] == [("2608.12313", 13, 2, "inbox")]
    assert [r for r in day19 if r[0] == "2608.12313"] == [("2608.12313", 5, 27, "inbox")]
    assert day13[0] == ("2608.00677", 1, 98, "inbox")
    # The paper's upvotes are those of the last pull; each feed entry keeps its own day's.
    merge(lib, feed_of(shared_fixtures / "hf/daily_papers_2026-08-13.json"))
    assert paper(lib, "2608.12313")["upvotes"] == 2
    assert [r for r in feed_rows(lib, date(2026, 8, 19)) if r[0] == "2608.12313"] == [
        ("2608.12313", 5, 27, "inbox")]
    assert len(all_papers(lib)) == 45


def test_pull_after_the_user_tagged_and_dismissed(lib: Library) -> None:
    merge(lib, feed_of(DATA / "daily_papers_new.json"))
    keys = {p["arxiv_id"]: p["key"] for p in all_papers(lib)}
    with lib.action("user") as session:
        kept = ops.find_paper(session, ref=keys["2406.10001"])
        ops.change_tags(session, paper=kept, add=["moe", "to-read"])
        ops.add_note(session, paper=kept, body="Check the ablation", quote="tiny experts")
        ops.set_status(session, paper=kept, status="queued")
        ops.set_starred(session, paper=kept, starred=True)
        ops.set_rating(session, paper=kept, rating=4)
        ops.rename_key(session, paper=kept, new_key="tiny-experts")
        gone = ops.find_paper(session, ref=keys["2406.10002"])
        ops.set_status(session, paper=gone, status="dismissed")
    before = {p["arxiv_id"]: p for p in all_papers(lib)}

    newer = json.loads((DATA / "daily_papers_new.json").read_text())
    for item in newer:
        item["paper"]["upvotes"] += 100
    groups = parse_daily_papers(newer, day=date(2024, 6, 17)).by_day()
    c = merge(lib, groups)[date(2024, 6, 17)]
    assert (c.new, c.updated, c.unchanged) == (0, 3, 0)

    after = {p["arxiv_id"]: p for p in all_papers(lib)}
    assert len(after) == 3
    for arxiv_id, p in after.items():
        for name in ("key", "status", "starred", "rating", "tags", "notes"):
            assert p[name] == before[arxiv_id][name], (arxiv_id, name)
    assert after["2406.10001"]["key"] == "tiny-experts"
    assert after["2406.10001"]["tags"] == ["moe", "to-read"]
    assert after["2406.10001"]["status"] == "queued"
    assert after["2406.10002"]["status"] == "dismissed"  # stays dismissed
    assert after["2406.10001"]["upvotes"] == 112
    assert feed_rows(lib, date(2024, 6, 17)) == [
        ("2406.10002", 1, 130, "dismissed"), ("2406.10001", 2, 112, "queued"),
        ("2406.10003", 3, 112, "inbox")]


def test_each_day_is_one_undo_step(lib: Library) -> None:
    merge(lib, feed_of(DATA / "daily_papers_old.json"))
    merge(lib, feed_of(DATA / "daily_papers_new.json"))
    assert len(all_papers(lib)) == 5
    with lib.write() as session:
        assert ops.undo_last(session) == "pull hf 2024-06-16"
    assert sorted(p["arxiv_id"] for p in all_papers(lib)) == ["2403.00011", "2403.00012"]
    assert feed_rows(lib, date(2024, 6, 16)) == []
    assert [r[0] for r in feed_rows(lib, date(2024, 3, 19))] == ["2403.00012", "2403.00011"]


def test_a_day_that_fails_midway_writes_nothing(lib: Library) -> None:
    good = FeedItem(PaperRecord(title="Fine", arxiv_id="2406.00001"), "hf", date(2024, 6, 16), 1)
    bad = FeedItem(PaperRecord(title="  ", arxiv_id="2406.00002"), "hf", date(2024, 6, 16), 2)
    with pytest.raises(BadInput, match="a paper needs a title"):
        pulls.merge_feed_day(lib, source="hf", day=date(2024, 6, 16), items=[good, bad])
    assert all_papers(lib) == []
    assert feed_rows(lib, date(2024, 6, 16)) == []


def test_a_paper_repeated_within_a_day_is_merged_once(lib: Library) -> None:
    item = FeedItem(PaperRecord(title="Twice", arxiv_id="2406.00001"), "hf", date(2024, 6, 16), 1)
    counts = pulls.merge_feed_day(lib, source="hf", day=date(2024, 6, 16), items=[item, item])
    assert (counts.new, counts.unchanged) == (1, 0)
    assert counts.summary() == "new 1, updated 0, unchanged 0, failed 0"


def test_pull_log(lib: Library) -> None:
    pull_id = pulls.start_pull(lib, source="hf", params={"since": date(2024, 6, 1),
                                                         "until": date(2024, 6, 2)})
    counts = pulls.Counts(new=3, updated=1, unchanged=2, failed=1)
    pulls.finish_pull(lib, pull_id, counts=counts, errors=["2024-06-02: HTTP 500"])
    with lib.read() as session:
        (row,) = pulls.pull_history(session)
    assert (row.source, json.loads(row.params)) == ("hf", {"since": "2024-06-01",
                                                           "until": "2024-06-02"})
    assert (row.new, row.updated, row.unchanged, row.failed) == (3, 1, 2, 1)
    assert row.errors == ["2024-06-02: HTTP 500"]
    assert row.finished is not None and row.finished >= row.started
    with lib.read() as session:  # bookkeeping is not an undo step
        assert ops.undo_history(session) == []


def test_title_only_papers_and_resolving(lib: Library) -> None:
    with lib.action("import") as session:
        bare = ops.merge_record(session, record=PaperRecord(title="Attention Is All You Need",
                                                            source="page")).paper
        other = ops.merge_record(session, record=PaperRecord(title="LoRA", source="page")).paper
        ops.merge_record(session, record=PaperRecord(title="Has Authors", authors=["A B"]))
        ops.merge_record(session, record=PaperRecord(title="LoRA: Low-Rank Adaptation",
                                                     arxiv_id="2106.09685"))
        ops.change_tags(session, paper=bare, add=["classic"])
    with lib.read() as session:
        assert [p.title for p in pulls.title_only_papers(session)] == [
            "Attention Is All You Need", "LoRA"]
    found = PaperRecord(title="Attention is all you need", arxiv_id="1706.03762",
                        authors=["Ashish Vaswani", "Noam Shazeer"], source="hf")
    dup = PaperRecord(title="LoRA", arxiv_id="2106.09685", authors=["Edward J. Hu"])
    with lib.action("resolve") as session:
        ok = pulls.resolve_paper(session, paper=ops.find_paper(session, ref=str(bare.id)),
                                 record=found)
        clash = pulls.resolve_paper(session, paper=ops.find_paper(session, ref=str(other.id)),
                                    record=dup)
    assert ok.outcome == "resolved"
    assert clash.outcome == "duplicate" and clash.other is not None
    with lib.read() as session:
        resolved = ops.paper_dict(session, paper=ops.find_paper(session, ref=str(bare.id)))
        untouched = ops.paper_dict(session, paper=ops.find_paper(session, ref=str(other.id)))
        assert [p.title for p in pulls.title_only_papers(session)] == ["LoRA"]
    assert (resolved["arxiv_id"], resolved["authors"]) == (
        "1706.03762", ["Ashish Vaswani", "Noam Shazeer"])
    assert (resolved["key"], resolved["tags"]) == (bare.key, ["classic"])
    assert untouched["arxiv_id"] is None and untouched["authors"] == []

"""storage.views: what the app's views hold, in order, and the cheap reads behind the list."""

from __future__ import annotations

from datetime import date

import pytest

from reader.errors import BadInput
from storage import ops, views
from storage.views import View
from tests.support.shelf_sample import build_sample


@pytest.fixture
def ids(lib):
    return build_sample(lib)


def keys(lib, pids):
    with lib.read() as session:
        rows = views.rows_for(session, ids=pids)
    return [rows[p].key for p in pids]


def test_view_ids_in_order(lib, ids):
    with lib.read() as s:
        inbox = views.view_ids(s, view=View("inbox"))
        queue = views.view_ids(s, view=View("queued"))
        day = views.view_ids(s, view=View("day", "2024-01-19"))
        tag = views.view_ids(s, view=View("tag", "TO-CITE"))
        everything = views.view_ids(s, view=View("all"))
        starred = views.view_ids(s, view=View("starred"))
    assert keys(lib, inbox) == ["yuan2024self", "tal2024lumiere", "wang2024mambabyte",
                                "chen2024orion", "jiang2024mixtral"]
    assert keys(lib, day) == keys(lib, inbox)[:4]
    assert keys(lib, queue) == ["muller2020ein", "hinton2015distilling", "hu2021lora"]
    assert sorted(keys(lib, tag)) == ["hu2021lora", "vaswani2017attention"]
    assert len(everything) == 10 and everything[0] == ids["Ein Modell für Kürzeste Wege in Graphen"]
    assert keys(lib, starred) == ["vaswani2017attention"]


def test_counts(lib, ids):
    with lib.action("dismiss") as s:
        ops.set_status(s, paper=ops.find_paper(s, ref=ids["Mixtral of Experts"]),
                       status="dismissed")
    with lib.read() as s:
        counts = views.view_counts(s)
    assert counts.statuses == {"inbox": 4, "queued": 3, "reading": 1, "read": 1, "dismissed": 1}
    assert (counts.all, counts.starred, counts.library_size) == (9, 1, 10)
    assert counts.tags == [("fine-tuning", 1), ("graphs", 1), ("to-cite", 2),
                           ("transformers", 1), ("vision", 1)]
    assert counts.days == [("2024-01-19", 4, 4)]  # the dismissed day's paper is not counted
    assert counts.of(View("tag", "to-cite")) == 2 and counts.of(View("day", "2024-01-09")) == 0


def test_rows_for_a_slice(lib, ids):
    pid = ids["Attention Is All You Need"]
    with lib.read() as s:
        rows = views.rows_for(s, ids=[pid, 9999])
    assert list(rows) == [pid]
    row = rows[pid]
    assert (row.key, row.first_author, row.year, row.status, row.starred, row.rating,
            row.tags) == ("vaswani2017attention", "Ashish Vaswani", 2017, "reading", True, 5,
                          ("to-cite", "transformers"))


def test_dismiss_day_and_status_many(lib, ids):
    with lib.read() as s:
        assert len(views.inbox_of_day(s, day="2024-01-19")) == 4
    with lib.action("dismiss day") as s:
        assert ops.dismiss_day(s, day="2024-01-19") == 4
    with lib.read() as s:
        assert views.inbox_of_day(s, day="2024-01-19") == []
        assert views.view_ids(s, view=View("inbox")) == [ids["Mixtral of Experts"]]
    with lib.write() as s:
        assert ops.undo_last(s) == "dismiss day"
    with lib.action("queue") as s:
        assert ops.set_status_many(s, ids=[ids["Mixtral of Experts"],
                                           ids["LoRA: Low-Rank Adaptation of Large Language Models"]],
                                     status="queued") == 1


def test_tags_common_and_tag_many(lib, ids):
    a, b = ids["Attention Is All You Need"], ids["LoRA: Low-Rank Adaptation of Large Language Models"]
    with lib.read() as s:
        assert views.tags_common(s, ids=[a, b]) == (["to-cite"], ["fine-tuning", "transformers"])
    with lib.action("tag") as s:
        assert ops.tag_many(s, ids=[a, b], add=["x"], remove=["to-cite"]) == 2
    with lib.read() as s:
        assert views.tags_common(s, ids=[a, b]) == (["x"], ["fine-tuning", "transformers"])


def test_stats(lib, ids):
    with lib.read() as s:
        stats = views.stats(s, weeks=4, today=date(2024, 1, 31))
    assert stats.weeks == ["2024-01-08", "2024-01-15", "2024-01-22", "2024-01-29"]
    assert stats.added == [0, 10, 0, 0] and stats.read == [0, 1, 0, 0]
    assert stats.inbox == 5 and stats.inbox_oldest == "2024-01-09"
    assert (stats.total, stats.read_total) == (10, 1)


def test_view_parse():
    assert View.parse("inbox") == View("inbox")
    assert View.parse("tag:a:b") == View("tag", "a:b")
    assert View.parse("day:2024-01-19").title == "2024-01-19"
    with pytest.raises(BadInput):
        View.parse("day:yesterday")
    with pytest.raises(BadInput):
        View.parse("nope")


def test_change_watcher_sees_other_connections(lib, ids, db_path):
    from storage.db import open_library

    watcher = views.ChangeWatcher(lib)
    assert watcher.changed() is False
    other = open_library(db_path)
    try:
        with other.action("star") as s:
            ops.set_starred(s, paper=ops.find_paper(s, ref="hu2021lora"), starred=True)
    finally:
        other.close()
    assert watcher.changed() is True
    assert watcher.changed() is False
    watcher.close()
    assert watcher.changed() is False

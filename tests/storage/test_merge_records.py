"""The batch merge (used by ``papershelf import``) gives exactly what merging the records one by
one gives: the same matches, keys, outcomes and stored papers; and the batch exports read the
same as the one-paper functions."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reader.record import PaperRecord
from storage import ops
from storage.db import open_library


def batch() -> list[PaperRecord]:
    return [
        PaperRecord(title="Attention Is All You Need", authors=["Ashish Vaswani"], year=2017,
                    arxiv_id="1706.03762", key="vaswani2017attention", source="bibtex",
                    extra_fields={"pages": "1--11"}),
        # the same paper again: by arXiv id (a version), with more authors
        PaperRecord(title="Attention is all you need", authors=["Ashish Vaswani", "Noam Shazeer"],
                    arxiv_id="1706.03762v7", key="attention", source="bibtex"),
        # a key already used (by the library's paper below) and an invalid key
        PaperRecord(title="Something Else", authors=["Jane Roe"], year=2020, key="roe2020some",
                    source="bibtex"),
        PaperRecord(title="Bad Key", authors=["A B"], year=2001, key="has space",
                    source="bibtex"),
        # DOI already held by another paper, and a DOI match
        PaperRecord(title="Deep Residual Learning", authors=["Kaiming He"], year=2016,
                    doi="10.1109/cvpr.2016.90", source="bibtex", key="he2016"),
        PaperRecord(title="ResNet, again", authors=["K. He"], doi="10.1109/CVPR.2016.90",
                    source="bibtex", key="resnet"),
        # title + first author, within the batch; same title, other author: a new paper
        PaperRecord(title="Same Title", authors=["A. One"], year=2000, source="bibtex",
                    key="inner"),
        PaperRecord(title="Same title!", authors=["Bea One"], year=2000, source="bibtex",
                    key="inner2"),
        PaperRecord(title="Same Title", authors=["C. Two"], year=2000, source="bibtex",
                    key="inner3"),
        # the arXiv DOI of a paper the library has
        PaperRecord(title="LoRA", authors=["Edward Hu"], doi="10.48550/arXiv.2106.09685",
                    source="bibtex", key="lora"),
        PaperRecord(title="A paper with no key", authors=["Zed Zulu"], year=1999,
                    published=date(1999, 5, 1), source="bibtex"),
    ]


def library_with_papers(path: Path):  # type: ignore[no-untyped-def]
    lib = open_library(path)
    with lib.action("setup") as session:
        ops.merge_record(session, record=PaperRecord(
            title="Some Other Thing", authors=["Jane Roe"], year=2020), status="read")
        ops.merge_record(session, record=PaperRecord(
            title="LoRA: Low-Rank Adaptation", authors=["Edward J. Hu"], year=2021,
            arxiv_id="2106.09685"))
        ops.merge_record(session, record=PaperRecord(
            title="Deep Residual Learning for Image Recognition", authors=["Kaiming He"],
            year=2016, doi="10.1109/CVPR.2016.90"))
    return lib


def snapshot(lib) -> list[dict]:  # type: ignore[no-untyped-def]
    with lib.read() as session:
        papers = ops.list_papers(session, include_dismissed=True)
        out = []
        for p in sorted(papers, key=lambda p: p.id or 0):
            d = ops.paper_dict(session, paper=p)
            for volatile in ("added", "modified", "read_at"):
                d.pop(volatile)
            d["extra_fields"] = p.extra_fields
            out.append(d)
        return out


def test_batch_merge_equals_one_by_one(tmp_path: Path) -> None:
    one = library_with_papers(tmp_path / "one.db")
    many = library_with_papers(tmp_path / "many.db")
    with one.action("import") as session:
        singles = [(r.outcome, r.paper.key, r.wanted_key)
                   for r in (ops.merge_record(session, record=rec, status="queued")
                             for rec in batch())]
    with many.action("import") as session:
        batched = [(r.outcome, r.paper.key, r.wanted_key)
                   for r in ops.merge_records(session, records=batch(), status="queued")]
    assert batched == singles == [
        ("new", "vaswani2017attention", "vaswani2017attention"),
        ("updated", "vaswani2017attention", None),
        ("new", "roe2020somea", "roe2020some"),
        ("new", "b2001bad", None),
        ("updated", "he2016deep", None),
        ("updated", "he2016deep", None),
        ("new", "inner", "inner"),
        ("updated", "inner", None),
        ("new", "inner3", "inner3"),
        ("updated", "hu2021lora", None),
        ("new", "zulu1999paper", None),
    ]
    assert snapshot(many) == snapshot(one)
    one.close()
    many.close()


def test_batch_merge_is_undone_in_one_step(tmp_path: Path) -> None:
    lib = library_with_papers(tmp_path / "lib.db")
    before = snapshot(lib)
    with lib.action("import") as session:
        ops.merge_records(session, records=batch(), status="queued")
    with lib.write() as session:
        assert ops.undo_last(session) == "import"
    assert snapshot(lib) == before
    assert lib.check() == []
    lib.close()


def test_batch_records_read_the_same_as_one_at_a_time(tmp_path: Path) -> None:
    lib = library_with_papers(tmp_path / "lib.db")
    with lib.action("import") as session:
        ops.merge_records(session, records=batch(), status="queued")
    with lib.read() as session:
        papers = ops.list_papers(session, include_dismissed=True)
        ids = [p.id or 0 for p in papers]
        assert [k for _, k in ops.list_paper_keys(session, include_dismissed=True)] == [
            p.key for p in papers]
        assert ops.paper_records(session, paper_ids=ids) == [
            ops.paper_record(session, paper=p) for p in papers]
        ops.change_tags(session, paper=papers[0], add=["b", "A"])
        assert ops.tags_by_paper(session, paper_ids=ids) == {ids[0]: ["A", "b"]}
    lib.close()


TITLES = ["Attention Is All You Need", "attention is all you need!", "Deep Residual Learning",
          "LoRA", "Same Title"]
AUTHORS = [["Ashish Vaswani"], ["A. Vaswani", "Noam Shazeer"], ["Kaiming He"], ["Bea One"],
           ["A. One", "B. Two"], []]
ARXIV = [None, None, "1706.03762", "1706.03762v2", "2106.09685"]
DOIS = [None, None, "10.1/x", "10.1/X", "10.48550/arXiv.2106.09685"]
KEYS = [None, "k", "k", "K", "vaswani2017attention", "bad key"]


@pytest.mark.slow  # one of the slowest of the fast lane (--durations)
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(TITLES), st.sampled_from(AUTHORS),
                          st.sampled_from(ARXIV), st.sampled_from(DOIS), st.sampled_from(KEYS),
                          st.sampled_from([None, 2017, 2021])), min_size=1, max_size=12))
def test_batch_merge_equals_one_by_one_for_any_batch(tmp_path_factory, rows) -> None:  # type: ignore[no-untyped-def]
    def records() -> list[PaperRecord]:
        return [PaperRecord(title=t, authors=list(a), arxiv_id=x, doi=d, key=k, year=y,
                            source="bibtex", extra_fields={"n": str(i)})
                for i, (t, a, x, d, k, y) in enumerate(rows)]

    folder = tmp_path_factory.mktemp("prop")
    one = library_with_papers(folder / "one.db")
    many = library_with_papers(folder / "many.db")
    with one.action("import") as session:
        singles = [(r.outcome, r.paper.key, r.wanted_key)
                   for r in (ops.merge_record(session, record=rec) for rec in records())]
    with many.action("import") as session:
        batched = [(r.outcome, r.paper.key, r.wanted_key)
                   for r in ops.merge_records(session, records=records())]
    assert batched == singles
    assert snapshot(many) == snapshot(one)
    one.close()
    many.close()

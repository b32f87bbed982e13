"""The record merge rules and citation keys, through the storage API."""

from __future__ import annotations

from datetime import date

import pytest

from reader.record import PaperRecord
from storage import ops
from storage.db import Library
from storage.keys import base_key, check_key, unique_key


def _vaswani(**kw) -> PaperRecord:
    base = dict(title="Attention Is All You Need",
                authors=["Ashish Vaswani", "Noam Shazeer"], year=2017, arxiv_id="1706.03762v5",
                source="arxiv")
    base.update(kw)
    return PaperRecord(**base)


def test_keys_follow_google_scholar_style() -> None:
    assert base_key(["Ashish Vaswani"], 2017, "Attention Is All You Need") == "vaswani2017attention"
    assert base_key(["Hu, Edward J."], 2021, "LoRA: Low-Rank Adaptation") == "hu2021lora"
    assert base_key(["Nick Bostr{\\\"o}m"], 2014, "The Superintelligence") == "bostrom2014superintelligence"
    assert base_key(["Łukasz Kaiser"], 2017, "One Model To Learn Them All") == "kaiser2017one"
    assert base_key(["von Neumann, John"], 1945, "A First Draft") == "neumann1945first"
    assert base_key([], None, "On the Origin") == "anonorigin"


def test_key_clashes_get_letters() -> None:
    taken = {"a2020x", "a2020xa", "a2020xb"}
    assert unique_key("a2020x", taken.__contains__) == "a2020xc"
    many = {"k"} | {f"k{chr(97 + i)}" for i in range(26)}
    assert unique_key("k", many.__contains__) == "kaa"


def test_check_key_refuses_non_ascii_and_spaces() -> None:
    assert check_key("vaswani2017") is None
    assert check_key("has space") is not None
    assert check_key("bostrÖm") is not None
    assert check_key("") is not None


def test_merge_matches_any_arxiv_version_and_the_arxiv_doi(lib: Library) -> None:
    with lib.action("add") as s:
        first = ops.merge_record(s, record=_vaswani())
    assert first.outcome == "new" and first.paper.key == "vaswani2017attention"
    assert first.paper.arxiv_id == "1706.03762" and first.paper.arxiv_version == 5
    with lib.action("again") as s:
        again = ops.merge_record(s, record=_vaswani(arxiv_id="1706.03762v7", upvotes=12))
        via_doi = ops.merge_record(s, record=PaperRecord(
            title="Something else entirely", doi="10.48550/arXiv.1706.03762"))
    assert again.outcome == "updated" and again.paper.id == first.paper.id
    assert again.paper.arxiv_version == 7 and again.paper.upvotes == 12
    assert via_doi.paper.id == first.paper.id
    with lib.read() as s:
        assert len(ops.list_papers(s)) == 1


def test_merge_matches_doi_then_title_authors_and_year(lib: Library) -> None:
    with lib.action("add") as s:
        a = ops.merge_record(s, record=PaperRecord(title="Deep Learning", authors=["Yann LeCun"],
                                                   doi="10.1038/NATURE14539", year=2015))
        same_doi = ops.merge_record(s, record=PaperRecord(title="Deep learning",
                                                          doi="https://doi.org/10.1038/nature14539"))
        same_title = ops.merge_record(s, record=PaperRecord(title="  deep   LEARNING ",
                                                            authors=["LeCun, Yann"], year=2015))
        no_year = ops.merge_record(s, record=PaperRecord(title="Deep Learning",
                                                         authors=["Yann LeCun"]))
        other_author = ops.merge_record(s, record=PaperRecord(title="Deep Learning",
                                                              authors=["Ian Goodfellow"],
                                                              year=2015))
    assert a.paper.doi == "10.1038/nature14539"
    assert (same_doi.paper.id, same_doi.reason) == (a.paper.id, "same DOI 10.1038/nature14539")
    assert (same_title.paper.id, same_title.reason) == (
        a.paper.id, "same title, authors, year and venue")
    # Same title and author, but one says no year: kept apart, reported.
    assert no_year.outcome == "new" and no_year.paper.key == "lecundeep"
    assert no_year.possible == [(a.paper.key, "same title, years none and 2015")]
    assert other_author.outcome == "new" and other_author.paper.id != a.paper.id
    assert other_author.paper.key == "goodfellow2015deep"
    assert other_author.possible == [
        (a.paper.key, "same title, first authors Ian Goodfellow and LeCun, Yann"),
        ("lecundeep", "same title, first authors Ian Goodfellow and Yann LeCun, years 2015 "
                      "and none")]


def test_merge_never_touches_the_users_fields(lib: Library) -> None:
    with lib.action("add") as s:
        p = ops.merge_record(s, record=_vaswani(), status="inbox").paper
        ops.change_tags(s, paper=p, add=["transformers"])
        ops.add_note(s, paper=p, body="keep")
        ops.set_status(s, paper=p, status="dismissed")
        ops.set_starred(s, paper=p, starred=True)
        ops.set_rating(s, paper=p, rating=5)
        ops.rename_key(s, paper=p, new_key="mine")
    with lib.action("pull") as s:
        r = ops.merge_record(s, record=_vaswani(title="Attention Is All You Need (v7)",
                                                upvotes=99, published=date(2017, 6, 12)),
                             status="inbox")
        d = ops.paper_dict(s, paper=r.paper)
    assert r.outcome == "updated"
    assert d["title"] == "Attention Is All You Need (v7)" and d["upvotes"] == 99
    assert (d["key"], d["status"], d["starred"], d["rating"], d["tags"]) == (
        "mine", "dismissed", True, 5, ["transformers"])
    assert [n["body"] for n in d["notes"]] == ["keep"]
    assert d["published"] == "2017-06-12"


def test_merge_unchanged_when_nothing_new(lib: Library) -> None:
    with lib.action("add") as s:
        ops.merge_record(s, record=_vaswani())
    with lib.action("again") as s:
        assert ops.merge_record(s, record=_vaswani()).outcome == "unchanged"


def test_merge_keeps_author_order_and_a_fuller_list(lib: Library) -> None:
    with lib.action("add") as s:
        p = ops.merge_record(s, record=_vaswani(authors=["A One", "B Two", "C Three"])).paper
        ops.merge_record(s, record=_vaswani(authors=["A One"]))
        assert ops.authors_of(s, paper_id=p.id) == ["A One", "B Two", "C Three"]
        ops.merge_record(s, record=_vaswani(authors=["A One", "C Three", "B Two", "D Four"]))
        assert ops.authors_of(s, paper_id=p.id) == ["A One", "C Three", "B Two", "D Four"]


def test_imported_key_kept_when_free_and_reported_when_taken(lib: Library) -> None:
    with lib.action("add") as s:
        a = ops.merge_record(s, record=PaperRecord(title="One", authors=["X Y"], key="Smith2020"))
        b = ops.merge_record(s, record=PaperRecord(title="Two", authors=["Z W"], key="Smith2020"))
    assert a.paper.key == "Smith2020" and not a.key_changed
    assert b.paper.key == "Smith2020a" and b.key_changed and b.wanted_key == "Smith2020"


def test_bad_status_and_rating_are_refused(lib: Library) -> None:
    from reader.errors import BadInput

    with pytest.raises(BadInput, match="unknown status 'later'"), lib.action("x") as s:
        p = ops.merge_record(s, record=_vaswani()).paper
        ops.set_status(s, paper=p, status="later")
    with lib.read() as s:  # the whole action rolled back
        assert ops.list_papers(s, include_dismissed=True) == []
    with pytest.raises(BadInput, match="rating must be 1 to 5"), lib.action("x") as s:
        p = ops.merge_record(s, record=_vaswani()).paper
        ops.set_rating(s, paper=p, rating=6)

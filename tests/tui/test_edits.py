"""The edit use cases (tui.services.edits) on a temporary library: what each writes, its one
undo wording, its report, and that a bad reference changes nothing."""

from __future__ import annotations

from datetime import date

import pytest

from reader.errors import BadInput
from reader.record import PaperRecord
from storage import ops
from storage.db import Library
from storage.errors import UnknownNote, UnknownPaper
from tui.services import edits

DAY = date(2024, 1, 19)


@pytest.fixture
def keys(lib: Library) -> list[str]:
    """Three papers: two on DAY's feed in the inbox, one queued and not from a feed."""
    out = []
    with lib.action("setup") as session:
        for i, (title, author, status) in enumerate([
                ("Attention Is All You Need", "Ashish Vaswani", "inbox"),
                ("LoRA Low-Rank Adaptation", "Edward Hu", "inbox"),
                ("Mixtral of Experts", "Albert Jiang", "queued")]):
            paper = ops.merge_record(session, record=PaperRecord(
                title=title, authors=[author], year=2020 + i, source="manual"),
                status=status).paper
            if status == "inbox":
                ops.record_feed(session, paper=paper, source="hf", day=DAY, rank=i, upvotes=10)
            out.append(paper.key)
    return out


def paper(lib: Library, ref: str | int) -> ops.Paper:
    with lib.read() as session:
        return ops.find_paper(session, ref=ref)


def history(lib: Library) -> list[str]:
    return [d for _, d, _ in edits.undo_history(lib)]


def test_status_of_several_papers_is_one_step_with_one_wording(lib, keys):
    report = edits.set_status(lib, [keys[0], keys[1]], "queued")
    assert report.description == f"status {keys[0]} {keys[1]} queued"
    assert report.lines == [f"{keys[0]}: queued", f"{keys[1]}: queued"]
    assert (report.message, report.changed, report.exit_code) == ("2 papers: queued", 2, 0)
    assert [paper(lib, k).status for k in keys[:2]] == ["queued", "queued"]
    assert history(lib)[0] == report.description
    assert edits.undo(lib).lines == [f"undid: {report.description}"]
    assert [paper(lib, k).status for k in keys[:2]] == ["inbox", "inbox"]


def test_many_papers_are_named_by_their_number(lib, keys):
    ids = [paper(lib, k).id for k in keys]
    report = edits.set_starred(lib, [*ids, keys[0]], True)  # the same paper twice counts once
    assert report.description == f"star {' '.join(keys)}"
    four = [edits.PaperRef(1, "a", ""), edits.PaperRef(2, "b", ""), edits.PaperRef(3, "c", ""),
            edits.PaperRef(4, "d", "")]
    assert edits.what(four) == "4 papers"
    assert report.changed == 3 and all(paper(lib, k).starred for k in keys)
    again = edits.set_starred(lib, [keys[0]], False)
    assert (again.description, again.lines) == (f"unstar {keys[0]}", [f"{keys[0]}: not starred"])


def test_an_unknown_paper_changes_nothing(lib, keys):
    before = history(lib)
    with pytest.raises(UnknownPaper, match="no paper with key or id 'nosuch'"):
        edits.set_status(lib, [keys[0], "nosuch"], "read")
    with pytest.raises(BadInput, match="unknown status 'later'"):
        edits.set_status(lib, [keys[0]], "later")
    assert paper(lib, keys[0]).status == "inbox"
    assert history(lib) == before


def test_rate_and_key(lib, keys):
    assert edits.rate(lib, keys[0], 4).message == "Rated 4"
    assert edits.rate(lib, keys[0], 0).lines == [f"{keys[0]}: rating cleared"]
    with pytest.raises(BadInput, match="rating must be 1 to 5"):
        edits.rate(lib, keys[0], 9)
    report = edits.rename_key(lib, keys[0], "vas17")
    assert (report.description, report.lines) == (f"key {keys[0]} -> vas17",
                                                   [f"{keys[0]} -> vas17"])
    assert paper(lib, "vas17").title == "Attention Is All You Need"
    with pytest.raises(BadInput, match="already used"):
        edits.rename_key(lib, "vas17", keys[1])


def test_tag_words_papers_first_then_changes(lib, keys):
    report = edits.tag(lib, [keys[0], keys[1], "+multi", "+to-cite"])
    assert report.description == f"tag {keys[0]} {keys[1]} +multi +to-cite"
    assert report.lines == [f"{keys[0]}: multi, to-cite", f"{keys[1]}: multi, to-cite"]
    report = edits.tag(lib, [keys[0], "-multi"])
    assert report.lines == [f"{keys[0]}: to-cite"] and report.message == f"{keys[0]}: -multi"
    with pytest.raises(UnknownPaper):  # a word without + or - is a paper
        edits.tag(lib, [keys[0], "multi", "+x"])
    with pytest.raises(BadInput, match="name the papers first"):
        edits.tag(lib, [keys[0], "+x", keys[1]])
    with pytest.raises(BadInput, match="no tag change given"):
        edits.tag(lib, [keys[0], keys[1]])
    with pytest.raises(BadInput, match="names no tag"):
        edits.tag(lib, [keys[0], "+"])
    with pytest.raises(BadInput, match="bad tag name"):
        edits.tag(lib, [keys[0], "+a,b"])
    with lib.read() as session:
        assert ops.tag_counts(session) == [("multi", 1), ("to-cite", 2)]


def test_notes(lib, keys):
    added = edits.add_note(lib, keys[0], "rank 8", "low-rank")
    assert added.description == f"note on {keys[0]}" and added.note_id is not None
    nid = added.note_id
    assert edits.note_text(lib, nid).quote == "low-rank"
    edited = edits.edit_note(lib, nid, "rank 16")  # the quote stays
    assert (edited.description, edited.lines) == (f"edit note {nid}", [f"saved note {nid}"])
    assert (edits.note_text(lib, nid).body, edits.note_text(lib, nid).quote) == ("rank 16",
                                                                                  "low-rank")
    edits.edit_note(lib, nid, "no quote", None)
    assert edits.note_text(lib, nid).quote is None
    deleted = edits.delete_note(lib, nid)
    assert deleted.message == "Note deleted (u brings it back)"
    with pytest.raises(UnknownNote):
        edits.note_text(lib, nid)
    assert edits.undo(lib).message == f"Undid: delete note {nid}"
    assert edits.note_text(lib, nid).body == "no quote"


def test_remove_and_undo(lib, keys):
    edits.tag(lib, [keys[1], "+peft"])
    report = edits.remove(lib, [keys[1]])
    assert report.lines == [f"removed {keys[1]} (papershelf undo brings it back)"]
    with pytest.raises(UnknownPaper):
        paper(lib, keys[1])
    assert edits.undo(lib).lines == [f"undid: rm {keys[1]}"]
    assert paper(lib, keys[1]).status == "inbox"


def test_dismiss_the_rest_of_a_day(lib, keys):
    first = paper(lib, keys[0]).id
    assert edits.day_to_dismiss(lib, paper_id=first) == (DAY.isoformat(), 2)
    assert edits.day_to_dismiss(lib, paper_id=paper(lib, keys[2]).id) == (None, 0)
    edits.set_status(lib, [keys[0]], "queued")
    assert edits.day_to_dismiss(lib, day=DAY.isoformat()) == (DAY.isoformat(), 1)
    report = edits.dismiss_day(lib, DAY.isoformat())
    assert (report.description, report.message) == (f"dismiss the rest of {DAY}",
                                                     f"Dismissed 1 paper from {DAY}")
    assert [paper(lib, k).status for k in keys] == ["queued", "dismissed", "queued"]


def test_tags_rename_and_merge(lib, keys):
    edits.tag(lib, [keys[0], "+nlp"])
    edits.tag(lib, [keys[1], "+language"])
    assert edits.rename_tag(lib, "nlp", "NLP").lines == ["nlp -> NLP (1 paper)"]
    report = edits.merge_tags(lib, "NLP", "language")
    assert (report.description, report.changed) == ("merge tag NLP into language", 2)
    with pytest.raises(BadInput, match="no tag named 'nope'"):
        edits.rename_tag(lib, "nope", "x")


def test_undo_when_there_is_nothing(lib):
    report = edits.undo(lib)
    assert (report.exit_code, report.errors, report.message) == (2, ["nothing to undo"],
                                                                 "Nothing to undo")

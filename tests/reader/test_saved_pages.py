"""Saved Daily Papers pages: the HTML (data-props) and the copied text."""

from __future__ import annotations

import html
import json
from datetime import date
from pathlib import Path

import pytest

from reader.page import PageError, parse_page, parse_page_html, parse_page_text

DATA = Path(__file__).parent / "data"


def test_saved_html_page() -> None:
    page = parse_page((DATA / "saved_page.html").read_text())
    assert page.kind == "html"
    assert page.day == date(2024, 6, 16)
    assert [(e.record.arxiv_id, e.rank, e.upvotes, e.day) for e in page.entries] == [
        ("2406.20001", 2, 5, date(2024, 6, 16)), ("2406.20002", 1, 44, date(2024, 6, 16))]
    first = page.entries[0].record
    # HTML-escaped JSON in the attribute: quotes, angle brackets and ampersands come back.
    assert first.title == 'Quotes "and" <Angles> & Ampersands'
    assert first.abstract == "An abstract with <b>markup-like</b> text & symbols."
    assert first.authors == ["Renée O'Brien", "Kai Müller"]
    assert first.url_code == "https://github.com/example/quotes"
    assert (first.source, first.comments, first.published) == ("hf", 1, date(2024, 6, 14))
    assert page.skipped == [(6, "item 3: paper 2406.20003 has no title")]
    assert page.entries[0].line == 6


def test_html_page_of_a_week_uses_each_items_day() -> None:
    props = {"periodType": "week", "dateString": "2024-W24", "dailyPapers": [
        {"paper": {"id": "2406.00001", "title": "A", "authors": [],
                   "submittedOnDailyAt": "2024-06-11T00:00:00Z", "upvotes": 1}},
        {"paper": {"id": "2406.00002", "title": "B", "authors": [],
                   "submittedOnDailyAt": "2024-06-12T00:00:00Z", "upvotes": 2}},
        {"paper": {"id": "2406.00003", "title": "C", "authors": []}}]}
    text = f'<div data-target="DailyPapers" data-props="{html.escape(json.dumps(props))}"></div>'
    page = parse_page_html(text)
    assert page.day is None
    assert [(e.record.title, e.day, e.rank) for e in page.entries] == [
        ("A", date(2024, 6, 11), 1), ("B", date(2024, 6, 12), 1), ("C", None, None)]


def test_html_without_the_list_or_with_broken_json() -> None:
    with pytest.raises(PageError, match="no Daily Papers list found") as info:
        parse_page('<html><div data-target="PaperPage" data-props="{}"></div></html>')
    assert info.value.line == 1
    with pytest.raises(PageError, match="is not valid JSON") as info:
        parse_page('<html>\n\n<div data-target="DailyPapers" data-props="{&quot;dailyPapers'
                   '&quot;: [}"></div></html>')
    assert info.value.line == 3


def test_copied_text() -> None:
    page = parse_page((DATA / "copied_page.txt").read_text(), today=date(2024, 6, 17))
    assert page.kind == "text"
    assert page.skipped == []
    assert [(e.record.title, e.record.published, e.author_count, e.line)
            for e in page.entries] == [
        ("Attention Is All You Need", date(2017, 6, 12), 8, 7),
        ("Sparse Mixtures of Tiny Experts for Long Contexts", date(2024, 2, 22), 3, 14),
        ("A Title With No Abstract", date(2024, 3, 3), 1, 19)]
    attention = page.entries[0].record
    assert attention.abstract == (
        "The dominant sequence transduction models are based on complex recurrent or "
        "convolutional neural networks in an encoder-decoder configuration. The best performing "
        "models also connect the encoder and decoder through an attention mechanism.")
    assert (attention.authors, attention.arxiv_id, attention.source) == ([], None, "page")
    assert page.entries[2].record.abstract is None


def test_dates_without_a_year() -> None:
    text = "Title\n" + "word " * 25 + "\n2 authors\nDec 30\n"
    # This year unless that puts the date in the future: then last year.
    assert parse_page_text(text, today=date(2025, 1, 5)).entries[0].record.published == date(
        2024, 12, 30)
    assert parse_page_text(text, today=date(2025, 12, 31)).entries[0].record.published == date(
        2025, 12, 30)
    assert parse_page_text(text, year=2021).entries[0].record.published == date(2021, 12, 30)


def test_text_oddities_are_reported_with_their_line() -> None:
    text = ("Paper One\n" + "alpha " * 30 + "\n4 authors\nJun 1, 2024\n"
            "7\n·\nJun 2, 2024\n"                 # a date with nothing before it
            "Paper Three\n" + "beta " * 30 + "\nFeb 30, 2024\n"   # not a real date
            "Paper Four\n" + "gamma " * 30 + "\n2 authors\nJun 4, 2024\n")
    page = parse_page_text(text)
    assert [e.record.title for e in page.entries] == ["Paper One", "Paper Three", "Paper Four"]
    assert page.entries[1].record.published is None
    assert page.skipped == [(10, "'Feb 30, 2024' is not a real date")]


def test_a_middle_card_without_a_paper_is_reported() -> None:
    text = ("Paper One\n" + "alpha " * 30 + "\nJun 1, 2024\n"
            "just a stray line\nJun 2, 2024\n"
            "Paper Three\n" + "beta " * 30 + "\nJun 3, 2024\n")
    page = parse_page_text(text)
    assert [e.record.title for e in page.entries] == ["Paper One", "Paper Three"]
    assert page.skipped == [(4, "lines 4-5: no title and abstract found before the date line")]


def test_text_with_windows_line_ends_and_no_papers() -> None:
    page = parse_page_text("Daily Papers\r\nby AK and the research community\r\nJun 17\r\n")
    assert page.entries == [] and page.skipped == []


def test_text_whose_first_title_starts_with_an_angle_bracket() -> None:
    text = "<Angles> in Titles\n" + "delta " * 25 + "\n2 authors\nJun 5, 2024\n"
    page = parse_page(text)
    assert page.kind == "text"
    assert [e.record.title for e in page.entries] == ["<Angles> in Titles"]

"""Hugging Face Daily Papers: both schemas parsed field by field (the real recorded responses
and small samples of our own), pagination, one paper, search, bad answers."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from reader.errors import BadInput, NotFound, SourceError
from reader.hf import (
    PAGE_LIMIT,
    DailyPapers,
    check_month,
    check_week,
    exact_match,
    parse_daily_papers,
    same_title,
)
from reader.http import HttpClient

DATA = Path(__file__).parent / "data"


def load(path: Path) -> object:
    return json.loads(path.read_bytes())


def by_id(items: list) -> dict:
    return {it.record.arxiv_id: it for it in items}


# ---------------------------------------------------------------- the real responses


def test_old_schema_2024_03_19(shared_fixtures: Path) -> None:
    parsed = parse_daily_papers(load(shared_fixtures / "hf/daily_papers_2024-03-19.raw.json"))
    assert parsed.skipped == []
    assert len(parsed.items) == 13
    assert parsed.days() == [date(2024, 3, 19)]  # from the item's publishedAt (old schema)
    items = by_id(parsed.items)
    first = items["2403.12015"]
    r = first.record
    assert r.title == ("Fast High-Resolution Image Synthesis with Latent Adversarial Diffusion "
                       "Distillation")  # arXiv line wrapping collapsed
    assert r.authors == ["Axel Sauer", "Frederic Boesel", "Tim Dockhorn", "Andreas Blattmann",
                         "Patrick Esser", "Robin Rombach"]
    assert r.published == date(2024, 3, 18) and r.year == 2024
    assert r.abstract is not None and "\n" not in r.abstract
    assert r.abstract.startswith("Diffusion models are the main driver of progress in image "
                                 "and video synthesis, but suffer")
    assert (r.upvotes, r.comments, first.upvotes, first.rank) == (32, 0, 32, 1)
    assert (r.ai_summary, r.ai_keywords, r.url_code, r.url_project) == (None, [], None, None)
    assert r.url_abs == "https://arxiv.org/abs/2403.12015"
    assert r.url_pdf == "https://arxiv.org/pdf/2403.12015"
    assert r.source == "hf" and first.source == "hf"
    # Accents, and the real quirk of one author split in two entries, kept as given.
    assert items["2403.11901"].record.authors[6:11] == [
        "Aurélie Lozano", "Georgios Kollias", "Vijil Chenthamarakshan", "Jiří", "Navrátil"]
    assert items["2403.11901"].record.comments == 1
    # A "hidden" author is still an author.
    assert items["2403.10615"].record.authors == [
        "Peter Kocsis", "Julien Philip", "Kalyan Sunkavalli", "Matthias Nießner",
        "Yannick Hold-Geoffroy"]
    assert items["2403.10616"].rank == 13


def test_new_schema_2026_01_14(shared_fixtures: Path) -> None:
    parsed = parse_daily_papers(load(shared_fixtures / "hf/daily_papers_2026-01-14.json"))
    assert len(parsed.items) == 14 and parsed.skipped == []
    assert parsed.days() == [date(2026, 1, 14)]  # submittedOnDailyAt, not the item's publishedAt
    items = by_id(parsed.items)
    ministral = items["2601.08584"].record
    assert ministral.title == "Ministral 3"
    assert len(ministral.authors) == 120
    assert ministral.authors[:3] == ["Alexander H. Liu", "Kartik Khandelwal",
                                     "Sandeep Subramanian"]
    assert ministral.authors[5] == "Adrien Sadé"
    assert ministral.authors[19] == "Baptiste Rozière"
    assert ministral.authors[76] == "Philomène Chagniot"
    assert ministral.authors[-1] == "Zaccharie Ramzi"
    assert ministral.published == date(2026, 1, 13)
    assert ministral.ai_keywords[:3] == ["parameter-efficient dense language models",
                                         "cascade distillation", "iterative pruning"]
    assert ministral.ai_summary is not None
    assert ministral.ai_summary.startswith("The Ministral 3 series consists of")
    showui = items["2512.24965"].record
    assert showui.title == "ShowUI-π: Flow-based Generative Models as GUI Dexterous Hands"
    assert showui.ai_summary is None  # this item has none
    assert showui.url_code == "https://github.com/showlab/showui-pi"
    assert showui.url_project == "https://showlab.github.io/showui-pi"
    assert showui.published == date(2025, 12, 31)
    assert (showui.upvotes, showui.comments) == (23, 1)
    assert items["2601.07022"].rank == 1 and items["2601.07022"].upvotes == 32


def test_the_same_paper_on_two_days(shared_fixtures: Path) -> None:
    a = by_id(parse_daily_papers(load(shared_fixtures / "hf/daily_papers_2026-08-13.json")).items)
    b = by_id(parse_daily_papers(load(shared_fixtures / "hf/daily_papers_2026-08-19.json")).items)
    assert len(a) == 20 and len(b) == 26
    first, again = a["2608.12313"], b["2608.12313"]
    assert first.day == date(2026, 8, 13) and again.day == date(2026, 8, 19)
    assert (first.upvotes, first.rank, first.record.comments) == (2, 13, 0)
    assert (again.upvotes, again.rank, again.record.comments) == (27, 5, 3)
    assert first.record.url_code is None
    assert again.record.url_code == "https://github.com/HBDYW/AVA-Encoder"
    assert again.record.url_project == "https://ava-encoder.github.io/"
    assert first.record.authors == again.record.authors == [
        "Chuyue Li", "Jinpeng Yu", "Haozhe Wang", "Tian Xueyun", "Zhijing Zhang", "Bingnan Li",
        "Shuqi Gu", "Kan Ren", "Jiaming Liu", "Ruihua Hua"]
    assert first.record.published == date(2026, 8, 12)
    assert a["2608.00677"].rank == 1 and a["2608.00677"].upvotes == 98
    assert b["2608.17271"].record.ai_summary is None
    assert b["2608.17271"].record.url_project == "https://asibench.apexin.ai/"


# ---------------------------------------------------------------- our own samples


def test_sample_new_schema() -> None:
    parsed = parse_daily_papers(load(DATA / "daily_papers_new.json"))
    assert [(it.record.arxiv_id, it.rank, it.upvotes) for it in parsed.items] == [
        ("2406.10001", 2, 12), ("2406.10002", 1, 30), ("2406.10003", 3, 12)]
    r = parsed.items[0].record
    assert r.title == "Sparse Mixtures of Tiny Experts for Long Contexts"
    assert r.authors == ["Zoë Kowalczyk", "Jiří Novák", "Ana María García"]
    assert r.abstract == "We study sparse mixtures. They are small and fast."
    assert r.ai_keywords == ["mixture of experts", "long context"]
    assert r.ai_summary == "Tiny experts help long contexts."
    assert (r.url_code, r.url_project) == ("https://github.com/example/tiny-experts",
                                           "https://example.org/tiny")
    assert (r.published, r.comments) == (date(2024, 6, 13), 3)
    assert parsed.days() == [date(2024, 6, 16)]
    assert parsed.items[1].record.ai_summary is None
    assert parsed.items[2].record.authors == ["Olúwadámilọ́lá Adé", "Björn Ødegård"]


def test_sample_old_schema() -> None:
    parsed = parse_daily_papers(load(DATA / "daily_papers_old.json"))
    assert [(it.record.arxiv_id, it.day, it.rank) for it in parsed.items] == [
        ("2403.00011", date(2024, 3, 19), 2), ("2403.00012", date(2024, 3, 19), 1)]
    r = parsed.items[0].record
    assert r.title == "Old Schema Titles Keep arXiv Line Wrapping"
    assert r.authors == ["Émile Durand", "Hana Sato"]
    assert r.abstract == "An abstract wrapped at sixty columns."


def test_a_requested_day_wins_over_the_items_dates() -> None:
    parsed = parse_daily_papers(load(DATA / "daily_papers_new.json"), day=date(2024, 6, 17))
    assert parsed.days() == [date(2024, 6, 17)]


def test_items_that_cannot_be_used_are_skipped_with_a_reason() -> None:
    data = [{"paper": {"id": "2406.1", "authors": []}}, "junk",
            {"paper": {"id": "2406.00005", "title": "No Date", "authors": []}},
            {"paper": {"id": "not-an-arxiv-id", "title": "HF-only paper", "authors": [],
                       "submittedOnDailyAt": "2024-06-16T00:00:00Z"}}]
    parsed = parse_daily_papers(data)
    assert parsed.skipped == ["item 1: paper 2406.1 has no title",
                              "item 2: not a Daily Papers entry",
                              "item 3 (No Date): no feed date"]
    (only,) = parsed.items
    assert only.record.arxiv_id is None
    assert only.record.url_abs == "https://huggingface.co/papers/not-an-arxiv-id"


def test_weeks_and_months_are_checked() -> None:
    assert check_week("2024-W25") == "2024-W25"
    assert check_month("2024-06") == "2024-06"
    for bad in ("2024-25", "2024-W54", "2024-w25"):
        with pytest.raises(BadInput, match="a week is written like 2024-W25"):
            check_week(bad)
    with pytest.raises(BadInput, match="a month is written like 2024-06, not '2024-13'"):
        check_month("2024-13")


def test_titles_match_ignoring_case_and_whitespace() -> None:
    assert same_title("Attention  is all\nyou need", "ATTENTION IS ALL YOU NEED")
    assert not same_title("Attention is all you need!", "Attention is all you need")


# ---------------------------------------------------------------- the client


def api(handler: object) -> DailyPapers:
    return DailyPapers(HttpClient("https://hf.test", transport=httpx.MockTransport(handler),
                                  sleep=lambda s: None))  # type: ignore[arg-type]


def test_day_asks_for_the_date_and_pages() -> None:
    many = [{"paper": {"id": f"2406.{n:05d}", "title": f"Paper {n}", "authors": [],
                       "upvotes": n}} for n in range(PAGE_LIMIT + 5)]
    seen: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        query = {k: v[0] for k, v in parse_qs(urlsplit(str(request.url)).query).items()}
        seen.append(query)
        page = int(query["p"])
        return httpx.Response(200, json=many[page * PAGE_LIMIT:(page + 1) * PAGE_LIMIT])

    parsed = api(handler).day(date(2024, 6, 16))
    assert seen == [{"date": "2024-06-16", "p": "0", "limit": "100"},
                    {"date": "2024-06-16", "p": "1", "limit": "100"}]
    assert len(parsed.items) == 105
    assert parsed.items[-1].rank == 1  # most upvotes
    assert parsed.days() == [date(2024, 6, 16)]


def test_a_server_that_ignores_pages_does_not_loop() -> None:
    same = [{"paper": {"id": f"2406.{n:05d}", "title": f"P{n}", "authors": []}}
            for n in range(PAGE_LIMIT)]
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, json=same)

    parsed = api(handler).day(date(2024, 6, 16))
    assert len(calls) == 2  # page 1 brought nothing new: stop
    assert len(parsed.items) == PAGE_LIMIT


def test_week_groups_items_by_their_feed_day(shared_fixtures: Path) -> None:
    both = (load(shared_fixtures / "hf/daily_papers_2026-08-13.json")
            + load(shared_fixtures / "hf/daily_papers_2026-08-19.json"))  # type: ignore[operator]

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.params["week"] == "2026-W33"
        return httpx.Response(200, json=both)

    parsed = api(handler).week("2026-W33")
    groups = parsed.by_day()
    assert list(groups) == [date(2026, 8, 13), date(2026, 8, 19)]
    # The paper on both days is in both days' feeds.
    assert [len(g) for g in groups.values()] == [20, 26]
    assert {it.record.arxiv_id for it in groups[date(2026, 8, 13)]} & {
        it.record.arxiv_id for it in groups[date(2026, 8, 19)]} == {"2608.12313"}


def test_one_paper_and_not_found() -> None:
    paper = {"id": "2106.09685", "title": "LoRA: Low-Rank Adaptation of Large Language Models",
             "authors": [{"name": "Edward J. Hu"}, {"name": "Yelong Shen"}],
             "publishedAt": "2021-06-17T17:37:18.000Z", "summary": "An important paradigm.",
             "upvotes": 50}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/papers/2106.09685":
            return httpx.Response(200, json=paper)
        return httpx.Response(404, json={"error": "Paper not found"})

    client = api(handler)
    record = client.paper("2106.09685")
    assert (record.arxiv_id, record.authors, record.upvotes, record.published) == (
        "2106.09685", ["Edward J. Hu", "Yelong Shen"], 50, date(2021, 6, 17))
    with pytest.raises(NotFound, match=r"^hf.test has no paper 2406.99999$"):
        client.paper("2406.99999")


def test_search_reads_items_and_bare_papers() -> None:
    answer = [{"paper": {"id": "1706.03762", "title": "Attention Is All You Need",
                         "authors": [{"name": "Ashish Vaswani"}]}, "title": "x"},
              {"id": "2106.09685", "title": "LoRA", "authors": []},
              {"paper": {"id": "broken"}}]

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.params["q"] == "attention is all"
        return httpx.Response(200, json=answer)

    results = api(handler).search("attention is all")
    assert [r.arxiv_id for r in results] == ["1706.03762", "2106.09685"]
    match = exact_match("attention is  ALL you need", results)
    assert match is not None and match.authors == ["Ashish Vaswani"]
    assert exact_match("Attention", results) is None


def test_an_answer_in_the_wrong_shape_is_a_source_error() -> None:
    client = api(lambda request: httpx.Response(200, json={"error": "Invalid date"}))
    with pytest.raises(SourceError, match=r"^unexpected answer from hf.test for https://hf.test"
                                          r"/api/daily_papers\?date=2024-06-16&p=0&limit=100: "
                                          r"expected a list of papers, got dict$"):
        client.day(date(2024, 6, 16))

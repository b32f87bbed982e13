"""The arXiv API: the recorded Atom responses (current and legacy format) and our own sample,
the error feed, empty answers, batching and the three-second rule."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import httpx
import pytest

from reader.arxiv import ArxivClient, ArxivQueryError, listing_items, parse_feed
from reader.errors import BadInput, NotFound, SourceError
from reader.http import HttpClient

DATA = Path(__file__).parent / "data"


def by_id(records: list) -> dict:
    return {r.arxiv_id: r for r in records}


# ---------------------------------------------------------------- the recorded responses


def test_search_results_with_doi_and_journal_ref(shared_fixtures: Path) -> None:
    records = parse_feed(
        (shared_fixtures / "arxiv/arxivpy_q_testing_s0_m15_80c242b59d59.atom.xml").read_bytes())
    assert len(records) == 15
    papers = by_id(records)
    first = records[0]
    assert (first.arxiv_id, first.arxiv_version) == ("2202.12139", 1)
    assert first.title == ("Testing Deep Learning Models: A First Comparative Study of Multiple "
                           "Testing Techniques")
    assert first.authors == ["Mohit Kumar Ahuja", "Arnaud Gotlieb", "Helge Spieker"]
    assert first.doi == "10.1109/icstw55395.2022.00035"  # lower-cased
    assert first.journal_ref == (
        "Artificial Intelligence in Software Testing @ 2022 IEEE International Conference on "
        "Software Testing, Verification and Validation Workshops (ICSTW)")
    assert (first.primary_category, first.categories) == ("cs.SE", ["cs.SE", "cs.LG"])
    assert (first.published, first.updated, first.year) == (
        date(2022, 2, 24), date(2022, 2, 24), 2022)
    assert first.url_abs == "https://arxiv.org/abs/2202.12139"
    assert first.url_pdf == "https://arxiv.org/pdf/2202.12139"
    assert first.abstract is not None and first.abstract.startswith(
        "Deep Learning (DL) has revolutionized the capabilities of vision-based systems")
    assert first.source == "arxiv"
    assert papers["2405.13786"].authors == ["Aurora Ramírez", "Mario Berrios",
                                            "José Raúl Romero", "Robert Feldt"]
    fuzz = papers["2005.14124"]
    assert fuzz.arxiv_version == 2
    assert (fuzz.published, fuzz.updated) == (date(2020, 5, 28), date(2020, 7, 16))
    assert fuzz.categories == ["cs.SE", "cs.CR", "cs.LG"]
    assert fuzz.doi == "10.1145/3395363.3397376"
    stats = papers["2403.16981"]
    assert (stats.primary_category, stats.categories) == ("math.ST",
                                                          ["math.ST", "cs.IT", "stat.ML"])
    assert (stats.doi, stats.journal_ref) == (None, None)
    gui = papers["1202.4527"]
    assert gui.doi is None and gui.journal_ref is not None
    assert gui.journal_ref.startswith("International Journal of Softw")


def test_old_style_id(shared_fixtures: Path) -> None:
    (record,) = parse_feed((shared_fixtures / "arxiv/arxivpy_id_astro-ph_0601001_s0_m100_"
                                              "3150dca9dc76.atom.xml").read_bytes())
    assert (record.arxiv_id, record.arxiv_version) == ("astro-ph/0601001", 1)
    assert record.title == ("Frequency of Hot Jupiters and Very Hot Jupiters from the OGLE-III "
                            "Transit Surveys Toward the Galactic Bulge and Carina")
    assert record.authors == ["Andrew Gould", "Susan Dorsher", "B. Scott Gaudi",
                              "Andrzej Udalski"]  # affiliations are not names
    assert record.journal_ref == "ActaAstron.56:1-50,2006"
    assert (record.primary_category, record.categories) == ("astro-ph", ["astro-ph"])
    assert record.published == date(2006, 1, 2)
    assert record.url_abs == "https://arxiv.org/abs/astro-ph/0601001"
    assert record.doi is None


def test_legacy_format(shared_fixtures: Path) -> None:
    records = parse_feed((shared_fixtures / "arxiv/legacy_2016_au_del_maestro_quantum_"
                                            "criticality.atom.xml").read_bytes())
    assert [(r.arxiv_id, r.arxiv_version) for r in records] == [
        ("1111.2011", 2), ("cond-mat/0607501", 2)]
    bethe, striped = records
    assert bethe.title == ("Quantum Criticality for Extended Nodes on a Bethe Lattice in the "
                           "Large Connectivity Limit")
    assert bethe.authors == ["James M. Murray", "Adrian Del Maestro", "Zlatko Tesanovic"]
    assert bethe.doi == "10.1103/physrevb.85.115117"
    assert bethe.journal_ref == "Phys. Rev. B 85, 115117 (2012)"
    assert bethe.primary_category == "cond-mat.str-el"
    assert bethe.categories == ["cond-mat.str-el", "cond-mat.stat-mech"]
    assert (bethe.published, bethe.updated) == (date(2011, 11, 8), date(2012, 4, 2))
    assert bethe.abstract is not None and "\n" not in bethe.abstract
    assert bethe.abstract.startswith("Theoretical description of anisotropic systems, such as "
                                     "layered superconductors")
    assert striped.title == ("A striped supersolid phase and the search for deconfined quantum "
                             "criticality in hard-core bosons on the triangular lattice")
    assert striped.authors == ["R. G. Melko", "A. Del Maestro", "A. A. Burkov"]


def test_empty_result(shared_fixtures: Path) -> None:
    assert parse_feed((shared_fixtures / "arxiv/arxivpy_id_0000.0000_s0_m100_"
                                         "8b51d9633a68.atom.xml").read_bytes()) == []


def test_error_feed(shared_fixtures: Path) -> None:
    body = (shared_fixtures / "arxiv/arxivpy_id_abc_s0_m100_b79c8dcf6bc3.atom.xml").read_bytes()
    with pytest.raises(ArxivQueryError, match=r"^arXiv rejected the query: incorrect id format "
                                              r"for abc \(arXiv\)$"):
        parse_feed(body)


def replay(shared: Path) -> httpx.MockTransport:
    """Answer like arXiv did, from the recorded {"url", "status_code", "body"} files."""
    recorded = {}
    for path in (shared / "arxiv").glob("arxivpy_*.json"):
        data = json.loads(path.read_text())
        recorded[httpx.URL(data["url"]).params.get("id_list") or "?"] = data

    def handler(request: httpx.Request) -> httpx.Response:
        data = recorded[request.url.params.get("id_list", "?")]
        return httpx.Response(data["status_code"], content=data["body"].encode("latin-1"),
                              headers={"Content-Type": "application/atom+xml; charset=utf-8"})

    return httpx.MockTransport(handler)


def arxiv(transport: httpx.MockTransport, sleeps: list[float] | None = None,
          clock: list[float] | None = None) -> ArxivClient:
    now = clock if clock is not None else [0.0]
    waits = sleeps if sleeps is not None else []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    return ArxivClient(HttpClient("https://export.arxiv.org", transport=transport,
                                  min_interval=3.0, sleep=sleep, clock=lambda: now[0]))


def test_client_against_recorded_answers(shared_fixtures: Path) -> None:
    sleeps: list[float] = []
    client = arxiv(replay(shared_fixtures), sleeps)
    record = client.paper("astro-ph/0601001")
    assert record.authors[0] == "Andrew Gould"
    with pytest.raises(NotFound, match=r"^arXiv has no paper 0000.0000$"):
        client.paper("0000.0000")
    # HTTP 400 with the "Error" feed: a clear error, not "HTTP 400".
    with pytest.raises(ArxivQueryError) as info:
        client.lookup(["abc"])
    assert str(info.value) == (
        "arXiv rejected the query: incorrect id format for abc "
        "(https://export.arxiv.org/api/query?id_list=abc&start=0&max_results=1)")
    assert info.value.exit_code == 2
    assert sleeps == [3.0, 3.0]  # three requests, three seconds apart


# ---------------------------------------------------------------- our own sample


def test_sample_feed() -> None:
    lora, branes = parse_feed((DATA / "arxiv_feed.atom.xml").read_bytes())
    assert (lora.arxiv_id, lora.arxiv_version) == ("2106.09685", 2)
    assert lora.title == "LoRA: Low-Rank Adaptation of Large Language Models"
    assert lora.abstract == ("An important paradigm of natural language processing consists of "
                             "large-scale pre-training on general domain data.")
    assert lora.doi == "10.48550/arxiv.2106.09685"
    assert (lora.journal_ref, lora.primary_category) == ("ICLR 2022", "cs.CL")
    assert lora.authors == ["Edward J. Hu", "Yelong Shen", "Phillip Wallis"]
    assert (branes.arxiv_id, branes.arxiv_version) == ("hep-th/9901001", 3)
    assert branes.title == "Branes, Strings and Dualités"
    assert branes.authors == ["Søren Kierkegård", "Françoise Lemaître"]
    assert (branes.published, branes.updated) == (date(1999, 1, 4), date(1999, 2, 10))


def test_listing_items_rank_per_submission_day() -> None:
    records = parse_feed((DATA / "arxiv_feed.atom.xml").read_bytes())
    items = listing_items(records + records[:1])
    assert [(i.record.arxiv_id, i.day, i.rank, i.source) for i in items] == [
        ("2106.09685", date(2021, 6, 17), 1, "arxiv"),
        ("hep-th/9901001", date(1999, 1, 4), 1, "arxiv"),
        ("2106.09685", date(2021, 6, 17), 2, "arxiv")]


def sample_transport(seen: list[httpx.Request], status: int = 200,
                     body: bytes | None = None) -> httpx.MockTransport:
    content = body if body is not None else (DATA / "arxiv_feed.atom.xml").read_bytes()

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, content=content,
                              headers={"Content-Type": "application/atom+xml"})

    return httpx.MockTransport(handler)


def test_lookup_asks_once_for_many_ids() -> None:
    seen: list[httpx.Request] = []
    found = arxiv(sample_transport(seen)).lookup(["2106.09685v2", "hep-th/9901001", "2106.09685v2"])
    assert set(found) == {"2106.09685", "hep-th/9901001"}
    assert len(seen) == 1
    assert seen[0].url.params["id_list"] == "2106.09685v2,hep-th/9901001"
    assert seen[0].url.params["max_results"] == "2"


def test_category_listing_request() -> None:
    seen: list[httpx.Request] = []
    records = arxiv(sample_transport(seen)).listing("cs.CL", max_results=30)
    assert len(records) == 2
    assert dict(seen[0].url.params) == {"search_query": "cat:cs.CL", "sortBy": "submittedDate",
                                        "sortOrder": "descending", "start": "0",
                                        "max_results": "30"}


def test_listing_pages_until_max() -> None:
    seen: list[httpx.Request] = []
    sleeps: list[float] = []
    entry = (DATA / "arxiv_feed.atom.xml").read_text().split("<entry>")[1].split("</entry>")[0]
    page = ('<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/'
            'atom">' + "".join(f"<entry>{entry.replace('2106.09685', f'2106.{n:05d}')}</entry>"
                               for n in range(100)) + "</feed>").encode()
    records = arxiv(sample_transport(seen, body=page), sleeps).listing("cs.CL", max_results=150)
    assert len(records) == 150
    assert [(r.url.params["start"], r.url.params["max_results"]) for r in seen] == [
        ("0", "100"), ("100", "50")]
    assert sleeps == [3.0]


def test_bad_category_is_refused_before_asking() -> None:
    seen: list[httpx.Request] = []
    with pytest.raises(BadInput, match=r"'cs CL' is not an arXiv category"):
        arxiv(sample_transport(seen)).listing("cs CL")
    assert seen == []


def test_sample_error_feed_on_400() -> None:
    seen: list[httpx.Request] = []
    client = arxiv(sample_transport(seen, 400, (DATA / "arxiv_error.atom.xml").read_bytes()))
    with pytest.raises(ArxivQueryError, match=r"^arXiv rejected the query: incorrect id format "
                                              r"for 1234.5 \("):
        client.lookup(["1234.5"])
    assert len(seen) == 1  # a 400 is not retried


def test_empty_sample_is_not_found() -> None:
    client = arxiv(sample_transport([], body=(DATA / "arxiv_empty.atom.xml").read_bytes()))
    with pytest.raises(NotFound, match=r"^arXiv has no paper 2406.99999v2$"):
        client.paper("2406.99999v2")


def test_html_or_garbage_instead_of_atom() -> None:
    html = arxiv(sample_transport([], body=b"<!DOCTYPE html><html><body>maintenance</body>"))
    with pytest.raises(SourceError, match=r"answered with an HTML page, not an Atom feed"):
        html.lookup(["2106.09685"])
    broken = arxiv(sample_transport([], body=b"<feed xmlns='http://www.w3.org/2005/Atom'><entry>"))
    with pytest.raises(SourceError, match=r"sent malformed XML: "):
        broken.lookup(["2106.09685"])
    other = arxiv(sample_transport([], body=b"<rss><channel/></rss>"))
    with pytest.raises(SourceError, match=r"answered with <rss>, not an Atom feed"):
        other.lookup(["2106.09685"])


def test_a_500_on_arxiv_is_retried_with_the_interval_kept() -> None:
    sleeps: list[float] = []
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            return httpx.Response(503, headers={"Retry-After": "1"})
        return httpx.Response(200, content=(DATA / "arxiv_feed.atom.xml").read_bytes())

    arxiv(httpx.MockTransport(handler), sleeps).lookup(["2106.09685"])
    assert sleeps == [1.0, 2.0]  # Retry-After 1 s, then the rest of the 3 s interval

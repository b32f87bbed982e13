"""DOI content negotiation: the Accept header, redirects, not found, no CSL-JSON."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from reader.doi import BIBTEX, CSL_JSON, DoiClient
from reader.errors import BadInput, NotFound, SourceError
from reader.http import HttpClient

DATA = Path(__file__).parent / "data"
OPTUNA = "10.1145/3292500.3330701"


def doi_client(handler: object) -> DoiClient:
    return DoiClient(HttpClient("https://doi.test", transport=httpx.MockTransport(handler),
                                follow_redirects=True, sleep=lambda s: None))  # type: ignore[arg-type]


def test_csl_json_through_a_redirect() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "doi.test":
            return httpx.Response(302, headers={
                "Location": f"https://api.crossref.test/v1/works/{OPTUNA}/transform"})
        return httpx.Response(200, content=(DATA / "csl_optuna.json").read_bytes(),
                              headers={"Content-Type": f"{CSL_JSON}; charset=utf-8"})

    data = doi_client(handler).csl("https://doi.org/10.1145/3292500.3330701")
    assert data["title"] == "Optuna" and data["DOI"] == OPTUNA
    assert [str(r.url) for r in seen] == [
        f"https://doi.test/{OPTUNA}", f"https://api.crossref.test/v1/works/{OPTUNA}/transform"]
    assert seen[0].headers["accept"] == CSL_JSON


def test_a_doi_with_odd_characters_is_quoted() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[{"title": "x"}])

    doi_client(handler).csl("10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0")
    assert seen[0].url.raw_path == (b"/10.1002/(sici)1097-4571(199806)49:8%3C693::aid-asi4%3E"
                                    b"3.0.co;2-0")


def test_unknown_doi_and_no_csl() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if "404" in request.url.path:
            return httpx.Response(404, text="DOI Not Found")
        if "406" in request.url.path:
            return httpx.Response(406)
        return httpx.Response(200, text="<html><body>landing page</body></html>",
                              headers={"Content-Type": "text/html"})

    client = doi_client(handler)
    with pytest.raises(NotFound, match=r"^doi.test does not know the DOI 10.9999/404$"):
        client.csl("10.9999/404")
    with pytest.raises(SourceError, match=r"^doi.test has no application/vnd.citationstyles."
                                          r"csl\+json for the DOI 10.9999/406 \(HTTP 406\)$"):
        client.csl("10.9999/406")
    with pytest.raises(SourceError, match=r"^doi.test has no CSL-JSON for the DOI 10.9999/landing"
                                          r" \(it answered with a web page\)$"):
        client.csl("10.9999/landing")
    with pytest.raises(BadInput, match="is not a DOI"):
        client.csl("not-a-doi")


def test_bibtex_text() -> None:
    bib = "@inproceedings{Akiba_2019, title={Optuna}, doi={10.1145/3292500.3330701}}"
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text=f" {bib}\n",
                              headers={"Content-Type": "application/x-bibtex"})

    assert doi_client(handler).bibtex(OPTUNA) == bib
    assert seen[0].headers["accept"] == BIBTEX


def test_csl_sample_is_valid_json() -> None:
    assert json.loads((DATA / "csl_journal.json").read_text())[0]["type"] == "article-journal"

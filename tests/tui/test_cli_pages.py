"""`papershelf import --page` on real pages: a saved HTML page and copied text made from a real
Daily Papers response (the shared fixtures hold responses, not saved pages), the repository's
copied page, copies with a card's author and date lines stripped, and files that are not pages."""

from __future__ import annotations

import html
import json
from datetime import date
from pathlib import Path
from typing import Any

from tests.conftest import CliRunnerFn

DATA = Path(__file__).parents[1] / "reader" / "data"
DAY = "hf/daily_papers_2026-01-14.json"


def _items(shared: Path) -> list[dict[str, Any]]:
    return json.loads((shared / DAY).read_text(encoding="utf-8"))


def _copied_text(items: list[dict[str, Any]]) -> str:
    """The text a browser copies off the Daily Papers page of those items: per card the
    upvotes, the title, the abstract, "N authors" and the date."""
    out = ["Daily Papers", "by AK and the research community", ""]
    for item in items:
        paper = item["paper"]
        day = date.fromisoformat(paper["publishedAt"][:10])
        out += [str(paper.get("upvotes", 0)), " ".join(paper["title"].split()),
                " ".join(paper["summary"].split()), "·", f"{len(paper['authors'])} authors",
                day.strftime("%b %-d, %Y"), ""]
    return "\n".join(out)


def _titles(cli: CliRunnerFn) -> dict[str, dict[str, Any]]:
    return {p["title"]: p for p in cli("list", "--all", "--json").json()}


def test_a_saved_html_page_of_a_real_day(cli: CliRunnerFn, shared_fixtures: Path,
                                         tmp_path: Path) -> None:
    items = _items(shared_fixtures)
    props = {"dailyPapers": items, "dateString": "2026-01-14", "periodType": "day"}
    page = tmp_path / "papers.html"
    page.write_text(f'<!doctype html>\n<html><body>\n<div data-target="DailyPapers" '
                    f'data-props="{html.escape(json.dumps(props))}"></div></body></html>\n')
    r = cli("import", "--page", str(page))
    assert (r.code, r.err) == (0, "")
    assert r.out == (f"papers.html: {len(items)} papers (saved page)\n"
                     f"new {len(items)}, updated 0, unchanged 0, failed 0\n")
    assert len(_titles(cli)) == len(items)


def test_copied_text_with_a_card_stripped_of_its_author_and_date_lines(
        cli: CliRunnerFn, shared_fixtures: Path, tmp_path: Path) -> None:
    items = _items(shared_fixtures)
    text = _copied_text(items)
    whole = tmp_path / "whole.txt"
    whole.write_text(text)
    r = cli("import", "--page", str(whole), "--db", str(tmp_path / "whole.db"), db=False)
    assert (r.code, r.err) == (0, "")
    assert r.out.splitlines()[0] == f"whole.txt: {len(items)} papers (copied text)"

    # The third card loses its author line and its date line; the fifth only its author line.
    lines = text.split("\n")
    third, fifth = items[2]["paper"], items[4]["paper"]
    drop = set()
    for paper, also_date in ((third, True), (fifth, False)):
        at = lines.index(" ".join(paper["summary"].split()))
        drop.add(at + 2)  # "N authors"
        if also_date:
            drop.add(at + 3)
    stripped = tmp_path / "stripped.txt"
    kept = [line for i, line in enumerate(lines) if i not in drop]
    stripped.write_text("\n".join(kept))
    third_line = kept.index(" ".join(third["title"].split())) + 1
    fifth_line = kept.index(" ".join(fifth["title"].split())) + 1
    r = cli("import", "--page", str(stripped))
    assert r.code == 0
    assert r.out.splitlines() == [f"stripped.txt: {len(items)} papers (copied text)",
                                  f"new {len(items)}, updated 0, unchanged 0, failed 0"]
    third_title, fifth_title = (" ".join(p["title"].split()) for p in (third, fifth))
    assert r.err.splitlines() == [
        f'papershelf: {stripped}:{third_line}: no date and no author line for "{third_title}"',
        f'papershelf: {stripped}:{fifth_line}: no author line for "{fifth_title}"']
    got = _titles(cli)
    assert len(got) == len(items)
    for item in items:  # every card kept its own title and abstract
        paper = item["paper"]
        mine = got[" ".join(paper["title"].split())]
        assert mine["abstract"] == " ".join(paper["summary"].split())
    assert got[third_title]["published"] is None  # it had no date line: none taken
    fourth = items[3]["paper"]
    assert got[" ".join(fourth["title"].split())]["published"] == fourth["publishedAt"][:10]


def test_the_repositorys_copied_page_with_the_first_card_stripped(cli: CliRunnerFn,
                                                                  tmp_path: Path) -> None:
    text = (DATA / "copied_page.txt").read_text()
    page = tmp_path / "copied.txt"
    page.write_text(text.replace("8 authors\nJun 12, 2017\n", ""))
    r = cli("import", "--page", str(page), "--year", "2024")
    assert r.code == 0
    assert r.out.splitlines()[0] == "copied.txt: 3 papers (copied text)"
    assert r.err == (f'papershelf: {page}:7: no date and no author line for "Attention Is All '
                     f'You Need"\n')
    got = _titles(cli)
    assert got["Attention Is All You Need"]["abstract"].startswith("The dominant sequence")
    assert got["Attention Is All You Need"]["published"] is None
    sparse = got["Sparse Mixtures of Tiny Experts for Long Contexts"]
    assert sparse["abstract"].startswith("We study sparse mixtures")
    assert sparse["published"] == "2024-02-22"


def test_text_that_is_not_a_page_is_refused(cli: CliRunnerFn, shared_fixtures: Path,
                                            tmp_path: Path) -> None:
    bib = shared_fixtures / "bib" / "jabref_testbib_complex.bib"
    first = next(i for i, line in enumerate(bib.read_text().splitlines(), 1)
                 if line.lstrip().startswith("@"))
    r = cli("import", "--page", str(bib))
    assert (r.code, r.out) == (2, "")
    assert r.err == (f"papershelf: {bib}:{first}: this is a BibTeX file, not a Daily Papers "
                     f"page (import it with papershelf import FILE)\n")
    log = tmp_path / "pull.log"
    log.write_text("2026-01-14 08:15:01 INFO pulling hf 2026-01-14\n"
                   "2026-01-14 08:15:02 ERROR " + "the request failed and was retried " * 4
                   + "\n2026-01-14 08:15:09 INFO done\n")
    r = cli("import", "--page", str(log))
    assert (r.code, r.out) == (2, "")
    assert r.err == (f'papershelf: {log}: no papers found: not a Daily Papers page (no "N '
                     f'authors" or date lines; save the page huggingface.co/papers from the '
                     f'browser, or copy its text)\n')
    assert cli("list", "--all", "--json").json() == []
    assert cli("undo", "--list").err == "nothing to undo\n"

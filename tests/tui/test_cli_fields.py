"""Fields are the user's once set: provenance through merges, `papershelf edit` (--set, --accept,
$EDITOR), `show` with every field, and naming a paper by key, id, arXiv id or DOI."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import reader.arxiv
from storage import migrations
from tests.conftest import CliRunnerFn
from tests.support.local_server import LocalServer, Reply, local_server

ARXIV_BIB = "arxiv/arxiv_bibtex_1706.03762.excerpt.bib"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[LocalServer]:
    """Every source on 127.0.0.1 (as in test_cli_pull.py)."""
    config = tmp_path / "config.toml"
    config.write_text("[sources]\n")
    with local_server() as srv:
        monkeypatch.setenv("PAPERSHELF_CONFIG", str(config))
        for var in ("PAPERSHELF_HF_URL", "PAPERSHELF_ARXIV_URL", "PAPERSHELF_DOI_URL"):
            monkeypatch.setenv(var, srv.url)
        monkeypatch.setattr(reader.arxiv, "INTERVAL", 0.0)
        yield srv


def _add_attention(cli: CliRunnerFn) -> None:
    # As the README's example: with its arXiv id, so arXiv's own BibTeX (which dates it 2023,
    # its latest version) is the same paper. Without an id, a title alone with years six apart
    # is only a possible duplicate (issue 12), kept apart, so nothing of the user's changes.
    r = cli("add", "--title", "Attention Is All You Need", "--author", "Ashish Vaswani",
            "--year", "2017", "--arxiv", "1706.03762")
    assert r.out == "added vaswani2017attention: Attention Is All You Need\n"


def test_an_import_never_overwrites_what_the_user_typed(cli: CliRunnerFn,
                                                       shared_fixtures: Path) -> None:
    _add_attention(cli)
    bib = shared_fixtures / ARXIV_BIB
    r = cli("import", str(bib))
    assert r.code == 0
    assert r.out.splitlines()[0] == (
        "merged vaswani2023attentionneed into vaswani2017attention (same arXiv id 1706.03762): "
        "entry_type (none) -> misc, url (none) -> https://arxiv.org/abs/1706.03762, kept your "
        "year 2017 (source: 2023), kept your authors Ashish Vaswani (source: Ashish Vaswani; "
        "Noam Shazeer; ... (8 in all)); 'vaswani2023attentionneed' kept as another key of "
        "vaswani2017attention")
    paper = cli("show", "vaswani2017attention", "--json").json()
    assert (paper["year"], paper["authors"], paper["arxiv_id"]) == (
        2017, ["Ashish Vaswani"], "1706.03762")
    assert paper["user_fields"] == ["arxiv_id", "authors", "title", "year"]
    assert paper["source_values"]["year"] == {"value": 2023, "source": "bibtex"}
    # The export keeps the user's year.
    out = cli("export", "vaswani2017attention").out
    assert "year = {2017}" in out and "year = {2023}" not in out  # (the alias copy too)
    # show says where the source disagrees, and how to take its value.
    text = cli("show", "vaswani2017attention").out
    assert "year:      2017  (yours)\n" in text
    assert ("bibtex says: 2023 (papershelf edit vaswani2017attention --accept year)"
            in text)
    # A second import changes nothing and says so field by field.
    again = cli("import", str(bib))
    assert "kept your year 2017 (source: 2023)" in again.out.splitlines()[0]
    # --accept takes the source's value; the field is the source's again.
    r = cli("edit", "1706.03762", "--accept", "year")
    assert (r.code, r.out) == (0, "vaswani2017attention: year 2017 -> 2023\n")
    paper = cli("show", "vaswani2017attention", "--json").json()
    assert paper["year"] == 2023 and "year" not in paper["user_fields"]
    assert "year" not in paper["source_values"]
    assert cli("undo").out == "undid: accept year for 1706.03762\n"
    assert cli("show", "vaswani2017attention", "--json").json()["year"] == 2017
    # A field the user cleared stays cleared; show says what the source has.
    cli("edit", "vaswani2017attention", "--set", "url=")
    assert "kept your url (none) (source: https://arxiv.org/abs/1706.03762)" in cli(
        "import", str(bib)).out.splitlines()[0]
    text = cli("show", "vaswani2017attention").out
    assert ("url:       (none)  (yours)\n           bibtex says: https://arxiv.org/abs/1706.03762 "
            "(papershelf edit vaswani2017attention --accept url)") in text
    nothing = cli("edit", "vaswani2017attention", "--accept", "venue")
    assert (nothing.code, nothing.err) == (
        2, "papershelf: venue: no source disagrees with your value, nothing to accept\n")


def test_a_pull_refreshes_the_sources_fields_but_not_the_users(cli: CliRunnerFn,
                                                              shared_fixtures: Path) -> None:
    cli("import", str(shared_fixtures / ARXIV_BIB))
    assert cli("show", "1706.03762", "--json").json()["user_fields"] == []
    # An imported field edited by the user becomes theirs; the others stay the source's.
    r = cli("edit", "vaswani2023attentionneed", "--set", "year=2017")
    assert r.out == "vaswani2023attentionneed: year 2023 -> 2017\n"
    bib2 = Path(cli("db", "path").out.strip()).with_name("newer.bib")
    bib2.write_text((shared_fixtures / ARXIV_BIB).read_text().replace(
        "title={Attention Is All You Need}", "title={Attention Is All You Need (v7)}"))
    r = cli("import", str(bib2))
    assert r.out.splitlines()[0] == (
        "merged vaswani2023attentionneed (same arXiv id 1706.03762): title 'Attention Is All "
        "You Need' -> 'Attention Is All You Need (v7)', kept your year 2017 (source: 2023)")


def test_edit_set_checks_each_value_and_names_the_field(cli: CliRunnerFn) -> None:
    _add_attention(cli)
    cli("add", "--title", "Other", "--doi", "10.1000/taken")
    bad = [(["--set", "year=twenty"], "year: 'twenty' is not a year (four digits, like 2017)"),
           (["--set", "doi=not-a-doi"], "doi: 'not-a-doi' is not a DOI (like "
                                         "10.1145/3292500.3330701)"),
           (["--set", "doi=10.1000/TAKEN"], "doi: 10.1000/taken is already the doi of "
                                             "anonother"),
           (["--set", "arxiv=17.3"], "arxiv_id: '17.3' is not an arXiv id (like 1706.03762 "
                                     "or hep-th/9901001)"),
           (["--set", "published=June"], "published: 'June' is not a date like 2017-06-12"),
           (["--set", "type=paper"], "entry_type: 'paper' is not a BibTeX entry type (one of "
                                     "article, book, booklet, inbook, incollection, "
                                     "inproceedings, conference, manual, mastersthesis, misc, "
                                     "phdthesis, proceedings, ...)"),
           (["--set", "title="], "title: a paper needs a title"),
           (["--set", "url=javascript:alert(1)"], "url: 'javascript:alert(1)' is not an "
                                                   "http(s) link"),
           (["--set", "year"], "--set 'year': expected FIELD=VALUE, like year=2022"),
           (["--set", "status=read"], "status: not a bibliographic field (use papershelf "
                                      "key/status/star/rate/tag/note)")]
    before = cli("show", "vaswani2017attention", "--json").json()
    for args, message in bad:
        r = cli("edit", "vaswani2017attention", "--set", "venue=Changed", *args)
        assert (r.code, r.err) == (2, f"papershelf: {message}\n"), args
    # Nothing half-written: the good --set beside a bad one was not applied either.
    assert cli("show", "vaswani2017attention", "--json").json() == before
    r = cli("edit", "vaswani2017attention", "--set", "year=2017", "--set",
            "journal=Advances in NeurIPS", "--set", "authors=Ashish Vaswani; Noam Shazeer",
            "--set", "publisher=Curran", "--set", "doi=https://doi.org/10.5555/3295222")
    assert r.out.splitlines() == [
        "vaswani2017attention: venue (none) -> 'Advances in NeurIPS'",
        "vaswani2017attention: authors Ashish Vaswani -> Ashish Vaswani; Noam Shazeer",
        "vaswani2017attention: publisher (none) -> Curran",
        "vaswani2017attention: doi (none) -> 10.5555/3295222"]
    paper = cli("show", "10.5555/3295222", "--json").json()
    assert paper["fields"]["publisher"] == "Curran" and paper["venue"] == "Advances in NeurIPS"
    assert paper["user_fields"] == ["arxiv_id", "authors", "doi", "publisher", "title", "venue",
                                    "year"]
    # One undo step for the whole edit.
    assert cli("undo").out == "undid: edit vaswani2017attention\n"
    assert cli("show", "vaswani2017attention", "--json").json()["venue"] is None


def test_show_prints_every_field_of_an_imported_entry(cli: CliRunnerFn,
                                                      shared_fixtures: Path) -> None:
    bib = shared_fixtures / "bib" / "jabref_testbib_complex.bib"
    assert cli("import", str(bib)).code in (0, 1)
    papers = cli("list", "--json").json()
    rich = max(papers, key=lambda p: len(cli("show", p["key"], "--json").json()["fields"]))
    data = cli("show", rich["key"], "--json").json()
    extras = {k: v for k, v in data["fields"].items() if k not in (
        "title", "authors", "year", "published", "entry_type", "venue", "doi", "arxiv_id",
        "url", "url_pdf", "url_code", "url_project", "abstract")}
    assert extras  # the entry's fields with no column of their own
    text = cli("show", rich["key"]).out
    for name, value in extras.items():
        assert f"{name + ':':<10} {' '.join(str(value).split())}"[:60] in " ".join(
            text.split("\n")) or f"{name}:" in text
    if data["entry_type"]:
        assert f"type:      {data['entry_type']}" in text


@pytest.mark.parametrize("ref", ["vaswani2017attention", "1", "1706.03762", "1706.03762v5",
                                 "arXiv:1706.03762v2", "https://arxiv.org/abs/1706.03762v1",
                                 "10.48550/arXiv.1706.03762"])
def test_a_paper_by_key_id_or_arxiv_id(cli: CliRunnerFn, ref: str) -> None:
    cli("add", "--title", "Attention Is All You Need", "--author", "Ashish Vaswani",
        "--arxiv", "1706.03762", "--year", "2017")
    r = cli("show", ref, "--json")
    assert r.code == 0 and r.json()["key"] == "vaswani2017attention"


def test_a_paper_by_old_style_arxiv_id_or_doi(cli: CliRunnerFn) -> None:
    cli("add", "--title", "Old", "--arxiv", "hep-th/9901001v2")
    cli("add", "--title", "Journal One", "--doi", "10.1145/3292500.3330701")
    for ref in ("hep-th/9901001", "hep-th/9901001v3"):
        assert cli("star", ref).out.endswith(": starred\n")
    for ref in ("10.1145/3292500.3330701", "https://doi.org/10.1145/3292500.3330701",
                "doi:10.1145/3292500.3330701"):
        assert cli("show", ref, "--json").json()["title"] == "Journal One"
    assert cli("show", "10.1145/nothing").err == ("papershelf: no paper with key or id "
                                                  "'10.1145/nothing'\n")


def test_edit_in_the_editor(cli: CliRunnerFn, tmp_path: Path,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    """$EDITOR gets the TOML view; what the user changes there is checked and saved."""
    _add_attention(cli)
    script = tmp_path / "fake_editor.py"
    script.write_text(
        "import sys, pathlib\n"
        "p = pathlib.Path(sys.argv[1])\n"
        "text = p.read_text()\n"
        "pathlib.Path(sys.argv[1] + '.seen').write_text(text)\n"
        "p.write_text(text.replace('year = 2017', 'year = 2016').replace('venue = \"\"', "
        "'venue = \"NIPS\"') + 'publisher = \"Curran\"\\n')\n")
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    monkeypatch.setattr("tui.cli.edit._terminal", lambda: True)
    import click

    seen: list[str] = []
    real_edit = click.edit

    def editing(text: str, **kwargs: object) -> str | None:
        seen.append(text)
        return real_edit(text, editor=f"{sys.executable} {script}", extension=".toml")

    monkeypatch.setattr(click, "edit", editing)
    r = cli("edit", "vaswani2017attention")
    assert r.code == 0, r.err
    assert r.out.splitlines() == ["vaswani2017attention: year 2017 -> 2016",
                                  "vaswani2017attention: venue (none) -> NIPS",
                                  "vaswani2017attention: publisher (none) -> Curran"]
    assert 'title = "Attention Is All You Need"' in seen[0]
    assert 'authors = ["Ashish Vaswani"]' in seen[0]
    # A bad value is refused with its line; nothing is saved.
    script.write_text(
        "import sys, pathlib\n"
        "p = pathlib.Path(sys.argv[1])\n"
        "p.write_text(p.read_text().replace('year = 2016', 'year = \"soon\"'))\n")
    r = cli("edit", "vaswani2017attention")
    line = next(i for i, t in enumerate(seen[1].splitlines(), 1) if t.startswith("year ="))
    assert (r.code, r.err) == (2, f"papershelf: vaswani2017attention (edited):{line}: year: "
                                  f"'soon' is not a year (four digits, like 2017)\n")
    script.write_text(
        "import sys, pathlib\n"
        "p = pathlib.Path(sys.argv[1])\n"
        "p.write_text(p.read_text().replace('year = 2016', 'year = = 2'))\n")
    r = cli("edit", "vaswani2017attention")
    assert r.code == 2 and r.err.startswith("papershelf: vaswani2017attention (edited): ")
    assert f"line {line}" in r.err
    assert cli("show", "vaswani2017attention", "--json").json()["year"] == 2016


def test_upgrading_a_library_makes_hand_added_fields_the_users(tmp_path: Path,
                                                               cli: CliRunnerFn,
                                                               shared_fixtures: Path) -> None:
    """A schema-2 library: the paper added by hand keeps its fields as the user's after the
    upgrade (an import no longer changes its year); the pulled paper's fields stay the
    source's."""
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db, isolation_level=None)
    migrations.migrate(conn, target=2)
    conn.executescript("""
        BEGIN;
        INSERT INTO paper (id, key, title, title_norm, year, venue, source, status, added,
                           modified)
        VALUES (1, 'vaswani2017attention', 'Attention Is All You Need',
                'attention is all you need', 2017, 'NeurIPS', 'manual', 'queued',
                '2024-06-01 10:00:00', '2024-06-01 10:00:00'),
               (2, 'hu2021lora', 'LoRA', 'lora', 2021, NULL, 'hf', 'inbox',
                '2024-06-02 10:00:00', '2024-06-02 10:00:00');
        INSERT INTO paper_author VALUES (1, 0, 'Ashish Vaswani'), (2, 0, 'Edward Hu');
        COMMIT;""")
    conn.close()
    r = cli("show", "vaswani2017attention", "--json", "--db", str(db), db=False)
    assert r.code == 0, r.err
    assert r.json()["user_fields"] == ["authors", "title", "venue", "year"]
    assert cli("show", "hu2021lora", "--json", "--db", str(db), db=False).json()[
        "user_fields"] == []
    r = cli("import", str(shared_fixtures / ARXIV_BIB), "--db", str(db), db=False)
    # The hand-added paper has no arXiv id: a title alone with years 2017 and 2023 is only a
    # possible duplicate (kept apart, said), and the user's paper is as it was.
    assert r.code == 0
    assert "vaswani2023attentionneed: possible duplicate of vaswani2017attention: same title, " \
        "author lists differ, years 2017 and 2023, venues none and NeurIPS" in r.out
    mine = cli("show", "vaswani2017attention", "--json", "--db", str(db), db=False).json()
    assert (mine["year"], mine["arxiv_id"], mine["user_fields"]) == (
        2017, None, ["authors", "title", "venue", "year"])


def test_add_by_identifier_reports_the_fields_it_kept(cli: CliRunnerFn, server: LocalServer,
                                                      shared_fixtures: Path) -> None:
    """`add ID` of a paper added by hand: the real arXiv answer fills what is empty and leaves
    the hand-typed year, and the report says so."""
    title = ("Frequency of Hot Jupiters and Very Hot Jupiters from the OGLE-III Transit Surveys "
             "Toward the Galactic Bulge and Carina")
    cli("add", "--title", title, "--arxiv", "astro-ph/0601001", "--year", "2005")
    key = cli("show", "astro-ph/0601001", "--json").json()["key"]
    atom = shared_fixtures / "arxiv" / "arxivpy_id_astro-ph_0601001_s0_m100_3150dca9dc76.atom.xml"
    server.add("/api/query", Reply.raw(atom.read_bytes(), "application/atom+xml"))
    r = cli("add", "astro-ph/0601001v1")
    assert r.code == 0, r.err
    line = r.out.splitlines()[0]
    assert line.startswith(f"astro-ph/0601001v1: updated {key} ({title}): ")
    assert "kept your year 2005 (source: 2006)" in line and "authors (none) -> " in line
    paper = cli("show", key, "--json").json()
    assert paper["year"] == 2005 and paper["authors"] and paper["published"] == "2006-01-02"
    assert paper["source_values"]["year"] == {"value": 2006, "source": "arxiv"}


def test_the_field_editor_rows_for_the_app(cli: CliRunnerFn, db_path: Path,
                                           shared_fixtures: Path) -> None:
    """What the app's field editor gets (tui.services.fields.field_rows) and saves through
    (set_fields): the same rules as the command."""
    from storage.db import open_library
    from tui.services import fields

    _add_attention(cli)
    cli("import", str(shared_fixtures / ARXIV_BIB))
    lib = open_library(db_path)
    try:
        rows = {row.name: row for row in fields.field_rows(lib, "vaswani2017attention")}
        assert list(rows)[:4] == ["title", "authors", "year", "published"]
        year = rows["year"]
        assert (year.text, year.yours, year.source_text, year.source) == (
            "2017", True, "2023", "bibtex")
        assert (rows["entry_type"].text, rows["entry_type"].yours) == ("misc", False)
        assert rows["venue"].text == "" and rows["venue"].source_text is None
        with pytest.raises(Exception, match="^year: '20x7' is not a year"):
            fields.set_fields(lib, "vaswani2017attention", [("venue", "X"), ("year", "20x7")])
        report = fields.set_fields(lib, "vaswani2017attention", [("venue", "NeurIPS")])
        assert report.lines() == ["vaswani2017attention: venue (none) -> NeurIPS"]
    finally:
        lib.close()
    assert cli("show", "vaswani2017attention", "--json").json()["venue"] == "NeurIPS"

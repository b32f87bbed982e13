"""BibTeX in: real .bib files (the shared fixtures: JabRef's and biber's test libraries,
bibtexparser's trap files) and our own samples into records, with every problem at its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from exports.bibtex_in import (
    ImportedEntry,
    original_fields,
    parse_bibtex,
    parse_bibtex_entry_text,
    read_bibtex_file,
)
from reader.errors import BadInput

DATA = Path(__file__).parent / "data"


def by_key(entries: list[ImportedEntry]) -> dict[str, ImportedEntry]:
    return {e.record.key or "": e for e in entries}


# ------------------------------------------------------------------ our own sample


def test_sample_entries_become_records_with_display_text_and_original_fields() -> None:
    parsed = read_bibtex_file(DATA / "sample.bib")
    assert [(e.line, e.record.key) for e in parsed.entries] == [
        (7, "vaswani2017attention"), (19, "bostrom2006security"), (28, "qwen2024report"),
        (36, "chapter2020"), (43, "book2020")]
    entries = by_key(parsed.entries)

    vaswani = entries["vaswani2017attention"].record
    assert vaswani.entry_type == "inproceedings"
    assert vaswani.authors[6] == "Łukasz Kaiser"
    assert vaswani.venue == "Advances in Neural Information Processing Systems 30"  # @string #
    assert (vaswani.year, vaswani.arxiv_id, vaswani.primary_category) == (2017, "1706.03762",
                                                                            "cs.CL")
    assert vaswani.source == "bibtex"
    assert vaswani.extra_fields["month"] == "dec"  # the month macro, kept as a macro
    assert vaswani.extra_fields["original booktitle"] == (
        "Advances in Neural Information Processing Systems 30")

    bostrom = entries["bostrom2006security"].record
    assert bostrom.title == "Extending XP Practices: $\\mathcal{O}(n)$ Costs & 50% Gains"
    assert bostrom.authors == ["Gustav Boström", "Jaana Wäyrynen", "Eric von Hippel",
                               "John F. Sherry Jr.", "others"]
    assert bostrom.doi == "10.1145/1137627.1137631"
    assert bostrom.extra_fields["original title"] == (
        "Extending {XP} Practices: $\\mathcal{O}(n)$ Costs \\& 50\\% Gains")
    assert bostrom.extra_fields["original doi"] == "https://doi.org/10.1145/1137627.1137631"
    assert bostrom.extra_fields["volume"] == "30"
    assert original_fields(bostrom.extra_fields) == {
        "author": "Bostr\\\"{o}m, Gustav and W{\\\"a}yrynen, Jaana and von Hippel, Eric and "
                  "Sherry, Jr., John F. and others",
        "title": "Extending {XP} Practices: $\\mathcal{O}(n)$ Costs \\& 50\\% Gains",
        "journal": "Journal of Machine Learning Research",
        "year": "2006",
        "volume": "30",
        "doi": "https://doi.org/10.1145/1137627.1137631",
    }

    qwen = entries["qwen2024report"].record
    assert qwen.authors == ["Qwen Team"]
    assert (qwen.arxiv_id, qwen.arxiv_version) == ("2412.15115", 2)  # from the arXiv URL
    assert qwen.title == "The Qwen2.5 Technical Report"

    chapter = entries["chapter2020"].record
    assert chapter.extra_fields["crossref"] == "book2020"
    assert chapter.year is None  # not inherited: the entry says what it says
    assert entries["book2020"].record.authors == ["Charles Babbage"]  # the editor, for display


def test_sample_problems_are_reported_with_their_lines_and_skipped() -> None:
    parsed = read_bibtex_file(DATA / "sample.bib")
    assert [str(p) for p in parsed.skipped] == [
        "line 51: @article entry 'broken2019' cannot be read (it runs into the next entry at "
        "line 57: an unclosed brace or quote?): entry skipped",
        "line 57: @article entry 'nocomma2018' cannot be read (Expected comma after entry key, "
        "but found =): entry skipped",
        "line 59: @article entry 'commented2017' is commented out with '%' (BibTeX has no '%' "
        "comments outside field values): entry skipped",
        "line 63: duplicate key 'bostrom2006security' (first used at line 19): entry skipped",
    ]
    assert parsed.warnings == []


def test_value_errors_and_undefined_macros() -> None:
    text = ("@article{a,\n  title = {Fine},\n  year = 20a20,\n}\n"
            "@article{b,\n  title = {Also fine} author = {X},\n}\n"
            "@article{c,\n  title = {T},\n  journal = IEEE_J_SP,\n  month = {MAR},\n}\n"
            "@article{d,\n  Title = {T},\n  title = {U},\n}\n")
    parsed = parse_bibtex(text)
    assert [str(p) for p in parsed.skipped] == [
        "line 1: @article entry 'a': field 'year': cannot read '20a20': entry skipped",
        "line 5: @article entry 'b': field 'title': expected '#' or the end of the value before "
        "'author = {X}' (a missing comma?): entry skipped",
    ]
    c, d = parsed.entries
    assert d.record.title == "T"  # a repeated field: the first value, as BibTeX keeps it
    assert c.record.venue == "IEEE_J_SP"
    assert c.record.extra_fields["original journal"] == "IEEE\\_J\\_SP"
    assert c.record.extra_fields["month"] == "MAR"
    assert [str(w) for w in parsed.warnings] == [
        "line 10: entry 'c': field 'journal' uses @string 'IEEE_J_SP', which is not defined "
        "here: kept as its name",
        "line 15: entry 'd': field 'title' given again (first at line 14); the first value is "
        "kept"]


def test_a_broken_string_definition_is_reported_and_its_users_kept() -> None:
    parsed = parse_bibtex('@string{bad = "x" # }\n@article{a, title={T}, journal=bad}\n')
    assert [str(w) for w in parsed.warnings] == [
        "line 1: @string 'bad' cannot be read (value ends with '#'); entries using it show its "
        "name instead",
        "line 2: entry 'a': field 'journal' uses @string 'bad', which is not defined here: kept "
        "as its name"]
    assert parsed.skipped == [] and parsed.entries[0].record.venue == "bad"


def test_a_file_that_is_not_bibtex_is_refused_in_one_line(tmp_path: Path) -> None:
    for name, data in [("notes.txt", b"Just some notes.\nMail me at a@b.com\n"),
                       ("data.json", b'{"title": "x", "mail": "a@b.org"}\n'),
                       ("image.bib", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")]:
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(BadInput) as raised:
            read_bibtex_file(path)
        message = str(raised.value)
        assert message.startswith(f"{path}: not a BibTeX file") and "\n" not in message


def test_an_empty_bib_file_is_bibtex_with_nothing_in_it(tmp_path: Path) -> None:
    path = tmp_path / "empty.bib"
    path.write_text("% nothing yet\n@comment{jabref-meta: databaseType:bibtex;}\n")
    parsed = read_bibtex_file(path)
    assert parsed.entries == [] and parsed.skipped == []


def test_latin1_files_are_read(tmp_path: Path) -> None:
    path = tmp_path / "old.bib"
    path.write_bytes("@book{b, title = {Caf\xe9 Society}, author = {Ren\xe9 Doe}}\n"
                     .encode("latin-1"))
    (entry,) = read_bibtex_file(path).entries
    assert (entry.record.title, entry.record.authors) == ("Café Society", ["René Doe"])


def test_parse_bibtex_entry_text_gives_one_record() -> None:
    record = parse_bibtex_entry_text(
        "@article{Jumper_2021, title={Highly accurate protein structure prediction with "
        "AlphaFold}, volume={596}, DOI={10.1038/s41586-021-03819-2}, journal={Nature}, "
        "publisher={Springer Science and Business Media LLC}, author={Jumper, John and Evans, "
        "Richard}, year={2021}, month=jul, pages={583--589} }")
    assert (record.key, record.entry_type, record.venue, record.year) == (
        "Jumper_2021", "article", "Nature", 2021)
    assert record.doi == "10.1038/s41586-021-03819-2"
    assert record.authors == ["John Jumper", "Richard Evans"]
    assert record.extra_fields["month"] == "jul"
    with pytest.raises(BadInput, match="no BibTeX entry found"):
        parse_bibtex_entry_text("<html>Not found</html>")
    with pytest.raises(BadInput, match="line 1: @article entry 'x' cannot be read"):
        parse_bibtex_entry_text("@article{x title={T}}")


# ------------------------------------------------------------------ the shared fixtures


def test_arxiv_export_bibtex_text(shared_fixtures: Path) -> None:
    text = (shared_fixtures / "arxiv" / "arxiv_bibtex_1706.03762.excerpt.bib").read_text()
    record = parse_bibtex_entry_text(text)
    assert (record.key, record.arxiv_id, record.primary_category, record.year) == (
        "vaswani2023attentionneed", "1706.03762", "cs.CL", 2023)
    assert record.url_abs == "https://arxiv.org/abs/1706.03762"
    assert len(record.authors) == 8 and record.authors[6] == "Lukasz Kaiser"


def test_names_von_jr_braces_organisations_and_others(shared_fixtures: Path) -> None:
    parsed = read_bibtex_file(shared_fixtures / "bib" / "biber_tdata_names.bib")
    authors = {e.record.key: e.record.authors for e in parsed.entries}
    assert authors["L5"] == ["Egbert von Eel"]
    assert authors["L6"] == ["Francis van der valt Frome"]
    assert authors["L9"] == ["Ian Iliad Ipswich"]  # {Iliad Ipswich} is one braced last name
    assert authors["L10"] == ["James Jolly III"]
    assert authors["L10a"] == ["Joseph J. Pimentel Jr."]
    assert authors["L11"] == ["Kevin van Kluster Jr."]
    assert authors["L12"] == ["Charles Louis Xavier Joseph de la Vallée Poussin"]
    assert authors["L21"] == ["Šomeone Smith"] == authors["L23"]
    assert authors["L25"] == [
        "American Psychological Association, Task Force on the Sexualization of Girls"]
    assert authors["L1id"] == ["Alfred Adler"]  # biblatex's extended name format
    assert authors["upa4"] == ["J. A. Deutsch", "Diana Deutsch"]
    # Entries without a title are kept (nothing is lost) and say so.
    assert by_key(parsed.entries)["L1"].record.title == "[untitled] L1"
    assert str(parsed.warnings[0]) == (
        "line 1: entry 'L1' has no title; it is listed as '[untitled] L1'")
    assert [str(p) for p in parsed.skipped] == [
        "line 118: @book entry 'L27' is commented out with '%' (BibTeX has no '%' comments "
        "outside field values): entry skipped",
        "line 123: @book entry 'L28' is commented out with '%' (BibTeX has no '%' comments "
        "outside field values): entry skipped"]

    complex_ = by_key(read_bibtex_file(shared_fixtures / "bib" / "jabref_testbib_complex.bib")
                      .entries)
    assert complex_["10250999"].record.authors == [
        "Eric von Hippel", "Joseph M. Reagle Jr.", "Jr. Sherry John F.",  # BibTeX's reading
        "Johan A van den Huevel Jr."]
    assert complex_["1137631"].record.authors[0] == "Gustav Boström"
    assert complex_["1102917"].record.doi == "10.1007/s00779-005-0347-6"
    assert complex_["1137631"].record.doi == "10.1145/1137627.1137631"  # from a doi.acm.org URL
    assert complex_["deBraga2001"].record.title.startswith("The postcranial anatomy of "
                                                           "Procolophon (Parareptilia")


def test_strings_concatenation_and_months(shared_fixtures: Path) -> None:
    bib = shared_fixtures / "bib"
    (mykey,) = read_bibtex_file(bib / "bibtexparser_v1_features2.bib").entries
    assert mykey.record.title == "Cool Stuff"  # myTitle = cool # " " # stuff
    assert mykey.record.authors == ["John Doe"]  # "John " # mynamE
    assert mykey.record.venue == "My International Conference"
    assert mykey.record.extra_fields["pages"] == "1--10"  # pages = baR = FOO
    assert mykey.record.extra_fields["note"] == "Email: John.Doe@example.com"
    (cesar,) = read_bibtex_file(bib / "bibtexparser_v1_article_with_strings.bib").entries
    assert (cesar.record.authors, cesar.record.venue) == (["Jean César"], "Nice Journal")
    assert cesar.record.extra_fields["month"] == "jan"
    (declared,) = read_bibtex_file(
        bib / "bibtexparser_v1_comments_spaces_and_declarations.bib").entries
    assert declared.record.title == "A great title" and declared.line == 9
    (trap,) = read_bibtex_file(bib / "bibtexparser_v1_traps.bib").entries
    assert trap.record.authors == ["Ben Loaeb Jean Laidé"]  # one name: "Last, First"
    assert trap.record.title == "An amazing title"


def test_crossref_duplicates_and_arxiv_eprints_in_biber_examples(shared_fixtures: Path) -> None:
    parsed = read_bibtex_file(shared_fixtures / "bib" / "biber_tdata_examples.bib")
    entries = by_key(parsed.entries)
    space = entries["westfahl:space"].record
    assert space.extra_fields["crossref"] == "westfahl:frontier"
    assert "westfahl:frontier" in entries
    assert space.title == "The True Frontier"
    assert entries["bertram"].record.venue == "J. Amer. Math. Soc."  # @string jams, ~ decoded
    baez = entries["baez/article"].record
    assert (baez.arxiv_id, baez.arxiv_version) == ("math/0307200", 3)
    assert [str(p) for p in parsed.skipped] == [
        "line 1547: duplicate key 'tmn4' (first used at line 1539): entry skipped"]
    assert len(parsed.entries) == 131 and parsed.strings == 8


def test_every_fixture_is_read(shared_fixtures: Path) -> None:
    counts = {p.name: len(read_bibtex_file(p).entries)
              for p in sorted((shared_fixtures / "bib").glob("*.bib"))}
    assert counts == {
        "biber_tdata_examples.bib": 131, "biber_tdata_names.bib": 38,
        "bibtexparser_v1_article_with_strings.bib": 1,
        "bibtexparser_v1_comments_spaces_and_declarations.bib": 1,
        "bibtexparser_v1_features2.bib": 1, "bibtexparser_v1_traps.bib": 1,
        "jabref_testbib_complex.bib": 20, "jabref_testbib_testjabref.bib": 156}

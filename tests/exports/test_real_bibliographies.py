"""Real bibliographies in, faithfully out (issue 12): minimal entries for each case, through
``papershelf import`` / ``export`` / ``duplicates`` / ``merge`` and the real bibtex and biber."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from reader.record import PaperRecord
from storage import migrations, ops
from storage.db import open_library
from tests.conftest import CliRunnerFn
from tests.exports.test_toolchain import run_biber, run_bibtex, tools  # noqa: F401

KHALAF = """\
@inproceedings{KhalafKL07, author = {Rania Khalaf and Oliver Kopp and Frank Leymann},
  title = {Maintaining Data Dependencies Across {BPEL} Process Fragments},
  booktitle = {Service-Oriented Computing - ICSOC 2007}, pages = {207--219}, year = {2007}}
@article{KhalafKL08, author = {Rania Khalaf and Oliver Kopp and Frank Leymann},
  title = {Maintaining Data Dependencies across {BPEL} Process Fragments},
  journal = {Int. J. Cooperative Inf. Syst.}, volume = {17}, number = {3}, pages = {259--282},
  year = {2008}, doi = {10.1142/S0218843008001828}}
"""


def write(tmp_path: Path, text: str | bytes, name: str = "refs.bib") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def keys(cli: CliRunnerFn) -> list[str]:
    return sorted(p["key"] for p in cli("list", "--all", "--json").json())


def test_conference_and_journal_versions_stay_apart_and_are_reported(
        cli: CliRunnerFn, tmp_path: Path) -> None:
    r = cli("import", str(write(tmp_path, KHALAF)))
    assert r.code == 0
    assert r.out.splitlines() == [
        "added KhalafKL07: Maintaining Data Dependencies Across BPEL Process Fragments",
        "added KhalafKL08: Maintaining Data Dependencies across BPEL Process Fragments",
        "KhalafKL08: possible duplicate of KhalafKL07: same title, years 2007 and 2008, entry "
        "types article and inproceedings, venues Int. J. Cooperative Inf. Syst. and "
        "Service-Oriented Computing - ICSOC 2007 (kept apart; 'papershelf merge KhalafKL07 "
        "KhalafKL08' joins them)",
        f"{tmp_path / 'refs.bib'}: added 2, merged 0, skipped 0; new papers are 'queued'",
    ]
    assert cli("duplicates").out.splitlines() == [
        "KhalafKL08: possible duplicate of KhalafKL07: same title, years 2007 and 2008, entry "
        "types article and inproceedings, venues Int. J. Cooperative Inf. Syst. and "
        "Service-Oriented Computing - ICSOC 2007",
        "1 possible duplicate ('papershelf merge KEEP OTHER' joins two)",
    ]


def test_entries_without_authors_never_merge_on_the_title(cli: CliRunnerFn,
                                                          tmp_path: Path) -> None:
    bib = write(tmp_path, "@manual{fips2001, title = {Advanced Encryption Standard}, "
                          "year = 2001}\n@manual{fips2001b, title = {Advanced Encryption "
                          "Standard}, year = 2001}\n")
    r = cli("import", str(bib))
    assert r.out.splitlines()[2] == (
        "fips2001b: possible duplicate of fips2001: same title, no authors to compare (kept "
        "apart; 'papershelf merge fips2001 fips2001b' joins them)")
    assert keys(cli) == ["fips2001", "fips2001b"]


def test_a_shared_junk_eprint_with_other_dois_does_not_merge(cli: CliRunnerFn,
                                                              tmp_path: Path) -> None:
    bib = write(tmp_path, """\
@article{old1950, title = {On Computable Numbers Again}, author = {Turing, Alan}, year = 1950,
  doi = {10.1093/mind/LIX.236.433}, eprint = {1501.00001}, archivePrefix = {arXiv}}
@article{new2016, title = {Deep Nets}, author = {Roe, Jane}, year = 2016,
  doi = {10.1038/nature16961}, eprint = {1501.00001}, archivePrefix = {arXiv}}
""")
    r = cli("import", str(bib))
    assert r.code == 0
    assert r.out.splitlines()[2] == (
        "new2016: possible duplicate of old1950: same arXiv id 1501.00001, but DOIs "
        "10.1038/nature16961 and 10.1093/mind/lix.236.433, titles and first authors differ "
        "(kept apart; "
        "'papershelf merge old1950 new2016' joins them)")
    assert keys(cli) == ["new2016", "old1950"]


def test_chapters_carrying_their_books_doi_stay_apart(cli: CliRunnerFn, tmp_path: Path) -> None:
    bib = write(tmp_path, """\
@incollection{ch1, title = {Chapter One}, author = {Doe, Jane}, booktitle = {The Book},
  year = 2010, pages = {1--20}, doi = {10.1007/978-3-642-00000-0}}
@incollection{ch2, title = {Chapter Two}, author = {Roe, Rick}, booktitle = {The Book},
  year = 2010, pages = {21--40}, doi = {10.1007/978-3-642-00000-0}}
""")
    cli("import", str(bib))
    assert keys(cli) == ["ch1", "ch2"]


def test_the_same_work_merges_and_both_keys_stay(cli: CliRunnerFn, tmp_path: Path) -> None:
    bib = write(tmp_path, """\
@article{lecun2015, title = {Deep Learning}, author = {LeCun, Yann and Bengio, Yoshua},
  journal = {Nature}, year = 2015, doi = {10.1038/nature14539}}
@article{deeplearning, title = {Deep learning}, author = {Yann LeCun and Yoshua Bengio},
  journal = {Nature}, year = 2015, volume = 521, doi = {10.1038/NATURE14539}}
@article{child, title = {Uses It}, author = {Doe, Jane}, year = 2016, crossref = {deeplearning}}
""")
    r = cli("import", str(bib))
    assert r.out.splitlines()[1] == (
        "merged deeplearning into lecun2015 (same DOI 10.1038/nature14539): updated; "
        "'deeplearning' kept as another key of lecun2015")
    assert cli("show", "deeplearning", "--json").json()["key"] == "lecun2015"
    # The first entry's fields are kept, never replaced by the other entry's.
    biblatex = cli("export", "--all", "--style", "biblatex").out
    assert "@article{lecun2015,\n  title = {Deep Learning},\n  author = {LeCun, Yann and " \
           "Bengio, Yoshua},\n  journal = {Nature},\n  year = {2015},\n  doi = " \
           "{10.1038/nature14539},\n  ids = {deeplearning}\n}\n" in biblatex
    assert "crossref = {lecun2015}" in biblatex
    classic = cli("export", "--all").out
    assert "@article{deeplearning,\n  title = {Deep Learning}," in classic  # a copy per alias
    # Exporting the child alone brings its (merged-away) crossref target along.
    child = cli("export", "child")
    assert "also exported lecun2015 (cross-referenced by child)" in child.err
    assert "crossref = {lecun2015}" in child.out
    again = cli("import", str(bib))
    assert again.out.splitlines()[-1] == f"{bib}: added 0, merged 0, unchanged 3, skipped 0"


@pytest.mark.toolchain
def test_every_key_cites_with_bibtex_and_biber(tools: None, cli: CliRunnerFn,  # noqa: F811
                                               tmp_path: Path) -> None:
    bib = write(tmp_path, """\
@article{lecun2015, title = {Deep Learning}, author = {LeCun, Yann}, journal = {Nature},
  year = 2015, doi = {10.1038/nature14539}}
@article{deeplearning, title = {Deep learning}, author = {Yann LeCun}, journal = {Nature},
  year = 2015, doi = {10.1038/nature14539}}
@article{O'Hara_1999, title = {Apostrophes}, author = {O'Hara, Scarlett}, journal = {J},
  year = 1999}
@inproceedings{proc@2020, title = {At Signs}, author = {Doe, Jane}, year = 2020,
  crossref = {CorneilOS??}}
@proceedings{CorneilOS??, title = {Question Marks}, editor = {Corneil, Derek}, year = 2020,
  booktitle = {Question Marks}, doi = {10.1145/3357713}}
@inproceedings{child2020, title = {A Child}, author = {Roe, Rick}, year = 2020,
  pages = {1--2}, crossref = {qm2020}}
@proceedings{qm2020, title = {Question Marks}, editor = {Corneil, Derek}, year = 2020,
  booktitle = {Question Marks}, doi = {10.1145/3357713}}
""")
    r = cli("import", str(bib))
    assert "merged qm2020 into CorneilOS?? (same DOI 10.1145/3357713): updated; 'qm2020' " \
           "kept as another key of CorneilOS??" in r.out.splitlines()
    assert keys(cli) == ["CorneilOS??", "O'Hara_1999", "child2020", "lecun2015", "proc@2020"]
    for style in ("bibtex", "biblatex"):
        text = cli("export", "--all", "--style", style).out
        out = tmp_path / style
        report = run_bibtex(text, out)
        assert report.errors == set(), style
        cited = out / "cite.aux"
        cited.write_text("\\relax\n\\citation{deeplearning}\n\\citation{lecun2015}\n"
                         "\\citation{O'Hara_1999}\n\\citation{proc@2020}\n"
                         "\\bibstyle{plain}\n\\bibdata{refs}\n")
        import subprocess
        subprocess.run(["bibtex", "cite"], cwd=out, capture_output=True, timeout=120)
        blg = (out / "cite.blg").read_text() + (out / "test.blg").read_text()
        assert "bad cross reference" not in blg, blg  # the merged-away parent resolves
        if style == "bibtex":
            assert "I didn't find a database entry" not in blg, blg
        # biber, unlike bibtex, refuses a quote in a key: the file's own key is kept all the
        # same (bibtex takes it), and everything else passes biber.
        no_quote = "\n\n".join(e for e in text.split("\n\n") if "O'Hara" not in e)
        assert run_biber(no_quote, tmp_path / f"{style}-biber").errors == set()


def test_file_keys_bibtex_accepts_are_kept_and_crossrefs_follow_a_changed_key(
        cli: CliRunnerFn, tmp_path: Path) -> None:
    cli("add", "--title", "Something Else", "--author", "Ann Other", "--year", "1999")
    assert cli("key", "other1999something", "proc2020").code == 0
    bib = write(tmp_path, """\
@inproceedings{kumāra, title = {Unicode Keys}, author = {Kumāra, A.}, year = 2020,
  crossref = {proc2020}}
@proceedings{proc2020, title = {Proceedings 2020}, editor = {Ed, Itor}, year = 2020}
""")
    r = cli("import", str(bib))
    assert r.out.splitlines()[:2] == [
        "added kumāra: Unicode Keys",
        "added proc2020a (the file's key 'proc2020' is taken by another paper): Proceedings 2020",
    ]
    assert "crossref = {proc2020a}" in cli("export", "kumāra").out
    assert cli("import", str(bib)).out.splitlines()[-1] == (
        f"{bib}: added 0, merged 0, unchanged 2, skipped 0")


def test_repeated_fields_keep_the_first_value_and_are_reported(cli: CliRunnerFn,
                                                              tmp_path: Path) -> None:
    bib = write(tmp_path, "@article{sd2019, title = {Repeated},\n  author = {Doe, Jane},\n"
                          "  keywords = {first},\n  year = 2019,\n  keywords = {second}}\n")
    r = cli("import", str(bib))
    assert r.code == 0
    assert r.err.splitlines() == [
        f"papershelf: {bib}:5: warning: entry 'sd2019': field 'keywords' given again (first at "
        "line 3); the first value is kept"]
    assert "keywords = {first}" in cli("export", "sd2019").out


def test_month_macros_and_their_aliases_stay_macros(cli: CliRunnerFn, tmp_path: Path) -> None:
    bib = write(tmp_path, "@string{ccs11month = oct}\n@string{later = ccs11month}\n"
                          "@inproceedings{ccs11, title = {Crypto}, author = {Doe, Jane}, "
                          "year = 2011, month = ccs11month}\n"
                          "@inproceedings{ccs12, title = {Crypto Two}, author = {Doe, Jane}, "
                          "year = 2012, month = later}\n")
    cli("import", str(bib))
    out = cli("export", "ccs11", "ccs12", "--style", "biblatex").out
    assert out.count("  month = oct\n") == 2 and "October" not in out


def test_undefined_macros_and_keyless_entries_are_reported(cli: CliRunnerFn,
                                                           tmp_path: Path) -> None:
    bib = write(tmp_path, '@article{h, title = {T}, author = "Harvey " # and # "Ginsberg", '
                          "journal = jacm, year = 2000}\n@misc{, title = {A}}\n"
                          "@misc{, title = {B}}\n")
    r = cli("import", str(bib))
    assert r.err.splitlines() == [
        f"papershelf: {bib}:1: warning: entry 'h': field 'author' uses @string 'and', which is "
        "not defined here: read as empty text, as BibTeX does",
        f"papershelf: {bib}:1: warning: entry 'h': field 'journal' uses @string 'jacm', which "
        "is not defined here: kept as its name",
        f"papershelf: {bib}:2: @misc entry has no key: entry skipped",
        f"papershelf: {bib}:3: @misc entry has no key: entry skipped",
    ]
    assert cli("show", "h", "--json").json()["authors"] == ["Harvey Ginsberg"]


def test_encodings_utf8_bom_latin1_and_a_refusal_for_the_rest(cli: CliRunnerFn,
                                                              tmp_path: Path) -> None:
    entry = "@article{{{key}, title = {{{title}}}, author = {{{author}}}, year = 2001}}\n"
    bom = write(tmp_path, b"\xef\xbb\xbf" + entry.format(key="bom", title="Bom",
                                                          author="Müller, Max").encode(), "a.bib")
    latin = write(tmp_path, entry.format(key="lat", title="Latin",
                                         author="Müller, Jörg").encode("latin-1"), "b.bib")
    gbk_text = entry.format(key="gbk", title="中文标题", author="王小明")
    gbk = write(tmp_path, gbk_text.encode("gbk"), "c.bib")
    assert cli("import", str(bom)).code == 0
    assert cli("import", str(latin)).code == 0
    refused = cli("import", str(gbk))
    assert refused.code == 2
    assert refused.err == (
        f"papershelf: {gbk}:1: not UTF-8 or Latin-1 text (it looks like a multi-byte encoding "
        "such as GBK, Big5 or Shift-JIS); give its encoding with --encoding (e.g. --encoding "
        "gbk) or convert it to UTF-8; nothing imported\n")
    assert cli("import", str(gbk), "--encoding", "gbk").code == 0
    assert cli("show", "gbk", "--json").json()["authors"] == ["王小明"]
    assert cli("show", "lat", "--json").json()["authors"] == ["Jörg Müller"]
    assert cli("show", "bom", "--json").json()["authors"] == ["Max Müller"]


def test_style_bibtex_writes_extended_names_as_bibtex_names(cli: CliRunnerFn,
                                                            tmp_path: Path) -> None:
    bib = write(tmp_path, "@book{rabble, title = {A Book}, author = {given=Richard, "
                          "prefix=von, family=Rabble}, editor = {family=Adler, given=Alfred "
                          "and Doe, Jane}, year = 2001}\n")
    cli("import", str(bib))
    classic = cli("export", "rabble").out
    assert "author = {von Rabble, Richard}" in classic
    assert "editor = {Adler, Alfred and Doe, Jane}" in classic
    assert "given=Richard, prefix=von, family=Rabble" in cli(
        "export", "rabble", "--style", "biblatex").out


def test_merge_on_request_shows_what_it_takes_and_is_one_undo_step(
        cli: CliRunnerFn, tmp_path: Path) -> None:
    cli("import", str(write(tmp_path, KHALAF)))
    cli("tag", "KhalafKL07", "+bpel")
    r = cli("merge", "KhalafKL08", "KhalafKL07")
    assert r.code == 0
    assert r.out.splitlines() == [
        "KhalafKL08 took tags: bpel",
        "KhalafKL07 merged into KhalafKL08; 'KhalafKL07' stays another key of KhalafKL08",
    ]
    same = cli("merge", "KhalafKL08", "KhalafKL07")  # KhalafKL07 is KhalafKL08 now
    assert (same.code, same.err) == (2, "papershelf: KhalafKL08 and KhalafKL08 are the same "
                                        "paper; nothing to merge\n")
    assert cli("merge", "KhalafKL08", "nope").err == "papershelf: no paper with key or id 'nope'\n"
    shown = cli("show", "KhalafKL07", "--json").json()
    assert (shown["key"], shown["tags"]) == ("KhalafKL08", ["bpel"])
    assert cli("duplicates").out == "0 possible duplicates\n"
    assert cli("duplicates", "--json").json() == []
    assert cli("undo").out == "undid: merge KhalafKL07 into KhalafKL08\n"
    assert keys(cli) == ["KhalafKL07", "KhalafKL08"]
    assert cli("show", "KhalafKL07", "--json").json()["tags"] == ["bpel"]
    assert cli("duplicates", "--json").json() == [{
        "key": "KhalafKL07", "other": "KhalafKL08", "certain": False,
        "reason": "same title, years 2007 and 2008, entry types article and inproceedings, "
                  "venues Int. J. Cooperative Inf. Syst. and Service-Oriented Computing - "
                  "ICSOC 2007"}]


def test_a_library_of_schema_2_gets_the_alias_table(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    try:
        assert migrations.migrate(conn, target=2) == [1, 2]
    finally:
        conn.close()
    conn = sqlite3.connect(path)
    try:  # a paper as papershelf of schema 2 stored it
        conn.execute("INSERT INTO paper (id, key, title, title_norm, doi, year, categories, "
                     "ai_keywords, source, extra_fields, status, starred, added, modified) VALUES "
                     "(1, 'lecun2015', 'Deep Learning', 'deep learning', '10.1038/nature14539', "
                     "2015, '[]', '[]', 'bibtex', '{}', 'queued', 0, '2024-01-01 00:00:00', "
                     "'2024-01-01 00:00:00')")
        conn.execute("INSERT INTO paper_author (paper_id, position, name) VALUES "
                     "(1, 0, 'Yann LeCun')")
        conn.commit()
    finally:
        conn.close()
    lib = open_library(path)
    try:
        with lib.read() as session:
            conn2 = session.connection()
            assert conn2.exec_driver_sql("SELECT count(*) FROM paper_alias").scalar_one() == 0
        with lib.action("import") as session:
            [result] = ops.merge_records(session, records=[PaperRecord(
                title="Deep learning", authors=["LeCun, Yann"], year=2015, key="dl",
                doi="10.1038/NATURE14539", source="bibtex")])
        assert result.alias == "dl"
        with lib.read() as session:
            assert ops.find_paper(session, ref="dl").key == "lecun2015"
        with lib.write() as session:  # the alias is part of the undo step
            assert ops.undo_last(session) == "import"
        with lib.read() as session:
            assert session.connection().exec_driver_sql(
                "SELECT count(*) FROM paper_alias").scalar_one() == 0
        assert lib.check() == []
    finally:
        lib.close()


def test_an_editors_column_in_two_issues_stays_two_entries(cli: CliRunnerFn,
                                                          tmp_path: Path) -> None:
    bib = write(tmp_path, """\
@article{col1, title = {Editor's Introduction}, author = {Beeton, Barbara},
  journal = {TUGboat}, year = 1990, volume = 11, number = 1, pages = {3--4}}
@article{col2, title = {Editor's introduction}, author = {Beeton, Barbara},
  journal = {TUGboat}, year = 1990, volume = 11, number = 2, pages = {161--162}}
""")
    r = cli("import", str(bib))
    assert r.out.splitlines()[2] == (
        "col2: possible duplicate of col1: same title, numbers 2 and 1, pages 161--162 and "
        "3--4 (kept apart; 'papershelf merge col1 col2' joins them)")
    assert keys(cli) == ["col1", "col2"]

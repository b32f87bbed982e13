"""``papershelf export`` and ``papershelf import`` through the real command line (in-process),
with the library and the written files checked after."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from exports.bibtex_in import parse_bibtex
from tests.conftest import CliRunnerFn
from tests.support.templates import copy_library

DATA = Path(__file__).resolve().parents[1] / "exports" / "data"
SAMPLE = DATA / "sample.bib"

VASWANI = """@misc{vaswani2017attention,
  author = {Vaswani, Ashish and Shazeer, Noam},
  title = {Attention Is All You Need},
  year = {2017},
  eprint = {1706.03762},
  archivePrefix = {arXiv},
  howpublished = {arXiv preprint arXiv:1706.03762},
  url = {https://arxiv.org/abs/1706.03762}
}
"""


def _fill_shelf(cli: CliRunnerFn) -> None:
    for args in [
        ("add", "--title", "Attention Is All You Need", "--author", "Ashish Vaswani",
         "--author", "Noam Shazeer", "--year", "2017", "--arxiv", "1706.03762"),
        ("add", "--title", "LoRA: Low-Rank Adaptation of Large Language Models", "--author",
         "Edward J. Hu", "--year", "2021", "--arxiv", "2106.09685", "--status", "reading"),
        ("add", "--title", "Deep Residual Learning for Image Recognition", "--author",
         "Kaiming He", "--year", "2016", "--venue",
         "IEEE Conference on Computer Vision and Pattern Recognition", "--doi",
         "10.1109/CVPR.2016.90", "--status", "dismissed"),
    ]:
        assert cli(*args).code == 0
    assert cli("tag", "vaswani2017attention", "+to-cite").code == 0
    assert cli("tag", "hu2021lora", "+to-cite", "+peft").code == 0


@pytest.fixture
def shelf(cli: CliRunnerFn, db_path: Path, library_template: Any) -> CliRunnerFn:
    """Three papers, two tagged, added by the command line (built once per run, copied here)."""
    copy_library(library_template("bibtex-shelf", _fill_shelf), db_path)
    return cli


def keys_of(text: str) -> list[str | None]:
    return [e.record.key for e in parse_bibtex(text).entries]


# ------------------------------------------------------------------ export


def test_export_keys_to_stdout(shelf: CliRunnerFn) -> None:
    r = shelf("export", "vaswani2017attention")
    assert (r.code, r.out, r.err) == (0, VASWANI, "")
    r = shelf("export", "hu2021lora", "vaswani2017attention")
    assert keys_of(r.out) == ["hu2021lora", "vaswani2017attention"]  # the order given


def test_export_by_tag_status_and_all(shelf: CliRunnerFn) -> None:
    assert keys_of(shelf("export", "--tag", "to-cite").out) == ["hu2021lora",
                                                                "vaswani2017attention"]
    assert keys_of(shelf("export", "--tag", "peft", "--tag", "nothing").out) == ["hu2021lora"]
    assert keys_of(shelf("export", "--status", "reading").out) == ["hu2021lora"]
    assert keys_of(shelf("export", "--all").out) == ["he2016deep", "hu2021lora",
                                                     "vaswani2017attention"]
    both = shelf("export", "he2016deep", "--tag", "to-cite").out
    assert keys_of(both) == ["he2016deep", "hu2021lora", "vaswani2017attention"]
    assert "@inproceedings{he2016deep," in both  # a conference venue
    r = shelf("export", "--tag", "nothing")
    assert (r.code, r.out, r.err) == (2, "", "papershelf: no paper has tag 'nothing'\n")


def test_export_needs_a_selection_and_known_papers(shelf: CliRunnerFn, tmp_path: Path) -> None:
    r = shelf("export")
    assert r.code == 2 and "name the papers: KEYS, --tag, --status, --query or --all" in r.err
    out = tmp_path / "refs.bib"
    r = shelf("export", "vaswani2017attention", "nope", "-o", str(out))
    assert (r.code, r.err) == (2, "papershelf: no paper with key or id 'nope'\n")
    assert not out.exists()
    r = shelf("export", "--all", "-o", str(out), "--into", str(out))
    assert r.code == 2 and "not both" in r.err


def test_export_query_selects_what_search_finds(shelf: CliRunnerFn, tmp_path: Path) -> None:
    # Qualifiers alone list the newest first.
    assert keys_of(shelf("export", "--query", "tag:to-cite").out) == [
        "hu2021lora", "vaswani2017attention"]
    assert keys_of(shelf("export", "--query", "atention is al").out) == ["vaswani2017attention"]
    assert keys_of(shelf("export", "--query", "tag:to-cite -tag:peft").out) == [
        "vaswani2017attention"]
    # Dismissed papers only when the query asks for them, as in `papershelf search`.
    assert shelf("export", "--query", "residual").code == 2
    assert keys_of(shelf("export", "--query", "residual status:dismissed").out) == ["he2016deep"]
    out = tmp_path / "refs.bib"
    r = shelf("export", "--query", "year:2021", "-o", str(out))
    assert r.code == 0 and keys_of(out.read_text()) == ["hu2021lora"]
    r = shelf("export", "--query", "nothing-like-this")
    assert (r.code, r.out, r.err) == (
        2, "", "papershelf: no paper matches the query 'nothing-like-this'\n")
    bad = shelf("export", "--query", "year:20x")
    assert bad.code == 2 and "year:20x" in bad.err and bad.out == ""


def test_export_to_a_new_file(shelf: CliRunnerFn, tmp_path: Path) -> None:
    out = tmp_path / "thesis.bib"
    r = shelf("export", "--tag", "to-cite", "-o", str(out))
    assert (r.code, r.out, r.err) == (0, "", f"wrote 2 entries to {out}\n")
    assert keys_of(out.read_text()) == ["hu2021lora", "vaswani2017attention"]
    assert not out.with_name("thesis.bib.bak").exists()


def test_export_onto_an_existing_file_asks_for_into_or_force(shelf: CliRunnerFn,
                                                              tmp_path: Path) -> None:
    out = tmp_path / "thesis.bib"
    out.write_text("to be replaced\n")
    refused = shelf("export", "--tag", "to-cite", "-o", str(out))
    assert (refused.code, refused.out) == (2, "")
    assert refused.err == (f"papershelf: {out} exists: use --into to merge into it, or --force "
                           f"to replace it (the old file is kept as thesis.bib.bak)\n")
    assert out.read_text() == "to be replaced\n"
    assert [p.name for p in tmp_path.glob("*thesis*")] == ["thesis.bib"]  # nothing half-written
    r = shelf("export", "--tag", "to-cite", "-o", str(out), "--force")
    assert (r.code, r.out) == (0, "")
    assert r.err == f"wrote 2 entries to {out}\nkept the old file as {out}.bak\n"
    assert keys_of(out.read_text()) == ["hu2021lora", "vaswani2017attention"]
    assert (tmp_path / "thesis.bib.bak").read_text() == "to be replaced\n"
    assert sorted(p.name for p in tmp_path.glob("*thesis*")) == ["thesis.bib", "thesis.bib.bak"]
    usage = shelf("export", "--tag", "to-cite", "--force")
    assert usage.code == 2 and "--force goes with -o FILE" in usage.err


def test_export_into_an_existing_refs_bib(shelf: CliRunnerFn, tmp_path: Path) -> None:
    refs = tmp_path / "refs.bib"
    old = ("% my refs\n@string{nips = {NeurIPS}}\n\n"
           "@inproceedings{attention, title={Attention}, booktitle=nips, eprint={1706.03762}}\n")
    refs.write_text(old)
    r = shelf("export", "--tag", "to-cite", "--into", str(refs))
    assert r.code == 0 and r.out == ""
    assert r.err.splitlines() == [
        "added hu2021lora",
        "skipped vaswani2017attention: the file has arXiv 1706.03762 already, as 'attention' "
        "(line 4)",
        f"{refs}: 1 added, 1 already there",
    ]
    text = refs.read_text()
    assert text.startswith(old) and keys_of(text) == ["attention", "hu2021lora"]
    r = shelf("export", "--tag", "to-cite", "--into", str(refs))
    assert r.err.splitlines()[-1] == f"{refs}: 0 added, 2 already there"
    assert refs.read_text() == text


def test_export_styles_tags_and_notes(shelf: CliRunnerFn) -> None:
    shelf("note", "hu2021lora", "-m", "rank 8 is enough", "--quote", "low-rank")
    out = shelf("export", "hu2021lora", "--style", "biblatex", "--with-tags",
                "--with-notes").out
    assert "  eprinttype = {arxiv},\n" in out and "archivePrefix" not in out
    assert "  keywords = {peft, to-cite},\n" in out
    assert "  annote = {\u201clow-rank\u201d rank 8 is enough}\n" in out
    classic = shelf("export", "hu2021lora", "--with-notes").out
    assert "  annote = {{``}low-rank{''} rank 8 is enough}\n" in classic
    assert "keywords" not in classic


def test_export_brings_the_cross_referenced_entry_along(cli: CliRunnerFn) -> None:
    cli("import", str(SAMPLE))
    r = cli("export", "chapter2020")
    assert r.code == 0
    assert keys_of(r.out) == ["chapter2020", "book2020"]  # the target after its user
    assert r.err == "also exported book2020 (cross-referenced by chapter2020)\n"


# ------------------------------------------------------------------ import


SAMPLE_ERRORS = [
    f"papershelf: {SAMPLE}:51: @article entry 'broken2019' cannot be read (it runs into the "
    "next entry at line 57: an unclosed brace or quote?): entry skipped",
    f"papershelf: {SAMPLE}:57: @article entry 'nocomma2018' cannot be read (Expected comma "
    "after entry key, but found =): entry skipped",
    f"papershelf: {SAMPLE}:59: @article entry 'commented2017' is commented out with '%' "
    "(BibTeX has no '%' comments outside field values): entry skipped",
    f"papershelf: {SAMPLE}:63: duplicate key 'bostrom2006security' (first used at line 19): "
    "entry skipped",
]


def test_import_reports_what_it_added_and_every_skipped_entry_with_its_line(
        cli: CliRunnerFn) -> None:
    r = cli("import", str(SAMPLE))
    assert r.code == 1  # partly done: some entries could not be read
    assert r.out.splitlines() == [
        "added vaswani2017attention: Attention Is All You Need",
        "added bostrom2006security: Extending XP Practices: $\\mathcal{O}(n)$ Costs & 50% Gains",
        "added qwen2024report: The Qwen2.5 Technical Report",
        "added chapter2020: A Chapter",
        "added book2020: The Collected Book",
        f"{SAMPLE}: added 5, merged 0, skipped 4; new papers are 'queued'",
    ]
    assert r.err.splitlines() == SAMPLE_ERRORS
    paper = cli("show", "bostrom2006security", "--json").json()
    assert paper["authors"] == ["Gustav Boström", "Jaana Wäyrynen", "Eric von Hippel",
                                "John F. Sherry Jr.", "others"]
    assert (paper["status"], paper["doi"], paper["year"]) == ("queued",
                                                              "10.1145/1137627.1137631", 2006)
    assert paper["venue"] == "Journal of Machine Learning Research"
    assert paper["entry_type"] == "article" and paper["source"] == "bibtex"


def test_import_status_option(cli: CliRunnerFn) -> None:
    assert cli("import", str(DATA / "clean.bib"), "--status", "inbox").code == 0
    assert {p["status"] for p in cli("list", "--json").json()} == {"inbox"}


def test_import_merges_with_papers_already_there_and_reports_key_clashes(
        shelf: CliRunnerFn, tmp_path: Path) -> None:
    shelf("add", "--title", "Some Other Paper", "--author", "Jane Roe", "--year", "2020")
    assert shelf("key", "roe2020some", "bostrom2006security").code == 0
    bib = tmp_path / "mine.bib"
    bib.write_text(
        "@article{attention, title = {Attention Is All You Need}, author = {Vaswani, Ashish "
        "and Shazeer, Noam and Parmar, Niki}, journal = {NeurIPS}, year = 2017, eprint = "
        "{1706.03762}, archivePrefix = {arXiv}}\n\n"
        "@article{bostrom2006security, title = {Extending XP}, author = {Gustav Bostr{\\\"o}m},"
        " year = 2006}\n\n"
        "@article{resnet, title = {Deep Residual Learning for Image Recognition}, author = "
        "{He, Kaiming}, doi = {10.1109/CVPR.2016.90}, year = 2016}\n\n"
        "@article{inner, title = {Same Title}, author = {A. One}, year = 2000}\n"
        "@article{inner2, title = {Same title!}, author = {A. One}, year = 2000}\n")
    r = shelf("import", str(bib))
    assert (r.code, r.err) == (0, "")
    assert r.out.splitlines() == [
        # Each field changed is named; the authors typed by hand (add --author) stay.
        "merged attention into vaswani2017attention (same arXiv id 1706.03762): venue (none) -> "
        "NeurIPS, entry_type (none) -> article, kept your authors Ashish Vaswani; Noam Shazeer "
        "(source: Ashish Vaswani; Noam Shazeer; ... (3 in all)); 'attention' kept as another key "
        "of vaswani2017attention",
        "added bostrom2006securitya (the file's key 'bostrom2006security' is taken by another "
        "paper): Extending XP",
        "merged resnet into he2016deep (same DOI 10.1109/cvpr.2016.90): entry_type (none) -> "
        "article; 'resnet' kept as another key of he2016deep",
        "added inner: Same Title",
        # Another entry of the same work only fills what the paper lacks (never its title).
        "merged inner2 into inner (same title, authors, year and venue): updated; 'inner2' "
        "kept as another key of inner",
        f"{bib}: added 2, merged 3, skipped 0; new papers are 'queued'",
    ]
    vaswani = shelf("show", "vaswani2017attention", "--json").json()
    assert vaswani["authors"] == ["Ashish Vaswani", "Noam Shazeer"]  # the user's
    assert vaswani["source_values"]["authors"] == {
        "value": ["Ashish Vaswani", "Noam Shazeer", "Niki Parmar"], "source": "bibtex"}
    assert vaswani["tags"] == ["to-cite"] and vaswani["status"] == "queued"  # user's own kept
    assert shelf("show", "he2016deep", "--json").json()["status"] == "dismissed"
    assert len(shelf("list", "--all", "--json").json()) == 6


def test_import_says_when_the_files_key_cannot_be_used(cli: CliRunnerFn, tmp_path: Path) -> None:
    bib = tmp_path / "keys.bib"
    # biber takes a key in Unicode; no BibTeX tool takes one with a backslash or a '#'.
    bib.write_text("@article{müller2020, title={Umlauts in the key}, author={Max Müller}, "
                   "year=2020}\n@article{a\\b#1, title={Backslash}, author={Max Muster}, "
                   "year=2021}\n")
    r = cli("import", str(bib))
    assert r.out.splitlines()[:2] == [
        "added müller2020: Umlauts in the key",
        "added muster2021backslash (not the file's key: key 'a\\\\b#1' has '\\\\', which BibTeX "
        "or \\cite cannot take): Backslash"]


def test_import_is_one_undo_step(cli: CliRunnerFn) -> None:
    cli("add", "--title", "Before", "--author", "A B", "--year", "2001")
    cli("import", str(SAMPLE))
    assert len(cli("list", "--json").json()) == 6
    r = cli("undo")
    assert (r.code, r.out) == (0, "undid: import sample.bib (5 entries)\n")
    assert [p["key"] for p in cli("list", "--json").json()] == ["b2001before"]


def test_import_dry_run_changes_nothing(shelf: CliRunnerFn) -> None:
    before = (shelf("list", "--all", "--json").out, shelf("undo", "--list").out)
    r = shelf("import", str(SAMPLE), "--dry-run")
    assert r.code == 1
    assert r.out.splitlines() == [
        "would merge vaswani2017attention (same arXiv id 1706.03762): venue (none) -> "
        "'Advances in Neural Information Processi…', entry_type (none) -> inproceedings, month "
        "(none) -> dec, pages (none) -> 5998--6008, kept your authors Ashish Vaswani; Noam "
        "Shazeer (source: Ashish Vaswani; Noam Shazeer; ... (8 in all))",
        "would add bostrom2006security: Extending XP Practices: $\\mathcal{O}(n)$ Costs & 50% "
        "Gains",
        "would add qwen2024report: The Qwen2.5 Technical Report",
        "would add chapter2020: A Chapter",
        "would add book2020: The Collected Book",
        f"{SAMPLE}: would add 4, would merge 1, would skip 4 (dry run: nothing changed)",
    ]
    assert r.err.splitlines() == SAMPLE_ERRORS
    assert (shelf("list", "--all", "--json").out, shelf("undo", "--list").out) == before


def test_a_file_that_is_not_bibtex_is_refused_and_nothing_imported(
        cli: CliRunnerFn, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("Reading list:\n- attention paper\n- ask bob@example.com\n")
    r = cli("import", str(notes))
    assert (r.code, r.out) == (2, "")
    assert r.err == (f"papershelf: {notes}: not a BibTeX file (no @entry{{...}} in it); "
                     "nothing imported\n")
    assert cli("list", "--json").json() == []
    assert cli("undo", "--list").err == "nothing to undo\n"
    r = cli("import", str(tmp_path / "missing.bib"))
    assert r.code == 2 and "missing.bib" in r.err


def test_import_usage(cli: CliRunnerFn) -> None:
    r = cli("import")
    assert r.code == 2 and "give the .bib FILE to import (or --page FILE)" in r.err
    r = cli("import", str(SAMPLE), "--resolve")
    assert r.code == 2 and "--resolve and --year go with --page FILE" in r.err
    r = cli("import", str(SAMPLE), "--page", str(SAMPLE))
    assert r.code == 2 and "--page FILE imports a saved page" in r.err


def test_import_then_export_gives_the_entries_back(cli: CliRunnerFn) -> None:
    cli("import", str(DATA / "clean.bib"))
    out = cli("export", "--all").out
    original = {e.record.key: e.record for e in parse_bibtex((DATA / "clean.bib").read_text())
                .entries}
    again = {e.record.key: e.record for e in parse_bibtex(out).entries}
    assert again == original

"""Round trip: a .bib read in and written out reads back the same, entry for entry and field
for field (both parsed with bibtexparser, macros and ``#`` expanded), in both styles; and
through the library (import, then export) too."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from exports.bibtex_in import BibParse, original_fields, parse_bibtex
from exports.bibtex_out import export_bibtex
from exports.names import NAME_FIELDS, bibtex_name_list
from tests.conftest import CliRunnerFn

DATA = Path(__file__).parent / "data"


def entries(parsed: BibParse, style: str = "biblatex") -> dict[str, tuple[str | None,
                                                                           dict[str, str]]]:
    """Each entry's type and fields. For ``--style bibtex``, name lists in biblatex's extended
    format are compared as the BibTeX names they are written as (documented in
    docs/bibtex.md)."""
    out = {}
    for e in parsed.entries:
        fields = original_fields(e.record.extra_fields)
        if style == "bibtex":
            fields = {n: (bibtex_name_list(v) or v) if n in NAME_FIELDS else v
                      for n, v in fields.items()}
        out[e.record.key or ""] = (e.record.entry_type, fields)
    return out


def bib_files(shared: Path) -> list[Path]:
    return sorted((shared / "bib").glob("*.bib")) + [DATA / "clean.bib", DATA / "sample.bib"]


@pytest.mark.parametrize("style", ["bibtex", "biblatex"])
def test_every_file_reads_back_the_same_after_a_reexport(shared_fixtures: Path,
                                                         style: str) -> None:
    for path in bib_files(shared_fixtures):
        first = parse_bibtex(path.read_bytes().decode("utf-8"))
        text = export_bibtex([e.record for e in first.entries], style=style)  # type: ignore[arg-type]
        second = parse_bibtex(text)
        assert second.skipped == [] and second.warnings == [] or path.name.startswith("biber")
        assert entries(second, style) == entries(first, style), path.name
        # Display values come out the same too (crossref targets move after their users).
        # (the fields themselves are compared above, names as written in the style)
        assert {e.record.key: replace(e.record, extra_fields={}) for e in second.entries} == {
            e.record.key: replace(e.record, extra_fields={}) for e in first.entries}
        # And writing it again changes nothing.
        again = export_bibtex([e.record for e in second.entries], style=style)  # type: ignore[arg-type]
        assert again == text, path.name


def test_our_own_sample_round_trips_without_the_shared_fixtures() -> None:
    first = parse_bibtex((DATA / "clean.bib").read_text())
    text = export_bibtex([e.record for e in first.entries])
    assert entries(parse_bibtex(text)) == entries(first)
    assert list(entries(first)) == ["vaswani2017attention", "bostrom2006security",
                                    "qwen2024report", "lovelace2020chapter", "babbage2020book"]


def test_import_then_export_through_the_library_gives_the_same_entries(
        cli: CliRunnerFn, shared_fixtures: Path, tmp_path: Path) -> None:
    for path in [shared_fixtures / "bib" / "jabref_testbib_testjabref.bib",
                 DATA / "clean.bib"]:
        r = cli("import", str(path))
        assert r.code == 0, r.err
    out = tmp_path / "all.bib"
    assert cli("export", "--all", "-o", str(out)).code == 0
    exported = entries(parse_bibtex(out.read_text(encoding="utf-8")))
    expected = entries(parse_bibtex(
        (shared_fixtures / "bib" / "jabref_testbib_testjabref.bib").read_text(encoding="utf-8")))
    expected.update(entries(parse_bibtex((DATA / "clean.bib").read_text())))
    assert len(exported) == 161
    assert exported == expected

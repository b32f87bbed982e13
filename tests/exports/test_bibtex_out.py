"""BibTeX out: golden files for a fixed set of papers in both styles, and the text rules
(escaping, math, acronyms, names, keys, imported entries coming back unchanged).

To accept a reviewed change of the output: PAPERSHELF_UPDATE_GOLDEN=1 python -m pytest
tests/exports/test_bibtex_out.py, then read the diff of tests/exports/golden/ like code.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from exports.bibtex_in import parse_bibtex, parse_bibtex_entry_text
from exports.bibtex_out import ExportItem, build_entry, export_bibtex
from reader.record import PaperRecord

GOLDEN = Path(__file__).parent / "golden"

IMPORTED = r"""@inproceedings{devlin2019bert,
  title     = {{BERT}: Pre-training of Deep Bidirectional Transformers for Language Understanding},
  author    = {Devlin, Jacob and Chang, Ming-Wei and Lee, Kenton and Toutanova, Kristina},
  booktitle = {Proceedings of the 2019 Conference of the North {A}merican Chapter of the Association for Computational Linguistics},
  pages     = {4171--4186},
  month     = jun,
  year      = {2019},
  publisher = {Association for Computational Linguistics},
}
"""


def golden_papers() -> list[ExportItem]:
    """The fixed set: preprints, published work, an organisation, accents, math and specials,
    an imported entry, extra fields from another source, tags and notes."""
    bert = parse_bibtex_entry_text(IMPORTED)
    bert.arxiv_id = "1810.04805"  # learnt after the import (say, from an arXiv pull)
    return [
        ExportItem(PaperRecord(
            title="Attention Is All You Need",
            authors=["Ashish Vaswani", "Noam Shazeer", "Niki Parmar", "Jakob Uszkoreit",
                     "Llion Jones", "Aidan N. Gomez", "Łukasz Kaiser", "Illia Polosukhin"],
            arxiv_id="1706.03762", arxiv_version=7, primary_category="cs.CL",
            published=date(2017, 6, 12), source="arxiv", key="vaswani2017attention"),
            tags=["transformers", "to-cite"], notes=["Positional encodings: sin & cos."]),
        ExportItem(PaperRecord(
            title="LoRA: Low-Rank Adaptation of Large Language Models",
            authors=["Edward J. Hu", "Yelong Shen", "Phillip Wallis", "others"],
            arxiv_id="2106.09685", primary_category="cs.CL", published=date(2021, 6, 17),
            venue="International Conference on Learning Representations", source="hf",
            key="hu2021lora")),
        ExportItem(PaperRecord(
            title="Qwen2.5 Technical Report", authors=["Qwen Team"], arxiv_id="2412.15115",
            primary_category="cs.CL", doi="10.48550/arXiv.2412.15115",
            published=date(2024, 12, 19), source="hf", key="qwen2024qwen25")),
        ExportItem(PaperRecord(
            title="Fast $\\mathcal{O}(n)$ Attention & 50% Fewer FLOPs for #1 snake_case GPT-4 "
                  "Agents ~ Über",
            authors=["Ludwig van Beethoven", "John F. Sherry Jr.", "José Núñez",
                     "Văn An Nguyễn"],
            arxiv_id="2401.00001", published=date(2024, 1, 1), source="arxiv",
            key="beethoven2024fast")),
        ExportItem(PaperRecord(
            title="Extending XP Practices to Support Security Requirements Engineering",
            authors=["Gustav Boström", "Jaana Wäyrynen", "Marine Bodén", "Konstantin Beznosov",
                     "Philippe Kruchten"],
            venue="SESS '06: Proceedings of the 2006 International Workshop on Software "
                  "Engineering for Secure Systems",
            entry_type="inproceedings", year=2006, doi="10.1145/1137627.1137631",
            source="doi", key="bostrom2006extending")),
        ExportItem(PaperRecord(
            title="Highly accurate protein structure prediction with AlphaFold",
            authors=["John Jumper", "Richard Evans", "Alexander Pritzel", "others"],
            venue="Nature", entry_type="article", year=2021, doi="10.1038/s41586-021-03819-2",
            source="doi", key="jumper2021highly",
            extra_fields={"volume": "596", "number": "7873", "pages": "583–589",
                          "publisher": "Springer Science & Business Media LLC"})),
        ExportItem(bert, tags=["nlp"]),
    ]


@pytest.mark.parametrize("style", ["bibtex", "biblatex"])
def test_export_matches_the_golden_file(style: str) -> None:
    text = export_bibtex(golden_papers(), style=style, with_tags=True, with_notes=True)  # type: ignore[arg-type]
    golden = GOLDEN / f"papers.{style}.bib"
    if os.environ.get("PAPERSHELF_UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def entry(record: PaperRecord, style: str = "bibtex") -> dict[str, str]:
    built = build_entry(record, style=style)  # type: ignore[arg-type]
    return dict(built.fields)


def test_arxiv_preprint_classic_has_eprint_fields_and_a_printable_note() -> None:
    text = export_bibtex([golden_papers()[0].record])
    assert text == (
        "@misc{vaswani2017attention,\n"
        "  author = {Vaswani, Ashish and Shazeer, Noam and Parmar, Niki and Uszkoreit, Jakob"
        " and Jones, Llion and Gomez, Aidan N. and Kaiser, {\\L}ukasz and Polosukhin, Illia},\n"
        "  title = {Attention Is All You Need},\n"
        "  year = {2017},\n"
        "  eprint = {1706.03762},\n"
        "  archivePrefix = {arXiv},\n"
        "  primaryClass = {cs.CL},\n"
        "  howpublished = {arXiv preprint arXiv:1706.03762},\n"
        "  url = {https://arxiv.org/abs/1706.03762}\n"
        "}\n")


def test_arxiv_preprint_biblatex_uses_eprinttype_date_and_utf8() -> None:
    fields = entry(golden_papers()[0].record, "biblatex")
    assert fields["eprint"] == "1706.03762"
    assert fields["eprinttype"] == "arxiv" and fields["eprintclass"] == "cs.CL"
    assert fields["date"] == "2017-06-12" and fields["year"] == "2017"
    assert "howpublished" not in fields
    assert "Kaiser, Łukasz" in fields["author"]


def test_text_escaping_math_acronyms_and_accents() -> None:
    record = golden_papers()[3].record
    classic = entry(record)
    assert classic["title"] == (
        "Fast $\\mathcal{O}(n)$ Attention \\& 50\\% Fewer {FLOPs} for \\#1 snake\\_case "
        "{GPT-4} Agents {\\textasciitilde} {\\\"U}ber")
    assert classic["author"] == ("van Beethoven, Ludwig and Sherry, Jr., John F. and "
                                 "N{\\'u}{\\~n}ez, Jos{\\'e} and Nguy{\\~{\\^{e}}}n, V{\\u{a}}n An")
    modern = entry(record, "biblatex")
    assert modern["title"].endswith("{GPT-4} Agents {\\textasciitilde} Über")
    assert modern["author"].endswith("Núñez, José and Nguyễn, Văn An")


def test_organisations_are_braced_and_others_is_kept() -> None:
    assert entry(golden_papers()[2].record)["author"] == "{Qwen Team}"
    assert entry(golden_papers()[1].record)["author"] == (
        "Hu, Edward J. and Shen, Yelong and Wallis, Phillip and others")


def test_published_work_is_article_or_inproceedings_with_its_venue() -> None:
    papers = golden_papers()
    lora = build_entry(papers[1].record)
    assert lora.entry_type == "inproceedings"
    assert dict(lora.fields)["booktitle"] == "International Conference on Learning Representations"
    nature = build_entry(papers[5].record)
    assert nature.entry_type == "article" and dict(nature.fields)["journal"] == "Nature"
    biblatex = dict(build_entry(papers[5].record, style="biblatex").fields)
    assert biblatex["journal"] == "Nature"  # biber reads it as journaltitle; BibTeX as journal
    assert "publisher" not in biblatex  # not in biblatex's data model for @article
    assert "publisher" not in dict(nature.fields)


def test_extra_fields_from_another_source_are_escaped_text() -> None:
    record = golden_papers()[5].record
    record.entry_type = "book"
    fields = entry(record)
    assert fields["publisher"] == "Springer Science \\& Business Media LLC"
    assert fields["pages"] == "583{--}589"
    assert entry(record, "biblatex")["pages"] == "583–589"


def test_the_key_is_the_records_own_and_never_invented() -> None:
    record = PaperRecord(title="No key", authors=["A. Author"], year=2020)
    with pytest.raises(ValueError, match="no citation key"):
        build_entry(record)
    record.key = "Any:Key-1"
    assert export_bibtex([record]).startswith("@misc{Any:Key-1,\n")


def test_an_imported_entry_comes_back_unchanged() -> None:
    record = parse_bibtex_entry_text(IMPORTED)
    assert export_bibtex([record]) == (
        "@inproceedings{devlin2019bert,\n"
        "  title = {{BERT}: Pre-training of Deep Bidirectional Transformers for Language "
        "Understanding},\n"
        "  author = {Devlin, Jacob and Chang, Ming-Wei and Lee, Kenton and Toutanova, "
        "Kristina},\n"
        "  booktitle = {Proceedings of the 2019 Conference of the North {A}merican Chapter of "
        "the Association for Computational Linguistics},\n"
        "  pages = {4171--4186},\n"
        "  month = jun,\n"
        "  year = {2019},\n"
        "  publisher = {Association for Computational Linguistics}\n"
        "}\n")


def test_what_the_library_learnt_after_an_import_is_added_and_the_rest_kept() -> None:
    record = parse_bibtex_entry_text(IMPORTED)
    record.arxiv_id, record.primary_category = "1810.04805", "cs.CL"
    record.doi = "10.18653/v1/n19-1423"
    fields = build_entry(record).fields
    names = [n for n, _ in fields]
    assert names == ["title", "author", "booktitle", "pages", "month", "year", "publisher",
                     "eprint", "archivePrefix", "primaryClass", "doi"]
    assert dict(fields)["title"].startswith("{BERT}: Pre-training")  # the original text
    # A title changed in the library is written from the library.
    record.title = "BERT: Pre-training of Deep Bidirectional Transformers"
    assert dict(build_entry(record).fields)["title"] == (
        "{BERT}: Pre-training of Deep Bidirectional Transformers")


def test_tags_and_notes_go_into_keywords_and_annote() -> None:
    item = golden_papers()[0]
    fields = dict(build_entry(item, with_tags=True, with_notes=True).fields)
    assert fields["keywords"] == "transformers, to-cite"
    assert fields["annote"] == "Positional encodings: sin \\& cos."
    assert "keywords" not in dict(build_entry(item).fields)


def test_crossref_targets_come_after_the_entries_that_use_them() -> None:
    text = Path(__file__).parent.joinpath("data", "sample.bib").read_text()
    records = [e.record for e in parse_bibtex(text).entries]
    book = next(r for r in records if r.key == "book2020")
    chapter = next(r for r in records if r.key == "chapter2020")
    out = export_bibtex([book, chapter])
    assert out.index("@incollection{chapter2020,") < out.index("@book{book2020,")

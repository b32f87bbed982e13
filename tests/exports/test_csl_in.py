"""CSL-JSON (from DOI content negotiation) into records."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from exports.csl import record_from_csl, records_from_csl
from reader.errors import BadInput

DATA = Path(__file__).resolve().parents[1] / "reader" / "data"


def test_conference_paper() -> None:
    record = record_from_csl(json.loads((DATA / "csl_optuna.json").read_text()))
    assert record.title == "Optuna: A Next-generation Hyperparameter Optimization Framework"
    assert record.authors == ["Takuya Akiba", "Shotaro Sano", "Toshihiko Yanase", "Takeru Ohta",
                              "Masanori Koyama"]
    assert (record.doi, record.arxiv_id) == ("10.1145/3292500.3330701", None)
    assert (record.year, record.published) == (2019, date(2019, 7, 25))
    assert record.entry_type == "inproceedings"
    assert record.venue == ("Proceedings of the 25th ACM SIGKDD International Conference on "
                            "Knowledge Discovery & Data Mining")
    assert record.abstract == ("The purpose of this study is to introduce new design-criteria "
                               "for next-generation hyperparameter optimization software.")
    assert record.extra_fields == {"pages": "2623--2631", "publisher": "ACM",
                                   "address": "New York, NY, USA", "isbn": "9781450362016"}
    assert record.url_abs == "http://dx.doi.org/10.1145/3292500.3330701"
    assert record.source == "doi"


def test_journal_article_names_and_partial_dates() -> None:
    (record,) = records_from_csl(json.loads((DATA / "csl_journal.json").read_text()))
    assert record.title == "On the Electrodynamics of Moving Bodies"  # <i> markup removed
    assert record.authors == ["Ludwig van Beethoven", "The Papershelf Consortium",
                              "José Núñez Jr."]
    assert (record.year, record.published) == (1905, None)  # year and month only
    assert (record.entry_type, record.venue) == ("article", "Annalen der Physik")
    assert record.extra_fields == {"volume": "322", "number": "10", "pages": "891--921",
                                   "issn": "0003-3804"}
    assert record.doi == "10.1002/andp.19053221004"


def test_an_arxiv_doi_from_datacite() -> None:
    record = record_from_csl({"type": "article", "title": "LoRA", "publisher": "arXiv",
                              "DOI": "10.48550/ARXIV.2106.09685",
                              "author": [{"family": "Hu", "given": "Edward J."}],
                              "issued": {"date-parts": [["2021"]]}})
    assert (record.arxiv_id, record.entry_type, record.year) == ("2106.09685", "misc", 2021)


def test_no_title() -> None:
    with pytest.raises(BadInput, match="CSL-JSON item 10.1/x has no title"):
        record_from_csl({"DOI": "10.1/x", "title": []})

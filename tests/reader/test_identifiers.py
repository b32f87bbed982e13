"""What a user may type to name a paper."""

from __future__ import annotations

import pytest

from reader.errors import BadInput
from reader.identifiers import Identifier, parse_identifier


@pytest.mark.parametrize(("text", "kind", "value", "version"), [
    ("1706.03762", "arxiv", "1706.03762", None),
    ("1706.03762v5", "arxiv", "1706.03762", 5),
    ("arXiv:2106.09685", "arxiv", "2106.09685", None),
    ("astro-ph/0601001", "arxiv", "astro-ph/0601001", None),
    ("hep-th/9901001v2", "arxiv", "hep-th/9901001", 2),
    ("math.GT/0309136", "arxiv", "math.gt/0309136", None),
    ("https://arxiv.org/abs/2106.09685v2", "arxiv", "2106.09685", 2),
    ("http://arxiv.org/pdf/2106.09685v2.pdf", "arxiv", "2106.09685", 2),
    ("arxiv.org/abs/astro-ph/0601001", "arxiv", "astro-ph/0601001", None),
    ("https://export.arxiv.org/abs/1706.03762", "arxiv", "1706.03762", None),
    ("https://arxiv.org/html/2406.12345v1", "arxiv", "2406.12345", 1),
    ("10.1145/3292500.3330701", "doi", "10.1145/3292500.3330701", None),
    ("doi:10.1145/3292500.3330701", "doi", "10.1145/3292500.3330701", None),
    ("https://doi.org/10.1103/PhysRevB.85.115117", "doi", "10.1103/physrevb.85.115117", None),
    ("https://dx.doi.org/10.1002/(SICI)1097-4571(199806)49:8%3C693::AID-ASI4%3E3.0.CO;2-0",
     "doi", "10.1002/(sici)1097-4571(199806)49:8<693::aid-asi4>3.0.co;2-0", None),
    ("10.48550/arXiv.2106.09685", "arxiv", "2106.09685", None),
    ("https://huggingface.co/papers/2106.09685", "hf", "2106.09685", None),
    ("hf.co/papers/2406.12345#community", "hf", "2406.12345", None),
])
def test_known_forms(text: str, kind: str, value: str, version: int | None) -> None:
    assert parse_identifier(text) == Identifier(text, kind, value, version)  # type: ignore[arg-type]


def test_arxiv_query_keeps_the_version() -> None:
    assert parse_identifier("2106.09685v2").arxiv_query == "2106.09685v2"
    assert parse_identifier("2106.09685").arxiv_query == "2106.09685"


@pytest.mark.parametrize("text", ["abc", "https://example.org/paper.pdf", "10.1145",
                                  "https://huggingface.co/papers", "1706.037",
                                  "https://arxiv.org/list/cs.CL/new"])
def test_unknown_forms(text: str) -> None:
    with pytest.raises(BadInput, match=r"is not an arXiv id, arXiv URL, DOI or Hugging Face "
                                       r"paper URL"):
        parse_identifier(text)


def test_empty() -> None:
    with pytest.raises(BadInput, match="an empty identifier"):
        parse_identifier("  ")

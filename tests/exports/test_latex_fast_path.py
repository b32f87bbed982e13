"""The fast way through LaTeX text (prose decoded by hand, math kept as written) gives what
pylatexenc gives for the whole text: on real .bib files and on abstracts with math."""

from __future__ import annotations

import re

import bibtexparser
import pytest

from exports.latex import _slow, to_unicode
from tests.conftest import SHARED_FIXTURES

SAMPLES = [
    r"We show $O(n \log n)$ time for Bostr{\"o}m et al.",
    r"a $\epsilon$-optimal and $k$ items, $\mathcal{O}(1/T)$ and $L_2$ norms",
    r"cost \$5 and $x^2$", r"a \emph{b} $x$ c---d", r"{$\alpha$}-nets of {N}ew",
    r"Edge $a\$b$ c", r"one $ only", r"M{\"u}ller's $k$-means -- {\'E}tude",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_text_with_math_decodes_as_pylatexenc_does(text: str) -> None:
    assert to_unicode(text) == _slow(text)


def test_every_field_of_the_real_bib_files_decodes_as_pylatexenc_does() -> None:
    folder = SHARED_FIXTURES / "bib"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent (the shared fixtures)")
    seen = 0
    for path in sorted(folder.glob("*.bib")):
        library = bibtexparser.parse_string(path.read_text(encoding="utf-8", errors="replace"))
        for entry in library.entries:
            for field in entry.fields:
                value = field.value if isinstance(field.value, str) else ""
                if re.search(r"(?<!\\)%", value):
                    continue  # pylatexenc reads % as a comment; BibTeX (and the fast way) do not
                if "\\" in value or "$" in value or "{" in value:
                    seen += 1
                    assert to_unicode(value) == _slow(value), (path.name, field.key, value)
    assert seen > 50  # the files have plenty of LaTeX


def test_a_percent_sign_in_prose_is_text_as_bibtex_reads_it() -> None:
    # pylatexenc alone would read "% of ..." as a comment and drop the rest of the title.
    assert to_unicode(r"10\% of [100] and 90% of $Normal_2$") == "10% of [100] and 90% of $Normal_2$"

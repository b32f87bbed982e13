"""The query language: what each part parses to, and one clear message for each bad part."""

from __future__ import annotations

from datetime import date

import pytest

from reader.errors import BadInput
from storage.query import Qualifier, Words, index_words, parse


def test_free_words_are_folded_and_split() -> None:
    q = parse('Atention IS al')
    assert q.terms == [Words("atention", ("atention",)), Words("is", ("is",)),
                       Words("al", ("al",))]
    assert q.qualifiers == []
    assert q.typing is True
    assert parse("attention ").typing is False


@pytest.mark.parametrize("text", ['Bostr{\\"o}m', "Boström", "Bostrom", 'Bostr\\"{o}m', "BOSTRÖM"])
def test_latex_and_accents_fold_to_the_same_word(text: str) -> None:
    assert index_words(text) == ["bostrom"]


def test_folding_of_letters_unicode_does_not_decompose() -> None:
    assert index_words("Strauß Søren Łukasz Ærø Fran\\c{c}ois Dvo\\v{r}\\'ak") == [
        "strauss", "soren", "lukasz", "aero", "francois", "dvorak"]


def test_phrases_and_negation() -> None:
    q = parse('"all you need" -"pre training" -gan -pre-training')
    assert q.terms == [
        Words('"all you need"', ("all", "you", "need"), exact=True),
        Words('"pre training"', ("pre", "training"), exact=True, negated=True),
        Words("gan", ("gan",), negated=True),
        Words("pre-training", ("pre", "training"), exact=True, negated=True),
    ]


def test_an_unclosed_quote_runs_to_the_end() -> None:
    q = parse('"attention is al')
    assert q.terms == [Words('"attention is al', ("attention", "is", "al"), exact=True)]


def test_every_qualifier() -> None:
    q = parse('tag:LLM -tag:"to read" author:"Geoffrey Hinton" status:queued,reading '
              "year:2024 -year:2020..2023 year:2020.. year:..2019 is:starred -is:starred "
              "day:2024-06-16 day:2024-06-01..2024-06-16 source:hf,arxiv -source:bibtex "
              "arXiv:1706.03762v5")
    assert [(x.name, x.value, x.negated) for x in q.qualifiers] == [
        ("tag", "llm", False),
        ("tag", "to read", True),
        ("author", ("geoffrey", "hinton"), False),
        ("status", ("queued", "reading"), False),
        ("year", (2024, 2024), False),
        ("year", (2020, 2023), True),
        ("year", (2020, None), False),
        ("year", (None, 2019), False),
        ("is", "starred", False),
        ("is", "starred", True),
        ("day", (date(2024, 6, 16), date(2024, 6, 16)), False),
        ("day", (date(2024, 6, 1), date(2024, 6, 16)), False),
        ("source", ("hf", "arxiv"), False),
        ("source", ("bibtex",), True),
        ("arxiv", "1706.03762", False),
    ]
    assert q.terms == []
    assert q.qualifiers[1] == Qualifier("tag", "to read", True, '-tag:"to read"')


def test_status_dismissed_is_what_brings_dismissed_papers_back() -> None:
    assert parse("status:dismissed").wants_dismissed()
    assert parse("status:read,dismissed x").wants_dismissed()
    assert not parse("-status:dismissed").wants_dismissed()
    assert not parse("status:read").wants_dismissed()


def test_a_title_colon_or_a_url_is_text_not_a_qualifier() -> None:
    assert [t.words for t in parse("LoRA: low rank").terms] == [("lora",), ("low",), ("rank",)]
    assert [t.words for t in parse("https://arxiv.org/abs/1706").terms] == [
        ("https",), ("arxiv",), ("org",), ("abs",), ("1706",)]


def test_empty_and_punctuation_only_queries_have_no_terms() -> None:
    assert parse("").terms == [] and parse("").qualifiers == []
    assert parse("  -- ; ").terms == []
    assert parse("a\x00b").terms == [Words("a", ("a",)), Words("b", ("b",))]


@pytest.mark.parametrize(("text", "message"), [
    ("year:20x", "bad year '20x' in 'year:20x': use year:2024, year:2020..2023, year:2020.. or "
                 "year:..2019"),
    ("attention year:2023..2020", "empty range in 'year:2023..2020': 2023 is after 2020"),
    ("year:..", "bad year '..' in 'year:..': use year:2024, year:2020..2023, year:2020.. or "
                "year:..2019"),
    ("yaer:2024", "unknown qualifier 'yaer:' in 'yaer:2024': did you mean year:?"),
    ("-stauts:read x", "unknown qualifier 'stauts:' in '-stauts:read': did you mean status:?"),
    ("tga:llm", "unknown qualifier 'tga:' in 'tga:llm': did you mean tag:?"),
    ("sources:hf", "unknown qualifier 'sources:' in 'sources:hf': did you mean source:?"),
    ("days:2024-06-16", "unknown qualifier 'days:' in 'days:2024-06-16': did you mean day:?"),
    ("status:done", "unknown status 'done' in 'status:done' (use one of: inbox, queued, reading, "
                    "read, dismissed)"),
    ("is:read", "unknown 'is:read' (use is:starred, or -is:starred for the others)"),
    ("day:2024-13-01", "bad day '2024-13-01' in 'day:2024-13-01': use day:2024-06-16 or "
                       "day:2024-06-01..2024-06-16"),
    ("day:yesterday", "bad day 'yesterday' in 'day:yesterday': use day:2024-06-16 or "
                      "day:2024-06-01..2024-06-16"),
    ("tag:", "'tag:' needs a value, like tag:llm"),
    ('author:""', "'author:\"\"' needs a value, like author:hinton"),
    ("author:--", "'author:--' needs a name, like author:hinton"),
    ("source:h$f", "bad source 'h$f' in 'source:h$f': use a source name like source:hf or "
                   "source:arxiv"),
    ("arxiv:abc", "'abc' in 'arxiv:abc' is not an arXiv id (like 1706.03762)"),
    ("x" * 2001, "query too long (2001 characters; at most 2000)"),
])
def test_bad_queries_name_the_bad_part(text: str, message: str) -> None:
    with pytest.raises(BadInput) as info:
        parse(text)
    assert str(info.value) == message


@pytest.mark.parametrize(("text", "words"), [
    ("foo:bar", ["foo", "bar"]),
    ("-colour:red", None),  # a negated phrase of both words
    ("StateFlow:Buildng", ["stateflow", "buildng"]),   # a title's colon without its space
    ("LoRA: adapters", ["lora", "adapters"]),
    ("Tool-Us:e", ["tool", "us", "e"]),                # a slip of the fingers
    ("yaer:soon", ["yaer", "soon"]),     # near year:, but no year: value, so words
    ("Yaer:2024", ["yaer", "2024"]),     # capitalised: pasted text, not a qualifier typed
    ("as:is", ["as", "is"]),             # is: is too short to guess
    ("https://arxiv.org/abs/1706.03762", ["https", "arxiv", "org", "abs", "1706", "03762"]),
])
def test_a_name_that_is_no_qualifier_is_text(text: str, words: list[str] | None) -> None:
    q = parse(text)
    assert q.qualifiers == []
    if words is None:
        assert q.terms == [Words("colour:red", ("colour", "red"), exact=True, negated=True)]
    else:
        assert [w for t in q.terms for w in t.words] == words

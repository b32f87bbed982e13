"""Search on PostgreSQL (storage/search_pg.py): the same answers as SQLite's for the shared
sample library, query by query (papers, order, scores, the fields matched, relaxed or not), and
the index the server keeps itself (any writer's change indexed at commit, a rebuild that repairs
it, the vocabulary table and its trigram index)."""

from __future__ import annotations

import json
import random
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from reader.record import PaperRecord
from storage import ops, search_pg
from storage.db import Library, open_library
from storage.search import index_problems, rebuild_index, search
from tests.conftest import CliRunnerFn
from tests.storage.search_data import _pg_copy
from tests.support.pg import PgServer

# Every query of tests/storage/test_search.py and then some: typos, prefixes, mended spaces,
# the looser tier, phrases, negations, each qualifier.
QUERIES = [
    "atention is al", "atetntion is all", "attntion is all", "atttention is all",
    "need you all is attention", "resdiual lerning", "vaswnai", "diffusoin probabilstic",
    "mastring the gmae of go", "a", "atten", "vasw", "deep resid", "mastering the ga", "quokkal",
    "attention zebra", "deep residual", "deep kaiming substantially", "wombat", "quokka",
    "attention", "bostrom", "Boström", 'Bostr{\\"o}m', "BOSTRÖM", "orthogonality thesis",
    "weighted variational", "vaswani 2017", "1706.03762", "vaswani2017attention",
    '"all you need"', '"attention is"', '"need you all"', '"atention is"',
    '"noise schedule" diffusion', "attention -translation", 'attention -"noise schedule"',
    "xyzzy", "attention tag:vision", "year:1900", "tag:llm", "tag:LLM attention",
    "tag:llm -tag:transformers", "-tag:llm -tag:wombat -author:wombat year:..2017",
    "author:bostrom", 'author:"kaiming he"', "author:vasw attention",
    "-author:vaswani attention", "status:read", "status:read,reading",
    "-status:queued -status:read", "status:dismissed", "year:2017", "year:2014..2016",
    "year:2020..", "year:..2014", "-year:..2019", "attention year:2015..2017", "is:starred",
    "-is:starred attention", "day:2024-06-16", "day:2024-06-17", "day:2024-06-16..2024-06-17",
    "-day:2024-06-16 -day:2024-06-17 year:2017..2020 -author:wombat -wombat -quokka -qokka",
    "source:hf", "source:arxiv year:2017", "source:bibtex", "-source:manual -source:arxiv",
    "arxiv:1706.03762v5", "tag:nonexistent", "transferable visual",
    "transferable visual status:dismissed", "", "colour:red", "attentio nis", "be nchmark",
    "resnet deep", "atention zebra", "wombats grazing", "qokka census", "nocturnal wombat",
    "existential risk", "superintelligense", "languag models few shot", "gaussian noise",
    "tag:diffusion", "abbeel tag:diffusion noise schedule", "-attention", "learning -deep",
]


def answers(lib: Library, query: str, **kw: object) -> tuple[list[tuple[str, float, list[str]]],
                                                              bool, bool]:
    with lib.read() as session:
        found = search(session, query=query, **kw)  # type: ignore[arg-type]
    return ([(h.paper.key, h.score, h.matched) for h in found.hits], found.relaxed,
            found.tried_relaxed)


@pytest.fixture
def pg_search_lib(pg_server: PgServer, pg_search_template: str) -> Iterator[Library]:
    url = _pg_copy(pg_server, pg_search_template)
    lib = open_library(url)
    yield lib
    lib.close()
    pg_server.drop_database(url)


def test_both_engines_give_the_same_answers(search_lib: Library,
                                            pg_search_lib: Library) -> None:
    differ = []
    for query in QUERIES:
        for kw in ({"limit": None}, {"limit": 2}, {"limit": 50, "include_dismissed": True}):
            here, there = answers(search_lib, query, **kw), answers(pg_search_lib, query, **kw)
            if here != there:
                differ.append((query, kw, here, there))
    assert differ == []
    # ... and the list says something: most queries find papers.
    assert sum(bool(answers(pg_search_lib, q)[0]) for q in QUERIES) > len(QUERIES) * 2 // 3


def test_the_same_answers_while_the_library_changes(search_lib: Library,
                                                    pg_search_lib: Library) -> None:
    """Tags renamed, notes added, a paper removed and its removal undone: each engine's index
    follows, and they still agree."""
    def change(lib: Library) -> None:
        with lib.action("tag") as session:
            ops.change_tags(session, paper=ops.find_paper(session, ref="he2016deep"),
                            add=["resnets", "Vision"])
        with lib.action("rename") as session:
            ops.rename_tag(session, old="llm", new="large language models")
        with lib.action("note") as session:
            ops.add_note(session, paper=ops.find_paper(session, ref="silver2017mastering"),
                         body="Compare with Schrödinger's tree search", quote="self-play")
        with lib.action("rm") as session:
            ops.remove_paper(session, paper=ops.find_paper(session, ref="ho2020denoising"))
        with lib.action("add") as session:
            ops.merge_record(session, record=PaperRecord(
                title="Resnets for wombat detection", authors=["Łukasz Kaiser"]))
        with lib.write() as session:
            assert ops.undo_last(session) == "add"
        with lib.write() as session:
            assert ops.undo_last(session) == "rm"

    change(search_lib)
    change(pg_search_lib)
    queries = ["resnets", "tag:vision deep", "large language", "tag:llm", "schrodinger",
               "self-play tree", "diffusion", "abbeel noise", "wombat detection", "lukasz",
               "resnet", "languag"]
    for query in queries + QUERIES[:40]:
        assert answers(search_lib, query) == answers(pg_search_lib, query), query
    assert answers(pg_search_lib, "resnets")[0][0][0] == "he2016deep"
    assert answers(pg_search_lib, "diffusion")[0][0][0] == "ho2020denoising"
    assert answers(pg_search_lib, "wombat detection")[0] == []


def _problems(lib: Library) -> list[str]:
    with lib.read() as session:
        return index_problems(session.connection().connection.driver_connection,
                              thorough=True)


def test_a_change_from_any_client_is_indexed_when_it_commits(pg_search_lib: Library) -> None:
    """psql, a script: the server re-indexes the papers a transaction changed as it commits
    (SQLite waits for papershelf's next write), once each however many rows changed."""
    url = pg_search_lib.url  # type: ignore[attr-defined]
    with psycopg.connect(url) as conn:  # one transaction, committed on leaving
        conn.execute("INSERT INTO note (paper_id, body, created, updated) SELECT id, "
                     "'compare with highway networks', now(), now() FROM paper "
                     "WHERE key = 'he2016deep'")
        conn.execute("INSERT INTO paper_author (paper_id, position, name) SELECT id, 9, "
                     "'Jürgen Schmidhuber' FROM paper WHERE key = 'he2016deep'")
        before = conn.execute("SELECT generation FROM search_state").fetchone()
    assert answers(pg_search_lib, "highway")[0][0][0] == "he2016deep"
    assert answers(pg_search_lib, "schmidhuber highway")[0][0][:1] == ("he2016deep",)
    assert answers(pg_search_lib, "schmidhbuer")[0][0][0] == "he2016deep"  # the vocabulary too
    with psycopg.connect(url) as conn:
        after = conn.execute("SELECT generation FROM search_state").fetchone()
        assert conn.execute("SELECT count(*) FROM search_pending").fetchone() == (0,)
        assert conn.execute("SELECT docs FROM search_term WHERE term = 'schmidhuber'"
                            ).fetchone() == (1,)
    assert before is not None and after is not None and after[0] == before[0] + 1
    assert _problems(pg_search_lib) == []


def test_rebuild_repairs_a_damaged_index(pg_search_lib: Library) -> None:
    url = pg_search_lib.url  # type: ignore[attr-defined]
    with psycopg.connect(url) as conn:
        conn.execute("ALTER TABLE search_doc DISABLE TRIGGER USER")
        conn.execute("DELETE FROM search_doc WHERE id IN (SELECT id FROM paper "
                     "WHERE key IN ('vaswani2017attention', 'ho2020denoising'))")
        conn.execute("UPDATE search_doc SET title = 'something else' WHERE id = "
                     "(SELECT id FROM paper WHERE key = 'luong2015effective')")
    assert [k for k, _, _ in answers(pg_search_lib, "attention")[0]] == ["bahdanau2014neural"]
    assert _problems(pg_search_lib) == [
        "search index out of date: 3 paper(s) missing or stale, 0 row(s) left over"]
    with pg_search_lib.write() as session:
        assert rebuild_index(session) == 18
    assert _problems(pg_search_lib) == []
    assert [k for k, _, _ in answers(pg_search_lib, "attention")[0]] == [
        "vaswani2017attention", "luong2015effective", "bahdanau2014neural", "ho2020denoising"]


def test_the_vocabulary_table_and_its_trigram_index(pg_search_lib: Library) -> None:
    url = pg_search_lib.url  # type: ignore[attr-defined]
    with psycopg.connect(url) as conn:
        near = search_pg.near_terms(conn, "atention")
        assert near[0][0] == "attention"
        assert dict(search_pg.near_terms(conn, "bostrm"))["bostrom"] == 2
        index = conn.execute("SELECT indexdef FROM pg_indexes WHERE indexname = "
                             "'ix_search_term_trgm'").fetchone()
        assert index is not None and index[0].endswith("USING gin (term gin_trgm_ops)")
        # Every word of the short fields, with the number of papers it is in.
        assert conn.execute("SELECT docs FROM search_term WHERE term = 'attention'"
                            ).fetchone() == (2,)


def test_the_command_line_searches_and_reindexes_on_postgresql(
        cli: CliRunnerFn, pg_search_lib: Library) -> None:
    url = pg_search_lib.url  # type: ignore[attr-defined]
    found = cli("--db", url, "search", "atention is al", "--json", db=False)
    assert found.code == 0, found.err
    assert [p["key"] for p in found.json()] == ["vaswani2017attention"]
    loose = cli("--db", url, "search", "attention zebra", db=False)
    assert loose.code == 0 and "luong2015effective" in loose.out
    done = cli("--db", url, "reindex", db=False)
    assert (done.code, done.out.strip()) == (0, "reindexed 18 papers")
    assert cli("--db", url, "search", "tga:llm", db=False).code == 2


def test_real_daily_papers_give_the_same_answers(lib: Library, pg_url: str,
                                                 shared_fixtures: Path) -> None:
    """Real papers (three days of Hugging Face Daily Papers: accented authors, LaTeX and
    punctuation in titles, real abstracts) in both engines, and queries made from them: titles
    with slips, half-typed words, authors without accents, abstract words, qualifiers."""
    papers = []
    for day in ("2026-01-14", "2026-08-13", "2026-08-19"):
        path = shared_fixtures / "hf" / f"daily_papers_{day}.json"
        papers += [item["paper"] for item in json.loads(path.read_text(encoding="utf-8"))]
    assert len(papers) >= 50
    pg = open_library(pg_url)
    try:
        for target in (lib, pg):
            with target.action("add") as session:
                for paper in papers:
                    ops.merge_record(session, record=PaperRecord(
                        title=paper["title"], authors=[a["name"] for a in paper["authors"]],
                        abstract=paper.get("summary"), arxiv_id=paper["id"], source="hf"))
        rng = random.Random(16)
        queries = []
        for paper in papers:
            words = [w for w in paper["title"].split() if w.isalpha()]
            if not words:
                continue
            i = rng.randrange(len(words))
            w = words[i]
            if len(w) > 3:
                j = rng.randrange(1, len(w) - 1)
                words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
            queries.append(" ".join(words))
            queries.append(" ".join(paper["title"].split()[:3])[:-2])  # typing, half a word
            author = paper["authors"][0]["name"] if paper["authors"] else "x"
            queries.append(unicodedata.normalize("NFKD", author).encode("ascii", "ignore")
                           .decode())
            queries.append(f"author:{author.split()[-1]} {words[0]}")
            abstract = (paper.get("summary") or "x").split()
            queries.append(" ".join(rng.sample(abstract, min(2, len(abstract)))))
            queries.append("".join(paper["title"].split()[:2]))  # a lost space
        differ = [q for q in queries if answers(lib, q) != answers(pg, q)]
        assert differ == []
        assert sum(bool(answers(pg, q)[0]) for q in queries) > len(queries) // 2
    finally:
        pg.close()

"""Sample libraries and inputs for the reliability suite (built fast through the storage API, in
one transaction, so setup does not dominate the run)."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path

from reader.record import PaperRecord
from storage import ops
from storage.db import open_library

FIRST = ["Ashish", "Noam", "Niki", "Jakob", "Llion", "Aidan", "Łukasz", "Illia", "Zoë", "José",
         "Nick", "Edward", "Ruth", "Kaiming", "Geoffrey", "Yoshua", "Fei-Fei", "Ilya", "Oriol"]
LAST = ["Vaswani", "Shazeer", "Parmar", "Uszkoreit", "Jones", "Gomez", "Kaiser", "Polosukhin",
        "Bostrom", "García", "Hu", "Müller", "O'Brien", "He", "Hinton", "Bengio", "Li", "Sutskever",
        "Vinyals"]
WORDS = ["attention", "transformer", "low-rank", "adaptation", "diffusion", "retrieval", "graph",
         "scaling", "laws", "reinforcement", "learning", "language", "models", "vision", "sparse",
         "mixture", "experts", "alignment", "preference", "optimisation", "robust", "efficient"]


def title(rng: random.Random, i: int) -> str:
    words = rng.sample(WORDS, 5)
    return f"{words[0].capitalize()} {' '.join(words[1:])} ({i})"


def authors(rng: random.Random, n: int = 3) -> list[str]:
    return [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(n)]


def build(db: Path, n: int, *, seed: int = 1, tags: dict[str, range] | None = None,
          notes: bool = True, status: str = "queued") -> list[str]:
    """A library of ``n`` papers with three authors each, the given tags (name -> paper indexes),
    and a note on every third paper. Returns the papers' keys in order."""
    rng = random.Random(seed)
    lib = open_library(db)
    keys: list[str] = []
    try:
        with lib.action("build sample library") as session:
            for i in range(n):
                record = PaperRecord(
                    title=title(rng, i), authors=authors(rng), year=2015 + i % 10,
                    arxiv_id=f"{2300 + i % 12:04d}.{10000 + i:05d}" if i % 2 else None,
                    doi=f"10.1000/sample.{i}" if i % 3 == 0 else None,
                    abstract=" ".join(rng.choices(WORDS, k=60)), source="arxiv")
                paper = ops.merge_record(session, record=record, status=status).paper
                names = [t for t, which in (tags or {}).items() if i in which]
                if names:
                    ops.change_tags(session, paper=paper, add=names)
                if notes and i % 3 == 0:
                    ops.add_note(session, paper=paper, body=f"Note on paper {i}: *why* it works.",
                                 quote="a quoted passage" if i % 2 else None)
                keys.append(paper.key)
        # Made "long ago": a command then changes every ``modified`` it touches, whenever it
        # runs, so a traced run and a killed run execute the same statements (undo triggers log
        # only what changed: a run in the build's own second would log, and count, less).
        raw = lib.raw()
        try:
            with raw:
                raw.execute("UPDATE paper SET modified = '2020-01-01 00:00:00'")
        finally:
            raw.close()
    finally:
        lib.close()
    return keys


def remove(db: Path, keys: list[str]) -> None:
    """``papershelf rm --yes KEYS`` through the storage API (one undoable action)."""
    lib = open_library(db)
    try:
        with lib.action(f"rm {' '.join(keys)}") as session:
            for key in keys:
                ops.remove_paper(session, paper=ops.find_paper(session, ref=key))
    finally:
        lib.close()


def bib_file(path: Path, n: int, *, seed: int = 3) -> Path:
    """A .bib of ``n`` entries in the shapes real files have (articles, proceedings, arXiv
    preprints; accents, braces, a @string and a @comment)."""
    rng = random.Random(seed)
    parts = ["% A generated library for the reliability suite\n",
             "@string{jmlr = {Journal of Machine Learning Research}}\n",
             "@comment{jabref-meta: databaseType:bibtex;}\n"]
    for i in range(n):
        names = " and ".join(f"{rng.choice(LAST)}, {rng.choice(FIRST)}" for _ in range(3))
        kind = i % 3
        if kind == 0:
            parts.append(f"@article{{gen{i},\n  title = {{{{{title(rng, i)}}}}},\n"
                         f"  author = {{{names}}},\n  journal = jmlr,\n  year = {{{2000 + i % 25}}},\n"
                         f"  doi = {{10.5555/gen.{i}}}\n}}\n")
        elif kind == 1:
            parts.append(f"@inproceedings{{gen{i},\n  title = {{{title(rng, i)}}},\n"
                         f"  author = {{{names}}},\n  booktitle = {{Proceedings of NeurIPS}},\n"
                         f"  year = {2000 + i % 25},\n  pages = {{1--{i % 90 + 10}}}\n}}\n")
        else:
            parts.append(f"@misc{{gen{i},\n  title = {{{title(rng, i)}}},\n"
                         f"  author = {{{names}}},\n  year = {{{2018 + i % 8}}},\n"
                         f"  eprint = {{{1800 + i % 12:04d}.{i:05d}}},\n  archivePrefix = {{arXiv}},\n"
                         f"  primaryClass = {{cs.LG}}\n}}\n")
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def daily_papers(day: date, n: int, *, shared: int = 0, seed: int = 5) -> list[dict]:
    """A Daily Papers response (``/api/daily_papers?date=``) in the real shape: ``n`` papers, the
    first ``shared`` of them also on the previous day."""
    out = []
    for rank in range(n):
        # Papers shared with the day before carry that day's numbering.
        number = (day - date(2024, 1, 1)).days * 100 + rank if rank >= shared else \
            (day - timedelta(days=1) - date(2024, 1, 1)).days * 100 + (n - shared) + rank
        rng = random.Random(f"{seed}-{number}")
        arxiv = f"2406.{number:05d}"
        out.append({
            "paper": {
                "id": arxiv,
                "authors": [{"_id": f"a{number}{k}", "name": name, "hidden": False}
                            for k, name in enumerate(authors(rng, 4))],
                "publishedAt": f"{day - timedelta(days=2)}T00:00:00.000Z",
                "submittedOnDailyAt": f"{day}T00:00:00.000Z",
                "title": title(rng, number),
                "summary": " ".join(rng.choices(WORDS, k=80)),
                "upvotes": 100 - rank,
                "discussionId": f"d{number}",
                "ai_summary": "A summary.",
                "ai_keywords": ["kw1", "kw2"],
            },
            "publishedAt": f"{day}T00:00:00.000Z",
            "title": title(rng, number),
            "summary": " ".join(rng.choices(WORDS, k=80)),
            "numComments": rank % 4,
        })
    return out


def write_daily_papers(folder: Path, days: list[date], n: int, shared: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for day in days:
        (folder / f"daily_papers_{day}.json").write_text(
            json.dumps(daily_papers(day, n, shared=shared), ensure_ascii=False), encoding="utf-8")
    return folder

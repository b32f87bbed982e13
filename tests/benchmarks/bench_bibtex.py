"""BibTeX speed: export of 10,000 papers and import of a 10,000-entry .bib.

    python -m tests.benchmarks.bench_bibtex [--papers 10000] [--runs 7]

Prints median and p95 (nearest rank) wall time of each step, CPU time beside it (this machine
is shared: CPU time is what the code costs), and the ratio against a simple baseline: plain
bibtexparser writing (``write_string``) and reading (``parse_string``) the same entries, which
does none of papershelf's work (no escaping, no names, no library). Targets (issue 4): export
under 1 s, import under 5 s. Not collected by pytest; the latest figures are in
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

import bibtexparser  # noqa: E402
from bibtexparser.model import Entry, Field  # noqa: E402

from exports.bibtex_in import parse_bibtex, read_bibtex_file  # noqa: E402
from exports.bibtex_out import export_bibtex  # noqa: E402
from reader.record import PaperRecord  # noqa: E402
from storage import ops  # noqa: E402
from storage.db import open_library  # noqa: E402
from tui.cli import main  # noqa: E402

FIRST = ["Ashish", "Noam", "Łukasz", "José", "Zoë", "Wei", "Ana", "Jürgen", "Søren", "Ming",
         "Priya", "Olúwadámilọ́lá", "Edward J.", "Aidan N."]
LAST = ["Vaswani", "Shazeer", "Kaiser", "García", "Müller", "Zhang", "Smith", "Boström",
        "van der Berg", "Nguyễn", "Østergaard", "O'Neil", "Hu", "Gomez"]
WORDS = ["attention", "transformer", "learning", "language", "model", "scaling", "efficient", "sparse", "graph", "neural", "retrieval", "diffusion", "reasoning", "LoRA", "BERT", "GPT-4", "alignment", "RLHF", "vision", "agents", "benchmark", "tokens", "long-context", "mixture", "experts"]
VENUES = [None, None, None, "Advances in Neural Information Processing Systems",
          "Journal of Machine Learning Research", "Proceedings of ICML 2024", "Nature"]


def make_records(n: int, seed: int = 42) -> list[PaperRecord]:
    """arXiv-like papers: acronyms, accents, math, organisations, some published."""
    rng = random.Random(seed)
    records = []
    for i in range(n):
        words = [rng.choice(WORDS) for _ in range(rng.randint(4, 11))]
        if rng.random() < 0.1:
            words.insert(2, "$\\mathcal{O}(n)$")
        title = " ".join(words).capitalize() + f" {i}"
        authors = ([f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(rng.randint(1, 9))]
                   if rng.random() > 0.03 else ["Qwen Team"])
        year = rng.randint(2015, 2025)
        venue = rng.choice(VENUES)
        records.append(PaperRecord(
            title=title, authors=authors,
            arxiv_id=f"{year % 100:02d}{rng.randint(1, 12):02d}.{i:05d}",
            primary_category=rng.choice(["cs.CL", "cs.LG", "cs.CV", "stat.ML"]),
            published=date(year, rng.randint(1, 12), rng.randint(1, 28)),
            venue=venue, doi=f"10.5555/bench.{i}" if venue and rng.random() < 0.5 else None,
            abstract=" ".join(rng.choice(WORDS) for _ in range(60)),
            source="arxiv", key=f"paper{i}"))
    return records


def timed(fn: Callable[[], object], runs: int, setup: Callable[[], None] | None = None
          ) -> tuple[list[float], list[float]]:
    walls, cpus = [], []
    for _ in range(runs):
        if setup:
            setup()
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return walls, cpus


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


def row(name: str, walls: list[float], cpus: list[float], baseline: float | None) -> str:
    med = statistics.median(walls)
    ratio = f"{med / baseline:6.1f}x" if baseline else "      -"
    return (f"{name:<46} {med:7.3f} s  {p95(walls):7.3f} s  {statistics.median(cpus):7.3f} s"
            f"  {ratio}")


def quiet(argv: list[str]) -> int:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return main(argv)


def baseline_library(records: list[PaperRecord]) -> bibtexparser.Library:
    """The same entries as plain bibtexparser objects (what a bare dump would write)."""
    entries = []
    for r in records:
        fields = [Field("author", " and ".join(r.authors)), Field("title", r.title),
                  Field("year", str(r.year)), Field("eprint", r.arxiv_id or ""),
                  Field("archivePrefix", "arXiv"), Field("primaryClass", r.primary_category or ""),
                  Field("url", f"https://arxiv.org/abs/{r.arxiv_id}")]
        entries.append(Entry("misc", r.key or "", fields))
    return bibtexparser.Library(entries)


def main_bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    n, runs = args.papers, args.runs
    records = make_records(n)
    print(f"papershelf BibTeX benchmark: {n} papers, {runs} runs each, "
          f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    print(f"{'step':<46} {'median':>9}  {'p95':>9}  {'CPU':>9}  vs baseline")

    # ---------------------------------------------------------------- export
    plain = baseline_library(records)
    stack = bibtexparser.middlewares.default_unparse_stack(allow_inplace_modification=True)
    base_w, _ = timed(lambda: bibtexparser.write_string(plain, unparse_stack=stack), runs)
    base_export = statistics.median(base_w)
    print(row("baseline: bibtexparser.write_string", base_w, _, None))
    for style in ("bibtex", "biblatex"):
        w, c = timed(lambda s=style: export_bibtex(records, style=s), runs)  # type: ignore[misc]
        print(row(f"export {n} records ({style} style)", w, c, base_export))

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "library.db"
        lib = open_library(db)
        with lib.action("bench") as session:
            ops.merge_records(session, records=records, status="queued")
        lib.close()
        w, c = timed(lambda: quiet(["--db", str(db), "export", "--all"]), runs)
        print(row(f"papershelf export --all ({n} papers, library)", w, c, base_export))
        out = Path(tmp) / "out.bib"
        def export_new() -> int:  # -o refuses an existing file: each run writes a new one
            out.unlink(missing_ok=True)
            return quiet(["--db", str(db), "export", "--all", "-o", str(out)])

        w, c = timed(export_new, runs)
        print(row("papershelf export --all -o FILE", w, c, base_export))

        # ------------------------------------------------------------ import
        bib = Path(tmp) / "big.bib"
        text = export_bibtex(records)
        bib.write_text(text, encoding="utf-8")
        assert len(parse_bibtex(text).entries) == n
        base_w, _ = timed(lambda: bibtexparser.parse_string(text), runs)
        base_import = statistics.median(base_w)
        print(row("baseline: bibtexparser.parse_string", base_w, _, None))
        w, c = timed(lambda: read_bibtex_file(bib), runs)
        print(row(f"parse {n} entries into records", w, c, base_import))
        parsed = [e.record for e in read_bibtex_file(bib).entries]
        fresh = Path(tmp) / "import.db"

        def clear() -> None:
            for p in Path(tmp).glob("import.db*"):
                p.unlink()
            open_library(fresh).close()

        def merge_only() -> None:
            lib = open_library(fresh)
            with lib.action("bench") as session:
                ops.merge_records(session, records=parsed, status="queued")
            lib.close()

        w, c = timed(merge_only, runs, setup=clear)
        print(row(f"merge {n} records into an empty library", w, c, base_import))

        def sequential() -> None:
            lib = open_library(fresh)
            with lib.action("bench") as session:
                for record in parsed:
                    ops.merge_record(session, record=record, status="queued")
            lib.close()

        w, c = timed(sequential, 1, setup=clear)
        print(row("  (merge_record one by one, once, for scale)", w, c, base_import))
        w, c = timed(lambda: quiet(["--db", str(fresh), "import", str(bib)]), runs, setup=clear)
        print(row(f"papershelf import ({n} entries, empty library)", w, c, base_import))
        w, c = timed(lambda: quiet(["--db", str(fresh), "import", str(bib)]), runs)
        print(row("papershelf import again (all merged, unchanged)", w, c, base_import))


if __name__ == "__main__":
    main_bench()

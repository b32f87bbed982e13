"""Benchmark: ``papershelf db copy`` SQLite -> PostgreSQL and back, each a whole process (not
collected by pytest; run it by hand).

    python -m tests.benchmarks.bench_copy [--sizes 10000] [--runs 1] [--workdir DIR]

For each size it builds a library with a fixed seed (``synth.Corpus``, as bench_cli does: titles,
abstracts, 1-12 authors, tags, notes, feed days, an undo log), starts a throwaway PostgreSQL
cluster (tests/support/pg.py), and times ``db copy --to postgresql://...`` into a new database
and ``db copy --from postgresql://... --to back.db``: wall time, peak RSS (wait4), rows copied.
Target (issue 16): 100,000 papers <= 120 s, with a progress bar.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.benchmarks.bench_cli import PY, REPO, build_library, run_process
from tests.support.pg import PgServer, find_bin_dir


def rows(path: Path) -> int:
    from storage.copy import COPY_ORDER, LAST

    conn = sqlite3.connect(path)
    try:
        return sum(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                   for t in (*COPY_ORDER, *LAST))
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)
    bin_dir = find_bin_dir()
    if bin_dir is None:
        print("PostgreSQL server binaries not found (set PAPERSHELF_PG_BIN)", file=sys.stderr)
        return 2
    work = args.workdir or Path(tempfile.mkdtemp(prefix="papershelf-bench-copy-"))
    server = PgServer(bin_dir, Path(tempfile.mkdtemp(prefix="papershelf-pg-")))
    server.start()
    try:
        print(f"{'papers':>8} {'rows':>9}  {'direction':<22} {'wall s':>7} {'RSS MB':>7}")
        for size in (int(s) for s in args.sizes.split(",")):
            lib = work / f"lib{size}.db"
            if not lib.exists():
                build_library(lib, size)
            total = rows(lib)
            for run in range(args.runs):
                url = server.new_database()
                back = work / f"back{size}-{run}.db"
                back.unlink(missing_ok=True)
                there = run_process([PY, "-m", "tui", "--db", str(lib), "db", "copy", "--to",
                                     url], cwd=REPO)
                home = run_process([PY, "-m", "tui", "db", "copy", "--from", url, "--to",
                                    str(back)], cwd=REPO)
                for name, r in (("SQLite -> PostgreSQL", there), ("PostgreSQL -> SQLite", home)):
                    status = "" if r.code == 0 else f"  (exit {r.code})"
                    print(f"{size:>8,} {total:>9,}  {name:<22} {r.wall:>7.1f} "
                          f"{r.rss_mb:>7.0f}{status}", flush=True)
                check = subprocess.run([PY, "-m", "tui", "--db", str(back), "db", "check"],
                                       cwd=REPO, capture_output=True, text=True)
                print(f"{'':>8} {'':>9}  db check of the copy back: {check.stdout.strip()}")
                server.drop_database(url)
    finally:
        server.stop()
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

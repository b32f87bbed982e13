"""Benchmark: the app on a 100,000-paper library (not collected by pytest; run it by hand).

    python -m tests.benchmarks.bench_app [--papers 100000] [--runs 5] [--keep]

Prints:
- launch: the real command (`python -m tui --db ...`) in a pseudo-terminal, from spawn to the
  first row of the list on screen, and to a key (down) answered by the detail pane (median);
- search box: time for each keystroke to be handled while searches run behind it (p95), and
  time from the last keystroke to the results (median);
- cursor: down and page-down presses (median, p95);
- peak RSS of the real process after launch, searches and cursor moves;
- the baseline, in the same run: Textual's DataTable with add_rows at 10,000 rows (in-process
  `run_test`, like papershelf's own in-process launch figure), as a ratio.

Targets (issue 6): launch under 1.0 s (median), keystrokes under 50 ms (p95), under 400 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import os
import pty
import random
import select
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

from storage.db import open_library  # noqa: E402
from storage.search import rebuild_index  # noqa: E402
from storage.text import normalise_title  # noqa: E402

WORDS = [
    "attention", "transformer", "diffusion", "language", "model", "reasoning", "agent",
    "vision", "retrieval", "graph", "neural", "network", "sparse", "mixture", "experts",
    "reinforcement", "learning", "human", "feedback", "alignment", "scaling", "law",
    "benchmark", "multimodal", "video", "audio", "speech", "token", "efficient", "inference",
    "quantization", "distillation", "pretraining", "finetuning", "instruction", "tuning",
    "chain", "thought", "planning", "robot", "policy", "latent", "space", "representation",
    "contrastive", "self", "supervised", "generative", "adversarial", "variational",
    "autoencoder", "protein", "molecule", "physics", "climate", "medical", "clinical",
    "dataset", "evaluation", "robust", "adversarial", "privacy", "federated", "compression",
    "pruning", "memory", "context", "long", "window", "state", "space", "selective",
    "recurrent", "convolution", "kernel", "optimization", "gradient", "descent", "adaptive",
    "sampling",
]
FIRST = [
    "Ada", "Alan", "Barbara", "Chen", "Daniel", "Elena", "Farid", "Grace", "Hiro", "Ines",
    "Jun", "Kofi", "Lena", "Maria", "Nikolai", "Olga", "Priya", "Qiang", "Rosa", "Sven",
    "Tariq", "Uma", "Victor", "Wei", "Xin", "Yara", "Zoe",
]
LAST = [
    "Smith", "Wang", "Garcia", "Kim", "Müller", "Rossi", "Nguyen", "Ivanov", "Kowalski",
    "Silva", "Tanaka", "Cohen", "Okafor", "Larsen", "Dubois", "Novak", "Haddad", "Singh",
    "Petrov", "Fischer", "Moreau", "Yilmaz", "Santos", "Berg", "Costa",
]
TAGS = [f"topic-{i:02d}" for i in range(40)] + ["to-cite", "thesis", "rlhf", "llm", "vision"]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


# ---------------------------------------------------------------- the library


def build(path: Path, n: int, seed: int = 7) -> None:
    """A realistic library of ``n`` papers written straight into the schema (fast)."""
    rng = random.Random(seed)
    lib = open_library(path)
    lib.close()
    conn = open_library(path).raw()
    conn.execute("BEGIN")
    days = [f"2025-{m:02d}-{d:02d}" for m in range(1, 13) for d in range(1, 29)]
    papers, authors, feed, links = [], [], [], []
    for i in range(1, n + 1):
        words = rng.sample(WORDS, rng.randint(4, 10))
        title = " ".join(words).capitalize() + f" {i}"
        year = rng.randint(2015, 2025)
        status = rng.choices(["inbox", "queued", "reading", "read", "dismissed"],
                             [8, 20, 5, 50, 17])[0]
        added = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} 08:00:00"
        first_last = rng.choice(LAST)
        key = f"{first_last.lower().replace('ü', 'u')}{year}{words[0]}{i}"
        abstract = " ".join(rng.choice(WORDS) for _ in range(120))
        papers.append((i, key, title, normalise_title(title), abstract, f"25{i:08d}", year,
                       status, rng.random() < 0.05, rng.randint(0, 300), added, added,
                       added if status == "read" else None))
        for pos in range(rng.randint(1, 6)):
            last = first_last if pos == 0 else rng.choice(LAST)
            authors.append((i, pos, f"{rng.choice(FIRST)} {last}"))
        if status == "inbox" or rng.random() < 0.1:
            feed.append(("hf", rng.choice(days), i, rng.randint(1, 50), rng.randint(0, 300)))
        for tag_index in rng.sample(range(len(TAGS)), rng.choice([0, 0, 1, 1, 2, 3])):
            links.append((i, tag_index + 1))
    conn.executemany("INSERT INTO tag (id, name) VALUES (?, ?)",
                     [(j + 1, t) for j, t in enumerate(TAGS)])
    conn.executemany(
        "INSERT INTO paper (id, key, title, title_norm, abstract, arxiv_id, year, status, starred,"
        " upvotes, added, modified, read_at, source) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,'hf')",
        papers)
    conn.executemany("INSERT INTO paper_author (paper_id, position, name) VALUES (?,?,?)", authors)
    conn.executemany("INSERT OR IGNORE INTO feed_entry (source, day, paper_id, rank, upvotes) "
                     "VALUES (?,?,?,?,?)", feed)
    conn.executemany("INSERT INTO paper_tag (paper_id, tag_id) VALUES (?,?)", links)
    conn.execute("COMMIT")
    conn.close()
    # Rows written straight into the tables are queued for the search index, not indexed:
    # index them all at once, as `papershelf reindex` does.
    lib = open_library(path)
    try:
        with lib.write() as session:
            rebuild_index(session)
        conn = lib.raw()
        conn.execute("ANALYZE")
        conn.close()
    finally:
        lib.close()


# ---------------------------------------------------------------- the real command in a pty


class Pty:
    def __init__(self, db: Path, cols: int = 120, rows: int = 40) -> None:
        env = dict(os.environ, PYTHONPATH=str(REPO), TERM="xterm-256color",
                   COLORTERM="truecolor", PAPERSHELF_CONFIG=str(db.parent / "none.toml"))
        self.start = time.perf_counter()
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the papershelf command
            os.execvpe(sys.executable, [sys.executable, "-m", "tui", "--db", str(db)], env)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.buffer = b""

    def wait_for(self, needle: str, timeout: float = 60.0) -> float:
        """Seconds since spawn when ``needle`` was first written to the terminal."""
        target = needle.encode()
        deadline = time.perf_counter() + timeout
        while target not in self.buffer:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(f"{needle!r} never appeared")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    self.buffer += os.read(self.fd, 1 << 16)
                except OSError:
                    break
        return time.perf_counter() - self.start

    def send(self, data: bytes) -> None:
        self.buffer = b""
        os.write(self.fd, data)

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def close(self) -> None:
        try:
            os.write(self.fd, b"q")
            deadline = time.perf_counter() + 10
            while time.perf_counter() < deadline:
                done, _ = os.waitpid(self.pid, os.WNOHANG)
                if done:
                    break
                try:
                    select.select([self.fd], [], [], 0.1)
                    os.read(self.fd, 1 << 16)
                except OSError:
                    pass
            else:
                os.kill(self.pid, signal.SIGTERM)
                os.waitpid(self.pid, 0)
        finally:
            os.close(self.fd)


def first_two(db: Path) -> tuple[str, str, str]:
    """The title's start of the first inbox paper, and of the second with its key (what the
    screen shows first; what the list redraws, then the detail pane shows, after one press of
    down)."""
    from storage import views

    lib = open_library(db)
    try:
        with lib.read() as session:
            ids = views.view_ids(session, view=views.View("inbox"))
            rows = views.rows_for(session, ids=ids[:2])
    finally:
        lib.close()
    return rows[ids[0]].title[:18], rows[ids[1]].title[:18], rows[ids[1]].key


def bench_launch(db: Path, runs: int) -> tuple[list[float], list[float], list[float]]:
    title, second_title, second_key = first_two(db)
    shown, moved, detail = [], [], []
    for _ in range(runs):
        term = Pty(db)
        try:
            shown.append(term.wait_for(title))
            term.wait_for(second_title)  # the rest of the first screen
            term.send(b"\x1b[B")  # down: the list redraws the two rows
            moved.append(term.wait_for(second_title))
            detail.append(term.wait_for(second_key))
        finally:
            term.close()
    return shown, moved, detail


def keys_of(db: Path, count: int) -> list[str]:
    from storage import views

    lib = open_library(db)
    try:
        with lib.read() as session:
            ids = views.view_ids(session, view=views.View("inbox"))[:count]
            rows = views.rows_for(session, ids=ids)
    finally:
        lib.close()
    return [rows[i].key for i in ids]


def bench_session(db: Path, queries: list[str]) -> dict[str, list[float] | float]:
    """One session of the real command: cursor moves, typing in the search box, memory."""
    keys = keys_of(db, 60)
    out: dict[str, list[float] | float] = {"down": [], "held": [], "keystroke": [],
                                           "results": []}
    term = Pty(db)
    try:
        term.wait_for(keys[0])
        # One press of down at a time: until the detail pane shows the next paper.
        for i in range(1, 21):
            t = time.perf_counter()
            term.send(b"\x1b[B")
            term.wait_for(keys[i])
            out["down"].append(time.perf_counter() - t)  # type: ignore[union-attr]
        # A held key: 30 presses sent at once; until the detail shows where it stopped.
        t = time.perf_counter()
        term.send(b"\x1b[B" * 30)
        term.wait_for(keys[50])
        out["held"] = (time.perf_counter() - t) / 30
        term.send(b"/")
        term.wait_for("Undo")  # the footer of the focused search box
        for query in queries:
            typed = ""
            for char in query:
                typed += char
                t = time.perf_counter()
                term.send(char.encode())
                term.wait_for(typed)  # the box shows what was typed so far
                out["keystroke"].append(time.perf_counter() - t)  # type: ignore[union-attr]
            t = time.perf_counter()
            term.wait_for(f"Search “{query}” ·")
            out["results"].append(time.perf_counter() - t)  # type: ignore[union-attr]
            for _ in query:
                term.send(b"\x7f")  # backspace
            term.wait_for(" papers")  # the view is back
        out["rss"] = term.peak_rss_mb()
    finally:
        term.close()
    return out


# ---------------------------------------------------------------- in-process (run_test)


async def bench_in_process(db: Path) -> float:
    """Launch to list shown inside one process (`run_test`), the way DESIGN.md measured the
    list widgets: imports and Python's start are not in it."""
    from tui.app import PapershelfApp
    from tui.config import Config

    lib = open_library(db)
    try:
        t0 = time.perf_counter()
        app = PapershelfApp(lib, config=Config(), watch=False)
        async with app.run_test(size=(120, 40)) as pilot:
            while not (app.main.loaded and app.main.papers.ids):
                await pilot.pause()
            return time.perf_counter() - t0
    finally:
        lib.close()


async def bench_datatable(db: Path, rows: int) -> float:
    """The baseline: Textual's DataTable filled with add_rows, as the DESIGN measured it."""
    import sqlite3

    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    conn = sqlite3.connect(db)
    data = conn.execute(
        "SELECT p.title, a.name, p.year, p.status FROM paper p JOIN paper_author a ON "
        "a.paper_id = p.id AND a.position = 0 ORDER BY p.added DESC LIMIT ?", (rows,)).fetchall()
    conn.close()

    class Baseline(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable()

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            table.add_columns("Title", "First author", "Year", "Status")
            table.add_rows(data)

    t0 = time.perf_counter()
    app = Baseline()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.query_one(DataTable).row_count == len(data)
    return time.perf_counter() - t0


def import_time() -> float:
    """Seconds to import what the command needs before the app can start."""
    import subprocess

    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import tui.cli, tui.app"],
        capture_output=True, text=True, cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)))
    total = 0
    for line in result.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[2].strip() in ("tui.cli", "tui.app"):
            total += int(parts[1])
    return total / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline-rows", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true", help="keep the built library in /tmp")
    args = parser.parse_args()

    folder = Path(tempfile.gettempdir()) / "papershelf-bench"
    folder.mkdir(exist_ok=True)
    db = folder / f"library-{args.papers}-v2.db"  # schema 2: with the search index
    if not db.exists():
        t = time.perf_counter()
        build(db, args.papers)
        print(f"built {args.papers:,} papers in {time.perf_counter() - t:.1f} s ({db})")
    print(f"library: {args.papers:,} papers, {db.stat().st_size / 1e6:.0f} MB")

    shown, moved, answered = bench_launch(db, args.runs)
    session = bench_session(db, ["attention", "model 42", "smith", "reasoning agent",
                                 "zzz no match"])
    inproc = statistics.median(asyncio.run(bench_in_process(db)) for _ in range(3))
    baseline = asyncio.run(bench_datatable(db, args.baseline_rows))
    imports = import_time()

    print()
    print(f"real command (python -m tui, pty 120x40), {args.runs} launches:")
    print(f"  launch to list shown   median {ms(statistics.median(shown))}   "
          f"p95 {ms(pct(shown, 95))}   target < 1000 ms")
    print(f"  ...and a key answered  median {ms(statistics.median(moved))}   "
          f"p95 {ms(pct(moved, 95))}   (down: the list's cursor moved)")
    print(f"  ...detail pane follows median {ms(statistics.median(answered))}   "
          f"p95 {ms(pct(answered, 95))}")
    print(f"  of which imports       {ms(imports)} (python -X importtime: tui.cli + tui.app)")
    down = session["down"]
    assert isinstance(down, list)
    print(f"  cursor down            median {ms(statistics.median(down))}   "
          f"p95 {ms(pct(down, 95))}   (until the detail pane shows the next paper)")
    print(f"  held down key          {ms(float(session['held']))} per key (30 keys at once)")
    ks = session["keystroke"]
    assert isinstance(ks, list)
    print(f"  search keystroke       median {ms(statistics.median(ks))}   p95 {ms(pct(ks, 95))}"
          f"   ({len(ks)} keys, until the box shows it)   target p95 < 50 ms")
    rs = session["results"]
    assert isinstance(rs, list)
    print(f"  results after last key median {ms(statistics.median(rs))}   p95 {ms(pct(rs, 95))}"
          f"   (150 ms debounce + search + list)")
    print(f"  peak RSS               {float(session['rss']):.0f} MB   target < 400 MB")
    print("in-process (run_test 120x40, as DESIGN.md measured the list widgets):")
    print(f"  papershelf, {args.papers:,} papers: list shown  {ms(inproc)}")
    print(f"  baseline DataTable.add_rows, {args.baseline_rows:,} rows: {ms(baseline)}")
    print(f"  ratio: {baseline / inproc:.1f}x faster at {args.papers // args.baseline_rows}x "
          f"the rows")
    if not args.keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    main()

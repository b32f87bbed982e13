"""Benchmark: every README command as the user runs it, a whole process each (not collected by
pytest; run it by hand).

    python -m tests.benchmarks.bench_cli [--sizes 1000,10000,100000] [--runs 5] [--peers]
                                         [--workdir DIR] [--only list,export ...]

For each library size it builds a library with a fixed seed (``synth.Corpus``: arXiv-like titles,
abstracts, 1-12 authors, tags, notes, feed days) and runs each command as ``python -m tui ...``,
its output sent to a pipe that is drained, as ``papershelf list | less`` would. Printed per
command: median and p95 wall time, time to the first byte of output, peak RSS of the process
(``wait4``), and, for sizes up to 10,000 with ``--peers``, the same work done by coBib 6.0.3 and
pubs 0.9 (each installed into its own venv under the work dir, from the library's own BibTeX
export) and the ratio. A peer that cannot be installed or run is skipped with a line saying why.

Targets (issue 13, 100,000 papers, median of 5): ``--version``/``--help`` <= 0.12 s; one-paper
commands <= 0.3 s; ``list`` <= 2 s and <= 250 MB (<= 0.3 s at 10k); ``export --all`` <= 4 s and
<= 300 MB; ``tags``, ``feed``, ``undo --list``, ``db check`` <= 1 s; ``search`` <= 0.35 s;
``import`` of 100,000 entries <= 45 s (10,000: <= 5 s); library file <= 2.5x its text.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.benchmarks import synth

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

PY = sys.executable
TARGETS_100K = {
    "--version": 0.12, "--help": 0.12, "show KEY": 0.3, "status KEY": 0.3, "tag KEY": 0.3,
    "note KEY -m": 0.3, "star KEY": 0.3, "undo": 0.3, "list": 2.0, "list --json": 2.0,
    "export --all": 4.0, "tags": 1.0, "feed --date": 1.0, "undo --list": 1.0, "db check": 1.0,
    "search": 0.35, "import": 45.0,
}


@dataclass
class Run:
    wall: float
    first_byte: float | None
    rss_mb: float
    code: int


@dataclass
class Row:
    size: int
    command: str
    runs: list[Run] = field(default_factory=list)
    peers: dict[str, list[Run] | str] = field(default_factory=dict)

    def median(self) -> float:
        return statistics.median(r.wall for r in self.runs)


def pct(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run_process(argv: Sequence[str], *, env: dict[str, str] | None = None,
                cwd: Path | None = None, stdin: bytes | None = None) -> Run:
    """Run ``argv`` with stdout to a drained pipe; wall time, first byte, peak RSS (wait4)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                            env=env, cwd=cwd)
    if stdin is not None and proc.stdin is not None:
        proc.stdin.write(stdin)
        proc.stdin.close()
    first: float | None = None
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    while True:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            break
        if first is None:
            first = time.perf_counter() - start
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stdout.close()
    return Run(wall, first, usage.ru_maxrss / 1024, proc.returncode)


# ---------------------------------------------------------------- the libraries

def build_library(path: Path, n: int, seed: int = 20240616) -> list[str]:
    """A ``n``-paper library at ``path`` (written at schema 1, then upgraded and indexed by
    opening it, as a user's old library would be); returns a few keys to act on."""
    from storage.db import open_library

    papers = list(synth.Corpus(seed).papers(n))
    synth.write_v1(path, papers)
    open_library(path).close()
    for suffix in (".v1.bak",):
        Path(str(path) + suffix).unlink(missing_ok=True)
    write_bib(path.with_name("input.bib"), papers)
    return [p.key for p in papers[:: max(1, n // 7)]][:7]


def write_bib(path: Path, papers: list[synth.SynthPaper]) -> None:
    """The same papers as a plain ``.bib`` with abstracts and keywords: what ``import`` reads
    and the peers are filled from (so "the text the library holds" is this file's size)."""
    with path.open("w", encoding="utf-8") as out:
        for p in papers:
            fields = [("title", p.title), ("author", " and ".join(p.authors)),
                      ("year", str(p.year))]
            if p.arxiv_id:
                fields += [("eprint", p.arxiv_id), ("archiveprefix", "arXiv")]
            if p.doi:
                fields.append(("doi", p.doi))
            if p.tags:
                fields.append(("keywords", ", ".join(p.tags)))
            fields.append(("abstract", p.abstract))
            body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields)
            out.write(f"@misc{{{p.key},\n{body}\n}}\n\n")


def papershelf(db: Path, *args: str) -> list[str]:
    return [PY, "-m", "tui", "--db", str(db), *args]


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERSHELF")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
               XDG_DATA_HOME=str(home / ".local/share"), EDITOR="true", VISUAL="true",
               PAGER="cat", COLUMNS="120", NO_COLOR="1")
    return env


# ---------------------------------------------------------------- peers

class Peer:
    name = ""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.venv = root / f"venv-{self.name}"
        self.why_not: str | None = None

    def install(self) -> None:
        if not (self.venv / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(self.venv)], check=True)
            done = subprocess.run([str(self.venv / "bin" / "pip"), "install", "-q", *self.spec.split()],
                                  capture_output=True, text=True)
            if done.returncode != 0:
                self.why_not = f"pip install {self.spec} failed: {done.stderr.strip()[-200:]}"

    spec = ""

    def commands(self, bib: Path, keys: list[str]) -> dict[str, Callable[[], Run]]:
        raise NotImplementedError


class Pubs(Peer):
    name = "pubs"
    spec = "pubs==0.9.0 bibtexparser<2 pyparsing"

    def commands(self, bib: Path, keys: list[str]) -> dict[str, Callable[[], Run]]:
        home = self.root / "pubs-home"
        conf = home / "pubsrc"
        exe = str(self.venv / "bin" / "pubs")
        env = env_for(home)

        def fresh() -> None:
            shutil.rmtree(home, ignore_errors=True)
            home.mkdir(parents=True)
            subprocess.run([exe, "--config", str(conf), "init", "-p", str(home / "lib")],
                           env=env, check=True, capture_output=True)

        def pubs(*args: str) -> Callable[[], Run]:
            return lambda: run_process([exe, "--config", str(conf), *args], env=env)

        def do_import() -> Run:
            fresh()
            return run_process([exe, "--config", str(conf), "import", str(bib)], env=env)

        imported = do_import()
        if imported.code != 0:
            self.why_not = f"pubs import exited {imported.code}"
            return {}
        key = keys[0]
        return {
            "--version": pubs("--version"), "--help": pubs("--help"),
            "show KEY": pubs("list", f"citekey:{key}"), "tag KEY": pubs("tag", key, "bench"),
            "list": pubs("list"), "export --all": pubs("export"), "tags": pubs("tag"),
            "search": pubs("list", "title:gaussian"),
            "import": do_import,
        }


class Cobib(Peer):
    name = "cobib"
    spec = "cobib==6.0.3"

    def commands(self, bib: Path, keys: list[str]) -> dict[str, Callable[[], Run]]:
        home = self.root / "cobib-home"
        conf = home / "config.py"
        exe = str(self.venv / "bin" / "cobib")
        env = env_for(home)

        def fresh() -> None:
            shutil.rmtree(home, ignore_errors=True)
            home.mkdir(parents=True)
            conf.write_text(
                "from cobib.config import config\n"
                f"config.database.file = {str(home / 'db.yaml')!r}\n"
                "config.database.git = False\n"
                f"config.logging.logfile = {str(home / 'log')!r}\n"
                f"config.utils.file_downloader.default_location = {str(home / 'files')!r}\n")
            subprocess.run([exe, "-c", str(conf), "init"], env=env, check=True,
                           capture_output=True)

        def cobib(*args: str) -> Callable[[], Run]:
            return lambda: run_process([exe, "-c", str(conf), *args], env=env)

        def do_import() -> Run:
            fresh()
            return run_process([exe, "-c", str(conf), "add", "--skip-download", "-b", str(bib)],
                               env=env)

        imported = do_import()
        if imported.code != 0:
            self.why_not = f"cobib add -b exited {imported.code}"
            return {}
        key = keys[0]
        out = home / "export.bib"
        return {
            "--version": cobib("--version"), "--help": cobib("--help"),
            "show KEY": cobib("show", key), "tag KEY": cobib("modify", "-a", "-s", "tags:bench", "--", key),
            "list": cobib("list"), "export --all": cobib("export", "--bibtex", "--", str(out)),
            "search": cobib("search", "gausian"),
            "import": do_import,
        }


# ---------------------------------------------------------------- the run

def papershelf_commands(db: Path, work: Path, keys: list[str], bib: Path,
                        env: dict[str, str]) -> dict[str, Callable[[], Run]]:
    key = keys[1]
    flips = {"status": 0, "tag": 0, "star": 0}
    export_to = work / "export.bib"
    import_db = work / "import.db"

    def flip(name: str, a: list[str], b: list[str]) -> Callable[[], Run]:
        def go() -> Run:
            flips[name] += 1
            return run_process(papershelf(db, *(a if flips[name] % 2 else b)), env=env)
        return go

    def export_all() -> Run:
        export_to.unlink(missing_ok=True)
        return run_process(papershelf(db, "export", "--all", "-o", str(export_to)), env=env)

    def do_import() -> Run:
        for suffix in ("", "-wal", "-shm"):
            Path(str(import_db) + suffix).unlink(missing_ok=True)
        return run_process(papershelf(import_db, "import", str(bib)), env=env)

    def ps(*args: str) -> Callable[[], Run]:
        return lambda: run_process(papershelf(db, *args), env=env)

    return {
        "--version": lambda: run_process([PY, "-m", "tui", "--version"], env=env),
        "--help": lambda: run_process([PY, "-m", "tui", "--help"], env=env),
        "show KEY": ps("show", key),
        "status KEY": flip("status", ["status", key, "reading"], ["status", key, "queued"]),
        "tag KEY": flip("tag", ["tag", key, "+bench"], ["tag", key, "-bench"]),
        "note KEY -m": ps("note", key, "-m", "a benchmark note"),
        "star KEY": flip("star", ["star", key], ["unstar", key]),
        "undo": ps("undo"),
        "list": ps("list"),
        "list --json": ps("list", "--json"),
        "export --all": export_all,
        "tags": ps("tags"),
        "feed --date": ps("feed", "--date", "2019-06-16"),
        "undo --list": ps("undo", "--list"),
        "db check": ps("db", "check"),
        "search": ps("search", "gausian proces"),
        "import": do_import,
    }


def measure(fn: Callable[[], Run], runs: int) -> list[Run]:
    return [fn() for _ in range(runs)]


def fmt_s(value: float) -> str:
    return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--import-runs", type=int, default=3,
                        help="runs of import at 100,000 (each takes tens of seconds)")
    parser.add_argument("--peers", action="store_true", help="also run coBib and pubs (<= 10k)")
    parser.add_argument("--workdir", type=Path, help="keep libraries and peer venvs here")
    parser.add_argument("--only", default="", help="comma-separated command names")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    work_root = args.workdir or Path(tempfile.mkdtemp(prefix="bench-cli-"))
    work_root.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    sizes_info: list[str] = []
    for n in sizes:
        work = work_root / f"lib-{n}"
        work.mkdir(exist_ok=True)
        db = work / "library.db"
        home = work / "home"
        home.mkdir(exist_ok=True)
        env = env_for(home)
        if not db.exists():
            t0 = time.perf_counter()
            keys = build_library(db, n)
            (work / "keys.txt").write_text("\n".join(keys))
            print(f"built {n:,} papers in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        keys = (work / "keys.txt").read_text().split()
        bib = work / "input.bib"
        commands = papershelf_commands(db, work, keys, bib, env)
        peers: list[Peer] = []
        if args.peers and n <= 10_000:
            for cls in (Cobib, Pubs):
                peer = cls(work_root)
                peer.install()
                peers.append(peer)
        peer_cmds: dict[str, dict[str, Callable[[], Run]]] = {}
        for peer in peers:
            if peer.why_not is None:
                print(f"{peer.name}: importing {n:,} entries", file=sys.stderr)
                peer_cmds[peer.name] = peer.commands(bib, keys)
        for name, fn in commands.items():
            if only and name not in only:
                continue
            runs = args.runs
            if name == "import" and n >= 100_000:
                runs = args.import_runs
            row = Row(n, name)
            fn()  # warm the page cache once, as a user's second command would find it
            row.runs = measure(fn, runs)
            for peer in peers:
                if peer.why_not:
                    row.peers[peer.name] = peer.why_not
                    continue
                pfn = peer_cmds[peer.name].get(name)
                if pfn is None:
                    continue
                row.peers[peer.name] = measure(pfn, min(runs, 3))
            rows.append(row)
            print(f"{n:>7,} {name:<14} {fmt_s(row.median())}", file=sys.stderr)
        size_lib = db.stat().st_size + sum(
            Path(str(db) + s).stat().st_size for s in ("-wal",) if Path(str(db) + s).exists())
        imported = work / "import.db"
        size_imp = imported.stat().st_size if imported.exists() else 0
        sizes_info.append(
            f"| {n:,} | {bib.stat().st_size / 1e6:.1f} MB | {size_lib / 1e6:.1f} MB "
            f"({size_lib / bib.stat().st_size:.2f}x) | "
            + (f"{size_imp / 1e6:.1f} MB ({size_imp / bib.stat().st_size:.2f}x)" if size_imp
               else "-") + " |")
    print_table(rows, sizes_info)


def print_table(rows: list[Row], sizes_info: list[str]) -> None:
    print("| papers | command | median | p95 | first byte | peak RSS | target (100k) | "
          "coBib 6.0.3 | pubs 0.9 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        walls = [r.wall for r in row.runs]
        firsts = [r.first_byte for r in row.runs if r.first_byte is not None]
        rss = max(r.rss_mb for r in row.runs)
        bad = {r.code for r in row.runs if r.code not in (0,)}
        target = TARGETS_100K.get(row.command)
        mark = ""
        if row.size >= 100_000 and target is not None:
            mark = f"{target} s " + ("ok" if row.median() <= target else "MISSED")
        peers = []
        for name in ("cobib", "pubs"):
            got = row.peers.get(name)
            if got is None:
                peers.append("-")
            elif isinstance(got, str):
                peers.append(f"skipped: {got}")
            else:
                med = statistics.median(r.wall for r in got)
                codes = {r.code for r in got if r.code != 0}
                peers.append(f"{fmt_s(med)} ({med / row.median():.0f}x)"
                             + (f" exit {sorted(codes)}" if codes else ""))
        print(f"| {row.size:,} | `{row.command}` | {fmt_s(row.median())} | {fmt_s(pct(walls, 95))}"
              f" | {fmt_s(statistics.median(firsts)) if firsts else '-'} | {rss:.0f} MB | {mark}"
              f"{' exit ' + str(sorted(bad)) if bad else ''} | {peers[0]} | {peers[1]} |")
    print()
    print("| papers | .bib export | library file | library from importing the .bib |")
    print("|---|---|---|---|")
    for line in sizes_info:
        print(line)


if __name__ == "__main__":
    main()

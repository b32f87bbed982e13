"""The reliability suite's tools: run the real ``papershelf`` command as a subprocess, kill it with
SIGKILL at chosen points, and compare what the library holds afterwards.

Kill points are deterministic. ``storage/db.py`` has a tiny hook: with ``PAPERSHELF_CRASH_AFTER=N``
set, the process SIGKILLs itself just before its N-th *step* (an SQL statement on any of its
connections, COMMIT included, or a connection closing, so that a kill can land right after a
COMMIT). The harness first runs the command in-process with a recorder in place of the hook to learn
the steps (and where the COMMITs are), then picks kill points: ``kills`` stratified random points
over all steps (seeded), plus a few points right before and right after COMMITs. Each kill runs
on its own copy of the library, in parallel; the checks then run one after another:

1. ``papershelf db check`` passes;
2. the library holds exactly the state before the killed command or exactly the state after it
   (compared table by table, timestamps aside): all or nothing;
3. rerunning the killed command finishes the job: the library ends exactly where an
   uninterrupted run ends, with no duplicates.

A scenario is a list of commands (one command, or a loop such as many ``add``\\ s). Scenarios for
commands that commit several transactions (a multi-day pull) pass ``allowed_states``: a function
that says whether a dump is one of the states the command may legitimately stop in.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from click.testing import CliRunner

REPO = Path(__file__).resolve().parents[2]
KILLED = -signal.SIGKILL
WORKERS = max(2, min(4, os.cpu_count() or 2))

# Every result the suite records, printed at the end of the run (see conftest.py) so the figures in
# docs/reliability.md can be refreshed from one run.
RESULTS: list[dict[str, Any]] = []


# ---------------------------------------------------------------- running the command


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    def one_error_line(self) -> str:
        """The single ``papershelf: ...`` line a failed command prints (asserts there is one)."""
        lines = [line for line in self.err.splitlines() if line.strip()]
        assert len(lines) == 1, f"expected one error line, got:\n{self.err}"
        assert lines[0].startswith("papershelf: "), lines[0]
        assert "Traceback" not in self.err
        return lines[0]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PAPERSHELF_") and k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


def command(db: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "tui", "--db", str(db), *args]


def run(db: Path, *args: str, crash_after: int | None = None, env: dict[str, str] | None = None,
        preexec_fn: Callable[[], None] | None = None, input: str | None = None,
        timeout: float = 120) -> Result:
    """``papershelf --db DB ARGS`` as a real process (optionally killed before step ``crash_after``)."""
    extra = dict(env or {})
    if crash_after is not None:
        extra["PAPERSHELF_CRASH_AFTER"] = str(crash_after)
    proc = subprocess.run(command(db, *args), cwd=REPO, env=clean_env(**extra), input=input,
                          capture_output=True, text=True, timeout=timeout, preexec_fn=preexec_fn,
                          errors="replace")
    return Result(proc.returncode, proc.stdout, proc.stderr)


class Job:
    """``papershelf --db DB ARGS`` started in a separate process, to be waited for later.

    ``fork=False`` execs ``python -m tui`` (the real command, ~0.5 s of imports each time);
    ``fork=True`` forks this process, which has the package imported already, and calls the same
    ``tui.cli.main`` there: the same code on the same files, a real process that really dies of
    SIGKILL, at a tenth of the cost. Only fork from the main thread, with no library open.
    """

    def __init__(self, db: Path, args: Sequence[str], *, crash_after: int | None = None,
                 env: dict[str, str] | None = None, fork: bool = False,
                 setup: Callable[[], None] | None = None) -> None:
        extra = dict(env or {})
        if crash_after is not None:
            extra["PAPERSHELF_CRASH_AFTER"] = str(crash_after)
        self._out = tempfile.TemporaryFile()  # noqa: SIM115 (closed in wait)
        self._err = tempfile.TemporaryFile()  # noqa: SIM115
        self._proc: subprocess.Popen[bytes] | None = None
        self._pid = 0
        if setup is not None and not (fork and hasattr(os, "fork")):
            raise ValueError("setup runs in a forked child only")
        if fork and hasattr(os, "fork"):
            self._pid = _fork_main(["--db", str(db), *args], extra, self._out, self._err, setup)
        else:
            self._proc = subprocess.Popen(command(db, *args), cwd=REPO, env=clean_env(**extra),
                                          stdout=self._out, stderr=self._err)

    def wait(self, timeout: float = 300) -> Result:
        if self._proc is not None:
            code = self._proc.wait(timeout=timeout)
        else:
            code = os.waitstatus_to_exitcode(os.waitpid(self._pid, 0)[1])
        texts = []
        for f in (self._out, self._err):
            f.seek(0)
            texts.append(f.read().decode(errors="replace"))
            f.close()
        return Result(code, texts[0], texts[1])


def _fork_main(argv: list[str], env: dict[str, str], out: Any, err: Any,
               setup: Callable[[], None] | None = None) -> int:
    import storage.db as storage_db
    from tui.cli import main

    pid = os.fork()
    if pid:
        return pid
    code = 70
    try:  # the child: never returns into pytest
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        sys.stdin = open(os.devnull)  # noqa: SIM115
        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
        for key in [k for k in os.environ if k.startswith("PAPERSHELF_")]:
            del os.environ[key]
        os.environ.update(env)
        storage_db.steps_seen = 0
        if setup is not None:
            setup()
        code = main(argv)
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        traceback.print_exc()
        sys.stderr.flush()
    finally:
        os._exit(code)


def run_killed_after(db: Path, args: Sequence[str], delay: float, *, timeout: float = 120) -> Result:
    """Start the command and SIGKILL it after ``delay`` seconds (if it is still running): for
    kill points the step hook cannot reach (a file being written after the last SQL step)."""
    proc = subprocess.Popen(command(db, *args), cwd=REPO, env=clean_env(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, errors="replace")
    try:
        out, err = proc.communicate(timeout=delay)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=timeout)
    return Result(proc.returncode, out, err)


# File steps: the calls through which a module writes a file. ``file_steps`` puts a stand-in for
# ``os`` into that module (``exports.merge``, whose write_atomic does every file write of an
# export): each of these calls is a step, recorded, or the process SIGKILLs itself just before
# the chosen one. The same idea as the SQL step hook, for the moments between SQL and the end.
FILE_CALLS = ("open", "write", "fsync", "close", "chmod", "replace", "rename", "unlink")


class _CountingOs:
    def __init__(self, real: Any, *, kill_at: int | None, record: list[str] | None) -> None:
        self._real, self._kill_at, self._record, self._seen = real, kill_at, record, 0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._real, name)
        if name not in FILE_CALLS:
            return attr

        def step(*args: Any, **kwargs: Any) -> Any:
            self._seen += 1
            if self._record is not None:
                self._record.append(f"os.{name}")
            if self._kill_at is not None and self._seen >= self._kill_at:
                self._real.kill(self._real.getpid(), signal.SIGKILL)
            return attr(*args, **kwargs)
        return step


@contextmanager
def file_steps(module: Any, *, record: list[str]) -> Iterator[None]:
    """Record the file calls ``module`` makes (see FILE_CALLS) while in the block."""
    real = module.os
    module.os = _CountingOs(real, kill_at=None, record=record)
    try:
        yield
    finally:
        module.os = real


def kill_before_file_step(module: Any, step: int) -> None:
    """Make this process SIGKILL itself just before ``module``'s ``step``-th file call (for a
    forked child: see ``Job(setup=...)``)."""
    module.os = _CountingOs(module.os, kill_at=step, record=None)


@contextmanager
def _env(name: str, value: str | None) -> Iterator[None]:
    old = os.environ.get(name)
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


def run_inproc(db: Path, *args: str, input: str | None = None,
               env: dict[str, str] | None = None) -> Result:
    """The same command in this process (fast; for setup, checks and reruns). Not thread-safe."""
    from tui.cli import main

    runner = CliRunner()
    with _env("PAPERSHELF_DB", None), runner.isolation(input=input, env=env) as (out, err, _):
        code = main(["--db", str(db), *args])
    return Result(code, out.getvalue().decode(errors="replace"),
                  err.getvalue().decode(errors="replace"))


def trace_steps(db: Path, *args: str, env: dict[str, str] | None = None
                ) -> tuple[Result, list[str]]:
    """Run the command in-process and record every step the crash hook counts, in order
    (the SQL text, or ``<close>``)."""
    import storage.db as storage_db
    from storage.search import clear_caches

    clear_caches()  # as a new process starts: no vocabulary loaded (its reads are steps too)
    steps: list[str] = []
    original = storage_db._crash_tick
    storage_db._crash_tick = lambda sql=None: steps.append(sql or "<close>")  # type: ignore[assignment]
    try:
        with _env(storage_db.CRASH_ENV, str(10**15)):
            result = run_inproc(db, *args, env=env)
    finally:
        storage_db._crash_tick = original  # type: ignore[assignment]
    return result, steps


# ---------------------------------------------------------------- looking at a library

# Tables compared between runs. Columns that hold the time of a run are left out; timestamps
# inside undo statements are masked.
TABLES = ("meta", "paper", "paper_author", "tag", "paper_tag", "note", "feed_entry", "pull_log",
          "undo_action", "undo_entry")
VOLATILE = {
    "paper": {"added", "modified", "read_at"},
    "note": {"created", "updated"},
    "pull_log": {"started", "finished"},
    "undo_action": {"created"},
}
_UNDO_TABLE = re.compile(r"^(?:DELETE FROM|UPDATE|INSERT INTO) (\w+) ")
_UNDO_ROWID = re.compile(r"WHERE rowid = (\d+)\Z|^INSERT INTO \w+ \(rowid, [^)]*\) VALUES \((\d+), ",
                         re.S)


_ONLY_MODIFIED = re.compile(r"^UPDATE \w+ SET modified = '[^']*' WHERE rowid = \d+$")


def _undo_summary(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
    """The undo log as (action, verb, table, row) without repeats: which rows each step would
    restore. (Whether a step logs a second update of a row depends on whether two of its writes
    fall in the same second, as an unchanged ``modified`` is not written; so entry ids, counts and
    updates of rows the step itself inserted are not compared.)"""
    seen: set[tuple[Any, ...]] = set()
    for action_id, statement in conn.execute(
            "SELECT action_id, statement FROM undo_entry ORDER BY id"):
        table = _UNDO_TABLE.match(statement)
        rowid = _UNDO_ROWID.search(statement)
        assert table and rowid, f"unexpected undo statement {statement[:80]!r}"
        if _ONLY_MODIFIED.match(statement):
            # Undo logs only the columns an UPDATE changed (schema 5): a step that changed
            # nothing of a paper but its ``modified`` second logs that or nothing, depending
            # on the clock, so such entries are not compared either.
            continue
        seen.add((action_id, statement.split(" ", 1)[0], table.group(1),
                  int(rowid.group(1) or rowid.group(2))))
    # An update of a row the same step inserted adds nothing (undo deletes the row anyway).
    inserted = {(a, t, r) for a, verb, t, r in seen if verb == "DELETE"}
    return sorted((e for e in seen if not (e[1] == "UPDATE" and (e[0], e[2], e[3]) in inserted)),
                  key=repr)

Dump = dict[str, list[tuple[Any, ...]]]


def dump(db: Path, tables: Sequence[str] = TABLES) -> Dump:
    """Every row of the library's tables (read-only; run after ``db check`` so a WAL left by a
    kill has been recovered)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        out: Dump = {}
        for table in tables:
            cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")
                    if r[1] not in VOLATILE.get(table, set())]
            if not cols:
                continue
            if table == "undo_entry":
                out[table] = _undo_summary(conn)
                continue
            rows = conn.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY rowid").fetchall()
            out[table] = rows
        return out
    finally:
        conn.close()


def without_authors(db: Path) -> set[str]:
    """Keys of the papers that have no author row (a half-written paper, unless it had none)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {key for (key,) in conn.execute(
            "SELECT key FROM paper p WHERE NOT EXISTS "
            "(SELECT 1 FROM paper_author a WHERE a.paper_id = p.id)")}
    finally:
        conn.close()


def diff(a: Dump, b: Dump) -> str:
    """A short description of how two dumps differ (for assertion messages)."""
    parts = []
    for table in sorted(set(a) | set(b)):
        ra, rb = set(a.get(table, [])), set(b.get(table, []))
        if ra != rb or a.get(table) != b.get(table):
            parts.append(f"{table}: {len(ra - rb)} rows only in the first, {len(rb - ra)} only in "
                         f"the second (e.g. {sorted(ra - rb, key=repr)[:1]} / "
                         f"{sorted(rb - ra, key=repr)[:1]})")
    return "; ".join(parts) or "same"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def copy_library(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal"):
        s = src.with_name(src.name + suffix)
        if s.exists():
            shutil.copyfile(s, dest.with_name(dest.name + suffix))


def sidecars(db: Path) -> list[str]:
    return sorted(p.name for p in db.parent.iterdir() if p.name.startswith(db.name + "-"))


# ---------------------------------------------------------------- the crash test


@dataclass
class Kill:
    command: int  # which command of the scenario was killed
    step: int  # killed just before this step (1-based)
    label: str  # what that step was
    dir: Path
    code: int = 0
    exec: bool = False  # killed as `python -m tui` (else a forked process)
    retries: int = 0
    landed: str = ""  # "before" / "after" / a label from allowed_states


@dataclass
class CrashReport:
    name: str
    commands: int
    steps: int
    kills: list[Kill] = field(default_factory=list)
    reruns: int = 0
    seconds: float = 0.0

    def landed(self, where: str) -> int:
        return sum(1 for k in self.kills if k.landed == where)


WhenDone = Literal["again", "refused", "skip"]


def _write_commits(steps: list[str]) -> list[int]:
    """The (1-based) steps that COMMIT a write transaction (one begun with BEGIN IMMEDIATE)."""
    out, writing = [], False
    for k, sql in enumerate(steps, 1):
        word = sql.strip().upper()
        if word.startswith("BEGIN"):
            writing = "IMMEDIATE" in word or "EXCLUSIVE" in word
        elif word == "COMMIT":
            if writing:
                out.append(k)
            writing = False
    return out


def _pick(steps: list[list[str]], kills: int, edges: int, rng: random.Random) -> list[tuple[int, int]]:
    flat = [(j, k) for j, s in enumerate(steps) for k in range(1, len(s) + 1)]
    chosen: set[tuple[int, int]] = set()
    n = min(kills, len(flat))
    for i in range(n):  # one random point in each of n equal strata: early, middle and late kills
        lo, hi = len(flat) * i // n, max(len(flat) * (i + 1) // n, len(flat) * i // n + 1)
        chosen.add(flat[rng.randrange(lo, hi)])
    commits = [(j, k) for j, s in enumerate(steps) for k in _write_commits(s)]
    before = [(j, k) for j, k in commits]  # killed just before COMMIT: nothing of it committed
    after = [(j, k + 1) for j, k in commits if k + 1 <= len(steps[j])]  # right after it
    for group in (before, after):
        rng.shuffle(group)
        chosen.update(group[: max(1, edges // 2)])
    return sorted(chosen)


def crash_test(
    *,
    name: str,
    base: Path,
    commands: Sequence[Sequence[str]],
    work: Path,
    kills: int = 20,
    edges: int = 4,
    seed: int = 7,
    when_done: WhenDone = "again",
    refused: str | None = None,
    allowed_states: Callable[[int, Dump], str | None] | None = None,
    env: dict[str, str] | None = None,
    tables: Sequence[str] = TABLES,
    exec_every: int = 5,
) -> CrashReport:
    """Kill ``commands`` (run one after another on a copy of ``base``) at ``kills`` + ``edges``
    points and check each survivor. ``when_done`` says what rerunning a command that had
    completed before the kill does: ``again`` (it is idempotent: run it, nothing changes),
    ``refused`` (it fails cleanly with exit 2 and the message containing ``refused``, nothing
    changes: ``rm`` of papers already gone) or ``skip`` (do not rerun: ``undo`` would undo the
    step before). ``env`` is added to the command's environment (a source's URL); ``tables``
    are the tables compared. Every ``exec_every``-th kill runs the real ``python -m tui``; the
    others fork (see :class:`Job`); 0 forks them all."""
    started = time.monotonic()
    clean = work / "clean"
    copy_library(base, clean / "lib.db")
    db = clean / "lib.db"
    states: list[Path] = []
    dumps: list[Dump] = []
    authorless: list[set[str]] = []
    steps: list[list[str]] = []
    for j, args in enumerate(commands):
        state = clean / f"state{j}.db"
        copy_library(db, state)
        states.append(state)
        dumps.append(dump(db, tables))
        authorless.append(without_authors(db))
        result, recorded = trace_steps(db, *args, env=env)
        assert result.code == 0, f"{name}: uninterrupted {args} failed: {result.err}"
        steps.append(recorded)
    dumps.append(dump(db, tables))
    authorless.append(without_authors(db))
    report = CrashReport(name, len(commands), sum(len(s) for s in steps))

    rng = random.Random(f"{name}-{seed}")
    for i, (j, k) in enumerate(_pick(steps, kills, edges, rng)):
        report.kills.append(Kill(j, k, steps[j][k - 1][:60], work / f"kill{i:03d}"))

    # Run the kills WORKERS at a time; every `exec_every`-th one execs the real command, the others
    # fork (see Job). A step count is not exact from run to run (a write that leaves a value
    # unchanged, a `modified` time within the same second, issues no SQL), so a point past the end
    # of a run's steps moves back one step at a time until it kills.
    pending = list(enumerate(report.kills))
    while pending:
        batch, pending = pending[:WORKERS], pending[WORKERS:]
        jobs = []
        for i, one in batch:
            copy_library(states[one.command], one.dir / "lib.db")
            jobs.append(Job(one.dir / "lib.db", commands[one.command], crash_after=one.step,
                            env=env, fork=not (exec_every and i % exec_every == 0)))
        for (i, one), job in zip(batch, jobs, strict=True):
            one.code = job.wait().code
            one.exec = bool(exec_every and i % exec_every == 0)
            if one.code == 0 and one.step > 1 and one.retries < 8:
                one.step -= 1
                one.retries += 1
                pending.append((i, one))

    def where(one: Kill) -> str:
        return (f"{name}: killed before step {one.step} of {list(commands[one.command])} "
                f"({one.label!r})")

    # Each survivor: db check passes, and the library is as before or as after the command.
    for one in report.kills:
        assert one.code == KILLED, f"{where(one)}: the process was not killed (exit {one.code})"
        lib = one.dir / "lib.db"
        check = run_inproc(lib, "db", "check")
        assert check.code == 0 and ": ok" in check.out, f"{where(one)}: db check failed: {check}"
        lost = without_authors(lib) - authorless[one.command] - authorless[one.command + 1]
        assert not lost, f"{where(one)}: papers without their authors: {sorted(lost)[:5]}"
        now = dump(lib, tables)
        before, after = dumps[one.command], dumps[one.command + 1]
        if now == before:
            one.landed = "before"
        elif now == after:
            one.landed = "after"
        else:
            label = allowed_states(one.command, now) if allowed_states else None
            assert label, (f"{where(one)}: the library is neither as before nor as after the "
                           f"command: vs before: {diff(now, before)}; vs after: {diff(now, after)}")
            one.landed = label

    # Rerun the killed command (unless it had finished and rerunning it is not idempotent), as
    # forked processes WORKERS at a time: the library must end exactly as after an uninterrupted
    # run. (The scenario's later commands run uninterrupted: running them would show nothing.)
    reruns = [one for one in report.kills if one.landed != "after" or when_done != "skip"]
    for at in range(0, len(reruns), WORKERS):
        batch = reruns[at:at + WORKERS]
        jobs = [Job(one.dir / "lib.db", commands[one.command], env=env, fork=True)
                for one in batch]
        for one, job in zip(batch, jobs, strict=True):
            again = job.wait()
            if one.landed == "after" and when_done == "refused":
                assert again.code == 2 and refused and refused in again.one_error_line(), \
                    f"{where(one)}: rerun after completion: {again}"
            else:
                assert again.code == 0, f"{where(one)}: rerun failed: {again}"
                report.reruns += 1
    for one in report.kills:
        final = dump(one.dir / "lib.db", tables)
        after = dumps[one.command + 1]
        assert final == after, f"{where(one)}: after the rerun: {diff(final, after)}"
        shutil.rmtree(one.dir)
    report.seconds = time.monotonic() - started
    RESULTS.append({
        "kind": "crash", "name": name, "commands": report.commands, "steps": report.steps,
        "kills": len(report.kills), "exec": sum(k.exec for k in report.kills),
        "before": report.landed("before"),
        "after": report.landed("after"),
        **({"in between": ", ".join(f"{label}: {count}" for label, count in sorted(
            Counter(k.landed for k in report.kills if k.landed not in ("before", "after")
                    ).items()))} if allowed_states else {}),
        "reruns": report.reruns,
        "seconds": round(report.seconds, 1),
    })
    return report


def record(kind: str, name: str, **figures: Any) -> None:
    """Note a figure for the end-of-run summary (inputs tried, writes made, ...)."""
    RESULTS.append({"kind": kind, "name": name, **figures})

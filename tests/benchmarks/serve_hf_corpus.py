"""Serve the shared hf-corpus (457 real Daily Papers days) as a Daily Papers API on 127.0.0.1, to
try papershelf as a user would on real data (not collected by pytest).

    python -m tests.benchmarks.serve_hf_corpus [--port 8765] [--corpus PATH]
    PAPERSHELF_HF_URL=http://127.0.0.1:8765 papershelf pull --since 2025-01-01 --until 2025-06-30

Answers ``GET /api/daily_papers?date=YYYY-MM-DD`` with that day's recorded items (``[]`` for a
day the recording does not have) and ``GET /api/papers/<id>`` with the paper's object; anything
else is 404. It listens on the loopback address only and stops on Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

HERE = Path(__file__).resolve().parent
DEFAULT = (HERE.parents[2] / "shared" / "fixtures" / "hf-corpus"
           / "hf_daily_papers_2024-05-27_2026-03-31.jsonl.gz")


def load(path: Path) -> tuple[dict[str, bytes], dict[str, bytes]]:
    days: dict[str, bytes] = {}
    papers: dict[str, bytes] = {}
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            day = json.loads(line)
            days[day["date"]] = json.dumps(day["items"]).encode()
            for item in day["items"]:
                paper = item.get("paper") or {}
                if paper.get("id"):
                    papers[paper["id"]] = json.dumps(paper).encode()
    return days, papers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--corpus", type=Path, default=DEFAULT)
    args = parser.parse_args()
    days, papers = load(args.corpus)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            url = urlparse(self.path)
            body: bytes | None = None
            if url.path == "/api/daily_papers":
                day = parse_qs(url.query).get("date", [""])[0]
                body = days.get(day, b"[]")
            elif url.path.startswith("/api/papers/"):
                body = papers.get(url.path.rsplit("/", 1)[-1])
            if body is None:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"serving {len(days)} days, {len(papers)} papers on http://127.0.0.1:{args.port}",
          flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()

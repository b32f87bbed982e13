"""The HTTP layer: timeouts, retries with backoff (Retry-After honoured), no retry on 4xx,
clear errors, the User-Agent, the minimum interval. No network: httpx.MockTransport, and
an injected sleep/clock so nothing waits."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

import reader
import tui
from reader.errors import SourceError, SourceUnreachable
from reader.http import USER_AGENT, HttpClient, HttpError, retry_after

REPO = Path(__file__).resolve().parents[2]


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def client(handler: Callable[[httpx.Request], httpx.Response], clock: FakeTime, **kw: object
           ) -> HttpClient:
    return HttpClient("https://huggingface.co", transport=httpx.MockTransport(handler),
                      sleep=clock.sleep, clock=clock.clock, **kw)  # type: ignore[arg-type]


def scripted(*replies: httpx.Response | Exception) -> tuple[
        Callable[[httpx.Request], httpx.Response], list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        reply = replies[min(len(seen), len(replies)) - 1]
        if isinstance(reply, Exception):
            raise reply
        return reply

    return handler, seen


def test_version_is_the_same_everywhere_and_in_the_user_agent() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert reader.__version__ == tui.__version__ == project
    assert f"papershelf/{project} (+https://github.com/papershelf/papershelf)" == USER_AGENT


def test_every_request_has_a_timeout_and_the_user_agent() -> None:
    handler, seen = scripted(httpx.Response(200, json=[1, 2]))
    t = FakeTime()
    assert client(handler, t, timeout=7.5).get_json("/api/daily_papers",
                                                    params={"date": "2024-06-16"}) == [1, 2]
    request = seen[0]
    assert request.extensions["timeout"] == {"connect": 7.5, "read": 7.5, "write": 7.5,
                                             "pool": 7.5}
    assert request.headers["user-agent"].startswith(f"papershelf/{reader.__version__} ")
    assert request.headers["accept"] == "application/json"
    assert str(request.url) == "https://huggingface.co/api/daily_papers?date=2024-06-16"
    assert t.sleeps == []


def test_429_then_success_waits_as_retry_after_says() -> None:
    handler, seen = scripted(httpx.Response(429, headers={"Retry-After": "7"}),
                             httpx.Response(200, json={"ok": True}))
    t = FakeTime()
    assert client(handler, t).get_json("/x") == {"ok": True}
    assert len(seen) == 2
    assert t.sleeps == [7.0]


def test_retry_after_as_an_http_date() -> None:
    response = httpx.Response(503, headers={"Retry-After": "Sun, 16 Jun 2024 08:00:30 GMT"})
    assert retry_after(response, now=datetime(2024, 6, 16, 8, 0, 0, tzinfo=UTC)) == 30.0
    assert retry_after(httpx.Response(503, headers={"Retry-After": "soon"})) is None
    assert retry_after(httpx.Response(503)) is None


def test_500_three_times_then_failure_with_backoff() -> None:
    handler, seen = scripted(httpx.Response(500))
    t = FakeTime()
    with pytest.raises(HttpError) as info:
        client(handler, t, backoff=1.0).get_json("/api/daily_papers", params={"date": "2024-06-16"})
    assert len(seen) == 3
    assert t.sleeps == [1.0, 2.0]
    assert str(info.value) == ("huggingface.co answered HTTP 500 Internal Server Error for "
                               "https://huggingface.co/api/daily_papers?date=2024-06-16 (3 tries)")
    assert info.value.status == 500
    assert info.value.exit_code == 3


def test_5xx_then_success() -> None:
    handler, seen = scripted(httpx.Response(502), httpx.Response(503), httpx.Response(200, json=1))
    t = FakeTime()
    assert client(handler, t).get_json("/x") == 1
    assert t.sleeps == [1.0, 2.0]


def test_a_very_long_retry_after_is_not_waited_for() -> None:
    handler, seen = scripted(httpx.Response(429, headers={"Retry-After": "3600"}))
    t = FakeTime()
    with pytest.raises(HttpError, match=r"asks to wait 3600 s: try again later"):
        client(handler, t).get("/x")
    assert len(seen) == 1 and t.sleeps == []


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410])
def test_no_retry_on_4xx(status: int) -> None:
    handler, seen = scripted(httpx.Response(status))
    t = FakeTime()
    with pytest.raises(HttpError) as info:
        client(handler, t).get("/api/papers/2406.00001")
    assert len(seen) == 1 and t.sleeps == []
    assert info.value.status == status
    assert str(info.value).startswith(f"huggingface.co answered HTTP {status} ")


def test_a_timeout_is_retried_then_reported() -> None:
    handler, seen = scripted(httpx.ReadTimeout("timed out"))
    t = FakeTime()
    with pytest.raises(SourceUnreachable) as info:
        client(handler, t, timeout=5).get("/api/daily_papers")
    assert len(seen) == 3
    assert t.sleeps == [1.0, 2.0]
    assert str(info.value) == ("cannot reach huggingface.co: no answer within 5 s "
                               "(https://huggingface.co/api/daily_papers, 3 tries)")
    assert info.value.exit_code == 3


def test_a_timeout_then_success() -> None:
    handler, seen = scripted(httpx.ConnectTimeout("slow"), httpx.Response(200, json=[]))
    t = FakeTime()
    assert client(handler, t).get_json("/x") == []
    assert t.sleeps == [1.0]


def test_offline_is_one_clear_line_and_no_retry() -> None:
    handler, seen = scripted(httpx.ConnectError("[Errno -3] Temporary failure in name resolution"))
    t = FakeTime()
    with pytest.raises(SourceUnreachable) as info:
        client(handler, t).get("/api/daily_papers")
    assert type(info.value) is SourceUnreachable
    assert str(info.value) == ("cannot reach huggingface.co: [Errno -3] Temporary failure in "
                               "name resolution")
    assert len(seen) == 1 and t.sleeps == []


def test_malformed_json_is_a_source_error() -> None:
    handler, _ = scripted(httpx.Response(200, content=b'[{"paper": ',
                                         headers={"Content-Type": "application/json"}))
    with pytest.raises(SourceError) as info:
        client(handler, FakeTime()).get_json("/api/daily_papers")
    assert str(info.value).startswith(
        "huggingface.co sent malformed JSON for https://huggingface.co/api/daily_papers: ")
    assert info.value.exit_code == 3


def test_html_instead_of_json_is_a_source_error() -> None:
    page = b"<!DOCTYPE html><html><body>Sign in</body></html>"
    handler, _ = scripted(httpx.Response(200, content=page,
                                         headers={"Content-Type": "text/html; charset=utf-8"}))
    with pytest.raises(SourceError) as info:
        client(handler, FakeTime()).get_json("/api/daily_papers")
    assert str(info.value) == ("huggingface.co answered with an HTML page, not JSON, for "
                               "https://huggingface.co/api/daily_papers")


def test_html_without_a_content_type_is_still_recognised() -> None:
    handler, _ = scripted(httpx.Response(200, content=b"  <html><p>hi</p></html>"))
    with pytest.raises(SourceError, match="HTML page, not JSON"):
        client(handler, FakeTime()).get_json("/x")


def test_min_interval_spaces_requests() -> None:
    handler, seen = scripted(httpx.Response(200, json=1))
    t = FakeTime()
    http = client(handler, t, min_interval=3.0)
    http.get("/a")
    assert t.sleeps == []  # the first request never waits
    t.now += 1.0  # one second of other work
    http.get("/b")
    http.get("/c")
    assert t.sleeps == [2.0, 3.0]
    assert len(seen) == 3


def test_min_interval_applies_to_retries_too() -> None:
    handler, seen = scripted(httpx.Response(503, headers={"Retry-After": "0"}),
                             httpx.Response(200, json=1))
    t = FakeTime()
    client(handler, t, min_interval=3.0).get("/a")
    assert t.sleeps == [0.0, 3.0]


def test_a_base_url_with_a_path_prefix() -> None:
    handler, seen = scripted(httpx.Response(200, json=1))
    http = HttpClient("http://mirror.test/hf/", transport=httpx.MockTransport(handler))
    http.get_json("/api/daily_papers", params={"date": "2024-06-16"})
    assert str(seen[0].url) == "http://mirror.test/hf/api/daily_papers?date=2024-06-16"
    assert http.host == "mirror.test"

"""The one place papershelf talks HTTP: timeouts, retries with backoff, a polite User-Agent,
an optional minimum interval between requests, and errors that say what and where.

Every source client (:mod:`reader.hf`, :mod:`reader.arxiv`, :mod:`reader.doi`) goes through an
:class:`HttpClient`. ``sleep`` and ``clock`` are parameters so tests never wait.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from reader import __version__
from reader.errors import SourceError, SourceUnreachable

USER_AGENT = f"papershelf/{__version__} (+https://github.com/papershelf/papershelf)"
DEFAULT_TIMEOUT = 20.0  # seconds, for connecting and for each read
DEFAULT_ATTEMPTS = 3  # tries per request when the source says "later" (429, 5xx) or times out
DEFAULT_BACKOFF = 1.0  # first wait between tries; doubles each time
MAX_RETRY_WAIT = 60.0  # a Retry-After longer than this is not waited for


class HttpError(SourceError):
    """The source answered with an HTTP error status."""

    def __init__(self, message: str, *, status: int, url: str, body: bytes) -> None:
        super().__init__(message)
        self.status = status
        self.url = url
        self.body = body


def host_of(url: str) -> str:
    """``https://huggingface.co/api`` -> ``huggingface.co`` (with the port when there is one)."""
    return urlsplit(url).netloc or url


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__


def retry_after(response: httpx.Response, *, now: datetime | None = None) -> float | None:
    """Seconds the server asks us to wait (``Retry-After`` as seconds or as an HTTP date)."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class HttpClient:
    """GET requests against one source's base URL.

    - every request has a timeout (``timeout`` seconds for connect and read);
    - 429 and 5xx answers and timeouts are retried up to ``attempts`` tries in all, waiting
      ``Retry-After`` when the server sends it, else ``backoff``, 2 x ``backoff``, ...;
    - other 4xx answers are not retried;
    - a connection failure raises :class:`SourceUnreachable` ("cannot reach HOST: ...") at once;
    - with ``min_interval``, requests start at least that many seconds apart (arXiv asks 3 s).
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        attempts: int = DEFAULT_ATTEMPTS,
        backoff: float = DEFAULT_BACKOFF,
        max_retry_wait: float = MAX_RETRY_WAIT,
        min_interval: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
        follow_redirects: bool = False,
        name: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.host = name or host_of(self.base_url)
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.max_retry_wait = max_retry_wait
        self.min_interval = min_interval
        self._sleep = sleep
        self._clock = clock
        self._last: float | None = None
        self._client = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout),
            headers={"User-Agent": USER_AGENT},
            transport=transport,
            follow_redirects=follow_redirects,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def url(self, path: str, params: Mapping[str, Any] | None = None) -> str:
        """The full URL a request goes to (for messages)."""
        request = self._client.build_request("GET", path, params=dict(params or {}))
        return str(request.url)

    def _wait_turn(self) -> None:
        if self.min_interval <= 0 or self._last is None:
            return
        wait = self._last + self.min_interval - self._clock()
        if wait > 0:
            self._sleep(wait)

    def get(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """GET ``path`` (relative to the base URL); the successful response, or an error."""
        shown = self.url(path, params)
        for attempt in range(1, self.attempts + 1):
            self._wait_turn()
            try:
                response = self._client.get(path, params=dict(params or {}),
                                            headers=dict(headers or {}))
            except httpx.TimeoutException as exc:
                if attempt < self.attempts:
                    self._sleep(self.backoff * 2 ** (attempt - 1))
                    continue
                raise SourceUnreachable(
                    f"cannot reach {self.host}: no answer within {self.timeout:g} s "
                    f"({shown}, {self.attempts} tries)") from exc
            except httpx.TransportError as exc:
                raise SourceUnreachable(f"cannot reach {self.host}: {_reason(exc)}") from exc
            finally:
                self._last = self._clock()
            status = response.status_code
            if status == 429 or status >= 500:
                asked = retry_after(response)
                if asked is not None and asked > self.max_retry_wait:
                    raise HttpError(
                        f"{self.host} answered HTTP {status} {response.reason_phrase} for "
                        f"{shown} and asks to wait {asked:.0f} s: try again later",
                        status=status, url=shown, body=response.content)
                if attempt < self.attempts:
                    self._sleep(asked if asked is not None else self.backoff * 2 ** (attempt - 1))
                    continue
                raise HttpError(
                    f"{self.host} answered HTTP {status} {response.reason_phrase} for {shown} "
                    f"({self.attempts} tries)", status=status, url=shown, body=response.content)
            if status >= 400:
                raise HttpError(
                    f"{self.host} answered HTTP {status} {response.reason_phrase} for {shown}",
                    status=status, url=shown, body=response.content)
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def get_json(self, path: str, *, params: Mapping[str, Any] | None = None,
                 accept: str = "application/json") -> Any:
        """GET and decode JSON; an HTML page or malformed JSON is a :class:`SourceError`."""
        response = self.get(path, params=params, headers={"Accept": accept})
        return decode_json(response, host=self.host)


def looks_like_html(response: httpx.Response) -> bool:
    ctype = response.headers.get("content-type", "").lower()
    head = response.content[:512].lstrip().lower()
    return "html" in ctype or head.startswith((b"<!doctype html", b"<html"))


def decode_json(response: httpx.Response, *, host: str) -> Any:
    url = str(response.request.url)
    if looks_like_html(response):
        raise SourceError(f"{host} answered with an HTML page, not JSON, for {url}")
    try:
        return json.loads(response.content)
    except ValueError as exc:
        raise SourceError(f"{host} sent malformed JSON for {url}: {exc}") from exc
    except RecursionError:
        raise SourceError(f"{host} sent JSON nested too deeply to read for {url}") from None

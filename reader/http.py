"""The one place papershelf talks HTTP: timeouts, retries with backoff, a polite User-Agent,
an optional minimum interval between requests, and errors that say what and where.

What a server sends is bounded: an answer larger than ``max_bytes`` (50 MB by default, counted
after decompression, so a gzip bomb stops too) is refused; every request has a total deadline
(``deadline`` seconds, 120 by default) besides the timeout of each read, so a server trickling a
byte every few seconds ends in a clear timeout instead of hanging; a body that claims a
compression it does not have and a redirect loop are one clear error each.

Every source client (:mod:`reader.hf`, :mod:`reader.arxiv`, :mod:`reader.doi`) goes through an
:class:`HttpClient`. ``sleep`` and ``clock`` are parameters so tests never wait.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from reader import __version__
from reader.errors import BadInput, SourceError, SourceUnreachable

USER_AGENT = f"papershelf/{__version__} (+https://github.com/papershelf/papershelf)"
DEFAULT_TIMEOUT = 20.0  # seconds, for connecting and for each read
DEFAULT_ATTEMPTS = 3  # tries per request when the source says "later" (429, 5xx) or times out
DEFAULT_BACKOFF = 1.0  # first wait between tries; doubles each time
MAX_RETRY_WAIT = 60.0  # a Retry-After longer than this is not waited for
DEFAULT_MAX_BYTES = 50_000_000  # the largest answer read (after decompression): 50 MB
DEFAULT_DEADLINE = 120.0  # seconds for a whole request: connect, headers and body
MAX_REDIRECTS = 10
_CHUNK = 1 << 16


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


class _Deadline(threading.local):
    """The moment the request running on this thread must be done by (monotonic clock)."""

    at: float | None = None
    hit: bool = False

    def remaining(self) -> float | None:
        if self.at is None:
            return None
        left = self.at - time.monotonic()
        if left <= 0:
            self.hit = True
        return left


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write waits at most until the request's deadline."""

    def __init__(self, stream: httpcore.NetworkStream, deadline: _Deadline) -> None:
        self._stream = stream
        self._deadline = deadline

    def _timeout(self, timeout: float | None, error: type[Exception]) -> tuple[float | None, bool]:
        """The timeout for one read or write, and whether it is the deadline's."""
        left = self._deadline.remaining()
        if left is None:
            return timeout, False
        if left <= 0:
            raise error("the request's deadline passed")
        if timeout is None or left <= timeout:
            return left, True
        return timeout, False

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        wait, limited = self._timeout(timeout, httpcore.ReadTimeout)
        try:
            return self._stream.read(max_bytes, wait)
        except httpcore.ReadTimeout:
            self._deadline.hit = self._deadline.hit or limited
            raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        wait, limited = self._timeout(timeout, httpcore.WriteTimeout)
        try:
            self._stream.write(buffer, wait)
        except httpcore.WriteTimeout:
            self._deadline.hit = self._deadline.hit or limited
            raise

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        wait, _limited = self._timeout(timeout, httpcore.ConnectTimeout)
        stream = self._stream.start_tls(ssl_context, server_hostname, wait)
        return _DeadlineStream(stream, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.SyncBackend):
    def __init__(self, deadline: _Deadline) -> None:
        self._deadline = deadline

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Any = None) -> httpcore.NetworkStream:
        limited = False
        left = self._deadline.remaining()
        if left is not None:
            if left <= 0:
                raise httpcore.ConnectTimeout("the request's deadline passed")
            if timeout is None or left <= timeout:
                timeout, limited = left, True
        try:
            stream = super().connect_tcp(host, port, timeout, local_address, socket_options)
        except httpcore.ConnectTimeout:
            self._deadline.hit = self._deadline.hit or limited
            raise
        return _DeadlineStream(stream, self._deadline)


def _deadline_transport(deadline: _Deadline) -> httpx.HTTPTransport:
    transport = httpx.HTTPTransport()
    pool = getattr(transport, "_pool", None)
    if isinstance(pool, httpcore.ConnectionPool) and hasattr(pool, "_network_backend"):
        pool._network_backend = _DeadlineBackend(deadline)  # (no public hook in httpx 0.28)
    return transport


def check_limit(value: Any, *, what: str, low: float, high: float) -> float:
    """A finite number in ``[low, high]`` (for settings); :class:`BadInput` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
            value) or not low <= value <= high:
        raise BadInput(f"{what} must be a number from {low:g} to {high:g}, not {value!r}")
    return float(value)


class HttpClient:
    """GET requests against one source's base URL.

    - every request has a timeout (``timeout`` seconds for connect and read);
    - 429 and 5xx answers and timeouts are retried up to ``attempts`` tries in all, waiting
      ``Retry-After`` when the server sends it, else ``backoff``, 2 x ``backoff``, ...;
    - other 4xx answers are not retried;
    - a connection failure raises :class:`SourceUnreachable` ("cannot reach HOST: ...") at once;
    - with ``min_interval``, requests start at least that many seconds apart (arXiv asks 3 s);
    - an answer over ``max_bytes`` (decompressed) is refused, and each try must be over within
      ``deadline`` seconds (connect, headers and body; every read waits at most until then).
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
        max_bytes: int = DEFAULT_MAX_BYTES,
        deadline: float = DEFAULT_DEADLINE,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.host = name or host_of(self.base_url)
        self.timeout = check_limit(timeout, what="timeout", low=0.001, high=86400)
        self.max_bytes = int(check_limit(max_bytes, what="max_bytes", low=1, high=2**53))
        self.deadline = check_limit(deadline, what="deadline", low=0.001, high=86400)
        self._deadline = _Deadline()
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
            transport=transport if transport is not None else _deadline_transport(self._deadline),
            follow_redirects=follow_redirects,
            max_redirects=MAX_REDIRECTS,
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
                response = self._fetch(path, params, headers, shown)
            except httpx.TimeoutException as exc:
                if self._deadline.hit:
                    raise SourceUnreachable(
                        f"{self.host} did not finish answering within {self.deadline:g} s "
                        f"({shown}): stopped waiting") from None
                if attempt < self.attempts:
                    self._sleep(self.backoff * 2 ** (attempt - 1))
                    continue
                raise SourceUnreachable(
                    f"cannot reach {self.host}: no answer within {self.timeout:g} s "
                    f"({shown}, {self.attempts} tries)") from exc
            except httpx.TooManyRedirects:
                raise SourceError(f"{self.host} redirected {shown} more than {MAX_REDIRECTS} "
                                  f"times (a redirect loop?)") from None
            except httpx.DecodingError as exc:
                raise SourceError(f"{self.host} sent a body that is not what its "
                                  f"Content-Encoding says ({shown}): {_reason(exc)}") from None
            except httpx.TransportError as exc:
                raise SourceUnreachable(f"cannot reach {self.host}: {_reason(exc)}") from exc
            except httpx.RequestError as exc:
                raise SourceError(f"{self.host}: {_reason(exc)} ({shown})") from None
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

    def _fetch(self, path: str, params: Mapping[str, Any] | None,
               headers: Mapping[str, str] | None, shown: str) -> httpx.Response:
        """One try: the whole answer read (decompressed) within the size limit and the deadline,
        as a response whose content is in memory."""
        self._deadline.at = time.monotonic() + self.deadline
        self._deadline.hit = False
        try:
            with self._client.stream("GET", path, params=dict(params or {}),
                                     headers=dict(headers or {})) as response:
                length = response.headers.get("content-length", "")
                if length.strip().isdigit() and int(length) > self.max_bytes and \
                        "content-encoding" not in response.headers:
                    raise self._too_big(shown)
                body = bytearray()
                for chunk in response.iter_bytes(_CHUNK):
                    body += chunk
                    if len(body) > self.max_bytes:
                        raise self._too_big(shown)
                    left = self._deadline.remaining()
                    if left is not None and left <= 0:
                        raise httpx.ReadTimeout("the request's deadline passed")
                kept = [(k, v) for k, v in response.headers.multi_items()
                        if k.lower() not in ("content-encoding", "content-length",
                                             "transfer-encoding")]
                return httpx.Response(response.status_code, headers=kept, content=bytes(body),
                                      request=response.request,
                                      extensions={"reason_phrase":
                                                  response.reason_phrase.encode("latin-1",
                                                                                "replace")})
        finally:
            self._deadline.at = None

    def _too_big(self, shown: str) -> SourceError:
        return SourceError(f"{self.host} sent more than {self.max_bytes / 1e6:g} MB for {shown}; "
                           f"stopped reading (max_response_mb in [sources] of the config file "
                           f"allows more)")

    def get_json(self, path: str, *, params: Mapping[str, Any] | None = None,
                 accept: str = "application/json") -> Any:
        """GET and decode JSON; an HTML page or malformed JSON is a :class:`SourceError`."""
        response = self.get(path, params=params, headers={"Accept": accept})
        return decode_json(response, host=self.host)


def looks_like_html(response: httpx.Response) -> bool:
    ctype = response.headers.get("content-type", "").lower()
    head = response.content[:512].lstrip().lower()
    return "html" in ctype or head.startswith((b"<!doctype html", b"<html"))


def _parse_int(text: str) -> int | float:
    """JSON integers; one too long for Python to convert (over 4300 digits) becomes a float
    (``inf``) so that the field is rejected with a warning, not the whole answer."""
    return int(text) if len(text) <= 100 else float(text)


def decode_json(response: httpx.Response, *, host: str) -> Any:
    url = str(response.request.url)
    if looks_like_html(response):
        raise SourceError(f"{host} answered with an HTML page, not JSON, for {url}")
    try:
        return json.loads(response.content, parse_int=_parse_int)
    except ValueError as exc:
        raise SourceError(f"{host} sent malformed JSON for {url}: {exc}") from exc
    except RecursionError:
        raise SourceError(f"{host} sent JSON nested too deeply to read for {url}") from None

"""HTTP: bytes in from the network, FetchResult out. No parsing, no database.

One `httpx.AsyncClient` for the run; concurrency bounded globally and per host; conditional GET;
a body identical to the last one reported as not modified; the body capped while it streams
(decompressed bytes count); redirects bounded; every request bounded in time.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx

from watchcli import USER_AGENT
from watchcli.config import FetchSettings
from watchcli.models import FetchResult, Outcome

MAX_REDIRECTS = 5
_http_log = logging.getLogger("watchcli.http")
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9,"
    " application/xml;q=0.8, text/xml;q=0.8, application/json;q=0.7, */*;q=0.1"
)
# What a page source asks for: the HTML page itself (README, "Pages without a feed").
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
# A slow server that trickles bytes never trips the read timeout: cap the whole request too.
TOTAL_TIME_FACTOR = 3
MAX_RETRY_AFTER = timedelta(days=7)


class BodyTooLarge(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


@dataclass(frozen=True)
class FetchRequest:
    source_id: str
    url: str
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    accept: str | None = None  # instead of the client's (feed types) Accept header


def make_client(settings: FetchSettings, *, debug: bool = False) -> httpx.AsyncClient:
    timeout = httpx.Timeout(settings.timeout, connect=settings.timeout, pool=None)
    limits = httpx.Limits(
        max_connections=settings.concurrency, max_keepalive_connections=settings.concurrency
    )
    hooks = {"request": [_trace_request], "response": [_trace_response]} if debug else {}
    return httpx.AsyncClient(
        timeout=timeout,
        limits=limits,
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        headers={"User-Agent": USER_AGENT, "Accept": ACCEPT},
        event_hooks=hooks,
        trust_env=True,
    )


async def _trace_request(request: httpx.Request) -> None:
    _http_log.debug("→ %s %s", request.method, request.url)


async def _trace_response(response: httpx.Response) -> None:
    _http_log.debug(
        "← %s %s %s",
        response.status_code,
        response.request.url,
        response.headers.get("content-type", ""),
    )


class Fetcher:
    """Fetches sources with the global and per-host bounds of one run."""

    def __init__(self, client: httpx.AsyncClient, settings: FetchSettings) -> None:
        self.client = client
        self.settings = settings
        self._all = asyncio.Semaphore(settings.concurrency)
        self._hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(settings.per_host)
        )

    async def fetch(self, request: FetchRequest) -> FetchResult:
        host = (urlsplit(request.url).hostname or "").lower()
        async with self._hosts[host], self._all:
            started = time.monotonic()
            try:
                async with asyncio.timeout(self.settings.timeout * TOTAL_TIME_FACTOR):
                    result = await self._get(request)
            except TimeoutError:
                result = _failed(
                    request,
                    f"no complete answer within {self.settings.timeout * TOTAL_TIME_FACTOR:g} s",
                )
            except httpx.TooManyRedirects:
                result = _failed(request, f"more than {MAX_REDIRECTS} redirects")
            except httpx.TimeoutException as error:
                what = "connecting" if isinstance(error, httpx.ConnectTimeout) else "waiting"
                result = _failed(
                    request, f"timed out {what} ({self.settings.timeout:g} s); try --timeout"
                )
            except httpx.ConnectError as error:
                result = _failed(request, f"cannot connect: {_reason(error)}")
            except BodyTooLarge as too_large:
                result = _failed(
                    request,
                    f"feed larger than {self.settings.max_bytes / 1024**2:g} MiB; "
                    "raise [fetch].max_bytes if it is genuine",
                    status=too_large.status,
                )
            except httpx.HTTPError as error:
                result = _failed(request, f"{type(error).__name__}: {_reason(error)}")
            return _with_elapsed(result, time.monotonic() - started)

    async def _get(self, request: FetchRequest) -> FetchResult:
        headers = {}
        if request.accept:
            headers["Accept"] = request.accept
        if request.etag:
            headers["If-None-Match"] = request.etag
        if request.last_modified:
            headers["If-Modified-Since"] = request.last_modified
        async with self.client.stream("GET", request.url, headers=headers) as response:
            status = response.status_code
            final_url = str(response.url)
            if status == 304:
                return FetchResult(
                    request.source_id,
                    Outcome.NOT_MODIFIED,
                    status=status,
                    final_url=final_url,
                    etag=response.headers.get("etag"),
                    last_modified=response.headers.get("last-modified"),
                )
            if status == 410:
                return FetchResult(
                    request.source_id,
                    Outcome.GONE,
                    status=status,
                    final_url=final_url,
                    error="HTTP 410 Gone: the source is marked gone and no longer fetched; "
                    "remove it from sources.toml",
                )
            if status >= 400 or status < 200:
                retry_after = None
                if status in (429, 503):
                    retry_after = parse_retry_after(response.headers.get("retry-after"))
                error = f"HTTP {status} {response.reason_phrase}".strip()
                if retry_after:
                    error += f" (asked to wait until {retry_after:%Y-%m-%d %H:%M} UTC)"
                return FetchResult(
                    request.source_id,
                    Outcome.FAILED,
                    status=status,
                    final_url=final_url,
                    error=error,
                    retry_after=retry_after,
                )
            body = await self._read_capped(response)
            body_hash = hashlib.sha256(body).hexdigest()
            common = {
                "status": status,
                "final_url": final_url,
                "etag": response.headers.get("etag"),
                "last_modified": response.headers.get("last-modified"),
                "body_hash": body_hash,
                "content_type": response.headers.get("content-type", ""),
            }
            if body_hash == request.body_hash:
                return FetchResult(request.source_id, Outcome.NOT_MODIFIED, **common)
            return FetchResult(request.source_id, Outcome.OK, body=body, **common)

    async def _read_capped(self, response: httpx.Response) -> bytes:
        cap = self.settings.max_bytes
        declared = response.headers.get("content-length", "")
        if (
            declared.isdigit()
            and "content-encoding" not in response.headers
            and (int(declared) > cap)
        ):
            raise BodyTooLarge(response.status_code)
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():  # decoded: decompressed bytes count
            size += len(chunk)
            if size > cap:
                raise BodyTooLarge(response.status_code)
            chunks.append(chunk)
        return b"".join(chunks)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> datetime | None:
    """`Retry-After` as seconds or an HTTP date, bounded to a week; None when absent or junk."""
    if not value:
        return None
    now = now or datetime.now(UTC)
    value = value.strip()
    if value.isdigit():
        wait = timedelta(seconds=int(value))
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        wait = when - now
    if wait <= timedelta(0):
        return None
    return (now + min(wait, MAX_RETRY_AFTER)).replace(microsecond=0)


def _failed(request: FetchRequest, error: str, status: int | None = None) -> FetchResult:
    return FetchResult(request.source_id, Outcome.FAILED, error=error, status=status)


def _with_elapsed(result: FetchResult, elapsed: float) -> FetchResult:
    return replace(result, elapsed=elapsed)


def _reason(error: Exception) -> str:
    text = str(error).strip()
    # httpx wraps OSError text like "[Errno 111] Connection refused": keep the words.
    if text.startswith("[Errno"):
        text = text.split("]", 1)[-1].strip()
    return text or type(error).__name__

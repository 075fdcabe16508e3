"""A real HTTP server on 127.0.0.1 for the fetch tests, serving `tests/feeds/` and the
misbehaviours feeds have in the wild.

Routes (FILE is a name in tests/feeds/):
    /feeds/FILE            ETag + Last-Modified, answers conditional requests with 304
    /pages/FILE            the same for the HTML pages of tests/pages/ (page sources)
    /plain/FILE            no validators at all (the body hash must catch "unchanged")
    /latin1/FILE           declared `charset=iso-8859-1` in Content-Type only
    /redirect/N/FILE       N redirects (302) before /feeds/FILE
    /status/CODE           that status; 429/503 with `Retry-After: 3600`
    /slow/SECONDS/FILE     waits before answering
    /trickle               sends a byte a second, forever (read timeout never trips)
    /big/MIB               an endless-looking body of MIB mebibytes, no Content-Length
    /gzip-bomb/MIB         a small gzip body that inflates to MIB mebibytes
    /set/NAME              whatever the test put there with `server.put(NAME, body, ...)`,
                           after `delay` seconds if given
Every request is logged in `server.requests` (path and headers).
"""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

FEEDS = Path(__file__).parent / "feeds"
PAGES = Path(__file__).parent / "pages"
CONTENT_TYPES = {
    ".xml": "application/rss+xml; charset=utf-8",
    ".atom": "application/atom+xml",
    ".json": "application/feed+json",
    ".html": "text/html; charset=utf-8",
}


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that hang up mid-body are what several routes are for; don't print it."""


@dataclass
class Put:
    body: bytes
    content_type: str = "application/rss+xml"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering


class FeedServer:
    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.puts: dict[str, Put] = {}
        self._server = _QuietServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> FeedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str) -> str:
        return self.base + path

    def put(self, name: str, body: bytes | str, **kwargs: object) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.puts[name] = Put(data, **kwargs)  # type: ignore[arg-type]
        return self.url(f"/set/{name}")

    def requests_to(self, path: str) -> list[dict[str, str]]:
        return [headers for p, headers in self.requests if p == path]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                parts = urlsplit(self.path).path.strip("/").split("/")
                route = getattr(self, "route_" + parts[0].replace("-", "_"), None)
                if route is None:
                    self.reply(404, b"not found", "text/plain")
                    return
                route(*parts[1:])

            def reply(
                self,
                status: int,
                body: bytes,
                content_type: str,
                headers: dict[str, str] | None = None,
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def feed_file(self, name: str, folder: Path = FEEDS) -> tuple[bytes, str] | None:
                path = folder / name
                if not path.is_file():
                    self.reply(404, b"no such fixture", "text/plain")
                    return None
                return path.read_bytes(), CONTENT_TYPES.get(path.suffix, "application/xml")

            def route_pages(self, name: str) -> None:
                self.route_feeds(name, PAGES)

            def route_feeds(self, name: str, folder: Path = FEEDS) -> None:
                found = self.feed_file(name, folder)
                if found is None:
                    return
                body, content_type = found
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                modified = formatdate(1_790_000_000, usegmt=True)
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.reply(200, body, content_type, {"ETag": etag, "Last-Modified": modified})

            def route_plain(self, name: str) -> None:
                found = self.feed_file(name)
                if found:
                    self.reply(200, *found)

            def route_latin1(self, name: str) -> None:
                found = self.feed_file(name)
                if found:
                    self.reply(200, found[0], "application/rss+xml; charset=iso-8859-1")

            def route_redirect(self, count: str, name: str) -> None:
                left = int(count)
                target = f"/redirect/{left - 1}/{name}" if left > 1 else f"/feeds/{name}"
                self.reply(302, b"", "text/plain", {"Location": target})

            def route_status(self, code: str) -> None:
                headers = {"Retry-After": "3600"} if code in ("429", "503") else {}
                self.reply(int(code), f"status {code}".encode(), "text/plain", headers)

            def route_slow(self, seconds: str, name: str) -> None:
                time.sleep(float(seconds))
                found = self.feed_file(name)
                if found:
                    self.reply(200, *found)

            def route_trickle(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", "100000")
                self.end_headers()
                try:
                    for _ in range(100_000):
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        time.sleep(0.5)
                except OSError:
                    pass

            def route_big(self, mib: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Connection", "close")
                self.end_headers()
                chunk = b"<!-- padding -->" * 4096
                try:
                    for _ in range(int(mib) * 1024 * 1024 // len(chunk)):
                        self.wfile.write(chunk)
                except OSError:
                    pass
                self.close_connection = True

            def route_gzip_bomb(self, mib: str) -> None:
                body = gzip.compress(b"\x20" * int(mib) * 1024 * 1024)
                self.reply(200, body, "application/rss+xml", {"Content-Encoding": "gzip"})

            def route_set(self, name: str) -> None:
                put = server.puts.get(name)
                if put is None:
                    self.reply(404, b"nothing put here", "text/plain")
                    return
                time.sleep(put.delay)
                headers = dict(put.headers)
                etag = headers.get("ETag")
                if etag and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.reply(put.status, put.body, put.content_type, headers)

        return Handler

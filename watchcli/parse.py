"""Bytes in, feed out. Pure: no I/O, no logging; `read_feed` runs in worker processes.

Well-formed RSS 2.0 and Atom 1.0 are read first by `parse_fast`: ElementTree, with feedparser's
own element handlers, about five times faster than feedparser. It gives exactly what feedparser
would, checked against it on the shared corpus and on generated feeds
(tests/test_parse_fast.py), or declines. The rest (malformed XML, a DOCTYPE, xml:base, xhtml
content, RDF, Atom 0.3, ...) is read by feedparser. feedparser only ever receives the body as
bytes wrapped in `io.BytesIO` (given a string it would fetch URLs itself), with its HTML
sanitising and URI resolution off: cleaning is `text.py`'s job. JSON Feed is read with `json`.
Nothing here raises on a hostile or broken body: a broken feed is read as far as possible and
`problem` says what was wrong, in one short line.
"""

from __future__ import annotations

import io
import json
import re
import time
import xml.sax
from datetime import UTC, datetime
from email.message import Message
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from watchcli import parse_fast
from watchcli.models import FeedContent, ParsedFeed, RawEntry
from watchcli.normalize import normalize_entry
from watchcli.text import clean_text, html_to_text, looks_like_html, truncate

__all__ = ["MAX_ENTRIES", "discover_feeds", "parse_feed", "read_feed"]

MAX_ENTRIES = 5000
MAX_PROBLEM = 200
MAX_FEED_TITLE = 500

FEED_LINK_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/rdf+xml"}
    | {"application/feed+json"}
)
_JSON_TYPES = frozenset({"application/feed+json", "application/json", "text/json"})
_HARMLESS_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
_WHITESPACE = b" \t\r\n"
_UTF8_BOM = b"\xef\xbb\xbf"
# Charsets servers and XML prologs claim for feeds that are really UTF-8.
_LATIN_CHARSETS = frozenset(
    {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "windows-1252", "cp1252"}
    | {"iso-8859-15", "latin-9", "us-ascii", "ascii"}
)
_XML_ENCODING_RE = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_CLOUDFLARE_MARKERS = (
    b"cf-browser-verification",
    b"challenge-platform",
    b"cf_chl_",
    b"| Cloudflare</title>",
    b"cf-error-details",
)


# --- Small helpers --------------------------------------------------------------------------


def _media_type(content_type: str) -> tuple[str, str]:
    """("application/rss+xml", "utf-8") from a Content-Type header; "" for what is absent."""
    msg = Message()
    msg["content-type"] = content_type
    media = msg.get_content_type() if content_type.strip() else ""
    charset = msg.get_param("charset")
    return media.lower(), (charset if isinstance(charset, str) else "").strip().lower()


def _head(body: bytes) -> bytes:
    """The start of the body without BOM and leading whitespace, for sniffing."""
    head = body[:4096].lstrip(_WHITESPACE)
    if head.startswith(_UTF8_BOM):
        head = head[3:].lstrip(_WHITESPACE)
    return head


def _struct_to_datetime(value: Any) -> datetime | None:
    """feedparser's UTC struct_time as an aware datetime; None for absent or absurd dates."""
    if not isinstance(value, time.struct_time):
        return None
    if not 1970 <= value.tm_year <= 2100:
        return None
    try:
        return datetime(*value[:5], min(value.tm_sec, 59), tzinfo=UTC)
    except ValueError:
        return None


def _parse_date(value: Any) -> datetime | None:
    """An RFC 3339 (or, leniently, RFC 2822) date string as an aware UTC datetime."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        d = datetime.fromisoformat(value.strip())
    except ValueError:
        try:
            d = parsedate_to_datetime(value.strip())
        except (TypeError, ValueError, IndexError):
            return None
    d = d.replace(tzinfo=UTC) if d.tzinfo is None else d.astimezone(UTC)
    return d if 1970 <= d.year <= 2100 else None


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _join(base: str, link: str) -> str:
    try:
        return urljoin(base, link) if base and link else link
    except ValueError:
        return link


def _short(message: str) -> str:
    return truncate(clean_text(message), MAX_PROBLEM)


# --- HTML pages -----------------------------------------------------------------------------


class _FeedLinkFinder(HTMLParser):
    """Collects <link rel="alternate" type="…feed type…" href> and <base href> of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base = ""
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "base" and not self.base:
            self.base = values.get("href", "").strip()
        elif tag == "link":
            rels = values.get("rel", "").lower().split()
            media = values.get("type", "").split(";")[0].strip().lower()
            href = values.get("href", "").strip()
            if "alternate" in rels and media in FEED_LINK_TYPES and href:
                self.hrefs.append(href)

    handle_startendtag = handle_starttag


def _decode_html(body: bytes, charset: str) -> str:
    try:
        return body.decode(charset or "utf-8", "replace")
    except LookupError:
        return body.decode("utf-8", "replace")


def discover_feeds(html: str, base_url: str = "") -> list[str]:
    """Absolute http(s) URLs of the feeds an HTML page advertises, in page order, no repeats."""
    finder = _FeedLinkFinder()
    try:
        finder.feed(html)
        finder.close()
    except (AssertionError, ValueError):
        pass
    found: list[str] = []
    for href in finder.hrefs:
        try:
            base = urljoin(base_url, finder.base) if finder.base else base_url
            absolute = urljoin(base, href)
            if urlsplit(absolute).scheme.lower() not in ("http", "https"):
                continue
        except ValueError:
            continue
        absolute = clean_text(absolute)
        if absolute and absolute not in found:
            found.append(absolute)
    return found


def _looks_like_html_page(head: bytes, media: str) -> bool:
    start = head[:1024].lower()
    return (
        media in ("text/html", "application/xhtml+xml")
        or start.startswith(b"<!doctype html")
        or any(tag in start for tag in (b"<html", b"<head", b"<body"))
    )


def _not_a_feed(body: bytes, head: bytes, media: str, charset: str, url: str, why: str) -> str:
    """The problem line for a body that is not a feed at all."""
    if _looks_like_html_page(head, media):
        if any(marker in body for marker in _CLOUDFLARE_MARKERS):
            problem = "not a feed: the server sent a Cloudflare challenge page"
        else:
            problem = "not a feed: the server sent an HTML page"
        feeds = discover_feeds(_decode_html(body, charset), url)
        if feeds:
            problem += f"; it advertises a feed at {feeds[0]}"
        return problem
    if not head.startswith(b"<"):
        return "not a feed: the body is neither XML nor JSON"
    return f"not a feed: {why}" if why else "not a feed: no RSS, Atom or JSON Feed document found"


# --- JSON Feed ------------------------------------------------------------------------------


def _json_authors(obj: dict[str, Any]) -> str:
    authors = obj.get("authors")
    if not isinstance(authors, list):
        authors = [obj.get("author")]  # JSON Feed 1.0
    names = [_str(a.get("name")).strip() for a in authors if isinstance(a, dict)]
    return ", ".join(name for name in names if name)


def _json_entry(item: dict[str, Any]) -> RawEntry:
    item_id = item.get("id")
    guid = str(item_id) if isinstance(item_id, str | int) and not isinstance(item_id, bool) else ""
    link = _str(item.get("url")) or _str(item.get("external_url"))
    tags = item.get("tags")
    return RawEntry(
        title=_str(item.get("title")),
        link=link,
        guid=guid,
        summary=_str(item.get("summary")),
        content=_str(item.get("content_html")) or _str(item.get("content_text")),
        published=_parse_date(item.get("date_published")),
        updated=_parse_date(item.get("date_modified")),
        author=_json_authors(item),
        categories=tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else (),
    )


def _parse_json(body: bytes, url: str) -> ParsedFeed:
    try:
        doc = json.loads(body)
    except RecursionError:
        return ParsedFeed(format="", problem="not a feed: invalid JSON (nested too deeply)")
    except ValueError as exc:  # UnicodeDecodeError included
        # json's messages carry a position ("Expecting ',' delimiter: line 3 column 5").
        return ParsedFeed(format="", problem=_short(f"not a feed: invalid JSON ({exc})"))
    if not isinstance(doc, dict):
        doc = {}
    items = doc.get("items")
    if not isinstance(items, list) or not _str(doc.get("version")).startswith(
        "https://jsonfeed.org/version/"
    ):
        return ParsedFeed(format="", problem="not a feed: JSON that is not a JSON Feed")
    entries = tuple(_json_entry(item) for item in items[:MAX_ENTRIES] if isinstance(item, dict))
    problem = None
    if len(items) > MAX_ENTRIES:
        problem = f"the feed has {len(items)} entries; only the first {MAX_ENTRIES} were read"
    return ParsedFeed(
        format="json",
        title=_str(doc.get("title")),
        link=_join(url, _str(doc.get("home_page_url"))),
        language=_str(doc.get("language")),
        entries=entries,
        problem=problem,
    )


# --- RSS and Atom ---------------------------------------------------------------------------


def _declared_charset(head: bytes, charset: str) -> str:
    if charset:
        return charset
    m = _XML_ENCODING_RE.match(head)
    return m.group(1).decode("ascii").lower() if m else ""


def _charset_fix(body: bytes, head: bytes, media: str, charset: str) -> str | None:
    """A Content-Type forcing UTF-8 when a feed claims Latin-1 but is really UTF-8, else None.

    Servers and prologs often claim ISO-8859-1 or windows-1252 for UTF-8 feeds, which would
    turn every "é" into "Ã©". Latin-1 French text is practically never valid UTF-8 once it has
    accents, so valid UTF-8 with non-ASCII bytes is trusted over the claim.
    """
    if _declared_charset(head, charset) not in _LATIN_CHARSETS or body.isascii():
        return None
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return f"{media or 'application/xml'}; charset=utf-8"


def _bozo_problem(exc: BaseException | None) -> str | None:
    """A short message for feedparser's bozo exception; None for the harmless ones.

    A document parsed after overriding its declared encoding, or served with a non-XML media
    type (text/html, text/plain: very common), reads fine: nothing to report.
    """
    if exc is None or isinstance(exc, _HARMLESS_BOZO):
        return None
    if isinstance(exc, xml.sax.SAXParseException):
        return _short(f"malformed XML at line {exc.getLineNumber()}: {exc.getMessage()}")
    if isinstance(exc, feedparser.CharacterEncodingUnknown):
        return "unknown character encoding"
    return _short(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)


def _content(entry: Any) -> str:
    contents = [c for c in entry.get("content") or () if isinstance(c, dict)]
    for c in contents:  # the HTML version when the entry carries several
        if "html" in _str(c.get("type")):
            return _str(c.get("value"))
    return _str(contents[0].get("value")) if contents else ""


def _raw_entry(entry: Any) -> RawEntry:
    tags = entry.get("tags") or ()
    terms = (_str(t.get("term")) or _str(t.get("label")) for t in tags if isinstance(t, dict))
    return RawEntry(
        title=_str(entry.get("title")),
        link=_str(entry.get("link")),
        guid=_str(entry.get("id")),
        summary=_str(entry.get("summary")),
        content=_content(entry),
        published=_struct_to_datetime(entry.get("published_parsed")),
        # dict.get: FeedParserDict.get("updated_parsed") falls back to the published date
        updated=_struct_to_datetime(dict.get(entry, "updated_parsed")),
        author=_str(entry.get("author")),
        categories=tuple(term for term in terms if term),
    )


def _feedparser_headers(
    body: bytes, head: bytes, media: str, charset: str, content_type: str
) -> dict[str, str]:
    """The response headers feedparser is given (the fast path reads them as it does)."""
    content_type = _charset_fix(body, head, media, charset) or content_type
    # No "content-location": given a base, feedparser also resolves every RSS <guid> without
    # isPermaLink="false" against it, so "mc-2026-041" would become "https://host/feed/mc-2026-041"
    # and change whenever the feed URL does. Relative links are resolved against the feed URL
    # by normalize_entry instead; xml:base is still applied by feedparser.
    return {"content-type": content_type} if content_type else {}


def _parse_xml(
    body: bytes,
    head: bytes,
    media: str,
    charset: str,
    content_type: str,
    url: str,
    *,
    fast: bool = True,
) -> ParsedFeed:
    headers = _feedparser_headers(body, head, media, charset, content_type)
    # The fast path gives what feedparser would, or None when it cannot be sure to.
    d = parse_fast.parse(body, headers) if fast else None
    if d is None:
        d = feedparser.parse(
            io.BytesIO(body),
            sanitize_html=False,
            resolve_relative_uris=False,
            response_headers=headers,
        )
    exc = d.get("bozo_exception") if d.get("bozo") else None
    version = _str(d.get("version"))
    entries = d.get("entries") or []
    if not version and not entries:
        why = _bozo_problem(exc) or ""
        return ParsedFeed(format="", problem=_not_a_feed(body, head, media, charset, url, why))
    problems = [p for p in (_bozo_problem(exc),) if p]
    if len(entries) > MAX_ENTRIES:
        problems.append(
            f"the feed has {len(entries)} entries; only the first {MAX_ENTRIES} were read"
        )
    feed = d.get("feed") or {}
    return ParsedFeed(
        # feedparser found entries without naming the format (a loose parse of a broken feed).
        format=version or "unknown",
        title=_str(feed.get("title")),
        link=_join(url, _str(feed.get("link"))),
        language=_str(feed.get("language")),
        entries=tuple(_raw_entry(e) for e in entries[:MAX_ENTRIES]),
        problem="; ".join(problems) or None,
    )


# --- Entry points ---------------------------------------------------------------------------


def parse_feed(
    body: bytes, *, content_type: str = "", url: str = "", fast: bool = True
) -> ParsedFeed:
    """Read an RSS, Atom, RDF or JSON Feed body as far as it goes; see the module docstring.

    `content_type` is the HTTP Content-Type (its charset wins over the XML prolog, as HTTP
    says, unless that would garble valid UTF-8); `url` is the final URL, the base for relative
    links. A body that is not a feed gives `format=""`, no entries and a `problem` saying why.
    `fast=False` reads RSS and Atom with feedparser only (for comparisons).
    """
    media, charset = _media_type(content_type)
    head = _head(body)
    if not head:
        return ParsedFeed(format="", problem="not a feed: the body is empty")
    if head.startswith(b"{") or (media in _JSON_TYPES and not head.startswith(b"<")):
        return _parse_json(body, url)
    return _parse_xml(body, head, media, charset, content_type, url, fast=fast)


def _feed_text(s: str) -> str:
    return truncate(clean_text(html_to_text(s) if looks_like_html(s) else s), MAX_FEED_TITLE)


def _language(s: str) -> str:
    """A language tag in one spelling: "fr-FR", "fr_fr " → "fr-fr"."""
    return clean_text(s).replace("_", "-").replace(" ", "").lower()[:35]


def read_feed(
    body: bytes, content_type: str, url: str, seen_at: datetime, *, fast: bool = True
) -> FeedContent:
    """Parse and normalise a fetched body. Never raises: runs in a worker process per feed."""
    try:
        parsed = parse_feed(body, content_type=content_type, url=url, fast=fast)
        return FeedContent(
            format=parsed.format,
            title=_feed_text(parsed.title),
            language=_language(parsed.language),
            problem=parsed.problem,
            entries=tuple(
                normalize_entry(raw, feed_url=url, seen_at=seen_at) for raw in parsed.entries
            ),
        )
    except Exception as exc:  # a bug or a parser crash on one feed must not stop the run
        return FeedContent(format="", problem=f"could not read the feed: {type(exc).__name__}")

"""OPML in and out: the subscription lists feed readers exchange. Pure: bytes in, values out.

Reading takes OPML 1.0 and 2.0 with outlines nested to any depth: an outline with an `xmlUrl`
is a feed; one without is a folder. A feed's categories are the folder it sits in (the
innermost) and the entries of its `category` attribute (OPML 2: comma-separated, each a
`/path`, of which the last part counts). Writing gives OPML 2.0, one outline per source, its
tags in `category`, so that reading it back gives the same sources and tags.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from urllib.parse import urlsplit

from watchcli.text import clean_text

_BARE_AMPERSAND = re.compile(rb"&(?!(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#x[0-9A-Fa-f]+);)")


class OpmlError(ValueError):
    """Not an OPML document; the message says where."""


@dataclass(frozen=True)
class OpmlFeed:
    url: str
    title: str
    categories: tuple[str, ...]


def read_opml(data: bytes) -> list[OpmlFeed]:
    """The feeds of an OPML document, in document order (repeats included: the caller
    reports them)."""
    try:
        root = _parse(data)
    except ET.ParseError as error:
        # Exports in the wild carry bare ampersands in URLs and titles ("News & Headlines",
        # "?page=x&lang=en"); read as they were meant, as feed readers do. Anything else
        # malformed is refused.
        try:
            root = _parse(_BARE_AMPERSAND.sub(b"&amp;", data))
        except ET.ParseError:
            line, column = error.position
            raise OpmlError(f"line {line}, column {column}: not well-formed XML") from None
    if _local(root.tag) != "opml":
        raise OpmlError(f"the document is <{_local(root.tag)}>, not <opml>")
    body = next((child for child in root if _local(child.tag) == "body"), None)
    if body is None:
        raise OpmlError("no <body> in this OPML document")
    feeds: list[OpmlFeed] = []
    _walk(body, None, feeds)
    return feeds


def _parse(data: bytes) -> ET.Element:
    # expat (≥ 2.4.1 in every supported Python) refuses entity-expansion bombs; OPML has no use
    # for a DTD, and ElementTree never fetches external entities.
    parser = ET.XMLParser()
    parser.feed(data)
    return parser.close()


def _walk(element: ET.Element, folder: str | None, feeds: list[OpmlFeed]) -> None:
    for outline in element:
        if _local(outline.tag) != "outline":
            continue
        attrs = {_local(k).lower(): v for k, v in outline.attrib.items()}
        label = clean_text(attrs.get("title") or attrs.get("text") or "")
        url = (attrs.get("xmlurl") or "").strip()
        if url:
            categories = [folder] if folder else []
            for entry in (attrs.get("category") or "").split(","):
                part = entry.strip().strip("/").rsplit("/", 1)[-1].strip()
                if part:
                    categories.append(clean_text(part))
            feeds.append(OpmlFeed(url, label, tuple(dict.fromkeys(categories))))
            _walk(outline, folder, feeds)
        else:
            _walk(outline, label or folder, feeds)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a source's URL, or None."""
    if any(c.isspace() for c in url):
        return "contains spaces"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as error:
        return str(error)
    if parts.scheme.lower() not in ("http", "https"):
        return "not an http:// or https:// URL"
    if not parts.hostname:
        return "has no host name"
    return None


def write_opml(
    title: str, sources: list[tuple[str, str, tuple[str, ...]]], *, now: datetime
) -> bytes:
    """OPML 2.0 of (title, url, tags) triples."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(now)
    body = ET.SubElement(root, "body")
    for name, url, tags in sources:
        attrs = {"type": "rss", "text": name, "title": name, "xmlUrl": url}
        if tags:
            attrs["category"] = ",".join(tags)
        ET.SubElement(body, "outline", attrs)
    ET.indent(root)
    text = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + text + "\n").encode("utf-8")

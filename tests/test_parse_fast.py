"""parse_fast: wherever the ElementTree reading is taken, it equals feedparser's.

Three checks: every file of the shared corpus (../shared/corpus/feeds, skipped where absent),
generated RSS and Atom feeds full of traps, and the bodies that must go to feedparser.
"""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from watchcli import parse_fast
from watchcli.models import ParsedFeed
from watchcli.parse import _feedparser_headers, _head, _media_type, parse_feed

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "feeds"
FEEDS = Path(__file__).parent / "feeds"
URL = "https://feeds.example.org/feed.xml"


def headers_for(body: bytes, content_type: str = "") -> dict[str, str]:
    media, charset = _media_type(content_type)
    return _feedparser_headers(body, _head(body), media, charset, content_type)


def fast_reading(body: bytes, content_type: str = "") -> dict | None:
    """parse_fast's reading, None when it declines; its unexpected errors propagate."""
    try:
        return parse_fast._read(body, headers_for(body, content_type))
    except parse_fast._Decline:
        return None


def decline_reason(body: bytes, content_type: str = "") -> str:
    try:
        parse_fast._read(body, headers_for(body, content_type))
    except parse_fast._Decline as exc:
        return str(exc)
    return ""


def assert_same(body: bytes, content_type: str = "") -> tuple[bool, ParsedFeed]:
    """Whether the fast path took the body, after checking that it agrees with feedparser."""
    slow = parse_feed(body, content_type=content_type, url=URL, fast=False)
    if fast_reading(body, content_type) is None:
        return False, slow
    fast = parse_feed(body, content_type=content_type, url=URL)
    for field in ("format", "title", "link", "language", "problem"):
        assert getattr(fast, field) == getattr(slow, field), field
    assert len(fast.entries) == len(slow.entries)
    for i, (f, s) in enumerate(zip(fast.entries, slow.entries, strict=True)):
        assert f == s, f"entry {i}"
    assert fast == slow
    return True, slow


# --- The corpus -----------------------------------------------------------------------------


CORPUS_FILES = sorted(p.name for p in CORPUS.iterdir() if p.is_file()) if CORPUS.is_dir() else []
needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"the shared feed corpus is not available at {CORPUS}"
)


@cache
def corpus_body(name: str) -> bytes:
    raw = (CORPUS / name).read_bytes()
    return gzip.decompress(raw) if name.endswith(".gz") else raw


@needs_corpus
@pytest.mark.parametrize("name", CORPUS_FILES)
def test_corpus_file_reads_as_feedparser_reads_it(name: str) -> None:
    assert_same(corpus_body(name))


@needs_corpus
def test_corpus_acceptance() -> None:
    """How much of the corpus the fast path takes (python -m pytest -s shows the counts)."""
    taken = {"files": 0, "entries": 0}
    left = {"files": 0, "entries": 0}
    reasons: dict[str, list[str]] = {}
    for name in CORPUS_FILES:
        body = corpus_body(name)
        if _head(body).startswith(b"{"):
            continue  # JSON Feed: read by json
        accepted, feed = assert_same(body)
        side = taken if accepted else left
        side["files"] += 1
        side["entries"] += len(feed.entries)
        if not accepted:
            reasons.setdefault(decline_reason(body) or "?", []).append(name)
    print(
        f"\nfast path: {taken['files']} files, {taken['entries']} entries; "
        f"feedparser: {left['files']} files, {left['entries']} entries"
    )
    for reason, names in sorted(reasons.items()):
        print(f"  {reason}: {', '.join(names)}")
    # Nearly every well-formed RSS 2.0 and Atom 1.0 file: what is left is malformed, HTML,
    # JSON, xml:base, xhtml or inline markup, RDF, Atom 0.3 or legacy namespaces.
    assert taken["files"] >= 0.75 * len(CORPUS_FILES)
    assert taken["entries"] >= 0.85 * (taken["entries"] + left["entries"])


# --- Generated feeds ------------------------------------------------------------------------

# Characters XML 1.0 allows (C1 controls included: feedparser maps them as windows-1252).
XML_TEXT = st.text(
    st.characters(
        min_codepoint=0x20,
        codec="utf-8",
        exclude_categories=("Cs",),
        exclude_characters="\ufffe\uffff",
    )
    | st.sampled_from("\t\n\r"),
    max_size=12,
)

PIECES = st.one_of(
    XML_TEXT.map(escape),
    st.sampled_from(
        [
            "&amp;",
            "&lt;",
            "&gt;",
            "&quot;",
            "&apos;",
            "&#233;",
            "&#xE9;",
            "&#8217;",
            "&#150;",  # a C1 control: windows-1252's en dash for feedparser
            "&#x92;",
            "\x85",
            "&#195;&#169;",  # "Ã©": UTF-8 read as Latin-1, which feedparser repairs
            "Ã©tÃ©",
            "&#160;",
            "&#38;amp;",
            "&amp;amp;",
            "&amp;#39;",
            "&amp;nbsp;",
            "&amp;foo;",
            "&lt;p&gt;Un &lt;b&gt;paragraphe&lt;/b&gt;&lt;/p&gt;",
            "&lt;br/&gt;",
            "&lt;/span&gt;",
            "&lt;script&gt;x&lt;/script&gt;",
            "&lt;unknowntag&gt;x&lt;/unknowntag&gt;",
            "<![CDATA[<p>Déjà <b>vu</b> & co</p>]]>",
            "<![CDATA[]]>",
            "<![CDATA[ &amp; ]]>",
            "<!-- a comment -->",
            "<?pi data?>",
            " ",
            "  ",
            "\n",
            "\t",
            "\r\n",
            "\u00a0",
            "\u2003",
            "\u200b",
            "é",
            "😀",
            "jo@example.org (Jo Doe)",
            "Jo Doe &lt;jo@example.org&gt;",
            "(Jo)",
            "https://example.org/a?x=1&amp;y=2",
            "http:///example.org//path",
            "/relative/path",
            "mailto:jo@example.org",
            "a, b, ,c",
            "true",
        ]
    ),
)
TEXT = st.lists(PIECES, max_size=5).map("".join)
DATES = st.sampled_from(
    [
        "Mon, 06 Sep 2021 16:45:00 +0000",
        "Mon, 6 Sep 21 16:45 GMT",
        "Tue, 10 Jun 2003 04:00:00 EST",
        "Mon, 06 Sep 2021 16:45:00 BST",
        "Sat, 31 Feb 2021 10:00:00 GMT",
        "Thu, 01 Jan 1970 00:00:00 +0000",
        "2021-09-06T16:45:00Z",
        "2021-09-06T16:45:00.123+02:00",
        "2021-09-06",
        "2021-13-45T99:99:99Z",
        "1969-12-31T23:59:59Z",
        "2150-01-01T00:00:00Z",
        "06/09/2021",
        "dimanche 5 septembre 2021",
        "&lt;b&gt;Mon, 06 Sep 2021&lt;/b&gt;",
        "  2021-09-06T16:45:00Z \n",
        "",
        "yesterday",
    ]
)
URLS = st.sampled_from(
    [
        "https://example.org/a",
        "https://example.org/a?x=1&amp;y=2",
        "https://example.org/a?x=1&amp;amp;y=2",
        "http:///example.org//b",
        "/relative",
        "",
        " https://example.org/spaced ",
        "javascript:alert(1)",
        "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a",
        "https://exämple.org/é",
    ]
)

# namespace key -> (the prefix the document uses, its URI): usually the usual ones
NAMESPACES = {
    "dc": ["http://purl.org/dc/elements/1.1/", "http://example.com/not-dublin-core"],
    "content": ["http://purl.org/rss/1.0/modules/content/"],
    "media": ["http://search.yahoo.com/mrss/", "http://search.yahoo.com/mrss"],
    "itunes": ["http://www.itunes.com/DTDs/PodCast-1.0.dtd"],
    "atom": ["http://www.w3.org/2005/Atom"],
    "ex": ["http://example.com/ns", "http://example.com/other"],
    "dcterms": ["http://purl.org/dc/terms/"],
    "xhtml": ["http://www.w3.org/1999/xhtml"],
}
PREFIX_NAMES = {"dc": ["dc", "dublin"], "media": ["media", "m"], "ex": ["ex", "title", "dc2"]}


@st.composite
def namespace_map(draw: st.DrawFn) -> dict[str, tuple[str, str]]:
    mapping = {}
    for key, uris in NAMESPACES.items():
        prefix = draw(st.sampled_from(PREFIX_NAMES.get(key, [key])))
        mapping[key] = (prefix, draw(st.sampled_from(uris)))
    return mapping


def attr_text(draw: st.DrawFn, values: st.SearchStrategy[str]) -> str:
    return quoteattr(draw(values).replace("&amp;", "&"))


@st.composite
def element(draw: st.DrawFn, ns: dict, spec: tuple) -> str:
    """One element from (namespace key or None, local name, content kind, attributes)."""
    key, local, kind, attr_specs = spec
    name = f"{ns[key][0]}:{local}" if key else local
    if draw(st.integers(0, 30)) == 0:
        name = name.upper() if not key else f"{ns[key][0]}:{local.capitalize()}"
    attrs = ""
    for attr, values in attr_specs:
        if draw(st.booleans()):
            attrs += f" {attr}={attr_text(draw, values)}"
    if kind == "text":
        content = draw(TEXT)
    elif kind == "date":
        content = draw(DATES)
    elif kind == "url":
        content = draw(URLS)
    elif kind == "empty":
        content = ""
    else:  # a list of child specs, with text between them now and then (mixed content)
        mixed = draw(st.integers(0, 4)) == 0
        content = "".join(
            draw(element(ns, child)) + (draw(TEXT) if mixed else "") for child in draw(kind)
        )
    if not content and draw(st.booleans()):
        return f"<{name}{attrs}/>"
    return f"<{name}{attrs}>{content}</{name}>"


def children(specs: list[tuple], max_size: int = 4) -> st.SearchStrategy[list[tuple]]:
    return st.lists(st.sampled_from(specs), max_size=max_size)


TYPES = st.sampled_from(["text", "html", "text/html", "TEXT", "text/plain", "application/xml"])
REL = st.sampled_from(["alternate", "self", "related", "enclosure", "ALTERNATE", "license"])
LINK_TYPES = st.sampled_from(["text/html", "application/xhtml+xml", "html", "image/png"])

PERSON = [
    ("", "name", "text", []),
    ("", "email", "text", []),
    ("", "uri", "url", []),
    ("itunes", "name", "text", []),
    ("ex", "name", "text", []),
]
IMAGE = [
    (None, "title", "text", []),
    (None, "url", "url", []),
    (None, "link", "url", []),
    (None, "width", "text", []),
    (None, "description", "text", []),
    (None, "ttl", "text", []),
    ("ex", "foo", "text", []),
]
MEDIA_INSIDE = [
    ("media", "title", "text", [("type", TYPES)]),
    ("media", "description", "text", [("type", TYPES)]),
    ("media", "thumbnail", "empty", [("url", URLS)]),
    ("media", "credit", "text", [("role", st.just("author"))]),
    ("media", "keywords", "text", []),
    ("media", "category", "text", [("scheme", URLS), ("label", TEXT)]),
]
COMMON_ITEM = [
    ("dc", "creator", "text", []),
    ("dc", "date", "date", []),
    ("dc", "subject", "text", []),
    ("dc", "title", "text", []),
    ("dc", "description", "text", []),
    ("dcterms", "modified", "date", []),
    ("dcterms", "issued", "date", []),
    ("content", "encoded", "text", []),
    ("media", "title", "text", [("type", TYPES)]),
    ("media", "description", "text", []),
    ("media", "keywords", "text", [("x", TEXT)]),
    ("media", "content", children(MEDIA_INSIDE), [("url", URLS), ("medium", TEXT)]),
    ("media", "group", children([*MEDIA_INSIDE, ("media", "content", "empty", [])]), []),
    ("itunes", "summary", "text", []),
    ("itunes", "author", "text", []),
    ("itunes", "keywords", "text", []),
    ("itunes", "category", "empty", [("text", TEXT)]),
    ("atom", "link", "empty", [("rel", REL), ("href", URLS), ("type", LINK_TYPES)]),
    ("atom", "updated", "date", []),
    ("atom", "author", children(PERSON), []),
    ("ex", "title", "text", []),
    ("ex", "link", "url", []),
    ("ex", "foo", "text", [("bar", TEXT)]),
    ("ex", "wrap", children([("ex", "title", "text", []), ("", "title", "text", [])]), []),
    ("xhtml", "div", children([("xhtml", "p", "text", [])]), []),
    (None, "comments", "url", []),
    (None, "enclosure", "empty", [("url", URLS), ("type", st.just("audio/mpeg"))]),
    (None, "ttl", "text", []),
    (None, "byline", "text", [("x", TEXT)]),
    (None, "keywords", "text", []),
    (None, "tags", "text", []),
    (None, "language", "text", []),
]
RSS_ITEM = [
    (None, "title", "text", []),
    (None, "title", "text", []),
    (None, "link", "url", []),
    (None, "link", "url", []),
    (None, "description", "text", []),
    (None, "description", "text", []),
    (None, "guid", "text", [("isPermaLink", st.sampled_from(["true", "false", "True", ""]))]),
    (None, "guid", "url", [("isPermaLink", st.sampled_from(["true", "false"]))]),
    (None, "pubDate", "date", []),
    (None, "pubDate", "date", []),
    (None, "author", "text", []),
    (None, "category", "text", [("domain", URLS)]),
    (None, "category", "text", []),
    (None, "source", "text", [("url", URLS)]),
    (None, "image", children(IMAGE), []),
    (None, "summary", "text", []),
    (None, "content", "text", [("type", TYPES)]),
    (None, "Title", "text", []),
    *COMMON_ITEM,
]
ATOM_ENTRY = [
    (None, "title", "text", [("type", TYPES)]),
    (None, "title", "text", []),
    (None, "link", "empty", [("rel", REL), ("href", URLS), ("type", LINK_TYPES)]),
    (None, "link", "empty", [("href", URLS)]),
    (None, "link", "url", []),
    (None, "id", "text", []),
    (None, "id", "url", []),
    (None, "published", "date", []),
    (None, "updated", "date", []),
    (None, "issued", "date", []),
    (None, "summary", "text", [("type", TYPES)]),
    (None, "content", "text", [("type", TYPES), ("src", URLS)]),
    (None, "content", "text", [("type", TYPES)]),
    (None, "author", children(PERSON), []),
    (None, "author", children(PERSON), []),
    (None, "contributor", children(PERSON), []),
    (None, "category", "empty", [("term", TEXT), ("label", TEXT), ("scheme", URLS)]),
    (None, "category", "text", [("term", TEXT)]),
    (None, "rights", "text", [("type", TYPES)]),
    (
        None,
        "source",
        children(
            [
                (None, "title", "text", []),
                (None, "id", "text", []),
                (None, "link", "empty", [("rel", REL), ("href", URLS)]),
                (None, "author", children(PERSON), []),
                (None, "category", "empty", [("term", TEXT)]),
                (None, "updated", "date", []),
            ]
        ),
        [],
    ),
    (None, "description", "text", []),
    (None, "guid", "text", [("isPermaLink", st.just("false"))]),
    *COMMON_ITEM,
]
RSS_CHANNEL = [
    (None, "title", "text", []),
    (None, "link", "url", []),
    (None, "description", "text", []),
    (None, "language", "text", []),
    (None, "lastBuildDate", "date", []),
    (None, "generator", "text", []),
    (
        None,
        "image",
        children(IMAGE),
        [],
    ),
    (None, "managingEditor", "text", []),
    (None, "webMaster", "text", []),
    ("dc", "language", "text", []),
    ("dc", "title", "text", []),
    ("atom", "link", "empty", [("rel", REL), ("href", URLS), ("type", LINK_TYPES)]),
    ("itunes", "owner", children(PERSON), []),
    ("itunes", "summary", "text", []),
    ("itunes", "image", "empty", [("href", URLS)]),
    ("media", "title", "text", []),
    ("ex", "foo", "text", []),
]
ATOM_FEED = [
    (None, "title", "text", [("type", TYPES)]),
    (None, "subtitle", "text", []),
    (None, "link", "empty", [("rel", REL), ("href", URLS), ("type", LINK_TYPES)]),
    (None, "link", "empty", [("href", URLS)]),
    (None, "id", "text", []),
    (None, "updated", "date", []),
    (None, "author", children(PERSON), []),
    (None, "language", "text", []),
    (None, "icon", "url", []),
    ("dc", "language", "text", []),
    ("ex", "foo", "text", []),
]
LANGS = st.sampled_from(["fr", "fr_FR", "en-US", "", " de "])
CONTENT_TYPES = st.sampled_from(
    [
        "",
        "application/rss+xml",
        "application/atom+xml; charset=UTF-8",
        "text/xml",
        "text/html; charset=utf-8",
        "application/xml; charset=iso-8859-1",
        "text/plain; charset=windows-1252",
    ]
)
PROLOGS = st.sampled_from(
    [
        '<?xml version="1.0" encoding="utf-8"?>\n',
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<?xml version='1.0'?>\n",
        "",
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n',
        '<?xml version="1.0" encoding="windows-1252"?>\n',
        '\ufeff<?xml version="1.0" encoding="utf-8"?>\n',
        '<?xml version="1.0" encoding="utf-8"?>\n<!-- generated -->\n'
        '<?xml-stylesheet type="text/xsl" href="s.xsl"?>\n',
    ]
)


def declarations(ns: dict, keys: list[str]) -> str:
    return "".join(f" xmlns:{ns[k][0]}={quoteattr(ns[k][1])}" for k in keys)


@st.composite
def feeds(draw: st.DrawFn) -> tuple[bytes, str]:
    ns = draw(namespace_map())
    used = [k for k in NAMESPACES if draw(st.integers(0, 5))]  # the declared namespaces

    def usable(specs: list[tuple]) -> list[tuple]:
        return [spec for spec in specs if spec[0] is None or spec[0] in used]

    lang = draw(LANGS)
    lang_attr = draw(st.sampled_from(["", " xml:lang={}", " lang={}"])).format(quoteattr(lang))
    if draw(st.booleans()):
        version = draw(st.sampled_from(["2.0", "2.0.1", "0.91", "0.92", "1.0", ""]))
        items = draw(st.lists(children(usable(RSS_ITEM), max_size=10), max_size=4))
        head = draw(children(usable(RSS_CHANNEL), max_size=8))
        tail = draw(children(usable(RSS_CHANNEL), max_size=2))
        parts = [draw(element(ns, spec)) for spec in head]
        for item in items:
            inner = "".join(draw(element(ns, spec)) for spec in item)
            if draw(st.integers(0, 15)) == 0:  # an item inside an item
                inner += f"<item>{draw(element(ns, (None, 'title', 'text', [])))}</item>"
            parts.append(f"<item>{inner}</item>\n")
        parts += [draw(element(ns, spec)) for spec in tail]
        # now and then, items or a second channel outside the channel (RSS 1.0 style, broken)
        outside = draw(st.sampled_from(["", "", "", "<item><title>out</title></item>"]))
        if draw(st.integers(0, 15)) == 0:
            outside += "<channel><title>second</title><item><title>2</title></item></channel>"
        doc = (
            f'<rss version="{version}"{declarations(ns, used)}{lang_attr}>\n'
            f"<channel>{''.join(parts)}</channel>{outside}</rss>"
        )
    else:
        entries = draw(st.lists(children(usable(ATOM_ENTRY), max_size=10), max_size=4))
        parts = [draw(element(ns, spec)) for spec in draw(children(usable(ATOM_FEED), 8))]
        for entry in entries:
            inner = "".join(draw(element(ns, spec)) for spec in entry)
            parts.append(f"<entry>{inner}</entry>\n")
        if draw(st.booleans()):
            parts.append(draw(element(ns, draw(st.sampled_from(usable(ATOM_FEED))))))
        doc = (
            f'<feed xmlns="http://www.w3.org/2005/Atom"{declarations(ns, used)}{lang_attr}>\n'
            f"{''.join(parts)}</feed>"
        )
    prolog = draw(PROLOGS)
    text = prolog + doc
    if "ISO-8859-1" in prolog and draw(st.booleans()):
        body = text.encode("iso-8859-1", "xmlcharrefreplace")  # really Latin-1
    else:
        body = text.encode("utf-8")
    return body, draw(CONTENT_TYPES)


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(feeds())
def test_generated_feeds_read_as_feedparser_reads_them(feed: tuple[bytes, str]) -> None:
    body, content_type = feed
    try:
        accepted, _ = assert_same(body, content_type)
    except AssertionError:
        raise
    except Exception:
        # parse_fast.parse turns any error into None; here only one feedparser also
        # stumbles on is allowed
        with pytest.raises(Exception):  # noqa: B017
            parse_feed(body, content_type=content_type, fast=False)
        event("an error in both")
        return
    event("fast path" if accepted else f"feedparser: {decline_reason(body, content_type)}")


def test_generated_feeds_mostly_take_the_fast_path() -> None:
    """The generator above is not a test of declining everything."""
    taken = 0
    examples = []

    @settings(max_examples=150, deadline=None, database=None)
    @given(feeds())
    def collect(feed: tuple[bytes, str]) -> None:
        examples.append(feed)

    collect()
    for body, content_type in examples:
        if fast_reading(body, content_type) is not None:
            taken += 1
    assert taken >= 0.4 * len(examples), (taken, len(examples))


# --- What goes to feedparser ----------------------------------------------------------------

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>T</title><link>https://example.org/</link>
<item><title>One &amp; only</title><link>https://example.org/1</link><guid>g1</guid>
<description>&lt;p&gt;Hello&lt;/p&gt;</description>
<pubDate>Mon, 06 Sep 2021 16:45:00 +0000</pubDate></item></channel></rss>"""


def test_a_plain_rss_feed_takes_the_fast_path() -> None:
    accepted, feed = assert_same(RSS.encode())
    assert accepted
    assert (feed.format, feed.title, len(feed.entries)) == ("rss20", "T", 1)
    assert feed.entries[0].title == "One & only"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            RSS.replace("<rss", '<!DOCTYPE rss [<!ENTITY e "x">]>\n<rss').replace("One", "&e;"),
            "a DOCTYPE",
        ),
        (RSS.replace("<title>T</title>", "<title>T &eacute;</title>"), "malformed XML"),
        (RSS.replace("</channel>", ""), "malformed XML"),
        (RSS.replace("<item>", '<item xml:base="https://example.org/base/">'), "xml:base"),
        (
            RSS.replace("<description>&lt;p&gt;Hello&lt;/p&gt;", "<description><p>Hello</p>"),
            "child",
        ),
        ((FEEDS / "rss1-rdf.xml").read_text(encoding="utf-8"), "not an RSS 2.0/0.9x or Atom 1.0"),
        (RSS.replace("<rss", "<rdf:RDF").replace("</rss>", "</rdf:RDF>"), "malformed XML"),
    ],
)
def test_what_goes_to_feedparser(body: str, reason: str) -> None:
    data = body.encode()
    assert reason in decline_reason(data)
    assert parse_fast.parse(data, headers_for(data)) is None
    assert parse_feed(data) == parse_feed(data, fast=False)


def test_xhtml_content_goes_to_feedparser() -> None:
    body = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><entry><title>E</title>'
        b'<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>x</p></div>'
        b"</content></entry></feed>"
    )
    assert decline_reason(body)
    feed = parse_feed(body)
    assert feed == parse_feed(body, fast=False)
    assert feed.entries[0].content == "<p>x</p>"


@pytest.mark.parametrize(
    "body",
    [
        RSS.replace("utf-8", "x-unknown-charset").encode(),  # feedparser falls back to UTF-8
        RSS.replace("One", "Un été").encode("iso-8859-1"),  # declared UTF-8, really Latin-1
        RSS.replace("utf-8", "utf-16").encode("utf-16"),
        RSS.replace("utf-8", "windows-1251").replace("One", "Один").encode("windows-1251"),
    ],
)
def test_encodings_are_feedparser_s(body: bytes) -> None:
    """The fast path reads the bytes feedparser's own decoding gives (convert_to_utf8)."""
    for content_type in ("", "text/xml", "application/rss+xml; charset=utf-8"):
        assert_same(body, content_type)


@pytest.mark.parametrize("name", sorted(p.name for p in FEEDS.glob("*.xml")))
def test_fixture_feeds(name: str) -> None:
    assert_same((FEEDS / name).read_bytes())


def test_the_entry_cap() -> None:
    item = "<item><title>t{0}</title><guid>g{0}</guid></item>"
    body = RSS.replace("<item>", "".join(item.format(i) for i in range(5003)) + "<item>")
    accepted, feed = assert_same(body.encode())
    assert accepted
    assert len(feed.entries) == 5000
    assert feed.problem == "the feed has 5004 entries; only the first 5000 were read"


# --- feedparser's ways, one by one ------------------------------------------------------------

NS = (
    ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
    ' xmlns:content="http://purl.org/rss/1.0/modules/content/"'
    ' xmlns:media="http://search.yahoo.com/mrss/"'
    ' xmlns:itunes="http://www.itunes.com/DTDs/PodCast-1.0.dtd"'
    ' xmlns:atom="http://www.w3.org/2005/Atom"'
    ' xmlns:ex="http://example.com/ns"'
)


def rss_item(inner: str, channel: str = "<title>Feed</title>", ns: str = NS) -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"{ns}><channel>{channel}'
        f"<item>{inner}</item></channel></rss>"
    ).encode()


def atom_entry(inner: str, feed: str = "<title>Feed</title>") -> bytes:
    return (
        f'<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/">'
        f"{feed}<entry>{inner}</entry></feed>"
    ).encode()


WAYS = {
    "a second description is content": (
        rss_item("<description>first</description><description>&lt;b&gt;2&lt;/b&gt;</description>"),
        {"summary": "first", "content": "<b>2</b>"},
    ),
    "content:encoded before the description": (
        rss_item("<content:encoded>full</content:encoded><description>short</description>"),
        {"summary": "short", "content": "full"},
    ),
    "content:encoded alone is the summary too": (
        rss_item("<content:encoded><![CDATA[<p>full</p>]]></content:encoded>"),
        {"summary": "<p>full</p>", "content": "<p>full</p>"},
    ),
    "the first title wins": (
        rss_item("<title>one</title><title>two</title>"),
        {"title": "one"},
    ),
    "a source lets a later title win": (
        rss_item('<title>one</title><source url="https://s.example/">S</source><title>two</title>'),
        {"title": "two"},
    ),
    "an empty title after a title": (
        rss_item("<title>one</title><title></title>"),
        {"title": "one"},
    ),
    "media:title is not the title": (
        rss_item("<media:title>media</media:title><title>real</title>"),
        {"title": "real"},
    ),
    "media:title when there is no title": (
        rss_item("<media:group><media:title>media</media:title></media:group>"),
        {"title": "media"},
    ),
    "ex:title is not the title": (
        rss_item("<ex:title>not me</ex:title><title>me</title>"),
        {"title": "me"},
    ),
    "a permalink guid is the link": (
        rss_item("<guid>https://example.org/p/1</guid>"),
        {"link": "https://example.org/p/1", "guid": "https://example.org/p/1"},
    ),
    "a guid that is not a permalink": (
        rss_item('<guid isPermaLink="false">abc-1</guid>'),
        {"link": "", "guid": "abc-1"},
    ),
    "isPermaLink is case-sensitive": (
        rss_item('<guid isPermaLink="True">abc-2</guid>'),
        {"link": "", "guid": "abc-2"},
    ),
    "the link element wins over the guid": (
        rss_item("<guid>https://example.org/g</guid><link>https://example.org/l</link>"),
        {"link": "https://example.org/l"},
    ),
    "query strings in links": (
        rss_item("<link>https://example.org/?a=1&amp;amp;b=2&amp;c;=3</link>"),
        {"link": "https://example.org/?a=1&b=2&c=3"},
    ),
    "an RSS author keeps its email": (
        rss_item("<author>jo@example.org (Jo Doe)</author>"),
        {"author": "jo@example.org (Jo Doe)"},
    ),
    "dc:creator after author": (
        rss_item("<author>jo@example.org</author><dc:creator>Jo Doe</dc:creator>"),
        {"author": "Jo Doe"},
    ),
    "an empty dc:creator after author": (
        rss_item("<author>Jo</author><dc:creator/>"),
        {"author": ""},
    ),
    "categories": (
        rss_item(
            '<category domain="d">A</category><category domain="d">A</category>'
            "<category>B</category><category>B</category><dc:subject>C</dc:subject>"
            "<media:keywords>k1, k2,,k3</media:keywords><keywords>K</keywords>"
        ),
        {"categories": ("A", "A", "B", "C", "k1", "k2", "k3", "K")},
    ),
    "dates": (
        rss_item(
            "<pubDate>Mon, 06 Sep 2021 16:45:00 +0200</pubDate>"
            "<dc:date>2021-09-07T10:00:00Z</dc:date>"
        ),
        {
            "published": datetime(2021, 9, 6, 14, 45, tzinfo=UTC),
            "updated": datetime(2021, 9, 7, 10, 0, tzinfo=UTC),
        },
    ),
    "UTF-8 read as Latin-1": (rss_item("<title>Ã©tÃ©</title>"), {"title": "été"}),
    "C1 controls as windows-1252": (
        rss_item("<title>&#150; Ã©tÃ© \x92</title>"),
        {"title": "– Ã©tÃ© ’"},  # not all Latin-1: no repair
    ),
    "upper-case names": (
        rss_item("<Title>Up</Title><LINK>https://example.org/up</LINK>"),
        {"title": "Up", "link": "https://example.org/up"},
    ),
    "dc bound to another namespace is still read as dc": (
        rss_item("<dc:creator>Who</dc:creator>", ns=' xmlns:dc="http://example.com/not-dc"'),
        {"author": "Who"},
    ),
    "a feed title after the items": (
        rss_item("<title>item</title>", channel="").replace(
            b"</item>", b"</item><title>late</title>"
        ),
        {},
    ),
    "Atom: an id and no alternate link": (
        atom_entry('<id>https://example.org/id</id><link rel="self" href="https://x/s"/>'),
        {"link": "https://example.org/id", "guid": "https://example.org/id"},
    ),
    "Atom: the last alternate link": (
        atom_entry(
            '<link href="https://x/1"/><link rel="alternate" type="application/xhtml+xml" '
            'href="https://x/2"/><link rel="related" href="https://x/3"/>'
            '<link rel="alternate" type="image/png" href="https://x/4"/>'
        ),
        {"link": "https://x/2"},
    ),
    "Atom: author name and email": (
        atom_entry("<author><name>Jo</name><email>jo@example.org</email></author>"),
        {"author": "Jo (jo@example.org)"},
    ),
    "Atom: an author without a name": (
        atom_entry("<author>Loose text<uri>https://jo.example/</uri></author>"),
        {"author": "Loose text"},
    ),
    "Atom: summary and html content": (
        atom_entry('<summary>s</summary><content type="html">&lt;p&gt;c&lt;/p&gt;</content>'),
        {"summary": "s", "content": "<p>c</p>"},
    ),
    "Atom: text content is the summary": (
        atom_entry("<content>plain</content>"),
        {"summary": "plain", "content": "plain"},
    ),
    "Atom: category term and label": (
        atom_entry('<category term="t"/><category label="L"/><category term="t"/>'),
        {"categories": ("t", "L")},
    ),
    "Atom: the source's title is not the entry's": (
        atom_entry("<source><title>S</title></source><title>E</title>"),
        {"title": "E"},
    ),
}


@pytest.mark.parametrize("way", list(WAYS))
def test_feedparser_ways(way: str) -> None:
    body, expected = WAYS[way]
    accepted, feed = assert_same(body)
    assert accepted, decline_reason(body)
    for field, value in expected.items():
        assert getattr(feed.entries[0], field) == value, field


def test_feed_language_and_title() -> None:
    body = (
        b'<rss version="2.0" xml:lang="en_GB"><channel><title>T</title>'
        b"<item><title>i</title></item><title>Late</title></channel></rss>"
    )
    accepted, feed = assert_same(body)
    assert accepted
    assert (feed.language, feed.title) == ("en-GB", "Late")
    body = body.replace(b"<channel>", b"<channel><language>fr</language>")
    accepted, feed = assert_same(body)
    assert accepted
    assert feed.language == "fr"


DC = "http://purl.org/dc/elements/1.1/"
NAMESPACE_TRAPS = {
    # (declarations on <rss>, item content, whether the fast path may take it)
    "dc under another prefix": (f' xmlns:d="{DC}"', "<d:creator>A</d:creator>", True),
    "an unknown namespace under dc": (
        ' xmlns:dc="http://example.com/x"',
        "<dc:creator>A</dc:creator>",
        True,
    ),
    "an unknown namespace under dc, and dc under d": (
        f' xmlns:dc="http://example.com/x" xmlns:d="{DC}"',
        "<dc:creator>A</dc:creator><d:creator>B</d:creator>",
        False,
    ),
    "media under dc's prefix, and dc": (
        f' xmlns:dc="http://search.yahoo.com/mrss/" xmlns:d="{DC}"',
        "<dc:title>M</dc:title><d:creator>B</d:creator>",
        False,
    ),
    "creativeCommons under cc (medium.com)": (
        ' xmlns:cc="http://cyber.law.harvard.edu/rss/creativeCommonsRssModule.html"',
        "<title>t</title>",
        True,
    ),
    "a prefix bound twice": (
        ' xmlns:ex="http://example.com/1"',
        '<ex:a>1</ex:a><ex:b xmlns:ex="http://example.com/2">2</ex:b>',
        False,
    ),
    "an unknown default namespace inside": (
        "",
        '<wrap xmlns="http://example.com/1"><title>inner</title></wrap><title>t</title>',
        False,
    ),
    "the RSS 1.0 namespace inside": (
        "",
        '<x:title xmlns:x="http://purl.org/rss/1.0/">t</x:title>',
        False,
    ),
    "the Atom namespace inside": (
        "",
        '<a:link xmlns:a="http://www.w3.org/2005/Atom" href="https://x/"/>',
        True,
    ),
    "prefixes differing in case": (
        ' xmlns:Ex="http://example.com/1" xmlns:ex="http://example.com/2"',
        "<Ex:a>1</Ex:a><ex:a>2</ex:a>",
        False,
    ),
}


@pytest.mark.parametrize("trap", list(NAMESPACE_TRAPS))
def test_namespace_traps(trap: str) -> None:
    declarations, inner, takes = NAMESPACE_TRAPS[trap]
    body = rss_item(inner, ns=declarations)
    accepted, _ = assert_same(body)
    assert accepted == takes, decline_reason(body)

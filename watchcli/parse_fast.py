"""A fast reading of plain, well-formed RSS and Atom, equal to feedparser's. Pure: no I/O.

feedparser reads a feed through SAX: a Python callback for every element and for every chunk
of text (expat splits text at each line and entity), and costs about 1 ms an entry. Here the
body is parsed by ElementTree (C expat, the same library), then walked once, and each element
is handed to feedparser's own element handlers (`_start_title`, `_end_category`, ... of
`feedparser.mixin._FeedParserMixin`): what an element means is feedparser's code, not a copy.
Only the plumbing around the handlers is ours: element and attribute naming, text
accumulation, and `pop`, the one place that turns accumulated text into a value, written for
the documents accepted here.

`parse` returns the part of feedparser's result that `parse.py` reads (`version`, `feed`,
`entries`, `bozo`, `bozo_exception`), or None: "not for me, ask feedparser". It declines,
among others:

- bodies feedparser could not decode (it is given the same bytes: feedparser's own
  `convert_to_utf8` decodes them), any `<!DOCTYPE` or `<!ENTITY`, and malformed XML (feedparser
  then reads it with its loose parser and reports the problem);
- roots other than RSS `<rss>` without namespace and Atom 1.0 `<feed>`;
- `xml:base` (or a `base` attribute), xhtml or base64 content, child elements inside a text
  element (inline markup that feedparser serialises), text inputs, GeoRSS GML, PSC chapters;
- namespace declarations whose reading by feedparser would depend on their order (a prefix
  bound twice, an unknown default namespace, a prefix that collides with feedparser's own);
- elements feedparser has no handler for whose name collides with a key feedparser's handlers
  or `parse.py` read.

tests/test_parse_fast.py checks the result against feedparser on the shared corpus and on
generated adversarial feeds.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from typing import Any

try:  # feedparser internals: when a release moves them, the fast path just stays off
    from feedparser.encodings import convert_to_utf8
    from feedparser.exceptions import CharacterEncodingOverride, NonXMLContentType
    from feedparser.html import _cp1252
    from feedparser.mixin import _FeedParserMixin
    from feedparser.urls import _urljoin
    from feedparser.util import FeedParserDict
except ImportError:  # pragma: no cover
    AVAILABLE = False
    _FeedParserMixin = object  # type: ignore[assignment,misc]
else:
    AVAILABLE = True

__all__ = ["AVAILABLE", "parse"]

_ATOM = "http://www.w3.org/2005/Atom"
_XLINK = "http://www.w3.org/1999/xlink"
_AMP_REF = re.compile("&([A-Za-z0-9_]+);")
_C1 = re.compile("[\x80-\x9f]")


def _utf8_read_as_latin1(s: str) -> str:
    """pop()'s repair of "Ã©" into "é" (text that is UTF-8 read as ISO-8859-1)."""
    try:
        return s.encode("iso-8859-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return s


class _Decline(Exception):
    """The body is not one this module reads like feedparser: let feedparser read it."""


if AVAILABLE:
    # namespace URI (lower case) -> feedparser's prefix for it ("" for RSS and Atom ones)
    _MATCH: dict[str, str] = {k.lower(): v for k, v in _FeedParserMixin.namespaces.items()}
    _STD_PREFIXES = frozenset(v.lower() for v in _MATCH.values() if v)
    _RELATIVE = frozenset(_FeedParserMixin.can_be_relative_uri)
    _looks_like_html = _FeedParserMixin.looks_like_html
    _KEYMAP = FeedParserDict.keymap
    _HARMLESS = (CharacterEncodingOverride, NonXMLContentType)

# Handled elements that may hold child elements: every other one must hold text only (a child
# inside a text element is inline markup, which feedparser serialises, or a broken document).
_CONTAINERS = frozenset(
    {
        "rss",
        "channel",
        "feed",
        "item",
        "entry",
        "image",
        "source",
        "author",
        "managingeditor",
        "dc_author",
        "dc_creator",
        "itunes_author",
        "contributor",
        "itunes_owner",
        "itunes_category",
        "media_group",
        "media_content",
    }
)
# Handlers used as feedparser wrote them: the containers above and these. Elements whose
# handler is not listed here or in _PLAIN_HANDLERS make the body declined.
_HANDLED = _CONTAINERS | frozenset(
    {
        # people
        "dc_contributor",
        "name",
        "itunes_name",
        "email",
        "itunes_email",
        "url",
        "uri",
        "homepage",
        "webmaster",
        "dc_publisher",
        # text
        "title",
        "dc_title",
        "media_title",
        "link",
        "guid",
        "id",
        "description",
        "dc_description",
        "media_description",
        "abstract",
        "summary",
        "itunes_summary",
        "content",
        "content_encoded",
        "fullitem",
        "subtitle",
        "tagline",
        "itunes_subtitle",
        "rights",
        "copyright",
        "dc_rights",
        "info",
        "feedburner_browserfriendly",
        "language",
        "dc_language",
        "generator",
        "newlocation",
        # dates
        "published",
        "issued",
        "pubdate",
        "dcterms_issued",
        "updated",
        "modified",
        "lastbuilddate",
        "dc_date",
        "dcterms_modified",
        "created",
        "dcterms_created",
        "expirationdate",
        "dcterms_valid",
        # categories
        "category",
        "keywords",
        "dc_subject",
        "media_category",
        "tags",
        "itunes_keywords",
        "media_keywords",
        # the rest
        "cloud",
        "enclosure",
        "cc_license",
        "width",
        "height",
        "georss_point",
        "georss_line",
        "georss_polygon",
        "georss_box",
        "itunes_image",
        "itunes_link",
        "itunes_block",
        "itunes_explicit",
        "media_thumbnail",
        "media_rating",
        "media_restriction",
        "media_license",
        "media_credit",
        "media_player",
    }
)
# Names an element without a handler must not have: feedparser stores its text under that
# name, where its handlers or parse.py would read it.
_RESERVED = frozenset(
    {
        "title",
        "link",
        "links",
        "id",
        "guid",
        "guidislink",
        "summary",
        "description",
        "subtitle",
        "content",
        "author",
        "authors",
        "contributors",
        "publisher",
        "publishers",
        "tags",
        "category",
        "language",
        "published",
        "updated",
        "created",
        "expired",
        "image",
        "textinput",
        "source",
        "where",
        "href",
        "url",
        "license",
        "rights",
        "info",
        "generator",
        "cloud",
        "newlocation",
        "feed",
        "entries",
        "version",
        "namespaces",
        "encoding",
        "bozo",
        "bozo_exception",
        "headers",
        "psc_chapters",
    }
)


def _reserved(key: str) -> bool:
    return key in _RESERVED or key in _KEYMAP or key.endswith(("_detail", "_parsed"))


class _Reader(_FeedParserMixin):  # type: ignore[misc,valid-type]
    """feedparser's handlers, driven by an ElementTree walk instead of SAX callbacks."""

    def __init__(self) -> None:
        # What _StrictFeedParser sets before the mixin's __init__ (no Content-Location, no
        # Content-Language: parse.py passes neither).
        self.baseuri = ""
        self.lang = None
        self.encoding = "utf-8"
        self.resolve_relative_uris = False
        self.sanitize_html = False
        super().__init__()
        # element tag as ElementTree spells it -> (feedparser's key, no prefix?, start, end)
        self._tags: dict[str, tuple[str, bool, Any, Any]] = {}

    # --- Namespaces and names ---------------------------------------------------------------

    @staticmethod
    def check_declarations(declarations: list[tuple[str, str]]) -> None:
        """Decline namespace declarations feedparser would read differently by their order."""
        bound: dict[str, str] = {}
        lower: dict[str, str] = {}
        # Element names are lower-cased, prefix included, before feedparser maps the prefix.
        known_prefixes: set[str] = set()  # feedparser's prefixes of the declared namespaces
        unknown_prefixes: set[str] = set()
        remapped: set[str] = set()  # a known namespace's prefix, bound to another known one
        for prefix, uri in declarations:
            if not uri:
                continue  # xmlns="": feedparser ignores it
            # The default namespace may change (to a known one: checked below): elements in
            # known namespaces are named by feedparser's prefix for it, not by the document's.
            if bound.setdefault(prefix, uri) != uri and prefix:
                raise _Decline("a prefix bound to two namespaces")
            if lower.setdefault(prefix.lower(), prefix) != prefix:
                raise _Decline("prefixes differing in case only")
            if "}" in uri or len(uri.split()) != 1:  # SAX splits names at spaces, ET at "}"
                raise _Decline("a namespace with a space or a brace")
            luri = uri.lower()
            if "backend.userland.com/rss" in luri or uri == _XLINK:
                raise _Decline("a namespace feedparser special-cases")
            std = _MATCH.get(luri)
            if std is None:
                if not prefix:
                    raise _Decline("an unknown default namespace")
                unknown_prefixes.add(prefix.lower())
            else:
                if std:
                    known_prefixes.add(std.lower())
                if prefix and prefix != std and prefix in _STD_PREFIXES:
                    remapped.add(prefix)
        if unknown_prefixes & known_prefixes:
            raise _Decline("an unknown namespace under a prefix feedparser knows")
        if remapped & known_prefixes:
            raise _Decline("a known namespace under another known namespace's prefix")

    def _tag(self, tag: str) -> tuple[str, bool, Any, Any]:
        """feedparser's name for an element (as _StrictFeedParser and unknown_starttag make it)."""
        info = self._tags.get(tag)
        if info is not None:
            return info
        if tag[:1] == "{":
            uri, local = tag[1:].split("}", 1)
            std = _MATCH.get(uri.lower())
            if std is None:
                prefix = next(
                    (n for n, v in self.namespaces_in_use.items() if n and v == uri), None
                )
                if prefix is None:
                    raise _Decline("an element in an undeclared namespace")
            else:
                prefix = std
        else:
            prefix, local = "", tag
        prefix = prefix.lower()
        prefix = self.namespacemap.get(prefix, prefix)
        local = local.lower()
        key = f"{prefix}_{local}" if prefix else local
        if key in _HANDLED:
            start = getattr(type(self), "_start_" + key, None)
            end = getattr(type(self), "_end_" + key, None)
        elif hasattr(self, "_start_" + key) or hasattr(self, "_end_" + key):
            raise _Decline(f"<{key}> (a feedparser handler not vetted here)")
        else:
            if _reserved(key):
                raise _Decline(f"<{key}> (an unhandled element with a reserved name)")
            start = end = None
        info = (key, not prefix, start, end)
        self._tags[tag] = info
        return info

    @staticmethod
    def _attrs(attrib: dict[str, str]) -> dict[str, str]:
        """Attributes as feedparser names them: lower case, known prefixes, rel/type lowered."""
        attrs = {}
        for name, value in attrib.items():
            if name[:1] == "{":
                uri, local = name[1:].split("}", 1)
                std = _MATCH.get(uri.lower(), "")
                name = f"{std}:{local}" if std else local
            name = name.lower()
            attrs[name] = value.lower() if name in ("rel", "type") else value
        if "xml:base" in attrs or "base" in attrs:
            raise _Decline("xml:base")
        return attrs

    # --- The walk ---------------------------------------------------------------------------

    def read_root(self, root: ET.Element) -> None:
        if root.tag not in ("rss", f"{{{_ATOM}}}feed"):
            raise _Decline("not an RSS 2.0/0.9x or Atom 1.0 root")
        attrs = self._attrs(root.attrib) if root.attrib else {}
        lang = attrs.get("xml:lang", attrs.get("lang"))
        if lang:  # unknown_starttag: xml:lang on <rss>/<feed> is the feed's language
            self.feeddata["language"] = lang.replace("_", "-")
        self.lang = lang or None
        self.walk(root)

    def walk(self, el: ET.Element) -> None:
        """unknown_starttag, the text, the children, unknown_endtag: as SAX would call them."""
        tag = el.tag
        key, bare, start, end = self._tags.get(tag) or self._tag(tag)
        if bare:  # unknown_starttag's "special hack" for image and textinput elements
            if key not in ("title", "link", "description", "name"):
                self.intextinput = 0
            if key not in ("title", "link", "description", "url", "href", "width", "height"):
                self.inimage = 0
        if self.incontent:
            raise _Decline("an element inside a text element")
        attrib = el.attrib
        if start is None and end is None and not attrib and not len(el):
            # The most common element: no handler, no attribute, no child. feedparser pushes
            # it, gives it its text and pops it, storing the text under a name nothing reads
            # (see _reserved): nothing that matters changes.
            return
        self.depth += 1
        attrs = self._attrs(attrib) if attrib else {}
        if start is not None:
            if len(el) and key not in _CONTAINERS:
                raise _Decline(f"child elements in <{key}>")
            if key in ("rss", "feed") and self.depth > 1:
                raise _Decline("a nested feed")
            try:
                start(self, attrs)
            except AttributeError:  # unknown_starttag falls back to the default handling
                self._unknown_start(key, attrs)
        elif end is not None and len(el):
            raise _Decline(f"child elements in <{key}>")
        else:
            self._unknown_start(key, attrs)
        stack = self.elementstack
        if el.text and stack:
            stack[-1][2].append(el.text)
        for child in el:
            self.walk(child)
            if child.tail and stack:
                stack[-1][2].append(child.tail)
        if end is not None:
            try:
                end(self)
            except AttributeError:  # unknown_endtag falls back to pop()
                self.pop(key)
        elif start is None:
            # no handler: feedparser pops it and stores its text under a name nothing reads
            if stack and stack[-1][0] == key:
                stack.pop()
        else:
            self.pop(key)
        self.depth -= 1

    def _unknown_start(self, key: str, attrs: dict[str, str]) -> None:
        if not attrs:
            self.push(key, 1)
        else:
            self._get_context()[key] = attrs

    # --- feedparser's plumbing, for the documents accepted here -------------------------------

    def push_content(
        self, tag: str, attrs_d: dict[str, str], default_content_type: str, expecting_text: Any
    ) -> None:
        ctype = self.map_content_type(attrs_d.get("type", default_content_type))
        if ctype == "application/xhtml+xml":
            raise _Decline("xhtml content")
        if attrs_d.get("mode", "") == "base64" or not (
            ctype.startswith("text/") or ctype.endswith(("+xml", "/xml"))
        ):
            raise _Decline("base64 content")
        self.incontent += 1
        self.contentparams = {"type": ctype}
        self.push(tag, expecting_text)

    def pop(self, element: str, strip_whitespace: Any = 1) -> str | None:
        """_FeedParserMixin.pop without what cannot happen here (xhtml, base64, xml:base)."""
        stack = self.elementstack
        if not stack or stack[-1][0] != element:
            return None
        _, expecting_text, pieces = stack.pop()
        output = "".join(pieces)
        if strip_whitespace:
            output = output.strip()
        if not expecting_text:
            return output
        params = self.contentparams
        if element in _RELATIVE and output and (element != "id" or self.guidislink):
            output = _urljoin(self.baseuri or "", output)
        if (
            not self.version.startswith("atom")
            and params.get("type") == "text/plain"
            and _looks_like_html(output)
        ):
            params["type"] = "text/html"
        output = _utf8_read_as_latin1(output)
        if _C1.search(output):  # str.translate is slow: most text has no C1 character
            output = output.translate(_cp1252)
        if element in ("category", "tags", "itunes_keywords"):
            return output
        if element == "title" and -1 < self.title_depth <= self.depth:
            return output
        if self.inentry and not self.insource:
            entry = self.entries[-1]
            if element == "content":
                entry.setdefault(element, [])
                entry[element].append({**params, "value": output})
            elif element == "link":
                if not self.inimage:
                    output = _AMP_REF.sub(r"&\g<1>", output.replace("&amp;", "&"))
                    entry[element] = output
                    if output:
                        entry["links"][-1]["href"] = output
            else:
                if element == "description":
                    element = "summary"
                depths = self.property_depth_map.setdefault(entry, {})
                old_depth = depths.get(element)
                if old_depth is None or self.depth <= old_depth:
                    depths[element] = self.depth
                    entry[element] = output
                if self.incontent:
                    entry[element + "_detail"] = {**params, "value": output}
        elif self.infeed or self.insource:
            context = self._get_context()
            if element == "description":
                element = "subtitle"
            context[element] = output
            if element == "link":
                output = _AMP_REF.sub(r"&\g<1>", output)
                context[element] = output
                context["links"][-1]["href"] = output
            elif self.incontent:
                context[element + "_detail"] = {**params, "value": output}
        return output


def _read(body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    """feedparser's result for `body`, or _Decline. Exceptions other than _Decline are bugs or
    documents feedparser itself would stumble on."""
    result: dict[str, Any] = {}
    data = convert_to_utf8(headers, body, result)
    exc = result.get("bozo_exception")
    if not result.get("encoding") or (exc is not None and not isinstance(exc, _HARMLESS)):
        raise _Decline("undecodable")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise _Decline("a DOCTYPE")
    declarations: list[tuple[str, str]] = []
    try:
        events = ET.iterparse(io.BytesIO(data), events=("start-ns",))
        declarations.extend(value for _, value in events)
    except ET.ParseError as e:
        raise _Decline("malformed XML") from e
    root = events.root
    _Reader.check_declarations(declarations)
    reader = _Reader()
    for prefix, uri in declarations:
        if uri:
            reader.track_namespace(prefix or None, uri)
    # feedparser meets the declarations of the root before the root, the others after it: an
    # RSS 1.0 or 0.90 namespace declared inside an RSS 2.0 feed would leave its version to
    # where it is declared.
    if root.tag == "rss" and reader.version in ("rss10", "rss090"):
        raise _Decline("an RSS 1.0 namespace in an RSS feed")
    reader.read_root(root)
    return {
        "bozo": exc is not None,
        "bozo_exception": exc,
        "version": reader.version,
        "feed": reader.feeddata,
        "entries": reader.entries,
    }


def parse(body: bytes, headers: dict[str, str]) -> dict[str, Any] | None:
    """What `feedparser.parse(io.BytesIO(body), response_headers=headers, sanitize_html=False,
    resolve_relative_uris=False)` gives for the keys parse.py reads, or None to ask it."""
    if not AVAILABLE:
        return None
    try:
        return _read(body, headers)
    except _Decline:
        return None
    except Exception:  # a document feedparser may well stumble on too: let it say so
        return None

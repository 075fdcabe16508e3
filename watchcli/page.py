"""Pages without a feed: an HTML page and CSS selectors in, the same entries as a feed out.

Pure: no I/O, no logging; `read_page` runs in the fetch's worker processes, like `read_feed`.
A page source names a repeated block (`item`) and, inside each block, where its title, link,
date and summary are (README, "Pages without a feed"). Each block becomes a `RawEntry`, so a
page's entries then take the feed's road: `normalize_entry`, matching, rules, tags, assignment.

Invariants:
- the page is parsed by a real HTML5 parser (selectolax, on the Lexbor engine), and script,
  style, template and noscript contents are gone before anything is selected;
- title and summary are handed on as HTML fragments, so they are cleaned exactly as a feed's
  HTML is (escape sequences, control characters, Rich markup taken literally);
- links resolve against the page URL (or its `<base href>`); a block without a title or an
  http(s) link is skipped and counted;
- a page where the item selector matches nothing, or where no block has both a title and a
  link, is a failure naming the selector (`format=""`), never a quiet run with 0 entries.

`page_skeleton(url, html=…)` writes the `[[sources]]` table of a page to fill in, with
selectors guessed from what repeats on the page (`guess_selectors`), for `sources add`.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from email.message import Message
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from watchcli.config import PageSelectors, Pick
from watchcli.dates import read_page_date
from watchcli.models import FeedContent, ParsedFeed, RawEntry
from watchcli.normalize import canonical_url, normalize_entry
from watchcli.text import clean_text, fold, truncate

__all__ = [
    "PAGE_FORMAT",
    "decode_page",
    "guess_selectors",
    "page_skeleton",
    "parse_page",
    "read_page",
    "selector_problem",
]

PAGE_FORMAT = "page"
MAX_ENTRIES = 5000
MAX_PROBLEM = 300
MAX_TITLE_HTML = 20_000
MAX_SUMMARY_HTML = 200_000
_REMOVED_TAGS = ["script", "style", "template", "noscript"]
_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_LATIN_CHARSETS = frozenset(
    {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "windows-1252", "cp1252", "us-ascii"}
)
# A probe document: selectolax compiles a selector only when it is used on a tree.
_PROBE = LexborHTMLParser("<p></p>")


def selector_problem(css: str) -> str | None:
    """Why `css` is not a CSS selector Lexbor can use, or None when it is."""
    if not css.strip():
        return "empty selector"
    try:
        _PROBE.css(css)
    except SelectolaxError:
        return "the HTML parser cannot read it (check brackets, quotes and pseudo-classes)"
    return None


# --- Bytes to text ----------------------------------------------------------------------------


def _declared(body: bytes, content_type: str) -> list[str]:
    """The charsets the server (first) and the page declare, lower-cased."""
    found = []
    msg = Message()
    msg["content-type"] = content_type
    header = msg.get_param("charset") if content_type.strip() else None
    if isinstance(header, str) and header.strip():
        found.append(header.strip().lower())
    if m := _META_CHARSET_RE.search(body[:4096]):
        found.append(m.group(1).decode("ascii").lower())
    return found


def decode_page(body: bytes, content_type: str = "") -> str:
    """The page as text. Valid UTF-8 wins over a claim of UTF-8, Latin-1 or windows-1252
    (servers often claim one for the other); else the declared charsets are tried, server's
    first; else windows-1252, the usual charset of old French sites. Never raises."""
    declared = _declared(body, content_type)
    first = declared[0] if declared else "utf-8"
    if first.replace("_", "-") in ("utf-8", "utf8") or first in _LATIN_CHARSETS:
        try:
            return body.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
    for charset in declared:
        try:
            return body.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("windows-1252", "replace")


# --- Selecting --------------------------------------------------------------------------------


def _node(block: LexborNode, pick: Pick) -> LexborNode | None:
    # Lexbor's `css` on a node also matches the node itself: `a@href` on a block that is an
    # <a> reads the block's own link.
    return block if not pick.css else block.css_first(pick.css)


def _html(block: LexborNode, pick: Pick | None, limit: int) -> str:
    """The value a title or summary selector picks, as an HTML fragment ("" when absent)."""
    if pick is None:
        return ""
    node = _node(block, pick)
    if node is None:
        return ""
    if pick.attribute:
        value = node.attributes.get(pick.attribute) or ""
        # An attribute holds text: escape it so that its "<" stays text in the HTML cleaner.
        return value.replace("&", "&amp;").replace("<", "&lt;")[:limit]
    return (node.inner_html or "")[:limit]


def _link(block: LexborNode, pick: Pick) -> str:
    node = _node(block, pick)
    if node is None:
        return ""
    if pick.attribute:
        return node.attributes.get(pick.attribute) or ""
    if node.attributes.get("href"):
        return node.attributes.get("href") or ""
    inner = node.css_first("a[href]")
    return (inner.attributes.get("href") or "") if inner is not None else ""


def _date_text(block: LexborNode, pick: Pick | None) -> str:
    if pick is None:
        return ""
    node = _node(block, pick)
    if node is None:
        return ""
    if pick.attribute:
        return node.attributes.get(pick.attribute) or ""
    time = node if node.tag == "time" else node.css_first("time[datetime]")
    if time is not None and (time.attributes.get("datetime") or "").strip():
        return time.attributes.get("datetime") or ""
    return node.text(separator=" ") or ""


def _absolute(link: str, base: str) -> str:
    """`link` resolved against `base`; "" unless it is an http(s) URL."""
    link = clean_text(link).replace(" ", "%20")
    if not link:
        return ""
    try:
        resolved = urljoin(base, link) if base else link
        return resolved if urlsplit(resolved).scheme.lower() in ("http", "https") else ""
    except ValueError:
        return ""


def _base_url(tree: LexborHTMLParser, url: str) -> str:
    base = tree.css_first("base[href]")
    href = (base.attributes.get("href") or "").strip() if base is not None else ""
    return (_absolute(href, url) or url) if href else url


def _short(message: str) -> str:
    return truncate(clean_text(message), MAX_PROBLEM)


def _describe(pick: Pick) -> str:
    return (pick.css or "") + (f"@{pick.attribute}" if pick.attribute else "")


def parse_page(body: bytes, *, content_type: str, url: str, selectors: PageSelectors) -> ParsedFeed:
    """The entries `selectors` find on an HTML page; see the module docstring. Never raises on
    a hostile or broken page; a page where nothing is found gives `format=""` and a problem."""
    tree = LexborHTMLParser(decode_page(body, content_type))
    tree.strip_tags(_REMOVED_TAGS)
    base = _base_url(tree, url)
    page_key = canonical_url(url)
    blocks = tree.css(selectors.item)
    if not blocks:
        return ParsedFeed(
            format="",
            problem=_short(
                f"page: the item selector '{selectors.item}' matches nothing (the site "
                "changed?); tune it with `watchcli sources check --source ID`"
            ),
        )
    entries: list[RawEntry] = []
    incomplete = undated = 0
    for block in blocks[:MAX_ENTRIES]:
        title = _html(block, selectors.title, MAX_TITLE_HTML)
        link = _absolute(_link(block, selectors.link), base)
        if not link or not clean_text(title):
            incomplete += 1
            continue
        date_text = _date_text(block, selectors.date)
        published = read_page_date(date_text)
        if selectors.date is not None and published is None:
            undated += 1
        guid = ""
        if canonical_url(link) == page_key:
            # Blocks that all link to the page itself (a table of calls without pages of their
            # own): the link cannot tell them apart, their title does.
            text = f"{page_key}\n{fold(clean_text(title))}".encode()
            guid = "sha1:" + hashlib.sha1(text, usedforsecurity=False).hexdigest()
        entries.append(
            RawEntry(
                title=title,
                link=link,
                guid=guid,
                summary=_html(block, selectors.summary, MAX_SUMMARY_HTML),
                published=published,
            )
        )
    if not entries:
        return ParsedFeed(
            format="",
            problem=_short(
                f"page: none of the {len(blocks)} blocks matched by '{selectors.item}' has both "
                f"a title ('{_describe(selectors.title)}') and a link "
                f"('{_describe(selectors.link)}') (the site changed?)"
            ),
        )
    problems = []
    if incomplete:
        problems.append(
            f"{incomplete} of {len(blocks)} blocks skipped: no title "
            f"('{_describe(selectors.title)}') or no link ('{_describe(selectors.link)}')"
        )
    if undated and selectors.date is not None:
        problems.append(
            f"{undated} of {len(entries)} entries without a readable date "
            f"('{_describe(selectors.date)}'): dated when first seen"
        )
    if len(blocks) > MAX_ENTRIES:
        problems.append(f"{len(blocks)} blocks; only the first {MAX_ENTRIES} were read")
    title_node = tree.css_first("title")
    html_node = tree.css_first("html")
    return ParsedFeed(
        format=PAGE_FORMAT,
        title=title_node.text() if title_node is not None else "",
        link=url,
        language=(html_node.attributes.get("lang") or "") if html_node is not None else "",
        entries=tuple(entries),
        problem=_short("; ".join(problems)) if problems else None,
    )


def read_page(
    body: bytes, content_type: str, url: str, seen_at: datetime, selectors: PageSelectors
) -> FeedContent:
    """Parse and normalise a fetched page, as `read_feed` does a feed. Never raises."""
    try:
        parsed = parse_page(body, content_type=content_type, url=url, selectors=selectors)
        return FeedContent(
            format=parsed.format,
            title=truncate(clean_text(parsed.title), 500),
            language=clean_text(parsed.language).replace("_", "-").lower()[:35],
            problem=parsed.problem,
            entries=tuple(
                normalize_entry(raw, feed_url=url, seen_at=seen_at) for raw in parsed.entries
            ),
        )
    except Exception as exc:  # a bug or a parser crash on one page must not stop the run
        return FeedContent(format="", problem=f"could not read the page: {type(exc).__name__}")


# --- A skeleton to fill in --------------------------------------------------------------------

_SLUG_RE = re.compile(r"[^a-z0-9]+")


def _source_id(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "page").lower().removeprefix("www.")
    words = [w for w in _SLUG_RE.split(fold(parts.path)) if w and not w.isdigit()]
    slug = _SLUG_RE.sub("-", ".".join([host.split(".")[0], *words[-2:]])).strip("-")
    return slug[:60].strip("-") or "page"


_CLASS_RE = re.compile(r"-?[A-Za-z_][-A-Za-z0-9_]*")
# Class names that say "one of a list": fr-card, post, teaser, list-item, search-result…
_ENTRY_CLASS_RE = re.compile(r"(?:^|[-_])(?:card|item|post|entry|teaser|result|article)s?$")
_HEADINGS = ("h2", "h3", "h4", "h5")
_NOT_A_BLOCK = frozenset({"a", "h1", *_HEADINGS, "p", "span", "time", "td", "th", "img"})
_LISTED_TAGS = ("article", "li", "tr")
_CHROME = "nav, footer, aside, [role=banner], [role=navigation], [role=contentinfo], form"


def _classes(node: LexborNode) -> list[str]:
    return [c for c in (node.attributes.get("class") or "").split() if _CLASS_RE.fullmatch(c)]


def _simple(node: LexborNode) -> str:
    """`tag.class` (its first usable class) or `tag`."""
    classes = _classes(node)
    return f"{node.tag}.{classes[0]}" if classes else str(node.tag)


def _words(node: LexborNode) -> int:
    return len((node.text(separator=" ") or "").split())


def _is_entry(node: LexborNode) -> bool:
    """A block that looks like one entry: a link, and a few words to title it."""
    return node.css_first("a[href]") is not None and _words(node) >= 3


def _blocks(tree: LexborHTMLParser) -> list[tuple[str, list[LexborNode]]]:
    """Groups of elements that repeat (same tag and class, or same listed tag), by selector."""
    groups: dict[str, list[LexborNode]] = {}
    body = tree.body
    if body is None:
        return []
    for node in body.traverse(include_text=False):
        if node.tag in _NOT_A_BLOCK or not isinstance(node.tag, str):
            continue
        for cls in _classes(node):
            groups.setdefault(f"{node.tag}.{cls}", []).append(node)
        if node.tag in _LISTED_TAGS and not _classes(node):
            parent, steps = node.parent, 0
            while parent is not None and not _classes(parent) and steps < 3:
                parent, steps = parent.parent, steps + 1
            where = _simple(parent) + " " if parent is not None and _classes(parent) else ""
            groups.setdefault(f"{where}{node.tag}", []).append(node)
    return list(groups.items())


def _score(selector: str, nodes: list[LexborNode]) -> float:
    entries = sum(1 for n in nodes if _is_entry(n))
    if entries < 2 or entries * 2 < len(nodes):
        return 0.0
    last_class = selector.rsplit(".", 1)[-1] if "." in selector else ""
    bonus = 2.0 if _ENTRY_CLASS_RE.search(last_class) else 0.0
    bonus += 1.0 if selector.rsplit(" ", 1)[-1].split(".")[0] in _LISTED_TAGS else 0.0
    # Several links to different places in one block: likely a list of entries, not one.
    hrefs = {a.attributes.get("href") for a in nodes[0].css("a[href]")}
    return entries + bonus - (len(hrefs) - 1) * 0.5


def _inner(block: LexborNode, candidates: list[LexborNode]) -> str | None:
    """The selector, relative to the block, of the first of `candidates` it can name."""
    for node in candidates:
        if node.mem_id == block.mem_id:
            continue
        selector = _simple(node)
        first = block.css_first(selector)
        if first is not None and first.mem_id == node.mem_id:
            return selector
    return None


def guess_selectors(html: str) -> tuple[PageSelectors, int] | None:
    """Selectors for the entries a page seems to list, and how many blocks they find; None
    when nothing on the page repeats like a list of entries. A starting point to check with
    `watchcli sources check --source`, not a promise."""
    tree = LexborHTMLParser(html)
    tree.strip_tags(_REMOVED_TAGS)
    for node in tree.css(_CHROME):
        node.decompose()
    ranked = sorted(
        (
            (_score(selector, nodes), -len(selector), selector, nodes)
            for selector, nodes in _blocks(tree)
        ),
        key=lambda r: (r[0], r[1]),
        reverse=True,
    )
    if not ranked or ranked[0][0] <= 0:
        return None
    _, _, item, nodes = ranked[0]
    block = next(n for n in nodes if _is_entry(n))
    headings = [h for h in block.css(", ".join(_HEADINGS)) if _words(h) >= 2]
    link = block.css_first("a[href]")
    assert link is not None
    title = _inner(block, headings)
    if title is None:
        # No heading: the longest text outside the links, unless the link says more.
        texts = [n for n in block.css("[class]") if n.css_first("a[href]") is None]
        longest = max(texts, key=_words, default=None)
        if longest is not None and _words(longest) > _words(link):
            title = _inner(block, [longest])
        title = title or "a"
    times = block.css("time")
    # The shortest text holding a date: « Publié le 2 décembre 2026 », not a paragraph that
    # mentions a deadline.
    dated = sorted(
        (
            n
            for n in block.css("[class]")
            if len(n.css("[class]")) == 1
            and _words(n) <= 12
            and read_page_date(n.text(separator=" ") or "")
        ),
        key=_words,
    )
    date = "time" if times else _inner(block, dated)
    paragraphs = [p for p in block.css("p") if _words(p) >= 8 and p.css_first("a[href]") is None]
    summary = _inner(block, paragraphs)
    selectors = PageSelectors(
        item=item,
        title=Pick(title),
        link=Pick("a", "href"),
        date=Pick(date) if date else None,
        summary=Pick(summary) if summary else None,
    )
    return selectors, len(nodes)


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def page_skeleton(url: str, *, html: str | None = None, source_id: str | None = None) -> str:
    """A `[[sources]]` table for a page without a feed, to paste into sources.toml and fill in.

    With the page's `html`, the selectors are guessed from what repeats on it (see
    `guess_selectors`); else they are the common shapes (a WordPress list). Either way
    `watchcli sources check --source ID` then shows what they find, to tune them before the
    first fetch.
    """
    sid = source_id or _source_id(url)
    guessed = guess_selectors(html) if html else None
    if guessed is None:
        selectors = PageSelectors(
            item="article",
            title=Pick("h2, h3"),
            link=Pick("a", "href"),
            date=Pick("time"),
            summary=Pick("p"),
        )
        origin = "common shapes: adapt them to the page"
    else:
        selectors, count = guessed
        origin = f"guessed from the page ({count} blocks): check them"
    lines = [
        "[[sources]]",
        f"id = {_quoted(sid)}",
        f"url = {_quoted(url)}",
        'kind = "page"          # no feed: the entries are found on the page by CSS selectors',
        'scope = "national"',
        'lang = "fr"',
        '# network = "cerapcoop"',
        "",
        f"[sources.page]        # {origin}",
        f"#                       with: watchcli sources check --source {sid}",
        f"item = {_quoted(selectors.item)}  # the repeated block: one block is one entry",
        f"title = {_quoted(_describe(selectors.title))}  # inside each block",
        f"link = {_quoted(_describe(selectors.link))}  # @name reads an attribute",
    ]
    for key, pick in (("date", selectors.date), ("summary", selectors.summary)):
        if pick is None:
            lines.append(f'# {key} = "…"           # optional')
        else:
            lines.append(f"{key} = {_quoted(_describe(pick))}  # optional")
    return "\n".join(lines) + "\n"

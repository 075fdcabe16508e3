"""From what a feed said (RawEntry) to what we store (Entry). Pure: no I/O, no logging.

`canonical_url` is the key that makes the same article seen through two feeds one story, so it
must be stable: idempotent, free of tracking parameters, and never raising on any string.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, unquote, urljoin, urlsplit

from watchcli.models import Entry, RawEntry
from watchcli.text import clean_text, fold, html_to_text, looks_like_html, truncate

__all__ = ["TRACKING_PARAMS", "TRACKING_PREFIXES", "canonical_url", "normalize_entry"]

# Query parameters that only say where a click came from. Compared lower-cased.
TRACKING_PARAMS = frozenset(
    # click ids of ad networks and search engines
    {"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid"}
    | {"li_fat_id", "epik", "srsltid", "s_kwcid"}
    | {"xtor", "xts"}  # AT Internet (Xiti): franceinfo, Le Monde, Libération...
    | {"mc_cid", "mc_eid"}  # Mailchimp
    | {"_hsenc", "_hsmi", "hsctatracking"}  # HubSpot
    | {"ns_mchannel", "ns_source", "ns_campaign", "ns_linkname", "ns_fee"}  # comScore
    | {"wt_mc", "wt.mc_id", "wt.mc_ev"}  # Webtrends
    | {"mkt_tok", "igshid", "oly_anon_id", "oly_enc_id", "vero_id", "_ga", "_gl", "_openstat"}
    | {"ncid", "cmpid", "ito", "sr_share", "ref_src", "__twitter_impression"}
)
# Families of tracking parameters: utm_source, utm_medium...; at_medium, at_campaign... (AT
# Internet's newer tags).
TRACKING_PREFIXES = ("utm_", "at_")

_MAX_URL = 8192  # longer "links" are data, not addresses; browsers and servers refuse them too
_MAX_UNWRAP = 8
_DEFAULT_PORTS = {"http": 80, "https": 443}

# RFC 3986 character classes.
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_SUB_DELIMS = "!$&'()*+,;="
_PATH_SAFE = frozenset(_UNRESERVED | set(_SUB_DELIMS) | set(":@/"))
_QUERY_SAFE = frozenset(_PATH_SAFE | set("?"))
_HOST_RE = re.compile(r"[a-z0-9_~!$&'()*+,;=.-]+|\[[0-9a-f:.]+\]|\[v[0-9a-f]+\.[a-z0-9._~:-]+\]")
_PORT_RE = re.compile(r":[0-9]+$")
_PCT_RE = re.compile(r"%([0-9A-Fa-f]{2})")
# WHATWG URL parsing removes these anywhere in a URL.
_STRIPPED_RE = re.compile(r"[\t\n\r]")


def _pct_normalize(s: str, safe: frozenset[str]) -> str:
    """Uppercase escapes, decode escaped unreserved characters, encode everything unsafe.

    Escaped reserved characters ("%2F", "%26", "%3D") stay escaped: decoding them would change
    what the URL means.
    """
    out: list[str] = []
    i = 0
    n = len(s)
    while i < n:
        ch = s[i]
        if ch == "%" and _PCT_RE.match(s, i):
            byte = int(s[i + 1 : i + 3], 16)
            decoded = chr(byte)
            out.append(decoded if decoded in _UNRESERVED else f"%{byte:02X}")
            i += 3
            continue
        if ch in safe:
            out.append(ch)
        else:
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8", "surrogatepass"))
        i += 1
    return "".join(out)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4, so "/a/./b/../c" and "/a/c" are one address."""
    if "." not in path:
        return path
    output: list[str] = []
    segments = path.split("/")
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        if seg == ".":
            if last:
                output.append("")
        elif seg == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(seg)
    result = "/".join(output)
    return result if result.startswith("/") else "/" + result


def _is_tracking(key: str) -> bool:
    k = unquote(key).lower()
    return k in TRACKING_PARAMS or k.startswith(TRACKING_PREFIXES)


def _host(netloc: str, scheme: str) -> str | None:
    """Lower-case, IDNA-encoded host[:port] of a netloc without its default port and userinfo.

    "" for no host, None when the host or port is unusable.
    """
    hostport = netloc.rpartition("@")[2]  # userinfo is dropped
    if hostport.startswith("["):
        host, _, rest = hostport.partition("]")
        host += "]"
        port = rest[1:] if rest.startswith(":") else ("" if not rest else None)
    else:
        host, _, port = hostport.partition(":")
    if port is None or (port and not (port.isascii() and port.isdigit() and int(port) < 65536)):
        return None
    host = unquote(host).lower().rstrip(".")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    if host and not _HOST_RE.fullmatch(host):
        return None
    if not host or not port or int(port) == _DEFAULT_PORTS[scheme]:
        return host
    return f"{host}:{int(port)}"


_FACEBOOK_HOSTS = frozenset(
    {"l.facebook.com", "lm.facebook.com", "m.facebook.com", "www.facebook.com"}
)
_GOOGLE_NEWS_ARTICLE_RE = re.compile(r"/(?:__i/rss/rd/|rss/)?articles/([A-Za-z0-9_-]+)")


def _google_news_target(path: str) -> str | None:
    """The publisher URL inside a Google News article id (news.google.com/rss/articles/CBMi...).

    Until 2024 the id was a base64 protocol-buffer message whose field 4 is the URL; newer ids
    are opaque and stay as they are.
    """
    m = _GOOGLE_NEWS_ARTICLE_RE.fullmatch(path)
    if not m:
        return None
    token = m.group(1)
    try:
        data = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except ValueError:
        return None
    i = 0
    while i < len(data):
        key = data[i]
        i += 1
        if key & 7 == 0:  # varint field: skip it
            while i < len(data) and data[i] & 0x80:
                i += 1
            i += 1
        elif key & 7 == 2:  # length-delimited field
            length = shift = 0
            while i < len(data):
                length |= (data[i] & 0x7F) << shift
                shift += 7
                i += 1
                if not data[i - 1] & 0x80:
                    break
            value = data[i : i + length]
            i += length
            if key >> 3 == 4 and value.startswith((b"http://", b"https://")):
                return value.decode("utf-8", "replace")
        else:
            return None
    return None


def _unwrap(host: str, path: str, query: str) -> str | None:
    """The target of a known redirect wrapper, or None when this URL is not one."""
    name = _PORT_RE.sub("", host)
    params = dict(parse_qsl(query, keep_blank_values=True)) if query else {}
    labels = name.split(".")
    target: str | None = None
    if "google" in labels and path == "/url":  # Google Alerts, Google search results
        target = params.get("url") or params.get("q")
    elif name == "news.google.com" and path == "/news/url":  # Google News, before 2019
        target = params.get("url")
    elif name == "news.google.com":
        target = _google_news_target(path)
    elif "google" in labels and path.startswith("/amp/s/"):  # Google AMP viewer
        target = "https://" + path[len("/amp/s/") :]
    elif (name in _FACEBOOK_HOSTS and path == "/l.php") or (
        name == "l.instagram.com" and path == "/"
    ):
        target = params.get("u")
    elif name in {"www.youtube.com", "youtube.com"} and path == "/redirect":
        target = params.get("q")
    elif name == "www.linkedin.com" and path == "/redir/redirect":
        target = params.get("url")
    elif name == "t.umblr.com" and path == "/redirect":
        target = params.get("z")
    elif name.endswith(".safelinks.protection.outlook.com"):
        target = params.get("url")
    if not target:
        return None
    target = target.strip()
    if urlsplit(target).scheme.lower() not in _DEFAULT_PORTS:
        return None  # "q" was a search, not an address: keep the wrapper as it is
    return target


def _canonical(url: str) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        return ""
    host = _host(parts.netloc, scheme)
    if not host:
        return ""
    path = _remove_dot_segments(_pct_normalize(parts.path, _PATH_SAFE)) or "/"
    params: list[tuple[str, str]] = []
    for pair in parts.query.split("&"):
        if not pair:
            continue
        key, eq, value = pair.partition("=")
        if _is_tracking(key):
            continue
        key = _pct_normalize(key, _QUERY_SAFE)
        params.append((key, key + eq + _pct_normalize(value, _QUERY_SAFE)))
    params.sort(key=lambda kv: kv[0])  # stable: equal keys keep their published order
    query = "&".join(pair for _, pair in params)
    return f"{scheme}://{host}{path}" + (f"?{query}" if query else "")


def canonical_url(url: str, base: str = "") -> str:
    """The canonical form of an http(s) URL, "" when there is none. Never raises.

    Relative URLs are resolved against `base`. Scheme and host are lower-cased (IDNA for
    non-ASCII hosts), default ports, userinfo and fragments dropped, tracking parameters removed
    and the others sorted by key, percent-escapes normalised, dot segments removed; redirect
    wrappers (Google Alerts and search, old Google News, Facebook, YouTube...) give their target.
    """
    try:
        url = _STRIPPED_RE.sub("", url).strip()
        if base and url:
            url = urljoin(_STRIPPED_RE.sub("", base).strip(), url)
        if not url or len(url) > _MAX_URL:
            return ""
        for _ in range(_MAX_UNWRAP):
            canonical = _canonical(url)
            if not canonical:
                return ""
            parts = urlsplit(canonical)
            target = _unwrap(parts.netloc, parts.path, parts.query)
            if target is None or not _canonical(target):
                return canonical
            url = target
        return ""  # a chain of wrappers this long is an attack, not a link
    except (ValueError, UnicodeError):  # urlsplit on a broken IPv6 host, and the like
        return ""


# --- Entries --------------------------------------------------------------------------------

MAX_TITLE = 500
MAX_SUMMARY = 4000
MAX_AUTHOR = 200
MAX_CATEGORIES = 30
MAX_CATEGORY = 100
MAX_GUID = 1000
MAX_HTML_INPUT = 200_000  # parse at most this much of a full-text content to get 4000 chars
TITLE_WORDS = 12
UNTITLED = "(sans titre)"

# A feed whose clock runs ahead (or that dates events in the future) must not pin its items at
# the top of every list for weeks: a date more than this after the first sighting is replaced by
# the first-seen time, and the entry counts as undated (`dated=False`): the value is ours, not the
# feed's. One day leaves room for time-zone mistakes.
FUTURE_TOLERANCE = timedelta(days=1)


def _plain_line(s: str) -> str:
    """One line of plain text from a field that may or may not hold HTML."""
    if looks_like_html(s):
        s = html_to_text(s[:MAX_HTML_INPUT])
    return clean_text(s)


def _as_utc(d: datetime) -> datetime:
    return d.replace(tzinfo=UTC) if d.tzinfo is None else d.astimezone(UTC)


def _resolve_link(link: str, base: str) -> str:
    """The published link resolved against the feed URL; "" unless it is a usable http(s) URL."""
    link = clean_text(link).replace(" ", "%20")
    if not link or len(link) > _MAX_URL:
        return ""
    try:
        resolved = urljoin(base, link) if base else link
        scheme = urlsplit(resolved).scheme.lower()
    except ValueError:
        return ""
    # javascript:, data:, mailto: and friends are never offered as an entry's link.
    return resolved if scheme in _DEFAULT_PORTS else ""


def _title_from_url(url: str) -> str:
    segment = urlsplit(url).path.rstrip("/").rpartition("/")[2]
    segment = re.sub(r"\.(?:s?html?|php|aspx?|jsp)$", "", unquote(segment), flags=re.IGNORECASE)
    return clean_text(segment.replace("-", " ").replace("_", " "))


def _title_from_summary(summary: str) -> str:
    words = summary.split()
    if len(words) <= TITLE_WORDS:
        return " ".join(words)
    return " ".join(words[:TITLE_WORDS]).rstrip(",;:") + "…"


def _fallback_guid(url: str, title: str, summary: str) -> str:
    """The canonical URL, else a hash of the text, for an entry the feed gave no id."""
    parts = urlsplit(url)
    # A bare site root is not an article's identity: some feeds link every item to "/".
    if url and (parts.path != "/" or parts.query):
        return url
    text = f"{fold(title)}\n{fold(summary)}".encode()
    return "sha1:" + hashlib.sha1(text, usedforsecurity=False).hexdigest()


def normalize_entry(raw: RawEntry, *, feed_url: str, seen_at: datetime) -> Entry:
    """Clean every field of `raw` (see `Entry`); `seen_at` dates an entry the feed did not date."""
    link = _resolve_link(raw.link, feed_url)
    url = canonical_url(link)
    title = _plain_line(raw.title)
    # The content when the summary is missing or empty once cleaned ("<p>&nbsp;</p>").
    summary = html_to_text(raw.summary[:MAX_HTML_INPUT], enough=MAX_SUMMARY) or html_to_text(
        raw.content[:MAX_HTML_INPUT], enough=MAX_SUMMARY
    )
    summary = truncate(summary, MAX_SUMMARY)

    seen_at = _as_utc(seen_at)
    published = raw.published or raw.updated
    dated = published is not None
    if published is None:
        published = seen_at
    else:
        published = _as_utc(published)
        if published > seen_at + FUTURE_TOLERANCE:
            published, dated = seen_at, False

    guid = clean_text(raw.guid)[:MAX_GUID] or _fallback_guid(url, title, summary)
    if not title:
        title = _title_from_summary(summary) or _title_from_url(url) or UNTITLED
    categories: dict[str, None] = {}  # ordered and without duplicates
    for category in raw.categories:
        cleaned = truncate(_plain_line(category), MAX_CATEGORY)
        if cleaned:
            categories.setdefault(cleaned)
        if len(categories) == MAX_CATEGORIES:
            break
    return Entry(
        guid=guid,
        url=url,
        link=link,
        title=truncate(title, MAX_TITLE),
        summary=summary,
        published=published,
        dated=dated,
        author=truncate(_plain_line(raw.author), MAX_AUTHOR),
        categories=tuple(categories),
    )

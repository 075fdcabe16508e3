"""Deduplication keys. Pure: values in, values out.

Exact stage (here): the same source and GUID is the same sighting; the same canonical URL from
any source is a new sighting of the existing item; the same URI-like GUID from another source
too. The near-duplicate stage plugs in after the exact keys have found nothing (see
`ingest.Ingester.match`).

Keys are tagged hashes (`u1:`, `c1:`): when the normalisation rules change, the tag changes, so
keys made under old rules never collide silently with new ones.
"""

from __future__ import annotations

import hashlib

from watchcli.models import Entry

URL_KEY_VERSION = "u1"
CONTENT_KEY_VERSION = "c1"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def url_key(canonical_url: str) -> str | None:
    """The exact key of a canonical URL, or None when the entry has no URL."""
    if not canonical_url:
        return None
    return f"{URL_KEY_VERSION}:{_digest(canonical_url)}"


def content_hash(entry: Entry) -> str:
    """Changes when what a reader sees of the entry changes (title, summary, link, date)."""
    parts = (
        entry.title,
        entry.summary,
        entry.url,
        entry.published.isoformat() if entry.dated else "",
    )
    return f"{CONTENT_KEY_VERSION}:{_digest(chr(31).join(parts))}"


def is_global_guid(guid: str) -> bool:
    """A GUID that names the story beyond its feed (a URI, a tag: URN), not a feed-local
    counter: worth matching across sources."""
    return len(guid) >= 20 and (":" in guid) and not guid.startswith("sha1:")

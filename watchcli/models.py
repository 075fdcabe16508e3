"""Plain values passed between the layers. No I/O here.

The flow of one feed through a fetch:

    fetch.py   FetchResult (bytes, HTTP status, validators)
    parse.py   ParsedFeed with RawEntry values (what the feed said, untouched)
    normalize  Entry values (clean text, canonical URL, aware UTC dates)
    ingest.py  each Entry becomes a new Item or a new Sighting of an existing one
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from watchcli.prepared import EntryText


@dataclass(frozen=True)
class RawEntry:
    """One entry as the feed gave it: strings may hold HTML, dates are unparsed or absent."""

    title: str = ""
    link: str = ""
    guid: str = ""
    summary: str = ""  # HTML or text, as published
    content: str = ""  # the full content when the feed carries one (HTML or text)
    published: datetime | None = None  # aware UTC when the feed gave a parseable date
    updated: datetime | None = None
    author: str = ""
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParsedFeed:
    """What a body turned into. `problem` records a broken feed parsed as far as possible."""

    format: str  # "rss20", "atom10", "json", ... or "" when the body is not a feed at all
    title: str = ""
    link: str = ""
    language: str = ""
    entries: tuple[RawEntry, ...] = ()
    problem: str | None = None


@dataclass(frozen=True)
class Entry:
    """One normalised entry, ready for deduplication and storage.

    Every text is plain, free of control characters and escape sequences, with whitespace
    collapsed; `url` is canonical; `published` is aware UTC (the first-seen time when the
    feed gave no date).
    """

    guid: str  # the feed's id, else the canonical URL, else a hash of the text
    url: str  # canonical URL, "" when the entry has none
    link: str  # the link as published (resolved against the feed URL)
    title: str
    summary: str
    published: datetime
    dated: bool  # False when `published` is the first-seen time, not a feed date
    author: str = ""
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class FeedContent:
    """A body read and normalised: what the fetch writer stores. Built in a worker process."""

    format: str  # as ParsedFeed.format; "" when the body was not a feed
    title: str = ""
    language: str = ""
    problem: str | None = None
    entries: tuple[Entry, ...] = ()
    texts: tuple[EntryText, ...] = ()  # each entry's, when a parse worker prepared them


class Outcome(StrEnum):
    """How fetching one source ended."""

    OK = "ok"  # a new body, parsed and stored
    NOT_MODIFIED = "not_modified"  # 304, or a body identical to the last one
    FAILED = "failed"
    GONE = "gone"  # 410: the source is marked gone and skipped from now on
    SKIPPED = "skipped"  # gone, or a Retry-After still running


@dataclass(frozen=True)
class FetchResult:
    source_id: str
    outcome: Outcome
    status: int | None = None  # HTTP status of the last response, None when none came
    body: bytes | None = None  # only for Outcome.OK
    content_type: str = ""
    final_url: str = ""
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    retry_after: datetime | None = None
    error: str | None = None
    elapsed: float = 0.0


@dataclass
class RunSummary:
    """The summary `fetch --json` prints (SPEC §2), plus a few counts of ours."""

    sources: int = 0
    ok: int = 0
    not_modified: int = 0
    failed: int = 0
    skipped: int = 0
    new_items: int = 0
    new_sightings: int = 0
    updated: int = 0
    filtered: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "sources": self.sources,
            "ok": self.ok,
            "not_modified": self.not_modified,
            "failed": self.failed,
            "skipped": self.skipped,
            "new_items": self.new_items,
            "new_sightings": self.new_sightings,
            "updated": self.updated,
            "filtered": self.filtered,
            "errors": self.errors,
        }


class Status(StrEnum):
    """An item's triage status: `new` until someone selects or discards it."""

    NEW = "new"
    SELECTED = "selected"
    DISCARDED = "discarded"


@dataclass(frozen=True)
class ItemFilter:
    """Which items `list` (and later `search`, `stats`, `digest`) look at.

    `since`/`until` bound the publication date; `first_seen_since`/`first_seen_until` bound
    when the watch first saw the item (the inbox windows of `list --since/--week` and `stats`).
    """

    since: datetime | None = None
    until: datetime | None = None
    first_seen_since: datetime | None = None
    first_seen_until: datetime | None = None
    sources: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    status: str | None = None
    network: str | None = None
    assignee: str | None = None
    unassigned: bool = False
    limit: int | None = None


def source_health(*, gone: bool, failures: int, last_attempt: str | None) -> str:
    """`ok`, `failing`, `gone` or `never` (SPEC §2, `sources list --json`)."""
    if gone:
        return "gone"
    if last_attempt is None:
        return "never"
    return "failing" if failures else "ok"

"""A fetched body read and made ready for the writer, in the fetch's worker processes.

Besides parsing (`read_feed`, `read_page`), each entry's text is put in the two forms that
matching reads: the words its keyword rules test (`rules.MatchText`) and its near-duplicate
form (`neardup.MatchText`). Both depend on the entry alone, so they are computed here, in
parallel with the network and with each other, and the one writer only decides.

The result travels back `Packed`: pickled once, opened by the writer when its turn comes.
An answer may wait a while for that turn (the writer takes them in `sources.toml` order), and
as Python objects a feed's prepared texts weigh about ten times their pickle, and forty times
its compressed form (a 50-entry feed: 530 KiB, 44 KiB, 12 KiB): a writer a thousand answers
behind would otherwise fill the memory. Pure.
"""

from __future__ import annotations

import pickle
import zlib
from dataclasses import dataclass, replace
from datetime import datetime

from watchcli import neardup
from watchcli.config import PageSelectors
from watchcli.models import Entry, FeedContent
from watchcli.rules import MatchText

# What a worker imports to read bodies: the writer's process, which only names these
# functions to the pool, never loads the parsers (feedparser alone is 12 MiB and 60 ms).
PARSERS = ("watchcli.parse", "watchcli.page")


@dataclass(frozen=True, slots=True)
class EntryText:
    """One entry's text as keyword rules and the near-duplicate stage read it; `keywords` is
    None when no rule or filter of the entry's source reads words (`Rules.reads_text`): it is
    the costly half, since it reads the whole summary."""

    keywords: MatchText | None
    near: neardup.MatchText

    @classmethod
    def of(cls, entry: Entry, *, keywords: bool = True) -> EntryText:
        return cls(
            MatchText.of_entry(entry) if keywords else None,
            neardup.match_text(entry.title, entry.summary),
        )


@dataclass(frozen=True, slots=True)
class Packed:
    """A `FeedContent` pickled by the worker that made it (never bytes from the network)."""

    data: bytes

    @classmethod
    def of(cls, content: FeedContent) -> Packed:
        # zlib's fastest level: a 50-entry feed's pickle goes from 44 to 12 KiB in 0.3 ms
        return cls(zlib.compress(pickle.dumps(content, protocol=pickle.HIGHEST_PROTOCOL), 1))

    def open(self) -> FeedContent:
        content = pickle.loads(zlib.decompress(self.data))
        assert isinstance(content, FeedContent)
        return content


def _with_texts(content: FeedContent, keywords: bool) -> FeedContent:
    try:
        texts = tuple(EntryText.of(entry, keywords=keywords) for entry in content.entries)
    except Exception:  # a bug on one entry's text: the writer prepares them itself
        return content
    return replace(content, texts=texts)


def read_feed_for_writer(
    body: bytes, content_type: str, url: str, seen_at: datetime, keywords: bool
) -> Packed:
    """`read_feed`, each entry with its `EntryText`. Never raises."""
    from watchcli.parse import read_feed

    return Packed.of(_with_texts(read_feed(body, content_type, url, seen_at), keywords))


def read_page_for_writer(
    body: bytes,
    content_type: str,
    url: str,
    seen_at: datetime,
    selectors: PageSelectors,
    keywords: bool,
) -> Packed:
    """`read_page`, each entry with its `EntryText`. Never raises."""
    from watchcli.page import read_page

    content = read_page(body, content_type, url, seen_at, selectors)
    return Packed.of(_with_texts(content, keywords))

"""`watchcli sources check --source ID`: fetch one source once and tell what a fetch would store.

A service over fetch.py, parse.py/page.py and rules.py; nothing is written (no store, no
validators sent), so a page source's selectors can be tuned before its first fetch
(README, "Pages without a feed").
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace

from watchcli.config import Config, Source
from watchcli.dates import utcnow
from watchcli.errors import UsageError
from watchcli.fetch import PAGE_ACCEPT, Fetcher, FetchRequest, make_client
from watchcli.models import Entry, FeedContent, FetchResult, Outcome
from watchcli.page import read_page
from watchcli.parse import read_feed
from watchcli.rules import MatchText, Rules


@dataclass(frozen=True)
class Preview:
    """What one fetch of `source` would store: its entries with their tags, those the
    source's include/exclude filters drop, and the problem or error of the answer."""

    source: Source
    result: FetchResult
    content: FeedContent | None = None
    entries: tuple[tuple[Entry, tuple[str, ...]], ...] = ()
    filtered: tuple[Entry, ...] = field(default=())

    @property
    def error(self) -> str | None:
        """Why the fetch would fail, or None."""
        if self.result.outcome is not Outcome.OK:
            return self.result.error or f"HTTP {self.result.status}"
        if self.content is None or not self.content.format:
            return (self.content.problem if self.content else None) or "not a feed"
        return None


def preview_source(
    config: Config, source_id: str, *, timeout: float | None = None, debug: bool = False
) -> Preview:
    source = config.source(source_id)
    if source is None:
        known = ", ".join(s.id for s in config.sources) or "none"
        raise UsageError(f"unknown source {source_id!r}; known sources: {known}")
    settings = replace(config.fetch, timeout=timeout) if timeout else config.fetch

    async def get() -> FetchResult:
        async with make_client(settings, debug=debug) as client:
            request = FetchRequest(
                source.id, source.url, accept=PAGE_ACCEPT if source.page else None
            )
            return await Fetcher(client, settings).fetch(request)

    result = asyncio.run(get())
    if result.outcome is not Outcome.OK or result.body is None:
        return Preview(source, result)
    now = utcnow()
    if source.page is not None:
        content = read_page(result.body, result.content_type, result.final_url, now, source.page)
    else:
        content = read_feed(result.body, result.content_type, result.final_url, now)
    rules = Rules.compile(config)
    kept: list[tuple[Entry, tuple[str, ...]]] = []
    dropped: list[Entry] = []
    for entry in content.entries:
        text = MatchText.of_entry(entry)
        if rules.keep(text, source):
            kept.append((entry, tuple(sorted(rules.tags_for(text, source)))))
        else:
            dropped.append(entry)
    return Preview(source, result, content, tuple(kept), tuple(dropped))

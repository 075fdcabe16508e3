"""Changing the list of sources: `sources add`, `sources import-opml`, `sources export-opml`.

Services over sources.toml (edited by `sources_file`, comments and layout kept), the HTTP
fetcher and the feed parser; no SQL. README, "Adding sources".
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from watchcli.config import Config
from watchcli.errors import UsageError, WatchError
from watchcli.fetch import Fetcher, FetchRequest, make_client
from watchcli.models import FetchResult, Outcome
from watchcli.opml import OpmlError, read_opml, url_problem, write_opml
from watchcli.parse import discover_feeds, parse_feed
from watchcli.sources_file import append_to_config, slug, tag_id, unique_id


@dataclass
class OpmlReport:
    added: list[tuple[str, str]] = field(default_factory=list)  # (id, url)
    new_tags: dict[str, str] = field(default_factory=dict)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (url, why)
    invalid: list[tuple[str, str]] = field(default_factory=list)  # (url, problem)


@dataclass(frozen=True)
class Added:
    id: str
    url: str
    title: str
    entries: int
    discovered_from: str | None  # the page the feed was found on


def _comparable(url: str) -> str:
    parts = urlsplit(url.strip())
    return parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower()).geturl()


def _check_network(config: Config, network: str | None) -> None:
    if network is not None and network not in config.networks:
        known = ", ".join(config.networks) or "none"
        raise UsageError(f"unknown network {network!r}; known: {known}")


def _new_id(title: str, url: str, taken: set[str]) -> str:
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    return unique_id(slug(title) or slug(host) or "source", taken)


# --- OPML ------------------------------------------------------------------------------------


def import_opml(config: Config, path: Path, *, network: str | None) -> OpmlReport:
    """Add the feeds of an OPML file that are valid and not configured yet; their categories
    become tags (added to [tags] when new)."""
    _check_network(config, network)
    try:
        feeds = read_opml(path.read_bytes())
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror or error}") from None
    except OpmlError as error:
        raise UsageError(f"{path}: {error}") from None
    report = OpmlReport()
    known = {_comparable(s.url): s.id for s in config.sources}
    taken = {s.id for s in config.sources}
    labels = dict(config.tags.labels)
    entries = []
    for feed in feeds:
        problem = url_problem(feed.url)
        if problem:
            report.invalid.append((feed.url, problem))
            continue
        key = _comparable(feed.url)
        if key in known:
            report.duplicates.append((feed.url, f"already the source '{known[key]}'"))
            continue
        tags = []
        for category in feed.categories:
            tag = next((t for t, label in labels.items() if label == category), tag_id(category))
            if not tag:
                continue
            if tag not in labels:
                labels[tag] = report.new_tags[tag] = category
            tags.append(tag)
        source_id = _new_id(feed.title, feed.url, taken)
        taken.add(source_id)
        known[key] = source_id
        entries.append(_source_entry(source_id, feed.url, feed.title, network, tags))
        report.added.append((source_id, feed.url))
    if entries:
        append_to_config(config.path, entries, report.new_tags)
    return report


def export_opml(config: Config, *, now: datetime) -> bytes:
    title = config.digest.title or "watchcli"
    return write_opml(title, [(s.name or s.id, s.url, s.tags) for s in config.sources], now=now)


# --- one source by URL ---------------------------------------------------------------------


class NoFeed(WatchError):
    """A page with no feed: the message, and a page source to fill in (`page_skeleton`)."""

    def __init__(self, message: str, *, skeleton: str) -> None:
        super().__init__(message)
        self.skeleton = skeleton


def add_source(
    config: Config,
    url: str,
    *,
    network: str | None,
    tags: list[str],
    debug: bool = False,
) -> Added:
    """Add the feed at `url`, or the feed an HTML page at `url` advertises, once fetched and
    read as a feed."""
    problem = url_problem(url)
    if problem:
        raise UsageError(f"{url}: {problem}")
    _check_network(config, network)
    for tag in tags:
        if not config.tags.accepts(tag):
            raise UsageError(f"unknown tag {tag!r}; add it to [tags] in {config.path.name}")
    _refuse_known(config, url)
    page = _get(config, url, debug)
    feed = parse_feed(page.body or b"", content_type=page.content_type, url=page.final_url)
    feed_url, discovered_from = url, None
    if not feed.format:
        candidates = discover_feeds(
            (page.body or b"").decode("utf-8", "replace"), page.final_url or url
        )
        if not candidates:
            from watchcli.page import page_skeleton  # the HTML parser, only for this case

            html = (page.body or b"").decode("utf-8", "replace")
            raise NoFeed(
                f'{url} is not a feed and its page advertises none (<link rel="alternate">); '
                "give the feed's own URL, or watch the page itself with the [[sources]] table "
                'printed above (README, "Pages without a feed")',
                skeleton=page_skeleton(page.final_url or url, html=html),
            )
        for candidate in candidates:
            _refuse_known(config, candidate)
        problems = []
        for candidate in candidates:  # in page order: the first that reads as a feed
            try:
                answer = _get(config, candidate, debug)
            except WatchError as error:
                problems.append(str(error))
                continue
            feed = parse_feed(
                answer.body or b"", content_type=answer.content_type, url=answer.final_url
            )
            if feed.format:
                feed_url, discovered_from = candidate, url
                break
            problems.append(f"{candidate}: {feed.problem}")
        else:
            raise WatchError(f"{url} advertises no feed that reads: {'; '.join(problems)}")
    source_id = _new_id(feed.title, feed_url, {s.id for s in config.sources})
    entry = _source_entry(source_id, feed_url, feed.title, network, tags)
    append_to_config(config.path, [entry], {})
    return Added(source_id, feed_url, feed.title, len(feed.entries), discovered_from)


def _source_entry(
    source_id: str, url: str, title: str, network: str | None, tags: list[str]
) -> dict[str, object]:
    """The `[[sources]]` table of a new source: only the keys that say something."""
    entry: dict[str, object] = {"id": source_id, "url": url}
    if title:
        entry["name"] = title
    if network:
        entry["network"] = network
    if tags:
        entry["tags"] = list(dict.fromkeys(tags))
    return entry


def _refuse_known(config: Config, url: str) -> None:
    key = _comparable(url)
    for source in config.sources:
        if _comparable(source.url) == key:
            raise WatchError(f"{url} is already the source '{source.id}'")


def _get(config: Config, url: str, debug: bool) -> FetchResult:
    async def one() -> FetchResult:
        async with make_client(config.fetch, debug=debug) as client:
            return await Fetcher(client, config.fetch).fetch(FetchRequest("new", url))

    result = asyncio.run(one())
    if result.outcome is not Outcome.OK:
        raise WatchError(f"cannot fetch {url}: {result.error or result.outcome.value}")
    return result

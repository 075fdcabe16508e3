"""A fetch run: network, parsing and storage, each in its own lane.

    fetch tasks (asyncio, bounded)  →  parse workers (process pool)  →  one writer
                                                                        (a thread, one
                                                                        transaction per source)

The network never waits for parsing or for SQLite; SQLite only ever sees one writer from this
process; a source's entries are committed together, so killing the run at any moment loses
nothing already committed and leaves the store valid.
"""

from __future__ import annotations

import asyncio
import importlib
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from watchcli import dedupe, neardup
from watchcli.config import Config, Source
from watchcli.dates import parse_iso, utcnow
from watchcli.errors import UsageError
from watchcli.fetch import Fetcher, FetchRequest, make_client
from watchcli.models import Entry, FeedContent, FetchResult, Outcome, RunSummary
from watchcli.parse import read_feed
from watchcli.rules import MatchText, Rules
from watchcli.store import SourceState, Store


@dataclass
class SourceReport:
    """What happened to one source in this run (for the progress display and the summary)."""

    source_id: str
    outcome: Outcome
    status: int | None = None
    error: str | None = None
    problem: str | None = None
    new_items: int = 0
    new_sightings: int = 0
    updated: int = 0
    filtered: int = 0


@dataclass
class EntryCounts:
    new_items: int = 0
    new_sightings: int = 0
    updated: int = 0
    filtered: int = 0
    item_ids: list[int] = field(default_factory=list)


class Ingester:
    """Stores the entries of one feed: each becomes a new item or a sighting of one.

    Matching order, cheapest and surest first: the same source and GUID (the same sighting,
    updated if the entry changed); the same canonical URL from any source; the same global
    GUID from another source; then the near-duplicate stage (neardup.py: candidates from the
    index within the window, verified, never an item already seen through the same source);
    else a new item.

    Before matching, the source's `include`/`exclude` filters may drop the entry (counted as
    `filtered`, never stored). After it, the entry's tags (rules and source) are added to its
    item, and the item's automatic assignment follows the networks of its sources.
    """

    def __init__(self, store: Store, config: Config) -> None:
        self.store = store
        self.config = config
        self.rules = Rules.compile(config)
        # Items created by this run: what other sightings in the run add to them is part of
        # their creation, not a change for the history.
        self.created: set[int] = set()

    def store_entries(
        self, source: Source, entries: tuple[Entry, ...], *, lang: str | None, now: datetime
    ) -> EntryCounts:
        """Call inside `store.write()`."""
        counts = EntryCounts()
        for entry in entries:
            self._store_entry(source, entry, lang=lang, now=now, counts=counts)
        return counts

    def _store_entry(
        self,
        source: Source,
        entry: Entry,
        *,
        lang: str | None,
        now: datetime,
        counts: EntryCounts,
    ) -> None:
        text = MatchText.of_entry(entry)
        if not self.rules.keep(text, source):
            counts.filtered += 1
            return
        key = dedupe.url_key(entry.url)
        content = dedupe.content_hash(entry)
        known = self.store.find_sighting(source.id, entry.guid)
        if known:
            if known.content_hash != content:
                self.store.update_sighting(known, entry, url_key=key, content_hash=content, now=now)
                counts.updated += 1
                tags = self.rules.tags_for(text, source)
                record = known.item_id not in self.created
                self.store.add_automatic_tags(known.item_id, tags, now=now, record=record)
            return
        near_text = neardup.match_text(entry.title, entry.summary)
        near_keys = neardup.band_keys(near_text)  # for the lookup and for the index
        found = self.match(source, entry, key, near_text, near_keys)
        if found.item_id is None:
            item_id = self.store.insert_item(entry, source, lang=lang, now=now)
            counts.new_items += 1
            counts.item_ids.append(item_id)
        else:
            item_id = found.item_id
            counts.new_sightings += 1
        self.store.insert_sighting(
            item_id,
            source.id,
            entry,
            url_key=key,
            content_hash=content,
            how=found.how,
            score=found.score,
            now=now,
            lede=neardup.lede(entry.summary),
            matched_sighting=found.sighting_id,
        )
        # Every sighting's text is indexed, so a third source can match the second's wording.
        published = found.item_published or (
            entry.published if found.item_id is None else self.store.item_published(item_id)
        )
        self.store.index_near(item_id, published, near_keys)
        if found.how == "new":
            self.created.add(item_id)
        record = item_id not in self.created
        tags = self.rules.tags_for(text, source)
        self.store.add_automatic_tags(item_id, tags, now=now, record=record)
        self.store.apply_automatic_assignment(item_id, now=now, record=record)

    def match(
        self,
        source: Source,
        entry: Entry,
        key: str | None,
        text: neardup.MatchText,
        near_keys: tuple[int, ...],
    ) -> Match:
        """The existing item this entry is a sighting of, how it matched and the score."""
        if key:
            ref = self.store.find_item_by_url_key(key, source_id=source.id)
            if ref is not None:
                return Match(ref.item_id, "url", None, ref.sighting_id)
        if dedupe.is_global_guid(entry.guid):
            ref = self.store.find_item_by_guid(entry.guid, other_than_source=source.id)
            if ref is not None:
                return Match(ref.item_id, "guid", None, ref.sighting_id)
        if source.dedupe:
            return self.match_near(source, entry, text, near_keys)
        return Match(None, "new", None)

    def match_near(
        self, source: Source, entry: Entry, text: neardup.MatchText, keys: tuple[int, ...]
    ) -> Match:
        """The best near-duplicate among the recent items the index proposes, if good enough;
        `keys` are the entry's index keys (`neardup.band_keys(text)`)."""
        settings = self.config.dedupe
        window = timedelta(days=settings.window_days)
        threshold = settings.threshold or neardup.DEFAULT_THRESHOLD
        candidates = self.store.find_near_candidates(
            keys,
            start=entry.published - window,
            end=entry.published + window,
            source_id=source.id,
        )
        best = Match(None, "new", None)
        for candidate in candidates:
            verdict = neardup.verify(text, neardup.match_text(candidate.title, candidate.lede))
            good = verdict.reason is None and verdict.score >= threshold
            if good and (best.score is None or verdict.score > best.score):
                best = Match(
                    candidate.item_id,
                    "near",
                    round(verdict.score, 3),
                    candidate.sighting_id,
                    parse_iso(candidate.published),
                )
        return best


@dataclass(frozen=True)
class Match:
    """What `Ingester.match` found: the item (None for a new one), how, and against what."""

    item_id: int | None
    how: str  # new, url, guid or near
    score: float | None
    sighting_id: int | None = None  # the sighting whose key or text matched
    item_published: datetime | None = None


ProgressCallback = Callable[[SourceReport], None]


class FetchRun:
    """One `watchcli fetch`: which sources to ask, and what to do with each answer."""

    def __init__(
        self,
        store: Store,
        config: Config,
        *,
        only: tuple[str, ...] = (),
        concurrency: int | None = None,
        timeout: float | None = None,
        debug: bool = False,
        on_report: ProgressCallback | None = None,
    ) -> None:
        unknown = [s for s in only if config.source(s) is None]
        if unknown:
            known = ", ".join(s.id for s in config.sources) or "none"
            raise UsageError(f"unknown source {unknown[0]!r}; known sources: {known}")
        self.store = store
        self.config = config
        self.sources = [s for s in config.sources if not only or s.id in only]
        self.explicit = bool(only)
        settings = config.fetch
        if concurrency is not None or timeout is not None:
            settings = replace(
                settings,
                concurrency=concurrency or settings.concurrency,
                timeout=timeout or settings.timeout,
            )
        self.settings = settings
        self.debug = debug
        self.on_report = on_report
        self.ingester = Ingester(store, config)
        self.summary = RunSummary()

    def run(self) -> RunSummary:
        now = utcnow()
        self.store.sync_sources(self.config.sources)
        self.ensure_near_keys(now)
        run_id = self.store.start_run(now)
        try:
            asyncio.run(self._run_all())
        finally:
            self.store.finish_run(run_id, self.summary, utcnow())
        return self.summary

    def ensure_near_keys(self, now: datetime) -> None:
        """When the matching rules changed (a new `NEAR_KEY_VERSION`), the index's old keys
        match nothing new: re-index the items a new entry can still meet (those dated within
        the window, with a margin), once, before fetching. Older items keep their exact keys."""
        if self.store.setting("near_key_version") == neardup.NEAR_KEY_VERSION:
            return
        since = now - 2 * timedelta(days=self.config.dedupe.window_days)
        with self.store.write():
            for item_id in self.store.items_published_since(since):
                keys = neardup.sighting_keys(self.store.sighting_texts(item_id))
                self.store.reindex_near(item_id, keys)
            self.store.set_setting("near_key_version", neardup.NEAR_KEY_VERSION)

    def _to_fetch(self, states: dict[str, SourceState], now: datetime) -> list[Source]:
        """Sources to ask now; the others are reported as skipped (gone, or told to wait)."""
        chosen = []
        for source in self.sources:
            state = states[source.id]
            if state.gone and not self.explicit:
                self._report(SourceReport(source.id, Outcome.SKIPPED, error="gone (HTTP 410)"))
            elif state.retry_after and parse_iso(state.retry_after) > now:
                self._report(
                    SourceReport(
                        source.id,
                        Outcome.SKIPPED,
                        error=f"server asked to wait until {state.retry_after}",
                    )
                )
            else:
                chosen.append(source)
        return chosen

    async def _run_all(self) -> None:
        states = self.store.source_states()
        sources = self._to_fetch(states, utcnow())
        if not sources:
            return
        queue: asyncio.Queue[tuple[Source, FetchResult, FeedContent | None] | None] = (
            asyncio.Queue()
        )
        writer = asyncio.create_task(self._write_all(queue))
        done: set[str] = set()
        with _ParsePool() as pool:
            pool.start()
            async with make_client(self.settings, debug=self.debug) as client:
                fetcher = Fetcher(client, self.settings)

                async def one(source: Source) -> None:
                    state = states[source.id]
                    result = await fetcher.fetch(
                        FetchRequest(
                            source.id,
                            source.url,
                            etag=state.etag,
                            last_modified=state.last_modified,
                            body_hash=state.body_hash,
                        )
                    )
                    content = None
                    if result.outcome is Outcome.OK and result.body is not None:
                        content = await pool.read(result, utcnow())
                    done.add(source.id)
                    await queue.put((source, result, content))

                try:
                    async with asyncio.timeout(self.settings.deadline):
                        await asyncio.gather(*(one(s) for s in sources))
                except TimeoutError:
                    for source in sources:
                        if source.id not in done:
                            error = (
                                f"not fetched: the run's deadline ({self.settings.deadline:g} s) "
                                "came first"
                            )
                            result = FetchResult(source.id, Outcome.FAILED, error=error)
                            await queue.put((source, result, None))
        await queue.put(None)
        await writer

    async def _write_all(
        self, queue: asyncio.Queue[tuple[Source, FetchResult, FeedContent | None] | None]
    ) -> None:
        while (job := await queue.get()) is not None:
            report = await asyncio.to_thread(self._write_one, *job)
            self._report(report)

    def _write_one(
        self, source: Source, result: FetchResult, content: FeedContent | None
    ) -> SourceReport:
        now = utcnow()
        store = self.store
        report = SourceReport(source.id, result.outcome, status=result.status, error=result.error)
        if result.outcome is Outcome.NOT_MODIFIED:
            store.record_fetch_ok(
                source.id,
                now=now,
                status=result.status,
                etag=result.etag,
                last_modified=result.last_modified,
                body_hash=None,
                final_url=result.final_url,
                title=None,
                problem=None,
            )
        elif result.outcome is Outcome.OK and content is not None and content.format:
            lang = source.lang or (content.language[:2].lower() or None)
            with store.write():
                counts = self.ingester.store_entries(source, content.entries, lang=lang, now=now)
                store.record_fetch_ok(
                    source.id,
                    now=now,
                    status=result.status,
                    etag=result.etag,
                    last_modified=result.last_modified,
                    body_hash=result.body_hash,
                    final_url=result.final_url,
                    title=content.title or None,
                    problem=content.problem,
                )
            report.problem = content.problem
            report.new_items = counts.new_items
            report.new_sightings = counts.new_sightings
            report.updated = counts.updated
            report.filtered = counts.filtered
        else:
            if result.outcome is Outcome.OK:
                # A body that is no feed at all (an HTML page, an error page): a failure, and
                # its hash is not kept, so the next run reads it again instead of calling it
                # unchanged.
                report.outcome = Outcome.FAILED
                report.error = (content.problem if content else None) or "not a feed"
            store.record_fetch_failure(
                source.id,
                now=now,
                status=result.status,
                error=report.error or "failed",
                gone=result.outcome is Outcome.GONE,
                retry_after=result.retry_after,
            )
        return report

    def _report(self, report: SourceReport) -> None:
        s = self.summary
        s.sources += 1
        if report.outcome is Outcome.OK:
            s.ok += 1
        elif report.outcome is Outcome.NOT_MODIFIED:
            s.not_modified += 1
        elif report.outcome is Outcome.SKIPPED:
            s.skipped += 1
        else:
            s.failed += 1
            s.errors.append({"source": report.source_id, "error": report.error or "failed"})
        s.new_items += report.new_items
        s.new_sightings += report.new_sightings
        s.updated += report.updated
        s.filtered += report.filtered
        if self.on_report:
            self.on_report(report)


class _ParsePool:
    """Feed parsing off the event loop, in worker processes sized to the cores.

    Started with the run, so that the workers are up when the first body arrives. The
    forkserver context gives clean workers (no inherited threads or sockets). No preload:
    with one, the fork server would also import the main script, i.e. the whole CLI.
    """

    def __init__(self) -> None:
        self._executor: Executor | None = None

    def __enter__(self) -> _ParsePool:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._executor:
            self._executor.shutdown(wait=True, cancel_futures=True)

    def start(self) -> None:
        """Start the workers now, while the first requests are on the network."""
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=max(1, min(os.cpu_count() or 1, 8)),
                mp_context=multiprocessing.get_context("forkserver"),
            )
            self._executor.submit(importlib.import_module, "watchcli.parse")

    async def read(self, result: FetchResult, seen_at: datetime) -> FeedContent:
        self.start()
        assert self._executor is not None and result.body is not None
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor,
            read_feed,
            result.body,
            result.content_type,
            result.final_url,
            seen_at,
        )

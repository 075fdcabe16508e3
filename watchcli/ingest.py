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
import gc
import importlib
import multiprocessing
import os
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from watchcli import dedupe, neardup
from watchcli.config import Config, Source
from watchcli.dates import parse_iso, utcnow
from watchcli.errors import UsageError
from watchcli.fetch import PAGE_ACCEPT, Fetcher, FetchRequest, make_client
from watchcli.models import Entry, FetchResult, Outcome, RunSummary
from watchcli.prepared import (
    PARSERS,
    EntryText,
    Packed,
    read_feed_for_writer,
    read_page_for_writer,
)
from watchcli.rules import NO_WORDS, MatchText, Rules
from watchcli.store import SightingMatch, SourceState, Store
from watchcli.store_near import REPS, Representative, day_of, is_new_representative


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
    GUID from another source; then the near-duplicate stage (neardup.py: the items the index
    proposes within the window, compared by their representatives, the best one taken when
    the model is sure enough); else a new item.

    Before matching, the source's `include`/`exclude` filters may drop the entry (counted as
    `filtered`, never stored). After it, the entry's tags (rules and source) are added to its
    item, and the item's automatic assignment follows the networks of its sources.
    """

    def __init__(self, store: Store, config: Config, *, now: datetime | None = None) -> None:
        self.store = store
        self.config = config
        self.rules = Rules.compile(config)
        # Items created by this run: what other sightings in the run add to them is part of
        # their creation, not a change for the history.
        self.created: set[int] = set()
        self._weights: neardup.Weights | None = None
        self.counted_since = day_of(now or utcnow()) - neardup.WEIGHT_DAYS

    @property
    def weights(self) -> neardup.Weights:
        """The tokens' weights over the store's recent items, read when first needed (a run
        where every feed answers "not modified" never reads them)."""
        if self._weights is None:
            near, since = self.store.near, self.counted_since
            self._weights = neardup.Weights(
                near.item_count(since), lambda tokens: near.token_counts(tokens, since)
            )
        return self._weights

    def store_entries(
        self,
        source: Source,
        entries: tuple[Entry, ...],
        *,
        lang: str | None,
        now: datetime,
        texts: tuple[EntryText, ...] = (),
    ) -> EntryCounts:
        """Call inside `store.write()`. `texts`: the entries' `EntryText`, when the parse
        worker prepared them; else they are prepared here."""
        counts = EntryCounts()
        if source.dedupe and entries:
            self.weights.prefetch(())  # the run's one-time setup (the prior), not an entry's
        fresh: list[tuple[Entry, MatchText, neardup.MatchText]] = []
        guids: set[str] = set()
        prepared = texts if len(texts) == len(entries) else (None,) * len(entries)
        reads_text = self.rules.reads_text(source)
        for entry, ready in zip(entries, prepared, strict=True):
            if not reads_text:
                text = NO_WORDS  # nothing reads them: no rule, no filter
            else:
                text = ready.keywords if ready and ready.keywords else MatchText.of_entry(entry)
            if not self.rules.keep(text, source):
                counts.filtered += 1
            elif entry.guid in guids:
                continue  # a GUID twice in one feed is one entry: the first
            elif known := self.store.find_sighting(source.id, entry.guid):
                self._update(source, entry, text, known, now=now, counts=counts)
            else:
                near = ready.near if ready else neardup.match_text(entry.title, entry.summary)
                fresh.append((entry, text, near))
            guids.add(entry.guid)
        if source.dedupe and fresh:
            # Every token of the batch weighed in one query, not one query an entry. Same
            # weights: a token's count loaded now only misses items this batch will add, and
            # `Weights.add` counts those.
            self.weights.prefetch(t for _, _, near in fresh for t in near.text)
        holders: Counter[str] = Counter()  # how many of the batch's new items hold each token
        for entry, text, near_text in fresh:
            self._store_new(
                source, entry, text, near_text, lang=lang, now=now, counts=counts, holders=holders
            )
        if counts.new_items:
            # One row a token for the batch: half the rows of one an item's token, on real feeds
            self.store.near.count_items(day_of(now), holders, counts.new_items)
        return counts

    def _update(
        self,
        source: Source,
        entry: Entry,
        text: MatchText,
        known: SightingMatch,
        *,
        now: datetime,
        counts: EntryCounts,
    ) -> None:
        """An entry already stored: updated when it changed at its source."""
        content = dedupe.content_hash(entry)
        if known.content_hash == content:
            return
        key = dedupe.url_key(entry.url)
        self.store.update_sighting(known, entry, url_key=key, content_hash=content, now=now)
        counts.updated += 1
        tags = self.rules.tags_for(text, source)
        record = known.item_id not in self.created
        self.store.add_automatic_tags(known.item_id, tags, now=now, record=record)

    def _store_new(
        self,
        source: Source,
        entry: Entry,
        text: MatchText,
        near_text: neardup.MatchText,
        *,
        lang: str | None,
        now: datetime,
        counts: EntryCounts,
        holders: Counter[str],
    ) -> None:
        """A new entry: a sighting of the item it matches, or a new item (its tokens counted
        in `holders`, which the caller writes once for the batch)."""
        key = dedupe.url_key(entry.url)
        found = self.match(source, entry, key, near_text)
        if found.item_id is None:
            item_id = self.store.insert_item(entry, source, lang=lang, now=now)
            counts.new_items += 1
            counts.item_ids.append(item_id)
        else:
            item_id = found.item_id
            counts.new_sightings += 1
        sighting_id = self.store.insert_sighting(
            item_id,
            source.id,
            entry,
            url_key=key,
            content_hash=dedupe.content_hash(entry),
            how=found.how,
            score=found.score,
            now=now,
            lede=neardup.lede(entry.summary),
            matched_sighting=found.sighting_id,
            features=found.features,
        )
        if found.how == "new":
            self.created.add(item_id)
            self.weights.add(near_text.text)  # before the store counts it: see Weights.add
            holders.update(near_text.text)
            self.store.near.add_representative(
                item_id, sighting_id, day_of(entry.published), entry.published, near_text
            )
        else:
            self._represent(item_id, sighting_id, entry, near_text, found)
        record = item_id not in self.created
        tags = self.rules.tags_for(text, source)
        self.store.add_automatic_tags(item_id, tags, now=now, record=record)
        if found.how != "new":  # a new item was assigned as it was inserted
            self.store.apply_automatic_assignment(item_id, now=now, record=record)

    def _represent(
        self, item_id: int, sighting_id: int, entry: Entry, text: neardup.MatchText, found: Match
    ) -> None:
        """A new sighting of an item becomes one of its representatives while it has fewer
        than REPS and this wording is new to it: a third source may echo the second's words."""
        kept = [neardup.MatchText.decode(t) for t in self.store.near.representative_texts(item_id)]
        if len(kept) >= REPS or not is_new_representative(text, kept):
            return
        item_published = found.item_published or self.store.item_published(item_id)
        self.store.near.add_representative(
            item_id, sighting_id, day_of(item_published), entry.published, text
        )

    def match(
        self, source: Source, entry: Entry, key: str | None, text: neardup.MatchText
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
            return self.match_near(source, entry, text)
        return Match(None, "new", None)

    def match_near(self, source: Source, entry: Entry, text: neardup.MatchText) -> Match:
        """The item whose representative the model finds likeliest to tell the same story,
        among the few the index proposes within the window, when that is likely enough."""
        settings = self.config.dedupe
        window = timedelta(days=settings.window_days)
        threshold = settings.threshold or neardup.MODEL.threshold
        weights = self.weights
        asked = neardup.query_tokens(text, weights)
        days = range(day_of(entry.published - window), day_of(entry.published + window) + 1)
        shared_at_least, alone_from = neardup.candidate_bounds(len(asked), weights.top)
        proposed = self.store.near.candidates(
            [(token, weights(token)) for token in asked],
            days,
            shared_at_least=shared_at_least,
            alone_from=alone_from,
            limit=neardup.CANDIDATES,
        )
        representatives = self.store.near.representatives(proposed, source.id)
        weights.prefetch([t for r in representatives for t in r.text.text] + [*text.text])
        # An item is joined only when every representative nearly agrees (`coherent`): once
        # one cannot, the item is out, and its other representatives need no verdict.
        floor = neardup.COHERENCE * threshold
        verdicts: dict[int, list[tuple[neardup.Verdict, Representative]]] = defaultdict(list)
        out: set[int] = set()
        for rep in representatives:
            if rep.item_id in out or abs(entry.published - rep.published) > window:
                continue
            apart = dict(
                same_source=rep.same_source,
                hours_apart=abs((entry.published - rep.published).total_seconds()) / 3600,
            )
            if neardup.ceiling(text, rep.text, weights, **apart) < floor:
                out.add(rep.item_id)
                continue
            verdict = neardup.decide(text, rep.text, weights, **apart)
            if verdict.reason is not None or verdict.probability < floor:
                out.add(rep.item_id)
            verdicts[rep.item_id].append((verdict, rep))
        best = Match(None, "new", None)
        for item_id in proposed:
            if item_id in out or not verdicts[item_id]:
                continue
            verdict, rep = max(verdicts[item_id], key=lambda v: v[0].probability)
            if verdict.probability < threshold or not neardup.coherent(
                [v for v, _ in verdicts[item_id]], threshold
            ):
                continue
            if best.score is None or verdict.probability > best.score:
                assert verdict.features is not None
                best = Match(
                    item_id,
                    "near",
                    round(verdict.probability, 3),
                    rep.sighting_id,
                    features=verdict.features.as_dict(),
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
    features: dict[str, float] | None = None  # the evidence of a near match


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
        self.store.near.forget_counts_before(day_of(now) - 2 * neardup.WEIGHT_DAYS)
        settle_heap()
        run_id = self.store.start_run(now)
        try:
            asyncio.run(self._run_all())
        finally:
            self.store.finish_run(run_id, self.summary, utcnow())
        return self.summary

    def ensure_near_keys(self, now: datetime) -> None:
        """When the matching rules changed (a new `NEAR_KEY_VERSION`), the index's tokens match
        nothing new: choose and index again the representatives of the items a new entry can
        still meet (those dated within the window, with a margin), and count the tokens of the
        weights' window again, once, before fetching. Older items keep their exact keys."""
        if self.store.setting("near_key_version") == neardup.NEAR_KEY_VERSION:
            return
        since = now - 2 * timedelta(days=self.config.dedupe.window_days)
        with self.store.write():
            for item_id in self.store.items_published_since(since):
                self.store.near.reindex(item_id)
            self.store.near.recount(now - timedelta(days=neardup.WEIGHT_DAYS))
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
        answers: asyncio.Queue[tuple[int, FetchResult, Packed | None]] = asyncio.Queue()
        writer = asyncio.create_task(self._write_all(sources, answers))
        done: set[str] = set()
        with _ParsePool() as pool:
            if any(states[s.id].expects_body for s in sources):
                pool.start()  # a body is sure to come: have the workers up when it does
            async with make_client(self.settings, debug=self.debug) as client:
                fetcher = Fetcher(client, self.settings)

                async def one(position: int, source: Source) -> None:
                    state = states[source.id]
                    etag, last_modified, body_hash = state.asked_with()
                    result = await fetcher.fetch(
                        FetchRequest(
                            source.id,
                            source.url,
                            etag=etag,
                            last_modified=last_modified,
                            body_hash=body_hash,
                            accept=PAGE_ACCEPT if source.page else None,
                        )
                    )
                    if state.no_feed and result.outcome is Outcome.NOT_MODIFIED:
                        # The body the last run found no feed, unchanged: the same failure
                        error = state.last_error or "not a feed"
                        result = replace(result, outcome=Outcome.FAILED, error=error)
                    content = None
                    if result.outcome is Outcome.OK and result.body is not None:
                        content = await pool.read(
                            result,
                            utcnow(),
                            source,
                            keywords=self.ingester.rules.reads_text(source),
                        )
                        result = replace(result, body=None)  # read: no need to keep it waiting
                    done.add(source.id)
                    await answers.put((position, result, content))

                try:
                    async with asyncio.timeout(self.settings.deadline):
                        await asyncio.gather(*(one(i, s) for i, s in enumerate(sources)))
                except TimeoutError:
                    for position, source in enumerate(sources):
                        if source.id not in done:
                            error = (
                                f"not fetched: the run's deadline ({self.settings.deadline:g} s) "
                                "came first"
                            )
                            result = FetchResult(source.id, Outcome.FAILED, error=error)
                            await answers.put((position, result, None))
        await writer

    async def _write_all(
        self,
        sources: list[Source],
        answers: asyncio.Queue[tuple[int, FetchResult, Packed | None]],
    ) -> None:
        """Write the answers in the order of `sources.toml`, whatever order they come in: the
        items a run makes depend on the feeds, never on which server answered first. An answer
        that comes early waits (parsed, in memory) for those before it."""
        waiting: dict[int, tuple[FetchResult, Packed | None]] = {}
        for position, source in enumerate(sources):
            while position not in waiting:
                arrived, result, content = await answers.get()
                waiting[arrived] = (result, content)
            report = await asyncio.to_thread(self._write_one, source, *waiting.pop(position))
            self._report(report)

    def _write_one(
        self, source: Source, result: FetchResult, packed: Packed | None
    ) -> SourceReport:
        now = utcnow()
        content = packed.open() if packed else None
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
                counts = self.ingester.store_entries(
                    source, content.entries, lang=lang, now=now, texts=content.texts
                )
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
            no_feed = None
            if result.outcome is Outcome.OK:
                # A body that is no feed at all (an HTML page, an error page): a failure. A
                # feed's validators are kept with it, so that the next run asks whether it
                # changed; a page's are not, since new selectors may find entries in it.
                report.outcome = Outcome.FAILED
                report.error = (content.problem if content else None) or "not a feed"
                if source.page is None and result.body_hash:
                    no_feed = (result.etag, result.last_modified, result.body_hash)
            store.record_fetch_failure(
                source.id,
                now=now,
                status=result.status,
                error=report.error or "failed",
                gone=result.outcome is Outcome.GONE,
                retry_after=result.retry_after,
                no_feed=no_feed,
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


def settle_heap() -> None:
    """What the command made before its run (modules, configuration, caches) lives as long as
    the run: collect once, then leave it out of the collector's later passes, so that no entry
    pays for a full collection over it (one took 12 ms, measured in bench/dedupe_scale.py)."""
    gc.collect()
    gc.freeze()


class _ParsePool:
    """Feed parsing off the event loop, in worker processes: one a core but one, which this
    process (the network and the writer) keeps busy. On 2 cores a second worker made a cold
    fetch of the real corpus no faster (3.14 against 3.21 s, medians of 3) and took 40 MiB.

    Started with the run when a source is asked for the first time (its body is sure to
    come), so that the workers are up when it arrives; else with the first body, so that a run
    where every source answers "not modified" starts no process at all. The
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
                max_workers=max(1, min((os.cpu_count() or 1) - 1, 8)),
                mp_context=multiprocessing.get_context("forkserver"),
            )
            for module in PARSERS:
                self._executor.submit(importlib.import_module, module)

    async def read(
        self, result: FetchResult, seen_at: datetime, source: Source, *, keywords: bool
    ) -> Packed:
        """The body read as its source's kind says: a feed, or a page and its selectors;
        with `keywords`, each entry's words for the rules and filters."""
        self.start()
        assert self._executor is not None and result.body is not None
        loop = asyncio.get_running_loop()
        if source.page is not None:
            return await loop.run_in_executor(
                self._executor,
                read_page_for_writer,
                result.body,
                result.content_type,
                result.final_url,
                seen_at,
                source.page,
                keywords,
            )
        return await loop.run_in_executor(
            self._executor,
            read_feed_for_writer,
            result.body,
            result.content_type,
            result.final_url,
            seen_at,
            keywords,
        )

"""The same feeds give the same items whatever order the sources answer in; distinct generated
entries give as many items; an item seen a thousand times keeps a bounded representation.
Real fetches from a loopback server into real stores."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path

from bench.dedupe_sets import Doc, fixtures
from bench.templates import recombined_feeds
from tests.conftest import rss
from tests.feedserver import FeedServer
from watchcli.config import Config, Source
from watchcli.ingest import FetchRun, Ingester
from watchcli.models import Entry
from watchcli.store import Store
from watchcli.store_near import REPS

Partition = set[frozenset[tuple[str, str]]]
NOW = datetime.now(UTC).replace(microsecond=0)


def feed_of(docs: list[Doc]) -> str:
    return rss(
        *(
            {
                "title": escape(d.title),
                "link": escape(d.url),
                "guid": escape(d.guid),
                "description": escape(d.summary),
                "pubDate": format_datetime(d.published),
            }
            for d in docs
        )
    )


def serve(
    feed_server: FeedServer, name: str, feeds: dict[str, list[Doc]], delays: list[float]
) -> Config:
    sources = []
    for (source, docs), delay in zip(sorted(feeds.items()), delays, strict=True):
        url = feed_server.put(f"{name}-{source}.xml", feed_of(docs), delay=delay)
        sources.append(Source(id=source, url=url))
    return Config(path=Path("sources.toml"), sources=tuple(sources))


def partition(store: Store) -> Partition:
    items: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for item, source, guid in store.db.execute("SELECT item_id, source_id, guid FROM sightings"):
        items[item].add((source, guid))
    return {frozenset(members) for members in items.values()}


def fetch(tmp_path: Path, config: Config) -> Partition:
    with Store.open(tmp_path / "watch.db") as store:
        summary = FetchRun(store, config).run()
        assert summary.failed == 0
        return partition(store)


def ingest_in_order(tmp_path: Path, feeds: dict[str, list[Doc]], order: list[str]) -> Partition:
    """The feeds written straight to a store, one source after another in `order`."""
    config = Config(
        path=tmp_path / "sources.toml",
        sources=tuple(Source(id=s, url=f"https://{s}.example.org/") for s in order),
    )
    with Store.open(tmp_path / "watch.db") as store:
        ingester = Ingester(store, config, now=NOW)
        for source_id in order:
            source = config.source(source_id)
            assert source is not None
            entries = tuple(
                Entry(d.guid, d.url, d.url, d.title, d.summary, d.published, True)
                for d in feeds[source_id]
            )
            with store.write():
                ingester.store_entries(source, entries, lang=None, now=NOW)
        return partition(store)


def recent(docs: list[Doc]) -> dict[str, list[Doc]]:
    """The docs by source, moved to the last days (a fetch keeps what is in its window)."""
    shift = NOW - max(d.published for d in docs) - timedelta(hours=1)
    feeds: dict[str, list[Doc]] = defaultdict(list)
    for d in docs:
        feeds[d.source].append(
            Doc(d.source, d.guid, d.title, d.summary, d.published + shift, d.story, d.url)
        )
    return dict(feeds)


def test_the_same_feeds_give_the_same_items_whatever_order_they_answer_in(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feeds = recent(fixtures().docs)  # 218 entries from 43 sources, stories told several times
    names = sorted(feeds)
    # Written one source after the other, these feeds do not give the same items in one order
    # and in the other: the order of the writes matters...
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert ingest_in_order(tmp_path / "a", feeds, names) != ingest_in_order(
        tmp_path / "b", feeds, names[::-1]
    )
    # ...yet a fetch gives the same items when the servers answer in one order or the other.
    step = 0.03
    first = serve(feed_server, "asc", feeds, [i * step for i in range(len(names))])
    second = serve(feed_server, "desc", feeds, [(len(names) - i) * step for i in range(len(names))])
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    assert fetch(tmp_path / "first", first) == fetch(tmp_path / "second", second)


def generated(codes: bool) -> dict[str, list[Doc]]:
    """100 feeds of 3 recombined titles, as the issue's farm makes them."""
    return {
        f"flux-{feed:03d}": [
            Doc(
                f"flux-{feed:03d}",
                f"https://flux-{feed:03d}.example.org/{n}",
                text.title,
                text.summary,
                NOW - timedelta(hours=n + feed % 7),
                f"{feed}-{n}",
                f"https://flux-{feed:03d}.example.org/{n}",
            )
            for n, text in enumerate(titles)
        ]
        for feed, titles in enumerate(recombined_feeds(100, 3, codes=codes))
    }


def test_three_hundred_distinct_generated_entries_are_three_hundred_items(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feeds = generated(codes=True)
    delays = [(feed * 37 % 100) / 1000 for feed in range(100)]  # answers in a shuffled order
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    items = fetch(tmp_path / "one", serve(feed_server, "gen1", feeds, delays))
    assert len(items) == 300
    again = fetch(tmp_path / "two", serve(feed_server, "gen2", feeds, delays[::-1]))
    assert again == items


def test_recombined_titles_without_codes_stay_apart_too(tmp_path: Path) -> None:
    feeds = generated(codes=False)
    assert len(ingest_in_order(tmp_path, feeds, sorted(feeds))) == 300


WORDINGS = (
    "Séisme au Maroc : au moins 800 morts selon un nouveau bilan",
    "Maroc : le séisme a fait au moins 800 morts, selon un nouveau bilan",
    "Séisme dans le Haut Atlas marocain : le bilan s'alourdit à 800 morts",
    "Au moins 800 morts dans le séisme qui a frappé le Maroc",
)


def test_an_item_seen_a_thousand_times_keeps_a_few_representatives(tmp_path: Path) -> None:
    feeds = {
        f"s{k:04d}": [
            Doc(
                f"s{k:04d}",
                f"g{k}",
                WORDINGS[k % len(WORDINGS)],
                "Le séisme a frappé le Haut Atlas.",
                NOW - timedelta(minutes=k),
                "quake",
                f"https://s{k:04d}.example.org/quake",
            )
        ]
        for k in range(1000)
    }
    items = ingest_in_order(tmp_path, feeds, sorted(feeds))
    assert len(items) == 1
    with Store.open(tmp_path / "watch.db") as store:
        (reps,) = store.db.execute("SELECT count(*) FROM near_reps").fetchone()
        (rows,) = store.db.execute("SELECT count(*) FROM near_tokens").fetchone()
    assert reps <= REPS
    assert rows <= REPS * 25

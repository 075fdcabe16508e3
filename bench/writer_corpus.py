"""The fetch's writer alone, on real feeds or on peers.py's templated farm: milliseconds and
SQL statements an entry.

    python bench/writer_corpus.py [--runs 5] [--farm 200,50]

Every feed of ../shared/corpus/feeds (skips when absent), or with `--farm N,M` the N templated
feeds of M entries that `bench/peers.py` serves, is read and its entries' texts prepared
first, as the parse workers would (not timed); then the real `Ingester` stores them feed after
feed, one transaction a feed, into a fresh store, as a cold fetch's writer does. Prints the
best run's CPU time per entry, the statements SQLite ran per entry (counted in one more run,
those run by triggers and by the full-text index included), and the items made. Run it on two
checkouts to compare two writers.
"""

from __future__ import annotations

import argparse
import gzip
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from watchcli.config import Config, Source
from watchcli.ingest import Ingester
from watchcli.parse import read_feed
from watchcli.prepared import EntryText
from watchcli.store import Store

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "feeds"
CORPUS_NOW = datetime(2026, 12, 3, tzinfo=UTC)  # the farm's feeds are dated from the present


def corpus_bodies() -> list[bytes]:
    bodies = []
    for path in sorted(CORPUS.iterdir()):
        body = path.read_bytes()
        bodies.append(gzip.decompress(body) if path.suffix == ".gz" else body)
    return bodies


def farm_bodies(feeds: int, entries: int) -> list[bytes]:
    from bench.peers import Farm

    farm = Farm(feeds, entries, latency=(0.0, 0.0), gzip=False)
    return [farm.body(n, gzipped=False) for n in range(feeds)]


def prepared_feeds(bodies: list[bytes], now: datetime) -> list[tuple[str, tuple, tuple]]:
    feeds = []
    for n, body in enumerate(bodies):
        content = read_feed(body, "", f"https://f{n}.example.org/", now)
        if content.entries:
            texts = tuple(EntryText.of(entry) for entry in content.entries)
            feeds.append((f"f{n:03d}", content.entries, texts))
    return feeds


def one_run(
    feeds: list[tuple[str, tuple, tuple]], now: datetime, *, counted: bool
) -> tuple[float, int, int]:
    """(CPU seconds, statements, items) of storing every feed into a fresh store; statements
    are counted only when `counted` (counting slows SQLite down)."""
    with tempfile.TemporaryDirectory(prefix="watchcli-writer-") as tmp:
        config = Config(
            path=Path(tmp) / "sources.toml",
            sources=tuple(Source(id=s, url=f"https://{s}.example.org/") for s, _, _ in feeds),
        )
        with Store.open(Path(tmp) / "watch.db") as store:
            statements = 0

            def count(_: str) -> None:
                nonlocal statements
                statements += 1

            if counted:
                store.db.conn.set_trace_callback(count)
            ingester = Ingester(store, config, now=now)
            started = time.process_time()
            for source_id, entries, texts in feeds:
                source = config.source(source_id)
                assert source is not None
                with store.write():
                    ingester.store_entries(source, entries, lang=None, now=now, texts=texts)
            spent = time.process_time() - started
            store.db.conn.set_trace_callback(None)
            (items,) = store.db.execute("SELECT count(*) FROM items").fetchone()
            return spent, statements, items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--farm", help="N,M: peers.py's N templated feeds of M entries")
    args = parser.parse_args()
    if args.farm:
        feeds_count, entries_count = (int(x) for x in args.farm.split(","))
        bodies, now = farm_bodies(feeds_count, entries_count), datetime.now(UTC)
    elif CORPUS.is_dir():
        bodies, now = corpus_bodies(), CORPUS_NOW
    else:
        print(f"no corpus at {CORPUS}; nothing to measure")
        return
    feeds = prepared_feeds(bodies, now)
    entries = sum(len(e) for _, e, _ in feeds)
    spent, _, items = min(one_run(feeds, now, counted=False) for _ in range(args.runs))
    _, statements, _ = one_run(feeds, now, counted=True)
    print(
        f"{len(feeds)} feeds, {entries} entries, {items} items: writer {spent * 1000 / entries:.3f}"
        f" ms an entry (best of {args.runs}), {statements / entries:.1f} statements an entry"
    )


if __name__ == "__main__":
    main()

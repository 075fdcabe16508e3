"""What `watchcli search` costs on a large store, against a plain LIKE scan of the same store.

    python bench/search_scale.py [--size 1000000] [--keep DIR] [--store PATH] [--runs 5]

The store: SIZE items grown at 200 a day with the rows the ingest path writes
(`bench/dedupe_scale.py`'s builder, templated French titles and summaries: job offers, alerts
and recombined sentences), built once (with `--keep DIR`, reused across invocations); or a
copy of an existing store (`--store`, any schema: opening it applies the migrations, so the
full-text index of m008 is built then, and that time is reported).

Queries (the service the CLI calls, `searching.search_items`, 50 results, best first), by kind:
a rare pair of words, a city, an accent-folded word, a phrase, a prefix, an exclusion, a word
found nowhere, and the commonest words (a third of the store's items are job offers: `emploi`
ranks 330 000 of them); and a few with a filter of `list` (`--since 30d`). Each query runs
RUNS times, the first in a cold SQLite cache (a new connection); p50, p90 and max are over
every run of every unfiltered query. The baseline, in the same run on the same store: every
item whose `title LIKE '%word%' OR summary LIKE '%word%'` (a scan of the items, with neither
accent folding nor ranking), for a few words, once each.

Prints the timings per kind, the overall p50 and its ratio to the baseline, and the room the
index takes (dbstat).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.dedupe_scale import NOW, build
from watchcli.models import ItemFilter
from watchcli.searching import search_items
from watchcli.store import Store

QUERIES = {
    "rare pair": ["festival grenoble", "montagne vichy", "forêt annecy", "vignoble valence"],
    "one word": ["patrimoine", "littoral", "artisanat", "théâtre"],
    "accents folded": ["energie", "ecole", "sante", "ocean"],
    "phrase": ['"chargé·e de mission plaidoyer"', '"tropical cyclone"', '"orange flood"'],
    "prefix": ["agri*", "tour*"],
    "exclusion": ["festival -grenoble", "alert -orange -green"],
    "no match": ["introuvable", "zzzz"],
    "commonest words": ["emploi", "alert", "mission"],
}
# The same queries with a filter of `list` (first seen in the last 30 days of the store):
# every match's item is read to filter it.
FILTERED = ["sante", "festival grenoble", "patrimoine"]
LIMIT = 50


def timed(store: Store, query: str, since: datetime | None = None) -> float:
    started = time.perf_counter()
    search_items(store, query, ItemFilter(limit=LIMIT, first_seen_since=since))
    return (time.perf_counter() - started) * 1000


def like_scan(store: Store, word: str) -> float:
    started = time.perf_counter()
    store.db.execute(
        "SELECT id FROM items WHERE title LIKE ? OR summary LIKE ?", [f"%{word}%", f"%{word}%"]
    ).fetchall()
    return (time.perf_counter() - started) * 1000


def index_size(store: Store) -> int:
    (size,) = store.db.execute(
        "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'items_fts%'"
    ).fetchone()
    return int(size or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="keep the built store here, and reuse it")
    parser.add_argument("--store", type=Path, help="start from a copy of this store instead")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="watchcli-search-") as tmp:
        work = Path(tmp) / "watch.db"
        if args.store:
            shutil.copy(args.store, work)
            source = str(args.store)
        else:
            folder = args.keep.resolve() if args.keep else Path(tmp)
            folder.mkdir(parents=True, exist_ok=True)
            base = folder / f"search-templated-{args.size}.db"
            if not base.exists():
                started = time.perf_counter()
                build(base.with_suffix(".building"), "templated", args.size, 200)
                base.with_suffix(".building").rename(base)
                print(f"built {args.size} items in {time.perf_counter() - started:.0f} s")
            shutil.copy(base, work)
            source = str(base)
        started = time.perf_counter()
        Store.open(work).close()  # pending migrations: the index, for an older store
        opened = time.perf_counter() - started
        with Store.open(work) as store:
            items = store.count_items()
            fts = index_size(store)
        print(f"store: {source}, {items} items; opening it (migrations) took {opened:.1f} s")
        print(
            f"full-text index: {fts / 2**20:.1f} MiB, {fts / items * 10_000 / 2**20:.2f} MiB "
            f"per 10k items; store {work.stat().st_size / 2**20:.0f} MiB"
        )
        every: list[float] = []
        by_kind: dict[str, list[float]] = {}
        for kind, queries in QUERIES.items():
            for query in queries:
                with Store.open(work) as store:  # a cold SQLite cache for the first run
                    times = [timed(store, query) for _ in range(args.runs)]
                by_kind.setdefault(kind, []).extend(times)
                every.extend(times)
        since = NOW - timedelta(days=30)
        for query in FILTERED:
            with Store.open(work) as store:
                times = [timed(store, query, since) for _ in range(args.runs)]
            by_kind.setdefault("with --since 30d", []).extend(times)
        with Store.open(work) as store:
            found = {q: len(search_items(store, q, ItemFilter())[1]) for q in ("emploi", "sante")}
            words = ["grenoble", "patrimoine", "emploi", "zzzz"]
            baseline = [like_scan(store, word) for word in words]
    print(f"\n{'kind':>16} {'p50 ms':>8} {'p90 ms':>8} {'max ms':>8}")
    for kind, times in by_kind.items():
        print(f"{kind:>16} {_p(times, 50):8.2f} {_p(times, 90):8.2f} {max(times):8.2f}")
    p50 = _p(every, 50)
    like = statistics.median(baseline)
    print(
        f"\nsearch over {items} items: p50 {p50:.2f} ms, p90 {_p(every, 90):.2f} ms, "
        f"max {max(every):.1f} ms, unfiltered ({len(every)} runs of "
        f"{sum(map(len, QUERIES.values()))} queries; matches: emploi {found['emploi']}, "
        f"sante {found['sante']})"
    )
    print(
        f"baseline LIKE scan (median of {len(words)} words): {like:.0f} ms; "
        f"search p50 is {like / p50:.0f}x faster"
    )


def _p(values: list[float], pct: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


if __name__ == "__main__":
    main()

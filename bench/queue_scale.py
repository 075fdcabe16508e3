"""What a member's queue costs on a large store: `list --limit 50` with the queue first, and a
refresh of the triage screen, against the one ranked and sorted query they replaced.

    python bench/queue_scale.py [--sizes 100000,1000000] [--runs 5] [--keep DIR] [--plans]
    python bench/queue_scale.py --search [--sizes 1000000] [--runs 5] [--keep DIR]

The stores: bench/dedupe_scale.py's plain stores (`built_store`: built once, reused from
`--keep DIR`), each copied once (kept beside it) to a store at the current schema with a
watch's triage state on it: `ana` (network `nord`) holds one item in 500, `ben` (`nord`) one
in 250, one item in ten is handled (selected or discarded); the rest is new and left to the
network of its sources (`nord`, `sud`, `est`; a quarter to nobody). At a million items ana's
queue is 2,000 items she holds, 200,000 left to `nord` and 246,000 to nobody.

Timed in this process, the old way and the new in turns, RUNS times each on a new connection
(the first in a cold SQLite cache; the store file in the OS cache):

- list: what ana's plain `watchcli list --limit 50` reads (her queue first:
  `Store.list_items(queue_of=…)`, one query per rank, each through an index in date order),
  against the query it replaced (OLD_LIST below: every matching item ranked, then sorted);
  the store's part only, not the process around it (bench/cli_latency.py);
- list -t eau: the same with a tag, carried by a fifth of the items but by none of those left
  to `nord` (a tag comes with its source): that rank's index is read through to its end;
- list --since 1d: the same in a day's window of first-seen dates (200 items), which one
  query ranks and sorts as before (`Store._small_window`): the same cost both ways;
- triage: a refresh of the triage screen (`services.triage_queue`: the counts by rank, the
  first VIEW_LIMIT rows) on ana's queue, and filtered on another network's items, against the
  old refresh (OLD_TRIAGE: every new item read through the old query to count the ranks).

With `--search`, the triage screen's search (`/`) instead, on bench/dedupe_scale.py's store
of templated French titles and summaries, with the same triage state: a refresh of the screen
searching the whole store's full-text index (its newest MATCH_LIMIT matches, then the view's
filters, in the queue's order), for the SEARCHES below, timed the same way. There is no old
way to compare with: it looked through the newest 5000 items only, and found other items.

Both ways run on the same store (its indexes of m011 included: the old query's plans are the
same on the store before m011, a scan or a filter's index, and a sort), and each pair's
results are checked equal (the old refresh's queue cut to VIEW_LIMIT) before anything is
timed. Prints the median of each, old / new, and with `--plans` the query plans of the new
list and refresh.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.dedupe_scale import NOW, built_store
from watchcli import services
from watchcli.models import ItemFilter
from watchcli.services import View
from watchcli.store import Store, _filter_sql

QUEUE_VERSION = 1  # bump when `prepare` changes, so that --keep rebuilds the queue stores
OWNER = ("ana", "nord")
LIMIT = 50


def prepare(base: Path, path: Path) -> None:
    """A copy of `base` at the current schema with the triage state the docstring describes."""
    partial = path.with_suffix(".building")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{partial}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(base, partial)
    with Store.open(partial) as store:  # the migrations since the base was built
        with store.write():
            store.db.execute(
                "UPDATE items SET status = CASE WHEN id % 30 = 0 THEN 'selected'"
                " ELSE 'discarded' END, handled_by = 'ben', handled_at = first_seen"
                " WHERE id % 10 = 0"
            )
            for member, every, rest in (("ana", 500, 7), ("ben", 250, 3)):
                store.db.execute(
                    "UPDATE items SET assignee = ?, network = 'nord', assigned_by = ?"
                    " WHERE id % ? = ? AND status = 'new'",
                    [member, member, every, rest],
                )
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    partial.rename(path)


# --- the old way, as the store and the triage screen did it before m011 ---------------------


def old_list(store: Store, item_filter: ItemFilter, queue_of: tuple[str, str]) -> list[dict]:
    """OLD_LIST: `Store.list_items(queue_of=…)` as it was: every item matching the filter
    ranked by a CASE, then sorted by rank and date."""
    where, params = _filter_sql(item_filter)
    columns = (
        Store._ITEM_COLUMNS
        + """,
        CASE WHEN i.status != 'new' THEN 3
             WHEN i.assignee = ? THEN 0
             WHEN i.assignee IS NULL AND i.network = ? THEN 1
             WHEN i.assignee IS NULL AND i.network IS NULL THEN 2
             ELSE 3 END AS queue"""
    )
    params = [*queue_of, *params]
    query = f"SELECT {columns} FROM items i"
    if where:
        query += " WHERE " + " AND ".join(where)
    query += " ORDER BY queue, i.published DESC, i.id DESC"
    if item_filter.limit:
        query += " LIMIT ?"
        params.append(item_filter.limit)
    return [Store._decode_item(row) for row in store._all(query, params)]


def old_triage(store: Store, owner: tuple[str, str], view: View) -> services.Queue:
    """OLD_TRIAGE: `services.triage_queue` as it was (nothing kept: a fresh screen): every new
    item of the store read and ranked to count the ranks, and to list the queue; a filter's
    rows through the old query."""
    queued = old_list(store, ItemFilter(status="new"), owner)
    counts = dict.fromkeys((services.HELD, services.NETWORK, services.UNASSIGNED), 0)
    for item in queued:
        if item["queue"] in counts:
            counts[item["queue"]] += 1
    if view.is_queue:
        rows = [item for item in queued if item["queue"] != services.OTHERS]
    else:
        item_filter = ItemFilter(
            tags=(view.tag,) if view.tag else (),
            status=view.status,
            network=view.network,
            limit=services.VIEW_LIMIT,
        )
        rows = old_list(store, item_filter, owner)
    return services.Queue(rows, counts)


# --- the cases -------------------------------------------------------------------------------


def new_list(item_filter: ItemFilter) -> Callable[[Store], list[dict]]:
    def run(store: Store) -> list[dict]:
        return store.list_items(item_filter, queue_of=OWNER)

    return run


def old_list_of(item_filter: ItemFilter) -> Callable[[Store], list[dict]]:
    def run(store: Store) -> list[dict]:
        return old_list(store, item_filter, OWNER)

    return run


CASES: dict[str, tuple[Callable[[Store], object], Callable[[Store], object]]] = {
    f"list --limit {LIMIT}": (
        old_list_of(ItemFilter(limit=LIMIT)),
        new_list(ItemFilter(limit=LIMIT)),
    ),
    f"list -t eau --limit {LIMIT}": (
        old_list_of(ItemFilter(tags=("eau",), limit=LIMIT)),
        new_list(ItemFilter(tags=("eau",), limit=LIMIT)),
    ),
    f"list --since 1d --limit {LIMIT}": (
        old_list_of(ItemFilter(first_seen_since=NOW - timedelta(days=1), limit=LIMIT)),
        new_list(ItemFilter(first_seen_since=NOW - timedelta(days=1), limit=LIMIT)),
    ),
    "triage, the queue": (
        lambda store: old_triage(store, OWNER, View()),
        lambda store: services.triage_queue(store, OWNER, View()),
    ),
    "triage, network sud": (
        lambda store: old_triage(store, OWNER, View(network="sud")),
        lambda store: services.triage_queue(store, OWNER, View(network="sud")),
    ),
}


# `--search`: the views, by how many items their words match in a store of a million.
SEARCHES = {
    "festival grenoble (2 939)": View(search="festival grenoble"),
    "sante (44 403)": View(search="sante"),
    "patrim, as typed (44 632)": View(search="patrim"),
    "emploi (333 334)": View(search="emploi"),
    "emploi, network sud": View(search="emploi", network="sud"),
    "emploi, tag eau": View(search="emploi", tag="eau"),
    "emploi, status selected": View(search="emploi", status="selected"),
    "a, as typed (1 000 000)": View(search="a"),
    "the queue, no search": View(),
}


def search_cases(path: Path, runs: int) -> dict[str, float]:
    """The median refresh of the triage screen for each of SEARCHES (ms)."""
    medians = {}
    for name, view in SEARCHES.items():
        refresh = partial(services.triage_queue, owner=OWNER, view=view)
        medians[name] = statistics.median(timed(path, refresh) for _ in range(runs))
    return medians


def same(old: object, new: object) -> bool:
    if isinstance(old, services.Queue) and isinstance(new, services.Queue):
        return old.counts == new.counts and old.items[: services.VIEW_LIMIT] == new.items
    return old == new


def timed(path: Path, run: Callable[[Store], object]) -> float:
    with Store.open(path) as store:  # a new connection: SQLite's cache empty
        started = time.perf_counter()
        run(store)
        return (time.perf_counter() - started) * 1000


def plans(path: Path) -> None:
    with Store.open(path) as store:
        statements: list[tuple[str, object]] = []
        store.db._tracer = lambda sql, params: statements.append((sql, params))
        store.list_items(ItemFilter(limit=LIMIT), queue_of=OWNER)
        services.triage_queue(store, OWNER, View())
        store.db._tracer = None
        for sql, params in statements:
            if "EXPLAIN" in sql or "PRAGMA" in sql:
                continue
            plan = store.db.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
            query = " ".join(sql.rsplit("FROM items i", 1)[-1].split())[:96]
            print(f"  … FROM items i {query}")
            for row in plan:
                if not row[1]:  # the query's own steps, not those of an item's sources and tags
                    print(f"      {row[-1]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="keep the built stores here, and reuse them")
    parser.add_argument("--plans", action="store_true", help="print the new queries' plans")
    parser.add_argument("--search", action="store_true", help="time the triage search instead")
    args = parser.parse_args()
    if args.search:
        search_main(args)
        return
    results: dict[tuple[int, str], tuple[float, float]] = {}
    with tempfile.TemporaryDirectory(prefix="watchcli-queue-") as tmp:
        folder = args.keep.resolve() if args.keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for size in (int(s) for s in args.sizes.split(",")):
            path = queue_store(folder, "plain", size)
            with Store.open(path) as store:
                counts = store.queue_counts(*OWNER)
                print(
                    f"{size} items; {OWNER[0]}'s queue: {counts[0]} held, {counts[1]} "
                    f"{OWNER[1]}, {counts[2]} unassigned",
                    flush=True,
                )
                for name, (old, new) in CASES.items():
                    if not same(old(store), new(store)):
                        sys.exit(f"{name} at {size} items: the new way differs from the old")
            if args.plans:
                plans(path)
            for name, (old, new) in CASES.items():
                times: tuple[list[float], list[float]] = ([], [])
                for _ in range(args.runs):
                    times[0].append(timed(path, old))
                    times[1].append(timed(path, new))
                results[size, name] = (statistics.median(times[0]), statistics.median(times[1]))
    print(f"\nmedian of {args.runs} runs each, in turns, on a new connection (ms)")
    print(f"{'items':>9}  {'case':28} {'old':>9} {'new':>8} {'old/new':>8}")
    for (size, name), (old_ms, new_ms) in results.items():
        ratio = old_ms / new_ms
        print(
            f"{size:>9}  {name:28} {old_ms:9.1f} {new_ms:8.2f} "
            f"{ratio:7.{0 if ratio >= 10 else 1}f}x"
        )


def queue_store(folder: Path, workload: str, size: int) -> Path:
    """The store of `size` items of `workload` with the triage state of `prepare`, built once."""
    base = built_store(folder, workload, size, 200)
    path = folder / f"queue-{base.stem}-q{QUEUE_VERSION}.db"
    if not path.exists():
        started = time.perf_counter()
        prepare(base, path)
        print(f"prepared {path.name} in {time.perf_counter() - started:.0f} s", flush=True)
    return path


def search_main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="watchcli-queue-") as tmp:
        folder = args.keep.resolve() if args.keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for size in (int(s) for s in args.sizes.split(",")):
            path = queue_store(folder, "templated", size)
            print(f"\n{size} items: a refresh of the triage screen, median of {args.runs} (ms)")
            for name, ms in search_cases(path, args.runs).items():
                print(f"  {name:30} {ms:8.1f}", flush=True)


if __name__ == "__main__":
    main()

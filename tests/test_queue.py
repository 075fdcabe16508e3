"""A member's queue on real SQLite files: `Store.list_items(queue_of=…)` reads one rank after
the other through indexes, and must give exactly what the one ranked and sorted query it
replaced gave; the triage screen counts the queue in full and lists its first VIEW_LIMIT."""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.queue_scale import old_list
from watchcli import services, store_queue
from watchcli.config import Source
from watchcli.dates import iso
from watchcli.models import ItemFilter
from watchcli.store import Store

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
SOURCES = [
    Source("a", "https://a.example/feed", network="cerapcoop"),
    Source("b", "https://b.example/feed", network="resacoop"),
]
# (assignee, network): nobody, a network, a member (and their network); and a member with no
# network, which the rules never write but an old store or an import may hold.
HOLDERS = [
    (None, None),
    (None, "resacoop"),
    (None, "cerapcoop"),
    ("lea", "resacoop"),
    ("malik", "resacoop"),
    ("camille", "cerapcoop"),
    ("lea", None),
]
OWNERS = [("lea", "resacoop"), ("camille", "cerapcoop"), ("zoe", "resacoop"), ("lea", None)]


def days(n: int) -> str:
    return iso(NOW - timedelta(days=n))


def add_items(store: Store, items: list[tuple]) -> None:
    """Rows as the store holds them: (published day, first seen day, status, holder, sources,
    tags); few dates, so that many items share one and their ids order them."""
    with store.write():
        for n, (published, seen, status, holder, sources, tags) in enumerate(items):
            assignee, network = HOLDERS[holder]
            cursor = store.db.execute(
                "INSERT INTO items (title, published, first_seen, updated, status, assignee,"
                " network) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [f"Story {n}", days(published), days(seen), days(seen), status, assignee, network],
            )
            for source in sources:
                store.db.execute(
                    "INSERT INTO sightings (item_id, source_id, guid, title, content_hash, seen,"
                    " how) VALUES (?, ?, ?, ?, 'c', ?, 'new')",
                    [cursor.lastrowid, source, f"g{cursor.lastrowid}", f"Story {n}", days(seen)],
                )
            for tag in tags:
                store.db.execute(
                    "INSERT INTO item_tags (item_id, tag, by, at) VALUES (?, ?, 'watchcli', ?)",
                    [cursor.lastrowid, tag, days(seen)],
                )


@pytest.fixture(scope="module")
def blank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store at the current schema with its sources, copied for each example."""
    path = tmp_path_factory.mktemp("queue") / "blank.db"
    with Store.open(path) as store:
        store.sync_sources(SOURCES)
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@contextmanager
def copy_of(blank: Path) -> Iterator[Store]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "watch.db"
        shutil.copyfile(blank, path)
        with Store.open(path) as store:
            yield store


an_item = st.tuples(
    st.integers(0, 1),
    st.integers(0, 3),
    st.sampled_from(["new", "new", "new", "selected", "discarded"]),
    st.integers(0, len(HOLDERS) - 1),
    st.sampled_from([("a",), ("b",), ("a", "b")]),
    st.sampled_from([(), ("eau",), ("sante",), ("eau", "sante")]),
)


def rarely(*values: object) -> st.SearchStrategy:
    """None (or what the filter's default is) three times in four, else one of `values`: with
    every field set at random, most filters would leave no item to order."""
    return st.one_of(st.none(), st.none(), st.none(), st.sampled_from(values))


a_day = rarely(*(NOW - timedelta(days=n) for n in range(4)))
a_filter = st.builds(
    ItemFilter,
    since=a_day,
    until=a_day,
    first_seen_since=a_day,
    first_seen_until=a_day,
    sources=rarely(("a",), ("b",), ("a", "b")).map(lambda v: v or ()),
    tags=rarely(("eau",), ("sante",), ("eau", "sante")).map(lambda v: v or ()),
    status=rarely("new", "selected", "discarded"),
    network=rarely("resacoop", "cerapcoop"),
    assignee=rarely("lea", "malik", "camille"),
    unassigned=rarely(True).map(bool),
    limit=st.none() | st.integers(0, 12),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(an_item, min_size=2, max_size=30), st.lists(a_filter, min_size=1, max_size=4))
def test_the_queue_read_rank_by_rank_is_the_one_query_it_replaced(
    blank: Path, items: list[tuple], filters: list[ItemFilter]
) -> None:
    with copy_of(blank) as store:
        add_items(store, items)
        # Every window of first-seen dates is small in a store this size (one query ranks it):
        # -1 makes none small, taking the way of a large store, one query per rank, for them too.
        for owner, item_filter, window in itertools.product(OWNERS, filters, (None, -1)):
            store.window_items = window or Store.window_items
            expected = old_list(store, item_filter, owner)
            got = store.list_items(item_filter, queue_of=owner)
            assert got == expected
            assert [list(row) for row in got] == [list(row) for row in expected]
            everything = old_list(store, replace(item_filter, limit=None), owner)
            queue = [row for row in everything if row["queue"] != services.OTHERS]
            got = store.list_items(item_filter, queue_of=owner, queue_only=True)
            assert got == queue[: item_filter.limit or None]
        for owner in OWNERS:
            new = old_list(store, ItemFilter(status="new"), owner)
            assert store.queue_counts(*owner) == {
                rank: sum(row["queue"] == rank for row in new) for rank in range(3)
            }


def plans_of(store: Store, read: Callable[[], object]) -> list[tuple[str, list[str]]]:
    """Each statement `read` ran, with the steps of its query plan at the top level (not
    those of the subqueries that gather an item's sources and tags)."""
    statements: list[tuple[str, object]] = []
    store.db._tracer = lambda sql, params: statements.append((sql, params))
    try:
        read()
    finally:
        store.db._tracer = None
    return [
        (
            sql,
            [
                row[-1]
                for row in store.db.execute(f"EXPLAIN QUERY PLAN {sql}", params)
                if not row[1]
            ],
        )
        for sql, params in statements
    ]


def every_kind(store: Store) -> None:
    """Two items of each date, status and holder."""
    add_items(
        store,
        [
            (day, day, status, holder, ("a",), ("eau",))
            for day in range(2)
            for status in ("new", "selected")
            for holder in range(len(HOLDERS))
            for _ in range(2)
        ],
    )


@pytest.mark.parametrize(
    "item_filter",
    [
        ItemFilter(limit=50),
        ItemFilter(since=NOW - timedelta(days=1), limit=50),
        ItemFilter(until=NOW, limit=50),
        ItemFilter(tags=("eau",), limit=50),
        ItemFilter(sources=("a",), limit=50),
        ItemFilter(status="new", limit=50),
        ItemFilter(first_seen_since=NOW - timedelta(days=400), limit=50),  # a large window
    ],
    ids=["plain", "since", "until", "tag", "source", "status new", "first seen"],
)
def test_each_rank_is_read_through_an_index_in_date_order(
    blank: Path, item_filter: ItemFilter
) -> None:
    with copy_of(blank) as store:
        every_kind(store)
        store.window_items = -1  # the window of first-seen dates is large
        plans = plans_of(store, lambda: store.list_items(item_filter, queue_of=OWNERS[0]))
        ranks = [steps for sql, steps in plans if "ORDER BY" in sql]
        assert len(ranks) == 4  # fewer items than the limit: every rank is read
        for rank, steps in enumerate(ranks):
            assert not [step for step in steps if "TEMP B-TREE" in step], (rank, steps)
            if rank < 3:
                index = "items_assignee" if rank == 0 else "items_network"
                assert steps[0].startswith(f"SEARCH i USING INDEX {index} ("), (rank, steps)


def test_a_small_window_of_first_seen_dates_is_read_through_its_own_index(blank: Path) -> None:
    with copy_of(blank) as store:
        every_kind(store)
        week = ItemFilter(first_seen_since=NOW - timedelta(days=7), limit=50)
        plans = plans_of(store, lambda: store.list_items(week, queue_of=OWNERS[0]))
        [steps] = [steps for sql, steps in plans if "ORDER BY" in sql]
        assert steps[0].startswith("SEARCH i USING INDEX items_first_seen (first_seen>?)")


def test_the_queue_is_counted_on_indexes_alone(blank: Path) -> None:
    with copy_of(blank) as store:
        every_kind(store)
        plans = plans_of(store, lambda: store.queue_counts(*OWNERS[0]))
        assert [steps for _, steps in plans] == [
            ["SEARCH i USING COVERING INDEX items_assignee (assignee=? AND status=?)"],
            ["SEARCH i USING COVERING INDEX items_network (network=? AND status=? AND assignee=?)"],
            ["SEARCH i USING COVERING INDEX items_network (network=? AND status=? AND assignee=?)"],
        ]
        assert store.queue_counts(*OWNERS[0]) == {0: 8, 1: 4, 2: 4}


def test_the_triage_screen_counts_the_whole_queue_and_lists_its_first_rows(blank: Path) -> None:
    owner = OWNERS[0]  # lea (resacoop)
    held, network, nobody = 3, 400, services.VIEW_LIMIT  # a queue longer than the screen lists
    kinds = [(3, held), (1, network), (0, nobody), (5, 50)]  # camille's items are not lea's
    with copy_of(blank) as store:
        add_items(
            store,
            [
                (n % 3, 0, "new", holder, ("a",), ())
                for holder, count in kinds
                for n in range(count)
            ],
        )
        add_items(store, [(0, 0, "selected", 0, ("a",), ()) for _ in range(20)])
        queue = services.triage_queue(store, owner, services.View())
        assert queue.counts == {
            services.HELD: held,
            services.NETWORK: network,
            services.UNASSIGNED: nobody,
        }
        everything = old_list(store, ItemFilter(status="new"), owner)
        first = [row for row in everything if row["queue"] != services.OTHERS][
            : services.VIEW_LIMIT
        ]
        assert queue.items == first

        # Lea selects the 10th row: it leaves her queue, but stays in its place on her screen.
        acted = first[9]
        store.set_status(acted["id"], "selected", by="lea", now=NOW)
        kept = services.triage_queue(
            store, owner, services.View(), keep={acted["id"]: acted["queue"]}
        )
        assert [row["id"] for row in kept.items[:11]] == [row["id"] for row in first[:11]]
        assert kept.items[9]["status"] == "selected"
        assert kept.items[9]["queue"] == acted["queue"]
        assert kept.counts[acted["queue"]] == queue.counts[acted["queue"]] - 1


# --- the triage screen's search ------------------------------------------------------------


def retitle(store: Store, titles: dict[int, str], scope: str | None = None) -> None:
    """New titles (and a scope) for some items: the index follows, through its triggers."""
    with store.write():
        for item_id, title in titles.items():
            store.db.execute(
                "UPDATE items SET title = ?, scope = coalesce(?, scope) WHERE id = ?",
                [title, scope, item_id],
            )


def test_a_triage_search_looks_through_the_whole_store(blank: Path) -> None:
    owner = OWNERS[0]
    with copy_of(blank) as store:
        # The story first, and oldest; then 6000 newer items (more than the 5000 newest that
        # a search once looked through), in every rank of the queue.
        add_items(store, [(3, 3, "new", 0, ("a",), ())])
        add_items(store, [(n % 2, 0, "new", n % len(HOLDERS), ("a",), ()) for n in range(6000)])
        retitle(store, {1: "Semaine de la Solidarité internationale"})
        for typed in ("solidar", "SOLIDARITE", "semaine solid", '"la solidarité"'):
            queue = services.triage_queue(store, owner, services.View(search=typed))
            assert [row["id"] for row in queue.items] == [1], typed
            assert queue.items[0]["queue"] == services.UNASSIGNED
            assert not queue.more_matches
        assert services.triage_queue(store, owner, services.View(search='"solidar"')).items == []
        # Every item matches `story`: the screen lists its first VIEW_LIMIT, as a filter does.
        stories = services.triage_queue(store, owner, services.View(search="stor"))
        assert stories.items == store.list_items(
            ItemFilter(limit=services.VIEW_LIMIT), queue_of=owner
        )


WORDS = ("eau", "sante", "eau sante", "rien")  # the titles' words, one item in four each


@pytest.mark.parametrize(
    ("view", "words"),
    [
        (services.View(search="eau"), {"eau", "eau sante"}),
        (services.View(search="eau", status="new"), {"eau", "eau sante"}),
        (services.View(search="eau", status="selected"), {"eau", "eau sante"}),
        (services.View(search="eau", tag="sante"), {"eau", "eau sante"}),
        (services.View(search="eau", network="resacoop"), {"eau", "eau sante"}),
        (services.View(search="eau", scope="international"), {"eau", "eau sante"}),
        (
            services.View(search="eau sant", scope="international", status="new", tag="sante"),
            {"eau sante"},
        ),
        (services.View(search="eau -sante", network="cerapcoop"), {"eau"}),
    ],
    ids=lambda value: (
        " ".join(f"{k}={v}" for k, v in vars(value).items() if v)
        if isinstance(value, services.View)
        else ""
    ),
)
def test_a_triage_search_takes_the_other_filters_and_the_queues_order(
    blank: Path, view: services.View, words: set[str]
) -> None:
    """What a filter lists (the old ranked query, in full), less what the search leaves out;
    after more than 5000 newer items of the same filters, which the search does not find."""
    with copy_of(blank) as store:
        every_kind(store)
        add_items(store, [(day, day, "new", 0, ("b",), ("sante",)) for day in range(3)])
        ids = [row[0] for row in store.db.execute("SELECT id FROM items ORDER BY id")]
        retitle(store, {n: f"Item {n}: {WORDS[n % 4]}" for n in ids})
        retitle(store, {n: f"Item {n}: {WORDS[n % 4]}" for n in ids[::3]}, "international")
        holder = {None: 0, "resacoop": 1, "cerapcoop": 2}[view.network]
        tags = (view.tag,) if view.tag else ()
        add_items(store, [(0, 0, view.status or "new", holder, ("a",), tags)] * 5001)
        with store.write():
            store.db.execute("UPDATE items SET scope = ? WHERE id > ?", [view.scope, ids[-1]])
        item_filter = ItemFilter(tags=tags, status=view.status, network=view.network)
        for owner in OWNERS:
            expected = [
                row
                for row in old_list(store, item_filter, owner)
                if row["title"].startswith("Item ")
                and row["title"].split(": ")[1] in words
                and (not view.scope or row["scope"] == view.scope)
            ]
            assert expected  # every view finds some items
            got = services.triage_queue(store, owner, view)
            assert got.items == expected
            assert [list(row) for row in got.items] == [list(row) for row in expected]


def test_the_search_reads_its_newest_matches_and_says_when_there_are_more(blank: Path) -> None:
    with copy_of(blank) as store:
        add_items(store, [(n % 2, 0, "new", n % len(HOLDERS), ("a",), ()) for n in range(10)])
        owner, every = OWNERS[0], ItemFilter()
        listed = store.list_items(every, queue_of=owner)
        for matches, more in ((4, True), (10, False), (11, False)):
            rows, found_more = store_queue.search_queue(
                store, '"story"', every, owner, scope=None, matches=matches, limit=3
            )
            newest = [row for row in listed if row["id"] > 10 - matches]
            assert (rows, found_more) == (newest[:3], more)


@pytest.mark.parametrize("typed", ["-eau", "!!!", '""', "-", '-"eau sante"', "*"])
def test_a_search_with_nothing_to_look_for_lists_nothing(blank: Path, typed: str) -> None:
    with copy_of(blank) as store:
        every_kind(store)
        queue = services.triage_queue(store, OWNERS[0], services.View(search=typed))
        assert (queue.items, queue.more_matches) == ([], False)
        assert queue.counts == store.queue_counts(*OWNERS[0])

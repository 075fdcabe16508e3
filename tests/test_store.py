"""The store on real SQLite files: schema, connection settings, the change primitives."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database

from watchcli.config import Source
from watchcli.dates import iso
from watchcli.errors import NotFoundError
from watchcli.migrations import migrations
from watchcli.models import Entry, ItemFilter
from watchcli.neardup import MatchText
from watchcli.store import Store
from watchcli.store_near import day_of

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def entry(n: int, url: str = "") -> Entry:
    return Entry(
        guid=f"g{n}",
        url=url or f"https://example.org/{n}",
        link=f"https://example.org/{n}",
        title=f"Story {n}",
        summary="",
        published=NOW,
        dated=True,
    )


def add_item(store: Store, source: Source, n: int) -> int:
    with store.write():
        item_id = store.insert_item(entry(n), source, lang="fr", now=NOW)
        store.insert_sighting(
            item_id,
            source.id,
            entry(n),
            url_key=None,
            content_hash="c",
            how="new",
            score=None,
            now=NOW,
        )
    return item_id


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "watch.db") as opened:
        opened.sync_sources(
            [
                Source("a", "https://a.example/feed", network="cerapcoop"),
                Source("b", "https://b.example/feed", network="resacoop"),
            ]
        )
        yield opened


def test_a_blank_store_gets_every_migration_once(tmp_path: Path) -> None:
    path = tmp_path / "watch.db"
    Store.open(path).close()
    with Store.open(path) as store:
        assert store.schema_version() == [m.name for m in migrations.pending(Database(memory=True))]
        tables = set(store.db.table_names())
    assert {
        "sources",
        "items",
        "sightings",
        "item_tags",
        "notes",
        "history",
        "fetch_runs",
    } <= tables


def test_connections_use_wal_and_wait_for_locks(store: Store) -> None:
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA busy_timeout").fetchone()[0] >= 10_000
    # A page cache that holds the index pages every new entry reads (bench/dedupe_scale.py).
    assert store.db.execute("PRAGMA cache_size").fetchone()[0] == -32 * 1024


def test_a_store_in_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="does not exist"):
        Store.open(tmp_path / "nope" / "watch.db")


def test_a_file_that_is_not_a_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("my precious notes\n" * 100)
    with pytest.raises(Exception, match="cannot open the store"):
        Store.open(path)
    assert path.read_text() == "my precious notes\n" * 100


def test_status_notes_and_tags_leave_history(store: Store) -> None:
    item = add_item(store, Source("a", "https://a.example/feed"), 1)
    assert store.set_status(item, "selected", by="camille", now=NOW)
    assert not store.set_status(item, "selected", by="camille", now=NOW)  # no change, no line
    store.add_note(item, "À relayer dans la lettre", by="lea", now=NOW)
    assert store.add_tag(item, "ecsi", by="lea", now=NOW)
    assert not store.add_tag(item, "ecsi", by="lea", now=NOW)
    assert store.remove_tag(item, "ecsi", by="hugo", now=NOW)

    detail = store.get_item(item)

    assert detail["status"] == "selected" and detail["handled_by"] == "camille"
    assert [n["text"] for n in detail["notes"]] == ["À relayer dans la lettre"]
    assert [(h["by"], h["action"], h["detail"]) for h in detail["history"]] == [
        ("camille", "selected", ""),
        ("lea", "note", "À relayer dans la lettre"),
        ("lea", "tag", "ecsi"),
        ("hugo", "untag", "ecsi"),
    ]
    store.set_status(item, "new", by="camille", now=NOW)
    assert store.get_item(item)["handled_by"] is None


def test_changes_to_a_missing_item_raise_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.set_status(404, "selected", by="camille", now=NOW)
    with pytest.raises(NotFoundError):
        store.add_note(404, "x", by="camille", now=NOW)


def test_figures_count_shared_items_handled_once(store: Store) -> None:
    a = Source("a", "https://a.example/feed", network="cerapcoop")
    b = Source("b", "https://b.example/feed", network="resacoop")
    shared = add_item(store, a, 1)
    with store.write():
        store.insert_sighting(
            shared, "b", entry(99), url_key=None, content_hash="c", how="url", score=None, now=NOW
        )
    alone = add_item(store, b, 2)
    store.set_status(shared, "selected", by="lea", now=NOW)
    store.set_status(alone, "discarded", by="hugo", now=NOW)

    figures = store.reports.figures(NOW - timedelta(days=1), NOW + timedelta(days=1))

    assert figures["fetched"] == 2
    assert figures["merged"] == 1
    assert figures["shared"] == 1
    assert figures["shared_handled"] == 1
    assert figures["handled"] == [
        {"analyst": "hugo", "status": "discarded", "items": 1},
        {"analyst": "lea", "status": "selected", "items": 1},
    ]
    assert store.reports.figures(NOW + timedelta(days=1), NOW + timedelta(days=2))["fetched"] == 0


def test_sqlite_integrity_after_many_writes(store: Store) -> None:
    source = Source("a", "https://a.example/feed")
    for n in range(50):
        add_item(store, source, n)
    with sqlite3.connect(store.path) as other:
        assert other.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert other.execute("SELECT count(*) FROM items").fetchone()[0] == 50


def test_deleting_an_item_never_scans_a_table(store: Store) -> None:
    """A merge or a pruning deletes items; SQLite then looks for the rows that still refer to
    each one. Every column that refers to another table leads an index, so that look-up is a
    seek, not a scan of a table of millions of rows."""
    db = store.db.conn
    tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    unindexed = []
    for table in tables:
        leading = set()
        for index in db.execute(f"PRAGMA index_list('{table}')").fetchall():
            columns = db.execute(f"PRAGMA index_info('{index[1]}')").fetchall()
            leading.add(columns[0][2])
        for reference in db.execute(f"PRAGMA foreign_key_list('{table}')").fetchall():
            if reference[3] not in leading:
                unindexed.append(f"{table}.{reference[3]} -> {reference[2]}")
    assert unindexed == []


def test_a_store_from_every_earlier_schema_upgrades_with_its_data(tmp_path: Path) -> None:
    names = [m.name for m in migrations.pending(Database(memory=True))]
    for stop in names[1:]:
        path = tmp_path / f"before-{stop}.db"
        old = Database(sqlite3.connect(path))
        migrations.apply(old, stop_before=stop)
        old.execute(
            "INSERT INTO sources (id, url, network) VALUES ('a', 'https://a/', 'cerapcoop')"
        )
        old.execute(
            "INSERT INTO items (id, url, title, published, first_seen, updated) "
            "VALUES (7, 'https://a/1', 'Avant', ?, ?, ?)",
            [iso(NOW), iso(NOW), iso(NOW)],
        )
        old.execute(
            "INSERT INTO sightings (item_id, source_id, guid, url, title, content_hash, seen, how)"
            " VALUES (7, 'a', 'g', 'https://a/1', 'Avant', 'c', ?, 'new')",
            [iso(NOW)],
        )
        old.close()

        with Store.open(path) as store:
            assert store.schema_version() == names
            item = store.get_item(7)
            assert (item["title"], item["sources"]) == ("Avant", ["a"])
            assert store.set_status(7, "selected", by="camille", now=NOW)


def test_the_minhash_index_gives_way_to_tokens_and_the_items_are_reindexed(
    tmp_path: Path,
) -> None:
    path = tmp_path / "watch.db"
    old = Database(sqlite3.connect(path))
    migrations.apply(old, stop_before="m007_near_tokens")
    old.execute(
        "INSERT INTO items (id, url, title, summary, published, first_seen, updated) "
        "VALUES (1, 'https://a/1', 'Séisme au Maroc : 800 morts', 'Le Haut Atlas.', ?, ?, ?)",
        [iso(NOW), iso(NOW), iso(NOW)],
    )
    old.execute(
        "INSERT INTO sightings (item_id, source_id, guid, url, title, content_hash, seen, how)"
        " VALUES (1, 'a', 'g', 'https://a/1', 'Séisme au Maroc : 800 morts', 'c', ?, 'new')",
        [iso(NOW)],
    )
    old.execute("INSERT INTO near_bands (day, key, published, item_id) VALUES (1, 2, 3, 1)")
    old.conn.commit()
    old.close()

    with Store.open(path) as store:
        tables = {t for (t,) in store.db.execute("SELECT name FROM sqlite_master")}
        assert "near_bands" not in tables and {"near_reps", "near_tokens", "near_df"} <= tables
        assert store.get_item(1)["title"] == "Séisme au Maroc : 800 morts"
        with store.write():
            store.near.reindex(1)
        (text,) = store.near.representative_texts(1)
        assert {"maroc", "800"} <= MatchText.decode(text).title
        days = range(day_of(NOW), day_of(NOW) + 1)
        found = store.near.candidates(
            [("maroc", 5.0)], days, shared_at_least=1, alone_from=5.0, limit=8
        )
        assert found == [1]
        plan = store.db.execute(
            "EXPLAIN QUERY PLAN SELECT 1 FROM sightings WHERE item_id = 1 AND source_id = 'a'"
        )
        assert "sightings_item" in " ".join(str(r) for r in plan)


def test_figures_read_only_the_window_through_indexes(store: Store) -> None:
    statements: list[tuple[str, object]] = []
    store.db._tracer = lambda sql, params: statements.append((sql, params))
    store.reports.figures(NOW - timedelta(days=7), NOW)
    store.db._tracer = None
    assert statements
    for sql, params in statements:
        plan = store.db.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
        scans = [
            row[-1] for row in plan if row[-1].startswith("SCAN ") and "CONSTANT" not in row[-1]
        ]
        assert not scans, (sql, scans)


def test_the_search_index_is_built_for_the_items_of_an_older_store(tmp_path: Path) -> None:
    from watchcli.search import parse_query
    from watchcli.store_search import SearchStore

    path = tmp_path / "watch.db"
    old = Database(sqlite3.connect(path))
    migrations.apply(old, stop_before="m008_search")
    old.execute(
        "INSERT INTO items (id, url, title, summary, published, first_seen, updated) "
        "VALUES (4, 'https://a/1', 'Festival des solidarités', 'Éducation.', ?, ?, ?)",
        [iso(NOW), iso(NOW), iso(NOW)],
    )
    old.execute(
        "INSERT INTO notes (item_id, by, at, text) VALUES (4, 'lea', ?, 'Décembre')", [iso(NOW)]
    )
    old.conn.commit()
    old.close()
    with Store.open(path) as store:
        search = SearchStore(store.db)
        for words in ("solidarites", "decembre education"):
            assert [i["id"] for i in search.search(parse_query(words), ItemFilter())] == [4]
        assert search.check()


def test_sightings_lose_the_link_that_repeats_their_url_and_the_seen_index_shrinks(
    tmp_path: Path,
) -> None:
    path = tmp_path / "watch.db"
    old = Database(sqlite3.connect(path))
    migrations.apply(old, stop_before="m009_leaner_sightings")
    old.execute(
        "INSERT INTO items (id, url, title, published, first_seen, updated) "
        "VALUES (1, 'https://a/1', 'Un', ?, ?, ?)",
        [iso(NOW), iso(NOW), iso(NOW)],
    )
    for n, (link, how) in enumerate(
        [("https://a/1", "new"), ("https://a/1?utm_source=x", "url"), ("https://a/1", "near")]
    ):
        old.execute(
            "INSERT INTO sightings (item_id, source_id, guid, url, link, title, content_hash,"
            " seen, how) VALUES (1, ?, 'g', 'https://a/1', ?, 'Un', 'c', ?, ?)",
            [f"s{n}", link, iso(NOW), how],
        )
    old.conn.commit()
    old.close()
    with Store.open(path) as store:
        links = [link for (link,) in store.db.execute("SELECT link FROM sightings ORDER BY id")]
        assert links == ["", "https://a/1?utm_source=x", ""]
        (merged,) = store.db.execute(
            "SELECT count(*) FROM sightings INDEXED BY sightings_seen "
            "WHERE seen >= ? AND how != 'new'",
            [iso(NOW - timedelta(days=1))],
        ).fetchone()
        assert merged == 2
        assert (
            store.reports.figures(NOW - timedelta(days=1), NOW + timedelta(days=1))["merged"] == 2
        )
        with store.write():
            store.insert_sighting(
                1,
                "s9",
                entry(9, url="https://a/9"),
                url_key=None,
                content_hash="c",
                how="url",
                score=None,
                now=NOW,
            )
        (stored,) = store.db.execute("SELECT link FROM sightings WHERE source_id = 's9'").fetchone()
        assert stored == "https://example.org/9"  # differs from its URL: kept


def test_the_number_of_a_merged_or_pruned_item_is_never_given_again(store: Store) -> None:
    from watchcli.merging import merge_items

    source = Source("a", "https://a.example/feed", network="cerapcoop")
    kept, newest = add_item(store, source, 1), add_item(store, source, 2)
    merge_items(store, [kept, newest], by="lea", now=NOW)
    after_merge = add_item(store, source, 3)
    assert after_merge > newest
    merge_items(store, [kept, after_merge], by="lea", now=NOW)  # once failed on merged_items
    last = add_item(store, source, 4)
    with store.write():  # as pruning does
        store.db.execute("DELETE FROM sightings WHERE item_id = ?", [last])
        store.db.execute("DELETE FROM items WHERE id = ?", [last])
    assert add_item(store, source, 5) > last


def test_a_new_item_is_assigned_as_its_one_source_says_without_history(store: Store) -> None:
    for source, network, by in (
        (Source("a", "https://a.example/feed", network="cerapcoop"), "cerapcoop", "watchcli"),
        (Source("c", "https://c.example/feed"), None, None),
    ):
        store.sync_sources([source])
        item_id = add_item(store, source, hash(source.id) % 1000)
        row = store.db.execute(
            "SELECT network, assigned_by FROM items WHERE id = ?", [item_id]
        ).fetchone()
        assert tuple(row) == (network, by)
        with store.write():  # what a later sighting runs: nothing left to change
            store.apply_automatic_assignment(item_id, now=NOW, record=True)
        assert store.get_item(item_id)["history"] == []

"""`watchcli backup` during a fetch, `[store].keep_days` pruning and `watchcli maintain`."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from datetime import timedelta
from pathlib import Path

from tests.conftest import WATCHCLI, Workspace, rss
from tests.feedserver import FeedServer
from watchcli.dates import iso, utcnow
from watchcli.models import ItemFilter
from watchcli.search import parse_query
from watchcli.store import Store
from watchcli.store_search import SearchStore


def feed(prefix: str, n: int) -> str:
    return rss(
        *(
            {
                "title": f"{prefix} article {i} sur la coopération décentralisée numéro {i}",
                "link": f"https://example.org/{prefix}/{i}",
                "guid": f"{prefix}-{i}",
                "description": f"Résumé {i} " * 20,
            }
            for i in range(n)
        )
    )


def integrity_and_items(path: Path) -> tuple[str, int]:
    with sqlite3.connect(path) as conn:
        return (
            conn.execute("PRAGMA integrity_check").fetchone()[0],
            conn.execute("SELECT count(*) FROM items").fetchone()[0],
        )


def test_backups_taken_while_a_fetch_writes_are_whole(
    workspace: Workspace, feed_server: FeedServer
) -> None:
    sources = []
    for n in range(30):
        name = f"backup-{workspace.folder.name}-{n}.xml"
        feed_server.put(name, feed(f"s{n}", 150), delay=0.05 * (n % 10))
        sources.append({"id": f"s{n}", "url": feed_server.url(f"/set/{name}")})
    workspace.write_config(sources)
    assert workspace.run("init").returncode == 0
    fetch = subprocess.Popen(
        [str(WATCHCLI), "fetch", "--quiet"],
        env=workspace.environment("camille", None),
        cwd=workspace.folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: list[int] = []
    during = 0
    while fetch.poll() is None or not seen:
        target = workspace.folder / f"copy-{len(seen)}.db"
        running = fetch.poll() is None
        result = workspace.run("backup", str(target))
        assert result.returncode == 0, result.stderr
        assert "integrity ok" in result.stdout
        verdict, items = integrity_and_items(target)
        assert verdict == "ok"
        seen.append(items)
        during += running and fetch.poll() is None
    assert fetch.wait() == 0, fetch.stderr.read() if fetch.stderr else ""
    assert during >= 1, seen  # at least one copy was taken with the fetch running on both sides
    assert seen == sorted(seen)
    final = workspace.folder / "final.db"
    assert workspace.run("backup", str(final)).returncode == 0
    assert integrity_and_items(final) == ("ok", 30 * 150)
    with Store.open(final) as copy:  # the copy is a working store, its index included
        query = parse_query("cooperation decentralisee")
        assert len(SearchStore(copy.db).search(query, ItemFilter())) == 4500


def test_backup_into_a_folder_and_its_errors(workspace: Workspace) -> None:
    workspace.write_config([])
    assert workspace.run("init").returncode == 0
    folder = workspace.folder / "copies"
    folder.mkdir()
    result = workspace.run("backup", str(folder))
    assert result.returncode == 0, result.stderr
    (copy,) = folder.iterdir()
    assert copy.name.startswith("watch-") and integrity_and_items(copy)[0] == "ok"
    missing = workspace.run("backup", str(workspace.folder / "nowhere" / "x.db"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    itself = workspace.run("backup", str(workspace.db))
    assert itself.returncode == 2 and "the store itself" in itself.stderr


def test_keep_days_prunes_old_discarded_items_with_everything_on_them(
    workspace: Workspace, feed_server: FeedServer
) -> None:
    name = f"prune-{workspace.folder.name}.xml"
    feed_server.put(name, feed("p", 6))
    workspace.write_config(
        [{"id": "p", "url": feed_server.url(f"/set/{name}")}],
        extra="",
    )
    text = workspace.config.read_text().replace(
        'path = "watch.db"', 'path = "watch.db"\nkeep_days = 90'
    )
    workspace.config.write_text(text)
    assert workspace.run("fetch", "--quiet").returncode == 0
    assert workspace.run("discard", "1", "2", "3").returncode == 0
    assert workspace.run("note", "2", "vieux").returncode == 0
    assert workspace.run("select", "4").returncode == 0
    old = iso(utcnow() - timedelta(days=120))
    with sqlite3.connect(workspace.db) as conn:
        # 1, 2 and 4 are old; 3 was first seen now; 4 is selected, not discarded
        conn.execute(
            "UPDATE items SET first_seen = ?, handled_at = ? WHERE id IN (1, 2, 4)", [old, old]
        )
    result = workspace.run("maintain", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["pruned"] == 2 and report["items"] == 4 and report["keep_days"] == 90
    assert report["per_10k_items"] > 0
    assert {"items", "sightings", "items_fts"} <= {row["name"] for row in report["space"]}
    with Store.open(workspace.db) as store:
        ids = [row["id"] for row in store.list_items(ItemFilter())]
        assert sorted(ids) == [3, 4, 5, 6]
        for table in ("sightings", "notes", "history", "item_tags", "near_reps", "near_tokens"):
            (left,) = store.db.execute(
                f"SELECT count(*) FROM {table} WHERE item_id IN (1, 2)"
            ).fetchone()
            assert left == 0, table
        assert SearchStore(store.db).check()
        assert [
            i["id"] for i in SearchStore(store.db).search(parse_query("vieux"), ItemFilter())
        ] == []
    text = workspace.run("maintain")
    assert text.returncode == 0
    assert "pruned 0 discarded items older than 90 days" in text.stdout
    assert "per 10k items" in text.stdout


def test_keep_days_must_be_a_month_or_more(workspace: Workspace) -> None:
    workspace.write_config([])
    workspace.config.write_text(
        workspace.config.read_text().replace(
            'path = "watch.db"', 'path = "watch.db"\nkeep_days = 3'
        )
    )
    result = workspace.run("maintain")
    assert result.returncode == 2
    assert "sources.toml:3:" in result.stderr and "keep_days" in result.stderr


def test_pruning_leaves_no_dangling_row_and_foreign_keys_back_on(tmp_path: Path) -> None:
    from watchcli.config import Source
    from watchcli.models import Entry
    from watchcli.upkeep import maintain_store

    now = utcnow()
    old = now - timedelta(days=400)
    source = Source("a", "https://a/feed")
    with Store.open(tmp_path / "w.db") as store:
        for n in range(3):
            entry = Entry(f"g{n}", f"https://a/{n}", "", f"Titre {n}", "Résumé", old, True)
            with store.write():
                item = store.insert_item(entry, source, lang=None, now=old)
                store.insert_sighting(
                    item, "a", entry, url_key=None, content_hash="c", how="new", score=None, now=old
                )
                store.near.reindex(item)
            store.add_note(item, "note", by="lea", now=old)
            store.set_status(item, "discarded" if n < 2 else "selected", by="lea", now=old)
        report = maintain_store(store, keep_days=365, now=now)
        assert report.pruned == 2 and report.items == 1
        assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert store.db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert SearchStore(store.db).check()


def test_maintain_waits_for_no_fetch(workspace: Workspace) -> None:
    from filelock import FileLock

    workspace.write_config([])
    assert workspace.run("init").returncode == 0
    with FileLock(str(workspace.db) + ".fetch.lock"):
        result = workspace.run("maintain")
    assert result.returncode == 75
    assert "a fetch is running" in result.stderr and result.stderr.count("\n") == 1
    assert workspace.run("maintain").returncode == 0


def test_maintain_drops_the_near_duplicate_index_of_old_items_only(tmp_path: Path) -> None:
    """No new entry is compared with items dated months back: their index rows go, their
    representatives stay (a merge or a split indexes them again), recent items keep theirs."""
    from watchcli.config import Source
    from watchcli.models import Entry
    from watchcli.store_near import day_of
    from watchcli.upkeep import NEAR_INDEX_DAYS, maintain_store

    now = utcnow()
    source = Source("a", "https://a/feed")
    dates = {"old": now - timedelta(days=NEAR_INDEX_DAYS + 5), "recent": now - timedelta(days=2)}
    with Store.open(tmp_path / "w.db") as store:
        items = {}
        for name, when in dates.items():
            entry = Entry(name, f"https://a/{name}", "", f"Séisme au Maroc {name}", "", when, True)
            with store.write():
                items[name] = store.insert_item(entry, source, lang=None, now=when)
                store.insert_sighting(
                    items[name], "a", entry, url_key=None, content_hash="c", how="new",
                    score=None, now=when,
                )  # fmt: skip
                store.near.reindex(items[name])

        def indexed(name: str) -> int:
            day = day_of(dates[name])
            return store.db.execute(
                "SELECT count(*) FROM near_tokens WHERE day = ? AND item_id = ?",
                [day, items[name]],
            ).fetchone()[0]

        assert indexed("old") > 0 and indexed("recent") > 0
        maintain_store(store, keep_days=None, now=now)
        assert indexed("old") == 0 and indexed("recent") > 0
        assert len(store.near.representative_texts(items["old"])) == 1
        with store.write():
            store.near.reindex(items["old"])
        assert indexed("old") > 0

"""`watchcli export` / `watchcli import` between two real stores: round trip, idempotence,
convergence of two networks, refusal of bad files with nothing imported."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import Workspace, rss
from tests.feedserver import FeedServer

TABLES = ("items", "sightings", "item_tags", "notes", "history")


def counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def listing(ws: Workspace) -> list[dict]:
    result = ws.run("list", "--json", "--limit", "0")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def shown(ws: Workspace, item_id: int) -> dict:
    item = json.loads(ws.run("show", str(item_id), "--json").stdout)
    return {k: item[k] for k in ("tags", "status", "assignee", "network", "notes", "history")}


def ok(result) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def two(tmp_path: Path, feed_server: FeedServer) -> tuple[Workspace, Workspace]:
    entries = [
        {
            "title": f"Solidarité internationale n°{n}",
            "link": f"https://example.org/{n}",
            "guid": f"g{n}",
            "description": f"Résumé {n}",
            "pubDate": f"Mon, 2{n} Nov 2026 10:00:00 +0000",
        }
        for n in range(1, 6)
    ]
    name = f"exchange-{tmp_path.name}.xml"
    feed_server.put(name, rss(*entries).encode())
    pair = []
    for side in ("a", "b"):
        ws = Workspace(tmp_path / side)
        ws.folder.mkdir()
        ws.write_config(
            [{"id": "rss", "url": feed_server.url(f"/set/{name}"), "network": "cerapcoop"}],
            extra='[tags]\necsi = "ECSI"\nssi = "SSI"\n',
        )
        pair.append(ws)
    return pair[0], pair[1]


def test_a_store_exported_and_imported_elsewhere_lists_the_same(
    two: tuple[Workspace, Workspace],
) -> None:
    a, b = two
    ok(a.run("fetch", "--quiet"))
    ok(a.run("tag", "1", "2", "-t", "ecsi"))
    ok(a.run("claim", "2"))
    ok(a.run("select", "2", "3"))
    ok(a.run("note", "3", "À relayer [bold]vite[/bold]"))
    ok(a.run("assign", "4", "--to", "resacoop"))
    for fmt in ("jsonl", "csv"):
        path = a.folder / f"week.{fmt}"
        assert "exported 5 items" in ok(a.run("export", "--format", fmt, "-o", str(path)))
        target = Workspace(b.folder / fmt)
        target.folder.mkdir()
        target.config.write_text(b.config.read_text())
        first = ok(target.run("import", str(path), user="lea"))
        assert "5 items (5 new, 0 updated, 0 unchanged)" in first
        assert listing(target) == listing(a)
        for item_id in (2, 3, 4):
            assert shown(target, item_id) == shown(a, item_id)
        assert ok(target.run("search", "--json", "vite"))  # notes are searchable there too
        before = counts(target.db)
        again = ok(target.run("import", str(path), user="lea"))
        assert "(0 new, 0 updated, 5 unchanged); added 0 sightings, 0 tags, 0 notes" in again
        assert counts(target.db) == before
        assert listing(target) == listing(a)


def test_two_networks_that_swap_their_files_converge(two: tuple[Workspace, Workspace]) -> None:
    a, b = two
    ok(a.run("fetch", "--quiet"))
    ok(b.run("fetch", "--quiet"))
    ok(a.run("select", "1"))
    ok(a.run("tag", "1", "-t", "ecsi"))
    ok(b.run("claim", "2", user="lea"))
    ok(b.run("note", "2", "Pour la lettre", user="lea"))
    ok(b.run("tag", "1", "-t", "ssi", user="lea"))
    ok(b.run("discard", "1", user="lea"))  # later than a's selection: it wins
    ok(a.run("export", "-o", str(a.folder / "a.jsonl")))
    ok(b.run("export", "-o", str(b.folder / "b.jsonl")))
    ok(b.run("import", str(a.folder / "a.jsonl"), user="lea"))
    ok(a.run("import", str(b.folder / "b.jsonl")))
    assert listing(a) == listing(b)
    first = next(item for item in listing(a) if item["id"] == 1)
    assert (first["status"], first["tags"]) == ("discarded", ["ecsi", "ssi"])
    assert shown(a, 2) == shown(b, 2)
    assert shown(a, 2)["assignee"] == "lea"
    before = counts(a.db)
    ok(a.run("import", str(b.folder / "b.jsonl")))
    assert counts(a.db) == before


def test_a_bad_or_truncated_file_is_refused_with_its_line_and_nothing_is_imported(
    two: tuple[Workspace, Workspace],
) -> None:
    a, b = two
    ok(a.run("fetch", "--quiet"))
    ok(a.run("export", "-o", str(a.folder / "all.jsonl")))
    ok(a.run("export", "--format", "csv", "-o", str(a.folder / "all.csv")))
    lines = (a.folder / "all.jsonl").read_text().splitlines(keepends=True)
    rows = (a.folder / "all.csv").read_text().splitlines(keepends=True)
    bad_status = lines[4].replace('"status": "new"', '"status": "lu"')
    cases = {
        "cut.jsonl": ("".join(lines[:3]) + lines[3][:40], ":4: not JSON"),
        "noend.jsonl": ("".join(lines[:-1]), ":6: the file ends before its end line"),
        "status.jsonl": ("".join([*lines[:4], bad_status, *lines[5:]]), ":5: item: unknown"),
        "count.jsonl": ("".join([*lines[:3], *lines[4:]]), ":6: the end line says 5 items"),
        "header.jsonl": ("".join(lines[1:]), ":1: not a watchcli export"),
        "cut.csv": ("".join(rows[:3]) + rows[3][:30], ":4: "),
        "noend.csv": ("".join(rows[:-1]), "ends before its end row"),
    }
    before = counts(b.db) if b.db.exists() else None
    for name, (text, message) in cases.items():
        path = b.folder / name
        path.write_text(text, encoding="utf-8")
        result = b.run("import", str(path), user="lea")
        assert result.returncode == 2, (name, result.stdout)
        assert result.stderr.count("\n") == 1, result.stderr
        assert f"{path}{message}" in result.stderr or message in result.stderr, result.stderr
        assert "nothing was imported" in result.stderr
        assert (counts(b.db) if b.db.exists() else None) in (before, dict.fromkeys(TABLES, 0))


def test_export_since_keeps_items_changed_since(two: tuple[Workspace, Workspace]) -> None:
    a, _ = two
    ok(a.run("fetch", "--quiet"))
    with sqlite3.connect(a.db) as conn:
        conn.execute("UPDATE items SET first_seen = '2020-01-01T00:00:00+00:00'")
    ok(a.run("select", "3"))
    text = ok(a.run("export", "--since", "1d"))
    records = [json.loads(line) for line in text.splitlines()[1:-1]]
    assert [r["id"] for r in records] == [3]


def test_the_same_feed_under_another_source_id_is_matched_by_url_and_guid(
    two: tuple[Workspace, Workspace],
) -> None:
    a, b = two
    ok(a.run("fetch", "--quiet"))
    b.config.write_text(b.config.read_text().replace('id = "rss"', 'id = "flux-resacoop"'))
    ok(b.run("fetch", "--quiet"))
    ok(a.run("select", "1"))
    ok(a.run("export", "-o", str(a.folder / "a.jsonl")))
    result = ok(b.run("import", str(a.folder / "a.jsonl"), user="lea"))
    assert "(0 new, 5 updated" in result  # each gained a's sighting, and item 1 its status
    items = {item["id"]: item for item in listing(b)}
    assert len(items) == 5
    assert items[1]["status"] == "selected"
    assert all(item["sources"] == ["flux-resacoop", "rss"] for item in items.values())


def test_a_uri_guid_matches_across_sources_and_urls(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from watchcli.config import Source
    from watchcli.models import Entry
    from watchcli.store import Store
    from watchcli.store_exchange import ExchangeStore

    now = datetime(2026, 11, 24, 10, tzinfo=UTC)
    entry = Entry("https://site.example/?p=1", "https://site.example/a", "", "Un", "", now, True)
    with Store.open(tmp_path / "w.db") as store:
        with store.write():
            item = store.insert_item(entry, Source("a", "https://a/feed"), lang=None, now=now)
            store.insert_sighting(
                item, "a", entry, url_key=None, content_hash="c", how="new", score=None, now=now
            )
        (record,) = ExchangeStore(store.db).export_records()
        sighting = record["sightings"][0]
        sighting.update(source="b", url="https://mirror.example/a", link="")
        record["url"] = "https://mirror.example/a"
        with store.write():
            report = ExchangeStore(store.db).import_records([record])
        assert (report.new_items, report.sightings) == (0, 1)
        assert store.get_item(item)["sources"] == ["a", "b"]

"""The store's assignment, claims, holder rule and automatic triage, on real SQLite files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlite_utils import Database

from tests.test_store import add_item, entry
from watchcli.config import Source
from watchcli.errors import HeldError, NotFoundError
from watchcli.migrations import migrations
from watchcli.store import AUTOMATIC, Store

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
A = Source("a", "https://a.example/feed", network="cerapcoop")
B = Source("b", "https://b.example/feed", network="resacoop")
NONE = Source("n", "https://n.example/feed")


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "watch.db") as opened:
        opened.sync_sources([A, B, NONE])
        yield opened


def sight(store: Store, item_id: int, source: Source, n: int, *, record: bool = True) -> None:
    """A later sighting of `item_id` through `source`, as fetch stores it."""
    with store.write():
        store.insert_sighting(
            item_id,
            source.id,
            entry(n),
            url_key=None,
            content_hash="c",
            how="url",
            score=None,
            now=NOW,
        )
        store.apply_automatic_assignment(item_id, now=NOW, record=record)


def created(store: Store, source: Source, n: int) -> int:
    item_id = add_item(store, source, n)
    with store.write():
        store.apply_automatic_assignment(item_id, now=NOW, record=False)
    return item_id


def holder(store: Store, item_id: int) -> tuple[str | None, str | None]:
    item = store.get_item(item_id)
    return item["assignee"], item["network"]


def test_claim_takes_a_free_item_and_refuses_a_held_one(store: Store) -> None:
    item = created(store, B, 1)
    assert holder(store, item) == (None, "resacoop")

    changed, before = store.claim(item, by="camille", network="cerapcoop", force=False, now=NOW)
    assert changed and before["network"] == "resacoop"
    assert holder(store, item) == ("camille", "cerapcoop")
    assert store.claim(item, by="camille", network="cerapcoop", force=False, now=NOW)[0] is False

    with pytest.raises(HeldError) as refused:
        store.claim(item, by="lea", network="resacoop", force=False, now=NOW)
    assert str(refused.value) == f"item {item} is held by camille (cerapcoop)"
    assert holder(store, item) == ("camille", "cerapcoop")

    assert store.claim(item, by="lea", network="resacoop", force=True, now=NOW)[0]
    assert holder(store, item) == ("lea", "resacoop")
    history = [(h["by"], h["action"], h["detail"]) for h in store.get_item(item)["history"]]
    assert history == [
        ("camille", "claim", "from resacoop"),
        ("lea", "claim", "forced, from camille (cerapcoop)"),
    ]


def test_only_the_holder_changes_status_or_assignment(store: Store) -> None:
    item = created(store, A, 1)
    store.claim(item, by="lea", network="resacoop", force=False, now=NOW)
    for change in (
        lambda: store.set_status(item, "selected", by="camille", now=NOW),
        lambda: store.assign(item, network="cerapcoop", assignee=None, by="camille", now=NOW),
        lambda: store.assign(item, network=None, assignee=None, by="camille", now=NOW),
    ):
        with pytest.raises(HeldError):
            change()
    # tags and notes are open to everyone
    assert store.add_tags(item, ["ecsi"], by="camille", now=NOW) == ["ecsi"]
    store.add_note(item, "vu", by="camille", now=NOW)
    # the holder hands it over
    assert store.assign(item, network="resacoop", assignee="malik", by="lea", now=NOW)[0]
    assert holder(store, item) == ("malik", "resacoop")
    assert store.set_status(item, "selected", by="malik", now=NOW)
    assert store.get_item(item)["handled_by"] == "malik"


def test_assign_and_unassign_are_manual_and_recorded(store: Store) -> None:
    item = created(store, A, 1)
    assert store.assign(item, network="resacoop", assignee=None, by="hugo", now=NOW)[0]
    assert not store.assign(item, network="resacoop", assignee=None, by="hugo", now=NOW)[0]
    assert store.assign(item, network=None, assignee=None, by="hugo", now=NOW)[0]
    assert not store.assign(item, network=None, assignee=None, by="hugo", now=NOW)[0]
    detail = store.get_item(item)
    assert detail["assigned_by"] == "hugo"
    assert [(h["action"], h["detail"]) for h in detail["history"]] == [
        ("assign", "resacoop, was cerapcoop"),
        ("unassign", "was resacoop"),
    ]


def test_confirming_an_automatic_assignment_makes_it_manual(store: Store) -> None:
    item = created(store, A, 1)
    assert store.assign(item, network="cerapcoop", assignee=None, by="hugo", now=NOW)[0]
    sight(store, item, B, 2)
    assert holder(store, item) == (None, "cerapcoop")


def test_automatic_assignment_follows_the_networks_of_the_sources(store: Store) -> None:
    one = created(store, A, 1)
    sight(store, one, A, 2)
    assert holder(store, one) == (None, "cerapcoop")
    assert store.get_item(one)["history"] == []

    sight(store, one, B, 3)
    assert holder(store, one) == (None, None)
    [line] = store.get_item(one)["history"]
    assert (line["by"], line["action"]) == (AUTOMATIC, "unassign")

    orphan = created(store, NONE, 4)
    assert holder(store, orphan) == (None, None)
    sight(store, orphan, B, 5)
    assert holder(store, orphan) == (None, "resacoop")


def test_a_sighting_never_takes_away_a_manual_assignment(store: Store) -> None:
    claimed = created(store, A, 1)
    store.claim(claimed, by="hugo", network="cerapcoop", force=False, now=NOW)
    unassigned = created(store, A, 2)
    store.assign(unassigned, network=None, assignee=None, by="hugo", now=NOW)
    handled = created(store, A, 3)
    store.set_status(handled, "discarded", by="camille", now=NOW)

    for n, item in enumerate((claimed, unassigned, handled)):
        sight(store, item, B, 10 + n)

    assert holder(store, claimed) == ("hugo", "cerapcoop")
    assert holder(store, unassigned) == (None, None)
    assert holder(store, handled) == (None, "cerapcoop")
    sight(store, unassigned, A, 20)
    assert holder(store, unassigned) == (None, None)


def test_automatic_tags_respect_a_tag_removed_by_hand(store: Store) -> None:
    item = created(store, A, 1)
    with store.write():
        assert store.add_automatic_tags(item, {"ecsi", "ong"}, now=NOW, record=False) == [
            "ecsi",
            "ong",
        ]
    store.remove_tags(item, ["ecsi"], by="lea", now=NOW)
    with store.write():
        assert store.add_automatic_tags(item, {"ecsi", "ong", "ssi"}, now=NOW, record=True) == [
            "ssi"
        ]
    detail = store.get_item(item)
    assert detail["tags"] == ["ong", "ssi"]
    assert [(h["by"], h["action"], h["detail"]) for h in detail["history"]] == [
        ("lea", "untag", "ecsi"),
        (AUTOMATIC, "tag", "ssi"),
    ]


def test_changes_to_missing_items_raise_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.claim(404, by="lea", network="resacoop", force=True, now=NOW)
    with pytest.raises(NotFoundError):
        store.assign(404, network=None, assignee=None, by="lea", now=NOW)
    with pytest.raises(NotFoundError):
        store.add_tags(404, ["x"], by="lea", now=NOW)


def test_reopen_is_recorded_as_reopened(store: Store) -> None:
    item = created(store, A, 1)
    store.set_status(item, "selected", by="hugo", now=NOW)
    assert store.set_status(item, "new", by="hugo", now=NOW)
    assert [h["action"] for h in store.get_item(item)["history"]] == ["selected", "reopened"]


def test_m002_assigns_items_fetched_before_it(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = Database(path)
    migrations.apply(db, stop_before="m002_teamwork")
    db.execute("INSERT INTO sources (id, url, network) VALUES ('a', 'https://a', 'cerapcoop')")
    db.execute("INSERT INTO sources (id, url, network) VALUES ('b', 'https://b', 'resacoop')")
    for item_id, sources in ((1, "a"), (2, "ab"), (3, "")):
        db.execute(
            "INSERT INTO items (id, title, published, first_seen, updated) "
            "VALUES (?, 't', '2026-11-24', '2026-11-24', '2026-11-24')",
            [item_id],
        )
        for source in sources:
            db.execute(
                "INSERT INTO sightings (item_id, source_id, guid, title, content_hash, seen, how)"
                " VALUES (?, ?, ?, 't', 'c', '2026-11-24', 'new')",
                [item_id, source, f"{item_id}{source}"],
            )
    db.close()

    with Store.open(path) as store:
        assert "m002_teamwork" in store.schema_version()
        assert [holder(store, i) for i in (1, 2, 3)] == [
            (None, "cerapcoop"),
            (None, None),
            (None, None),
        ]

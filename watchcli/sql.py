"""Rows as dicts, and the one way to insert an item: what the store modules share."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

# An item that took no entry of this source automatically since `watchcli split` said so.
NOT_GUARDED = (
    "NOT EXISTS (SELECT 1 FROM split_guards g WHERE g.item_id = {item} AND g.source_id = ?)"
)

# The id of an item about to be inserted: above every id in use and every id ever removed
# (migration m012), so that an item's number always means the same story.
_NEW_ITEM_ID = (
    "(SELECT max(coalesce((SELECT max(id) FROM items), 0),"
    " (SELECT id FROM item_id_floor WHERE one = 1)) + 1)"
)


def insert_item(db: Database, values: dict[str, Any]) -> int:
    """Insert an item row and return its id: `values["id"]` when given (an import keeping
    another store's number this store never gave), else a number never given before. Every
    item is inserted here."""
    columns = [c for c in values if c != "id"]
    marks = ["?"] * len(columns)
    given = [values[c] for c in columns]
    if values.get("id") is not None:
        columns, marks, given = ["id", *columns], ["?", *marks], [values["id"], *given]
    else:
        columns, marks = ["id", *columns], [_NEW_ITEM_ID, *marks]
    cursor = db.execute(
        f"INSERT INTO items ({', '.join(columns)}) VALUES ({', '.join(marks)})", given
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def one(db: Database, sql: str, params: Iterable[Any] = ()) -> dict | None:
    cursor = db.execute(sql, list(params))
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([c[0] for c in cursor.description], row, strict=True))


def rows(db: Database, sql: str, params: Iterable[Any] = ()) -> list[dict]:
    cursor = db.execute(sql, list(params))
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

"""Rows as dicts: the two read helpers the store modules share."""

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
NEW_ITEM_ID = (
    "(SELECT max(coalesce((SELECT max(id) FROM items), 0),"
    " (SELECT id FROM item_id_floor WHERE one = 1)) + 1)"
)


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

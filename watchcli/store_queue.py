"""The triage screen's reads that `store.py` does not have: a search through the full-text
index (`items_fts`, migration m008) in the order of a member's queue, and an item that may have
gone. SQL lives here and in the other store modules only.
"""

from __future__ import annotations

import json

from watchcli import sql
from watchcli.errors import NotFoundError
from watchcli.models import ItemFilter
from watchcli.store import Store, _filter_sql, _queue_ranks, _rank_of


def search_queue(
    store: Store,
    expression: str,
    item_filter: ItemFilter,
    queue_of: tuple[str, str | None],
    *,
    scope: str | None,
    matches: int,
    limit: int,
) -> tuple[list[dict], bool]:
    """The items among the newest `matches` matches of the FTS5 `expression` (the last
    stored) that pass `item_filter` and `scope`, in the order of `Store.list_items(queue_of=…)`
    with their `queue` rank, at most `limit`; and whether the expression matches more items.

    The index gives the matches' ids newest first and stops at `matches`; only those items
    are read, then the sources and tags of the listed ones: a word found in a third of a
    million items costs what 10 000 matches cost (README, "Benchmarks")."""
    where, params = _filter_sql(item_filter)
    if scope:
        where.append("i.scope = ?")
        params.append(scope)
    rank_of, rank_params = _rank_of(_queue_ranks(*queue_of, item_filter, others=True))
    newest = "SELECT rowid FROM items_fts WHERE items_fts MATCH ? ORDER BY rowid DESC LIMIT ?"
    ids = [row[0] for row in store.db.execute(newest, [expression, matches + 1])]
    # The ids go back as a JSON array, so that the index is read once. CROSS JOIN: SQLite
    # reads them first, then each one's item, never an index of the filters in their stead (a
    # network's index is a quarter of the store).
    listed = f"""
        SELECT i.id, {rank_of} AS queue, i.published FROM json_each(?) m
        CROSS JOIN items i ON i.id = m.value
        {"WHERE " + " AND ".join(where) if where else ""}
        ORDER BY queue, i.published DESC, i.id DESC LIMIT ?
    """
    rows = sql.rows(
        store.db,
        f"SELECT {Store._ITEM_COLUMNS}, l.queue FROM ({listed}) l CROSS JOIN items i"
        " ON i.id = l.id ORDER BY l.queue, l.published DESC, l.id DESC",
        [*rank_params, json.dumps(ids[:matches]), *params, limit],
    )
    return [Store._decode_item(row) for row in rows], len(ids) > matches


def find_item(store: Store, item_id: int) -> dict | None:
    """The item as `Store.get_item` gives it, or None when it is gone (merged into another)."""
    try:
        return store.get_item(item_id)
    except NotFoundError:
        return None

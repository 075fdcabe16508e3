"""The triage screen's reads that `store.py` does not have: a search of titles and summaries
with accents and case ignored, and an item that may have gone. SQL lives here and in the other
store modules only.

The search folds text with `text.fold`, registered on the connection as an SQL function, so
that `solidarite` finds `Solidarité` and `l'ECSI` finds `l’ECSI`; every word must appear.
"""

from __future__ import annotations

from collections.abc import Sequence

from watchcli import sql
from watchcli.errors import NotFoundError
from watchcli.store import Store
from watchcli.text import fold

_FOLD = "watchcli_fold"
_CHUNK = 500  # ids per query: well under SQLite's limit of bound parameters


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_ids(store: Store, query: str, ids: Sequence[int]) -> set[int]:
    """The ids among `ids` whose title or summary holds every word of `query`."""
    words = fold(query).split()
    if not words:
        return set(ids)
    store.db.conn.create_function(_FOLD, 1, fold, deterministic=True)
    found: set[int] = set()
    text = f"{_FOLD}(coalesce(title, '') || ' ' || coalesce(summary, ''))"
    clauses = " AND ".join(f"{text} LIKE ? ESCAPE '\\'" for _ in words)
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        marks = ", ".join("?" * len(chunk))
        rows = sql.rows(
            store.db,
            f"SELECT id FROM items WHERE id IN ({marks}) AND {clauses}",
            [*chunk, *(_like(w) for w in words)],
        )
        found.update(row["id"] for row in rows)
    return found


def find_item(store: Store, item_id: int) -> dict | None:
    """The item as `Store.get_item` gives it, or None when it is gone (merged into another)."""
    try:
        return store.get_item(item_id)
    except NotFoundError:
        return None

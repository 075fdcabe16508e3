"""The full-text index of the store (migration m008): finding items by their words.

The index (`items_fts`) holds the tokens of every item's title, summary and notes; triggers
keep it in step with every write, so nothing here writes to it except `rebuild` (upkeep).
Ranking is FTS5's bm25 with the title weighing most, then the notes, then the summary; ties
go to the newest item.
"""

from __future__ import annotations

from sqlite_utils import Database

from watchcli import sql
from watchcli.models import ItemFilter
from watchcli.search import Query
from watchcli.store import Store, _filter_sql

# bm25 weights of the columns (title, summary, notes): a word in the title says more about
# what the item is than the same word deep in a summary.
WEIGHTS = (8.0, 1.0, 3.0)


def _descending(text: str) -> tuple[int, ...]:
    """A sort key that puts later ISO times first."""
    return tuple(-ord(ch) for ch in text)


class SearchStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def search(self, query: Query, item_filter: ItemFilter) -> list[dict]:
        """Items matching `query` and the filters of `list`, best first, each with its
        `summary` (for highlighting) and `rank` (bm25: lower is better)."""
        expression = query.fts()
        if expression is None:
            return []
        weights = ", ".join(str(w) for w in WEIGHTS)
        matches = f"""
            SELECT rowid AS id, bm25(items_fts, {weights}) AS rank
            FROM items_fts WHERE items_fts MATCH ?
        """
        where, params = _filter_sql(item_filter)
        if where:
            # Filters read the items of every match: join, then rank and cut.
            statement = f"""
                SELECT f.id, f.rank FROM ({matches}) f JOIN items i ON i.id = f.id
                WHERE {" AND ".join(where)}
                ORDER BY f.rank, i.published DESC, i.id DESC
            """
        else:
            # The index alone ranks and cuts (ties: the newest item, the highest id, first);
            # only the kept items are read. Reading every match's row first cost 100 ms for
            # 44 000 matches in a store of a million (bench/search_scale.py).
            statement = f"{matches} ORDER BY rank, rowid DESC"
        params = [expression, *params]
        if item_filter.limit:
            statement += " LIMIT ?"
            params.append(item_filter.limit)
        ranks = dict(self.db.execute(statement, params).fetchall())
        found: list[dict] = []
        ids = list(ranks)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            found += sql.rows(
                self.db,
                f"SELECT {Store._ITEM_COLUMNS}, i.summary FROM items i"
                f" WHERE i.id IN ({', '.join('?' * len(chunk))})",
                chunk,
            )
        for row in found:
            row["rank"] = ranks[row["id"]]
        found.sort(key=lambda row: (row["rank"], _descending(row["published"]), -row["id"]))
        return [Store._decode_item(row) for row in found]

    def rebuild(self) -> None:
        """Index every item again from its text (after a bulk change outside the triggers)."""
        self.db.execute("INSERT INTO items_fts (items_fts) VALUES ('rebuild')")

    def check(self) -> bool:
        """Whether the index holds exactly the tokens of the items' text."""
        try:
            self.db.execute("INSERT INTO items_fts (items_fts, rank) VALUES ('integrity-check', 1)")
        except Exception as error:  # SQLITE_CORRUPT_VTAB: the index disagrees with the text
            if "malformed" in str(error) or "corrupt" in str(error):
                return False
            raise
        return True

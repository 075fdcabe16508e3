"""Keeping the store: consistent copies, pruning, compaction and where its room goes.

- a backup is `VACUUM INTO`: one read transaction, so the copy is one moment of the store
  even while a fetch commits (WAL readers never wait for the writer), and compact;
- pruning deletes discarded items older than `[store].keep_days` with everything that hangs
  on them (sightings, tags, notes, history, near-duplicate and full-text index rows), in one
  transaction;
- the room each table and index takes comes from SQLite's `dbstat` virtual table.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path

from sqlite_utils import Database

from watchcli.dates import iso
from watchcli.store_near import NearStore

Transaction = Callable[[], AbstractContextManager[None]]


class UpkeepStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def copy_to(self, target: Path) -> None:
        """A compact, consistent copy of the store at `target` (which must not exist)."""
        self.db.execute("VACUUM INTO ?", [str(target)])

    def prune_discarded(self, before: datetime, transaction: Transaction) -> int:
        """Delete the items discarded, and first seen, before `before`, and everything on
        them, in one `transaction`; how many.

        Foreign keys are off meanwhile (they can only be switched outside a transaction): every
        row that refers to an item goes first, by the item's id, so none is left dangling, and
        SQLite does not look again for rows still referring to each deleted item (before m010,
        that was a scan of `near_tokens` per item, 30 ms at a million rows)."""
        cutoff = iso(before)
        self.db.execute("PRAGMA foreign_keys=OFF")
        try:
            with transaction():
                ids = [
                    item_id
                    for (item_id,) in self.db.execute(
                        "SELECT id FROM items WHERE status = 'discarded' AND first_seen < ?"
                        " AND coalesce(handled_at, first_seen) < ?",
                        [cutoff, cutoff],
                    )
                ]
                near = NearStore(self.db)
                for start in range(0, len(ids), 500):
                    chunk = ids[start : start + 500]
                    for item_id in chunk:
                        near.clear(item_id)
                    marks = ", ".join("?" * len(chunk))
                    for statement in (
                        f"DELETE FROM item_tags WHERE item_id IN ({marks})",
                        f"DELETE FROM notes WHERE item_id IN ({marks})",
                        f"DELETE FROM history WHERE item_id IN ({marks})",
                        f"DELETE FROM split_guards WHERE item_id IN ({marks})",
                        f"DELETE FROM merged_items WHERE into_id IN ({marks})",
                        f"DELETE FROM sightings WHERE item_id IN ({marks})",
                        f"DELETE FROM items WHERE id IN ({marks})",
                    ):
                        self.db.execute(statement, chunk)
        finally:
            self.db.execute("PRAGMA foreign_keys=ON")
        return len(ids)

    def vacuum(self) -> None:
        """Merge the full-text index into one segment (as fetch adds items one by one, it is
        spread over many, which VACUUM alone leaves as they are), rewrite the file without
        its free pages, and empty the write-ahead log."""
        self.db.execute("INSERT INTO items_fts (items_fts) VALUES ('optimize')")
        self.db.conn.commit()
        self.db.execute("VACUUM")
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def space(self) -> list[tuple[str, str, int]]:
        """(name, kind, bytes) of every table and index, largest first. An FTS5 index's
        shadow tables count under the index."""
        kinds = dict(self.db.execute("SELECT name, type FROM sqlite_master").fetchall())
        found: dict[str, int] = {}
        for name, size in self.db.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
            owner = "items_fts" if name.startswith("items_fts_") else name
            found[owner] = found.get(owner, 0) + size
        return sorted(
            ((name, kinds.get(name, "table"), size) for name, size in found.items()),
            key=lambda row: -row[2],
        )

    def count_items(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM items").fetchone()[0])


def integrity(path: Path) -> str:
    """`PRAGMA integrity_check` of a store file: "ok", or what is wrong."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return "; ".join(row[0] for row in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()

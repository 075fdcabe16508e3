"""Items in and out of the store as plain records: what `export` writes and `import` merges.

A record is one item with everything the networks share about it: its text, its sightings,
tags, triage state, notes and history (`exchange.py` reads and writes them as files).

Import merges (README, "Moving and keeping data"), all in the caller's one transaction:
- an item is the local item that has one of the record's sightings (same source and GUID),
  else one with a sighting of the same canonical URL, else of the same URI-like GUID (from any
  source); else it is new (keeping its id when the
  id is free here, so a store filled from another's export lists the same ids);
- sightings, notes and history lines are added when this item has none with their identity
  (source and GUID; author, time and text; author, time, action and detail);
- tags are a union, except a tag whose latest untag is later than the tag was given;
- status and assignment follow the latest change by hand, from either side's history;
- an item first seen earlier elsewhere takes the earlier `first_seen`.
So importing the same records twice changes nothing the second time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from watchcli import dedupe, sql
from watchcli.dates import iso

AUTOMATIC = "watchcli"
STATUS_ACTIONS = ("selected", "discarded", "reopened")
HOLDER_ACTIONS = ("claim", "assign", "unassign")

ITEM_COLUMNS = (
    "id",
    "url",
    "title",
    "summary",
    "author",
    "published",
    "first_seen",
    "updated",
    "lang",
    "scope",
    "status",
    "assignee",
    "network",
    "assigned_by",
    "handled_by",
    "handled_at",
)
SIGHTING_COLUMNS = (
    "source",
    "guid",
    "url",
    "link",
    "title",
    "content_hash",
    "published",
    "seen",
    "updated",
    "how",
    "score",
    "lede",
)
TAG_COLUMNS = ("tag", "by", "at")
NOTE_COLUMNS = ("by", "at", "text")
HISTORY_COLUMNS = ("by", "at", "action", "detail")

# Items dated within this many days of now are put in the near-duplicate index when imported,
# so that a later fetch merges the same story into them (older ones no entry can meet).
NEAR_INDEX_DAYS = 30


@dataclass
class ImportReport:
    items: int = 0
    new_items: int = 0
    updated_items: int = 0
    sightings: int = 0
    tags: int = 0
    notes: int = 0
    history: int = 0
    changed: list[int] = field(default_factory=list)  # new items, and items with new sightings
    grown: list[int] = field(default_factory=list)  # items here before, with new sightings


def _json_array(columns: tuple[str, ...], table: str, where: str, order: str) -> str:
    pairs = ", ".join(f"'{c}', {c}" for c in columns)
    return (
        f"(SELECT json_group_array(json_object({pairs})) FROM "
        f"(SELECT * FROM {table} WHERE {where} ORDER BY {order}))"
    )


class ExchangeStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def export_records(self, since: datetime | None = None) -> Iterator[dict]:
        """Every item (or those first seen, handled or changed since `since`), oldest first."""
        # `link` is "" in the store when it is the URL (m009); the file always has it.
        stored = {"source": "source_id", "link": "CASE WHEN link = '' THEN url ELSE link END"}
        sighting_pairs = ", ".join(f"'{c}', {stored.get(c, c)}" for c in SIGHTING_COLUMNS)
        statement = f"""
            SELECT {", ".join("i." + c for c in ITEM_COLUMNS)},
                (SELECT json_group_array(json_object({sighting_pairs})) FROM
                    (SELECT * FROM sightings WHERE item_id = i.id ORDER BY id)) AS sightings,
                {_json_array(TAG_COLUMNS, "item_tags", "item_id = i.id", "tag")} AS tags,
                {_json_array(NOTE_COLUMNS, "notes", "item_id = i.id", "id")} AS notes,
                {_json_array(HISTORY_COLUMNS, "history", "item_id = i.id", "id")} AS history
            FROM items i
        """
        params: list[Any] = []
        if since is not None:
            statement += """
                WHERE i.first_seen >= ? OR i.handled_at >= ?
                   OR EXISTS (SELECT 1 FROM history h WHERE h.item_id = i.id AND h.at >= ?)
            """
            params = [iso(since)] * 3
        statement += " ORDER BY i.id"
        cursor = self.db.execute(statement, params)
        names = [c[0] for c in cursor.description]
        for row in cursor:
            record = dict(zip(names, row, strict=True))
            for key in ("sightings", "tags", "notes", "history"):
                record[key] = json.loads(record[key])
            yield record

    def import_records(self, records: Iterable[dict]) -> ImportReport:
        """Merge the records in (inside the caller's transaction)."""
        report = ImportReport()
        for record in records:
            report.items += 1
            item_id = self._match(record)
            new = item_id is None
            if item_id is None:
                item_id = self._insert_item(record)
                report.new_items += 1
                changed = True
            else:
                changed = self._merge_item(item_id, record)
            sightings = self._add_sightings(item_id, record["sightings"])
            # History first: a tag is not given back when a later untag (either side's) says so.
            history = self._add_lines("history", HISTORY_COLUMNS, item_id, record["history"])
            notes = self._add_lines("notes", NOTE_COLUMNS, item_id, record["notes"])
            tags = self._add_tags(item_id, record["tags"])
            report.sightings += sightings
            report.history += history
            report.notes += notes
            report.tags += tags
            if not new and (changed or sightings or history or notes or tags):
                report.updated_items += 1
            if new or sightings:
                report.changed.append(item_id)
            if sightings and not new:
                report.grown.append(item_id)
        return report

    def items_to_index(self, item_ids: list[int], *, now: datetime) -> list[int]:
        """Of these items, those dated recently enough for a new entry to meet them."""
        recent = iso(now - timedelta(days=NEAR_INDEX_DAYS))
        found = []
        for start in range(0, len(item_ids), 500):
            chunk = item_ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            found += [
                item_id
                for (item_id,) in self.db.execute(
                    f"SELECT id FROM items WHERE id IN ({marks}) AND published >= ?",
                    [*chunk, recent],
                )
            ]
        return found

    # --- one record ------------------------------------------------------------------------

    def _match(self, record: dict) -> int | None:
        for sighting in record["sightings"]:
            row = self.db.execute(
                "SELECT item_id FROM sightings WHERE source_id = ? AND guid = ?",
                [sighting["source"], sighting["guid"]],
            ).fetchone()
            if row:
                return int(row[0])
        keys = {dedupe.url_key(s["url"]) for s in record["sightings"] if s["url"]}
        if record["url"]:
            keys.add(dedupe.url_key(record["url"]))
        for key in sorted(keys):
            row = self.db.execute(
                "SELECT item_id FROM sightings WHERE url_key = ? ORDER BY id LIMIT 1", [key]
            ).fetchone()
            if row:
                return int(row[0])
        # A URI-like GUID names the story wherever it is carried (as at fetch): the other
        # network may call the same feed by another source id.
        for sighting in record["sightings"]:
            if "://" in sighting["guid"]:
                row = self.db.execute(
                    "SELECT item_id FROM sightings WHERE guid = ? ORDER BY id LIMIT 1",
                    [sighting["guid"]],
                ).fetchone()
                if row:
                    return int(row[0])
        return None

    def _insert_item(self, record: dict) -> int:
        free = not self.db.execute(
            "SELECT 1 FROM items WHERE id = ? UNION ALL SELECT 1 FROM merged_items WHERE id = ?",
            [record["id"], record["id"]],
        ).fetchone()
        # The other store's number when this store never gave it, else a new one.
        values = {c: record[c] for c in ITEM_COLUMNS}
        values["id"] = record["id"] if free else None
        return sql.insert_item(self.db, values)

    def _merge_item(self, item_id: int, record: dict) -> bool:
        """Status and holder from the side that changed them last; the earlier first sight."""
        local = sql.one(self.db, "SELECT * FROM items WHERE id = ?", [item_id])
        assert local is not None
        changes: dict[str, Any] = {}
        if record["first_seen"] < local["first_seen"]:
            changes["first_seen"] = record["first_seen"]
        theirs, ours = record["history"], self._history(item_id)
        if _latest(theirs, STATUS_ACTIONS) > _latest(ours, STATUS_ACTIONS):
            changes.update({k: record[k] for k in ("status", "handled_by", "handled_at")})
        if _latest(theirs, HOLDER_ACTIONS) > _latest(ours, HOLDER_ACTIONS):
            changes.update({k: record[k] for k in ("assignee", "network", "assigned_by")})
        changes = {k: v for k, v in changes.items() if local[k] != v}
        if changes:
            assignments = ", ".join(f"{k} = ?" for k in changes)
            self.db.execute(
                f"UPDATE items SET {assignments} WHERE id = ?", [*changes.values(), item_id]
            )
        return bool(changes)

    def _history(self, item_id: int) -> list[dict]:
        return sql.rows(self.db, "SELECT by, at, action FROM history WHERE item_id = ?", [item_id])

    def _add_sightings(self, item_id: int, sightings: list[dict]) -> int:
        added = 0
        for s in sightings:
            cursor = self.db.execute(
                """
                INSERT OR IGNORE INTO sightings (item_id, source_id, guid, url, url_key, link,
                    title, content_hash, published, seen, updated, how, score, lede)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    item_id,
                    s["source"],
                    s["guid"],
                    s["url"],
                    dedupe.url_key(s["url"]) if s["url"] else None,
                    "" if s["link"] == s["url"] else s["link"],
                    *(s[c] for c in SIGHTING_COLUMNS[4:]),
                ],
            )
            added += cursor.rowcount
        return added

    def _add_lines(
        self, table: str, columns: tuple[str, ...], item_id: int, lines: list[dict]
    ) -> int:
        added = 0
        same = " AND ".join(f"{c} = ?" for c in columns)
        for line in lines:
            values = [line[c] for c in columns]
            cursor = self.db.execute(
                f"INSERT INTO {table} (item_id, {', '.join(columns)}) "
                f"SELECT ?, {', '.join('?' * len(columns))} WHERE NOT EXISTS "
                f"(SELECT 1 FROM {table} WHERE item_id = ? AND {same})",
                [item_id, *values, item_id, *values],
            )
            added += cursor.rowcount
        return added

    def _add_tags(self, item_id: int, tags: list[dict]) -> int:
        added = 0
        for tag in tags:
            cursor = self.db.execute(
                """
                INSERT OR IGNORE INTO item_tags (item_id, tag, by, at)
                SELECT ?, ?, ?, ? WHERE NOT EXISTS (
                    SELECT 1 FROM history WHERE item_id = ? AND action = 'untag'
                    AND detail = ? AND at > ?)
                """,
                [item_id, tag["tag"], tag["by"], tag["at"], item_id, tag["tag"], tag["at"]],
            )
            added += cursor.rowcount
        return added


def _latest(history: list[dict], actions: tuple[str, ...]) -> str:
    """When the last of these actions by hand happened ("" for never)."""
    return max(
        (h["at"] for h in history if h["action"] in actions and h["by"] != AUTOMATIC), default=""
    )

"""The SQL of "the same story": the near-duplicate index, its representatives and token
counts, and the corrections by hand (merge, split). `Store.near` is the one instance.

Invariants:

- an item is compared by its representatives only: at most REPS of its sightings, the first
  ones whose titles differ (`near_reps`), so a new entry costs the same whether the item was
  seen once or a thousand times;
- the index (`near_tokens`) holds exactly the `neardup.index_tokens` of each representative,
  filed under the day of the item's date; a representative row knows that day, so an item's
  rows are found (and removed) through its representatives, without an index by item;
- `near_df` counts, per day of first sight, the items that hold each token (token '' counts
  the items): the weights' window is a range of days, and a story seen a thousand times counts
  once (its own sightings do not make its words common);
- every lookup is a B-tree seek bounded by the window's days, and by PER_TOKEN rows a token.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlite_utils import Database

from watchcli import neardup, sql
from watchcli.dates import iso

REPS = 3  # representatives of an item at most
PER_TOKEN = 64  # index rows read per looked-up token at most: a common token reads no more
DOCUMENTS = ""  # the near_df token that counts the items themselves


def day_of(when: datetime) -> int:
    """Days since the epoch (UTC), floor: the index's and the counts' unit of time."""
    return int(when.astimezone(UTC).timestamp() // 86400)


@dataclass(frozen=True)
class Representative:
    """One text an item is compared by."""

    item_id: int
    sighting_id: int
    text: neardup.MatchText
    published: datetime
    same_source: bool  # the item already has a sighting from the asking entry's source


class NearStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- the index ------------------------------------------------------------------------

    def candidates(
        self,
        weighted: Sequence[tuple[str, float]],
        days: range,
        *,
        shared_at_least: int,
        alone_from: float,
        limit: int,
    ) -> list[int]:
        """The `limit` items that share the most weight with an entry's (token, weight) pairs
        on `days`, among those sharing `shared_at_least` tokens or one token weighing
        `alone_from` or more; heaviest first, the newest on a tie. One statement, one B-tree
        seek per (day, token), at most PER_TOKEN rows a token, newest first (when a token is too
        common for its list to be read whole, the items nearest in time are the ones read);
        the rows are counted inside SQLite, so a few ids come back, not hundreds of rows."""
        if not weighted or not days:
            return []
        day_marks = ", ".join("?" * len(days))
        one = (
            "SELECT item_id, ? AS weight FROM (SELECT item_id FROM near_tokens "
            f"WHERE day IN ({day_marks}) AND token = ? "
            f"ORDER BY day DESC, item_id DESC LIMIT {PER_TOKEN})"
        )
        params: list[object] = []
        for token, weight in weighted:
            params += [weight, *days, token]
        rows = self.db.execute(
            "SELECT item_id FROM (" + " UNION ALL ".join([one] * len(weighted)) + ") "
            "GROUP BY item_id HAVING count(*) >= ? OR max(weight) >= ? "
            "ORDER BY sum(weight) DESC, item_id DESC LIMIT ?",
            [*params, shared_at_least, alone_from, limit],
        ).fetchall()
        return [item_id for (item_id,) in rows]

    def representatives(self, item_ids: Sequence[int], source_id: str) -> list[Representative]:
        """The representatives of `item_ids`, except of items split by hand from `source_id`,
        each saying whether its item already has a sighting from `source_id`."""
        if not item_ids:
            return []
        marks = ", ".join("?" * len(item_ids))
        found = self.db.execute(
            f"""
            SELECT r.item_id, r.sighting_id, r.text, r.published,
                   EXISTS (SELECT 1 FROM sightings s
                           WHERE s.item_id = r.item_id AND s.source_id = ?) AS same_source
            FROM near_reps r
            WHERE r.item_id IN ({marks}) AND {sql.NOT_GUARDED.format(item="r.item_id")}
            ORDER BY r.item_id, r.sighting_id
            """,
            [source_id, *item_ids, source_id],
        ).fetchall()
        return [
            Representative(
                item_id,
                sighting_id,
                neardup.MatchText.decode(text),
                datetime.fromisoformat(published),
                bool(same),
            )
            for item_id, sighting_id, text, published, same in found
        ]

    def representative_texts(self, item_id: int) -> list[str]:
        return [
            text
            for (text,) in self.db.execute(
                "SELECT text FROM near_reps WHERE item_id = ? ORDER BY sighting_id", [item_id]
            )
        ]

    def add_representative(
        self, item_id: int, sighting_id: int, day: int, published: datetime, text: neardup.MatchText
    ) -> None:
        """File a sighting's text as one of its item's representatives, and index it."""
        self.db.execute(
            "INSERT INTO near_reps (sighting_id, item_id, day, published, text)"
            " VALUES (?, ?, ?, ?, ?)",
            [sighting_id, item_id, day, iso(published), text.encode()],
        )
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO near_tokens (day, token, item_id) VALUES (?, ?, ?)",
            index_rows(item_id, day, text),
        )

    def forget_index_before(self, day: int) -> int:
        """Drop the index rows of the days before `day` (a range of the key's first column);
        how many. The representatives stay: `reindex` makes an item's rows again."""
        return self.db.execute("DELETE FROM near_tokens WHERE day < ?", [day]).rowcount

    def clear(self, item_id: int) -> None:
        """Remove an item's representatives and, through them, its index rows."""
        reps = self.db.execute(
            "SELECT day, text FROM near_reps WHERE item_id = ?", [item_id]
        ).fetchall()
        self.db.conn.executemany(
            "DELETE FROM near_tokens WHERE day = ? AND token = ? AND item_id = ?",
            [
                row
                for day, text in reps
                for row in index_rows(item_id, day, neardup.MatchText.decode(text))
            ],
        )
        self.db.execute("DELETE FROM near_reps WHERE item_id = ?", [item_id])

    def reindex(self, item_id: int) -> None:
        """Choose an item's representatives again from its sightings (after a merge, a split,
        or new matching rules) and index them."""
        self.clear(item_id)
        item = sql.one(self.db, "SELECT published FROM items WHERE id = ?", [item_id])
        if item is None:
            return
        day = day_of(datetime.fromisoformat(item["published"]))
        kept: list[neardup.MatchText] = []
        for sighting in sql.rows(
            self.db,
            """
            SELECT s.id, s.title, coalesce(s.published, s.seen) AS published,
                   CASE WHEN s.lede = '' AND s.how = 'new'
                        THEN substr(i.summary, 1, 400) ELSE s.lede END AS lede
            FROM sightings s JOIN items i ON i.id = s.item_id
            WHERE s.item_id = ? ORDER BY s.id
            """,
            [item_id],
        ):
            text = neardup.match_text(sighting["title"], sighting["lede"])
            if not is_new_representative(text, kept):
                continue
            self.add_representative(
                item_id, sighting["id"], day, datetime.fromisoformat(sighting["published"]), text
            )
            kept.append(text)
            if len(kept) == REPS:
                break

    # --- token counts (the weights) -----------------------------------------------------------

    def count_items(self, day: int, holders: Mapping[str, int], items: int) -> None:
        """`items` more items, first seen on `day`, of which `holders[token]` hold each token:
        one row written a token, however many of the items hold it."""
        self.db.conn.executemany(
            "INSERT INTO near_df (token, day, n) VALUES (?, ?, ?)"
            " ON CONFLICT (token, day) DO UPDATE SET n = n + excluded.n",
            [(DOCUMENTS, day, items), *((t, day, holders[t]) for t in sorted(holders))],
        )

    def token_counts(self, tokens: Sequence[str], since_day: int) -> dict[str, int]:
        """How many items first seen since `since_day` hold each of `tokens`."""
        found: dict[str, int] = {}
        for start in range(0, len(tokens), 500):  # within SQLite's variable limit
            chunk = tokens[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            found.update(
                self.db.execute(
                    f"SELECT token, sum(n) FROM near_df WHERE token IN ({marks}) AND day >= ?"
                    " GROUP BY token",
                    [*chunk, since_day],
                ).fetchall()
            )
        return found

    def item_count(self, since_day: int) -> int:
        return self.token_counts([DOCUMENTS], since_day).get(DOCUMENTS, 0)

    def forget_counts_before(self, day: int) -> None:
        """Drop the counts older than `day`, when there are (a scan of the small counts table,
        at most once a week: the oldest day is one seek away)."""
        (oldest,) = self.db.execute(
            "SELECT min(day) FROM near_df WHERE token = ?", [DOCUMENTS]
        ).fetchone()
        if oldest is not None and oldest < day - 7:
            self.db.execute("DELETE FROM near_df WHERE day < ?", [day])

    def recount(self, since: datetime) -> None:
        """Count again the tokens of the items first seen since `since` (new matching rules)."""
        self.db.execute("DELETE FROM near_df")
        holders: dict[int, Counter[str]] = defaultdict(Counter)
        items: Counter[int] = Counter()
        for row in sql.rows(
            self.db,
            """
            SELECT i.first_seen, s.title,
                   CASE WHEN s.lede = '' THEN substr(i.summary, 1, 400) ELSE s.lede END AS lede
            FROM items i JOIN sightings s ON s.id = (SELECT min(id) FROM sightings
                                                      WHERE item_id = i.id)
            WHERE i.first_seen >= ?
            """,
            [iso(since)],
        ):
            day = day_of(datetime.fromisoformat(row["first_seen"]))
            holders[day].update(neardup.match_text(row["title"], row["lede"]).text)
            items[day] += 1
        for day in sorted(items):
            self.count_items(day, holders[day], items[day])

    # --- corrections by hand (merge, split) ------------------------------------------------

    def merge_items(self, keep: int, others: Sequence[int], *, by: str, now: datetime) -> int:
        """Move everything of `others` into `keep` and delete them: sightings (the one each
        was created from becomes how = 'merge'), tags, notes, history, split guards. Returns
        the number of sightings moved. Call inside `write()`; the caller re-indexes `keep`."""
        moved = 0
        at = iso(now)
        for other in others:
            cursor = self.db.execute(
                """
                UPDATE sightings SET item_id = ?, moved_from = ?,
                    how = CASE WHEN how = 'new' THEN 'merge' ELSE how END
                WHERE item_id = ?
                """,
                [keep, other, other],
            )
            moved += cursor.rowcount
            # The analyst says these sources belong together: lift their guards on `keep`.
            self.db.execute(
                """
                DELETE FROM split_guards WHERE item_id = ? AND source_id IN
                    (SELECT source_id FROM sightings WHERE item_id = ? AND moved_from = ?)
                """,
                [keep, keep, other],
            )
            for statement in (
                "INSERT OR IGNORE INTO item_tags (item_id, tag, by, at) "
                "SELECT ?, tag, by, at FROM item_tags WHERE item_id = ?",
                "UPDATE notes SET item_id = ? WHERE item_id = ?",
                "UPDATE history SET item_id = ? WHERE item_id = ?",
                "UPDATE split_guards SET item_id = ? WHERE item_id = ?",
                "UPDATE merged_items SET into_id = ? WHERE into_id = ?",
            ):
                self.db.execute(statement, [keep, other])
            self.db.execute("DELETE FROM item_tags WHERE item_id = ?", [other])
            self.clear(other)
            self.db.execute(
                "INSERT INTO merged_items (id, into_id, by, at) VALUES (?, ?, ?, ?)",
                [other, keep, by, at],
            )
            self.db.execute("DELETE FROM items WHERE id = ?", [other])
        return moved

    def split_sighting(
        self, item_id: int, sighting_id: int, *, scope: str | None, by: str, now: datetime
    ) -> int:
        """Make sighting `sighting_id` of `item_id` an item of its own, and guard `item_id`
        against its source for good. Returns the new item's id. Call inside `write()`; the
        caller re-indexes both items."""
        sighting = sql.one(self.db, "SELECT * FROM sightings WHERE id = ?", [sighting_id])
        item = sql.one(self.db, "SELECT * FROM items WHERE id = ?", [item_id])
        assert sighting is not None and item is not None
        first = sql.one(self.db, "SELECT min(id) AS id FROM sightings WHERE item_id = ?", [item_id])
        was_first = first is not None and first["id"] == sighting_id
        new_id = sql.insert_item(
            self.db,
            {
                "url": sighting["url"],
                "title": sighting["title"],
                "summary": item["summary"] if was_first else sighting["lede"],
                "author": item["author"] if was_first else "",
                "published": sighting["published"] or sighting["seen"],
                "first_seen": sighting["seen"],
                "updated": iso(now),
                "lang": item["lang"],
                "scope": scope if scope is not None else item["scope"],
            },
        )
        self.db.execute(
            """
            UPDATE sightings SET item_id = ?, moved_from = ?, how = 'split', score = NULL,
                matched_sighting = NULL
            WHERE id = ?
            """,
            [new_id, item_id, sighting_id],
        )
        if was_first:
            # The item was this sighting's text: it now takes its first remaining one's.
            self.db.execute(
                """
                UPDATE items SET (title, url, summary, published) = (
                    SELECT title, url, lede, coalesce(published, seen) FROM sightings
                    WHERE item_id = items.id ORDER BY id LIMIT 1),
                    updated = ?
                WHERE id = ?
                """,
                [iso(now), item_id],
            )
        self.db.execute(
            """
            INSERT INTO split_guards (item_id, source_id, guid, url_key, new_item_id, by, at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            [
                item_id,
                sighting["source_id"],
                sighting["guid"],
                sighting["url_key"],
                new_id,
                by,
                iso(now),
            ],
        )
        return new_id

    def find_sighting_of(self, sighting_id: int) -> dict | None:
        """One sighting's item, source and text, or None."""
        return sql.one(
            self.db,
            "SELECT id, item_id, source_id, guid, title, lede FROM sightings WHERE id = ?",
            [sighting_id],
        )

    def count_sightings(self, item_id: int) -> int:
        row = sql.one(self.db, "SELECT count(*) AS n FROM sightings WHERE item_id = ?", [item_id])
        return row["n"] if row else 0


def index_rows(item_id: int, day: int, text: neardup.MatchText) -> list[tuple[int, str, int]]:
    """The `near_tokens` rows of one representative: (day, token, item)."""
    return [(day, token, item_id) for token in neardup.index_tokens(text)]


def is_new_representative(text: neardup.MatchText, kept: Sequence[neardup.MatchText]) -> bool:
    """A sighting becomes a representative when its title is not one the item already has
    (the same words in the same order): another wording is what a later entry may echo."""
    return all(text.words != other.words for other in kept)

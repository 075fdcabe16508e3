"""The one module that knows SQL. Everything else asks it in plain values.

Invariants:
- every connection runs in WAL mode with a busy timeout, so readers never block the fetch
  writer and a writer waits for another instead of failing with "database is locked";
- every write that changes more than one row runs in `Store.write()`, a short
  `BEGIN IMMEDIATE` transaction (taking the write lock up front, so it cannot fail half-way
  on a lock upgrade);
- times are written with `dates.iso`, so text order is time order.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlite_utils import Database

from watchcli import __version__, sql
from watchcli.config import Source
from watchcli.dates import iso, parse_iso
from watchcli.errors import HeldError, NotFoundError, UsageError
from watchcli.migrations import migrations
from watchcli.models import Entry, ItemFilter, RunSummary

if TYPE_CHECKING:
    from watchcli.store_near import NearStore
    from watchcli.store_reports import ReportStore

BUSY_TIMEOUT_SECONDS = 30.0
# SQLite's page cache per connection, in KiB. The default (2 MiB) holds little more than the
# top pages of a store of a million items, so every entry read the same index pages again
# from the OS; 32 MiB holds the inner pages of every index and the pages of the last days that
# new entries read and write (bench/dedupe_scale.py). Filled only as pages are read: a small
# store never takes it all; freed when the command ends. No mmap: it would put the pages of a
# large store in the RSS of every command, and turn an I/O error into a crash (SIGBUS).
CACHE_KIB = 32 * 1024

# Who fetch is, in `history`, `item_tags.by` and `items.assigned_by`.
AUTOMATIC = "watchcli"

# The one network whose sources carried an item, or NULL when none or several did: the
# automatic assignment rule (SPEC §5), evaluated on `items` rows.
_SOURCE_NETWORK = """
    (SELECT CASE WHEN count(DISTINCT src.network) = 1 THEN max(src.network) END
     FROM sightings s JOIN sources src ON src.id = s.source_id
     WHERE s.item_id = items.id AND src.network IS NOT NULL)
"""

# History action of each status change.
_STATUS_ACTIONS = {"selected": "selected", "discarded": "discarded", "new": "reopened"}


@dataclass(frozen=True)
class SourceState:
    """What the fetcher needs to know of a source from earlier runs."""

    id: str
    url: str
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    gone: bool
    retry_after: str | None
    last_error: str | None = None

    @property
    def expects_body(self) -> bool:
        """Asked with nothing to compare with, the source can only answer with its feed."""
        return not (self.etag or self.last_modified or self.body_hash)

    @property
    def no_feed(self) -> bool:
        """Its validators name a body that was no feed (`NO_FEED`), read by this version."""
        return (self.body_hash or "").startswith(NO_FEED)

    def asked_with(self) -> tuple[str | None, str | None, str | None]:
        """The (ETag, Last-Modified, body hash) to ask with: the body hash without its
        no-feed mark, so that the same bytes again are "not modified"; nothing at all for a
        body another version of watchcli found no feed, which this one may read."""
        if not (self.body_hash or "").startswith(_NO_FEED):
            return self.etag, self.last_modified, self.body_hash
        if not self.no_feed:
            return None, None, None
        return self.etag, self.last_modified, self.body_hash.removeprefix(NO_FEED)


# The body hash kept, with the validators, for a body that was no feed at all (an HTML page,
# a challenge, a truncated document): the next run asks for it conditionally, and "not
# modified" is the same failure, with no download. The version names the reader that failed.
_NO_FEED = "no-feed/"
NO_FEED = f"{_NO_FEED}{__version__}:"


@dataclass(frozen=True)
class SightingRef:
    """A sighting an entry was matched to, and its item."""

    item_id: int
    sighting_id: int


@dataclass(frozen=True)
class SightingMatch:
    id: int
    item_id: int
    content_hash: str


class Store:
    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self.db = Database(conn)

    @cached_property
    def near(self) -> NearStore:
        """The near-duplicate index, its counts, merge and split (store_near.py); imported
        when first used, so that `list` or `show` never load the matcher."""
        from watchcli.store_near import NearStore

        return NearStore(self.db)

    @cached_property
    def reports(self) -> ReportStore:
        """The week's figures and the digest's items (store_reports.py)."""
        from watchcli.store_reports import ReportStore

        return ReportStore(self.db)

    @classmethod
    def open(cls, path: Path) -> Store:
        """Open (creating if needed) the store at `path` and apply pending migrations."""
        path = Path(path)
        if not path.parent.exists():
            raise UsageError(f"cannot create the store {path}: folder {path.parent} does not exist")
        try:
            conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            store = cls(path, conn)
            migrations.apply(store.db)
        except sqlite3.DatabaseError as error:
            raise UsageError(f"cannot open the store {path}: {error}") from None
        return store

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def write(self) -> Iterator[None]:
        """A short write transaction that holds the write lock from its first statement."""
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _one(self, query: str, params: Iterable[Any] = ()) -> dict | None:
        return sql.one(self.db, query, params)

    def _all(self, query: str, params: Iterable[Any] = ()) -> list[dict]:
        return sql.rows(self.db, query, params)

    def schema_version(self) -> list[str]:
        return [m.name for m in migrations.applied(self.db)]

    # --- sources -------------------------------------------------------------------------

    def sync_sources(self, sources: Iterable[Source]) -> None:
        """Make the sources table match the configuration; a changed URL starts afresh."""
        with self.write():
            for source in sources:
                self.db.execute(
                    """
                    INSERT INTO sources (id, url, network) VALUES (?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET
                        network = excluded.network,
                        etag = CASE WHEN url = excluded.url THEN etag END,
                        last_modified = CASE WHEN url = excluded.url THEN last_modified END,
                        body_hash = CASE WHEN url = excluded.url THEN body_hash END,
                        gone = CASE WHEN url = excluded.url THEN gone ELSE 0 END,
                        retry_after = CASE WHEN url = excluded.url THEN retry_after END,
                        url = excluded.url
                    """,
                    [source.id, source.url, source.network],
                )

    def source_states(self) -> dict[str, SourceState]:
        rows = self._all(
            "SELECT id, url, etag, last_modified, body_hash, gone, retry_after, last_error"
            " FROM sources"
        )
        return {row["id"]: SourceState(**{**row, "gone": bool(row["gone"])}) for row in rows}

    def record_fetch_ok(
        self,
        source_id: str,
        *,
        now: datetime,
        status: int | None,
        etag: str | None,
        last_modified: str | None,
        body_hash: str | None,
        final_url: str,
        title: str | None,
        problem: str | None,
    ) -> None:
        """A successful fetch: new validators, failures reset. None keeps what was stored."""
        self.db.execute(
            """
            UPDATE sources SET
                last_status = ?, last_attempt = ?, last_ok = ?, failures = 0,
                last_error = NULL, gone = 0, retry_after = NULL,
                etag = coalesce(?, etag), last_modified = coalesce(?, last_modified),
                body_hash = coalesce(?, body_hash), final_url = coalesce(?, final_url),
                title = coalesce(?, title),
                problem = CASE WHEN ? THEN ? ELSE problem END
            WHERE id = ?
            """,
            [
                status,
                iso(now),
                iso(now),
                etag,
                last_modified,
                body_hash,
                final_url or None,
                title,
                body_hash is not None,
                problem,
                source_id,
            ],
        )

    def record_fetch_failure(
        self,
        source_id: str,
        *,
        now: datetime,
        status: int | None,
        error: str,
        gone: bool = False,
        retry_after: datetime | None = None,
        no_feed: tuple[str | None, str | None, str] | None = None,
    ) -> None:
        """A failed fetch. `no_feed`: the (ETag, Last-Modified, body hash) of a body that was
        no feed, kept (as `NO_FEED` + hash) so that the next run asks for it conditionally."""
        validators = ""
        params: list[Any] = [status, iso(now), error, int(gone)]
        params.append(iso(retry_after) if retry_after else None)
        if no_feed is not None:
            etag, last_modified, body_hash = no_feed
            validators = ", etag = ?, last_modified = ?, body_hash = ?"
            params += [etag, last_modified, NO_FEED + body_hash]
        self.db.execute(
            f"""
            UPDATE sources SET
                last_status = ?, last_attempt = ?, failures = failures + 1, last_error = ?,
                gone = ?, retry_after = ?{validators}
            WHERE id = ?
            """,
            [*params, source_id],
        )

    def sources_health(self, source_ids: Iterable[str]) -> list[dict]:
        """The health of the given sources, in the given order, with their item counts."""
        ids = list(source_ids)
        rows = {
            row["id"]: row
            for row in self._all(
                """
                SELECT s.*, (SELECT count(DISTINCT item_id) FROM sightings
                             WHERE source_id = s.id) AS items
                FROM sources s
                """
            )
        }
        return [rows[i] for i in ids if i in rows]

    # --- ingest --------------------------------------------------------------------------

    def find_sighting(self, source_id: str, guid: str) -> SightingMatch | None:
        row = self._one(
            "SELECT id, item_id, content_hash FROM sightings WHERE source_id = ? AND guid = ?",
            [source_id, guid],
        )
        return SightingMatch(**row) if row else None

    def find_item_by_url_key(self, url_key: str, *, source_id: str = "") -> SightingRef | None:
        """The first sighting with this URL key, in an item not guarded against `source_id`."""
        row = self._one(
            f"""
            SELECT item_id, id AS sighting_id FROM sightings
            WHERE url_key = ? AND {sql.NOT_GUARDED.format(item="sightings.item_id")}
            ORDER BY id LIMIT 1
            """,
            [url_key, source_id],
        )
        return SightingRef(**row) if row else None

    def find_item_by_guid(self, guid: str, *, other_than_source: str) -> SightingRef | None:
        row = self._one(
            f"""
            SELECT item_id, id AS sighting_id FROM sightings
            WHERE guid = ? AND source_id != ?
              AND {sql.NOT_GUARDED.format(item="sightings.item_id")}
            ORDER BY id LIMIT 1
            """,
            [guid, other_than_source, other_than_source],
        )
        return SightingRef(**row) if row else None

    def insert_item(self, entry: Entry, source: Source, *, lang: str | None, now: datetime) -> int:
        """A new item, seen through `source` alone: already assigned as its sources say
        (`apply_automatic_assignment` would find nothing to change)."""
        return sql.insert_item(
            self.db,
            {
                "url": entry.url,
                "title": entry.title,
                "summary": entry.summary,
                "author": entry.author,
                "published": iso(entry.published),
                "first_seen": iso(now),
                "updated": iso(now),
                "lang": lang,
                "scope": source.scope,
                "network": source.network,
                "assigned_by": AUTOMATIC if source.network else None,
            },
        )

    def insert_sighting(
        self,
        item_id: int,
        source_id: str,
        entry: Entry,
        *,
        url_key: str | None,
        content_hash: str,
        how: str,
        score: float | None,
        now: datetime,
        lede: str = "",
        matched_sighting: int | None = None,
        features: dict[str, float] | None = None,
    ) -> int:
        cursor = self.db.execute(
            """
            INSERT INTO sightings (item_id, source_id, guid, url, url_key, link, title,
                                   content_hash, published, seen, how, score, lede,
                                   matched_sighting, features)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                item_id,
                source_id,
                entry.guid,
                entry.url,
                url_key,
                _link(entry),
                entry.title,
                content_hash,
                iso(entry.published) if entry.dated else None,
                iso(now),
                how,
                score,
                lede,
                matched_sighting,
                json.dumps(features) if features else None,
            ],
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def update_sighting(
        self,
        match: SightingMatch,
        entry: Entry,
        *,
        url_key: str | None,
        content_hash: str,
        now: datetime,
    ) -> None:
        """The entry changed at its source: keep the sighting, and the item's text when the
        sighting is the one the item was created from."""
        self.db.execute(
            """
            UPDATE sightings SET url = ?, url_key = ?, link = ?, title = ?, content_hash = ?,
                published = coalesce(?, published), updated = ?
            WHERE id = ?
            """,
            [
                entry.url,
                url_key,
                _link(entry),
                entry.title,
                content_hash,
                iso(entry.published) if entry.dated else None,
                iso(now),
                match.id,
            ],
        )
        self.db.execute(
            """
            UPDATE items SET title = ?, summary = ?, author = ?, url = ?, updated = ?
            WHERE id = ? AND ? = (SELECT min(id) FROM sightings WHERE item_id = ?)
            """,
            [
                entry.title,
                entry.summary,
                entry.author,
                entry.url,
                iso(now),
                match.item_id,
                match.id,
                match.item_id,
            ],
        )

    def start_run(self, now: datetime) -> int:
        cursor = self.db.execute("INSERT INTO fetch_runs (started) VALUES (?)", [iso(now)])
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def finish_run(self, run_id: int, summary: RunSummary, now: datetime) -> None:
        self.db.execute(
            """
            UPDATE fetch_runs SET finished = ?, sources = ?, ok = ?, not_modified = ?,
                failed = ?, skipped = ?, new_items = ?, new_sightings = ?, updated = ?,
                filtered = ?, errors = ?
            WHERE id = ?
            """,
            [
                iso(now),
                summary.sources,
                summary.ok,
                summary.not_modified,
                summary.failed,
                summary.skipped,
                summary.new_items,
                summary.new_sightings,
                summary.updated,
                summary.filtered,
                json.dumps(summary.errors, ensure_ascii=False),
                run_id,
            ],
        )

    # --- near-duplicates (the rest is in store_near.py) ----------------------------------

    def item_published(self, item_id: int) -> datetime:
        row = self._one("SELECT published FROM items WHERE id = ?", [item_id])
        if row is None:
            raise NotFoundError(f"no item {item_id}")
        return parse_iso(row["published"])

    def setting(self, name: str) -> str | None:
        row = self._one("SELECT value FROM store_settings WHERE name = ?", [name])
        return row["value"] if row else None

    def set_setting(self, name: str, value: str) -> None:
        self.db.execute(
            "INSERT INTO store_settings (name, value) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            [name, value],
        )

    def items_published_since(self, since: datetime) -> list[int]:
        rows = self._all("SELECT id FROM items WHERE published >= ? ORDER BY id", [iso(since)])
        return [row["id"] for row in rows]

    # --- corrections by hand (merge, split) ----------------------------------------------------

    def check_not_held(self, item_id: int, *, by: str) -> None:
        """HeldError when another member holds the item (the rule of every change by hand)."""
        self._check_holder(item_id, self._holding(item_id), by)

    def triage_state(self, item_id: int) -> dict:
        return (
            self._one(
                "SELECT status, assignee, network, assigned_by, handled_by, handled_at "
                "FROM items WHERE id = ?",
                [item_id],
            )
            or {}
        )

    def adopt_triage_state(self, keep: int, states: Sequence[dict]) -> list[str]:
        """After a merge, `keep` takes what the merged items had that it lacks: a decision
        (selected before discarded) when it is still new, a holder when it has none. Returns
        what it took, for the history."""
        taken: list[str] = []
        own = self.triage_state(keep)
        if own["status"] == "new":
            decided = sorted(
                (st for st in states if st["status"] != "new"),
                key=lambda st: st["status"] != "selected",
            )
            if decided:
                best = decided[0]
                self.db.execute(
                    "UPDATE items SET status = ?, handled_by = ?, handled_at = ? WHERE id = ?",
                    [best["status"], best["handled_by"], best["handled_at"], keep],
                )
                taken.append(f"status {best['status']} (by {best['handled_by']})")
        if own["assignee"] is None and own["assigned_by"] in (None, AUTOMATIC):
            held = next(
                (
                    st
                    for st in states
                    if st["assignee"]
                    or (st["network"] and st["assigned_by"] not in (None, AUTOMATIC))
                ),
                None,
            )
            if held:
                self.db.execute(
                    "UPDATE items SET assignee = ?, network = ?, assigned_by = ? WHERE id = ?",
                    [held["assignee"], held["network"], held["assigned_by"], keep],
                )
                taken.append(f"holder {held['assignee'] or held['network']}")
        return taken

    def ensure_item(self, item_id: int) -> None:
        """NotFoundError (saying where a merged item went) unless the item exists."""
        if self._one("SELECT 1 AS x FROM items WHERE id = ?", [item_id]) is None:
            raise self._not_found(item_id)

    def _not_found(self, item_id: int) -> NotFoundError:
        merged = self._one("SELECT into_id, by FROM merged_items WHERE id = ?", [item_id])
        if merged:
            return NotFoundError(
                f"item {item_id} was merged into #{merged['into_id']} by {merged['by']}; "
                f"`watchcli show {merged['into_id']}` shows it"
            )
        return NotFoundError(f"no item {item_id}; `watchcli list` shows the ids")

    # --- reading items -------------------------------------------------------------------

    _ITEM_COLUMNS = """
        i.id, i.title, i.url, i.published, i.first_seen, i.status, i.assignee, i.network,
        i.scope, i.lang,
        (SELECT json_group_array(source_id) FROM
            (SELECT source_id FROM sightings WHERE item_id = i.id GROUP BY source_id
             ORDER BY min(id))) AS sources,
        (SELECT json_group_array(tag) FROM
            (SELECT tag FROM item_tags WHERE item_id = i.id ORDER BY tag)) AS tags
    """

    @staticmethod
    def _decode_item(row: dict) -> dict:
        row["sources"] = json.loads(row["sources"])
        row["tags"] = json.loads(row["tags"])
        return row

    def list_items(
        self,
        item_filter: ItemFilter,
        *,
        queue_of: tuple[str, str | None] | None = None,
        queue_only: bool = False,
    ) -> list[dict]:
        """Items newest first; with `queue_of=(member, network)`, the new items of that member's
        queue come first, each row with its `queue` rank: 0 held by the member, 1 left to their
        network, 2 unassigned, 3 everything else (left out with `queue_only`).

        With a limit, one query per rank, each read through an index in date order (m011)
        and stopped at what the limit leaves: the first 50 of a queue of a million items in a
        millisecond. Without a limit, or in a small window of first-seen dates
        (`_small_window`), one query ranks and sorts every matching item: all are read anyway,
        or the window's index bounds them."""
        where, params = _filter_sql(item_filter)
        if not queue_of:
            return self._items(where, params, item_filter.limit)
        ranks = _queue_ranks(*queue_of, item_filter, others=not queue_only)
        if not item_filter.limit or self._small_window(item_filter):
            return self._ranked(ranks, where, params, item_filter.limit)
        # `--status new` says again what ranks 0 to 2 say, and would lead SQLite to the index
        # of all new items in date order instead of the rank's own.
        new = item_filter.status == "new"
        queued = _filter_sql(replace(item_filter, status=None)) if new else None
        rows: list[dict] = []
        for rank, condition, args in ranks:
            left = item_filter.limit - len(rows)
            if left == 0:
                break
            rank_where, rank_params = queued if queued and rank < 3 else (where, params)
            for row in self._items([condition, *rank_where], [*args, *rank_params], left):
                row["queue"] = rank
                rows.append(row)
        return rows

    def queue_counts(self, member: str, network: str | None) -> dict[int, int]:
        """How many items each rank of the member's queue (0, 1, 2) holds: one count per rank,
        each over its range of an index."""
        ranks = _queue_ranks(member, network, ItemFilter(), others=False)
        counts = dict.fromkeys(range(3), 0)
        for rank, condition, args in ranks:
            row = self._one(f"SELECT count(*) AS n FROM items i WHERE {condition}", args)
            counts[rank] = row["n"] if row else 0
        return counts

    # A window of first-seen dates holding at most this many items is read whole (a week of a
    # busy watch): see `_small_window`. An attribute, so that a test can take the other way.
    window_items = 10_000

    def _small_window(self, f: ItemFilter) -> bool:
        """Whether the filter bounds when items were first seen (`list --since/--week`) to at
        most `window_items` items. The indexes in date order give the first of a rank's few
        items of a recent day at once, but are then read back to their oldest item to find
        that there are no more (a second instead of a millisecond at a million items); the
        window's own index reads those items and no other."""
        if not f.first_seen_since:
            return False
        bounds, params = ["first_seen >= ?"], [iso(f.first_seen_since)]
        if f.first_seen_until:
            bounds.append("first_seen < ?")
            params.append(iso(f.first_seen_until))
        row = self._one(
            f"SELECT count(*) AS n FROM (SELECT 1 FROM items WHERE {' AND '.join(bounds)} LIMIT ?)",
            [*params, self.window_items + 1],
        )
        return row is not None and row["n"] <= self.window_items

    def _ranked(
        self,
        ranks: list[tuple[int, str, list[Any]]],
        where: list[str],
        params: list[Any],
        limit: int | None,
    ) -> list[dict]:
        """The ranks in one query: every item matching `where` ranked, then sorted; only the
        queue's when `ranks` has no rank 3."""
        if not ranks:
            return []
        rank_of, rank_params = _rank_of(ranks)
        if all(rank < 3 for rank, _, _ in ranks):  # the queue only: one of its conditions holds
            where = ["(" + " OR ".join(f"({condition})" for _, condition, _ in ranks) + ")", *where]
            params = [*rank_params, *params]  # the same parameters as the rank's CASE
        return self._items(
            where, [*rank_params, *params], limit, rank=f"{rank_of} AS queue", order="queue, "
        )

    def _items(
        self,
        where: list[str],
        params: list[Any],
        limit: int | None,
        *,
        rank: str = "",
        order: str = "",
    ) -> list[dict]:
        """Items matching `where`, newest first (after `order`), with the `rank` column."""
        query = f"SELECT {self._ITEM_COLUMNS}{', ' + rank if rank else ''} FROM items i"
        if where:
            query += " WHERE " + " AND ".join(where)
        query += f" ORDER BY {order}i.published DESC, i.id DESC"
        if limit:
            query += " LIMIT ?"
            params = [*params, limit]
        return [self._decode_item(row) for row in self._all(query, params)]

    def get_item(self, item_id: int) -> dict:
        """One item with its summary, sightings, notes and history; NotFoundError if none."""
        row = self._one(
            f"SELECT {self._ITEM_COLUMNS}, i.summary, i.author, i.updated, i.handled_by, "
            "i.handled_at, i.assigned_by FROM items i WHERE i.id = ?",
            [item_id],
        )
        if row is None:
            raise self._not_found(item_id)
        item = self._decode_item(row)
        item["sightings"] = [
            _explained(sighting)
            for sighting in self._all(
                """
                SELECT s.id, s.source_id AS source, s.url, s.guid, s.seen, s.title, s.how,
                       s.score, s.features, s.moved_from, m.id AS matched_sighting,
                       m.item_id AS matched_item, m.source_id AS matched_source,
                       m.title AS matched_title
                FROM sightings s LEFT JOIN sightings m ON m.id = s.matched_sighting
                WHERE s.item_id = ? ORDER BY s.id
                """,
                [item_id],
            )
        ]
        item["notes"] = self._all(
            "SELECT by, at, text FROM notes WHERE item_id = ? ORDER BY id", [item_id]
        )
        item["history"] = self._all(
            "SELECT by, at, action, detail FROM history WHERE item_id = ? ORDER BY id",
            [item_id],
        )
        return item

    # --- changes by analysts ---------------------------------------------------------------
    # Each is one short `write()` transaction and leaves a line in `history`. An item held by a
    # member (`assignee`) is theirs: nobody else changes who holds it or its status, except by
    # `claim(force=True)`, which is recorded with the previous holder. Tags and notes are open
    # to every member.

    def record_change(
        self, item_id: int, *, by: str, action: str, detail: str = "", now: datetime
    ) -> None:
        self.db.execute(
            "INSERT INTO history (item_id, by, at, action, detail) VALUES (?, ?, ?, ?, ?)",
            [item_id, by, iso(now), action, detail],
        )

    def _holding(self, item_id: int) -> dict:
        row = self._one(
            "SELECT status, assignee, network, assigned_by FROM items WHERE id = ?", [item_id]
        )
        if row is None:
            raise self._not_found(item_id)
        return row

    @staticmethod
    def _check_holder(item_id: int, row: dict, by: str) -> None:
        if row["assignee"] is not None and row["assignee"] != by:
            raise HeldError(item_id, row["assignee"], row["network"])

    def set_status(self, item_id: int, status: str, *, by: str, now: datetime) -> bool:
        """`new`, `selected` or `discarded`; who handled it is kept. False if unchanged;
        HeldError if another member holds the item."""
        with self.write():
            row = self._holding(item_id)
            if row["status"] == status:
                return False
            self._check_holder(item_id, row, by)
            handled = status != "new"
            self.db.execute(
                """
                UPDATE items SET status = ?, handled_by = ?, handled_at = ?
                WHERE id = ? AND (assignee IS NULL OR assignee = ?)
                """,
                [status, by if handled else None, iso(now) if handled else None, item_id, by],
            )
            self.record_change(item_id, by=by, action=_STATUS_ACTIONS[status], now=now)
        return True

    def add_note(self, item_id: int, text: str, *, by: str, now: datetime) -> None:
        with self.write():
            self.ensure_item(item_id)
            self.db.execute(
                "INSERT INTO notes (item_id, by, at, text) VALUES (?, ?, ?, ?)",
                [item_id, by, iso(now), text],
            )
            self.record_change(item_id, by=by, action="note", detail=text, now=now)

    def add_tags(self, item_id: int, tags: Iterable[str], *, by: str, now: datetime) -> list[str]:
        """The tags the item did not have yet, now added (one history line each)."""
        added = []
        with self.write():
            self.ensure_item(item_id)
            for tag in dict.fromkeys(tags):
                cursor = self.db.execute(
                    "INSERT OR IGNORE INTO item_tags (item_id, tag, by, at) VALUES (?, ?, ?, ?)",
                    [item_id, tag, by, iso(now)],
                )
                if cursor.rowcount:
                    self.record_change(item_id, by=by, action="tag", detail=tag, now=now)
                    added.append(tag)
        return added

    def remove_tags(
        self, item_id: int, tags: Iterable[str], *, by: str, now: datetime
    ) -> list[str]:
        """The tags the item had, now removed (one history line each). Fetch never puts back
        a tag removed by hand."""
        removed = []
        with self.write():
            self.ensure_item(item_id)
            for tag in dict.fromkeys(tags):
                cursor = self.db.execute(
                    "DELETE FROM item_tags WHERE item_id = ? AND tag = ?", [item_id, tag]
                )
                if cursor.rowcount:
                    self.record_change(item_id, by=by, action="untag", detail=tag, now=now)
                    removed.append(tag)
        return removed

    def add_tag(self, item_id: int, tag: str, *, by: str, now: datetime) -> bool:
        """False when the item already had the tag."""
        return bool(self.add_tags(item_id, [tag], by=by, now=now))

    def remove_tag(self, item_id: int, tag: str, *, by: str, now: datetime) -> bool:
        return bool(self.remove_tags(item_id, [tag], by=by, now=now))

    # --- assignment and claims -------------------------------------------------------------
    # `network` is the network responsible for an item, `assignee` the member holding it (always
    # a member of `network`); `assigned_by` says who set them last: AUTOMATIC (or NULL) for
    # fetch's rule, else the member who assigned, claimed or unassigned by hand.

    def claim(
        self, item_id: int, *, by: str, network: str, force: bool, now: datetime
    ) -> tuple[bool, dict]:
        """Make `by` the item's holder: (changed, who held it before). One conditional UPDATE
        decides a race: of two members claiming at once, one wins, the other gets HeldError,
        unless `force`, which takes the item and records from whom."""
        with self.write():
            before = self._holding(item_id)
            if before["assignee"] == by:
                return False, before
            cursor = self.db.execute(
                """
                UPDATE items SET assignee = ?, network = ?, assigned_by = ?
                WHERE id = ? AND (assignee IS NULL OR assignee = ?)
                """,
                [by, network, by, item_id, by],
            )
            if cursor.rowcount:
                # A network's default is no lock: anyone may claim it, and the history says so.
                other = before["network"] not in (None, network)
                detail = f"from {before['network']}" if other else ""
            elif not force:
                raise HeldError(item_id, before["assignee"], before["network"])
            else:
                cursor = self.db.execute(
                    """
                    UPDATE items SET assignee = ?, network = ?, assigned_by = ?
                    WHERE id = ? AND assignee = ?
                    """,
                    [by, network, by, item_id, before["assignee"]],
                )
                assert cursor.rowcount == 1  # the write lock is ours since `before` was read
                detail = "forced, from " + _holder(before["assignee"], before["network"])
            self.record_change(item_id, by=by, action="claim", detail=detail, now=now)
        return True, before

    def assign(
        self,
        item_id: int,
        *,
        network: str | None,
        assignee: str | None,
        by: str,
        now: datetime,
    ) -> tuple[bool, dict]:
        """Assign by hand to a network, or to a member (and their network); both None
        unassigns. (changed, the assignment before); HeldError if another member holds it."""
        with self.write():
            before = self._holding(item_id)
            same = before["network"] == network and before["assignee"] == assignee
            manual = (before["assigned_by"] or AUTOMATIC) != AUTOMATIC
            if same and (manual or (network is None and assignee is None)):
                return False, before
            self._check_holder(item_id, before, by)
            self.db.execute(
                """
                UPDATE items SET network = ?, assignee = ?, assigned_by = ?
                WHERE id = ? AND (assignee IS NULL OR assignee = ?)
                """,
                [network, assignee, by, item_id, by],
            )
            was = _holder(before["assignee"], before["network"])
            if network is None and assignee is None:
                action, detail = "unassign", f"was {was}" if was else ""
            else:
                action = "assign"
                detail = _holder(assignee, network) + (f", was {was}" if was and not same else "")
            self.record_change(item_id, by=by, action=action, detail=detail, now=now)
        return True, before

    # --- automatic triage at fetch -----------------------------------------------------------
    # Called inside the fetch's write transaction. The state an item is created with (its tags
    # from rules and source, its source's network) is part of its creation; what a later
    # sighting changes is recorded in `history` by AUTOMATIC.

    def add_automatic_tags(
        self, item_id: int, tags: Iterable[str], *, now: datetime, record: bool
    ) -> list[str]:
        """Add tags from rules and sources, except those an analyst removed from this item."""
        added = []
        for tag in sorted(set(tags)):
            cursor = self.db.execute(
                """
                INSERT OR IGNORE INTO item_tags (item_id, tag, by, at)
                SELECT ?, ?, ?, ? WHERE NOT EXISTS (
                    SELECT 1 FROM history
                    WHERE item_id = ? AND action = 'untag' AND detail = ? AND by != ?)
                """,
                [item_id, tag, AUTOMATIC, iso(now), item_id, tag, AUTOMATIC],
            )
            if cursor.rowcount:
                added.append(tag)
        if added and record:
            self.record_change(
                item_id, by=AUTOMATIC, action="tag", detail=", ".join(added), now=now
            )
        return added

    def apply_automatic_assignment(self, item_id: int, *, now: datetime, record: bool) -> None:
        """Items seen only through sources of one network go to that network; seen through
        sources of several, to nobody (shared). Only while nobody assigned, claimed or handled
        the item by hand: a sighting never takes away a manual assignment."""
        cursor = self.db.execute(
            f"""
            UPDATE items SET network = {_SOURCE_NETWORK}, assigned_by = ?
            WHERE id = ? AND assignee IS NULL AND status = 'new'
              AND coalesce(assigned_by, ?) = ?
              AND network IS NOT {_SOURCE_NETWORK}
            """,
            [AUTOMATIC, item_id, AUTOMATIC, AUTOMATIC],
        )
        if cursor.rowcount and record:
            row = self._holding(item_id)
            if row["network"]:
                action, detail = "assign", f"{row['network']} (from its sources)"
            else:
                action, detail = "unassign", "shared: seen through sources of several networks"
            self.record_change(item_id, by=AUTOMATIC, action=action, detail=detail, now=now)

    def count_items(self) -> int:
        row = self._one("SELECT count(*) AS n FROM items")
        return row["n"] if row else 0


def _explained(row: dict) -> dict:
    """A sighting as `show` gives it: how it joined the item and, for a match, against which
    sighting (its id, item, source and title) and with what score."""
    sighting, item, source, title = (
        row.pop(key)
        for key in ("matched_sighting", "matched_item", "matched_source", "matched_title")
    )
    row["matched"] = (
        None
        if sighting is None
        else {"sighting": sighting, "item": item, "source": source, "title": title}
    )
    row["features"] = json.loads(row["features"]) if row["features"] else None
    return row


def _queue_ranks(
    member: str, network: str | None, f: ItemFilter, *, others: bool
) -> list[tuple[int, str, list[Any]]]:
    """The ranks of a member's queue as (rank, condition on `items i`, its parameters), in
    order: 0 new and held by the member, 1 new and left to their network, 2 new and left to
    nobody, then (with `others`) 3, what none of them is. Each of 0, 1 and 2 is equalities on
    the columns of one index (m011) after which its items are in date order; the ranks the
    filter `f` rules out are not listed, so that no query reads an index range for nothing."""
    held = "i.assignee = ? AND i.status = 'new'"
    left = "i.network = ? AND i.status = 'new' AND i.assignee IS NULL"
    nobody = "i.network IS NULL AND i.status = 'new' AND i.assignee IS NULL"
    queued = f.status in (None, "new")
    unheld = queued and not f.assignee  # ranks 1 and 2: nobody holds them
    ranks: list[tuple[int, str, list[Any]]] = []
    if queued and f.assignee in (None, member) and not f.unassigned:
        ranks.append((0, held, [member]))
    if unheld and not f.unassigned and network is not None and f.network in (None, network):
        ranks.append((1, left, [network]))
    if unheld and not f.network:
        ranks.append((2, nobody, []))
    if others:
        # A row none of the conditions holds for, NULL (an unknown holder) counting as false.
        rest = f"NOT coalesce(({held}) OR ({nobody})"
        rest += f" OR ({left}), 0)" if network is not None else ", 0)"
        params = [member, network] if network is not None else [member]
        ranks.append((3, rest, params))
    return ranks


def _rank_of(ranks: list[tuple[int, str, list[Any]]]) -> tuple[str, list[Any]]:
    """The rank of an item (`items i`) among `ranks` as an SQL expression, and its parameters:
    the first of ranks 0 to 2 whose condition holds, else 3."""
    queue = [(rank, condition, args) for rank, condition, args in ranks if rank < 3]
    if not queue:
        return "3", []
    cases = " ".join(f"WHEN {condition} THEN {rank}" for rank, condition, _ in queue)
    return f"CASE {cases} ELSE 3 END", [arg for _, _, args in queue for arg in args]


def _filter_sql(f: ItemFilter) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if f.since:
        where.append("i.published >= ?")
        params.append(iso(f.since))
    if f.until:
        where.append("i.published < ?")
        params.append(iso(f.until))
    if f.first_seen_since:
        where.append("i.first_seen >= ?")
        params.append(iso(f.first_seen_since))
    if f.first_seen_until:
        where.append("i.first_seen < ?")
        params.append(iso(f.first_seen_until))
    if f.sources:
        marks = ", ".join("?" * len(f.sources))
        where.append(
            "EXISTS (SELECT 1 FROM sightings s WHERE s.item_id = i.id"
            f" AND s.source_id IN ({marks}))"
        )
        params.extend(f.sources)
    for tag in f.tags:
        where.append("EXISTS (SELECT 1 FROM item_tags t WHERE t.item_id = i.id AND t.tag = ?)")
        params.append(tag)
    if f.status:
        where.append("i.status = ?")
        params.append(f.status)
    if f.network:
        where.append("i.network = ?")
        params.append(f.network)
    if f.assignee:
        where.append("i.assignee = ?")
        params.append(f.assignee)
    if f.unassigned:
        where.append("i.assignee IS NULL AND i.network IS NULL")
    return where, params


def _link(entry: Entry) -> str:
    """The link as published, "" when it is the canonical URL (migration m009)."""
    return "" if entry.link == entry.url else entry.link


def _holder(assignee: str | None, network: str | None) -> str:
    """`lea (resacoop)`, `resacoop`, or "" for nobody."""
    if assignee:
        return f"{assignee} ({network})" if network else assignee
    return network or ""

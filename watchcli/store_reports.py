"""What the week's figures (`watchcli stats`) and the digest read from the store: counts over a
period, what is left new, and the items of a digest with their sources, tags and notes. SQL
lives here and in the other store modules only; reached as `Store.reports`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from watchcli import sql
from watchcli.dates import iso


class ReportStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- figures -------------------------------------------------------------------------

    def figures(self, since: datetime, until: datetime) -> dict:
        """What happened in [since, until): the raw counts behind `stats` and the digest.

        `shared` counts items carried by sources of two networks or more (the reading that
        would have been done twice); `shared_handled` those among them handled — once, since an
        item has one status.
        """
        window = [iso(since), iso(until)]
        # Only the window's items are looked at (indexes on first_seen and handled_at), each
        # through its own sightings: never an aggregate over the whole store.
        shared_item = """
            (SELECT count(DISTINCT src.network) FROM sightings s
             JOIN sources src ON src.id = s.source_id
             WHERE s.item_id = i.id AND src.network IS NOT NULL) > 1
        """
        one = sql.one(
            self.db,
            f"""
            SELECT
              (SELECT count(*) FROM items WHERE first_seen >= ? AND first_seen < ?) AS fetched,
              (SELECT count(*) FROM sightings WHERE seen >= ? AND seen < ? AND how != 'new')
                  AS merged,
              (SELECT count(*) FROM items i
               WHERE i.first_seen >= ? AND i.first_seen < ? AND {shared_item}) AS shared,
              (SELECT count(*) FROM items i
               WHERE i.handled_at >= ? AND i.handled_at < ? AND {shared_item}) AS shared_handled
            """,
            window * 4,
        )
        assert one is not None
        handled = sql.rows(
            self.db,
            """
            SELECT handled_by AS analyst, status, count(*) AS items FROM items
            WHERE handled_at >= ? AND handled_at < ?
            GROUP BY handled_by, status ORDER BY handled_by, status
            """,
            window,
        )
        return {**one, "handled": handled}

    def open_items(self, since: datetime, until: datetime) -> list[dict]:
        """Items first seen in [since, until) still `new`, by network and whether a member
        holds them: what is left of that inbox."""
        return sql.rows(
            self.db,
            """
            SELECT network, assignee IS NOT NULL AS held, count(*) AS items FROM items
            WHERE status = 'new' AND first_seen >= ? AND first_seen < ?
            GROUP BY network, held ORDER BY network, held
            """,
            [iso(since), iso(until)],
        )

    # --- digest ----------------------------------------------------------------------------

    def digest_items(
        self,
        since: datetime,
        until: datetime,
        *,
        include_all: bool = False,
        network: str | None = None,
        network_sources: Iterable[str] = (),
        network_members: Iterable[str] = (),
    ) -> list[dict]:
        """The items of the digest of [since, until), newest first.

        An item belongs to the period in which it was *selected* (`handled_at`): a story found
        on Sunday and selected on Monday, after the weekly digest went out, is in the next
        one, so no selected item ever falls between two digests. With `include_all`, items
        still `new` whose `first_seen` falls in the period come too; discarded items never.

        With `network`, only the items of that network: assigned to it, seen through one of
        its sources (`network_sources`), or handled by one of its members (`network_members`).

        Each row has the item's columns plus `sources` ([{"id", "title"}] in the order they
        carried it, `title` being the feed's own), `tags` (ids) and `notes` ([{"by", "at",
        "text"}], oldest first).
        """
        window = [iso(since), iso(until)]
        statement = """
            SELECT i.id, i.title, i.url, i.published, i.first_seen, i.status, i.assignee,
                i.network, i.scope, i.lang, i.handled_by, i.handled_at,
                (SELECT json_group_array(json_object('id', source_id, 'title', title)) FROM
                    (SELECT s.source_id, src.title FROM sightings s
                     LEFT JOIN sources src ON src.id = s.source_id
                     WHERE s.item_id = i.id GROUP BY s.source_id ORDER BY min(s.id)))
                    AS sources,
                (SELECT json_group_array(tag) FROM
                    (SELECT tag FROM item_tags WHERE item_id = i.id ORDER BY tag)) AS tags,
                (SELECT json_group_array(json_object('by', by, 'at', at, 'text', text)) FROM
                    (SELECT by, at, text FROM notes WHERE item_id = i.id ORDER BY id)) AS notes
            FROM items i
            WHERE ((i.status = 'selected' AND i.handled_at >= ? AND i.handled_at < ?)
                   OR (? AND i.status = 'new' AND i.first_seen >= ? AND i.first_seen < ?))
        """
        params: list[Any] = [*window, int(include_all), *window]
        if network is not None:
            sources = list(network_sources)
            members = list(network_members)
            statement += f"""
                AND (i.network = ?
                     OR EXISTS (SELECT 1 FROM sightings s WHERE s.item_id = i.id
                                AND s.source_id IN ({", ".join("?" * len(sources)) or "NULL"}))
                     OR i.handled_by IN ({", ".join("?" * len(members)) or "NULL"}))
            """
            params += [network, *sources, *members]
        statement += " ORDER BY i.published DESC, i.id DESC"
        rows = sql.rows(self.db, statement, params)
        for row in rows:
            for key in ("sources", "tags", "notes"):
                row[key] = json.loads(row[key])
        return rows

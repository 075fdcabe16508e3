"""The store's schema, as numbered migrations applied in order when the store opens.

Never edit a migration that has shipped: add the next one. Each runs in one transaction with
the record of it having been applied (sqlite-utils' Migrations).
"""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database, Migrations

migrations = Migrations("watchcli")


def _run_script(db: Database, script: str) -> None:
    """Run statements one by one: `executescript` would commit the migration's transaction."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""


@migrations()
def m001_initial(db: Database) -> None:
    _run_script(
        db,
        """
        CREATE TABLE sources (
            id TEXT PRIMARY KEY,
            url TEXT NOT NULL,
            network TEXT,
            title TEXT,
            etag TEXT,
            last_modified TEXT,
            body_hash TEXT,
            final_url TEXT,
            last_status INTEGER,
            last_attempt TEXT,
            last_ok TEXT,
            failures INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            problem TEXT,
            gone INTEGER NOT NULL DEFAULT 0,
            retry_after TEXT
        );

        CREATE TABLE items (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL DEFAULT '',
            title TEXT NOT NULL,
            summary TEXT NOT NULL DEFAULT '',
            author TEXT NOT NULL DEFAULT '',
            published TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            updated TEXT NOT NULL,
            lang TEXT,
            scope TEXT,
            status TEXT NOT NULL DEFAULT 'new'
                CHECK (status IN ('new', 'selected', 'discarded')),
            assignee TEXT,
            network TEXT,
            handled_by TEXT,
            handled_at TEXT
        );
        CREATE INDEX items_published ON items (published);
        CREATE INDEX items_status ON items (status, published);

        -- One row per (source, entry): how an item was seen. The first sighting of an item
        -- has how = 'new'; later ones say how they were matched ('url', 'guid', 'near', ...).
        CREATE TABLE sightings (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items (id),
            source_id TEXT NOT NULL,
            guid TEXT NOT NULL,
            url TEXT NOT NULL DEFAULT '',
            url_key TEXT,
            link TEXT NOT NULL DEFAULT '',
            title TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            published TEXT,
            seen TEXT NOT NULL,
            updated TEXT,
            how TEXT NOT NULL,
            score REAL,
            UNIQUE (source_id, guid)
        );
        CREATE INDEX sightings_item ON sightings (item_id);
        CREATE INDEX sightings_url_key ON sightings (url_key);
        CREATE INDEX sightings_guid ON sightings (guid);

        CREATE TABLE item_tags (
            item_id INTEGER NOT NULL REFERENCES items (id),
            tag TEXT NOT NULL,
            by TEXT NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (item_id, tag)
        ) WITHOUT ROWID;
        CREATE INDEX item_tags_tag ON item_tags (tag);

        CREATE TABLE notes (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items (id),
            by TEXT NOT NULL,
            at TEXT NOT NULL,
            text TEXT NOT NULL
        );
        CREATE INDEX notes_item ON notes (item_id);

        -- Every change an analyst (or fetch, as 'watchcli') makes to an item.
        CREATE TABLE history (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items (id),
            by TEXT NOT NULL,
            at TEXT NOT NULL,
            action TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX history_item ON history (item_id);
        CREATE INDEX history_at ON history (at);

        CREATE TABLE fetch_runs (
            id INTEGER PRIMARY KEY,
            started TEXT NOT NULL,
            finished TEXT,
            sources INTEGER NOT NULL DEFAULT 0,
            ok INTEGER NOT NULL DEFAULT 0,
            not_modified INTEGER NOT NULL DEFAULT 0,
            failed INTEGER NOT NULL DEFAULT 0,
            skipped INTEGER NOT NULL DEFAULT 0,
            new_items INTEGER NOT NULL DEFAULT 0,
            new_sightings INTEGER NOT NULL DEFAULT 0,
            updated INTEGER NOT NULL DEFAULT 0,
            filtered INTEGER NOT NULL DEFAULT 0,
            errors TEXT NOT NULL DEFAULT '[]'
        );
        """,
    )


# Who set an item's `network`/`assignee` last: "watchcli" (or NULL, on items older than this
# migration) for the automatic assignment at fetch, which a later sighting may still change; a
# member's name for a manual assignment, claim or unassignment, which fetch never undoes.
_SOURCE_NETWORK = """
    (SELECT CASE WHEN count(DISTINCT src.network) = 1 THEN max(src.network) END
     FROM sightings s JOIN sources src ON src.id = s.source_id
     WHERE s.item_id = items.id AND src.network IS NOT NULL)
"""


@migrations()
def m002_teamwork(db: Database) -> None:
    _run_script(
        db,
        f"""
        ALTER TABLE items ADD COLUMN assigned_by TEXT;
        CREATE INDEX items_first_seen ON items (first_seen);
        CREATE INDEX items_handled_at ON items (handled_at);
        CREATE INDEX items_assignee ON items (assignee, status);
        CREATE INDEX items_network ON items (network, status);
        -- Items fetched before automatic assignment existed get it now.
        UPDATE items SET network = {_SOURCE_NETWORK}, assigned_by = 'watchcli'
        WHERE assignee IS NULL AND network IS NULL AND status = 'new';
        """,
    )


@migrations()
def m003_near_duplicates(db: Database) -> None:
    """The near-duplicate index, what each sighting matched, and the hand corrections."""
    _run_script(
        db,
        """
        -- The near-duplicate index: MinHash band keys of every sighting's text (neardup.py),
        -- filed under the item and the item's date, so a lookup is a B-tree range on
        -- (key, published) bounded by the window, never a scan of items.
        CREATE TABLE near_bands (
            key INTEGER NOT NULL,
            published INTEGER NOT NULL,  -- the item's date, minutes since the epoch (UTC)
            item_id INTEGER NOT NULL REFERENCES items (id),
            PRIMARY KEY (key, published, item_id)
        ) WITHOUT ROWID;
        CREATE INDEX near_bands_item ON near_bands (item_id);

        -- The opening of the entry's summary, for matching later entries against every
        -- sighting of an item; the sighting a near (or exact) match was made against; the
        -- item a sighting was moved from by hand (merge, split).
        ALTER TABLE sightings ADD COLUMN lede TEXT NOT NULL DEFAULT '';
        ALTER TABLE sightings ADD COLUMN matched_sighting INTEGER;
        ALTER TABLE sightings ADD COLUMN moved_from INTEGER;

        -- `watchcli split`: entries of this source (this GUID, or this URL) never go back
        -- into this item, whatever later fetches bring.
        CREATE TABLE split_guards (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items (id),
            source_id TEXT NOT NULL,
            guid TEXT NOT NULL,
            url_key TEXT,
            new_item_id INTEGER NOT NULL,
            by TEXT NOT NULL,
            at TEXT NOT NULL
        );
        CREATE INDEX split_guards_item ON split_guards (item_id, source_id);

        -- `watchcli merge`: the items that were emptied into another, so their ids still
        -- explain themselves.
        CREATE TABLE merged_items (
            id INTEGER PRIMARY KEY,
            into_id INTEGER NOT NULL,
            by TEXT NOT NULL,
            at TEXT NOT NULL
        );
        """,
    )


@migrations()
def m004_near_index_by_day(db: Database) -> None:
    """The near-duplicate index filed by day first: (day, key, published, item_id).

    Under m003's (key, published, item_id) every new entry wrote its band keys into leaf pages
    spread over the whole history (the keys are hashes), so each transaction of a fetch
    dirtied, wrote to the WAL and checkpointed some 12 pages per entry in a tree that grows
    with the store. Filed by day, the rows of new entries land in the pages of the last days
    only, and a lookup reads the few days of its window: both cost the same at a thousand
    items as at a million. The rows are copied in the new order (an append), once.
    """
    _run_script(
        db,
        """
        CREATE TABLE near_bands_by_day (
            day INTEGER NOT NULL,        -- published // 1440: days since the epoch (UTC)
            key INTEGER NOT NULL,
            published INTEGER NOT NULL,  -- the item's date, minutes since the epoch (UTC)
            item_id INTEGER NOT NULL REFERENCES items (id),
            PRIMARY KEY (day, key, published, item_id)
        ) WITHOUT ROWID;
        INSERT INTO near_bands_by_day (day, key, published, item_id)
            SELECT day, key, published, item_id FROM (
                SELECT key, published, item_id,
                       -- floor division, as Python's // (dates before 1970 are negative)
                       CASE WHEN published >= 0 THEN published / 1440
                            ELSE (published - 1439) / 1440 END AS day
                FROM near_bands)
            ORDER BY day, key, published, item_id;
        DROP TABLE near_bands;
        ALTER TABLE near_bands_by_day RENAME TO near_bands;
        CREATE INDEX near_bands_item ON near_bands (item_id);
        """,
    )


@migrations()
def m005_settings(db: Database) -> None:
    """Facts about the store itself, such as the version of the near-duplicate keys it holds
    (see `ingest.FetchRun.ensure_near_keys`)."""
    _run_script(
        db,
        """
        CREATE TABLE store_settings (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """,
    )


@migrations()
def m006_sightings_seen(db: Database) -> None:
    """`stats` and the digest count the sightings merged in a week: by date, not by a scan."""
    _run_script(db, "CREATE INDEX sightings_seen ON sightings (seen);")


@migrations()
def m007_near_tokens(db: Database) -> None:
    """The near-duplicate stage, second version (neardup.py, store_near.py).

    - `near_reps`: the few texts an item is compared by (at most `store_near.REPS` of its
      sightings), in the matching form `neardup.MatchText.encode()`, so that an item seen a
      thousand times costs a new entry as much as an item seen once;
    - `near_tokens`: the index, items filed by the day of their date and the tokens of their
      representatives (the MinHash bands of m003–m004 are gone, and datasketch with them);
    - `near_df`: how many items first seen each day hold each token (token '' counts the
      items): the weights of the tokens, over the store's recent window;
    - `sightings.features`: the evidence a near match was decided on, for `show`;
    - `sightings (item_id, source_id)`: whether an item already has a sighting from a source,
      in one seek however many sightings it has.

    The tables start empty: the next fetch re-indexes the recent items (a new near-key
    version, see `ingest.FetchRun.ensure_near_keys`).
    """
    _run_script(
        db,
        """
        CREATE TABLE near_reps (
            sighting_id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items (id),
            day INTEGER NOT NULL,        -- the day its tokens are filed under
            published TEXT NOT NULL,     -- the sighting's date
            text TEXT NOT NULL
        );
        CREATE INDEX near_reps_item ON near_reps (item_id);
        CREATE TABLE near_tokens (
            day INTEGER NOT NULL,        -- the item's date: days since the epoch (UTC)
            token TEXT NOT NULL,
            item_id INTEGER NOT NULL REFERENCES items (id),
            PRIMARY KEY (day, token, item_id)
        ) WITHOUT ROWID;
        CREATE TABLE near_df (
            token TEXT NOT NULL,
            day INTEGER NOT NULL,        -- the day the items were first seen
            n INTEGER NOT NULL,
            PRIMARY KEY (token, day)
        ) WITHOUT ROWID;
        DROP TABLE near_bands;
        ALTER TABLE sightings ADD COLUMN features TEXT;
        DROP INDEX sightings_item;
        CREATE INDEX sightings_item ON sightings (item_id, source_id);
        """,
    )


# The text an item is found by (README, "Finding items again"): its title, its summary and
# its notes, in note order. The full-text index reads it from here when it is rebuilt, and the
# triggers below give it the same values when they remove an item's old entry, so the two can
# never disagree.
_SEARCH_TEXT_VIEW = """
    CREATE VIEW items_search_text AS
    SELECT id, title, summary,
           coalesce((SELECT group_concat(text, char(10)) FROM
                        (SELECT text FROM notes WHERE item_id = items.id ORDER BY id)), '')
               AS notes
    FROM items
"""


def _search_sync(item: str) -> tuple[str, str]:
    """The statements that take an item's entry out of the index, and put it back."""
    out = (
        "INSERT INTO items_fts (items_fts, rowid, title, summary, notes) "
        f"SELECT 'delete', id, title, summary, notes FROM items_search_text WHERE id = {item};"
    )
    back = (
        "INSERT INTO items_fts (rowid, title, summary, notes) "
        f"SELECT id, title, summary, notes FROM items_search_text WHERE id = {item};"
    )
    return out, back


@migrations()
def m008_search(db: Database) -> None:
    """`watchcli search`: an FTS5 index over the title, summary and notes of every item.

    The index keeps no copy of the text (external content, read through `items_search_text`):
    it holds only the tokens, folded by `unicode61 remove_diacritics 2`, so `solidarite` finds
    « Solidarité ». Triggers keep it in step with every write, whoever makes it — fetch (a new
    item, a changed entry), merge, split, notes, import, pruning — and the existing items are
    indexed here, once.
    """
    old_item, new_item = _search_sync("old.id"), _search_sync("new.id")
    old_note, new_note = _search_sync("old.item_id"), _search_sync("new.item_id")
    _run_script(
        db,
        f"""
        {_SEARCH_TEXT_VIEW};
        CREATE VIRTUAL TABLE items_fts USING fts5 (
            title, summary, notes,
            content = 'items_search_text', content_rowid = 'id',
            tokenize = 'unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN
            {new_item[1]}
        END;
        CREATE TRIGGER items_fts_before_update BEFORE UPDATE OF title, summary ON items BEGIN
            {old_item[0]}
        END;
        CREATE TRIGGER items_fts_after_update AFTER UPDATE OF title, summary ON items BEGIN
            {new_item[1]}
        END;
        CREATE TRIGGER items_fts_delete BEFORE DELETE ON items BEGIN
            {old_item[0]}
        END;
        CREATE TRIGGER notes_fts_before_insert BEFORE INSERT ON notes BEGIN
            {new_note[0]}
        END;
        CREATE TRIGGER notes_fts_after_insert AFTER INSERT ON notes BEGIN
            {new_note[1]}
        END;
        CREATE TRIGGER notes_fts_before_update BEFORE UPDATE ON notes BEGIN
            {old_note[0]}
            {new_note[0].replace(";", " AND new.item_id != old.item_id;")}
        END;
        CREATE TRIGGER notes_fts_after_update AFTER UPDATE ON notes BEGIN
            {old_note[1]}
            {new_note[1].replace(";", " AND new.item_id != old.item_id;")}
        END;
        CREATE TRIGGER notes_fts_before_delete BEFORE DELETE ON notes BEGIN
            {old_note[0]}
        END;
        CREATE TRIGGER notes_fts_after_delete AFTER DELETE ON notes BEGIN
            {old_note[1]}
        END;
        INSERT INTO items_fts (items_fts) VALUES ('rebuild');
        """,
    )


@migrations()
def m009_leaner_sightings(db: Database) -> None:
    """Room the store did not need (README, "What takes the room"):

    - `sightings.link` repeated `url` on most rows and is never read back: it is now '' when
      the link as published is the canonical URL (an export writes it out again);
    - `sightings_seen` served one question, the sightings merged in a window (`stats`, the
      digest), which only counts merged ones: it now indexes only those (`how != 'new'`), not
      the first sighting of every item.

    The rows rewritten here leave free pages: `watchcli maintain` gives them back (VACUUM).
    """
    _run_script(
        db,
        """
        UPDATE sightings SET link = '' WHERE link = url AND link != '';
        DROP INDEX sightings_seen;
        CREATE INDEX sightings_seen ON sightings (seen) WHERE how != 'new';
        """,
    )


@migrations()
def m010_near_tokens_without_reference(db: Database) -> None:
    """`near_tokens` without its reference to `items`: deleting an item (a merge by hand, the
    pruning of `maintain`) made SQLite look for rows still referring to it in the index, which
    is filed by day and token, not by item: a scan of the whole index per deleted item (30 ms at
    a million rows, seconds at a million items). The index is a cache of the representatives
    (`near_reps`, which keeps its reference and its index by item); `NearStore.clear` removes an
    item's rows from them, by key, before the item goes. The rows are copied in key order."""
    _run_script(
        db,
        """
        CREATE TABLE near_tokens_new (
            day INTEGER NOT NULL,        -- the item's date: days since the epoch (UTC)
            token TEXT NOT NULL,
            item_id INTEGER NOT NULL,    -- items (id); no reference: see m010
            PRIMARY KEY (day, token, item_id)
        ) WITHOUT ROWID;
        INSERT INTO near_tokens_new (day, token, item_id)
            SELECT day, token, item_id FROM near_tokens ORDER BY day, token, item_id;
        DROP TABLE near_tokens;
        ALTER TABLE near_tokens_new RENAME TO near_tokens;
        """,
    )


@migrations()
def m011_queue_in_date_order(db: Database) -> None:
    """A member's queue read through indexes in date order, one query per rank, stopped at
    the limit (`Store.list_items(queue_of=…)`), instead of every item ranked and sorted. The
    two indexes on who holds an item gain the columns after which the items of one rank are in
    date order: the items a member holds (`assignee, status`), those left to a network or to
    nobody (`network, status, assignee`). Each old index is a prefix of the new one: every
    query it served, the new one serves. At a million items a member's `list --limit 50` took
    0.4 to 0.5 s in SQLite, 1 ms now (bench/queue_scale.py)."""
    _run_script(
        db,
        """
        DROP INDEX items_assignee;
        CREATE INDEX items_assignee ON items (assignee, status, published);
        DROP INDEX items_network;
        CREATE INDEX items_network ON items (network, status, assignee, published);
        """,
    )


@migrations()
def m012_item_ids_never_given_twice(db: Database) -> None:
    """An item's number is never given to another item. SQLite gives a new row the highest id
    plus one, so after a merge or a pruning removed the newest item, the next item fetched took
    its number: `show 57` then showed another story than the one an analyst noted down, and
    merging that new item failed on `merged_items`. `item_id_floor` keeps the highest id ever
    removed (a trigger), and new items are numbered above it (`sql.insert_item`). The floor
    starts at the highest merged id, the ids known to have been removed."""
    _run_script(
        db,
        """
        -- one row, read by its key: a seek, like every statement an entry runs
        CREATE TABLE item_id_floor (one INTEGER PRIMARY KEY CHECK (one = 1), id INTEGER NOT NULL);
        INSERT INTO item_id_floor SELECT 1, coalesce(max(id), 0) FROM merged_items;
        CREATE TRIGGER items_retire_id AFTER DELETE ON items BEGIN
            UPDATE item_id_floor SET id = max(id, old.id) WHERE one = 1;
        END;
        """,
    )

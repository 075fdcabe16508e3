"""Every statement the ingest path runs for an entry is an index lookup: none reads a whole
table or index, so an entry costs about the same with a million items stored as with a
thousand (SPEC §4). Checked on the query plans of the statements actually run, without the
planner statistics a store normally has (none) and with them (after ANALYZE)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from watchcli.config import Config, Rule, Source
from watchcli.ingest import FetchRun
from watchcli.models import Entry, FeedContent, FetchResult, Outcome
from watchcli.prepared import Packed
from watchcli.store import Store

NOW = datetime(2026, 3, 16, 8, 0, tzinfo=UTC)
TEXT = """
séisme inondations sécheresse choléra réfugiés élections manifestation accord sommet famine
vaccins barrage frontière pluies récoltes ministre procès grève crue incendie ouragan migrants
écoles hôpital budget dette climat forêt ports mines
"""
WORDS = TEXT.split()
PLACES = ["Maroc", "Kenya", "Soudan", "Haïti", "Mali", "Tchad", "Niger", "Pérou", "Népal"]

SOURCES = (
    Source(id="afp", url="https://afp.example.org/", network="nord", tags=("eau",)),
    Source(id="rfi", url="https://rfi.example.org/", network="sud"),
    Source(id="lemonde", url="https://lemonde.example.org/", tags=("presse",)),
)


def entry(n: int, title: str, *, days: float = 0, url: str = "", summary: str = "") -> Entry:
    url = url or f"https://example.org/{n}"
    return Entry(
        f"tag:example.org,2026:{n}",  # a global GUID: the cross-source GUID lookup runs too
        url,
        url,
        title,
        summary or f"{title}. Le détail de l'article {n}.",
        NOW - timedelta(days=days),
        True,
    )


def write(run: FetchRun, source: Source, *entries: Entry) -> None:
    """As the fetch writer stores one source's feed: one transaction, the source's state."""
    run._write_one(
        source,
        FetchResult(source.id, Outcome.OK, 200, final_url=source.url, body_hash="h"),
        Packed.of(FeedContent("rss", entries=entries)),
    )


def full_scans(plan: list[str], ignore: frozenset[str] = frozenset()) -> list[str]:
    """The steps of a query plan that read a whole table or index (a CTE's rows aside)."""
    own = {line.split()[-1] for line in plan if line.startswith(("MATERIALIZE", "CO-ROUTINE"))}
    return [
        line
        for line in plan
        if line.startswith("SCAN ") and line.split()[1] not in own | ignore | {"CONSTANT"}
    ]


def parent_insert_checks(store: Store, sql: str) -> frozenset[str]:
    """The tables whose foreign keys point at the table `sql` inserts into. With an AFTER
    INSERT trigger on that table (the search index's, m008), the plan of an INSERT lists a scan
    of each: SQLite's check that the new parent row settles a pending deferred violation, which
    runs only while one is pending (OP_FkIfZero), never with immediate constraints."""
    words = sql.split()
    if len(words) < 3 or words[0].upper() != "INSERT":
        return frozenset()
    target = words[words.index(next(w for w in words if w.upper() == "INTO")) + 1]
    tables = [
        name for (name,) in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    ]
    return frozenset(
        table
        for table in tables
        if any(
            row[2] == target
            for row in store.db.execute(f"PRAGMA foreign_key_list('{table}')").fetchall()
        )
    )


def test_every_statement_of_an_entry_is_an_index_lookup(tmp_path: Path) -> None:
    config = Config(
        path=tmp_path / "sources.toml",
        sources=SOURCES,
        rules=(Rule(tag="catastrophes", any=("séisme", "inondations")),),
    )
    store = Store.open(tmp_path / "watch.db")
    store.sync_sources(SOURCES)
    run = FetchRun(store, config)
    rng = random.Random(4)
    titles = [
        f"{rng.choice(PLACES)} : {' '.join(rng.sample(WORDS, 6))} {rng.randint(2, 900)}"
        for _ in range(300)
    ]
    # Ten days of stories from every source, so that the window and every index hold rows.
    for source in SOURCES:
        write(
            run,
            source,
            *(
                entry(n, titles[n], days=n / 30)
                for n in range(len(titles))
                if n % len(SOURCES) == SOURCES.index(source)
            ),
        )

    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)
    afp, rfi, lemonde = SOURCES
    rewrite = " ".join(reversed(titles[3].split(" : ")))  # item 3 (afp's) in other words
    write(run, afp, entry(1000, "Népal : une crue emporte un pont suspendu près de Pokhara"))
    write(run, rfi, entry(1001, rewrite, summary=f"{titles[3]}. Le détail."))  # near
    write(run, lemonde, entry(1002, titles[6], url="https://example.org/6"))  # the same URL
    write(run, rfi, entry(6, "Une autre adresse, la même dépêche", url="https://b.org/6"))  # GUID
    write(run, afp, entry(0, titles[0], days=0))  # known, unchanged
    write(run, afp, entry(3, titles[3] + " (mis à jour)", days=3 / 30))  # known, changed
    store.db.conn.set_trace_callback(None)
    hows = dict(store.db.execute("SELECT how, count(*) FROM sightings GROUP BY how").fetchall())
    assert {"near", "url", "guid"} <= set(hows), hows  # every path was taken

    # Statements run by triggers are traced as "-- …" comments (the search index's: each reads
    # one item by id, checked in tests/test_search.py).
    queries = {
        sql
        for sql in statements
        if sql.split(None, 1)[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")
        and not sql.lstrip().startswith("--")
    }
    for statistics in ("none", "after ANALYZE"):
        if statistics != "none":
            store.db.execute("ANALYZE")
        for sql in queries:
            plan = [row[-1] for row in store.db.execute("EXPLAIN QUERY PLAN " + sql)]
            assert not full_scans(plan, ignore=parent_insert_checks(store, sql)), (
                statistics,
                sql,
                plan,
            )

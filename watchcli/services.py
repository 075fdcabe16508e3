"""What both faces do: `cli.py` and the triage screen (`tui.py`) parse, call these, render.

No SQL here (the store modules) and no output. The rules that live here, once:

- a member's queue: their new items, those they hold first, then those left to their network,
  then unassigned ones, newest first (README, "Commands", `list`); anything else follows;
- the sources report: every configured source with its health (`sources list`);
- the stats document of a window (`stats`): the store counts, `stats.build_stats` shapes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from watchcli import store_queue
from watchcli.config import Config
from watchcli.models import ItemFilter, source_health
from watchcli.search import parse_query
from watchcli.stats import Window, build_stats
from watchcli.store import Store

# `queue` ranks of `Store.list_items(queue_of=…)`: held by the member, left to their network,
# unassigned; OTHERS is everything else (handled, or held by another member).
HELD, NETWORK, UNASSIGNED, OTHERS = 0, 1, 2, 3


def queue_owner(config: Config | None, user: str) -> tuple[str, str] | None:
    """(member, network) when `user` is a member: whose queue orders their plain `list`."""
    network = config.network_of(user) if config else None
    return (user, network) if network else None


def list_items(
    store: Store,
    item_filter: ItemFilter,
    *,
    config: Config | None,
    user: str,
    queue_first: bool,
) -> list[dict]:
    """`list`: newest first; with `queue_first`, a member's plain list has their queue
    first, each row with its `queue` rank."""
    owner = queue_owner(config, user) if queue_first and is_plain(item_filter) else None
    return store.list_items(item_filter, queue_of=owner)


def is_plain(item_filter: ItemFilter) -> bool:
    """A list that says nothing of whose items: no status, network, assignee or unassigned
    filter. A member's plain list puts their queue first."""
    return not (
        item_filter.status or item_filter.network or item_filter.assignee or item_filter.unassigned
    )


def demo_config_path(db: Path) -> Path:
    """Where `watchcli demo --db DB` writes its configuration: `DB-sources.toml` beside it.
    Given `--db DB` and no `--config`, the commands read it, so that the demo store works as
    the demo names it: `watchcli --db demo.db --as camille triage`."""
    return db.with_name(db.stem + "-sources.toml")


def sources_report(store: Store, config: Config) -> list[dict]:
    """Every configured source, in configuration order, with its health (`sources list`)."""
    store.sync_sources(config.sources)
    rows = store.sources_health(s.id for s in config.sources)
    return [
        {
            **row,
            "health": source_health(
                gone=bool(row["gone"]), failures=row["failures"], last_attempt=row["last_attempt"]
            ),
        }
        for row in rows
    ]


SOURCE_FIELDS = (
    "id",
    "url",
    "network",
    "health",
    "last_status",
    "last_ok",
    "last_error",
    "failures",
    "items",
    "last_attempt",
    "problem",
    "retry_after",
)


def source_json(row: dict) -> dict:
    """A row of `sources_report` as `sources list --json` prints it."""
    return {key: row[key] for key in SOURCE_FIELDS}


def stats_report(store: Store, config: Config, window: Window) -> dict:
    """The `stats --json` document of a window."""
    store.sync_sources(config.sources)
    return build_stats(
        config,
        window,
        figures=store.reports.figures(window.start, window.end),
        open_items=store.reports.open_items(window.start, window.end),
        health=store.sources_health(s.id for s in config.sources),
    )


# --- the triage screen's queue ------------------------------------------------------------


@dataclass(frozen=True)
class View:
    """What the triage screen lists: the member's queue, or every item matching a filter or
    a search (README, "The triage screen")."""

    tag: str | None = None
    status: str | None = None
    network: str | None = None
    scope: str | None = None
    search: str = ""

    @property
    def is_queue(self) -> bool:
        return not (self.tag or self.status or self.network or self.scope or self.search)


@dataclass
class Queue:
    """The rows of the screen, in order, and the counts of the member's queue by rank; with a
    search, whether it matched more items than the MATCH_LIMIT it looked through."""

    items: list[dict]
    counts: dict[int, int] = field(default_factory=dict)
    more_matches: bool = False


# The queue and a filter list at most VIEW_LIMIT items, the first in the queue's order. A
# search looks through the whole store's full-text index, as `watchcli search` does, and
# reads its newest MATCH_LIMIT matches; the scope filter without a search looks through the
# first SCAN_LIMIT items of the other filters. A refresh reads no more rows than that: the
# header's counts are counted by SQLite (`Store.queue_counts`).
VIEW_LIMIT = 500
MATCH_LIMIT = 10_000
SCAN_LIMIT = 5000


def triage_search(text: str) -> str | None:
    """The FTS5 expression of a search typed in the triage screen, whose last word is a
    prefix (`solidar` finds « Solidarité »); None when it has nothing to look for."""
    return parse_query(text, typing=True).fts()


def triage_queue(
    store: Store, owner: tuple[str, str], view: View, *, keep: Mapping[int, int] = {}
) -> Queue:
    """The screen's rows for `owner` (member, network): the first VIEW_LIMIT items of their
    queue (ranks HELD, NETWORK, UNASSIGNED; the counts are of the whole queue), or the items
    of `view` (none for a search with nothing to look for). Items in `keep` (id: the rank
    they were first listed with; those acted on in this session) stay listed in their place
    after they leave the queue, so that the rows do not move under the cursor."""
    counts = store.queue_counts(*owner)
    more = False
    item_filter = ItemFilter(
        tags=(view.tag,) if view.tag else (),
        status=view.status,
        network=view.network,
        limit=VIEW_LIMIT,
    )
    if view.is_queue:
        rows = store.list_items(ItemFilter(limit=VIEW_LIMIT), queue_of=owner, queue_only=True)
    elif view.search:
        expression = triage_search(view.search)
        rows = []
        if expression:
            rows, more = store_queue.search_queue(
                store,
                expression,
                item_filter,
                owner,
                scope=view.scope,
                matches=MATCH_LIMIT,
                limit=VIEW_LIMIT,
            )
    elif view.scope:
        rows = store.list_items(replace(item_filter, limit=SCAN_LIMIT), queue_of=owner)
        rows = [item for item in rows if item["scope"] == view.scope][:VIEW_LIMIT]
    else:
        rows = store.list_items(item_filter, queue_of=owner)
    listed = {item["id"] for item in rows}
    for item_id, rank in keep.items():
        if item_id not in listed:
            item = store_queue.find_item(store, item_id)
            if item is not None:  # merged away or deleted since: gone from the screen too
                rows.append({**item, "queue": rank})
    for item in rows:
        item["queue"] = keep.get(item["id"], item["queue"])
    rows.sort(key=lambda item: (item["published"], item["id"]), reverse=True)
    rows.sort(key=lambda item: item["queue"])
    return Queue(rows, counts, more)

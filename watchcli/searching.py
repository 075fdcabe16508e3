"""`watchcli search`: find items again by their words (README, "Finding items again").

A service over the store's full-text index, for the CLI and the triage screen alike.
"""

from __future__ import annotations

from watchcli.errors import UsageError
from watchcli.models import ItemFilter
from watchcli.search import Query, parse_query
from watchcli.store import Store
from watchcli.store_search import SearchStore


def search_items(store: Store, text: str, item_filter: ItemFilter) -> tuple[Query, list[dict]]:
    """The parsed query and the matching items, best first; UsageError when the query has no
    word to look for (only punctuation, or only `-word` exclusions)."""
    query = parse_query(text)
    if not query.wanted:
        raise UsageError(
            f"nothing to search for in {text!r}; give at least one word "
            '(`-word` only leaves words out; "a phrase" keeps words together)'
        )
    return query, SearchStore(store.db).search(query, item_filter)

"""Fixing the deduplication by hand: `watchcli merge` and `watchcli split`.

Both run in one short write transaction, are recorded in the `history` of the items they
touch (action "merge" or "split", by the acting user), and re-index what they change, so
the near-duplicate stage sees the items as the analyst left them. No SQL here (store.py).

- merge KEEP OTHER...: every sighting of the others moves to KEEP, with their tags, notes,
  history and guards; the emptied items are deleted, and their ids remembered, so `show`
  of an old id says where it went. KEEP keeps its own text; when it is still new it takes
  the others' decision (selected before discarded), and when nobody holds it, their holder.
  Items another member holds are refused, as for every change by hand.
- split ITEM --sighting N: the sighting becomes an item of its own, and ITEM is guarded
  against N's source: no later fetch merges an entry of that source back into ITEM,
  whether by URL, GUID or near-duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from watchcli.config import Config
from watchcli.errors import UsageError
from watchcli.store import Store


@dataclass(frozen=True)
class MergeResult:
    keep: int
    merged: tuple[int, ...]
    sightings: int


def merge_items(store: Store, item_ids: list[int], *, by: str, now: datetime) -> MergeResult:
    """Merge the items into the first one."""
    if len(item_ids) < 2:
        raise UsageError("merge needs at least two item ids: the one to keep, then the others")
    keep, others = item_ids[0], list(dict.fromkeys(item_ids[1:]))
    if keep in others:
        raise UsageError(f"cannot merge item {keep} with itself")
    with store.write():
        for item_id in (keep, *others):
            store.ensure_item(item_id)
            store.check_not_held(item_id, by=by)
        states = [store.triage_state(other) for other in others]
        moved = store.near.merge_items(keep, others, by=by, now=now)
        taken = store.adopt_triage_state(keep, states)
        listed = ", ".join(f"#{i}" for i in others)
        detail = f"merged {listed} into #{keep} ({moved} sightings moved)"
        if taken:
            detail += "; took " + ", ".join(taken)
        store.record_change(keep, by=by, action="merge", detail=detail, now=now)
        store.apply_automatic_assignment(keep, now=now, record=True)
        store.near.reindex(keep)
    return MergeResult(keep, tuple(others), moved)


def split_sighting(
    store: Store, config: Config | None, item_id: int, sighting_id: int, *, by: str, now: datetime
) -> int:
    """Make a sighting of an item an item of its own; returns the new item's id."""
    with store.write():
        store.ensure_item(item_id)
        store.check_not_held(item_id, by=by)
        sighting = store.near.find_sighting_of(sighting_id)
        if sighting is None or sighting["item_id"] != item_id:
            where = f"it belongs to item {sighting['item_id']}" if sighting else "no such sighting"
            raise UsageError(
                f"sighting {sighting_id} is not on item {item_id} ({where}); "
                f"`watchcli show {item_id}` lists its sightings"
            )
        if store.near.count_sightings(item_id) < 2:
            raise UsageError(f"item {item_id} has only this sighting: there is nothing to split")
        source = config.source(sighting["source_id"]) if config else None
        new_id = store.near.split_sighting(
            item_id, sighting_id, scope=source.scope if source else None, by=by, now=now
        )
        store.record_change(
            item_id,
            by=by,
            action="split",
            detail=f"sighting #{sighting_id} ({sighting['source_id']}) split off into #{new_id}; "
            f"{sighting['source_id']} never merges back into #{item_id}",
            now=now,
        )
        store.record_change(
            new_id,
            by=by,
            action="split",
            detail=f"split off #{item_id} (sighting #{sighting_id})",
            now=now,
        )
        # Each now has its own sources: their networks decide the automatic assignment.
        store.apply_automatic_assignment(item_id, now=now, record=True)
        store.apply_automatic_assignment(new_id, now=now, record=True)
        store.near.reindex(item_id)
        store.near.reindex(new_id)
    return new_id

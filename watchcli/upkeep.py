"""`watchcli backup` and `watchcli maintain` (README, "Moving and keeping data"): services
over store_upkeep, for the CLI."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from watchcli.errors import UsageError, WatchError
from watchcli.store import Store
from watchcli.store_near import day_of
from watchcli.store_upkeep import UpkeepStore, integrity


@dataclass(frozen=True)
class Backup:
    path: Path
    items: int
    size: int


@dataclass(frozen=True)
class Upkeep:
    pruned: int
    keep_days: int | None
    size_before: int
    size: int
    items: int
    space: list[tuple[str, str, int]]

    @property
    def per_10k_items(self) -> int:
        return round(self.size * 10_000 / self.items) if self.items else 0


def backup_store(store: Store, target: Path, *, now: datetime) -> Backup:
    """Copy the store to `target` (a file, or a folder to put a dated copy in), replacing an
    older backup only once the new one is whole and checked."""
    if target.is_dir():
        target = target / f"{store.path.stem}-{now:%Y%m%d-%H%M%S}{store.path.suffix or '.db'}"
    if not target.resolve().parent.is_dir():
        raise UsageError(f"cannot write {target}: folder {target.parent} does not exist")
    if target.exists() and target.resolve() == store.path.resolve():
        raise UsageError(f"{target} is the store itself; back it up somewhere else")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    upkeep = UpkeepStore(store.db)
    try:
        upkeep.copy_to(partial)
        verdict = integrity(partial)
        if verdict != "ok":
            raise WatchError(f"the copy failed its integrity check ({verdict}); {target} untouched")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return Backup(target, upkeep.count_items(), target.stat().st_size)


# An entry is compared with the items dated within [dedupe].window_days of its own date, and
# entries are news: the near-duplicate index of items dated more than this many days ago is
# dropped by `maintain` (a third of a store of real feeds' index, README "What takes the room").
# An entry dated that far back still joins its item by URL or GUID, never by similarity.
NEAR_INDEX_DAYS = 90


def maintain_store(
    store: Store, *, keep_days: int | None, now: datetime, vacuum: bool = True
) -> Upkeep:
    """Prune (with `keep_days`), compact, and measure the store."""
    upkeep = UpkeepStore(store.db)
    before = _size(store.path)
    pruned = 0
    if keep_days is not None:
        pruned = upkeep.prune_discarded(now - timedelta(days=keep_days), store.write)
    with store.write():
        store.near.forget_index_before(day_of(now - timedelta(days=NEAR_INDEX_DAYS)))
    if vacuum:
        upkeep.vacuum()
    return Upkeep(
        pruned=pruned,
        keep_days=keep_days,
        size_before=before,
        size=_size(store.path),
        items=upkeep.count_items(),
        space=upkeep.space(),
    )


def _size(path: Path) -> int:
    """The store's bytes on disk, with its write-ahead log."""
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)

"""What `watchcli export` and `watchcli import` cost for a large store, against a bare copy.

    python bench/exchange_scale.py [--size 100000] [--keep DIR]

The store: SIZE items grown at 200 a day (`bench/dedupe_scale.py`'s builder, templated French
text), then triaged as analysts would — a tenth selected or discarded with its history line,
one in twenty with a note, every item with its tag. Built once (with `--keep DIR`, reused).

Timed, each through the services the CLI calls (`exchange.export_items`, `exchange.import_file`):
export to JSON lines and to CSV; import of the JSON lines into an empty store (every item new);
the same import again (every item matched, nothing changes: the idempotent pass). Baselines in
the same run: the items table alone dumped as JSON lines (no sightings, tags, notes or
history), and those rows inserted into an empty table with executemany: the floor any export
or import of these items stands on.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.dedupe_scale import NOW, build
from watchcli.dates import iso
from watchcli.exchange import export_items, import_file
from watchcli.store import Store

MEMBERS = ("camille", "hugo", "lea", "malik")


def triage(path: Path) -> None:
    """A tenth of the items handled (with their history line), one in twenty noted."""
    rng = random.Random("triage")
    with Store.open(path) as store:
        (count,) = store.db.execute("SELECT max(id) FROM items").fetchone()
        handled, notes, history = [], [], []
        for item_id in range(1, count + 1):
            at = iso(NOW - timedelta(days=(count - item_id) / 200, hours=-2))
            who = rng.choice(MEMBERS)
            if item_id % 10 == 0:
                status = rng.choice(("selected", "discarded"))
                handled.append((status, who, at, item_id))
                history.append((item_id, who, at, status, ""))
            if item_id % 20 == 0:
                text = f"À relayer dans la lettre n°{item_id % 50}"
                notes.append((item_id, who, at, text))
                history.append((item_id, who, at, "note", text))
        with store.write():
            store.db.conn.executemany(
                "UPDATE items SET status = ?, handled_by = ?, handled_at = ? WHERE id = ?",
                handled,
            )
            store.db.conn.executemany(
                "INSERT INTO notes (item_id, by, at, text) VALUES (?, ?, ?, ?)", notes
            )
            store.db.conn.executemany(
                "INSERT INTO history (item_id, by, at, action, detail) VALUES (?, ?, ?, ?, ?)",
                history,
            )


def seconds(action) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="keep the built store here, and reuse it")
    args = parser.parse_args()
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="watchcli-exchange-") as tmp:
        folder = args.keep.resolve() if args.keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        base = folder / f"exchange-templated-{args.size}.db"
        if not base.exists():
            started = time.perf_counter()
            partial = base.with_suffix(".building")
            build(partial, "templated", args.size, 200)
            triage(partial)
            partial.rename(base)
            print(f"built and triaged {args.size} items in {time.perf_counter() - started:.0f} s")
        work = Path(tmp) / "a.db"
        shutil.copy(base, work)
        jsonl, csv_file = Path(tmp) / "export.jsonl", Path(tmp) / "export.csv"
        with Store.open(work) as store:
            t_jsonl, count = seconds(
                lambda: export_items(store, "jsonl", since=None, now=now, output=jsonl)
            )
            t_csv, _ = seconds(
                lambda: export_items(store, "csv", since=None, now=now, output=csv_file)
            )
        target = Path(tmp) / "b.db"
        with Store.open(target) as empty:
            t_import, report = seconds(lambda: import_file(empty, jsonl, now=now))
            t_again, again = seconds(lambda: import_file(empty, jsonl, now=now))
        assert report.new_items == count and again.new_items == again.updated_items == 0

        # Baselines: the items table alone, out as JSON lines and into an empty table.
        conn = sqlite3.connect(work)
        started = time.perf_counter()
        cursor = conn.execute("SELECT * FROM items")
        names = [c[0] for c in cursor.description]
        rows = []
        with (Path(tmp) / "items.jsonl").open("w", encoding="utf-8") as out:
            for row in cursor:
                out.write(json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False) + "\n")
                rows.append(row)
        t_dump = time.perf_counter() - started
        bare = sqlite3.connect(Path(tmp) / "bare.db")
        bare.execute(f"CREATE TABLE items ({', '.join(names)})")
        started = time.perf_counter()
        with bare:
            bare.executemany(f"INSERT INTO items VALUES ({', '.join('?' * len(names))})", rows)
        t_insert = time.perf_counter() - started
        sizes = ", ".join(
            f"{p.suffix[1:]} {p.stat().st_size / 2**20:.0f} MiB" for p in (jsonl, csv_file)
        )

    print(f"{count} items (with sightings, tags, notes, history); files: {sizes}")
    print(f"export jsonl  {t_jsonl:6.2f} s  ({count / t_jsonl:,.0f} items/s)")
    print(f"export csv    {t_csv:6.2f} s  ({count / t_csv:,.0f} items/s)")
    print(
        f"import (new)  {t_import:6.2f} s  ({count / t_import:,.0f} items/s; "
        f"{report.sightings} sightings, {report.tags} tags, {report.notes} notes, "
        f"{report.history} history lines)"
    )
    print(f"import again  {t_again:6.2f} s  ({count / t_again:,.0f} items/s; nothing changed)")
    print(
        f"baseline: items table alone to JSON lines {t_dump:.2f} s (export is "
        f"{t_jsonl / t_dump:.1f}x that); executemany into a bare table {t_insert:.2f} s "
        f"(import is {t_import / t_insert:.1f}x that)"
    )


if __name__ == "__main__":
    main()

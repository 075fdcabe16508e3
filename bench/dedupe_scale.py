"""Does ingesting an entry cost the same with 1 000, 100 000 and 1 000 000 items stored?

    python bench/dedupe_scale.py [--sizes 1000,100000,1000000] [--entries 1000]

For each size, in a fresh process: build a store of SIZE synthetic items fast (bulk inserts
of items, sightings and their real near-duplicate index rows: `neardup.band_keys` of each
title), as a watch that has grown at ~1 000 items a day; then time ENTRIES new entries, a
third of them rewrites of recent items, through the real `Ingester` (exact keys, index
lookup within the window, verification, inserts, indexing), 50 per transaction as a fetch
writes them. Prints the per-entry time, the process's RSS, the store's size and the ratio of
each size to the smallest.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from watchcli import dedupe, neardup
from watchcli.config import Config, Source
from watchcli.dates import iso
from watchcli.ingest import Ingester
from watchcli.models import Entry
from watchcli.store import Store, _minutes

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
PER_DAY = 1000
SOURCES = 40
SYLLABLES = [c + v for c in "bdfklmnrstvz" for v in "aeiou"]


def vocabulary(rng: random.Random, size: int = 30_000) -> list[str]:
    """Pseudo-words, to be drawn with Zipf frequencies as the words of real titles are."""
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


_WEIGHTS: dict[int, list[float]] = {}


def title(rng: random.Random, words: list[str]) -> str:
    """Nine content words, word of rank r drawn with weight 1 / (r + 200): the commonest
    appears in about one title in a hundred, as the commonest content words of news do."""
    if len(words) not in _WEIGHTS:
        total, cumulative = 0.0, []
        for rank in range(len(words)):
            total += 1 / (rank + 200)
            cumulative.append(total)
        _WEIGHTS[len(words)] = cumulative
    picked = rng.choices(words, cum_weights=_WEIGHTS[len(words)], k=9)
    number = rng.choice(["", "", f" {rng.randint(2, 5000)}"])
    return " ".join(picked).capitalize() + number


def build(path: Path, size: int, rng: random.Random) -> None:
    """SIZE items over SIZE / PER_DAY days up to NOW, each with its sighting and index rows."""
    store = Store.open(path)
    conn = store.db.conn
    conn.execute("PRAGMA synchronous=OFF")
    words = vocabulary(rng)
    span = size / PER_DAY * 86400
    chunk = 50_000
    for start in range(0, size, chunk):
        items, sightings, bands = [], [], []
        for i in range(start + 1, min(size, start + chunk) + 1):
            published = NOW - timedelta(seconds=span * (1 - i / size))
            text = title(rng, words)
            summary = f"{text}. Résumé de l'article {i}."
            url = f"https://s{i % SOURCES}.example.org/{i}"
            items.append((i, url, text, summary, iso(published), iso(published), iso(published)))
            sightings.append(
                (
                    i,
                    i,
                    f"s{i % SOURCES}",
                    url,
                    url,
                    dedupe.url_key(url),
                    url,
                    text,
                    "c1:x",
                    iso(published),
                    iso(published),
                    "new",
                    neardup.lede(summary),
                )
            )
            minute = _minutes(published)
            keys = neardup.band_keys(neardup.match_text(text, summary))
            bands.extend((key, minute, i) for key in keys)
        with store.write():
            conn.executemany(
                "INSERT INTO items (id, url, title, summary, published, first_seen, updated) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                items,
            )
            conn.executemany(
                "INSERT INTO sightings (id, item_id, source_id, guid, url, url_key, link, title,"
                " content_hash, published, seen, how, lede) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                sightings,
            )
            conn.executemany(
                "INSERT OR IGNORE INTO near_bands (key, published, item_id) VALUES (?, ?, ?)",
                bands,
            )
    conn.execute("ANALYZE")
    store.close()


def new_entries(path: Path, count: int, rng: random.Random) -> list[tuple[str, Entry]]:
    """COUNT entries of the last day: a third rewrite a recent stored item, the rest new."""
    store = Store.open(path)
    recent = store.db.execute(
        "SELECT title FROM items ORDER BY id DESC LIMIT ?", [max(count, 100)]
    ).fetchall()
    store.close()
    words = vocabulary(rng)
    out = []
    for n in range(count):
        if n % 3 == 0:
            rewrite = recent[rng.randrange(len(recent))][0].split()
            rng.shuffle(rewrite)  # same words, another order: a rewrite
            text = " ".join(rewrite)
        else:
            text = title(rng, words)
        url = f"https://new.example.org/{n}"
        published = NOW - timedelta(minutes=rng.randint(0, 1440))
        out.append((f"n{n % SOURCES}", Entry(url, url, url, text, f"{text}.", published, True)))
    return out


def measure(size: int, count: int) -> dict:
    rng = random.Random(size)
    with tempfile.TemporaryDirectory(prefix="watchcli-scale-") as tmp:
        path = Path(tmp) / "watch.db"
        started = time.perf_counter()
        # Built in another process, so this one's memory is the ingest's alone.
        subprocess.run([sys.executable, __file__, "--build", str(size), str(path)], check=True)
        built = time.perf_counter() - started
        entries = new_entries(path, count, rng)
        config = Config(
            path=Path(tmp) / "sources.toml",
            sources=tuple(
                Source(id=f"n{i}", url=f"https://n{i}.example.org/") for i in range(SOURCES)
            ),
        )
        store = Store.open(path)
        ingester = Ingester(store, config)
        started = time.perf_counter()
        for first in range(0, len(entries), 50):
            batch = entries[first : first + 50]
            with store.write():
                for source_id, entry in batch:
                    source = config.source(source_id)
                    assert source is not None
                    ingester.store_entries(source, (entry,), lang="fr", now=NOW)
        elapsed = time.perf_counter() - started
        hows = dict(
            store.db.execute(
                "SELECT how, count(*) FROM sightings WHERE source_id LIKE 'n%' GROUP BY how"
            ).fetchall()
        )
        store.close()
        return {
            "size": size,
            "per_entry_ms": elapsed / count * 1000,
            "rss_mib": _rss_mib(),
            "db_mib": sum(p.stat().st_size for p in Path(tmp).iterdir()) / 2**20,
            "build_s": built,
            "merged": hows.get("near", 0),
        }


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description="Per-entry ingest cost against store size.")
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--build", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        build(Path(args.build[1]), int(args.build[0]), random.Random(int(args.build[0])))
        return
    if args.one:
        print(json.dumps(measure(args.one, args.entries)))
        return
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        output = subprocess.run(
            [sys.executable, __file__, "--one", str(size), "--entries", str(args.entries)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        ).stdout
        results.append(json.loads(output.strip().splitlines()[-1]))
        r = results[-1]
        print(
            f"{r['size']:>9} items: {r['per_entry_ms']:6.2f} ms/entry, RSS {r['rss_mib']:6.1f} MiB,"
            f" store {r['db_mib']:7.1f} MiB (built in {r['build_s']:.0f} s),"
            f" {r['merged']} of {args.entries} entries merged",
            flush=True,
        )
    base = results[0]
    for r in results[1:]:
        print(
            f"{r['size']} / {base['size']}: time x{r['per_entry_ms'] / base['per_entry_ms']:.2f},"
            f" RSS x{r['rss_mib'] / base['rss_mib']:.2f}"
        )


if __name__ == "__main__":
    main()

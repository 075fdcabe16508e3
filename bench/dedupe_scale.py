"""Does ingesting an entry cost the same with 1 000, 100 000 and 1 000 000 items stored?

    python bench/dedupe_scale.py [--sizes 1000,100000,1000000] [--entries 500] [--runs 5]
                                 [--per-day 200] [--keep DIR] [--plans] [--pragma P]

1. Build a store of each SIZE (not timed; with `--keep DIR` once, then reused): SIZE synthetic
   items with their sighting, tag and near-duplicate index rows (the store's own
   `index_near` of `neardup.band_keys` of each text), from 40 sources, grown at PER_DAY items
   a day up to "now". The rate is the same at every size, so every store holds the same
   items in the window of a new entry: at 200 a day the 1 000-item store covers 5 days, more
   than the ±3-day window of an entry of the last day reaches back.
2. RUNS rounds; in each, every size in turn (so that a slower moment of the machine does not
   favour one size), in a new process as a `watchcli fetch` is, on a fresh copy of its store
   (flushed to disk, then read through once: in the OS page cache, as the store of a machine
   that fetches every hour is; SQLite's own cache starts empty): the same ENTRIES new entries,
   dated in the last day, go through the fetch writer (`FetchRun._write_one`: one
   transaction per source, the real `Ingester`: filters, exact keys, the near-duplicate
   lookup within the window, verification, inserts, indexing, tags, automatic assignment),
   then the store is closed (its last WAL checkpoint is part of the cost). Only this is
   timed. A third of the entries rewrite an item of the last two days (the same words in
   another order, from another source than the item's): every size finds the same matches
   among the same candidates. The entries have their own random seed, the same at every
   size, never a replay of the build's stream.

Prints, per size: the median per-entry time (and the fastest and slowest run), where it goes
(µs per entry: exact-key lookups, the near-duplicate lookup, text and verification in Python,
inserts, tags and assignment, commits and the final checkpoint, the rest), the pages read and
KiB written per entry (system calls, OS page cache included), the process's RSS, the store's
size and how many entries merged; then each size's ratio to the smallest. `--plans` also
prints the query plan of every statement the entries ran, marking any full scan.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from watchcli import dedupe, neardup
from watchcli.config import Config, Source
from watchcli.dates import iso
from watchcli.ingest import FetchRun
from watchcli.models import Entry, FeedContent, FetchResult, Outcome
from watchcli.store import Store

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
SOURCES = 40
NETWORKS = ("nord", "sud", "est", None)  # a quarter of the sources belong to no network
TAGS = ("eau", "sante", "climat", "migrations", "education")
SYLLABLES = [c + v for c in "bdfklmnrstvz" for v in "aeiou"]
CHUNK = 20_000  # items per build chunk
BUILD_VERSION = 4  # bump when what `build` writes changes, so that --keep rebuilds


def sources() -> tuple[Source, ...]:
    return tuple(
        Source(
            id=f"s{k}",
            url=f"https://s{k}.example.org/feed",
            network=NETWORKS[k % len(NETWORKS)],
            tags=(TAGS[k % len(TAGS)],),
        )
        for k in range(SOURCES)
    )


def vocabulary(size: int = 30_000) -> list[str]:
    """Pseudo-words, to be drawn with Zipf frequencies as the words of real titles are. The
    same at every size and in every process."""
    rng = random.Random("vocabulary")
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


def summary(text: str, i: int) -> str:
    return f"{text}. Résumé de l'article {i}."


# --- building a store ------------------------------------------------------------------------


def _published(i: int, size: int, per_day: int) -> datetime:
    """Item i of SIZE (ids in date order), the last one dated NOW."""
    return NOW - timedelta(days=(size - i) / per_day)


def _chunk_rows(args: tuple[int, int, int, int]) -> tuple[list, list, list, list]:
    """The rows of items start..end-1 (a worker process's share of the build). Each chunk has
    its own seed, independent of the entries' (see `new_entries`)."""
    start, end, size, per_day = args
    rng = random.Random(f"build:{size}:{start}")
    words = vocabulary()
    networks = {s.id: s.network for s in sources()}
    items, sightings, tags, bands = [], [], [], []
    for i in range(start, end):
        source = f"s{i % SOURCES}"
        published = iso(_published(i, size, per_day))
        text = title(rng, words)
        body = summary(text, i)
        url = f"https://s{i % SOURCES}.example.org/{i}"
        network = networks[source]
        items.append((i, url, text, body, published, published, published, network))
        content = dedupe.content_hash(
            Entry(url, url, url, text, body, _published(i, size, per_day), True)
        )
        key = dedupe.url_key(url)
        sightings.append(
            (i, i, source, url, url, key, url, text, content, published, published, "new", "")
        )
        tags.append((i, TAGS[i % SOURCES % len(TAGS)], "watchcli", published))
        keys = neardup.band_keys(neardup.match_text(text, body))
        bands.append((i, _published(i, size, per_day), keys))
    return items, sightings, tags, bands


def build(path: Path, size: int, per_day: int) -> None:
    """SIZE items over SIZE / PER_DAY days up to NOW, each with its sighting, tag and index
    rows, as the ingest path writes them."""
    store = Store.open(path)
    conn = store.db.conn
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-1000000")  # the build only: 1 GB
    store.sync_sources(sources())
    chunks = [(s, min(size, s + CHUNK - 1) + 1, size, per_day) for s in range(1, size + 1, CHUNK)]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for items, sightings, tags, bands in pool.map(_chunk_rows, chunks):
            with store.write():
                conn.executemany(
                    "INSERT INTO items (id, url, title, summary, published, first_seen,"
                    " updated, lang, network, assigned_by)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, 'fr', ?, 'watchcli')",
                    items,
                )
                conn.executemany(
                    "INSERT INTO sightings (id, item_id, source_id, guid, url, url_key, link,"
                    " title, content_hash, published, seen, how, lede)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    sightings,
                )
                conn.executemany(
                    "INSERT INTO item_tags (item_id, tag, by, at) VALUES (?, ?, ?, ?)", tags
                )
                for item_id, published, keys in bands:  # in the store's own layout
                    store.index_near(item_id, published, keys)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()


# --- the entries -----------------------------------------------------------------------------


def new_entries(path: Path, count: int, size: int, per_day: int) -> list[tuple[str, Entry]]:
    """COUNT entries dated in the last day: a third rewrite an item of the last two days
    (within the window of every entry, whatever the size), from another source than the
    item's; the rest new stories. Drawn with their own seed: the same at every size, and
    never a replay of the build's random stream."""
    rng = random.Random("entries")
    words = vocabulary()
    recent = list(range(max(1, size - 2 * per_day + 1), size + 1))
    rewrites = count // 3 + 1
    targets = (
        rng.sample(recent, rewrites) if rewrites <= len(recent) else rng.choices(recent, k=rewrites)
    )
    store = Store.open(path)
    marks = ", ".join("?" * len(targets))
    titles = dict(
        store.db.execute(f"SELECT id, title FROM items WHERE id IN ({marks})", targets).fetchall()
    )
    store.close()
    out = []
    for n in range(count):
        published = NOW - timedelta(minutes=rng.randint(0, 1440))
        if n % 3 == 0:
            target = targets[n // 3]
            rewrite = titles[target].split()
            rng.shuffle(rewrite)  # same words, another order: a rewrite
            text = " ".join(rewrite)
            source = f"s{(target + 1 + rng.randrange(SOURCES - 1)) % SOURCES}"  # not the item's
        else:
            text = title(rng, words)
            source = f"s{n % SOURCES}"
        url = f"https://{source}.example.org/new/{n}"
        out.append((source, Entry(url, url, url, text, f"{text}.", published, True)))
    return out


# --- measuring -------------------------------------------------------------------------------

# Where the time of an entry goes: the Store methods and neardup functions the ingest path
# calls, grouped.
PARTS = {
    "exact keys": ("find_sighting", "find_item_by_url_key", "find_item_by_guid"),
    "near lookup": ("find_near_candidates",),
    "text+verify": ("match_text", "band_keys", "verify"),
    "inserts": ("insert_item", "insert_sighting", "index_near"),
    "tags+assign": ("add_automatic_tags", "apply_automatic_assignment", "item_published"),
}


class Timer:
    """Wraps functions to add up the time spent in each (the outermost call only)."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._depth = 0

    def wrap(self, name: str, function: Callable) -> Callable:
        def timed(*args, **kwargs):
            if self._depth:
                return function(*args, **kwargs)
            self._depth += 1
            self.calls[name] += 1
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.spent[name] += time.perf_counter() - started
                self._depth -= 1

        return timed

    @contextmanager
    def part(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.spent[name] += time.perf_counter() - started


def _instrument(store: Store, timer: Timer) -> Callable[[], None]:
    """Time the store's and neardup's functions; returns the undo."""
    originals = {}
    for names in PARTS.values():
        for name in names:
            if hasattr(store, name):
                setattr(store, name, timer.wrap(name, getattr(store, name)))
            else:
                originals[name] = getattr(neardup, name)
                setattr(neardup, name, timer.wrap(name, originals[name]))

    write = store.write

    @contextmanager
    def timed_write() -> Iterator[None]:
        transaction = write()
        transaction.__enter__()
        try:
            yield
        except BaseException:
            transaction.__exit__(*sys.exc_info())
            raise
        with timer.part("commit"):
            transaction.__exit__(None, None, None)

    store.write = timed_write  # type: ignore[method-assign]

    def undo() -> None:
        for name, function in originals.items():
            setattr(neardup, name, function)

    return undo


def _io() -> dict[str, int]:
    """This process's read/write system calls and bytes (page cache hits included)."""
    out = {}
    for line in Path("/proc/self/io").read_text().splitlines():
        key, _, value = line.partition(":")
        out[key] = int(value)
    return out


def _memory() -> dict[str, float]:
    """VmRSS, VmHWM (peak RSS), RssAnon and RssFile of this process, in MiB."""
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            out[key] = int(value.split()[0]) / 1024
    return out


def _fresh_copy(base: Path, work: Path) -> None:
    """A copy of the built store, on disk (else the run's first checkpoint would wait for the
    whole copy to be written back) and in the OS page cache (read through once), as the store
    of a machine that fetches every hour is."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(base, work)
    with work.open("rb") as f:
        os.fsync(f.fileno())
        while f.read(1 << 20):
            pass


def one_run(
    work: Path, size: int, count: int, per_day: int, plans: bool, pragmas: list[str]
) -> dict:
    """Ingest the entries into the store at `work` as a `watchcli fetch` process does: open the
    store, hand each source's new entries to the fetch writer (`FetchRun._write_one`: one
    transaction per source), close (the WAL's last checkpoint is part of the cost)."""
    entries = new_entries(work, count, size, per_day)
    by_source: dict[str, list[Entry]] = defaultdict(list)
    for source_id, entry in entries:
        by_source[source_id].append(entry)
    config = Config(path=work.with_name("sources.toml"), sources=sources())
    store = Store.open(work)
    for pragma in pragmas:
        store.db.conn.execute("PRAGMA " + pragma)
    store.sync_sources(config.sources)
    fetch = FetchRun(store, config)
    timer = Timer()
    undo = _instrument(store, timer)
    statements: list[str] = []
    if plans:
        store.db.conn.set_trace_callback(statements.append)
    io_before = _io()
    started = time.perf_counter()
    for source_id, feed in by_source.items():
        source = config.source(source_id)
        assert source is not None
        fetch._write_one(
            source,
            FetchResult(source_id, Outcome.OK, 200, final_url=source.url, body_hash=source_id),
            FeedContent("rss", title=source_id, entries=tuple(feed)),
        )
    store.db.conn.set_trace_callback(None)
    undo()
    with timer.part("commit"):
        store.close()
    elapsed = time.perf_counter() - started
    io_after = _io()
    memory = _memory()
    with Store.open(work) as store:
        hows = dict(
            store.db.execute(
                "SELECT how, count(*) FROM sightings WHERE url LIKE '%/new/%' GROUP BY how"
            ).fetchall()
        )
        plan_list = query_plans(store, statements)
    spent = dict(timer.spent)
    parts = {part: sum(spent.get(n, 0.0) for n in names) for part, names in PARTS.items()}
    parts["commit"] = spent["commit"]
    parts["rest"] = elapsed - sum(parts.values())
    return {
        "size": size,
        "per_entry_ms": elapsed / count * 1000,
        "parts_us": {k: v / count * 1e6 for k, v in parts.items()},
        "pages_read": (io_after["rchar"] - io_before["rchar"]) / 4096 / count,
        "kib_written": (io_after["wchar"] - io_before["wchar"]) / 1024 / count,
        "merged": hows.get("near", 0),
        "calls": {k: v / count for k, v in timer.calls.items()},
        "db_mib": sum(p.stat().st_size for p in work.parent.glob(work.name + "*")) / 2**20,
        "plans": plan_list,
        **memory,
    }


def query_plans(store: Store, statements: list[str]) -> list[tuple[str, list[str]]]:
    """The query plan of each kind of statement the entries ran (one of each shape)."""
    shapes: dict[str, str] = {}
    for sql in statements:
        if sql.split(None, 1)[0].upper() in ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA"):
            continue
        shape = re.sub(r"'(?:[^']|'')*'|\b\d+(?:\.\d+)?\b", "?", sql)
        shape = " ".join(re.sub(r"\?(?:\s*,\s*\?)+", "?, …", shape).split())
        shapes.setdefault(shape, sql)
    return [
        (shape, [row[-1] for row in store.db.conn.execute("EXPLAIN QUERY PLAN " + sql)])
        for shape, sql in shapes.items()
    ]


def full_scans(plan: list[str]) -> list[str]:
    """The steps of a query plan that read a whole table or index (not a CTE's rows)."""
    own = {line.split()[-1] for line in plan if line.startswith(("MATERIALIZE", "CO-ROUTINE"))}
    return [
        line
        for line in plan
        if line.startswith("SCAN ") and line.split()[1] not in own | {"CONSTANT"}
    ]


def _report(size: int, runs: list[dict], entries: int) -> dict:
    times = sorted(r["per_entry_ms"] for r in runs)
    median = statistics.median(times)
    middle = min(runs, key=lambda r: abs(r["per_entry_ms"] - median))
    merged = sorted({r["merged"] for r in runs})
    print(
        f"{size:>9} items: {median:5.2f} ms/entry (runs {times[0]:.2f}-{times[-1]:.2f}),"
        f" RSS {middle['VmRSS']:5.1f} MiB (peak {middle['VmHWM']:.1f}),"
        f" store {middle['db_mib']:6.1f} MiB, {'/'.join(map(str, merged))} of {entries} merged",
        flush=True,
    )
    print(
        " " * 16
        + ", ".join(f"{k} {v:.0f}" for k, v in middle["parts_us"].items())
        + f" µs; {middle['pages_read']:.1f} pages read, {middle['kib_written']:.0f} KiB"
        f" written, {middle['calls'].get('verify', 0):.1f} candidates verified per entry",
        flush=True,
    )
    return {"size": size, "per_entry_ms": median, "rss": middle["VmRSS"]}


def main() -> None:
    parser = argparse.ArgumentParser(description="Per-entry ingest cost against store size.")
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--entries", type=int, default=500, help="entries ingested per run")
    parser.add_argument("--runs", type=int, default=5, help="runs per size (median reported)")
    parser.add_argument("--per-day", type=int, default=200, help="items stored a day")
    parser.add_argument("--keep", type=Path, help="keep the built stores here, and reuse them")
    parser.add_argument("--plans", action="store_true", help="print each statement's plan")
    parser.add_argument(
        "--pragma",
        action="append",
        default=[],
        help="a PRAGMA for the ingest's connection, to try a setting (cache_size=-65536)",
    )
    parser.add_argument("--build", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--run", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        build(Path(args.build[2]), int(args.build[0]), int(args.build[1]))
        return
    if args.run:
        size, work = int(args.run[0]), Path(args.run[1])
        print(json.dumps(one_run(work, size, args.entries, args.per_day, args.plans, args.pragma)))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    if min(sizes) / args.per_day < 4.5:
        parser.error(
            f"at {args.per_day} items a day the {min(sizes)}-item store does not cover the "
            "window of the entries (4 days back): lower --per-day or raise the smallest size"
        )
    with tempfile.TemporaryDirectory(prefix="watchcli-scale-") as tmp:
        folder = args.keep.resolve() if args.keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        bases = {}
        for size in sizes:
            base = bases[size] = folder / f"scale-{size}-{args.per_day}-v{BUILD_VERSION}.db"
            if not base.exists():
                started = time.perf_counter()
                partial = base.with_suffix(".building")
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{partial}{suffix}").unlink(missing_ok=True)
                subprocess.run(
                    [sys.executable, __file__, "--build", str(size), str(args.per_day), partial],
                    check=True,
                )
                partial.rename(base)
                print(f"built {size} items in {time.perf_counter() - started:.0f} s", flush=True)
            Store.open(base).close()  # migrations added since it was built, once
        print(
            f"{args.entries} entries per run ({args.entries // 3 + 1} rewrites), {args.runs} runs"
            f" per size taken in turns, stores grown at {args.per_day} items a day",
            flush=True,
        )
        work = Path(tmp) / "watch.db"
        runs: dict[int, list[dict]] = {size: [] for size in sizes}
        for run in range(args.runs):
            for size in sizes:
                _fresh_copy(bases[size], work)
                command = [sys.executable, __file__, "--run", str(size), str(work)]
                command += ["--entries", str(args.entries), "--per-day", str(args.per_day)]
                command += ["--plans"] if args.plans and run == 0 else []
                command += [f"--pragma={pragma}" for pragma in args.pragma]
                done = subprocess.run(
                    command,
                    capture_output=True,
                    text=True,
                    env={**os.environ, "PYTHONHASHSEED": "0"},
                )
                if done.returncode:
                    sys.exit(f"the run of {size} items failed:\n{done.stderr}")
                runs[size].append(json.loads(done.stdout.strip().splitlines()[-1]))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{work}{suffix}").unlink(missing_ok=True)
    results = [_report(size, runs[size], args.entries) for size in sizes]
    for size in sizes:
        for shape, plan in runs[size][0]["plans"]:
            scans = full_scans(plan)
            print(f"  {size}: {'FULL SCAN ' if scans else ''}{shape[:110]}")
            for line in plan:
                print(f"        {line}")
    base = results[0]
    for r in results[1:]:
        print(
            f"{r['size']} / {base['size']}: time x{r['per_entry_ms'] / base['per_entry_ms']:.2f},"
            f" RSS x{r['rss'] / base['rss']:.2f}"
        )


if __name__ == "__main__":
    main()

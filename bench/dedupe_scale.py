"""What ingesting an entry costs, by store size and by workload.

    python bench/dedupe_scale.py [--sizes 1000,100000,1000000] [--workloads plain,templated,hot]
                                 [--entries 500] [--runs 3] [--per-day 200] [--keep DIR]
                                 [--plans]

Stores are built once per (size, workload) (not timed; with `--keep DIR`, reused across
invocations): SIZE items grown at PER_DAY a day up to "now", each with its sighting, tag,
near-duplicate representative and index rows, and the token counts of the weights' window,
written as the ingest path writes them (`store_near`, `neardup`). Then, in RUNS rounds, each
(size, workload) in turn, in a new process as a `watchcli fetch` is, on a fresh copy of its
store (in the OS page cache, SQLite's own cache empty): ENTRIES new entries of the last day go
through the fetch writer (`FetchRun._write_one`: the real `Ingester`, one transaction per
source), then the store is closed (its last checkpoint counts). Only this is timed.

Workloads (the same entries at every size; their own random seed, never the build's):

- plain: titles drawn from a Zipf vocabulary; a third of the entries rewrite an item of the
  last two days (the same words in another order, from another source), the rest are new;
- templated: the store and the entries are templated French titles and summaries — sentences
  recombined from a few word lists, job offers, alerts (bench/templates.py) — so that every
  lookup meets long lists of the same few words: the case that exploded in the first version;
- hot: as plain, but one item of the last day has 1,000 sightings from 1,000 sources, and a
  third of the entries are rewrites of that item: each of them is compared with it.

Prints, per (size, workload): the median per-entry wall and CPU time, the slowest single entry
(all runs), where the time goes, RSS and store size; then the ratios that matter: each size to
the smallest (does the cost grow with the store?), templated and hot to plain at each size (does
it grow with repetitive content, or with an item's history?). `--plans` prints the query plan of
every statement the entries ran, marking any full scan.
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
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.templates import CITIES, COUNTRIES, HAZARDS, LEVELS, MISSIONS, alert, job_offer
from bench.templates import recombined as recombined_title
from watchcli import dedupe, neardup
from watchcli.config import Config, Source
from watchcli.dates import iso
from watchcli.ingest import FetchRun, Ingester, settle_heap
from watchcli.models import Entry, FeedContent, FetchResult, Outcome
from watchcli.prepared import Packed
from watchcli.store import Store
from watchcli.store_near import DOCUMENTS, day_of, index_rows

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
SOURCES = 40
HOT_SIGHTINGS = 1000
NETWORKS = ("nord", "sud", "est", None)  # a quarter of the sources belong to no network
TAGS = ("eau", "sante", "climat", "migrations", "education")
SYLLABLES = [c + v for c in "bdfklmnrstvz" for v in "aeiou"]
CHUNK = 20_000  # items per build chunk
BUILD_VERSION = 6  # bump when what `build` writes changes, so that --keep rebuilds
WORKLOADS = ("plain", "templated", "hot")


def sources() -> tuple[Source, ...]:
    plain = tuple(
        Source(
            id=f"s{k}",
            url=f"https://s{k}.example.org/feed",
            network=NETWORKS[k % len(NETWORKS)],
            tags=(TAGS[k % len(TAGS)],),
        )
        for k in range(SOURCES)
    )
    hot = tuple(Source(id=f"h{k}", url=f"https://h{k}.example.org/feed") for k in range(1000))
    return plain + hot


def vocabulary(size: int = 30_000) -> list[str]:
    """Pseudo-words, drawn with Zipf frequencies as the words of real titles are."""
    rng = random.Random("vocabulary")
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


_CUMULATIVE: list[float] = []


def zipf_title(rng: random.Random, words: list[str]) -> str:
    """Nine content words, word of rank r drawn with weight 1 / (r + 200): the commonest
    appears in about one title in a hundred, as the commonest content words of news do."""
    if not _CUMULATIVE:
        total = 0.0
        for rank in range(len(words)):
            total += 1 / (rank + 200)
            _CUMULATIVE.append(total)
    picked = rng.choices(words, cum_weights=_CUMULATIVE, k=9)
    number = rng.choice(["", "", f" {rng.randint(2, 5000)}"])
    return " ".join(picked).capitalize() + number


def templated_text(rng: random.Random, i: int) -> tuple[str, str]:
    """A title and summary from the templates, one in three of each kind."""
    kind = i % 3
    if kind == 0:
        text = recombined_title(i // 1000, i % 1000, codes=False, seed=rng.randrange(10**9))
    elif kind == 1:
        text = job_offer(rng.choice(MISSIONS), rng.choice(CITIES))
    else:
        text = alert(
            rng.choice(HAZARDS), rng.choice(LEVELS), rng.choice(COUNTRIES), rng.randint(40, 79) / 10
        )
    return text.title, text.summary


def item_text(workload: str, rng: random.Random, words: list[str], i: int) -> tuple[str, str]:
    if workload == "templated":
        return templated_text(rng, i)
    title = zipf_title(rng, words)
    return title, f"{title}. Résumé de l'article {i}."


# --- building a store ----------------------------------------------------------------------


def _published(i: int, size: int, per_day: int) -> datetime:
    """Item i of SIZE (ids in date order), the last one dated NOW."""
    return NOW - timedelta(days=(size - i) / per_day)


def _chunk_rows(args: tuple[str, int, int, int, int]) -> dict[str, list]:
    """The rows of items start..end-1 (a worker process's share of the build)."""
    workload, start, end, size, per_day = args
    rng = random.Random(f"build:{workload}:{size}:{start}")
    words = vocabulary()
    networks = {s.id: s.network for s in sources()}
    rows: dict[str, list] = defaultdict(list)
    counts: Counter[tuple[str, int]] = Counter()
    since = day_of(NOW) - neardup.WEIGHT_DAYS
    for i in range(start, end):
        source = f"s{i % SOURCES}"
        when = _published(i, size, per_day)
        published = iso(when)
        title, body = item_text(workload, rng, words, i)
        url = f"https://{source}.example.org/{i}"
        rows["items"].append(
            (i, url, title, body, published, published, published, networks[source])
        )
        content = dedupe.content_hash(Entry(url, url, url, title, body, when, True))
        rows["sightings"].append(
            (i, i, source, url, url, dedupe.url_key(url), url, title, content, published, published)
        )
        rows["tags"].append((i, TAGS[i % SOURCES % len(TAGS)], "watchcli", published))
        text = neardup.match_text(title, body)
        rows["reps"].append((i, i, day_of(when), published, text.encode()))
        rows["tokens"] += index_rows(i, day_of(when), text)
        if day_of(when) >= since:
            counts.update((token, day_of(when)) for token in (DOCUMENTS, *text.text))
    rows["counts"] = [(token, day, n) for (token, day), n in counts.items()]
    return rows


def build(path: Path, workload: str, size: int, per_day: int) -> None:
    """SIZE items over SIZE / PER_DAY days up to NOW, with every row the ingest path writes;
    for `hot`, one item of the last day has HOT_SIGHTINGS sightings."""
    store = Store.open(path)
    conn = store.db.conn
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-1000000")  # the build only: 1 GB
    store.sync_sources(sources())
    base = "templated" if workload == "templated" else "plain"
    chunks = [
        (base, s, min(size, s + CHUNK - 1) + 1, size, per_day) for s in range(1, size + 1, CHUNK)
    ]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for rows in pool.map(_chunk_rows, chunks):
            with store.write():
                conn.executemany(
                    "INSERT INTO items (id, url, title, summary, published, first_seen,"
                    " updated, lang, network, assigned_by)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, 'fr', ?, 'watchcli')",
                    rows["items"],
                )
                conn.executemany(
                    "INSERT INTO sightings (id, item_id, source_id, guid, url, url_key, link,"
                    " title, content_hash, published, seen, how)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new')",
                    rows["sightings"],
                )
                conn.executemany(
                    "INSERT INTO item_tags (item_id, tag, by, at) VALUES (?, ?, ?, ?)", rows["tags"]
                )
                conn.executemany(
                    "INSERT INTO near_reps (sighting_id, item_id, day, published, text)"
                    " VALUES (?, ?, ?, ?, ?)",
                    rows["reps"],
                )
                conn.executemany(
                    "INSERT OR IGNORE INTO near_tokens (day, token, item_id) VALUES (?, ?, ?)",
                    rows["tokens"],
                )
                conn.executemany(
                    "INSERT INTO near_df (token, day, n) VALUES (?, ?, ?)"
                    " ON CONFLICT (token, day) DO UPDATE SET n = n + excluded.n",
                    rows["counts"],
                )
    if workload == "hot":
        _heat(store, size)
    store.set_setting("near_key_version", neardup.NEAR_KEY_VERSION)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()


def _heat(store: Store, size: int) -> None:
    """Give the last item HOT_SIGHTINGS sightings, one from each `h` source."""
    (title, published) = store.db.execute(
        "SELECT title, published FROM items WHERE id = ?", [size]
    ).fetchone()
    rows = [
        (size, f"h{k}", f"hot-{k}", f"https://h{k}.example.org/hot", title, "c", published, "near")
        for k in range(HOT_SIGHTINGS)
    ]
    with store.write():
        store.db.conn.executemany(
            "INSERT INTO sightings (item_id, source_id, guid, url, title, content_hash, seen,"
            " how) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


# --- the entries -----------------------------------------------------------------------------


def new_entries(path: Path, workload: str, count: int, size: int, per_day: int):
    """COUNT entries dated in the last day, the same at every size: a third rewrite a recent
    item (for `hot`, the hot one) from another source than the item's; the rest are new."""
    rng = random.Random(f"entries:{workload}")
    words = vocabulary()
    recent = list(range(max(1, size - 2 * per_day + 1), size + 1))
    rewrites = count // 3 + 1
    targets = (
        [size] * rewrites
        if workload == "hot"
        else rng.sample(recent, rewrites)
        if rewrites <= len(recent)
        else rng.choices(recent, k=rewrites)
    )
    with Store.open(path) as store:
        marks = ", ".join("?" * len(set(targets)))
        texts = {
            i: (title, summary)
            for i, title, summary in store.db.execute(
                f"SELECT id, title, summary FROM items WHERE id IN ({marks})", sorted(set(targets))
            )
        }
    out = []
    for n in range(count):
        published = NOW - timedelta(minutes=rng.randint(0, 1440))
        source = f"s{(n * 7) % SOURCES}"
        if n % 3 == 0:
            target = targets[n // 3]
            if workload == "templated":
                text, body = texts[target]  # the same offer, relayed by another source
            else:
                rewrite = texts[target][0].split()
                rng.shuffle(rewrite)  # same words, another order: a rewrite
                text, body = " ".join(rewrite), f"{' '.join(rewrite)}."
            source = f"s{(target + 1 + rng.randrange(SOURCES - 1)) % SOURCES}"  # not the item's
        else:
            text, body = item_text(workload, rng, words, 10**7 + n)
        url = f"https://{source}.example.org/new/{n}"
        out.append((source, Entry(url, url, url, text, body, published, True)))
    return out


# --- measuring -------------------------------------------------------------------------------

PARTS = {
    "exact keys": ("find_sighting", "find_item_by_url_key", "find_item_by_guid"),
    "near lookup": ("candidates", "representatives", "token_counts", "item_count"),
    "decision": ("match_text", "query_tokens", "decide"),
    "inserts": ("insert_item", "insert_sighting", "add_representative", "count_items"),
    "tags+assign": ("add_automatic_tags", "apply_automatic_assignment", "item_published"),
}


class Timer:
    """Adds up the time spent in wrapped functions (the outermost call only)."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)
        self._depth = 0

    def wrap(self, name: str, function: Callable) -> Callable:
        def timed(*args, **kwargs):
            if self._depth:
                return function(*args, **kwargs)
            self._depth += 1
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.spent[name] += time.perf_counter() - started
                self._depth -= 1

        return timed


def _instrument(store: Store, timer: Timer) -> None:
    for names in PARTS.values():
        for name in names:
            for owner in (store, store.near, neardup):
                if hasattr(owner, name):
                    setattr(owner, name, timer.wrap(name, getattr(owner, name)))
                    break


def _memory() -> dict[str, float]:
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


def _fresh_copy(base: Path, work: Path) -> None:
    """A copy of the built store, on disk and in the OS page cache (read through once)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(base, work)
    with work.open("rb") as f:
        os.fsync(f.fileno())
        while f.read(1 << 20):
            pass


def one_run(work: Path, workload: str, size: int, count: int, per_day: int, plans: bool) -> dict:
    """Ingest the entries into the store at `work` as a `watchcli fetch` process does."""
    entries = new_entries(work, workload, count, size, per_day)
    by_source: dict[str, list[Entry]] = defaultdict(list)
    for source_id, entry in entries:
        by_source[source_id].append(entry)
    config = Config(path=work.with_name("sources.toml"), sources=sources())
    store = Store.open(work)
    store.sync_sources(config.sources)
    fetch = FetchRun(store, config)
    fetch.ingester = Ingester(store, config, now=NOW)
    timer = Timer()
    _instrument(store, timer)
    times: list[float] = []
    store_new = fetch.ingester._store_new

    def timed_entry(*args, **kwargs):
        started = time.perf_counter()
        try:
            return store_new(*args, **kwargs)
        finally:
            times.append(time.perf_counter() - started)

    fetch.ingester._store_new = timed_entry  # type: ignore[method-assign]
    statements: list[str] = []
    if plans:
        store.db.conn.set_trace_callback(statements.append)
    settle_heap()  # as `FetchRun.run` does before its writes
    started, cpu = time.perf_counter(), time.process_time()
    for source_id, feed in by_source.items():
        source = config.source(source_id)
        assert source is not None
        fetch._write_one(
            source,
            FetchResult(source_id, Outcome.OK, 200, final_url=source.url, body_hash=source_id),
            Packed.of(FeedContent("rss", title=source_id, entries=tuple(feed))),
        )
    store.db.conn.set_trace_callback(None)
    store.close()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    memory = _memory()
    with Store.open(work) as store:
        (merged,) = store.db.execute(
            "SELECT count(*) FROM sightings WHERE url LIKE '%/new/%' AND how = 'near'"
        ).fetchone()
        plan_list = query_plans(store, statements)
    parts = {part: sum(timer.spent.get(n, 0.0) for n in names) for part, names in PARTS.items()}
    parts["rest"] = elapsed - sum(parts.values())
    return {
        "per_entry_ms": elapsed / count * 1000,
        "cpu_ms": cpu / count * 1000,
        "slowest_ms": max(times) * 1000,
        "slow_order": [i for i, t in enumerate(times) if t > 0.005],
        "parts_us": {k: v / count * 1e6 for k, v in parts.items()},
        "merged": merged,
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
        shape = re.sub(r"(SELECT \* FROM \(SELECT token.*?\))(?: UNION ALL \1)+", r"\1 …", shape)
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


def _summary(runs: list[dict]) -> dict:
    times = sorted(r["per_entry_ms"] for r in runs)
    median = statistics.median(times)
    middle = min(runs, key=lambda r: abs(r["per_entry_ms"] - median))
    return {
        "ms": median,
        "cpu": statistics.median(r["cpu_ms"] for r in runs),
        "range": (times[0], times[-1]),
        "slowest": max(r["slowest_ms"] for r in runs),
        "slow_order": [r["slow_order"] for r in runs],
        "middle": middle,
    }


def built_store(folder: Path, workload: str, size: int, per_day: int) -> Path:
    """The store of (workload, size, per_day) in `folder`, built there (in a process of its
    own) unless a store of this build and index version already is: the stores the other
    benches reuse."""
    version = f"v{BUILD_VERSION}-{neardup.NEAR_KEY_VERSION}"
    base = folder / f"scale-{workload}-{size}-{per_day}-{version}.db"
    if not base.exists():
        started = time.perf_counter()
        partial = base.with_suffix(".building")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{partial}{suffix}").unlink(missing_ok=True)
        command = [sys.executable, __file__, "--build", workload, str(size)]
        subprocess.run([*command, str(per_day), partial], check=True)
        partial.rename(base)
        print(f"built {workload} {size} in {time.perf_counter() - started:.0f} s", flush=True)
    return base


def main() -> None:
    parser = argparse.ArgumentParser(description="Per-entry ingest cost by size and workload.")
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--entries", type=int, default=500, help="entries ingested per run")
    parser.add_argument("--runs", type=int, default=3, help="runs per case (median reported)")
    parser.add_argument("--per-day", type=int, default=200, help="items stored a day")
    parser.add_argument("--keep", type=Path, help="keep the built stores here, and reuse them")
    parser.add_argument("--plans", action="store_true", help="print each statement's plan")
    parser.add_argument("--build", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--run", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        workload, size, per_day, path = args.build
        build(Path(path), workload, int(size), int(per_day))
        return
    if args.run:
        workload, size, work = args.run[0], int(args.run[1]), Path(args.run[2])
        result = one_run(work, workload, size, args.entries, args.per_day, args.plans)
        print(json.dumps(result))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    workloads = args.workloads.split(",")
    if min(sizes) / args.per_day < 4.5:
        parser.error(
            f"at {args.per_day} items a day the {min(sizes)}-item store does not cover the "
            "window of the entries (4 days back): lower --per-day or raise the smallest size"
        )
    cases = [(w, s) for s in sizes for w in workloads]
    with tempfile.TemporaryDirectory(prefix="watchcli-scale-") as tmp:
        folder = args.keep.resolve() if args.keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        bases = {}
        for workload, size in cases:
            base = bases[workload, size] = built_store(folder, workload, size, args.per_day)
            Store.open(base).close()  # migrations added since it was built, once
        print(
            f"{args.entries} entries per run ({args.entries // 3 + 1} rewrites), {args.runs} runs"
            f" per case taken in turns, stores grown at {args.per_day} items a day",
            flush=True,
        )
        work = Path(tmp) / "watch.db"
        runs: dict[tuple[str, int], list[dict]] = {case: [] for case in cases}
        for run in range(args.runs):
            for workload, size in cases:
                _fresh_copy(bases[workload, size], work)
                command = [sys.executable, __file__, "--run", workload, str(size), str(work)]
                command += ["--entries", str(args.entries), "--per-day", str(args.per_day)]
                command += ["--plans"] if args.plans and run == 0 else []
                done = subprocess.run(
                    command,
                    capture_output=True,
                    text=True,
                    env={**os.environ, "PYTHONHASHSEED": "0"},
                )
                if done.returncode:
                    sys.exit(f"the run of {workload} {size} failed:\n{done.stderr}")
                runs[workload, size].append(json.loads(done.stdout.strip().splitlines()[-1]))
    results = {case: _summary(runs[case]) for case in cases}
    print(
        f"{'workload':>10} {'items':>9} {'ms/entry':>8} {'cpu ms':>7} {'slowest':>8}"
        f" {'RSS MiB':>8} {'store MiB':>9} {'merged':>6}  where the time goes (µs/entry)"
    )
    for (workload, size), r in results.items():
        m = r["middle"]
        parts = ", ".join(f"{k} {v:.0f}" for k, v in m["parts_us"].items())
        print(
            f"{workload:>10} {size:>9} {r['ms']:8.3f} {r['cpu']:7.3f} {r['slowest']:8.2f}"
            f" {m['VmRSS']:8.1f} {m['db_mib']:9.1f} {m['merged']:6}  {parts}"
        )
    print()
    for (workload, size), r in results.items():
        over = [len(order) for order in r["slow_order"]]
        where = sorted({i for order in r["slow_order"] for i in order})[:8]
        print(f"{workload} {size}: entries over 5 ms per run {over}, at positions {where}")
    print()
    for workload in workloads:
        first = results[workload, sizes[0]]
        for size in sizes[1:]:
            r = results[workload, size]
            print(
                f"{workload} {size} / {sizes[0]}: time x{r['ms'] / first['ms']:.2f},"
                f" cpu x{r['cpu'] / first['cpu']:.2f}"
            )
    for size in sizes:
        plain = results.get(("plain", size))
        for workload in ("templated", "hot"):
            other = results.get((workload, size))
            if plain and other:
                print(
                    f"{workload} / plain at {size}: cpu x{other['cpu'] / plain['cpu']:.2f},"
                    f" slowest entry {other['slowest']:.2f} ms"
                )
    if args.plans:
        for (workload, size), rs in runs.items():
            for shape, plan in rs[0]["plans"]:
                scans = full_scans(plan)
                print(f"  {workload} {size}: {'FULL SCAN ' if scans else ''}{shape[:120]}")
                for line in plan:
                    print(f"        {line}")


if __name__ == "__main__":
    main()

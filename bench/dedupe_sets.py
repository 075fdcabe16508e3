"""The labelled evaluation sets of the near-duplicate stage, run through the real pipeline.

Each set is ingested into a fresh SQLite store by the real `Ingester` (or the real `FetchRun`
for the demo), then judged pair by pair against its labels:

- fixtures: `tests/fixtures/dedupe/stories.jsonl`, hand-written French and English entries
  (wire rewrites, institutional relays, hard negatives), one `story` label each;
- corpus: the French same-day feeds of 2025-02-10 in ../shared/corpus/feeds (read as fetch
  reads them), labelled in `tests/fixtures/dedupe/corpus_2025-02-10.json` (our labels only:
  file, GUID, cluster), skipped when the corpus is absent;
- demo: the bundled demo feeds, served on loopback and fetched, labelled by the JSON block of
  watchcli/demo/STORIES.md.

A pair is two entries of different sources. Positive: the same story (the same label, or the
same canonical URL or GUID, which is the same article). Pairs in two languages, and pairs a
label file calls `related` (same event, another angle), count neither way.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path

from watchcli.config import Config, DedupeSettings, Source, load_config
from watchcli.dates import utcnow
from watchcli.demo import load_feeds, serve_feeds, write_demo_config
from watchcli.ingest import FetchRun, Ingester, Match
from watchcli.models import Entry
from watchcli.parse import read_feed
from watchcli.store import Store

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "dedupe"
STORIES_MD = REPO / "watchcli" / "demo" / "STORIES.md"
CORPUS_DAY = "2025-02-10"
CORPUS_OUTLETS = ("franceinfo", "lefigaro", "liberation", "bfm", "elucid", "blast")
CORPUS_SEEN = datetime(2025, 2, 10, 12, 40, tzinfo=UTC)


def corpus_folder() -> Path | None:
    """../shared/corpus/feeds of the nearest folder above the repository that has one."""
    for parent in REPO.parents:
        folder = parent / "shared" / "corpus" / "feeds"
        if folder.is_dir():
            return folder
    return None


@dataclass
class Labelled:
    """One entry of a set: who published it, its label and language."""

    key: tuple[str, str]  # (source, guid)
    story: str
    lang: str = "fr"
    url: str = ""


@dataclass
class Score:
    name: str
    entries: int = 0
    items: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    false_merges: list[tuple[str, str]] = field(default_factory=list)
    misses: list[tuple[str, str]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def judge(
    name: str,
    entries: list[Labelled],
    item_of: dict[tuple[str, str], int],
    *,
    related: Iterable[frozenset[str]] = (),
    titles: dict[tuple[str, str], str] | None = None,
) -> Score:
    """Pairwise precision and recall of the items the pipeline made against the labels."""
    related_pairs = {frozenset((a, b)) for group in related for a, b in combinations(group, 2)}
    score = Score(name, entries=len(entries), items=len({item_of[e.key] for e in entries}))
    titles = titles or {}
    for a, b in combinations(entries, 2):
        if a.key[0] == b.key[0] or a.lang != b.lang:
            continue
        same = a.story == b.story or (a.url != "" and a.url == b.url)
        if not same and frozenset((a.story, b.story)) in related_pairs:
            continue
        merged = item_of[a.key] == item_of[b.key]
        shown = (titles.get(a.key, a.key[1]), titles.get(b.key, b.key[1]))
        if same and merged:
            score.tp += 1
        elif merged:
            score.fp += 1
            score.false_merges.append(shown)
        elif same:
            score.fn += 1
            score.misses.append(shown)
    return score


def _config(sources: Iterable[str], folder: Path, *, threshold: float = 0.0) -> Config:
    return Config(
        path=folder / "sources.toml",
        sources=tuple(Source(id=s, url=f"https://{s}.example.org/feed") for s in sources),
        dedupe=DedupeSettings(threshold=threshold),
    )


def ingest(
    store: Store,
    config: Config,
    batches: Iterable[tuple[str, list[Entry]]],
    now: datetime,
    *,
    ingester: Ingester | None = None,
) -> None:
    """Store each (source, entries) batch as one fetch would, in the order given."""
    ingester = ingester or Ingester(store, config)
    for source_id, batch in batches:
        source = config.source(source_id)
        assert source is not None
        with store.write():
            ingester.store_entries(source, tuple(batch), lang=None, now=now)


def item_map(store: Store) -> dict[tuple[str, str], int]:
    rows = store.db.execute("SELECT source_id, guid, item_id FROM sightings").fetchall()
    return {(source, guid): item for source, guid, item in rows}


@contextmanager
def temp_store() -> Iterator[tuple[Store, Path]]:
    with tempfile.TemporaryDirectory(prefix="watchcli-dedupe-") as tmp:
        folder = Path(tmp)
        with Store.open(folder / "watch.db") as store:
            yield store, folder


# --- fixtures -------------------------------------------------------------------------------


def load_fixtures(path: Path = FIXTURES / "stories.jsonl") -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def fixture_entry(row: dict) -> Entry:
    url = f"https://{row['source']}.example.org/{row['id']}"
    return Entry(
        guid=url,
        url=url,
        link=url,
        title=row["title"],
        summary=row["summary"],
        published=datetime.fromisoformat(row["date"]),
        dated=True,
    )


def run_fixtures(*, threshold: float = 0.0) -> Score:
    rows = sorted(load_fixtures(), key=lambda r: r["date"])
    with temp_store() as (store, folder):
        config = _config(sorted({r["source"] for r in rows}), folder, threshold=threshold)
        # Entries arrive one by one in date order: each source's feed as the hours go by.
        ingest(store, config, ((r["source"], [fixture_entry(r)]) for r in rows), utcnow())
        item_of = item_map(store)
    entries = [Labelled((r["source"], fixture_entry(r).guid), r["story"], r["lang"]) for r in rows]
    titles = {(r["source"], fixture_entry(r).guid): r["title"] for r in rows}
    return judge("fixtures", entries, item_of, titles=titles)


# --- corpus ---------------------------------------------------------------------------------


def corpus_files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.glob(f"*_{CORPUS_DAY}.xml")
        if p.name.startswith(CORPUS_OUTLETS) and "HTML" not in p.name
    )


def read_corpus(folder: Path) -> dict[str, list[Entry]]:
    """Each file of the same-day set as a source (its name without the date)."""
    out = {}
    for path in corpus_files(folder):
        source = path.name.removesuffix(f"_{CORPUS_DAY}.xml")
        content = read_feed(path.read_bytes(), "", f"https://{source}.example.org/", CORPUS_SEEN)
        out[source] = list(content.entries)
    return out


class _OracleIngester(Ingester):
    """The real pipeline with a perfect verifier: an entry joins an item that holds an entry of
    its labelled story, unless its source is already on that item (the same-source rule)."""

    def __init__(self, store: Store, config: Config, story_of: dict[tuple[str, str], str]):
        super().__init__(store, config)
        self.story_of = story_of

    def match_near(self, source: Source, entry: Entry, text: object, keys: object = None) -> Match:
        story = self.story_of.get((source.id, entry.guid))
        if story is None:
            return Match(None, "new", None)
        rows = self.store.db.execute("SELECT item_id, source_id, guid, id FROM sightings")
        items: dict[int, list[tuple[str, str, int]]] = defaultdict(list)
        for item, source_id, guid, sighting in rows.fetchall():
            items[item].append((source_id, guid, sighting))
        for item, sightings in items.items():
            if any(s == source.id for s, _, _ in sightings):
                continue
            if any(self.story_of.get((s, g)) == story for s, g, _ in sightings):
                published = self.store.item_published(item)
                return Match(item, "near", 1.0, sightings[0][2], published)
        return Match(None, "new", None)


def run_corpus(folder: Path, *, threshold: float = 0.0, oracle: bool = False) -> Score:
    """The corpus set; with `oracle`, the ceiling: what a perfect verifier would score under the
    same-source rule (a feed that carries one story twice under two URLs keeps two items)."""
    labels = json.loads((FIXTURES / f"corpus_{CORPUS_DAY}.json").read_text("utf-8"))
    feeds = read_corpus(folder)
    story_of: dict[tuple[str, str], str] = {}
    for cluster, members in labels["clusters"].items():
        for source, guid in members:
            story_of[(source, guid)] = cluster
    with temp_store() as (store, tmp):
        config = _config(sorted(feeds), tmp, threshold=threshold)
        ingester = _OracleIngester(store, config, story_of) if oracle else None
        ingest(store, config, sorted(feeds.items()), CORPUS_SEEN, ingester=ingester)
        item_of = item_map(store)
    entries = []
    titles = {}
    for source, batch in feeds.items():
        for entry in batch:
            key = (source, entry.guid)
            if key in {e.key for e in entries[-len(batch) :]}:
                continue  # a GUID twice in one feed is one entry
            entries.append(
                Labelled(key, story_of.get(key, f"{source}|{entry.guid}"), "fr", entry.url)
            )
            titles[key] = f"[{source}] {entry.title}"
    related = [frozenset(group) for group in labels.get("related", [])]
    name = "ceiling" if oracle else "corpus"
    return judge(name, _same_article(entries), item_of, related=related, titles=titles)


def _same_article(entries: list[Labelled]) -> list[Labelled]:
    """Entries with the same GUID anywhere are one article: give them one story label."""
    by_guid: dict[str, str] = {}
    for entry in entries:
        by_guid.setdefault(entry.key[1], entry.story)
    return [
        Labelled(e.key, e.story if not e.story.count("|") else by_guid[e.key[1]], e.lang, e.url)
        for e in entries
    ]


# --- demo -----------------------------------------------------------------------------------


def demo_labels() -> tuple[dict[tuple[str, str], str], list[tuple[str, str, str, str]]]:
    """Cluster label by (source, guid) from STORIES.md, and its hard-negative pairs."""
    text = STORIES_MD.read_text("utf-8")
    block = re.search(r"```json\n(.*?)```", text, re.S)
    assert block, "STORIES.md lost its machine-readable list"
    data = json.loads(block.group(1))
    story_of: dict[tuple[str, str], str] = {}
    for group in ("same_url", "near_duplicates"):
        for name, story in data[group].items():
            for entry in story["entries"]:
                story_of[(entry["source"], entry["guid"])] = name
    negatives = []
    for case in data["hard_negatives"].values():
        for a in case["story"]:
            for b in case["different_story"]:
                negatives.append((a["source"], a["guid"], b["source"], b["guid"]))
    return story_of, negatives


def fetch_demo(store_path: Path, *, threshold: float = 0.0) -> dict[tuple[str, str], int]:
    """The real fetch of the demo feeds from a loopback server into `store_path`."""
    with serve_feeds(load_feeds(utcnow())) as base_url:
        config_path = store_path.parent / "sources.toml"
        config = load_config(write_demo_config(config_path, base_url, store_path))
        if threshold:
            config = Config(**{**config.__dict__, "dedupe": DedupeSettings(threshold=threshold)})
        with Store.open(store_path) as store:
            FetchRun(store, config).run()
            return item_map(store)


def run_demo(*, threshold: float = 0.0) -> Score:
    story_of, _ = demo_labels()
    with tempfile.TemporaryDirectory(prefix="watchcli-demo-eval-") as tmp:
        item_of = fetch_demo(Path(tmp) / "watch.db", threshold=threshold)
    entries = [Labelled(key, story_of.get(key, f"{key[0]}|{key[1]}")) for key in item_of]
    return judge("demo", entries, item_of)


def clusters(item_of: dict[tuple[str, str], int]) -> dict[int, list[tuple[str, str]]]:
    out: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for key, item in item_of.items():
        out[item].append(key)
    return out

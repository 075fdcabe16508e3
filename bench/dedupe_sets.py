"""The labelled sets of the near-duplicate stage: what the model is fitted on, and what it is
only ever measured on.

Two kinds of sets:

- **streams**: collections of entries as feeds deliver them (title, summary, source, date),
  labelled by story. They are ingested by the real pipeline into a fresh SQLite store in one
  canonical order (date, source, id) and judged pair by pair: a pair is two entries, from two
  sources or from one; positive when they have the same story label (or the same canonical
  URL, which is the same article); pairs a label file calls `related` (the same event from
  another angle) count neither way.
- **pairs**: sentence pairs with a graded similarity (STS-B), judged one
  pair at a time by the pure decision (`neardup`), the index's candidate rule included, with
  the weights a store holding that set's texts would give.

Fit (the model's coefficients, its threshold and every rule were chosen looking at these only):

- `fixtures`: `tests/fixtures/dedupe/stories.jsonl`, hand-written French and English entries;
- `corpus-2025-02-10`: the French same-day feeds of ../shared/corpus/feeds, labels in
  `tests/fixtures/dedupe/corpus_2025-02-10.json` (same-outlet pairs included);
- `en-2023-05-03`: one day of 13 English outlets (656 entries, with summaries), labels in
  `tests/fixtures/dedupe/en-same-day_2023-05-03.json`;
- `templated`: real alert and job feeds (GDACS, UNHCR jobs) from ../shared/corpus/feeds, where
  every GUID is its own event: the same source telling different events with one template;
- `googlenews-fr-2020-01-10-fit`: half of one day of French Google News titles (below);
- `stsb-{train,dev}-{en,fr}`: STS-B news headlines (English, and its French translation).

Held out (never fitted or tuned on; rules were not written looking at them):

- `stsb-test-{en,fr}`;
- `googlenews-fr-2020-01-10-test`: the other half of that day. The whole day (3,974
  articles) was labelled before the matcher ran on it, labels in
  `tests/fixtures/dedupe/googlenews-fr_2020-01-10.json`; a story lies wholly in one half.

SemEval-2022 Task 8 is not used: its original pairs hold 17 French ones and 161 English ones
among seven languages, its "Overall" grade is about whole articles ("very similar" covers two
articles on one topic written days apart), and its texts open on site boilerplate where a
title should be, so its labels answer another question than "one story, read once".
`semeval()` stays to look at it.

Graded pairs become labels so: STS-B 4–5 ("mostly" to "completely equivalent") is the same
story, below 2 ("not equivalent", at most the same topic) another; 2–4 (shares details,
roughly equivalent) counts neither way, as `related` does in the streams. SemEval's Overall is
1 (very similar) to 4: at most 1.5 the same story, 3 and more another.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path

from watchcli import neardup
from watchcli.parse import read_feed

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "dedupe"
STORIES_MD = REPO / "watchcli" / "demo" / "STORIES.md"
CORPUS_DAY = "2025-02-10"
CORPUS_OUTLETS = ("franceinfo", "lefigaro", "liberation", "bfm", "elucid", "blast")
CORPUS_SEEN = datetime(2025, 2, 10, 12, 40, tzinfo=UTC)
TEMPLATED_FEEDS = (
    "gdacs-rss-7d_2019-12-30.xml",
    "gdacs-archive-orange-alerts_2016-04-09.xml",
    "gdacs-archive-india_2016-04-09.xml",
    "unhcr-jobs-via-cinfoposte_2026-07-23.xml",
)
STS_SAME, STS_OTHER = 4.0, 2.0
SEMEVAL_SAME, SEMEVAL_OTHER = 1.5, 3.0
SEMEVAL_LANGS = ("en", "fr", "de", "es")
IMPUTED_HOURS = 6.0  # pair sets say nothing of time: a typical gap between two outlets


def corpus_root() -> Path | None:
    """../shared/corpus of the nearest folder above the repository that has one."""
    for parent in REPO.parents:
        folder = parent / "shared" / "corpus"
        if (folder / "feeds").is_dir():
            return folder
    return None


def corpus_folder() -> Path | None:
    """../shared/corpus/feeds, when it is there."""
    root = corpus_root()
    return root / "feeds" if root else None


@dataclass(frozen=True)
class Doc:
    """One entry of a stream set."""

    source: str
    guid: str
    title: str
    summary: str
    published: datetime
    story: str  # its label; an entry of its own has a label of its own
    url: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.guid)


@dataclass
class Stream:
    name: str
    role: str  # "fit" or "held-out"
    docs: list[Doc]
    related: set[frozenset[str]] = field(default_factory=set)  # story pairs that count neither way

    def ordered(self) -> list[Doc]:
        """The canonical order of ingestion: by date, then source, then id."""
        return sorted(self.docs, key=lambda d: (d.published, d.source, d.guid))

    def fetches(self) -> list[list[Doc]]:
        """The entries as hourly fetches would bring them: for each hour, each source's
        entries of that hour in one batch (sources in order), in canonical order."""
        batches: dict[tuple[datetime, str], list[Doc]] = defaultdict(list)
        for doc in self.ordered():
            hour = doc.published.replace(minute=0, second=0, microsecond=0)
            batches[(hour, doc.source)].append(doc)
        return [batches[key] for key in sorted(batches)]


@dataclass(frozen=True)
class Pair:
    a: tuple[str, str]  # (title, summary)
    b: tuple[str, str]
    same: bool


@dataclass
class Pairs:
    name: str
    role: str
    pairs: list[Pair]


# --- streams --------------------------------------------------------------------------------


def fixtures() -> Stream:
    rows = [
        json.loads(line)
        for line in (FIXTURES / "stories.jsonl").read_text("utf-8").splitlines()
        if line.strip()
    ]
    docs = []
    for row in rows:
        url = f"https://{row['source']}.example.org/{row['id']}"
        published = datetime.fromisoformat(row["date"])
        docs.append(
            Doc(row["source"], url, row["title"], row["summary"], published, row["story"], url)
        )
    return Stream("fixtures", "fit", docs)


def _feed_docs(path: Path, source: str, seen: datetime) -> list[Doc]:
    content = read_feed(path.read_bytes(), "", f"https://{source}.example.org/", seen)
    docs, guids = [], set()
    for entry in content.entries:
        if entry.guid in guids:
            continue  # a GUID twice in one feed is one entry
        guids.add(entry.guid)
        docs.append(
            Doc(
                source,
                entry.guid,
                entry.title,
                entry.summary,
                entry.published,
                f"{source}|{entry.guid}",
                entry.url,
            )
        )
    return docs


def _labelled(name: str, role: str, docs: list[Doc], labels: dict) -> Stream:
    """`docs` with the story labels of a label file ({cluster: [[source, id], …]} or
    {cluster: [id, …]}), entries sharing a GUID or a canonical URL being one article."""
    story_of: dict[tuple[str, str] | str, str] = {}
    for cluster, members in labels["clusters"].items():
        for member in members:
            story_of[tuple(member) if isinstance(member, list) else member] = cluster
    article: dict[str, str] = {}
    out = []
    for doc in docs:
        story = story_of.get(doc.key) or story_of.get(doc.guid)
        for handle in (doc.guid, doc.url):
            if handle and story is None:
                story = article.get(handle)
        story = story or doc.story
        for handle in (doc.guid, doc.url):
            if handle:
                article.setdefault(handle, story)
        out.append(Doc(doc.source, doc.guid, doc.title, doc.summary, doc.published, story, doc.url))
    related = {
        frozenset((a, b))
        for group in labels.get("related", [])
        for a, b in combinations(group, 2)
        if a != b
    }
    return Stream(name, role, out, related)


def corpus_day(root: Path) -> Stream:
    docs: list[Doc] = []
    for path in sorted((root / "feeds").glob(f"*_{CORPUS_DAY}.xml")):
        if path.name.startswith(CORPUS_OUTLETS) and "HTML" not in path.name:
            docs += _feed_docs(path, path.name.removesuffix(f"_{CORPUS_DAY}.xml"), CORPUS_SEEN)
    labels = json.loads((FIXTURES / f"corpus_{CORPUS_DAY}.json").read_text("utf-8"))
    return _labelled(f"corpus-{CORPUS_DAY}", "fit", docs, labels)


def templated(root: Path) -> Stream:
    """Alert and job feeds: one template, a different event for every GUID."""
    docs: list[Doc] = []
    for name in TEMPLATED_FEEDS:
        path = root / "feeds" / name
        if path.exists():
            docs += _feed_docs(path, name.split("_")[0], CORPUS_SEEN)
    return _labelled("templated", "fit", docs, {"clusters": {}})


def googlenews(root: Path) -> list[Stream]:
    """One day of French Google News titles, each article its own source (the file does not
    say which outlet), in two halves: `-fit`, fitted on like the other fit sets, and `-test`,
    only ever measured. A story (a cluster, with the clusters `related` to it) lies wholly in
    one half, chosen by a hash of its name; an article in no cluster, by a hash of its id."""
    labels_path = FIXTURES / "googlenews-fr_2020-01-10.json"
    if not labels_path.exists():
        return []
    path = root / "dedup-datasets" / "googlenews-fr-titles-unlabeled_2020-01-10.csv"
    first: dict[str, list[str]] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.reader(f):
            oid = re.sub(r"^ObjectId\((\w+)\)$", r"\1", row[2])
            first.setdefault(oid, row)
    docs = [
        Doc(
            f"g{oid[-8:]}",
            oid,
            row[0],
            "",
            datetime.fromisoformat(row[1]).replace(tzinfo=UTC),
            oid,
        )
        for oid, row in first.items()
    ]
    labels = json.loads(labels_path.read_text("utf-8"))
    whole = _labelled("googlenews-fr-2020-01-10", "held-out", docs, labels)
    group = _story_groups(labels)
    halves: dict[str, list[Doc]] = {"fit": [], "test": []}
    for doc in whole.docs:
        name = group.get(doc.story, doc.story)
        half = "fit" if hashlib.blake2b(name.encode(), digest_size=1).digest()[0] % 2 else "test"
        halves[half].append(doc)
    return [
        Stream(f"{whole.name}-{half}", "fit" if half == "fit" else "held-out", docs, whole.related)
        for half, docs in halves.items()
    ]


def _story_groups(labels: dict) -> dict[str, str]:
    """Each cluster's group: the clusters joined by `related`, named by the least name."""
    parent = {name: name for name in labels["clusters"]}

    def root(name: str) -> str:
        while parent.setdefault(name, name) != name:
            name = parent[name]
        return name

    for group in labels.get("related", []):
        for other in group[1:]:
            a, b = root(group[0]), root(other)
            parent[max(a, b)] = min(a, b)
    return {name: root(name) for name in parent}


def english_day(root: Path) -> Stream | None:
    labels_path = FIXTURES / "en-same-day_2023-05-03.json"
    if not labels_path.exists():
        return None
    docs: list[Doc] = []
    for path in sorted((root / "dedup-datasets" / "rss-link-db-en-same-day_2023-05-03").iterdir()):
        source = path.name.removesuffix("_entries.json")
        seen = set()
        for row in json.loads(path.read_text("utf-8")):
            if row["link"] in seen:
                continue
            seen.add(row["link"])
            published = datetime.fromisoformat(row["date_published"])
            summary = _text(row.get("description") or "")
            docs.append(
                Doc(
                    source,
                    row["link"],
                    _text(row["title"]),
                    summary,
                    published,
                    f"{source}|{row['link']}",
                    row["link"],
                )
            )
    labels = json.loads(labels_path.read_text("utf-8"))
    # Labels name entries by (file stem, link); a link is the entry's GUID here.
    return _labelled("en-2023-05-03", "fit", docs, labels)


def _text(html: str) -> str:
    from watchcli.text import clean_text, html_to_text

    return clean_text(html_to_text(html))


def streams(root: Path | None = None, *, held_out: bool = True) -> list[Stream]:
    """Every stream set that is here: fixtures always, the corpus ones when it is there."""
    out = [fixtures()]
    root = root or corpus_root()
    if root:
        out += [corpus_day(root), templated(root)]
        out += [s for s in (english_day(root),) if s]
        out += [s for s in googlenews(root) if held_out or s.role == "fit"]
    return out


# --- pairs ----------------------------------------------------------------------------------


def stsb(root: Path, split: str, lang: str) -> Pairs:
    """The news-headline pairs of STS-B; the French rows are aligned one to one with the
    English ones, so the genre of row i in English says which French rows are headlines."""
    folder = root / "dedup-datasets"
    with (folder / f"stsbenchmark_sts-{split}.csv").open(encoding="utf-8") as f:
        english = [line.rstrip("\n").split("\t") for line in f]
    with (folder / f"stsb-multi-mt_fr-{split}.csv").open(encoding="utf-8", newline="") as f:
        french = list(csv.reader(f))
    assert len(english) == len(french), "STS-B files out of step"
    pairs = []
    for en, fr in zip(english, french, strict=True):
        if en[:2] != ["main-news", "headlines"]:
            continue
        score = float(en[4])
        if STS_OTHER <= score < STS_SAME:
            continue
        a, b = (en[5], en[6]) if lang == "en" else (fr[0], fr[1])
        pairs.append(Pair((a, ""), (b, ""), score >= STS_SAME))
    role = "held-out" if split == "test" else "fit"
    return Pairs(f"stsb-{split}-{lang}", role, pairs)


def _title_and_body(text: str) -> tuple[str, str]:
    """SemEval texts run the title into the body; a double space or a newline parts them, else
    the first sentence is the title."""
    text = text.strip()
    for mark in ("  ", "\n"):
        cut = text.find(mark)
        if 0 < cut < 250:
            return text[:cut].strip(), text[cut:].strip()
    match = re.search(r"[.!?](?:\s|$)", text[:250])
    cut = match.end() if match else min(len(text), 120)
    return text[:cut].strip(), text[cut:].strip()


def semeval(root: Path) -> Pairs:
    path = root / "dedup-datasets" / "semeval2022-task8_hfl-example-with-texts_training_set.csv"
    pairs = []
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            original = row["pair_id"].replace("_", "").isdigit()
            if not original or row["lang1"] != row["lang2"] or row["lang1"] not in SEMEVAL_LANGS:
                continue
            overall = float(row["Overall"])
            if SEMEVAL_SAME < overall < SEMEVAL_OTHER:
                continue
            pairs.append(
                Pair(
                    _title_and_body(row["text1"]),
                    _title_and_body(row["text2"]),
                    overall <= SEMEVAL_SAME,
                )
            )
    return Pairs("semeval-train", "fit", pairs)


def pair_sets(root: Path | None = None, *, held_out: bool = True) -> list[Pairs]:
    root = root or corpus_root()
    if not root:
        return []
    out = [stsb(root, split, lang) for split in ("train", "dev") for lang in ("en", "fr")]
    if held_out:
        out += [stsb(root, "test", lang) for lang in ("en", "fr")]
    return out


def retrieved(a: neardup.MatchText, b: neardup.MatchText, weights: neardup.Weights) -> bool:
    """Whether the index would propose `b` to `a` (or `a` to `b`: whichever came first)."""
    for x, y in ((a, b), (b, a)):
        asked = neardup.query_tokens(x, weights)
        shared = set(asked) & set(neardup.index_tokens(y))
        rarest = max(map(weights, shared), default=0.0) / weights.top
        if neardup.is_candidate(len(shared), len(asked), rarest):
            return True
    return False


# --- scoring --------------------------------------------------------------------------------


@dataclass
class Score:
    name: str
    role: str = "fit"
    entries: int = 0
    items: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    same_source_tp: int = 0
    same_source_fn: int = 0
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

    def count(self, same: bool, merged: bool, shown: tuple[str, str], same_source: bool) -> None:
        if same and merged:
            self.tp += 1
            self.same_source_tp += same_source
        elif merged:
            self.fp += 1
            self.false_merges.append(shown)
        elif same:
            self.fn += 1
            self.same_source_fn += same_source
            self.misses.append(shown)


def judge(stream: Stream, item_of: dict[tuple[str, str], int]) -> Score:
    """Pairwise precision and recall of the items the pipeline made against the labels."""
    docs = [d for d in stream.docs if d.key in item_of]
    score = Score(stream.name, stream.role, len(docs), len({item_of[d.key] for d in docs}))
    by_item: dict[int, list[Doc]] = defaultdict(list)
    by_story: dict[str, list[Doc]] = defaultdict(list)
    for doc in docs:
        by_item[item_of[doc.key]].append(doc)
        by_story[doc.story].append(doc)
    # Only pairs that are merged or labelled the same can count: walk those, not all pairs.
    seen: set[tuple[tuple[str, str], tuple[str, str]]] = set()
    for group in (*by_item.values(), *by_story.values()):
        for a, b in combinations(group, 2):
            pair = (a.key, b.key) if a.key < b.key else (b.key, a.key)
            if pair in seen:
                continue
            seen.add(pair)
            same = a.story == b.story or (a.url != "" and a.url == b.url)
            if not same and frozenset((a.story, b.story)) in stream.related:
                continue
            shown = (f"[{a.source}] {a.title}", f"[{b.source}] {b.title}")
            score.count(same, item_of[a.key] == item_of[b.key], shown, a.source == b.source)
    return score


def clusters(item_of: dict[tuple[str, str], int]) -> dict[int, list[tuple[str, str]]]:
    out: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for key, item in item_of.items():
        out[item].append(key)
    return out


# --- the demo -------------------------------------------------------------------------------


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

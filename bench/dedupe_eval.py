"""Precision, recall and F1 of the near-duplicate stage: fit sets and held-out sets side by side.

    python bench/dedupe_eval.py [--threshold T] [--show SET]

Stream sets (bench/dedupe_sets.py) go through the real pipeline: the real `Ingester` into a
fresh SQLite store, one entry at a time in their canonical order (date, source, id), as hourly
fetches would bring them; the demo feeds through the real `fetch` from a loopback server. Then
every pair of entries, from two sources or from one, is judged against the labels. Pair sets
(STS-B) are judged pair by pair with the pure decision and the index's candidate rule.
`--show SET` lists that set's false merges and misses. Held-out sets were labelled before the
matcher ran on them and are never used to fit or tune it (bench/dedupe_fit.py).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.dedupe_sets import (
    IMPUTED_HOURS,
    Doc,
    Pairs,
    Score,
    Stream,
    demo_labels,
    judge,
    pair_sets,
    retrieved,
    streams,
)
from watchcli import neardup
from watchcli.config import Config, DedupeSettings, Source, load_config
from watchcli.dates import utcnow
from watchcli.demo import load_feeds, serve_feeds, write_demo_config
from watchcli.ingest import FetchRun, Ingester
from watchcli.models import Entry
from watchcli.store import Store


def item_map(store: Store) -> dict[tuple[str, str], int]:
    rows = store.db.execute("SELECT source_id, guid, item_id FROM sightings").fetchall()
    return {(source, guid): item for source, guid, item in rows}


def ingest_stream(stream: Stream, *, threshold: float = 0.0) -> dict[tuple[str, str], int]:
    """The stream's entries through the real Ingester, in hourly fetches (`Stream.fetches`)."""
    docs = stream.ordered()
    now = max(d.published for d in docs) + timedelta(hours=1)
    with tempfile.TemporaryDirectory(prefix="watchcli-eval-") as tmp:
        config = Config(
            path=Path(tmp) / "sources.toml",
            sources=tuple(
                Source(id=s, url=f"https://{s}.example.org/feed")
                for s in sorted({d.source for d in docs})
            ),
            dedupe=DedupeSettings(threshold=threshold),
        )
        with Store.open(Path(tmp) / "watch.db") as store:
            ingester = Ingester(store, config, now=now)
            for batch in stream.fetches():
                source = config.source(batch[0].source)
                assert source is not None
                entries = tuple(
                    Entry(d.guid, d.url, d.url, d.title, d.summary, d.published, True)
                    for d in batch
                )
                with store.write():
                    ingester.store_entries(source, entries, lang=None, now=now)
            return item_map(store)


def judge_pairs(pairs: Pairs, *, threshold: float = 0.0) -> Score:
    threshold = threshold or neardup.MODEL.threshold
    texts = [(neardup.match_text(*p.a), neardup.match_text(*p.b)) for p in pairs.pairs]
    weights = neardup.Weights.of_texts(t for both in texts for t in both)
    score = Score(pairs.name, pairs.role, entries=2 * len(texts))
    for pair, (a, b) in zip(pairs.pairs, texts, strict=True):
        verdict = neardup.decide(a, b, weights, hours_apart=IMPUTED_HOURS)
        merged = (
            retrieved(a, b, weights) and verdict.reason is None and verdict.probability >= threshold
        )
        score.count(pair.same, merged, (pair.a[0], pair.b[0]), False)
    return score


def fetch_demo(store_path: Path, *, threshold: float = 0.0) -> dict[tuple[str, str], int]:
    """The real fetch of the demo feeds from a loopback server into `store_path`."""
    with serve_feeds(load_feeds(utcnow())) as base_url:
        config = load_config(
            write_demo_config(store_path.parent / "sources.toml", base_url, store_path)
        )
        if threshold:
            config = Config(**{**config.__dict__, "dedupe": DedupeSettings(threshold=threshold)})
        with Store.open(store_path) as store:
            FetchRun(store, config).run()
            return item_map(store)


def run_demo(*, threshold: float = 0.0) -> Score:
    story_of, _ = demo_labels()
    with tempfile.TemporaryDirectory(prefix="watchcli-demo-eval-") as tmp:
        item_of = fetch_demo(Path(tmp) / "watch.db", threshold=threshold)
    docs = [
        Doc(source, guid, guid, "", utcnow(), story_of.get((source, guid), f"{source}|{guid}"))
        for source, guid in item_of
    ]
    return judge(Stream("demo", "fit", docs), item_of)


def fit_scores(threshold: float = 0.0) -> list[Score]:
    """The scores of every fit set (bench/dedupe_fit.py sweeps its threshold on these)."""
    scores = [judge(s, ingest_stream(s, threshold=threshold)) for s in streams(held_out=False)]
    scores.append(run_demo(threshold=threshold))
    scores += [judge_pairs(p, threshold=threshold) for p in pair_sets(held_out=False)]
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description="Near-duplicate precision and recall.")
    parser.add_argument("--threshold", type=float, default=0.0, help="0: the default")
    parser.add_argument("--show", metavar="SET", help="list this set's false merges and misses")
    parser.add_argument("--fit-only", action="store_true", help="leave the held-out sets out")
    parser.add_argument("--brief", action="store_true", help="one line a set: P, R, F1")
    args = parser.parse_args()
    held_out = not args.fit_only
    threshold = args.threshold or neardup.MODEL.threshold
    print(f"near-duplicate threshold {threshold:.3f}, window ±3 days")
    scores = [judge(s, ingest_stream(s, threshold=threshold)) for s in streams(held_out=held_out)]
    scores.append(run_demo(threshold=threshold))
    scores += [judge_pairs(p, threshold=threshold) for p in pair_sets(held_out=held_out)]
    if args.brief:
        for s in scores:
            print(f"{s.name} P {s.precision:.3f} R {s.recall:.3f} F1 {s.f1:.3f}")
        return
    print(
        f"{'set':26} {'role':8} {'entries':>7} {'items':>6} {'same':>5} {'TP':>5} {'FP':>4}"
        f" {'FN':>4} {'P':>6} {'R':>6} {'F1':>6} {'same-src R':>10}"
    )
    for s in sorted(scores, key=lambda s: (s.role != "fit", s.name)):
        same_source = s.same_source_tp + s.same_source_fn
        print(
            f"{s.name:26} {s.role:8} {s.entries:7} {s.items or '':>6} {s.tp + s.fn:5} {s.tp:5}"
            f" {s.fp:4} {s.fn:4} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f}"
            + (f" {s.same_source_tp / same_source:10.3f}" if same_source else "")
        )
    if args.show:
        for s in scores:
            if s.name == args.show:
                for label, pairs in (("false merges", s.false_merges), ("misses", s.misses)):
                    print(f"\n{s.name}: {label}")
                    for a, b in pairs:
                        print(f"  {a}\n    = {b}")


if __name__ == "__main__":
    main()

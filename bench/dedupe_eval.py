"""Precision, recall and F1 of the near-duplicate stage on each labelled set.

    python bench/dedupe_eval.py [--threshold T] [--show] [--ceiling]

Runs the real pipeline (Ingester or FetchRun into a temporary SQLite store) on the fixtures,
the 2025-02-10 French corpus (when ../shared/corpus is there) and the demo feeds, then judges
every pair of entries from different sources against the labels (see bench/dedupe_sets.py).
--show lists the false merges and the misses. --ceiling adds the corpus run with a perfect
verifier: the recall the same-source rule leaves reachable (a feed that carries one story under
two URLs keeps two items, and a third source can join only one of them).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.dedupe_sets import Score, corpus_folder, run_corpus, run_demo, run_fixtures
from watchcli import neardup


def main() -> None:
    parser = argparse.ArgumentParser(description="Near-duplicate precision and recall.")
    parser.add_argument("--threshold", type=float, default=0.0, help="0: the default")
    parser.add_argument("--show", action="store_true", help="list false merges and misses")
    parser.add_argument(
        "--ceiling", action="store_true", help="also the corpus with a perfect verifier"
    )
    args = parser.parse_args()
    threshold = args.threshold or neardup.DEFAULT_THRESHOLD
    print(f"near-duplicate threshold {threshold:.2f}, window ±3 days")
    scores = [run_fixtures(threshold=threshold)]
    folder = corpus_folder()
    if folder:
        scores.append(run_corpus(folder, threshold=threshold))
        if args.ceiling:
            scores.append(run_corpus(folder, threshold=threshold, oracle=True))
    else:
        print("corpus: skipped (no ../shared/corpus/feeds)")
    scores.append(run_demo(threshold=threshold))
    print(
        f"{'set':9} {'entries':>7} {'items':>6} {'same':>5} {'TP':>4} {'FP':>4} {'FN':>4}"
        f" {'P':>6} {'R':>6} {'F1':>6}"
    )
    for s in scores:
        print(
            f"{s.name:9} {s.entries:7} {s.items:6} {s.tp + s.fn:5} {s.tp:4} {s.fp:4} {s.fn:4}"
            f" {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f}"
        )
    if args.show:
        for s in scores:
            show(s)


def show(score: Score) -> None:
    for label, pairs in (("false merges", score.false_merges), ("misses", score.misses)):
        if pairs:
            print(f"\n{score.name}: {label}")
            for a, b in pairs:
                print(f"  {a}\n    = {b}")


if __name__ == "__main__":
    main()

"""How far can word evidence go? Recall ceilings of lexical matching on same-day news.

    python bench/dedupe_ceiling.py [--precision 0.97]

For each same-day stream set (bench/dedupe_sets.py), every pair of entries that shares a
content word (not a name, a number or one of the commonest words) is scored, and merged from a
score up, whole groups at a time as a store holds them (A ~ B and B ~ C make one item of A, B
and C). Printed per set:
- `no shared word`: the share of same-story pairs whose texts have no content word in common;
  only a third entry can bring them together;
- `best R by words`, `by TF-IDF`, `by model`: the best recall that keeps the given precision,
  over every threshold, of three scores: how many content words the two share; the cosine of
  their TF-IDF vectors (IDF over the set), the textbook word-similarity baseline; and the fitted
  decision's probability (`neardup.decide`, refusals at 0), every pair compared (no candidate
  bound, no order).
The threshold is chosen on the very set it is reported on: these are oracles, ceilings of what
each score can reach, not results.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections import defaultdict
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.dedupe_sets import IMPUTED_HOURS, Stream, streams
from watchcli import neardup


def labelled_pairs(stream: Stream):
    """(index a, index b, same) for every pair that counts: related stories count neither way."""
    docs = stream.docs
    for i, j in combinations(range(len(docs)), 2):
        a, b = docs[i], docs[j]
        same = a.story == b.story or (a.url != "" and a.url == b.url)
        if not same and frozenset((a.story, b.story)) in stream.related:
            continue
        yield i, j, same


def best_recall(
    stream: Stream, scored: list[tuple[float, int, int]], total_same: int, precision: float
) -> float:
    """The best recall of "merge from score s up" over every s, keeping the precision, with
    pairs counted as a store would hold them: what is merged joins whole groups (A ~ B and
    B ~ C puts A, B and C in one item), so every pair of a group counts, merged or not."""
    story = [d.story for d in stream.docs]
    related: dict[str, set[str]] = defaultdict(set)
    for pair in stream.related:
        s, t = tuple(pair)
        related[s].add(t)
        related[t].add(s)
    parent = list(range(len(story)))
    members: list[dict[str, int]] = [{s: 1} for s in story]

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    best, tp, fp = 0.0, 0, 0
    scored.sort(key=lambda x: -x[0])
    for k, (score, i, j) in enumerate(scored):
        ri, rj = root(i), root(j)
        if ri != rj:
            small, large = sorted((ri, rj), key=lambda r: sum(members[r].values()))
            a, b = members[small], members[large]
            pairs = sum(a.values()) * sum(b.values())
            same = sum(n * b.get(s, 0) for s, n in a.items())
            neither = sum(n * b.get(t, 0) for s, n in a.items() for t in related.get(s, ()))
            tp, fp = tp + same, fp + pairs - same - neither
            for s, n in a.items():
                b[s] = b.get(s, 0) + n
            parent[small], members[small] = large, {}
        last_of_score = k + 1 == len(scored) or scored[k + 1][0] != score
        if last_of_score and tp and tp / (tp + fp) >= precision:
            best = max(best, tp / total_same)
    return best


def ceiling(stream: Stream, precision: float) -> dict[str, float]:
    texts = [neardup.match_text(d.title, d.summary) for d in stream.docs]
    weights = neardup.Weights.of_texts(texts)
    words = [t.content for t in texts]
    by_word: dict[str, list[int]] = defaultdict(list)
    for i, ws in enumerate(words):
        for w in ws:
            by_word[w].append(i)
    sharing: set[tuple[int, int]] = set()
    for holders in by_word.values():
        sharing.update(combinations(holders, 2))
    total_same = no_word = 0
    by_count: list[tuple[float, int, int]] = []
    by_model: list[tuple[float, int, int]] = []
    by_cosine: list[tuple[float, int, int]] = []
    norms = [math.sqrt(sum(weights(t) ** 2 for t in t.text)) or 1.0 for t in texts]
    for i, j, same in labelled_pairs(stream):
        total_same += same
        if (i, j) not in sharing:
            no_word += same
            continue
        a, b = stream.docs[i], stream.docs[j]
        by_count.append((len(words[i] & words[j]), i, j))
        hours = abs((a.published - b.published).total_seconds()) / 3600 or IMPUTED_HOURS
        verdict = neardup.decide(texts[i], texts[j], weights, hours_apart=hours)
        by_model.append((verdict.probability, i, j))
        shared = sum(weights(t) ** 2 for t in texts[i].text & texts[j].text)
        by_cosine.append((shared / (norms[i] * norms[j]), i, j))
    return {
        "same": total_same,
        "no_word": no_word / total_same,
        "by_count": best_recall(stream, by_count, total_same, precision),
        "by_cosine": best_recall(stream, by_cosine, total_same, precision),
        "by_model": best_recall(stream, by_model, total_same, precision),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--precision", type=float, default=0.97)
    args = parser.parse_args()
    same_day = [s for s in streams() if s.name.startswith(("googlenews", "corpus", "en-"))]
    print(f"recall ceilings at precision {args.precision:.2f} (oracles: tuned on the set itself)")
    print(f"{'set':<32}{'same pairs':>11}{'no shared word':>16}{'best R by words':>16}", end="")
    print(f"{'best R by TF-IDF':>17}{'best R by model':>17}")
    for stream in same_day:
        found = ceiling(stream, args.precision)
        print(
            f"{stream.name:<32}{found['same']:>11}{found['no_word']:>16.3f}"
            f"{found['by_count']:>17.3f}{found['by_cosine']:>17.3f}{found['by_model']:>17.3f}"
        )


if __name__ == "__main__":
    main()

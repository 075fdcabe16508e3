"""Fit the near-duplicate model: a logistic regression over `neardup.FEATURES`.

    python bench/dedupe_fit.py [--write] [--precision 0.97]

1. Pairs from the fit sets only (bench/dedupe_sets.py; held-out sets are never read here):
   - streams: entries in their canonical order (date, source, id), each compared with the
     earlier entries of its window that the index would propose (`neardup.query_tokens`,
     `neardup.is_candidate`), with the weights of what came before it, as at fetch time;
   - pairs (STS-B, SemEval): each pair the index would propose, with the weights of a store
     holding that set's texts, and a typical time apart (IMPUTED_HOURS).
   Pairs `neardup.refusal` forbids are left out: `decide` refuses them before any feature.
2. The model is fitted on all pairs. The threshold is chosen by running the fit sets through
   the real pipeline at each of THRESHOLDS: the best mean F1 over the families among the
   thresholds that keep every family's precision at PRECISION or more (a false merge hides a
   story; a miss costs one more read).
3. With --write, the coefficients and the threshold replace the block between the
   COEFFICIENTS markers of watchcli/neardup.py.

Each family of sets (fixtures, the corpus day, templated feeds, STS-B) counts as much as the
others (its pairs are weighted by 1 / its size), so that two thousand headline pairs do not
drown the few hundred pairs of real same-day feeds.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.dedupe_sets import (
    IMPUTED_HOURS,
    REPO,
    Doc,
    Pairs,
    Stream,
    corpus_root,
    pair_sets,
    retrieved,
    streams,
)
from watchcli import neardup
from watchcli.config import DedupeSettings

TOP_CANDIDATES = 8  # as at fetch time (neardup.CANDIDATES): the pairs the decision sees
PRECISION = 0.97  # the precision the threshold must keep on every family of fit sets
THRESHOLDS = (0.5, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.998, 0.999)
FAMILIES = ("corpus", "en", "fixtures", "templated", "demo", "stsb", "googlenews")
L2 = 1.0  # against a sum of sample weights of about the number of pairs


@dataclass(frozen=True)
class Sample:
    values: tuple[float, ...]
    same: bool
    group: str  # the set it comes from


def stream_samples(stream: Stream) -> list[Sample]:
    """Candidate pairs of a stream, as the index would propose them at fetch time: in hourly
    fetches (`Stream.fetches`), each entry compared with the earlier ones of its window the
    index would propose, with the weights of the stories seen before it."""
    window = timedelta(days=DedupeSettings().window_days)
    weights = neardup.Weights()
    index: dict[str, list[int]] = defaultdict(list)
    docs: list[Doc] = []
    texts: list[neardup.MatchText] = []
    titles_only: list[neardup.MatchText] = []
    out = []
    stories: set[str] = set()
    for batch in stream.fetches():
        for doc in batch:
            i = len(docs)
            text = neardup.match_text(doc.title, doc.summary)
            docs.append(doc)
            texts.append(text)
            titles_only.append(neardup.match_text(doc.title, ""))
            out += _candidate_samples(stream, docs, texts, titles_only, i, index, weights, window)
            for token in neardup.index_tokens(text):
                index[token].append(i)
            if doc.story not in stories:  # a new item, as a perfect matcher would make it
                stories.add(doc.story)
                weights.add(text.text)
    return out


def _candidate_samples(
    stream: Stream,
    docs: list[Doc],
    texts: list[neardup.MatchText],
    titles_only: list[neardup.MatchText],
    i: int,
    index: dict[str, list[int]],
    weights: neardup.Weights,
    window: timedelta,
) -> list[Sample]:
    doc, text = docs[i], texts[i]
    asked = neardup.query_tokens(text, weights)
    shared: dict[int, int] = defaultdict(int)
    rarest: dict[int, float] = defaultdict(float)
    evidence: dict[int, float] = defaultdict(float)
    for token in asked:
        for j in index.get(token, ()):
            shared[j] += 1
            rarest[j] = max(rarest[j], weights(token) / weights.top)
            evidence[j] += weights(token)
    proposed = sorted(
        (
            j
            for j, n in shared.items()
            if abs(docs[j].published - doc.published) <= window
            and neardup.is_candidate(n, len(asked), rarest[j])
        ),
        key=lambda j: (-evidence[j], -j),
    )[:TOP_CANDIDATES]
    out = []
    for j in proposed:
        other = docs[j]
        same = doc.story == other.story or (doc.url != "" and doc.url == other.url)
        if not same and frozenset((doc.story, other.story)) in stream.related:
            continue
        if neardup.refusal(text, texts[j], same_source=doc.source == other.source):
            continue  # `decide` refuses these before any feature
        # Each pair twice: as the feeds gave it, and as feeds without summaries would
        # (Google News, alerts): so the family itself says what a missing summary is worth.
        for a, b in ((text, texts[j]), (titles_only[i], titles_only[j])):
            found = neardup.features(
                a,
                b,
                weights,
                same_source=doc.source == other.source,
                hours_apart=abs((doc.published - other.published).total_seconds()) / 3600,
            )
            out.append(Sample(found.values, same, stream.name))
    return out


def pair_samples(pairs: Pairs) -> list[Sample]:
    texts = [(neardup.match_text(*p.a), neardup.match_text(*p.b)) for p in pairs.pairs]
    weights = neardup.Weights.of_texts(t for both in texts for t in both)
    out = []
    for pair, (a, b) in zip(pairs.pairs, texts, strict=True):
        if not retrieved(a, b, weights) or neardup.refusal(a, b):
            continue
        found = neardup.features(a, b, weights, hours_apart=IMPUTED_HOURS)
        out.append(Sample(found.values, pair.same, pairs.name))
    return out


# --- logistic regression (Newton's method, L2 on the coefficients, not the intercepts) -------

RUNTIME_FAMILY = "corpus"  # whose base rate the product takes: real feeds of one day


@dataclass(frozen=True)
class Model:
    intercepts: dict[str, float]  # one per family: each set has its own share of positives
    coefficients: list[float]

    def probability(self, sample: Sample, *, runtime: bool = False) -> float:
        """P(same story): with the sample's own family intercept, or the product's."""
        intercept = self.intercepts[RUNTIME_FAMILY if runtime else family(sample.group)]
        z = intercept + sum(b * v for b, v in zip(self.coefficients, sample.values, strict=True))
        return 1 / (1 + math.exp(-max(-30, min(30, z))))


def fit(samples: list[Sample], sample_weights: list[float]) -> Model:
    """The weighted, L2-regularised logistic regression, with an intercept per family (the
    share of same-story pairs among the candidates differs from set to set: half the STS-B
    pairs, a tenth of a day's feeds, and that is not evidence about a pair), and each
    coefficient kept on the side `neardup.DIRECTION` gives it: one that the data would push
    across zero is held at zero (projected Newton)."""
    families = sorted({family(s.group) for s in samples})
    f = len(families)
    k = f + len(samples[0].values)
    signs = [0] * f + [neardup.DIRECTION[name] for name in neardup.FEATURES]
    rows = [
        (*(1.0 if family(s.group) == name else 0.0 for name in families), *s.values)
        for s in samples
    ]
    beta = [0.0] * k
    for _ in range(100):
        gradient = [0.0] * k
        hessian = [[0.0] * k for _ in range(k)]
        for row, sample, w in zip(rows, samples, sample_weights, strict=True):
            z = sum(b * x for b, x in zip(beta, row, strict=True))
            p = 1 / (1 + math.exp(-max(-30, min(30, z))))
            error = (p - sample.same) * w
            curvature = p * (1 - p) * w
            for i in range(k):
                if row[i] == 0.0:
                    continue
                gradient[i] += error * row[i]
                ci = curvature * row[i]
                hessian_i = hessian[i]
                for j in range(i, k):
                    hessian_i[j] += ci * row[j]
        for i in range(k):
            for j in range(i):
                hessian[i][j] = hessian[j][i]
        for i in range(f, k):
            gradient[i] += L2 * beta[i]
            hessian[i][i] += L2
        # Held at zero: a signed coefficient at zero whose gradient pushes it the wrong way.
        held = {i for i in range(k) if signs[i] and beta[i] == 0 and signs[i] * gradient[i] >= 0}
        free = [i for i in range(k) if i not in held]
        step = solve([[hessian[i][j] for j in free] for i in free], [gradient[i] for i in free])
        for i, s in zip(free, step, strict=True):
            beta[i] -= s
        crossed = [i for i in free if signs[i] * beta[i] < 0]
        for i in crossed:
            beta[i] = 0.0
        if not crossed and max(abs(s) for s in step) < 1e-7:
            break
    return Model(dict(zip(families, beta[:f], strict=True)), beta[f:])


def solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (a dozen unknowns)."""
    n = len(vector)
    a = [[*row, vector[i]] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        for r in range(col + 1, n):
            factor = a[r][col] / a[col][col]
            for c in range(col, n + 1):
                a[r][c] -= factor * a[col][c]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (a[r][n] - sum(a[r][c] * x[c] for c in range(r + 1, n))) / a[r][r]
    return x


def family(group: str) -> str:
    """The source a set comes from: the four STS-B sets are one family."""
    return group.split("-")[0]


def balanced_weights(samples: list[Sample]) -> list[float]:
    """Each family of sets weighs as much as another, whatever its number of pairs."""
    sizes: dict[str, int] = defaultdict(int)
    for s in samples:
        sizes[family(s.group)] += 1
    families = len(sizes)
    return [len(samples) / (families * sizes[family(s.group)]) for s in samples]


def sweep(model: Model, precision: float) -> float:
    """The threshold: run the fit sets through the real pipeline (bench/dedupe_eval.py) at each
    of THRESHOLDS, and keep the one with the best mean F1 over the families among those that
    keep the precision of every family at `precision` or more: a false merge hides a story
    from everyone, so no kind of news may pay for another's recall."""
    from bench import dedupe_eval

    runtime = neardup.Model(
        model.intercepts[RUNTIME_FAMILY], tuple(model.coefficients), neardup.MODEL.threshold
    )
    best = (-1.0, 1.0)
    print(f"\n{'threshold':>9}  " + "  ".join(f"{f:>16}" for f in FAMILIES) + "   mean P  mean F1")
    for threshold in THRESHOLDS:
        neardup.MODEL = replace(runtime, threshold=threshold)
        scores = dedupe_eval.fit_scores()
        by_family: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for score in scores:
            counts = by_family[family(score.name)]
            counts[0] += score.tp
            counts[1] += score.fp
            counts[2] += score.fn
        cells, ps, fs = [], [], []
        for name in FAMILIES:
            tp, fp, fn = by_family[name]
            p = tp / (tp + fp) if tp + fp else 1.0
            r = tp / (tp + fn) if tp + fn else 1.0
            ps.append(p)
            fs.append(2 * p * r / (p + r) if p + r else 0.0)
            cells.append(f"P {p:.3f} R {r:.3f}")
        mean_p, mean_f = sum(ps) / len(ps), sum(fs) / len(fs)
        print(f"{threshold:9.3f}  " + "  ".join(cells) + f"   {mean_p:.3f}   {mean_f:.3f}")
        if min(ps) >= precision and mean_f > best[0]:
            best = (mean_f, threshold)
    neardup.MODEL = replace(runtime, threshold=best[1])
    return best[1]


def write_block(model: Model, threshold: float) -> None:
    path = REPO / "watchcli" / "neardup.py"
    coefficients = "".join(
        f"    {b:+.4f},  # {name}\n"
        for b, name in zip(model.coefficients, neardup.FEATURES, strict=True)
    )
    block = (
        "# COEFFICIENTS-BEGIN\n"
        f"INTERCEPT = {model.intercepts[RUNTIME_FAMILY]:.4f}\n"
        f"COEFFICIENTS = (\n{coefficients})\n"
        f"DEFAULT_THRESHOLD = {threshold:.3f}\n"
        "# COEFFICIENTS-END"
    )
    text = path.read_text("utf-8")
    text = re.sub(r"# COEFFICIENTS-BEGIN.*?# COEFFICIENTS-END", block, text, flags=re.S)
    path.write_text(text, "utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description="Fit the near-duplicate model.")
    parser.add_argument("--write", action="store_true", help="write into watchcli/neardup.py")
    parser.add_argument("--precision", type=float, default=PRECISION)
    args = parser.parse_args()
    if corpus_root() is None:
        sys.exit("no ../shared/corpus: the model is fitted on it")
    samples: list[Sample] = []
    for stream in streams(held_out=False):
        samples += stream_samples(stream)
    for pairs in pair_sets(held_out=False):
        samples += pair_samples(pairs)
    print(f"{'set':22} {'pairs':>6} {'same':>5}")
    groups = sorted({s.group for s in samples})
    for group in groups:
        mine = [s for s in samples if s.group == group]
        print(f"{group:22} {len(mine):6} {sum(s.same for s in mine):5}")
    model = fit(samples, balanced_weights(samples))
    intercepts = ", ".join(f"{name} {b:+.3f}" for name, b in model.intercepts.items())
    print(f"\nintercepts: {intercepts} (the product takes {RUNTIME_FAMILY}'s)")
    for name, b in zip(neardup.FEATURES, model.coefficients, strict=True):
        print(f"  {name:22} {b:+.3f}")
    threshold = sweep(model, args.precision)
    print(f"\nthreshold {threshold:.2f}")
    if args.write:
        write_block(model, threshold)
        print("\nwritten to watchcli/neardup.py; now run bench/dedupe_eval.py")


if __name__ == "__main__":
    main()

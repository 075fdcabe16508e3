"""Count the prior of the near-duplicate weights: `watchcli/data/idf_prior.tsv`.

    python bench/dedupe_prior.py

A new store has no counts of its own, yet must already know that "de", "the" or "selon" say
nothing and that "Kordofan" says a lot. The prior is the document frequency of every token
(as `neardup` cuts them) over public text of the fit side only (see bench/dedupe_sets.py):
STS-B train and dev sentences (English and French, all genres), SemEval-2022 Task 8 training
texts (title and opening; en, fr, de, es) and every feed of ../shared/corpus/feeds (title and
opening of each entry). Held-out sets are never counted. Tokens seen in fewer than MIN_DOCS
documents are left out: an unknown token weighs the most, as a rare one does.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.dedupe_sets import REPO, SEMEVAL_LANGS, _title_and_body, corpus_root
from watchcli import neardup
from watchcli.parse import read_feed

MIN_DOCS = 3
OUT = REPO / "watchcli" / "data" / "idf_prior.tsv"


def documents(root: Path):
    """(title, summary) of every document of the prior."""
    folder = root / "dedup-datasets"
    for split in ("train", "dev"):
        with (folder / f"stsbenchmark_sts-{split}.csv").open(encoding="utf-8") as f:
            for line in f:
                fields = line.rstrip("\n").split("\t")
                yield from ((s, "") for s in fields[5:7])
        with (folder / f"stsb-multi-mt_fr-{split}.csv").open(encoding="utf-8", newline="") as f:
            for row in csv.reader(f):
                yield from ((s, "") for s in row[:2])
    semeval = folder / "semeval2022-task8_hfl-example-with-texts_training_set.csv"
    with semeval.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["pair_id"].replace("_", "").isdigit() and row["lang1"] in SEMEVAL_LANGS:
                yield _title_and_body(row["text1"])
            if row["pair_id"].replace("_", "").isdigit() and row["lang2"] in SEMEVAL_LANGS:
                yield _title_and_body(row["text2"])
    seen_at = datetime(2025, 2, 10, tzinfo=UTC)
    for path in sorted((root / "feeds").iterdir()):
        if path.suffix not in (".xml", ".json"):
            continue
        content = read_feed(path.read_bytes(), "", "https://example.org/", seen_at)
        yield from ((e.title, e.summary) for e in content.entries)


def main() -> None:
    root = corpus_root()
    if root is None:
        sys.exit("no ../shared/corpus: the prior is counted on it")
    counts: Counter[str] = Counter()
    docs = 0
    seen: set[tuple[str, str]] = set()
    for title, summary in documents(root):
        if (title, summary) in seen or not title.strip():
            continue
        seen.add((title, summary))
        docs += 1
        counts.update(neardup.match_text(title, summary).text)
    kept = sorted(((t, n) for t, n in counts.items() if n >= MIN_DOCS), key=lambda x: (-x[1], x[0]))
    lines = [
        "# Document frequencies of tokens, the prior of watchcli's near-duplicate weights.",
        "# Counted by bench/dedupe_prior.py on public text of the fit side only: STS-B train and",
        "# dev sentences (en, fr), SemEval-2022 Task 8 training texts (en, fr, de, es) and the",
        "# feeds of the corpus; tokens as neardup.match_text cuts them, seen in at least",
        f"# {MIN_DOCS} documents. Regenerate after changing how tokens are cut.",
        f"# documents: {docs}",
        *(f"{t}\t{n}" for t, n in kept),
    ]
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{OUT.relative_to(REPO)}: {docs} documents, {len(kept)} tokens kept of {len(counts)}")


if __name__ == "__main__":
    main()

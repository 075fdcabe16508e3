"""What does our reading layer cost on top of feedparser, on real feeds?

    python bench/parse_corpus.py [--rounds 3]

Reads every feed of ../shared/corpus/feeds (skips when absent), and times, in the same run:
the baseline `feedparser.parse` of the bytes, then `watchcli.parse.read_feed` (feedparser plus
HTML to text, canonical URLs, dates, caps). Prints entries per second and the ratio.
"""

from __future__ import annotations

import argparse
import gzip
import io
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import feedparser

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from watchcli.parse import read_feed

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "feeds"


def load() -> list[tuple[str, bytes]]:
    feeds = []
    for path in sorted(CORPUS.iterdir()):
        body = path.read_bytes()
        if path.suffix == ".gz":
            body = gzip.decompress(body)
        feeds.append((path.name, body))
    return feeds


def best_of(rounds: int, work) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"no corpus at {CORPUS}; nothing to measure")
        return
    feeds = load()
    now = datetime.now(UTC)
    entries = sum(
        len(read_feed(body, "", "https://example.org/feed", now).entries) for _, body in feeds
    )
    megabytes = sum(len(body) for _, body in feeds) / 1e6

    def baseline() -> None:
        for _, body in feeds:
            feedparser.parse(io.BytesIO(body), sanitize_html=False, resolve_relative_uris=False)

    def ours() -> None:
        for _, body in feeds:
            read_feed(body, "", "https://example.org/feed", now)

    base = best_of(args.rounds, baseline)
    full = best_of(args.rounds, ours)
    print(f"{len(feeds)} feeds, {megabytes:.1f} MB, {entries} entries (best of {args.rounds})")
    print(f"  feedparser alone (baseline): {base:6.2f} s  {entries / base:7.0f} entries/s")
    print(
        f"  read_feed (parse+normalise): {full:6.2f} s  {entries / full:7.0f} entries/s  "
        f"×{full / base:.2f} the baseline"
    )


if __name__ == "__main__":
    main()

"""What does our reading layer cost on top of feedparser, on real feeds, and what does the fast
path save?

    python bench/parse_corpus.py [--rounds 3]

Reads every feed of ../shared/corpus/feeds (skips when absent), and times, in the same run:
the baseline `feedparser.parse` of the bytes; `watchcli.parse.read_feed` reading RSS and Atom
with feedparser only (`fast=False`: feedparser plus HTML to text, canonical URLs, dates, caps);
and `read_feed` as fetch runs it, trying the ElementTree fast path first (watchcli/parse_fast.py).
Prints entries per second and the ratios, how many feeds and entries the fast path took, and
feedparser against the fast path on those feeds alone.
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

from watchcli.parse import _feedparser_headers, _head, parse_feed, read_feed
from watchcli.parse_fast import parse as parse_fast

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "feeds"
URL = "https://example.org/feed"


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
    entries = sum(len(read_feed(body, "", URL, now).entries) for _, body in feeds)
    megabytes = sum(len(body) for _, body in feeds) / 1e6
    # (body, the headers _parse_xml gives feedparser) of the XML feeds the fast path takes
    xml = [(body, _feedparser_headers(body, _head(body), "", "", "")) for _, body in feeds]
    taken = [(body, headers) for body, headers in xml if not _head(body).startswith(b"{")]
    taken = [(body, headers) for body, headers in taken if parse_fast(body, headers) is not None]
    taken_entries = sum(len(parse_feed(body).entries) for body, _ in taken)

    def baseline() -> None:
        for _, body in feeds:
            feedparser.parse(io.BytesIO(body), sanitize_html=False, resolve_relative_uris=False)

    def feedparser_only() -> None:
        for _, body in feeds:
            read_feed(body, "", URL, now, fast=False)

    def with_fast_path() -> None:
        for _, body in feeds:
            read_feed(body, "", URL, now)

    def feedparser_on_taken() -> None:
        for body, headers in taken:
            feedparser.parse(
                io.BytesIO(body),
                sanitize_html=False,
                resolve_relative_uris=False,
                response_headers=headers,
            )

    def fast_path_on_taken() -> None:
        for body, headers in taken:
            parse_fast(body, headers)

    base = best_of(args.rounds, baseline)
    slow = best_of(args.rounds, feedparser_only)
    fast = best_of(args.rounds, with_fast_path)
    taken_slow = best_of(args.rounds, feedparser_on_taken)
    taken_fast = best_of(args.rounds, fast_path_on_taken)
    print(f"{len(feeds)} feeds, {megabytes:.1f} MB, {entries} entries (best of {args.rounds})")
    print(
        f"  fast path took {len(taken)} feeds, {taken_entries} entries; "
        f"feedparser read {len(feeds) - len(taken)} feeds, {entries - taken_entries} entries"
    )
    print(f"  feedparser alone (baseline):         {base:6.2f} s  {entries / base:7.0f} entries/s")
    print(
        f"  read_feed, feedparser only:          {slow:6.2f} s  {entries / slow:7.0f} entries/s"
        f"  ×{slow / base:.2f} the baseline"
    )
    print(
        f"  read_feed, fast path first (fetch):  {fast:6.2f} s  {entries / fast:7.0f} entries/s"
        f"  ×{fast / base:.2f} the baseline, ×{fast / slow:.2f} feedparser only"
    )
    print(
        f"  parsing alone, on the feeds the fast path takes: feedparser {taken_slow:.2f} s, "
        f"fast path {taken_fast:.2f} s (×{taken_fast / taken_slow:.2f}, "
        f"{taken_entries / taken_fast:.0f} entries/s)"
    )


if __name__ == "__main__":
    main()

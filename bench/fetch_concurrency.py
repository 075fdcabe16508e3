"""How long does a fetch of many slow feeds take, against doing them one by one?

    python bench/fetch_concurrency.py [--feeds 200] [--latency 0.1] [--hosts 50]

Serves FEEDS small RSS feeds from a separate process on 127.0.0.1..127.0.0.HOSTS (every
127/8 address is loopback on Linux, so the per-host limit sees HOSTS hosts), each answer delayed
by LATENCY seconds. Runs the real `FetchRun` into fresh SQLite files: once with concurrency 1
(the baseline, measured in the same run), once with the defaults (32 at once, 4 per host), then
the second, conditional run. Prints times and ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from watchcli.config import Config, FetchSettings, Source
from watchcli.ingest import FetchRun
from watchcli.store import Store

PORT = 18931


def feed_body(n: int) -> bytes:
    items = "".join(
        f"<item><title>Dépêche {n}-{i} : appel à projets solidarité internationale</title>"
        f"<link>https://feed{n}.example.org/story/{i}</link><guid>feed{n}-{i}</guid>"
        f"<description>Résumé de la dépêche {i} du flux {n}.</description>"
        f"<pubDate>Tue, 24 Nov 2026 {i % 24:02d}:00:00 +0000</pubDate></item>"
        for i in range(10)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Flux {n}</title>{items}</channel></rss>"
    ).encode()


def serve(hosts: int, latency: float, ready: multiprocessing.synchronize.Event) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line = head.split(b"\r\n", 1)[0].decode()
                path = request_line.split(" ")[1]
                await asyncio.sleep(latency)
                n = int(path.rsplit("/", 1)[-1].split(".")[0])
                etag = f'"v1-{n}"'
                if f"if-none-match: {etag}".encode() in head.lower():
                    writer.write(
                        f"HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\n"
                        "Content-Length: 0\r\n\r\n".encode()
                    )
                else:
                    body = feed_body(n)
                    writer.write(
                        f"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                        f"ETag: {etag}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                        + body
                    )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        servers = [
            await asyncio.start_server(handle, f"127.0.0.{h}", PORT, backlog=512)
            for h in range(1, hosts + 1)
        ]
        ready.set()
        await asyncio.gather(*(s.serve_forever() for s in servers))

    asyncio.run(main())


def config_for(folder: Path, feeds: int, hosts: int, concurrency: int) -> Config:
    sources = tuple(
        Source(f"feed{n}", f"http://127.0.0.{n % hosts + 1}:{PORT}/feeds/{n}.xml")
        for n in range(feeds)
    )
    return Config(
        path=folder / "sources.toml",
        sources=sources,
        fetch=replace(FetchSettings(), concurrency=concurrency),
    )


def timed_run(config: Config, db: Path) -> tuple[float, object]:
    with Store.open(db) as store:
        started = time.perf_counter()
        summary = FetchRun(store, config).run()
        return time.perf_counter() - started, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--hosts", type=int, default=50)
    args = parser.parse_args()

    ready = multiprocessing.get_context("spawn").Event()
    server = multiprocessing.get_context("spawn").Process(
        target=serve, args=(args.hosts, args.latency, ready), daemon=True
    )
    server.start()
    ready.wait(30)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            sequential = config_for(folder, args.feeds, args.hosts, concurrency=1)
            concurrent = config_for(folder, args.feeds, args.hosts, concurrency=32)
            base, base_summary = timed_run(sequential, folder / "sequential.db")
            fast, fast_summary = timed_run(concurrent, folder / "concurrent.db")
            again, again_summary = timed_run(concurrent, folder / "concurrent.db")
    finally:
        server.terminate()

    ideal = args.feeds * args.latency / 32
    print(f"{args.feeds} feeds, {args.latency * 1000:.0f} ms latency, {args.hosts} hosts")
    print(f"  concurrency 1  (baseline): {base:6.2f} s   ok={base_summary.ok}")
    print(
        f"  concurrency 32 (default):  {fast:6.2f} s   ok={fast_summary.ok}  "
        f"speed-up ×{base / fast:.1f}  (ideal {ideal:.2f} s = feeds × latency / 32)"
    )
    print(
        f"  second run (conditional):  {again:6.2f} s   not_modified="
        f"{again_summary.not_modified}  new_items={again_summary.new_items}"
    )


if __name__ == "__main__":
    main()

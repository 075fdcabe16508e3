"""Where a store's room goes, before and after this version's migrations and a VACUUM.

    python bench/store_space.py STORE [--top 16]
    python bench/store_space.py --corpus [DIR]

With STORE (any schema; it is copied, never changed): the size of every table and index of
the copy as it is (SQLite's dbstat), then after opening it with this version (pending
migrations: the full-text index of m008, the leaner sightings of m009) and `maintain`'s VACUUM;
per 10 000 items, and each one's share.

With `--corpus`: a store of real French news, built the way a cron job builds it — the feeds of
`../shared/corpus/feeds` served from a loopback HTTP server and fetched by the real
`watchcli fetch` — then measured the same way (its summaries and URLs are real ones, which
synthetic stores' are not).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from watchcli.dates import utcnow
from watchcli.store import Store
from watchcli.upkeep import maintain_store

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "feeds"
WATCHCLI = Path(sys.executable).with_name("watchcli")


def space(path: Path) -> tuple[int, int, list[tuple[str, int]]]:
    """(file bytes, items, [(name, bytes)]) without migrating (read-only)."""
    import sqlite3

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        (items,) = conn.execute("SELECT count(*) FROM items").fetchone()
        rows: dict[str, int] = {}
        for name, size in conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
            owner = "items_fts" if name.startswith("items_fts_") else name
            rows[owner] = rows.get(owner, 0) + size
    finally:
        conn.close()
    return path.stat().st_size, items, sorted(rows.items(), key=lambda r: -r[1])


def show(title: str, measured: tuple[int, int, list[tuple[str, int]]], top: int) -> None:
    size, items, rows = measured
    per = 10_000 / items if items else 0
    print(
        f"\n{title}: {size / 2**20:.1f} MiB, {items} items, "
        f"{size * per / 2**20:.2f} MiB per 10k items ({size / max(items, 1):.0f} bytes an item)"
    )
    total = sum(b for _, b in rows) or 1
    for name, b in rows[:top]:
        print(f"  {b / 2**20:9.1f} MiB  {b * per / 2**20:6.2f} MiB/10k  {b / total:6.1%}  {name}")


def after(copy: Path) -> None:
    with Store.open(copy) as store:  # pending migrations
        maintain_store(store, keep_days=None, now=utcnow(), vacuum=True)


def corpus_store(folder: Path, corpus: Path) -> Path:
    handler = partial(SimpleHTTPRequestHandler, directory=str(corpus))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        blocks = [
            f'[[sources]]\nid = "f{n}"\nurl = "http://127.0.0.1:{port}/{p.name}"\n'
            for n, p in enumerate(sorted(corpus.iterdir()))
            if p.is_file()
        ]
        config = folder / "sources.toml"
        config.write_text('[store]\npath = "watch.db"\n\n' + "\n".join(blocks), encoding="utf-8")
        subprocess.run(
            [str(WATCHCLI), "--config", str(config), "fetch", "--quiet"],
            check=False,
            capture_output=True,
        )
    finally:
        server.shutdown()
    return folder / "watch.db"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store", nargs="?", type=Path)
    parser.add_argument("--corpus", nargs="?", const=CORPUS, type=Path)
    parser.add_argument("--top", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="watchcli-space-") as tmp:
        copy = Path(tmp) / "watch.db"
        if args.corpus:
            copy = corpus_store(Path(tmp), args.corpus)
            show("real feeds, fetched (this version)", space(copy), args.top)
            after(copy)
            show("after VACUUM", space(copy), args.top)
            return
        if args.store is None:
            parser.error("give a STORE, or --corpus")
        shutil.copy(args.store, copy)
        show(f"{args.store} as it is", space(copy), args.top)
        after(copy)
        show("after this version's migrations and VACUUM", space(copy), args.top)


if __name__ == "__main__":
    main()

"""Texts prepared in the parse workers give the writer exactly what it would compute itself."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from bench.dedupe_sets import fixtures
from watchcli.config import Config, Source
from watchcli.ingest import Ingester
from watchcli.models import Entry
from watchcli.prepared import EntryText, read_feed_for_writer
from watchcli.store import Store

FEEDS = Path(__file__).parent / "feeds"
NOW = datetime(2026, 3, 16, 12, 0, tzinfo=UTC)


def test_a_feed_read_for_the_writer_carries_one_text_per_entry() -> None:
    packed = read_feed_for_writer((FEEDS / "rss2.xml").read_bytes(), "", "https://x.org/", NOW)
    content = packed.open()
    assert content.entries
    assert content.texts == tuple(EntryText.of(entry) for entry in content.entries)


def _items(tmp_path: Path, name: str, prepared: bool) -> list[list[str]]:
    by_source: dict[str, list[Entry]] = defaultdict(list)
    for doc in fixtures().docs:
        by_source[doc.source].append(
            Entry(doc.url, doc.url, doc.url, doc.title, doc.summary, doc.published, True)
        )
    config = Config(
        path=tmp_path / "sources.toml",
        sources=tuple(Source(id=s, url=f"https://{s}.example.org/") for s in sorted(by_source)),
    )
    store = Store.open(tmp_path / name)
    ingester = Ingester(store, config, now=NOW)
    for source in config.sources:
        entries = tuple(by_source[source.id])
        texts = tuple(EntryText.of(e) for e in entries) if prepared else ()
        with store.write():
            ingester.store_entries(source, entries, lang="fr", now=NOW, texts=texts)
    groups: dict[int, list[str]] = defaultdict(list)
    for item_id, url in store.db.execute("SELECT item_id, url FROM sightings ORDER BY id"):
        groups[item_id].append(url)
    store.close()
    return sorted(groups.values())


def test_prepared_texts_make_the_same_items_as_texts_made_by_the_writer(tmp_path: Path) -> None:
    made_here = _items(tmp_path, "here.db", prepared=False)
    assert any(len(group) > 1 for group in made_here)  # the fixtures do merge
    assert _items(tmp_path, "worker.db", prepared=True) == made_here

"""Texts prepared in the parse workers give the writer exactly what it would compute itself."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.dedupe_sets import fixtures
from watchcli.config import Config, Rule, Source
from watchcli.ingest import Ingester
from watchcli.models import Entry
from watchcli.prepared import EntryText, read_feed_for_writer
from watchcli.store import Store

FEEDS = Path(__file__).parent / "feeds"
NOW = datetime(2026, 3, 16, 12, 0, tzinfo=UTC)
RULES = (Rule("climat", any=("climat", "COP")), Rule("seisme", all=("séisme",)))


def test_a_feed_read_for_the_writer_carries_one_text_per_entry() -> None:
    body = (FEEDS / "rss2.xml").read_bytes()
    content = read_feed_for_writer(body, "", "https://x.org/", NOW, True).open()
    assert content.entries
    assert content.texts == tuple(EntryText.of(entry) for entry in content.entries)
    bare = read_feed_for_writer(body, "", "https://x.org/", NOW, False).open()
    assert [t.keywords for t in bare.texts] == [None] * len(bare.entries)
    assert [t.near for t in bare.texts] == [t.near for t in content.texts]


def _items(tmp_path: Path, name: str, rules: tuple[Rule, ...], prepared: bool) -> list:
    by_source: dict[str, list[Entry]] = defaultdict(list)
    for doc in fixtures().docs:
        by_source[doc.source].append(
            Entry(doc.url, doc.url, doc.url, doc.title, doc.summary, doc.published, True)
        )
    config = Config(
        path=tmp_path / "sources.toml",
        sources=tuple(Source(id=s, url=f"https://{s}.example.org/") for s in sorted(by_source)),
        rules=rules,
    )
    store = Store.open(tmp_path / name)
    ingester = Ingester(store, config, now=NOW)
    for source in config.sources:
        entries = tuple(by_source[source.id])
        keywords = ingester.rules.reads_text(source)
        texts = tuple(EntryText.of(e, keywords=keywords) for e in entries) if prepared else ()
        with store.write():
            ingester.store_entries(source, entries, lang="fr", now=NOW, texts=texts)
    groups: dict[int, list[str]] = defaultdict(list)
    for item_id, url in store.db.execute("SELECT item_id, url FROM sightings ORDER BY id"):
        groups[item_id].append(url)
    tags = store.db.execute("SELECT item_id, tag FROM item_tags ORDER BY 1, 2").fetchall()
    store.close()
    return [sorted(groups.values()), tags]


@pytest.mark.parametrize("rules", [(), RULES], ids=["no rules", "rules"])
def test_prepared_texts_make_the_same_items_and_tags_as_the_writer_alone(
    tmp_path: Path, rules: tuple[Rule, ...]
) -> None:
    made_here = _items(tmp_path, "here.db", rules, prepared=False)
    groups, tags = made_here
    assert any(len(group) > 1 for group in groups)  # the fixtures do merge
    assert bool(tags) == bool(rules)  # and the rules do tag
    assert _items(tmp_path, "worker.db", rules, prepared=True) == made_here

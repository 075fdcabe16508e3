"""The near-duplicate stage in the real pipeline: a real store, the real Ingester and fetch,
the installed `watchcli` for merge and split."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bench.dedupe_eval import fetch_demo, ingest_stream
from bench.dedupe_sets import corpus_day, corpus_root, demo_labels, fixtures, judge
from tests.conftest import Workspace, rss
from tests.feedserver import FeedServer
from watchcli import neardup
from watchcli.config import Config, DedupeSettings, Source
from watchcli.ingest import FetchRun, Ingester
from watchcli.models import Entry
from watchcli.store import Store
from watchcli.store_near import DOCUMENTS

DAY = datetime(2026, 3, 16, 8, 0, tzinfo=UTC)
QUAKE = "Séisme au Maroc : au moins 800 morts selon un nouveau bilan"
QUAKE_LEDE = "Le séisme de magnitude 6,8 qui a frappé le Haut Atlas a fait au moins 800 morts."


def entry(guid: str, title: str, summary: str = QUAKE_LEDE, *, days: float = 0) -> Entry:
    url = f"https://example.org/{guid}"
    return Entry(guid, url, url, title, summary, DAY + timedelta(days=days), True)


def ingest(tmp_path: Path, batches: list[tuple[str, Entry]], **settings: float) -> Store:
    sources = sorted({s for s, _ in batches})
    config = Config(
        path=tmp_path / "sources.toml",
        sources=tuple(
            Source(id=s, url=f"https://{s}.example.org/", dedupe=not s.startswith("nodedupe"))
            for s in sources
        ),
        dedupe=DedupeSettings(**settings),
    )
    store = Store.open(tmp_path / "watch.db")
    ingester = Ingester(store, config)
    for source_id, one in batches:
        source = config.source(source_id)
        assert source is not None
        with store.write():
            ingester.store_entries(source, (one,), lang="fr", now=DAY)
    return store


def items_of(store: Store) -> list[set[str]]:
    rows = store.db.execute("SELECT item_id, source_id FROM sightings ORDER BY id").fetchall()
    groups: dict[int, set[str]] = {}
    for item, source in rows:
        groups.setdefault(item, set()).add(source)
    return list(groups.values())


def test_a_feeds_new_items_are_counted_once_each_in_the_token_counts(tmp_path: Path) -> None:
    """The batch's counts are written once a token (Ingester.store_entries): they must equal
    what counting item after item gives (`recount`), and a merged entry counts for nothing."""
    entries = (
        entry("a", QUAKE),
        entry("b", "Séisme au Maroc : le bilan s'alourdit à au moins 800 morts"),
        entry("c", "Inondations au Pakistan : des milliers de déplacés", "Les pluies continuent."),
        entry("d", "Au Pakistan, les inondations font des milliers de sans-abri", ""),
    )
    config = Config(path=tmp_path / "sources.toml", sources=(Source(id="afp", url="https://a/"),))
    with Store.open(tmp_path / "watch.db") as store:
        with store.write():
            counts = Ingester(store, config).store_entries(
                config.sources[0], entries, lang="fr", now=DAY
            )
        batch = sorted(store.db.execute("SELECT token, day, n FROM near_df").fetchall())
        with store.write():
            store.near.recount(DAY - timedelta(days=1))
        recounted = sorted(store.db.execute("SELECT token, day, n FROM near_df").fetchall())
    assert counts.new_items + counts.new_sightings == len(entries)
    assert batch == recounted
    assert counts.new_sightings >= 1  # a merged entry was in the batch
    assert dict((t, n) for t, _, n in batch)[DOCUMENTS] == counts.new_items


def test_a_rewrite_from_another_source_becomes_a_near_sighting(tmp_path: Path) -> None:
    store = ingest(
        tmp_path,
        [
            ("afp", entry("a", QUAKE)),
            ("rfi", entry("b", "Séisme au Maroc : le bilan s'alourdit à au moins 800 morts")),
        ],
    )
    assert items_of(store) == [{"afp", "rfi"}]
    item = store.get_item(1)
    near = item["sightings"][1]
    assert near["how"] == "near" and near["score"] >= 0.5
    assert near["matched"] == {"sighting": 1, "item": 1, "source": "afp", "title": QUAKE}


def test_an_outlet_telling_one_story_twice_gets_one_item(tmp_path: Path) -> None:
    store = ingest(
        tmp_path,
        [
            ("afp", entry("a", QUAKE)),
            ("afp", entry("b", QUAKE)),  # the same title under another URL
            ("rfi", entry("c", QUAKE)),
        ],
    )
    assert items_of(store) == [{"afp", "rfi"}]
    assert store.get_item(1)["sightings"][1]["features"]["same_source"] == 1.0


def test_a_template_feed_keeps_its_events_apart(tmp_path: Path) -> None:
    lede = "The Drought alert level is {}. Drought is on going in {}."
    store = ingest(
        tmp_path,
        [
            (
                "gdacs",
                entry("a", "Drought is on going in Australia", lede.format("Orange", "Australia")),
            ),
            (
                "gdacs",
                entry("b", "Drought is on going in Australia", lede.format("Green", "Australia")),
            ),
            ("gdacs", entry("c", "Drought is on going in Brazil", lede.format("Green", "Brazil"))),
        ],
    )
    assert len(items_of(store)) == 3


def test_dedupe_false_on_a_source_is_never_near_matched(tmp_path: Path) -> None:
    store = ingest(tmp_path, [("afp", entry("a", QUAKE)), ("nodedupe-rfi", entry("b", QUAKE))])
    assert len(items_of(store)) == 2


def test_the_window_bounds_the_match(tmp_path: Path) -> None:
    late = [("afp", entry("a", QUAKE)), ("rfi", entry("b", QUAKE, days=3.5))]
    assert len(items_of(ingest(tmp_path / "a", late) if _mk(tmp_path / "a") else None)) == 2
    wide = ingest(tmp_path / "b", late, window_days=4) if _mk(tmp_path / "b") else None
    assert len(items_of(wide)) == 1


def _mk(folder: Path) -> bool:
    folder.mkdir()
    return True


def test_a_third_source_can_match_the_second_sources_wording(tmp_path: Path) -> None:
    other = "Maroc : le bilan du séisme du Haut Atlas s'alourdit à au moins 800 morts"
    store = ingest(
        tmp_path,
        [
            ("afp", entry("a", QUAKE)),
            ("rfi", entry("b", "Séisme au Maroc : le bilan s'alourdit à au moins 800 morts")),
            ("lemonde", entry("c", other)),
        ],
    )
    assert items_of(store) == [{"afp", "rfi", "lemonde"}]


def test_the_index_is_a_b_tree_lookup_bounded_by_the_window(tmp_path: Path) -> None:
    store = ingest(tmp_path, [("afp", entry("a", QUAKE))])
    plan = " ".join(
        str(row)
        for row in store.db.execute(
            "EXPLAIN QUERY PLAN SELECT item_id FROM near_tokens "
            "WHERE day IN (5, 6, 7) AND token = 'maroc' LIMIT 64"
        ).fetchall()
    )
    assert "USING PRIMARY KEY (day=? AND token=?)" in plan


# --- the labelled sets ----------------------------------------------------------------------


def test_fixture_set_meets_the_targets() -> None:
    stream = fixtures()
    score = judge(stream, ingest_stream(stream))
    assert score.precision >= 0.97, score.false_merges
    assert score.recall >= 0.85, score.misses


@pytest.mark.skipif(corpus_root() is None, reason="../shared/corpus is not available")
def test_corpus_set_keeps_its_precision() -> None:
    root = corpus_root()
    assert root is not None
    stream = corpus_day(root)
    score = judge(stream, ingest_stream(stream))
    assert score.precision >= 0.97, score.false_merges
    assert score.recall >= 0.50, score.misses  # measured 0.556: see the README


def test_demo_feeds_merge_every_a_and_b_story_and_no_c_one(tmp_path: Path) -> None:
    story_of, negatives = demo_labels()
    item_of = fetch_demo(tmp_path / "watch.db")
    by_story: dict[str, set[int]] = {}
    for key, story in story_of.items():
        by_story.setdefault(story, set()).add(item_of[key])
    assert {story: len(items) for story, items in by_story.items()} == dict.fromkeys(by_story, 1)
    for source_a, guid_a, source_b, guid_b in negatives:
        assert item_of[(source_a, guid_a)] != item_of[(source_b, guid_b)], (guid_a, guid_b)
    with sqlite3.connect(tmp_path / "watch.db") as conn:
        hows = dict(conn.execute("SELECT how, count(*) FROM sightings GROUP BY how").fetchall())
    assert hows.get("near") == 6 and hows.get("url") == 6


# --- merge and split by hand ----------------------------------------------------------------


def story_feed(*items: tuple[str, str, int]) -> str:
    """An RSS feed of (guid, title, hours after DAY) items."""
    return rss(
        *(
            {
                "title": title,
                "link": f"https://news.example.org/{guid}",
                "guid": f"https://news.example.org/?p={guid}",
                "description": QUAKE_LEDE,
                "pubDate": (DAY + timedelta(hours=hours)).strftime("%a, %d %b %Y %H:%M:%S +0000"),
            }
            for guid, title, hours in items
        )
    )


REWRITE = "Séisme au Maroc : le bilan s'alourdit à au moins 800 morts"
UNRELATED = "Festival des Solidarités : le programme est en ligne"


def setup_two_sources(
    workspace: Workspace, feed_server: FeedServer, name: str, second_title: str = REWRITE
) -> None:
    """afp (cerapcoop) carries QUAKE, rfi (resacoop) `second_title` two hours later; afp is
    fetched first, so item 1 is afp's (and, for the rewrite, rfi's entry its near sighting)."""
    a = feed_server.put(f"{name}-a.xml", story_feed(("a1", QUAKE, 0)))
    b = feed_server.put(f"{name}-b.xml", story_feed(("b1", second_title, 2)))
    workspace.write_config(
        [
            {"id": "afp", "url": a, "network": "cerapcoop"},
            {"id": "rfi", "url": b, "network": "resacoop"},
        ]
    )
    assert workspace.run("fetch", "--quiet", "--source", "afp").returncode == 0
    assert workspace.run("fetch", "--quiet").returncode == 0


def show(workspace: Workspace, item_id: int) -> dict:
    result = workspace.run("show", str(item_id), "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_split_records_history_and_never_merges_back(
    workspace: Workspace, feed_server: FeedServer
) -> None:
    setup_two_sources(workspace, feed_server, "split")
    item = show(workspace, 1)
    assert [s["how"] for s in item["sightings"]] == ["new", "near"]
    near = item["sightings"][1]
    result = workspace.run("split", "1", "--sighting", str(near["id"]), user="lea")
    assert result.returncode == 0, result.stderr
    assert "is now item #2" in result.stdout
    old, new = show(workspace, 1), show(workspace, 2)
    assert [s["source"] for s in old["sightings"]] == ["afp"]
    assert [s["how"] for s in new["sightings"]] == ["split"]
    split_line = next(h for h in reversed(old["history"]) if h["action"] == "split")
    assert split_line["by"] == "lea"
    assert f"#{near['id']}" in split_line["detail"]
    # Each item now follows its own sources' network, and says so.
    assert old["history"][-1]["by"] == "watchcli"
    assert [h["action"] for h in new["history"]] == ["split", "assign"]

    # The same entries again, the split one changed, and the same story under a new GUID:
    # nothing goes back into item 1.
    feed_server.put(
        "split-b.xml",
        story_feed(
            ("b1", "Séisme au Maroc : le bilan s'alourdit à au moins 800 morts (mise à jour)", 2),
            ("b2", "Séisme au Maroc : le bilan s'alourdit encore, au moins 800 morts", 3),
        ),
    )
    assert workspace.run("fetch", "--quiet").returncode == 0
    assert [s["source"] for s in show(workspace, 1)["sightings"]] == ["afp"]


def test_merge_moves_sightings_tags_notes_history_and_explains_the_old_id(
    workspace: Workspace, feed_server: FeedServer
) -> None:
    a = feed_server.put("merge-a.xml", story_feed(("m1", QUAKE, 0)))
    b = feed_server.put(
        "merge-b.xml", story_feed(("m2", "Festival des Solidarités : le programme est en ligne", 1))
    )
    workspace.write_config([{"id": "afp", "url": a}, {"id": "rfi", "url": b}])
    assert workspace.run("fetch", "--quiet", "--source", "afp").returncode == 0
    assert workspace.run("fetch", "--quiet").returncode == 0
    with sqlite3.connect(workspace.db) as conn:
        conn.execute("INSERT INTO item_tags VALUES (2, 'ssi', 'hugo', '2026-03-16T09:00:00+00:00')")
        conn.execute(
            "INSERT INTO notes (item_id, by, at, text) VALUES (2, 'hugo', ?, 'à lire')",
            ["2026-03-16T09:00:00+00:00"],
        )
    result = workspace.run("merge", "1", "2", user="camille")
    assert result.returncode == 0, result.stderr
    merged = show(workspace, 1)
    assert [s["source"] for s in merged["sightings"]] == ["afp", "rfi"]
    assert merged["sightings"][1]["how"] == "merge" and merged["sightings"][1]["moved_from"] == 2
    assert merged["tags"] == ["ssi"] and merged["notes"][0]["text"] == "à lire"
    assert merged["history"][-1] == {
        "by": "camille",
        "at": merged["history"][-1]["at"],
        "action": "merge",
        "detail": "merged #2 into #1 (1 sightings moved)",
    }
    gone = workspace.run("show", "2")
    assert gone.returncode == 1
    assert gone.stderr.strip() == (
        "watchcli: item 2 was merged into #1 by camille; `watchcli show 1` shows it"
    )
    table = workspace.run("show", "1")
    assert "merged by hand from #2" in table.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("merge", "1", "1"), 2, "cannot merge item 1 with itself"),
        (("merge", "1"), 2, "merge needs at least two item ids"),
        (("merge", "1", "99"), 1, "no item 99"),
        (("split", "99", "--sighting", "1"), 1, "no item 99"),
        (("split", "1", "--sighting", "99"), 2, "sighting 99 is not on item 1"),
    ],
)
def test_merge_and_split_errors(
    workspace: Workspace, feed_server: FeedServer, args: tuple[str, ...], code: int, message: str
) -> None:
    setup_two_sources(workspace, feed_server, "errors-" + "-".join(args))
    result = workspace.run(*args)
    assert result.returncode == code
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_merge_keeps_the_decision_and_holder_of_the_merged_item(
    workspace: Workspace, feed_server: FeedServer
) -> None:
    setup_two_sources(workspace, feed_server, "decided", UNRELATED)
    assert workspace.run("claim", "2", user="lea").returncode == 0
    assert workspace.run("select", "2", user="lea").returncode == 0

    result = workspace.run("merge", "1", "2", user="lea")

    assert result.returncode == 0, result.stderr
    kept = show(workspace, 1)
    assert (kept["status"], kept["assignee"], kept["network"]) == ("selected", "lea", "resacoop")
    assert kept["handled_by"] == "lea"
    merge_line = next(h for h in kept["history"] if h["action"] == "merge")
    assert "took status selected (by lea), holder lea" in merge_line["detail"]


def test_merge_and_split_refuse_items_another_member_holds_and_non_members(
    workspace: Workspace, feed_server: FeedServer
) -> None:
    setup_two_sources(workspace, feed_server, "held", UNRELATED)
    assert workspace.run("claim", "2", user="lea").returncode == 0

    refused = workspace.run("merge", "1", "2", user="camille")
    assert refused.returncode == 1
    assert "item 2 is held by lea" in refused.stderr
    assert len(show(workspace, 2)["sightings"]) == 1  # nothing moved

    stranger = workspace.run("merge", "1", "2", user="mallory")
    assert stranger.returncode == 2
    assert "not a member of any network" in stranger.stderr
    stranger = workspace.run("split", "1", "--sighting", "1", user="mallory")
    assert stranger.returncode == 2


def test_split_gives_each_item_the_assignment_of_its_own_sources(
    workspace: Workspace, feed_server: FeedServer
) -> None:
    setup_two_sources(workspace, feed_server, "split-assign")
    assert show(workspace, 1)["network"] is None  # shared by both networks' sources
    near = show(workspace, 1)["sightings"][1]
    assert workspace.run("split", "1", "--sighting", str(near["id"]), user="lea").returncode == 0
    assert show(workspace, 1)["network"] == "cerapcoop"
    assert show(workspace, 2)["network"] == "resacoop"


def test_show_explains_a_near_match_and_never_interprets_feed_text(
    workspace: Workspace, feed_server: FeedServer
) -> None:
    a = feed_server.put("markup-a.xml", story_feed(("x1", "[bold red]" + QUAKE, 0)))
    b = feed_server.put("markup-b.xml", story_feed(("x2", QUAKE + " [/]", 1)))
    workspace.write_config([{"id": "afp", "url": a}, {"id": "rfi", "url": b}])
    assert workspace.run("fetch", "--quiet", "--source", "afp").returncode == 0
    assert workspace.run("fetch", "--quiet").returncode == 0
    table = workspace.run("show", "1").stdout
    assert "[bold red]" in table and "near match of #1 (afp, score" in table


def test_new_matching_rules_reindex_the_recent_items_once_before_a_fetch(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    day = now.strftime("%a, %d %b %Y %H:%M:%S +0000")
    a = feed_server.put(
        "rekey-a.xml",
        rss(
            {
                "title": QUAKE,
                "link": "https://a.example/1",
                "guid": "a1",
                "description": QUAKE_LEDE,
                "pubDate": day,
            }
        ),
    )
    config = Config(path=tmp_path / "sources.toml", sources=(Source("afp", a),))
    with Store.open(tmp_path / "watch.db") as store:
        FetchRun(store, config).run()
        # The store as an older version of the rules left it: no index, another version.
        store.db.execute("DELETE FROM near_tokens")
        store.db.execute("DELETE FROM near_reps")
        store.set_setting("near_key_version", "n0")
        b = feed_server.put(
            "rekey-b.xml",
            rss(
                {
                    "title": "Séisme au Maroc : le bilan s'alourdit à au moins 800 morts",
                    "link": "https://b.example/1",
                    "guid": "b1",
                    "description": QUAKE_LEDE,
                    "pubDate": day,
                }
            ),
        )
        config = Config(path=config.path, sources=(Source("afp", a), Source("rfi", b)))

        summary = FetchRun(store, config).run()

        assert (summary.new_items, summary.new_sightings) == (0, 1)
        assert store.setting("near_key_version") == neardup.NEAR_KEY_VERSION

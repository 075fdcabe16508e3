"""`watchcli search`: the query syntax, the index kept in step with every write, the CLI."""

from __future__ import annotations

import itertools
import json
import sqlite3
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import Workspace, rss
from tests.feedserver import FeedServer
from watchcli.config import Source
from watchcli.merging import merge_items, split_sighting
from watchcli.models import Entry, ItemFilter
from watchcli.search import fold_word, match_spans, parse_query, words
from watchcli.store import Store
from watchcli.store_search import SearchStore

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
SOURCE_A = Source("a", "https://a.example/feed", network="cerapcoop")
SOURCE_B = Source("b", "https://b.example/feed", network="resacoop")


def add(store: Store, n: int, title: str, summary: str = "", source: Source = SOURCE_A) -> int:
    entry = Entry(
        guid=f"g{n}",
        url=f"https://example.org/{n}",
        link=f"https://example.org/{n}",
        title=title,
        summary=summary,
        published=NOW - timedelta(hours=n),
        dated=True,
    )
    with store.write():
        item_id = store.insert_item(entry, source, lang="fr", now=NOW)
        store.insert_sighting(
            item_id,
            source.id,
            entry,
            url_key=None,
            content_hash="c",
            how="new",
            score=None,
            now=NOW,
        )
    return item_id


def found(store: Store, text: str, **filters: object) -> list[int]:
    query = parse_query(text)
    return [item["id"] for item in SearchStore(store.db).search(query, ItemFilter(**filters))]


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "watch.db") as opened:
        opened.sync_sources([SOURCE_A, SOURCE_B])
        yield opened


# --- the query -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("solidarite", '"solidarite"'),
        ("Solidarité Internationale", '"solidarite" AND "internationale"'),
        ('"semaine de la" ssi', '"semaine de la" AND "ssi"'),
        ("aide -humanitaire", '("aide") NOT ("humanitaire")'),
        ('aide -"aide alimentaire" -x', '("aide") NOT ("aide alimentaire" OR "x")'),
        ("solidar*", '"solidar" *'),
        ("l'ECSI", '"l ecsi"'),
        (
            'NEAR(a b) OR c:d ^e AND "f',
            '"near a" AND "b" AND "or" AND "c d" AND "e" AND "and" AND "f"',
        ),
        ('"unclosed phrase', '"unclosed phrase"'),
        ("", None),
        ("  --- !!! ", None),
        ("-seulement", None),
    ],
)
def test_the_users_words_become_a_quoted_fts_query(text: str, expected: str | None) -> None:
    assert parse_query(text).fts() == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("solidar", '"solidar" *'),
        ("Semaine Solidar", '"semaine" AND "solidar" *'),
        ("solidar*", '"solidar" *'),
        ("l'ECS", '"l ecs" *'),
        ("l'EC", '"l ec"'),
        ("UE", '"ue"'),
        ("aide a", '"aide" AND "a"'),
        ("a*", '"a" *'),
        ('"semaine de la"', '"semaine de la"'),
        ('aide "semaine de', '"aide" AND "semaine de"'),
        ("aide -humanit", '("aide") NOT ("humanit" *)'),
        ("aide !!!", '"aide" *'),
        ("-seulement", None),
    ],
)
def test_as_typed_the_last_word_is_a_prefix_unless_quoted(text: str, expected: str | None) -> None:
    assert parse_query(text, typing=True).fts() == expected


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40), st.booleans())
def test_no_input_raises_and_every_query_runs(text: str, typing: bool) -> None:
    expression = parse_query(text, typing=typing).fts()
    conn = sqlite3.connect(":memory:")
    conn.execute(
        "CREATE VIRTUAL TABLE t USING fts5 (a, tokenize = 'unicode61 remove_diacritics 2')"
    )
    conn.execute("INSERT INTO t (a) VALUES ('Solidarité internationale, l’ECSI et la COP30')")
    if expression is not None:
        conn.execute("SELECT rowid FROM t WHERE t MATCH ?", [expression]).fetchall()


@given(st.text(max_size=30), st.text(max_size=60))
def test_highlights_are_within_the_text_and_do_not_overlap(query: str, text: str) -> None:
    spans = match_spans(text, parse_query(query))
    assert all(0 <= start < end <= len(text) for start, end in spans)
    assert all(a[1] < b[0] for a, b in itertools.pairwise(spans))


def test_highlights_fold_accents_and_case_and_follow_phrases() -> None:
    text = "Festisol : la Solidarité internationale, solidaires"
    assert [text[a:b] for a, b in match_spans(text, parse_query("solidarite"))] == ["Solidarité"]
    assert [text[a:b] for a, b in match_spans(text, parse_query("solid*"))] == [
        "Solidarité",
        "solidaires",
    ]
    spans = match_spans(text, parse_query('"la solidarite internationale"'))
    assert [text[a:b] for a, b in spans] == ["la Solidarité internationale"]
    assert match_spans(text, parse_query("-festisol solidaires")) == [(41, 51)]


# --- the store -----------------------------------------------------------------------------


def test_accents_and_case_do_not_matter_and_the_title_ranks_first(store: Store) -> None:
    in_title = add(store, 1, "Semaine de la solidarité internationale", "Programme.")
    in_summary = add(store, 2, "Programme de novembre", "Pendant la Solidarité internationale…")
    add(store, 3, "Aide humanitaire", "Rien à voir.")
    assert found(store, "solidarite") == [in_title, in_summary]
    assert found(store, "SOLIDARITÉ -novembre") == [in_title]
    assert found(store, '"internationale solidarité"') == []
    assert found(store, "solidar*", limit=1) == [in_title]


def test_results_take_the_filters_of_list(store: Store) -> None:
    one = add(store, 1, "Solidarité en Afrique")
    two = add(store, 2, "Solidarité en Asie", source=SOURCE_B)
    store.set_status(one, "selected", by="camille", now=NOW)
    assert found(store, "solidarite", status="selected") == [one]
    assert found(store, "solidarite", sources=("b",)) == [two]
    store.add_tags(two, ["asie"], by="lea", now=NOW)
    assert found(store, "solidarite", tags=("asie",)) == [two]


def test_equal_scores_give_the_newest_first(store: Store) -> None:
    older = add(store, 5, "Festisol")
    newer = add(store, 1, "Festisol")
    assert found(store, "festisol") == [newer, older]


def test_the_index_follows_notes_merge_split_and_deletion(store: Store) -> None:
    keep = add(store, 1, "Appel à projets")
    other = add(store, 2, "Un autre appel", source=SOURCE_B)
    search = SearchStore(store.db)

    store.add_note(other, "À relayer pour l'ECSI", by="lea", now=NOW)
    assert found(store, "ecsi") == [other]
    assert search.check()

    merge_items(store, [keep, other], by="camille", now=NOW)
    assert found(store, "ecsi") == [keep]  # the note moved with the merge
    assert found(store, "autre") == []  # the merged item is gone, and its text with it
    assert search.check()

    sighting = next(s["id"] for s in store.get_item(keep)["sightings"] if s["source"] == "b")
    new_id = split_sighting(store, None, keep, sighting, by="camille", now=NOW)
    assert found(store, "autre") == [new_id]
    assert search.check()

    with store.write():
        store.db.execute("DELETE FROM notes WHERE item_id = ?", [keep])
    assert found(store, "ecsi") == []
    assert search.check()


def test_a_refetch_that_changes_an_entry_changes_what_finds_it(
    workspace: Workspace, feed_server: FeedServer
) -> None:
    feed = "/set/search-refetch.xml"
    workspace.write_config([{"id": "rss", "url": feed_server.url(feed), "network": "cerapcoop"}])
    first = {"title": "Brouillon du titre", "link": "https://example.org/a", "guid": "a"}
    feed_server.put("search-refetch.xml", rss(first).encode())
    assert workspace.run("fetch", "--quiet").returncode == 0
    assert len(json.loads(workspace.run("search", "brouillon", "--json").stdout)) == 1

    feed_server.put("search-refetch.xml", rss({**first, "title": "Titre définitif"}).encode())
    assert workspace.run("fetch", "--quiet").returncode == 0
    assert workspace.run("search", "brouillon", "--json").stdout.strip() == "[]"
    (item,) = json.loads(workspace.run("search", "definitif", "--json").stdout)
    assert item["title"] == "Titre définitif"


# --- the command ---------------------------------------------------------------------------


def test_search_on_the_command_line(workspace: Workspace, feed_server: FeedServer) -> None:
    feed = "/set/search-cli.xml"
    workspace.write_config([{"id": "rss", "url": feed_server.url(feed), "network": "cerapcoop"}])
    entries = [
        {"title": "Solidarité [bold]internationale[/bold]", "link": "https://e.org/1", "guid": "1"},
        {"title": "La solidarité en région", "link": "https://e.org/2", "guid": "2"},
        {"title": "Autre chose", "link": "https://e.org/3", "guid": "3"},
    ]
    feed_server.put("search-cli.xml", rss(*entries).encode())
    assert workspace.run("fetch", "--quiet").returncode == 0

    result = workspace.run("search", "solidarite", "--json")
    assert result.returncode == 0, result.stderr
    items = json.loads(result.stdout)
    assert {i["title"] for i in items} == {entries[0]["title"], entries[1]["title"]}
    assert {"id", "title", "url", "published", "first_seen", "sources", "tags"} <= set(items[0])

    table = workspace.run("search", "internationale")
    assert table.returncode == 0
    assert "[bold]internationale[/bold]" in table.stdout  # feed text is never markup

    empty = workspace.run("search", "--", "-seulement")
    assert empty.returncode == 2
    assert empty.stderr.count("\n") == 1 and "nothing to search for" in empty.stderr
    none = workspace.run("search", "introuvable")
    assert none.returncode == 0 and none.stdout == "" and "no items match" in none.stderr


def test_several_words_and_a_quoted_exclusion(workspace: Workspace) -> None:
    workspace.write_config([])
    with Store.open(workspace.db) as store:
        store.sync_sources([SOURCE_A])
        keep = add(store, 1, "Aide au développement")
        add(store, 2, "Aide humanitaire au Soudan")
    for args in (["aide", "developpement"], ["aide -humanitaire"], ["--", "aide", "-soudan"]):
        result = workspace.run("search", "--json", *args)
        assert result.returncode == 0, (args, result.stderr)
        assert [i["id"] for i in json.loads(result.stdout)] == [keep], args


# --- the index against a model, under random writes ------------------------------------------

WORDS = ["solidarité", "festisol", "ecsi", "afrique", "climat", "réseau"]
Step = tuple[str, int, int]
steps = st.lists(
    st.tuples(
        st.sampled_from(["add", "retitle", "note", "unnote", "merge", "split"]),
        st.integers(0, 20),
        st.integers(0, 20),
    ),
    min_size=1,
    max_size=14,
)


@settings(max_examples=25, deadline=None)
@given(steps)
def test_the_index_always_finds_exactly_the_items_whose_words_match(plan: list[Step]) -> None:
    with tempfile.TemporaryDirectory() as folder, Store.open(Path(folder) / "w.db") as store:
        store.sync_sources([SOURCE_A, SOURCE_B])
        for n, (action, a, b) in enumerate(plan):
            ids = [item["id"] for item in store.list_items(ItemFilter())]
            pick = ids[a % len(ids)] if ids else None
            other = ids[b % len(ids)] if ids else None
            if action == "add" or pick is None:
                add(
                    store,
                    100 + n,
                    f"{WORDS[a % 6]} n°{n}",
                    WORDS[b % 6],
                    (SOURCE_A, SOURCE_B)[b % 2],
                )
            elif action == "retitle":
                sighting = store.get_item(pick)["sightings"][0]
                match = store.find_sighting(sighting["source"], sighting["guid"])
                assert match is not None
                changed = Entry(
                    guid=sighting["guid"],
                    url=sighting["url"],
                    link=sighting["url"],
                    title=f"{WORDS[b % 6]} repris",
                    summary="",
                    published=NOW,
                    dated=True,
                )
                with store.write():
                    store.update_sighting(match, changed, url_key=None, content_hash="x", now=NOW)
            elif action == "note":
                store.add_note(pick, WORDS[b % 6], by="lea", now=NOW)
            elif action == "unnote":
                with store.write():
                    store.db.execute(
                        "DELETE FROM notes WHERE id ="
                        " (SELECT min(id) FROM notes WHERE item_id = ?)",
                        [pick],
                    )
            elif action == "merge" and pick != other:
                merge_items(store, [pick, other], by="camille", now=NOW)
            elif action == "split":
                sightings = store.get_item(pick)["sightings"]
                if len(sightings) > 1:
                    split_sighting(store, None, pick, sightings[-1]["id"], by="camille", now=NOW)
        assert SearchStore(store.db).check()
        texts = {
            row["id"]: words(
                " ".join([row["title"], row["summary"], *(n["text"] for n in row["notes"])])
            )
            for row in (store.get_item(i["id"]) for i in store.list_items(ItemFilter()))
        }
        for word in WORDS:
            expected = {i for i, found_words in texts.items() if fold_word(word) in found_words}
            assert set(found(store, word)) == expected, word


def test_what_the_triggers_read_is_one_item_by_id(store: Store) -> None:
    """The triggers' statements (traced as comments, so not in test_ingest_plans) read the
    text of one item: seeks by id, never a scan."""
    plan = " ".join(
        row[-1]
        for row in store.db.execute(
            "EXPLAIN QUERY PLAN SELECT id, title, summary, notes FROM items_search_text"
            " WHERE id = 1"
        )
    )
    assert "SCAN" not in plan.replace("SCAN (subquery", "").replace("SCAN CONSTANT", ""), plan
    assert "notes_item" in plan, plan


def test_a_hit_in_the_summary_shows_an_excerpt_around_it_literally() -> None:
    from watchcli.views import search_hit

    query = parse_query("solidarite")
    spans = lambda text: match_spans(text, query)  # noqa: E731
    summary = "[bold]Un long début[/bold] " + "bla " * 40 + "pour la Solidarité " + "fin " * 30
    hit = search_hit({"title": "Programme", "summary": summary}, spans)
    first, second = hit.plain.split("\n")
    assert first == "Programme"
    assert second.startswith("…") and second.endswith("…") and "Solidarité" in second
    marked = [hit.plain[s.start : s.end] for s in hit.spans if "reverse" in str(s.style)]
    assert marked == ["Solidarité"]
    shown = search_hit({"title": "[bold]x[/bold] solidarité", "summary": summary}, spans)
    assert shown.plain == "[bold]x[/bold] solidarité"  # a title hit: no excerpt, no markup

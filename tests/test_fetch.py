"""Fetch end to end, in process: a real HTTP server on loopback, a real SQLite file."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import rss
from tests.feedserver import FeedServer
from watchcli import USER_AGENT, ingest
from watchcli.config import Config, FetchSettings, Network, PageSelectors, Pick, Source
from watchcli.ingest import FetchRun
from watchcli.models import ItemFilter
from watchcli.store import Store


def make_config(tmp_path: Path, *sources: Source, **fetch: float) -> Config:
    return Config(
        path=tmp_path / "sources.toml",
        networks={
            "cerapcoop": Network("cerapcoop", "CERAPCOOP", ("camille",)),
            "resacoop": Network("resacoop", "RESACOOP", ("lea",)),
        },
        sources=sources,
        fetch=replace(FetchSettings(), **fetch),
    )


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "watch.db") as opened:
        yield opened


def fetch(store: Store, config: Config, **kwargs):
    return FetchRun(store, config, **kwargs).run()


def health(store: Store, source_id: str) -> dict:
    return store.sources_health([source_id])[0]


def test_second_fetch_is_all_not_modified_and_stores_nothing_twice(
    store: Store, feed_server: FeedServer, tmp_path: Path
) -> None:
    config = make_config(
        tmp_path,
        Source("rss", feed_server.url("/feeds/rss2.xml"), network="cerapcoop"),
        Source("atom", feed_server.url("/feeds/atom.xml"), network="resacoop"),
        Source("json", feed_server.url("/plain/jsonfeed.json")),
    )
    first = fetch(store, config)
    assert (first.ok, first.failed) == (3, 0), first.errors
    assert first.new_items > 0
    items = store.count_items()
    sightings = store.db.execute("SELECT count(*) FROM sightings").fetchone()[0]

    second = fetch(store, config)

    assert (second.ok, second.not_modified, second.failed) == (0, 3, 0)
    assert (second.new_items, second.new_sightings, second.updated) == (0, 0, 0)
    assert store.count_items() == items
    assert store.db.execute("SELECT count(*) FROM sightings").fetchone()[0] == sightings
    # ETag sent back: the server answered 304 to the validators it gave.
    assert feed_server.requests_to("/feeds/rss2.xml")[-1]["if-none-match"].startswith('"')


def test_a_run_where_nothing_changed_starts_no_parse_process(
    store: Store, feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Worker processes cost a fetch from cron more than its requests when every feed
    answers "not modified": none are started then."""
    config = make_config(
        tmp_path,
        Source("rss", feed_server.url("/feeds/rss2.xml")),
        Source("atom", feed_server.url("/feeds/atom.xml")),
    )
    started = []

    class CountedPool(ingest.ProcessPoolExecutor):
        def __init__(self, *args, **kwargs) -> None:
            started.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(ingest, "ProcessPoolExecutor", CountedPool)
    assert fetch(store, config).ok == 2
    assert len(started) == 1

    second = fetch(store, config)

    assert second.not_modified == 2
    assert len(started) == 1


def test_requests_carry_an_honest_user_agent_and_ask_for_feeds(
    store: Store, feed_server: FeedServer, tmp_path: Path
) -> None:
    fetch(store, make_config(tmp_path, Source("ua", feed_server.url("/plain/rss2.xml?ua"))))
    headers = feed_server.requests_to("/plain/rss2.xml?ua")[0]
    assert headers["user-agent"] == USER_AGENT
    assert USER_AGENT.startswith("watchcli/") and "+http" in USER_AGENT
    assert "application/rss+xml" in headers["accept"]
    assert "application/atom+xml" in headers["accept"]


def test_same_canonical_url_from_two_sources_is_one_item_with_two_sightings(
    store: Store, feed_server: FeedServer, tmp_path: Path
) -> None:
    story = "https://www.afd.fr/fr/actualites/appel-a-projets-ecsi-2027"
    a = feed_server.put(
        "dup-a",
        rss(
            {
                "title": "Appel à projets ECSI 2027",
                "link": story + "?utm_source=rss&amp;utm_medium=feed",
                "guid": "afd-1",
                "pubDate": "Tue, 24 Nov 2026 10:00:00 +0000",
            }
        ),
    )
    b = feed_server.put(
        "dup-b",
        rss(
            {
                "title": "L'AFD ouvre son appel à projets ECSI 2027",
                "link": story + "#xtor=RSS-3",
                "guid": "csud-99",
                "pubDate": "Tue, 24 Nov 2026 12:00:00 +0000",
            }
        ),
    )
    config = make_config(
        tmp_path, Source("afd", a, network="cerapcoop"), Source("csud", b, network="resacoop")
    )
    summary = fetch(store, config)

    assert (summary.new_items, summary.new_sightings) == (1, 1)
    [item] = store.list_items(ItemFilter())
    assert item["url"] == story
    assert sorted(item["sources"]) == ["afd", "csud"]
    detail = store.get_item(item["id"])
    assert sorted(s["how"] for s in detail["sightings"]) == ["new", "url"]


def test_a_changed_entry_updates_its_item_instead_of_adding_one(
    store: Store, feed_server: FeedServer, tmp_path: Path
) -> None:
    entry = {
        "title": "Festisol : le programme",
        "link": "https://festisol.example/prog",
        "guid": "prog-1",
        "pubDate": "Mon, 16 Nov 2026 09:00:00 +0000",
    }
    url = feed_server.put("changing", rss(entry))
    config = make_config(tmp_path, Source("festisol", url))
    fetch(store, config)
    feed_server.put("changing", rss({**entry, "title": "Festisol : le programme complet"}))

    summary = fetch(store, config)

    assert (summary.new_items, summary.updated) == (0, 1)
    [item] = store.list_items(ItemFilter())
    assert item["title"] == "Festisol : le programme complet"


def test_a_body_identical_to_the_last_is_not_parsed_again(
    store: Store, feed_server: FeedServer, tmp_path: Path
) -> None:
    config = make_config(tmp_path, Source("plain", feed_server.url("/plain/atom.xml")))
    assert fetch(store, config).ok == 1
    second = fetch(store, config)
    assert (second.ok, second.not_modified) == (0, 1)
    assert "if-none-match" not in feed_server.requests_to("/plain/atom.xml")[-1]


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/status/404", 404, "HTTP 404"),
        ("/status/500", 500, "HTTP 500"),
        ("/feeds/html-page.html", 200, "not a feed"),
        ("/redirect/6/rss2.xml", None, "more than 5 redirects"),
        ("/big/20", 200, "larger than 15 MiB"),
        ("/gzip-bomb/20", 200, "larger than 15 MiB"),
    ],
)
def test_a_failing_source_is_recorded_and_does_not_stop_the_others(
    store: Store,
    feed_server: FeedServer,
    tmp_path: Path,
    path: str,
    status: int | None,
    message: str,
) -> None:
    config = make_config(
        tmp_path,
        Source("bad", feed_server.url(path)),
        Source("good", feed_server.url("/plain/rss2.xml?" + path)),
    )
    summary = fetch(store, config)

    assert (summary.ok, summary.failed) == (1, 1)
    assert summary.errors[0]["source"] == "bad"
    assert message in summary.errors[0]["error"]
    bad = health(store, "bad")
    assert (bad["failures"], bad["last_status"]) == (1, status)
    assert message in bad["last_error"]
    assert health(store, "good")["items"] > 0
    # Consecutive failures count up; a success resets them.
    fetch(store, config)
    assert health(store, "bad")["failures"] == 2


def test_a_body_that_is_no_feed_is_asked_for_conditionally_and_stays_a_failure(
    store: Store, feed_server: FeedServer, tmp_path: Path
) -> None:
    """An HTML page where a feed should be: the next run asks whether it changed (no download
    when it did not) and reports the same failure; once a feed is served, it is read."""
    page = "<!doctype html><html><body><p>Notre flux a déménagé.</p></body></html>"
    url = feed_server.put("moved", page, content_type="text/html", headers={"ETag": '"p1"'})
    config = make_config(tmp_path, Source("moved", url))
    first = fetch(store, config)
    assert first.failed == 1 and "not a feed" in first.errors[0]["error"]

    second = fetch(store, config)
    assert feed_server.requests_to("/set/moved")[-1].get("if-none-match") == '"p1"'
    assert (second.ok, second.not_modified, second.failed) == (0, 0, 1)
    assert second.errors[0]["error"] == first.errors[0]["error"]
    moved = health(store, "moved")
    assert (moved["failures"], moved["last_status"]) == (2, 304)

    feed = rss({"title": "Le flux est revenu", "link": "https://example.org/1", "guid": "1"})
    feed_server.put("moved", feed, headers={"ETag": '"f1"'})
    third = fetch(store, config)
    assert (third.ok, third.failed, third.new_items) == (1, 0, 1)
    assert health(store, "moved")["failures"] == 0
    assert fetch(store, config).not_modified == 1


def test_a_body_another_version_found_no_feed_is_read_again(
    store: Store, feed_server: FeedServer, tmp_path: Path
) -> None:
    """Validators kept by another version's failure are not sent: this one may read it."""
    url = feed_server.put("odd", "<html>not yet</html>", headers={"ETag": '"o1"'})
    config = make_config(tmp_path, Source("odd", url))
    assert fetch(store, config).failed == 1
    with store.write():
        store.db.execute("UPDATE sources SET body_hash = 'no-feed/0.0.1:' || body_hash")
    assert fetch(store, config).failed == 1
    assert "if-none-match" not in feed_server.requests_to("/set/odd")[-1]


def test_a_page_that_gave_nothing_is_read_again_whole(
    store: Store, feed_server: FeedServer, tmp_path: Path
) -> None:
    """A page source keeps no validators of a failure: new selectors may find entries in it."""
    url = feed_server.put(
        "page",
        "<html><body><p>Rien</p></body></html>",
        content_type="text/html",
        headers={"ETag": '"g1"'},
    )
    selectors = PageSelectors(item="article.appel", title=Pick("h2"), link=Pick("a", "href"))
    source = Source("page", url, page=selectors)
    config = make_config(tmp_path, source)
    assert fetch(store, config).failed == 1
    assert fetch(store, config).failed == 1
    assert "if-none-match" not in feed_server.requests_to("/set/page")[-1]


def test_redirects_within_the_limit_are_followed(
    store: Store, feed_server: FeedServer, tmp_path: Path
) -> None:
    summary = fetch(
        store, make_config(tmp_path, Source("r", feed_server.url("/redirect/5/rss2.xml")))
    )
    assert (summary.ok, summary.failed) == (1, 0)
    assert health(store, "r")["final_url"].endswith("/feeds/rss2.xml")


def test_gone_sources_are_marked_and_skipped_afterwards(
    store: Store, feed_server: FeedServer, tmp_path: Path
) -> None:
    config = make_config(tmp_path, Source("old", feed_server.url("/status/410")))
    first = fetch(store, config)
    assert first.failed == 1 and "410" in first.errors[0]["error"]
    assert health(store, "old")["gone"] == 1
    requests = len(feed_server.requests_to("/status/410"))

    second = fetch(store, config)

    assert (second.skipped, second.failed) == (1, 0)
    assert len(feed_server.requests_to("/status/410")) == requests


@pytest.mark.parametrize("code", ["429", "503"])
def test_retry_after_is_honoured_on_the_next_run(
    store: Store, feed_server: FeedServer, tmp_path: Path, code: str
) -> None:
    path = f"/status/{code}"
    config = make_config(tmp_path, Source("busy", feed_server.url(path)))
    assert fetch(store, config).failed == 1
    assert health(store, "busy")["retry_after"] is not None
    asked = len(feed_server.requests_to(path))

    second = fetch(store, config)

    assert second.skipped == 1
    assert len(feed_server.requests_to(path)) == asked


def test_slow_and_trickling_servers_time_out(
    store: Store, feed_server: FeedServer, tmp_path: Path
) -> None:
    config = make_config(
        tmp_path,
        Source("slow", feed_server.url("/slow/3/rss2.xml")),
        Source("trickle", feed_server.url("/trickle")),
        timeout=1.0,
    )
    summary = fetch(store, config)
    errors = {e["source"]: e["error"] for e in summary.errors}
    assert "timed out" in errors["slow"]
    assert "within 3 s" in errors["trickle"]


def test_the_run_deadline_stops_waiting_and_says_so(
    store: Store, feed_server: FeedServer, tmp_path: Path
) -> None:
    config = make_config(
        tmp_path,
        Source("quick", feed_server.url("/plain/rss2.xml?deadline")),
        Source("slow", feed_server.url("/slow/4/atom.xml")),
        deadline=1.5,
    )
    summary = fetch(store, config)
    assert summary.ok == 1
    assert "deadline" in summary.errors[0]["error"]


def test_malformed_feed_is_stored_as_far_as_it_goes_and_the_problem_recorded(
    store: Store, feed_server: FeedServer, tmp_path: Path
) -> None:
    summary = fetch(
        store, make_config(tmp_path, Source("broken", feed_server.url("/feeds/malformed.xml")))
    )
    row = health(store, "broken")
    assert summary.failed == 0
    assert row["problem"]
    assert row["items"] >= 1


def test_charset_from_http_header_is_used(
    store: Store, feed_server: FeedServer, tmp_path: Path
) -> None:
    fetch(
        store,
        make_config(tmp_path, Source("latin", feed_server.url("/latin1/latin1-undeclared.xml"))),
    )
    titles = " ".join(i["title"] for i in store.list_items(ItemFilter()))
    assert "é" in titles
    assert "\ufffd" not in titles and "Ã" not in titles


def test_only_the_chosen_sources_are_fetched(
    store: Store, feed_server: FeedServer, tmp_path: Path
) -> None:
    config = make_config(
        tmp_path,
        Source("one", feed_server.url("/plain/rss2.xml?one")),
        Source("two", feed_server.url("/plain/rss2.xml?two")),
    )
    summary = fetch(store, config, only=("two",))
    assert summary.sources == 1
    assert health(store, "one")["last_attempt"] is None


def test_a_changed_source_url_starts_afresh(
    store: Store, feed_server: FeedServer, tmp_path: Path
) -> None:
    config = make_config(tmp_path, Source("moved", feed_server.url("/status/410")))
    fetch(store, config)
    assert health(store, "moved")["gone"] == 1

    moved = make_config(tmp_path, Source("moved", feed_server.url("/feeds/rss2.xml?moved")))
    summary = fetch(store, moved)

    assert (summary.ok, summary.skipped) == (1, 0)
    row = health(store, "moved")
    assert (row["gone"], row["failures"], row["last_error"]) == (0, 0, None)

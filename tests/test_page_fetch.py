"""Page sources end to end: pages served by the real loopback server, fetched into a real SQLite
store by the real fetch run, in process and through the installed `watchcli`."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from tests.conftest import NETWORKS, Workspace, rss
from tests.feedserver import PAGES, FeedServer
from watchcli.config import Config, Network, PageSelectors, Pick, Source, load_config
from watchcli.ingest import FetchRun
from watchcli.models import ItemFilter
from watchcli.store import Store
from watchcli.tui import create_app

CARDS = PageSelectors(
    item="div.fr-card",
    title=Pick(".fr-card__title"),
    link=Pick("a", "href"),
    date=Pick(".fr-card__detail"),
    summary=Pick(".fr-card__desc"),
)
ECSI_TITLE = (
    "Appel à projets ECSI 2027 : éducation à la citoyenneté et à la solidarité internationale"
)


def page_source(source_id: str, url: str, network: str | None = "cerapcoop") -> Source:
    return Source(source_id, url, network=network, kind="page", page=CARDS)


def make_config(tmp_path: Path, *sources: Source) -> Config:
    return Config(
        path=tmp_path / "sources.toml",
        networks={
            "cerapcoop": Network("cerapcoop", "CERAPCOOP", ("camille",)),
            "resacoop": Network("resacoop", "RESACOOP", ("lea",)),
        },
        sources=sources,
    )


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "watch.db") as opened:
        yield opened


def fetch(store: Store, config: Config):
    return FetchRun(store, config).run()


def page_toml(source_id: str, url: str, *, network: str = "cerapcoop") -> str:
    return f"""
[[sources]]
id = "{source_id}"
url = "{url}"
kind = "page"
network = "{network}"

[sources.page]
item = "div.fr-card"
title = ".fr-card__title"
link = "a@href"
date = ".fr-card__detail"
"""


def write_config(workspace: Workspace, *tables: str) -> None:
    vocabulary = """
[tags]
ecsi = "Éducation à la citoyenneté et à la solidarité internationale"
ssi = "Semaine de la solidarité internationale"

[[rules]]
tag = "ssi"
any = ["festisol", "festival des solidarités"]
"""
    workspace.config.write_text(
        f'[store]\npath = "watch.db"\n{NETWORKS}{vocabulary}' + "".join(tables),
        encoding="utf-8",
    )


# --- Done means: a page source with four selectors, shown like any other source --------------


def test_a_page_fetches_into_items_that_list_triage_and_digest_show(
    workspace: Workspace, feed_server: FeedServer
) -> None:
    write_config(workspace, page_toml("region", feed_server.url("/pages/region-appels.html")))

    fetched = workspace.run("fetch", "--json")

    assert fetched.returncode == 0, fetched.stderr
    summary = json.loads(fetched.stdout)
    assert (summary["ok"], summary["failed"], summary["new_items"]) == (1, 0, 4)
    listed = json.loads(workspace.run("list", "--json").stdout)
    by_title = {item["title"]: item for item in listed}
    assert set(by_title) == {
        ECSI_TITLE,
        "Coopération décentralisée : soutien aux partenariats avec l’Afrique de l’Ouest",
        "Festisol : financement des événements du Festival des solidarités",
        "[bold]Jeunesse[/bold] et solidarité internationale : appel JSI 2027",
    }
    ecsi = by_title[ECSI_TITLE]
    assert ecsi["url"] == feed_server.url("/aides/appel-a-projets-ecsi-2027")
    assert ecsi["sources"] == ["region"]
    assert ecsi["published"] == "2026-12-02T00:00:00+00:00"
    # Rules and the source's network apply as to a feed's entries.
    assert by_title["Festisol : financement des événements du Festival des solidarités"][
        "tags"
    ] == ["ssi"]
    assert {item["network"] for item in listed} == {"cerapcoop"}

    # The table shows Rich markup from the page as it is written, never styled.
    table = workspace.run("list")
    assert "[bold]Jeunesse[/bold]" in table.stdout
    assert "\x1b" not in table.stdout

    # Triage: claim, tag and select a page item as any other; the digest then carries it.
    item_id = str(ecsi["id"])
    for command in (["claim", item_id], ["tag", item_id, "-t", "ecsi"], ["select", item_id]):
        done = workspace.run(*command)
        assert done.returncode == 0, done.stderr
    shown = json.loads(workspace.run("show", item_id, "--json").stdout)
    assert (shown["status"], shown["assignee"], shown["tags"]) == ("selected", "camille", ["ecsi"])
    assert [s["source"] for s in shown["sightings"]] == ["region"]
    digest = workspace.run("digest", "--week", "this")
    assert digest.returncode == 0, digest.stderr
    assert "Appel à projets ECSI 2027" in digest.stdout
    assert feed_server.url("/aides/appel-a-projets-ecsi-2027") in digest.stdout


# --- Done means: a layout change fails loudly, naming the selector ---------------------------


def test_a_layout_change_makes_fetch_exit_1_naming_the_selector_and_keeps_the_items(
    workspace: Workspace, feed_server: FeedServer
) -> None:
    url = feed_server.put(
        "region-layout",
        (PAGES / "region-appels.html").read_bytes(),
        content_type="text/html; charset=utf-8",
    )
    write_config(workspace, page_toml("region", url))
    assert workspace.run("fetch", "--quiet").returncode == 0

    feed_server.put(
        "region-layout",
        (PAGES / "region-appels-v2.html").read_bytes(),
        content_type="text/html; charset=utf-8",
    )
    for _ in range(2):  # the broken page is read again next time, never taken as unchanged
        failed = workspace.run("fetch", "--quiet")

        assert failed.returncode == 1
        assert failed.stderr.strip() == (
            "region: page: the item selector 'div.fr-card' matches nothing (the site changed?); "
            "tune it with `watchcli sources check --source ID`"
        )
        assert "Traceback" not in failed.stderr
    [health] = json.loads(workspace.run("sources", "list", "--json").stdout)
    assert (health["health"], health["failures"], health["items"]) == ("failing", 2, 4)
    assert "'div.fr-card' matches nothing" in health["last_error"]
    assert len(json.loads(workspace.run("list", "--json").stdout)) == 4
    table = workspace.run("sources", "list")
    assert "failing" in table.stdout and "the site changed?" in table.stdout


def test_a_failing_page_does_not_stop_the_other_sources(
    store: Store, feed_server: FeedServer, tmp_path: Path
) -> None:
    broken = feed_server.url("/pages/region-appels-v2.html")
    feed = feed_server.put(
        "other-feed",
        rss({"title": "Une autre actualité", "link": "https://x.example/a", "guid": "x-1"}),
    )
    summary = fetch(
        store, make_config(tmp_path, page_source("region", broken), Source("feed", feed))
    )
    assert (summary.ok, summary.failed, summary.new_items) == (1, 1, 1)
    assert summary.errors[0]["source"] == "region"


# --- Done means: an unchanged page is a 304 or a body-hash skip -------------------------------


def test_a_second_fetch_of_the_unchanged_page_is_a_304(
    store: Store, feed_server: FeedServer, tmp_path: Path
) -> None:
    url = feed_server.url("/pages/region-appels.html?etag")
    config = make_config(tmp_path, page_source("region", url))
    first = fetch(store, config)
    assert (first.ok, first.new_items) == (1, 4)

    second = fetch(store, config)

    assert (second.ok, second.not_modified, second.new_items, second.updated) == (0, 1, 0, 0)
    requests = feed_server.requests_to("/pages/region-appels.html?etag")
    assert requests[-1]["if-none-match"].startswith('"')
    assert "text/html" in requests[0]["accept"]  # a page source asks for HTML, not feeds
    assert store.count_items() == 4


def test_a_second_fetch_without_validators_is_a_body_hash_skip(
    store: Store, feed_server: FeedServer, tmp_path: Path
) -> None:
    url = feed_server.put(
        "region-no-etag",
        (PAGES / "region-appels.html").read_bytes(),
        content_type="text/html; charset=utf-8",
    )
    config = make_config(tmp_path, page_source("region", url))
    fetch(store, config)

    second = fetch(store, config)

    assert (second.ok, second.not_modified, second.new_items) == (0, 1, 0)
    assert len(feed_server.requests_to("/set/region-no-etag")) == 2  # fetched, not a 304
    assert "if-none-match" not in feed_server.requests_to("/set/region-no-etag")[-1]


def test_a_changed_card_updates_its_item(
    store: Store, feed_server: FeedServer, tmp_path: Path
) -> None:
    original = (PAGES / "region-appels.html").read_text(encoding="utf-8")
    url = feed_server.put("region-edit", original, content_type="text/html")
    config = make_config(tmp_path, page_source("region", url))
    fetch(store, config)
    feed_server.put(
        "region-edit",
        original.replace(
            "Dépôt des dossiers jusqu’au 31 janvier 2027", "Dépôt prolongé au 15 mars"
        ),
        content_type="text/html",
    )

    again = fetch(store, config)

    assert (again.ok, again.new_items, again.updated) == (1, 0, 1)
    assert store.count_items() == 4


# --- The same story on a page and in a feed ---------------------------------------------------


def test_a_call_on_a_page_and_in_a_feed_is_one_item_with_two_sightings(
    store: Store, feed_server: FeedServer, tmp_path: Path
) -> None:
    feed = feed_server.put(
        "csud-ecsi",
        rss(
            {
                "title": "La Région ouvre son appel ECSI 2027",
                "link": feed_server.url("/aides/appel-a-projets-ecsi-2027")
                + "?utm_source=rss&amp;utm_medium=feed",
                "guid": "csud-4411",
                "pubDate": "Wed, 02 Dec 2026 16:00:00 +0000",
            }
        ),
    )
    config = make_config(
        tmp_path,
        page_source("region", feed_server.url("/pages/region-appels.html?merge")),
        Source("csud", feed, network="resacoop"),
    )

    summary = fetch(store, config)

    assert (summary.new_items, summary.new_sightings) == (4, 1)
    [item] = [i for i in store.list_items(ItemFilter()) if "ECSI" in i["title"]]
    assert sorted(item["sources"]) == ["csud", "region"]
    detail = store.get_item(item["id"])
    assert sorted(s["how"] for s in detail["sightings"]) == ["new", "url"]
    # Seen through both networks' sources: left for whoever claims it.
    assert item["network"] is None


def test_the_same_call_under_another_address_merges_as_a_near_duplicate(
    store: Store, feed_server: FeedServer, tmp_path: Path
) -> None:
    feed = feed_server.put(
        "csud-ecsi-near",
        rss(
            {
                "title": "Appel à projets ECSI 2027 : éducation à la citoyenneté et à la "
                "solidarité internationale",
                "link": "https://www.coordinationsud.org/actualite/region-appel-ecsi-2027/",
                "guid": "csud-4412",
                "description": "Soutien aux actions d’éducation à la citoyenneté et à la "
                "solidarité internationale portées par les associations du territoire.",
                "pubDate": "Wed, 02 Dec 2026 16:00:00 +0000",
            }
        ),
    )
    config = make_config(
        tmp_path,
        Source("csud", feed, network="resacoop"),
        page_source("region", feed_server.url("/pages/region-appels.html?near")),
    )

    summary = fetch(store, config)

    assert (summary.new_items, summary.new_sightings) == (4, 1)
    [item] = [i for i in store.list_items(ItemFilter()) if "ECSI" in i["title"]]
    assert sorted(item["sources"]) == ["csud", "region"]
    assert sorted(s["how"] for s in store.get_item(item["id"])["sightings"]) == ["near", "new"]


# --- Configuration errors through the installed command ---------------------------------------


def test_sources_check_refuses_an_invalid_selector_with_file_and_line(
    workspace: Workspace,
) -> None:
    write_config(
        workspace,
        page_toml("region", "https://www.region.example/aides/").replace(
            'title = ".fr-card__title"', 'title = "h3 >"'
        ),
    )
    lines = workspace.config.read_text(encoding="utf-8").splitlines()
    line = lines.index('title = "h3 >"') + 1

    checked = workspace.run("sources", "check")

    assert checked.returncode == 2
    assert checked.stderr.strip() == (
        f"watchcli: {workspace.config}:{line}: title: invalid CSS selector 'h3 >': the HTML "
        "parser cannot read it (check brackets, quotes and pseudo-classes)"
    )
    # The same refusal stops a fetch before anything is touched.
    assert workspace.run("fetch").returncode == 2
    assert not workspace.db.exists()


# --- Preview: sources check --source ID --------------------------------------------------------


def test_sources_check_with_a_source_prints_the_entries_it_would_store(
    workspace: Workspace, feed_server: FeedServer
) -> None:
    source = page_toml("region", feed_server.url("/pages/region-appels.html?preview"))
    write_config(workspace, source.replace('network = "cerapcoop"', 'exclude = ["Afrique"]'))

    checked = workspace.run("sources", "check", "--source", "region")

    assert checked.returncode == 0, checked.stderr
    assert "Appel à projets ECSI 2027" in checked.stdout
    assert "[bold]Jeunesse[/bold]" in checked.stdout
    assert "Festisol" in checked.stdout and "ssi" in checked.stdout  # the tag a rule adds
    assert "Afrique de l’Ouest" not in checked.stdout  # dropped by exclude
    assert "2026-12-02" in checked.stdout
    assert checked.stdout.strip().endswith("region: 3 entries would be stored, 1 filtered out")
    assert checked.stderr.strip() == (
        "region: 1 of 5 blocks skipped: no title ('.fr-card__title') or no link ('a@href')"
    )
    assert not workspace.db.exists()  # a preview stores nothing


def test_sources_check_with_a_source_whose_selector_matches_nothing_exits_1(
    workspace: Workspace, feed_server: FeedServer
) -> None:
    write_config(workspace, page_toml("region", feed_server.url("/pages/region-appels-v2.html")))

    checked = workspace.run("sources", "check", "--source", "region")

    assert checked.returncode == 1
    assert checked.stderr.strip() == (
        "watchcli: region: page: the item selector 'div.fr-card' matches nothing (the site "
        "changed?); tune it with `watchcli sources check --source ID`"
    )


def test_sources_check_with_an_unknown_source_is_a_usage_error(workspace: Workspace) -> None:
    write_config(workspace, page_toml("region", "https://www.region.example/aides/"))
    checked = workspace.run("sources", "check", "--source", "regoin")
    assert checked.returncode == 2
    assert "unknown source 'regoin'; known sources: region" in checked.stderr


def test_an_undated_entry_keeps_its_first_seen_time_when_the_page_changes(
    store: Store, feed_server: FeedServer, tmp_path: Path
) -> None:
    original = (PAGES / "region-appels.html").read_text(encoding="utf-8")
    url = feed_server.put("region-undated", original, content_type="text/html")
    undated = PageSelectors(item="div.fr-card", title=Pick("h3"), link=Pick("a", "href"))
    config = make_config(tmp_path, Source("region", url, kind="page", page=undated))
    fetch(store, config)
    first = {i["title"]: i["published"] for i in store.list_items(ItemFilter())}
    time.sleep(1.1)  # the store's times are to the second
    feed_server.put(
        "region-undated",
        original.replace("Appel à projets ECSI 2027 :", "Appel à projets ECSI 2027 (prolongé) :"),
        content_type="text/html",
    )

    again = fetch(store, config)

    assert (again.ok, again.new_items, again.updated) == (1, 0, 1)
    after = {i["title"]: i["published"] for i in store.list_items(ItemFilter())}
    festisol = "Festisol : financement des événements du Festival des solidarités"
    assert after[festisol] == first[festisol]


def test_sources_check_previews_a_feed_source_too(
    workspace: Workspace, feed_server: FeedServer
) -> None:
    write_config(
        workspace,
        f'\n[[sources]]\nid = "csud"\nurl = "{feed_server.url("/feeds/rss2.xml")}"\n',
    )
    checked = workspace.run("sources", "check", "--source", "csud")
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.strip().splitlines()[-1].startswith("csud: ")
    assert "entries would be stored" in checked.stdout


# --- The triage screen ------------------------------------------------------------------------


def test_the_triage_screen_shows_page_items_and_selects_them(
    workspace: Workspace, feed_server: FeedServer
) -> None:
    write_config(workspace, page_toml("region", feed_server.url("/pages/region-appels.html?tui")))
    assert workspace.run("fetch", "--quiet").returncode == 0
    app = create_app(
        load_config(workspace.config), workspace.db, "camille", languages=["en"], refresh_seconds=0
    )
    shown: list[str] = []

    async def run() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            shown.extend(item["title"] for item in app.items)
            await pilot.press("s", "q")
            await pilot.pause()

    asyncio.run(run())

    assert shown[0] == ECSI_TITLE  # the newest call first, as for a feed's items
    assert "[bold]Jeunesse[/bold] et solidarité internationale : appel JSI 2027" in shown
    listed = json.loads(workspace.run("list", "--json", "--status", "selected").stdout)
    assert [(item["title"], item["sources"]) for item in listed] == [(ECSI_TITLE, ["region"])]

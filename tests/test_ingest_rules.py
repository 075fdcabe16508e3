"""Rules, source tags, include/exclude filters and automatic assignment, through a real fetch
from the loopback feed server."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.conftest import Workspace, rss
from tests.feedserver import FeedServer
from tests.teamwork import FastWorkspace, run_ok, show

CONFIG = """
[tags]
ecsi = "ECSI"
ssi = "Semaine de la solidarité internationale"
ong = "ONG"
afrique = "Afrique"

[[rules]]
tag = "ssi"
any = ["festisol", "semaine de la solidarité internationale"]

[[rules]]
tag = "ecsi"
any = ["ECSI", "éducation à la citoyenneté"]

[[rules]]
tag = "afrique"
all = ["Afrique", "ONG"]
"""

DATE = "Tue, 24 Nov 2026 10:00:00 +0000"


def story(slug: str, title: str, description: str = "", guid: str = "") -> dict[str, str]:
    return {
        "title": title,
        "link": f"https://news.example/{slug}",
        "guid": guid or f"https://news.example/{slug}",
        "description": description,
        "pubDate": DATE,
    }


@pytest.fixture
def ws(workspace: Workspace, feed_server: FeedServer) -> tuple[FastWorkspace, dict[str, str]]:
    fast = FastWorkspace(workspace.folder)
    prefix = uuid.uuid4().hex[:8]
    names = {source: f"{prefix}-{source}" for source in ("cerap", "resa", "narrow")}
    fast.write_config(
        [
            {
                "id": "cerap",
                "url": feed_server.url(f"/set/{names['cerap']}"),
                "network": "cerapcoop",
                "tags": ["ong"],
            },
            {
                "id": "resa",
                "url": feed_server.url(f"/set/{names['resa']}"),
                "network": "resacoop",
                "exclude": ["football", "people"],
            },
            {
                "id": "narrow",
                "url": feed_server.url(f"/set/{names['narrow']}"),
                "network": "resacoop",
                "include": ["humanitaire", "aide d’urgence"],
            },
        ],
        extra=CONFIG,
    )
    return fast, names


def fetch(ws: FastWorkspace) -> dict:
    result = ws.run("fetch", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def by_url(ws: FastWorkspace) -> dict[str, dict]:
    items = json.loads(ws.run("list", "--json", "--limit", "0").stdout)
    return {item["url"].rsplit("/", 1)[1]: item for item in items}


def test_rules_source_tags_filters_and_automatic_assignment(
    ws: tuple[FastWorkspace, dict[str, str]], feed_server: FeedServer
) -> None:
    workspace, names = ws
    feed_server.put(
        names["cerap"],
        rss(
            story("festisol", "Le Festisol 2026 commence"),
            story("ecsi", "L’ECSI en Afrique", "Des ONG s'engagent"),
            story("plain", "Une nouvelle sans mot-clé"),
        ),
    )
    feed_server.put(
        names["resa"],
        rss(
            story("festisol", "Festisol : le programme", guid="resa-1"),
            story("foot", "Football : le match de l'année"),
            story("resa-only", "Semaine de la Solidarité Internationale à Lyon"),
        ),
    )
    feed_server.put(
        names["narrow"],
        rss(
            story("crise", "Crise HUMANITAIRE au Sahel"),
            story("urgence", "Une aide d'urgence débloquée"),
            story("bourse", "La bourse de Paris en hausse"),
            story("meteo", "Météo : la neige arrive"),
        ),
    )

    summary = fetch(workspace)

    assert summary["filtered"] == 3  # foot, bourse, meteo: counted, never stored
    assert summary["new_items"] == 6
    assert summary["new_sightings"] == 1
    items = by_url(workspace)
    assert set(items) == {"festisol", "ecsi", "plain", "resa-only", "crise", "urgence"}
    assert items["festisol"]["tags"] == ["ong", "ssi"]
    assert items["ecsi"]["tags"] == ["afrique", "ecsi", "ong"]
    assert items["plain"]["tags"] == ["ong"]
    assert items["resa-only"]["tags"] == ["ssi"]
    assert items["crise"]["tags"] == []
    networks = {slug: item["network"] for slug, item in items.items()}
    assert networks == {
        "festisol": None,  # carried by both networks' sources: shared
        "ecsi": "cerapcoop",
        "plain": "cerapcoop",
        "resa-only": "resacoop",
        "crise": "resacoop",
        "urgence": "resacoop",
    }
    assert all(item["assignee"] is None for item in items.values())
    # The state an item is created with is no change: its history starts empty.
    assert show(workspace, items["festisol"]["id"])["history"] == []

    human = workspace.run("fetch")
    assert human.returncode == 0
    assert "filtered out" not in human.stdout  # unchanged bodies are not read again


def test_a_later_sighting_shares_an_automatic_assignment_but_keeps_a_manual_one(
    ws: tuple[FastWorkspace, dict[str, str]], feed_server: FeedServer
) -> None:
    workspace, names = ws
    feed_server.put(
        names["cerap"],
        rss(
            story("held", "Un article que Léa prend"),
            story("auto", "L'ECSI à l'école", "festisol"),
            story("given", "Un article confié à RESACOOP"),
        ),
    )
    feed_server.put(names["resa"], rss())
    feed_server.put(names["narrow"], rss())
    fetch(workspace)
    first = by_url(workspace)
    held, auto, given = (first[s]["id"] for s in ("held", "auto", "given"))
    run_ok(workspace, "claim", str(held), user="lea")
    run_ok(workspace, "assign", str(given), "--to", "cerapcoop", user="malik")
    run_ok(workspace, "untag", str(auto), "-t", "ecsi", user="camille")

    feed_server.put(
        names["resa"],
        rss(
            story("held", "Un article que Léa prend", guid="r-held"),
            story("auto", "ECSI et Semaine de la solidarité internationale", guid="r-auto"),
            story("given", "Un article confié", guid="r-given"),
        ),
    )
    summary = fetch(workspace)
    assert (summary["new_items"], summary["new_sightings"]) == (0, 3)

    later = by_url(workspace)
    assert (later["held"]["assignee"], later["held"]["network"]) == ("lea", "resacoop")
    assert (later["given"]["assignee"], later["given"]["network"]) == (None, "cerapcoop")
    assert (later["auto"]["assignee"], later["auto"]["network"]) == (None, None)
    # the rule offered ecsi again: a tag removed by hand stays removed
    assert later["auto"]["tags"] == ["ong", "ssi"]
    changes = [(h["by"], h["action"], h["detail"]) for h in show(workspace, auto)["history"]]
    assert changes == [
        ("camille", "untag", "ecsi"),
        ("watchcli", "unassign", "shared: seen through sources of several networks"),
    ]
    assert [h["by"] for h in show(workspace, held)["history"]] == ["lea"]


def test_an_updated_entry_brings_its_new_tags_with_a_history_line(
    ws: tuple[FastWorkspace, dict[str, str]], feed_server: FeedServer
) -> None:
    workspace, names = ws
    feed_server.put(names["resa"], rss(story("edit", "Un titre")))
    feed_server.put(names["cerap"], rss())
    feed_server.put(names["narrow"], rss())
    fetch(workspace)
    feed_server.put(names["resa"], rss(story("edit", "Un titre : le Festisol arrive")))
    assert fetch(workspace)["updated"] == 1
    [item] = by_url(workspace).values()
    assert item["tags"] == ["ssi"]
    [line] = show(workspace, item["id"])["history"]
    assert (line["by"], line["action"], line["detail"]) == ("watchcli", "tag", "ssi")
